/*
 * io_test_util.h: fixtures and checks shared by the loader and job tests:
 * a temporary directory ($FCFIT_TEST_TMP, created with its parents), paths
 * in it, and the two load checks (fails naming file and problem; loads
 * bitwise equal).
 */
#ifndef FCFIT_IO_TEST_UTIL_H
#define FCFIT_IO_TEST_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zip.h>

#include "fcfit/fcfit_matrix_io.h"
#include "fcfit_test.h"

static char g_tmp[512];

/* Create $FCFIT_TEST_TMP (and its parents), or `fallback` when it is unset, and remember it. */
static inline int tmp_init_named(const char *fallback)
{
    const char *dir = getenv("FCFIT_TEST_TMP");
    snprintf(g_tmp, sizeof g_tmp, "%s", dir != NULL && dir[0] != '\0' ? dir : fallback);
    for (char *p = g_tmp + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(g_tmp, 0755) != 0 && errno != EEXIST) {
                printf("cannot create %s: %s\n", g_tmp, strerror(errno));
                return 0;
            }
            *p = saved;
            if (saved == '\0') {
                break;
            }
        }
    }
    return 1;
}

static inline int tmp_init(void) { return tmp_init_named("tmp_test_io"); }

static inline const char *tmp_path(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", g_tmp, name);
    return buf;
}

/* Load must fail with FCFIT_ERR_INPUT, leave the output empty, and name the file and problem. */
static inline void check_load_fails(const char *file, int line, const char *spec,
                                    const char *name, const char *problem)
{
    fcfit_matrix m = {0, 0, NULL};
    fcfit_status s = fcfit_matrix_load(spec, &m);
    const char *msg = fcfit_error_message();
    int ok = s == FCFIT_ERR_INPUT && strstr(msg, name) != NULL && strstr(msg, problem) != NULL &&
             m.rows == 0 && m.cols == 0 && m.data == NULL;
    fcfit_test_report(ok, file, line,
                      "load(%s) -> %s \"%s\", want FCFIT_ERR_INPUT naming '%s' and '%s'", spec,
                      fcfit_status_name(s), msg, name, problem);
    fcfit_matrix_free(&m);
    fcfit_error_clear();
}
#define CHECK_LOAD_FAILS(spec, name, problem) \
    check_load_fails(__FILE__, __LINE__, spec, name, problem)

/* Load a fixture and compare it bitwise with want (rows x cols, row-major). */
static inline void check_load_equals(const char *file, int line, const char *spec, size_t rows,
                                     size_t cols, const double *want)
{
    fcfit_matrix m = {0, 0, NULL};
    fcfit_status s = fcfit_matrix_load(spec, &m);
    int ok = s == FCFIT_OK && m.rows == rows && m.cols == cols &&
             memcmp(m.data, want, rows * cols * sizeof(double)) == 0;
    fcfit_test_report(ok, file, line,
                      "load(%s) -> %s%s%s, %zu x %zu, want %zu x %zu bitwise equal", spec,
                      fcfit_status_name(s), s == FCFIT_OK ? "" : ": ",
                      s == FCFIT_OK ? "" : fcfit_error_message(), m.rows, m.cols, rows, cols);
    fcfit_matrix_free(&m);
    fcfit_error_clear();
}
#define CHECK_LOAD_EQUALS(spec, rows, cols, want) \
    check_load_equals(__FILE__, __LINE__, spec, rows, cols, want)

/* One member of a zip archive to write: name, bytes, compression method (ZIP_CM_STORE, ...). */
typedef struct zip_member {
    const char *name;
    const void *data;
    size_t len;
    int method;
} zip_member;

/* Write a zip archive with libzip; returns 1 on success. */
static inline int write_zip(const char *path, const zip_member *m, size_t n)
{
    int err = 0;
    zip_t *za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);
    if (za == NULL) {
        printf("cannot create %s (libzip error %d)\n", path, err);
        return 0;
    }
    for (size_t k = 0; k < n; k++) {
        zip_source_t *src = zip_source_buffer(za, m[k].data, m[k].len, 0);
        zip_int64_t idx = src != NULL ? zip_file_add(za, m[k].name, src, ZIP_FL_OVERWRITE) : -1;
        if (idx < 0 || zip_set_file_compression(za, (zip_uint64_t)idx, m[k].method, 0) != 0) {
            printf("cannot add %s to %s: %s\n", m[k].name, path,
                   zip_error_strerror(zip_get_error(za)));
            if (src != NULL && idx < 0) {
                zip_source_free(src);
            }
            zip_discard(za);
            return 0;
        }
    }
    if (zip_close(za) != 0) {
        printf("cannot write %s: %s\n", path, zip_error_strerror(zip_get_error(za)));
        zip_discard(za);
        return 0;
    }
    return 1;
}

/* The contents of a text file written by the test (static buffer, at most 64 KB). */
static inline const char *read_small_file(const char *path, size_t *len)
{
    static char buf[65536];
    FILE *fp = fopen(path, "rb");
    size_t n = fp != NULL ? fread(buf, 1, sizeof buf - 1, fp) : 0;
    if (fp != NULL) {
        fclose(fp);
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

#endif
