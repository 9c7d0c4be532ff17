/*
 * test_filter.c: Butterworth band-pass design and zero-phase filtering
 * against docs/fc-metrics.md (coefficients B.1, steady state B.2, filtfilt
 * test vector B.3), the error paths of the design and of filtfilt, and
 * frequency-response properties of designs of other orders.
 *
 * Tolerances: the reference numbers are printed with 12 decimals and
 * compared at the documented F2 tolerance 1e-10 (absolute). The response
 * checks use 1e-9 at the centre frequency (a ratio of two sums of up to 17
 * terms evaluated near the poles) and 1e-12 at DC and Nyquist, where the
 * numerator vanishes exactly in exact arithmetic and only the rounding of the
 * coefficients, amplified by 1/|A|, remains.
 */
#include <complex.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_linalg.h>

#include "fc/fc_impl.h"
#include "fcfit/fcfit_fc.h"
#include "fcfit_test.h"

#define TOL_COEF 1e-10

/* |H(e^{iw})| of the filter f at the digital frequency w (radians per sample). */
static double response(const fcfit_iir *f, double w)
{
    double complex num = 0.0;
    double complex den = 0.0;
    for (size_t k = 0; k < f->len; k++) {
        const double complex e = cexp(CMPLX(0.0, -w * (double)k));
        num += f->b[k] * e;
        den += f->a[k] * e;
    }
    return cabs(num / den);
}

static void test_reference_coefficients(void)
{
    /* docs/fc-metrics.md, coefficients: TR, band edges, b0, a1..a4. */
    static const double rows[4][7] = {
        {2.0, 0.01, 0.10, 0.175087643672, -2.299055356038, 1.967497759984, -0.874805556449},
        {2.0, 0.04, 0.07, 0.027859766117, -2.726192063279, 3.359759015216, -2.078145396410},
        {0.72, 0.01, 0.10, 0.031932177235, -3.399178751040, 4.370230831485, -2.533217948961},
        {0.72, 0.04, 0.07, 0.004196236891, -3.699809344869, 5.237921408854, -3.360512031480},
    };
    static const double a4[4] = {0.219653983914, 0.586919508061, 0.562487488123,
                                 0.825363892644};
    for (size_t r = 0; r < 4; r++) {
        fcfit_iir f;
        CHECK_OK(fcfit_butter_bandpass(2, rows[r][0], rows[r][1], rows[r][2], &f));
        CHECK_INT(f.len, 5);
        CHECK_ABS(f.a[0], 1.0, 0.0);
        CHECK_ABS(f.b[0], rows[r][3], TOL_COEF);
        CHECK_ABS(f.a[1], rows[r][4], TOL_COEF);
        CHECK_ABS(f.a[2], rows[r][5], TOL_COEF);
        CHECK_ABS(f.a[3], rows[r][6], TOL_COEF);
        CHECK_ABS(f.a[4], a4[r], TOL_COEF);
        /* The numerator is b0 (z^2 - 1)^2: these relations hold to rounding. */
        CHECK_ABS(f.b[1], 0.0, 1e-15);
        CHECK_ABS(f.b[3], 0.0, 1e-15);
        CHECK_ABS(f.b[2], -2.0 * f.b[0], 1e-15);
        CHECK_ABS(f.b[4], f.b[0], 1e-15);
    }
}

/* zi by scipy's route: solve (I - K^T) zi = b[1:] - a[1:] b[0] with an LU factorisation. */
static void zi_by_lu(const fcfit_iir *f, double *zi)
{
    const size_t nz = f->len - 1;
    gsl_matrix *m = gsl_matrix_calloc(nz, nz);
    gsl_vector *rhs = gsl_vector_alloc(nz);
    gsl_vector *sol = gsl_vector_alloc(nz);
    gsl_permutation *perm = gsl_permutation_alloc(nz);
    int signum = 0;
    for (size_t j = 0; j < nz; j++) {
        /* K has first row -a[1:] and ones below the diagonal; I - K^T is built entrywise. */
        gsl_matrix_set(m, j, j, 1.0);
        gsl_matrix_set(m, j, 0, gsl_matrix_get(m, j, 0) + f->a[j + 1]);
        if (j + 1 < nz) {
            gsl_matrix_set(m, j, j + 1, -1.0);
        }
        gsl_vector_set(rhs, j, f->b[j + 1] - f->a[j + 1] * f->b[0]);
    }
    gsl_linalg_LU_decomp(m, perm, &signum);
    gsl_linalg_LU_solve(m, perm, rhs, sol);
    for (size_t j = 0; j < nz; j++) {
        zi[j] = gsl_vector_get(sol, j);
    }
    gsl_permutation_free(perm);
    gsl_vector_free(sol);
    gsl_vector_free(rhs);
    gsl_matrix_free(m);
}

static void test_steady_state(void)
{
    fcfit_iir f;
    double zi[FCFIT_IIR_MAX];
    CHECK_OK(fcfit_butter_bandpass(2, 2.0, 0.01, 0.1, &f));
    fcfit_fc_filter_zi(&f, zi);
    /* docs/fc-metrics.md, steady-state initial conditions. */
    CHECK_ABS(zi[0], -0.175087643672, TOL_COEF);
    CHECK_ABS(zi[1], -0.175087643672, TOL_COEF);
    CHECK_ABS(zi[2], 0.175087643672, TOL_COEF);
    CHECK_ABS(zi[3], 0.175087643672, TOL_COEF);

    /*
     * Where scipy's linear system is well conditioned (orders 1 to 3), the
     * closed recurrence agrees with its LU solution. The LU error grows with
     * the order (about 2e-10 relative at order 3, TR 0.72 s), hence 1e-9.
     */
    static const double trs[2] = {2.0, 0.72};
    for (size_t d = 0; d < 2; d++) {
        for (size_t order = 1; order <= 3; order++) {
            double lu[FCFIT_IIR_MAX];
            CHECK_OK(fcfit_butter_bandpass(order, trs[d], 0.01, 0.1, &f));
            fcfit_fc_filter_zi(&f, zi);
            zi_by_lu(&f, lu);
            double scale = 0.0;
            double diff = 0.0;
            for (size_t k = 0; k + 1 < f.len; k++) {
                scale = fmax(scale, fabs(lu[k]));
                diff = fmax(diff, fabs(zi[k] - lu[k]));
            }
            CHECK_ABS(diff / scale, 0.0, 1e-9);
        }
    }

    /*
     * For every order, zi is a fixed point of the recursion under a unit
     * input: one step from zi returns zi. The residual is relative to the
     * largest state; the terms a[k]*y reach 1e4 times the states at order 8,
     * so a few ulps of y show up at 1e-12 of the states.
     */
    for (size_t d = 0; d < 2; d++) {
        for (size_t order = 1; order <= 8; order++) {
            double z[FCFIT_IIR_MAX];
            CHECK_OK(fcfit_butter_bandpass(order, trs[d], 0.01, 0.1, &f));
            fcfit_fc_filter_zi(&f, zi);
            const size_t nz = f.len - 1;
            const double yn = f.b[0] + zi[0];
            for (size_t k = 0; k + 1 < nz; k++) {
                z[k] = (f.b[k + 1] - f.a[k + 1] * yn) + zi[k + 1];
            }
            z[nz - 1] = f.b[nz] - f.a[nz] * yn;
            double scale = 0.0;
            double diff = 0.0;
            for (size_t k = 0; k < nz; k++) {
                scale = fmax(scale, fabs(zi[k]));
                diff = fmax(diff, fabs(z[k] - zi[k]));
            }
            CHECK_ABS(diff / scale, 0.0, 1e-11);
        }
    }
}

static void test_filtfilt_vector(void)
{
    enum { T = 200 };
    const double pi = acos(-1.0);
    double x[T];
    double y[T];
    double y2[T];
    for (size_t t = 0; t < T; t++) {
        const double dt = (double)t;
        x[t] = sin(2.0 * pi * 0.05 * 2.0 * dt) + 0.5 * cos(2.0 * pi * 0.2 * 2.0 * dt) + 0.01 * dt;
    }
    fcfit_iir f;
    CHECK_OK(fcfit_butter_bandpass(2, 2.0, 0.01, 0.1, &f));
    CHECK_INT(fcfit_filtfilt_min_length(&f), 16);
    const size_t nwork = fcfit_filtfilt_work_size(&f, T);
    /* Heap workspace of exactly the advertised size, so ASan catches any overrun. */
    double *work = malloc(nwork * sizeof(double));
    CHECK_TRUE(work != NULL);
    if (work == NULL) {
        return;
    }
    CHECK_OK(fcfit_filtfilt(&f, T, x, y, work));

    /* docs/fc-metrics.md, filtfilt test vector. */
    static const double head[5] = {0.042842389927, 0.234599244641, 0.468542765282,
                                   0.530785791505, 0.253969813248};
    for (size_t t = 0; t < 5; t++) {
        CHECK_ABS(y[t], head[t], TOL_COEF);
    }
    CHECK_ABS(y[100], 0.001035136142, TOL_COEF);
    CHECK_ABS(y[197], -0.061300905583, TOL_COEF);
    CHECK_ABS(y[198], -0.075362704449, TOL_COEF);
    CHECK_ABS(y[199], -0.025840758745, TOL_COEF);

    /* In place (y aliasing x) gives the same bits, and so does a second call. */
    for (size_t t = 0; t < T; t++) {
        y2[t] = x[t];
    }
    CHECK_OK(fcfit_filtfilt(&f, T, y2, y2, work));
    CHECK_BITWISE(y, y2, T);

    /* The band-pass removes DC: a constant series filters to (almost) zero. */
    double c[T];
    for (size_t t = 0; t < T; t++) {
        c[t] = 3.7;
    }
    CHECK_OK(fcfit_filtfilt(&f, T, c, c, work));
    double worst = 0.0;
    for (size_t t = 0; t < T; t++) {
        worst = fmax(worst, fabs(c[t]));
    }
    CHECK_ABS(worst, 0.0, 1e-12);

    /* The shortest accepted series, 3*len + 1 samples, works; one less does not. */
    CHECK_OK(fcfit_filtfilt(&f, 16, x, y, work));
    CHECK_FAILS(fcfit_filtfilt(&f, 15, x, y, work), FCFIT_ERR_ARG, "T = 15");
    CHECK_FAILS(fcfit_filtfilt(&f, 15, x, y, work), FCFIT_ERR_ARG, "at least 16");
    fcfit_iir bad = f;
    bad.a[0] = 2.0;
    CHECK_FAILS(fcfit_filtfilt(&bad, T, x, y, work), FCFIT_ERR_ARG, "a[0] = 2");
    free(work);
}

static void test_design_errors(void)
{
    fcfit_iir f;
    /* TR = 2 s: Nyquist 0.25 Hz. */
    CHECK_FAILS(fcfit_butter_bandpass(2, 2.0, 0.1, 0.01, &f), FCFIT_ERR_ARG, "out of order");
    CHECK_FAILS(fcfit_butter_bandpass(2, 2.0, 0.05, 0.05, &f), FCFIT_ERR_ARG, "out of order");
    CHECK_FAILS(fcfit_butter_bandpass(2, 2.0, 0.01, 0.25, &f), FCFIT_ERR_ARG, "Nyquist");
    CHECK_FAILS(fcfit_butter_bandpass(2, 2.0, 0.01, 0.3, &f), FCFIT_ERR_ARG, "0.3 Hz");
    CHECK_FAILS(fcfit_butter_bandpass(2, 2.0, 0.0, 0.1, &f), FCFIT_ERR_ARG, "above 0 Hz");
    CHECK_FAILS(fcfit_butter_bandpass(2, 2.0, -0.01, 0.1, &f), FCFIT_ERR_ARG, "-0.01 Hz");
    CHECK_FAILS(fcfit_butter_bandpass(2, 2.0, NAN, 0.1, &f), FCFIT_ERR_ARG, "nan");
    CHECK_FAILS(fcfit_butter_bandpass(0, 2.0, 0.01, 0.1, &f), FCFIT_ERR_ARG, "order 0");
    CHECK_FAILS(fcfit_butter_bandpass(9, 2.0, 0.01, 0.1, &f), FCFIT_ERR_ARG, "order 9");
    CHECK_FAILS(fcfit_butter_bandpass(2, 0.0, 0.01, 0.1, &f), FCFIT_ERR_ARG, "TR = 0");
    CHECK_OK(fcfit_butter_bandpass(8, 2.0, 0.01, 0.1, &f));
    CHECK_INT(f.len, 17);
}

static void test_response(void)
{
    static const size_t orders[2] = {1, 3};
    static const double designs[3][3] = {{2.0, 0.01, 0.1}, {0.72, 0.04, 0.07}, {1.0, 0.1, 0.4}};
    const double pi = acos(-1.0);
    for (size_t o = 0; o < 2; o++) {
        for (size_t d = 0; d < 3; d++) {
            const double tr = designs[d][0];
            const double fn = 0.5 / tr;
            const double w1 = pi * designs[d][1] / fn;
            const double w2 = pi * designs[d][2] / fn;
            fcfit_iir f;
            CHECK_OK(fcfit_butter_bandpass(orders[o], tr, designs[d][1], designs[d][2], &f));
            CHECK_INT(f.len, 2 * orders[o] + 1);
            /*
             * The bilinear transform maps the analog centre sqrt(Om1*Om2) to
             * the digital frequency whose tan(w/2) is the geometric mean of
             * tan(w1/2) and tan(w2/2); the gain there is exactly 1, and at the
             * band edges it is 1/sqrt(2) (-3 dB).
             */
            const double wc = 2.0 * atan(sqrt(tan(w1 / 2.0) * tan(w2 / 2.0)));
            CHECK_ABS(response(&f, wc), 1.0, 1e-9);
            CHECK_ABS(response(&f, w1), sqrt(0.5), 1e-9);
            CHECK_ABS(response(&f, w2), sqrt(0.5), 1e-9);
            CHECK_ABS(response(&f, 0.0), 0.0, 1e-12);
            CHECK_ABS(response(&f, pi), 0.0, 1e-12);
        }
    }
}

int main(void)
{
    gsl_set_error_handler_off();
    test_reference_coefficients();
    test_steady_state();
    test_filtfilt_vector();
    test_design_errors();
    test_response();
    return fcfit_test_finish();
}
