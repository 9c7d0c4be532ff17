/*
 * fcfit_test.h: a tiny test harness for the unit tests.
 *
 * Each check prints one PASS or FAIL line with the expression, the values and
 * the tolerance; fcfit_test_finish() prints a summary and returns the process
 * exit code (non-zero when any check failed). Tolerances are explicit at each
 * call and justified in a comment next to it.
 */
#ifndef FCFIT_TEST_H
#define FCFIT_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcfit/fcfit_status.h"

static int fcfit_test_failures = 0;
static int fcfit_test_checks = 0;

static inline void fcfit_test_report(int ok, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#include <stdarg.h>
static inline void fcfit_test_report(int ok, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fcfit_test_checks++;
    if (!ok) {
        fcfit_test_failures++;
    }
    printf("%s %s:%d: ", ok ? "PASS" : "FAIL", file, line);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

/* |got - want| <= tol * max(|want|, tiny) */
#define CHECK_REL(got, want, tol)                                                                  \
    do {                                                                                           \
        double g_ = (double)(got), w_ = (double)(want), t_ = (double)(tol);                        \
        double d_ = fabs(g_ - w_), s_ = fabs(w_) > 1e-300 ? fabs(w_) : 1e-300;                     \
        fcfit_test_report(isfinite(g_) && d_ <= t_ * s_, __FILE__, __LINE__,                       \
                          "%s = %.12g, want %.12g (rel err %.3g, tol %.3g)", #got, g_, w_, d_ / s_, \
                          t_);                                                                     \
    } while (0)

/* |got - want| <= tol */
#define CHECK_ABS(got, want, tol)                                                                  \
    do {                                                                                           \
        double g_ = (double)(got), w_ = (double)(want), t_ = (double)(tol);                        \
        double d_ = fabs(g_ - w_);                                                                 \
        fcfit_test_report(isfinite(g_) && d_ <= t_, __FILE__, __LINE__,                            \
                          "%s = %.12g, want %.12g (abs err %.3g, tol %.3g)", #got, g_, w_, d_,     \
                          t_);                                                                     \
    } while (0)

#define CHECK_INT(got, want)                                                                       \
    do {                                                                                           \
        long long g_ = (long long)(got), w_ = (long long)(want);                                   \
        fcfit_test_report(g_ == w_, __FILE__, __LINE__, "%s = %lld, want %lld", #got, g_, w_);     \
    } while (0)

#define CHECK_TRUE(cond)                                                                           \
    do {                                                                                           \
        fcfit_test_report((cond) ? 1 : 0, __FILE__, __LINE__, "%s", #cond);                        \
    } while (0)

/* A call that must succeed; on failure the recorded error message is printed. */
#define CHECK_OK(call)                                                                             \
    do {                                                                                           \
        fcfit_status s_ = (call);                                                                  \
        fcfit_test_report(s_ == FCFIT_OK, __FILE__, __LINE__, "%s -> %s%s%s", #call,               \
                          fcfit_status_name(s_), s_ == FCFIT_OK ? "" : ": ",                       \
                          s_ == FCFIT_OK ? "" : fcfit_error_message());                            \
        fcfit_error_clear();                                                                       \
    } while (0)

/* A call that must fail with the given status and a message containing `needle`. */
#define CHECK_FAILS(call, status, needle)                                                          \
    do {                                                                                           \
        fcfit_status s_ = (call);                                                                  \
        const char *m_ = fcfit_error_message();                                                    \
        fcfit_test_report(s_ == (status) && strstr(m_, (needle)) != NULL, __FILE__, __LINE__,      \
                          "%s -> %s (%s), want %s with \"%s\"", #call, fcfit_status_name(s_), m_,  \
                          fcfit_status_name(status), (needle));                                    \
        fcfit_error_clear();                                                                       \
    } while (0)

/* Bitwise equality of two double arrays. */
#define CHECK_BITWISE(a, b, count)                                                                 \
    do {                                                                                           \
        size_t n_ = (size_t)(count), bad_ = n_;                                                    \
        for (size_t k_ = 0; k_ < n_; k_++) {                                                       \
            if (memcmp(&(a)[k_], &(b)[k_], sizeof(double)) != 0) {                                 \
                bad_ = k_;                                                                         \
                break;                                                                             \
            }                                                                                      \
        }                                                                                          \
        fcfit_test_report(bad_ == n_, __FILE__, __LINE__,                                          \
                          "%s and %s bitwise equal over %zu values%s", #a, #b, n_,                 \
                          bad_ == n_ ? "" : " (first difference reported below)");                 \
        if (bad_ != n_) {                                                                          \
            printf("     index %zu: %.17g vs %.17g\n", bad_, (a)[bad_], (b)[bad_]);               \
        }                                                                                          \
    } while (0)

static inline int fcfit_test_finish(void)
{
    printf("%d checks, %d failed\n", fcfit_test_checks, fcfit_test_failures);
    return fcfit_test_failures == 0 ? 0 : 1;
}

/* Skip the whole test (CTest sees exit code 77 as "skipped" via SKIP_RETURN_CODE). */
#define FCFIT_TEST_SKIP_CODE 77

#endif /* FCFIT_TEST_H */
