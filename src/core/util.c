/*
 * util.c: string, path and time helpers.
 */
#include "fcfit/fcfit_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

char *fcfit_strdup(const char *s)
{
    size_t n;
    char *d;
    if (s == NULL) {
        return NULL;
    }
    n = strlen(s);
    d = malloc(n + 1);
    if (d != NULL) {
        memcpy(d, s, n + 1);
    }
    return d;
}

char *fcfit_path_dirname(const char *path)
{
    const char *slash = path != NULL ? strrchr(path, '/') : NULL;
    char *d;
    if (slash == NULL) {
        return fcfit_strdup(".");
    }
    if (slash == path) {
        return fcfit_strdup("/");
    }
    d = malloc((size_t)(slash - path) + 1);
    if (d != NULL) {
        memcpy(d, path, (size_t)(slash - path));
        d[slash - path] = '\0';
    }
    return d;
}

char *fcfit_path_join(const char *base, const char *rel)
{
    size_t nb, nr;
    char *d;
    if (rel == NULL) {
        return NULL;
    }
    if (rel[0] == '/' || base == NULL || base[0] == '\0' || strcmp(base, ".") == 0) {
        return fcfit_strdup(rel);
    }
    nb = strlen(base);
    nr = strlen(rel);
    d = malloc(nb + nr + 2);
    if (d != NULL) {
        memcpy(d, base, nb);
        d[nb] = '/';
        memcpy(d + nb + 1, rel, nr + 1);
    }
    return d;
}

double fcfit_wtime(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void fcfit_utc_now(char *buf, size_t cap)
{
    time_t t = time(NULL);
    struct tm tmv;
    gmtime_r(&t, &tmv);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tmv);
}

size_t fcfit_edit_distance(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    size_t row[128];
    if (nb >= sizeof row / sizeof row[0]) {
        return (size_t)-1;
    }
    for (size_t j = 0; j <= nb; j++) {
        row[j] = j;
    }
    for (size_t i = 1; i <= na; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t cur = row[j];
            size_t sub = prev + (a[i - 1] == b[j - 1] ? 0 : 1);
            size_t del = row[j] + 1;
            size_t ins = row[j - 1] + 1;
            size_t m = sub < del ? sub : del;
            row[j] = m < ins ? m : ins;
            prev = cur;
        }
    }
    return row[nb];
}

void fcfit_test_pause(const char *point)
{
    const char *spec = getenv("FCFIT_TEST_PAUSE_AT");
    size_t n = strlen(point);
    double secs = 0.0;
    struct timespec left;
    while (spec != NULL && *spec != '\0') {
        if (strncmp(spec, point, n) == 0 && spec[n] == ':') {
            secs = atof(spec + n + 1);
            break;
        }
        spec = strchr(spec, ',');
        spec = spec != NULL ? spec + 1 : NULL;
    }
    if (!(secs > 0.0) || secs > 3600.0) {
        return;
    }
    left.tv_sec = (time_t)secs;
    left.tv_nsec = (long)((secs - (double)left.tv_sec) * 1e9);
    /* Sleep the whole time even when a signal arrives: the test wants the signal to be handled
     * at the point after the pause. */
    while (nanosleep(&left, &left) != 0 && errno == EINTR) {
    }
}
