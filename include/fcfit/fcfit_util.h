/**
 * @file fcfit_util.h
 * Small helpers shared across modules: string duplication, paths, time.
 */
#ifndef FCFIT_UTIL_H
#define FCFIT_UTIL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** strdup that returns NULL on NULL input or out of memory. */
char *fcfit_strdup(const char *s);

/** Directory part of a path ("." when there is none); malloc'd. */
char *fcfit_path_dirname(const char *path);

/** base/rel, or rel unchanged when it is absolute or base is NULL/"" ; malloc'd. */
char *fcfit_path_join(const char *base, const char *rel);

/** Monotonic wall-clock seconds. */
double fcfit_wtime(void);

/** Current UTC time as ISO 8601 ("2026-11-22T10:11:12Z") into buf (>= 21 bytes). */
void fcfit_utc_now(char *buf, size_t cap);

/**
 * Test hook: when the environment variable FCFIT_TEST_PAUSE_AT lists `point` ("point:seconds",
 * comma-separated entries), sleep that long (signals do not shorten the pause). Used by the
 * integration tests to deliver signals or kills at chosen moments; no effect otherwise.
 */
void fcfit_test_pause(const char *point);

/** Levenshtein distance of two strings (for "did you mean" suggestions). */
size_t fcfit_edit_distance(const char *a, const char *b);

#ifdef __cplusplus
}
#endif
#endif /* FCFIT_UTIL_H */
