/*
 * test_fc.c: FC, fit metrics, FCD and KS against the oracles of
 * docs/fc-metrics.md, plus the conventions of include/fcfit/fcfit_fc.h (degenerate
 * regions, window counts, k offsets, ties) and a few algebraic properties.
 *
 * Tolerances: the §10.8 oracles are printed with 9 or 10 decimals, so they
 * are compared with an absolute tolerance of 1e-9 (the documented F1
 * tolerance). Identities that hold up to rounding of O(M) sums of terms of
 * order 1 use 1e-14; conventions that are exact by construction (unit
 * diagonal, zero rows, symmetry, repeatability) are checked bitwise.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fc/fc_impl.h"
#include "fcfit/fcfit_fc.h"
#include "fcfit_test.h"

#define NREG 4
#define NT 60
#define NPAIR (NREG * (NREG - 1) / 2)
#define FCD_W 20
#define FCD_STEP 5
#define FCD_NW 9
#define FCD_NVAL (FCD_NW * (FCD_NW - 1) / 2)

/* Documented tolerance for the metric oracles (docs/fc-metrics.md, F1). */
#define TOL_ORACLE 1e-9

/* The test signals X and Y of docs/fc-metrics.md, regions x time, leading dimension ld. */
static void make_signals(double *x, double *y, size_t ld)
{
    for (size_t i = 0; i < NREG; i++) {
        const double di = (double)i;
        for (size_t t = 0; t < NT; t++) {
            const double dt = (double)t;
            x[i * ld + t] = sin(0.1 * (di + 1.0) * dt) + 0.1 * cos(0.37 * (di + 2.0) * dt);
            y[i * ld + t] =
                sin(0.13 * (di + 1.0) * dt + 0.3 * di) + 0.2 * cos(0.29 * (di + 1.0) * dt);
        }
    }
}

static void test_fc_oracles(void)
{
    double x[NREG * NT];
    double y[NREG * NT];
    double fcx[NREG * NREG];
    double fcy[NREG * NREG];
    double ux[NPAIR];
    double uy[NPAIR];
    make_signals(x, y, NT);

    CHECK_INT(fcfit_fc_pearson(NREG, NT, x, NT, fcx), 0);
    CHECK_INT(fcfit_fc_pearson(NREG, NT, y, NT, fcy), 0);
    CHECK_INT(fcfit_fc_upper(NREG, fcx, ux), NPAIR);
    CHECK_INT(fcfit_fc_upper(NREG, fcy, uy), NPAIR);

    static const double want_ux[NPAIR] = {-0.0084248284, -0.0121539647, -0.0165466125,
                                          -0.0225789102, -0.0278565050, -0.0390080071};
    for (size_t k = 0; k < NPAIR; k++) {
        CHECK_ABS(ux[k], want_ux[k], TOL_ORACLE);
    }

    CHECK_ABS(fcfit_vec_corr(NPAIR, ux, uy), -0.4209133963, TOL_ORACLE);
    CHECK_ABS(fcfit_vec_rmse(NPAIR, ux, uy), 0.0836174033, TOL_ORACLE);
    CHECK_ABS(fcfit_fc_frobenius(NREG, fcx, fcy), 0.2896591818, TOL_ORACLE);
    /* With unit diagonals the full Frobenius distance is sqrt(2M) times the RMSE. */
    CHECK_ABS(fcfit_fc_frobenius(NREG, fcx, fcy),
              sqrt(2.0 * NPAIR) * fcfit_vec_rmse(NPAIR, ux, uy), 1e-14);
    /* Mean-FC difference: also just the two means (no oracle, a consistency check). */
    double sum = 0.0;
    for (size_t k = 0; k < NPAIR; k++) {
        sum += ux[k];
    }
    CHECK_ABS(fcfit_vec_mean(NPAIR, ux), sum / NPAIR, 0.0);
}

static void test_fc_properties(void)
{
    enum { LD = NT + 7 };
    double x[NREG * NT];
    double y[NREG * NT];
    double xp[NREG * LD];
    double yp[NREG * LD];
    double fc[NREG * NREG];
    double fc2[NREG * NREG];
    double fcp[NREG * NREG];
    make_signals(x, y, NT);
    make_signals(xp, yp, LD);

    CHECK_INT(fcfit_fc_pearson(NREG, NT, x, NT, fc), 0);
    int sym = 1;
    int diag = 1;
    int bounded = 1;
    for (size_t i = 0; i < NREG; i++) {
        if (fc[i * NREG + i] != 1.0) {
            diag = 0;
        }
        for (size_t j = 0; j < NREG; j++) {
            if (fc[i * NREG + j] != fc[j * NREG + i]) {
                sym = 0;
            }
            if (!(fabs(fc[i * NREG + j]) <= 1.0)) {
                bounded = 0;
            }
        }
    }
    CHECK_TRUE(sym);
    CHECK_TRUE(diag);
    CHECK_TRUE(bounded);

    /* Repeatable, and independent of the leading dimension (padding is never read). */
    CHECK_INT(fcfit_fc_pearson(NREG, NT, x, NT, fc2), 0);
    CHECK_BITWISE(fc, fc2, NREG * NREG);
    CHECK_INT(fcfit_fc_pearson(NREG, NT, xp, LD, fcp), 0);
    CHECK_BITWISE(fc, fcp, NREG * NREG);

    /* Correlation is invariant under positive affine maps of a region. */
    for (size_t t = 0; t < NT; t++) {
        x[1 * NT + t] = 3.25 * x[1 * NT + t] - 17.5;
    }
    CHECK_INT(fcfit_fc_pearson(NREG, NT, x, NT, fc2), 0);
    CHECK_ABS(fc2[0 * NREG + 1], fc[0 * NREG + 1], 1e-14);
    CHECK_ABS(fc2[1 * NREG + 3], fc[1 * NREG + 3], 1e-14);
}

static void test_fc_degenerate(void)
{
    double x[NREG * NT];
    double y[NREG * NT];
    double fc[NREG * NREG];
    double fc3[3 * 3];
    double x3[3 * NT];
    make_signals(x, y, NT);

    /* Region 2 constant at a value whose running sum is inexact (0.1 is not a binary fraction). */
    for (size_t t = 0; t < NT; t++) {
        x[2 * NT + t] = 0.1;
    }
    CHECK_INT(fcfit_fc_pearson(NREG, NT, x, NT, fc), 1);
    int zero = 1;
    for (size_t k = 0; k < NREG; k++) {
        if (fc[2 * NREG + k] != 0.0 || fc[k * NREG + 2] != 0.0) {
            zero = 0;
        }
    }
    CHECK_TRUE(zero);
    CHECK_TRUE(fc[2 * NREG + 2] == 0.0);
    CHECK_TRUE(fc[0] == 1.0 && fc[1 * NREG + 1] == 1.0 && fc[3 * NREG + 3] == 1.0);

    /* The other entries are those of the FC of the remaining regions 0, 1, 3. */
    static const size_t keep[3] = {0, 1, 3};
    for (size_t r = 0; r < 3; r++) {
        for (size_t t = 0; t < NT; t++) {
            x3[r * NT + t] = x[keep[r] * NT + t];
        }
    }
    CHECK_INT(fcfit_fc_pearson(3, NT, x3, NT, fc3), 0);
    int same = 1;
    for (size_t r = 0; r < 3; r++) {
        for (size_t c = 0; c < 3; c++) {
            if (fc3[r * 3 + c] != fc[keep[r] * NREG + keep[c]]) {
                same = 0;
            }
        }
    }
    CHECK_TRUE(same);

    /* A second constant region (zero) is counted too; a series of length 1 is all degenerate. */
    for (size_t t = 0; t < NT; t++) {
        x[0 * NT + t] = 0.0;
    }
    CHECK_INT(fcfit_fc_pearson(NREG, NT, x, NT, fc), 2);
    CHECK_TRUE(fc[1 * NREG + 3] != 0.0 && fc[0] == 0.0 && fc[1 * NREG + 1] == 1.0);
    CHECK_INT(fcfit_fc_pearson(NREG, 1, y, NT, fc), NREG);
    int all_zero = 1;
    for (size_t k = 0; k < NREG * NREG; k++) {
        if (fc[k] != 0.0) {
            all_zero = 0;
        }
    }
    CHECK_TRUE(all_zero);

    /* A constant vector correlates as 0. */
    double c[5] = {0.3, 0.3, 0.3, 0.3, 0.3};
    double v[5] = {1.0, -2.0, 0.5, 4.0, 3.0};
    CHECK_ABS(fcfit_vec_corr(5, c, v), 0.0, 0.0);
    CHECK_ABS(fcfit_vec_corr(5, v, c), 0.0, 0.0);
    CHECK_ABS(fcfit_vec_corr(1, v, v), 0.0, 0.0);
}

static void test_vec_metrics(void)
{
    double v[7] = {0.3, -1.7, 2.385, 0.01, -0.4, 5.5, 1.25};
    double neg[7];
    double mono[7];
    double dec[7];
    double *work = malloc(4 * 7 * sizeof(double));
    CHECK_TRUE(work != NULL);
    if (work == NULL) {
        return;
    }
    for (size_t k = 0; k < 7; k++) {
        neg[k] = -v[k];
        mono[k] = exp(2.0 * v[k]) + 1.0;
        dec[k] = -v[k] * v[k] * v[k];
    }
    /* Sums of 7 products of order 1: rounding well below 1e-14. */
    CHECK_ABS(fcfit_vec_corr(7, v, v), 1.0, 1e-14);
    CHECK_ABS(fcfit_vec_corr(7, v, neg), -1.0, 1e-14);
    CHECK_ABS(fcfit_vec_spearman(7, v, mono, work), 1.0, 1e-14);
    CHECK_ABS(fcfit_vec_spearman(7, v, dec, work), -1.0, 1e-14);

    /* Average ranks for ties: scipy.stats.spearmanr([1,2,2,3],[1,2,3,4]) = 4.5/sqrt(22.5). */
    double ta[4] = {1.0, 2.0, 2.0, 3.0};
    double tb[4] = {1.0, 2.0, 3.0, 4.0};
    CHECK_ABS(fcfit_vec_spearman(4, ta, tb, work), 4.5 / sqrt(22.5), 1e-15);
    /* Ties placed in reverse input order rank the same. */
    double tc[4] = {3.0, 2.0, 2.0, 1.0};
    double td[4] = {4.0, 3.0, 2.0, 1.0};
    CHECK_ABS(fcfit_vec_spearman(4, tc, td, work), 4.5 / sqrt(22.5), 1e-15);
    double tn[4] = {1.0, NAN, 2.0, 3.0};
    CHECK_TRUE(isnan(fcfit_vec_spearman(4, tn, tb, work)));

    /* RMSE and Frobenius of a matrix with itself are 0; RMSE of shifted vectors is the shift. */
    CHECK_ABS(fcfit_vec_rmse(7, v, v), 0.0, 0.0);
    double shifted[7];
    for (size_t k = 0; k < 7; k++) {
        shifted[k] = v[k] + 0.25;
    }
    CHECK_ABS(fcfit_vec_rmse(7, v, shifted), 0.25, 1e-15);
    CHECK_ABS(fcfit_vec_mean(4, tb), 2.5, 0.0);
    free(work);
}

static void test_fisher(void)
{
    CHECK_ABS(fcfit_fisher_z(0.5), 0.5493061443, TOL_ORACLE);
    CHECK_ABS(fcfit_fisher_z(-0.2), -0.2027325541, TOL_ORACLE);
    CHECK_ABS(fcfit_fisher_z(0.9), 1.4722194896, TOL_ORACLE);
    const double r2[2] = {0.5, 0.9};
    CHECK_ABS(fcfit_fisher_mean(2, r2), 0.7660773416, TOL_ORACLE);

    /* Clipping keeps |r| = 1 finite and symmetric; NaN stays NaN. */
    const double zmax = atanh(1.0 - 1e-7);
    CHECK_ABS(fcfit_fisher_z(1.0), zmax, 0.0);
    CHECK_ABS(fcfit_fisher_z(-1.0), -zmax, 0.0);
    CHECK_ABS(fcfit_fisher_z(1.5), zmax, 0.0);
    CHECK_TRUE(isnan(fcfit_fisher_z(NAN)));
    const double one[3] = {1.0, 1.0, 1.0};
    CHECK_ABS(fcfit_fisher_mean(3, one), 1.0 - 1e-7, 1e-15);
}

static void test_fcd_oracles(void)
{
    double x[NREG * NT];
    double y[NREG * NT];
    double fcdx[FCD_NW * FCD_NW];
    double fcdy[FCD_NW * FCD_NW];
    double fcd2[FCD_NW * FCD_NW];
    double vx[FCD_NVAL];
    double vy[FCD_NVAL];
    make_signals(x, y, NT);
    /* Heap workspace of exactly the documented size, so that ASan catches any overrun. */
    double *work = malloc(fcfit_fcd_work_size(NREG, NT, FCD_W, FCD_STEP) * sizeof(double));
    CHECK_TRUE(work != NULL);
    if (work == NULL) {
        return;
    }

    CHECK_INT(fcfit_fcd_n_windows(NT, FCD_W, FCD_STEP), FCD_NW);
    CHECK_OK(fcfit_fcd(NREG, NT, x, NT, FCD_W, FCD_STEP, fcdx, work));
    CHECK_OK(fcfit_fcd(NREG, NT, y, NT, FCD_W, FCD_STEP, fcdy, work));
    CHECK_INT(fcfit_fcd_values(FCD_NW, fcdx, 1, vx), FCD_NVAL);
    CHECK_INT(fcfit_fcd_values(FCD_NW, fcdy, 1, vy), FCD_NVAL);

    static const double want[8] = {0.916339529,  -0.165543831, -0.683954659, -0.722323034,
                                   -0.726392776, -0.578383981, -0.036874525, 0.979862365};
    for (size_t k = 0; k < 8; k++) {
        CHECK_ABS(vx[k], want[k], TOL_ORACLE);
    }
    CHECK_ABS(fcfit_vec_mean(FCD_NVAL, vx), -0.0073164813, TOL_ORACLE);
    CHECK_ABS(fcfit_vec_mean(FCD_NVAL, vy), -0.1012575179, TOL_ORACLE);

    fcfit_sort(FCD_NVAL, vx);
    fcfit_sort(FCD_NVAL, vy);
    CHECK_ABS(fcfit_ks_sorted(FCD_NVAL, vx, FCD_NVAL, vy), 0.1388888889, TOL_ORACLE);

    /* FCD is symmetric with a unit diagonal, and repeatable bitwise. */
    int sym = 1;
    int diag = 1;
    for (size_t a = 0; a < FCD_NW; a++) {
        if (fcdx[a * FCD_NW + a] != 1.0) {
            diag = 0;
        }
        for (size_t b = 0; b < FCD_NW; b++) {
            if (fcdx[a * FCD_NW + b] != fcdx[b * FCD_NW + a]) {
                sym = 0;
            }
        }
    }
    CHECK_TRUE(sym);
    CHECK_TRUE(diag);
    CHECK_OK(fcfit_fcd(NREG, NT, x, NT, FCD_W, FCD_STEP, fcd2, work));
    CHECK_BITWISE(fcdx, fcd2, FCD_NW * FCD_NW);

    /* Entry (a, b) is the correlation of the two windows' upper-triangle vectors. */
    double fcw[NREG * NREG];
    double u3[NPAIR];
    double u7[NPAIR];
    (void)fcfit_fc_pearson(NREG, FCD_W, x + 3 * FCD_STEP, NT, fcw);
    (void)fcfit_fc_upper(NREG, fcw, u3);
    (void)fcfit_fc_pearson(NREG, FCD_W, x + 7 * FCD_STEP, NT, fcw);
    (void)fcfit_fc_upper(NREG, fcw, u7);
    /* 1e-13: the window sums slide (rounding of a few sums of order 1, cancelled once). */
    CHECK_ABS(fcdx[3 * FCD_NW + 7], fcfit_vec_corr(NPAIR, u3, u7), 1e-13);
    free(work);
}

static void test_fcd_windows_and_offsets(void)
{
    CHECK_INT(fcfit_fcd_n_windows(10, 11, 1), 0);
    CHECK_INT(fcfit_fcd_n_windows(10, 10, 1), 1);
    CHECK_INT(fcfit_fcd_n_windows(10, 10, 7), 1);
    CHECK_INT(fcfit_fcd_n_windows(10, 5, 100), 1);
    CHECK_INT(fcfit_fcd_n_windows(10, 5, 1), 6);
    CHECK_INT(fcfit_fcd_n_windows(10, 5, 2), 3);
    CHECK_INT(fcfit_fcd_n_windows(10, 0, 1), 0);
    CHECK_INT(fcfit_fcd_n_windows(10, 5, 0), 0);

    /* A 9 x 9 matrix with entry (a, b) = 10a + b makes every extracted position visible. */
    double m[FCD_NW * FCD_NW];
    double out[FCD_NW * FCD_NW];
    for (size_t a = 0; a < FCD_NW; a++) {
        for (size_t b = 0; b < FCD_NW; b++) {
            m[a * FCD_NW + b] = 10.0 * (double)a + (double)b;
        }
    }
    CHECK_INT(fcfit_fcd_values(FCD_NW, m, 1, out), FCD_NVAL);
    CHECK_ABS(out[0], 1.0, 0.0);
    CHECK_ABS(out[7], 8.0, 0.0);
    CHECK_ABS(out[8], 12.0, 0.0);
    CHECK_ABS(out[FCD_NVAL - 1], 78.0, 0.0);

    /* k = ceil(W/step) = 4 keeps only non-overlapping pairs: rows 0..4 give 5+4+3+2+1 = 15. */
    CHECK_INT(fcfit_fcd_values(FCD_NW, m, 4, out), 15);
    CHECK_ABS(out[0], 4.0, 0.0);
    CHECK_ABS(out[4], 8.0, 0.0);
    CHECK_ABS(out[5], 15.0, 0.0);
    CHECK_ABS(out[14], 48.0, 0.0);
    CHECK_INT(fcfit_fcd_values(FCD_NW, m, FCD_NW - 1, out), 1);
    CHECK_ABS(out[0], 8.0, 0.0);
    CHECK_INT(fcfit_fcd_values(FCD_NW, m, FCD_NW, out), 0);

    /* W == T: one window, a 1 x 1 FCD equal to 1. */
    double x[NREG * NT];
    double y[NREG * NT];
    double fcd1[1];
    double *work = malloc(fcfit_fcd_work_size(NREG, NT, NT, 1) * sizeof(double));
    make_signals(x, y, NT);
    CHECK_INT(fcfit_fcd_work_size(NREG, NT, NT + 1, 1), 0);
    CHECK_OK(fcfit_fcd(NREG, NT, x, NT, NT, 1, fcd1, work));
    CHECK_ABS(fcd1[0], 1.0, 0.0);
    free(work);

    /* Error paths name the offending value. */
    double big[FCD_NW * FCD_NW];
    double bigwork[1];
    CHECK_FAILS(fcfit_fcd(NREG, NT, x, NT, NT + 1, 1, big, bigwork), FCFIT_ERR_ARG, "W = 61");
    CHECK_FAILS(fcfit_fcd(1, NT, x, NT, 20, 5, big, bigwork), FCFIT_ERR_ARG, "n = 1");
    CHECK_FAILS(fcfit_fcd(NREG, NT, x, NT, 20, 0, big, bigwork), FCFIT_ERR_ARG, "step = 0");
    CHECK_FAILS(fcfit_fcd(NREG, NT, x, NT, 1, 1, big, bigwork), FCFIT_ERR_ARG, "W = 1");
    CHECK_FAILS(fcfit_fcd(NREG, NT, x, NT - 1, 20, 5, big, bigwork), FCFIT_ERR_ARG, "ld = 59");
}

static void test_ks(void)
{
    const double a[5] = {0.1, 0.2, 0.2, 0.5, 0.9};
    const double b[6] = {0.15, 0.2, 0.3, 0.35, 0.4, 1.0};
    CHECK_ABS(fcfit_ks_sorted(5, a, 6, b), 0.2666666667, TOL_ORACLE);
    const double dab[1] = {fcfit_ks_sorted(5, a, 6, b)};
    const double dba[1] = {fcfit_ks_sorted(6, b, 5, a)};
    CHECK_BITWISE(dab, dba, 1);
    CHECK_ABS(fcfit_ks_sorted(5, a, 5, a), 0.0, 0.0);
    CHECK_ABS(fcfit_ks_sorted(6, b, 6, b), 0.0, 0.0);

    /*
     * Ties across the samples: F_a jumps to 1 at the value 1 and F_b only to
     * 1/2, so D = 1/2. Advancing through a tie one sample at a time would
     * report |3/4 - 0| or more instead.
     */
    const double ta[4] = {0.0, 1.0, 1.0, 1.0};
    const double tb[4] = {1.0, 1.0, 2.0, 2.0};
    CHECK_ABS(fcfit_ks_sorted(4, ta, 4, tb), 0.5, 0.0);
    CHECK_ABS(fcfit_ks_sorted(4, tb, 4, ta), 0.5, 0.0);
    /* Identical multisets with heavy ties have distance 0; disjoint samples have 1. */
    const double tc[6] = {1.0, 1.0, 1.0, 2.0, 2.0, 3.0};
    const double td[6] = {1.0, 1.0, 1.0, 2.0, 2.0, 3.0};
    CHECK_ABS(fcfit_ks_sorted(6, tc, 6, td), 0.0, 0.0);
    const double lo[3] = {-3.0, -2.0, -1.0};
    CHECK_ABS(fcfit_ks_sorted(3, lo, 6, tc), 1.0, 0.0);
    /* -0.0 and +0.0 are one value. */
    const double z1[2] = {-0.0, 1.0};
    const double z2[2] = {0.0, 1.0};
    CHECK_ABS(fcfit_ks_sorted(2, z1, 2, z2), 0.0, 0.0);
    CHECK_TRUE(isnan(fcfit_ks_sorted(0, a, 6, b)));

    /* Sorting: ascending, -0.0 before +0.0, NaNs last. */
    double s[8] = {3.0, NAN, -1.0, 0.0, -0.0, INFINITY, -INFINITY, 2.0};
    fcfit_sort(8, s);
    CHECK_TRUE(s[0] == -INFINITY && s[1] == -1.0 && signbit(s[2]) && s[2] == 0.0 &&
               !signbit(s[3]) && s[3] == 0.0 && s[4] == 2.0 && s[5] == 3.0 &&
               s[6] == INFINITY && isnan(s[7]));
    CHECK_INT(fcfit_fc_compare_total(NAN, NAN), 0);
    CHECK_INT(fcfit_fc_compare_total(1.0, NAN), -1);
}

static void test_preprocessing(void)
{
    enum { T = 50, LD = 53 };
    double x[3 * LD];
    for (size_t t = 0; t < T; t++) {
        const double dt = (double)t;
        x[0 * LD + t] = 2.385 - 0.0173 * dt;
        x[1 * LD + t] = 1e3 + 7.5 * dt;
        x[2 * LD + t] = 0.1;
    }
    for (size_t i = 0; i < 3; i++) {
        for (size_t t = T; t < LD; t++) {
            x[i * LD + t] = 99.0;
        }
    }
    fcfit_detrend(3, T, x, LD);
    double worst = 0.0;
    for (size_t i = 0; i < 3; i++) {
        for (size_t t = 0; t < T; t++) {
            worst = fmax(worst, fabs(x[i * LD + t]));
        }
    }
    /* An exact line (even with offset 1e3 and slope 7.5) leaves rounding residue only. */
    CHECK_ABS(worst, 0.0, 1e-12);
    CHECK_TRUE(x[0 * LD + T] == 99.0 && x[2 * LD + LD - 1] == 99.0);

    /* Detrending keeps the residual of line + sinusoid orthogonal to 1 and t. */
    double s[T];
    for (size_t t = 0; t < T; t++) {
        const double dt = (double)t;
        s[t] = 0.5 + 0.02 * dt + sin(0.7 * dt);
    }
    fcfit_detrend(1, T, s, T);
    double s0 = 0.0;
    double s1 = 0.0;
    for (size_t t = 0; t < T; t++) {
        s0 += s[t];
        s1 += (double)t * s[t];
    }
    CHECK_ABS(s0, 0.0, 1e-12);
    CHECK_ABS(s1, 0.0, 1e-10);

    /* Demeaning gives zero-mean series; a constant becomes exactly zero. */
    double d[2 * T];
    for (size_t t = 0; t < T; t++) {
        d[t] = 0.1;
        d[T + t] = cos(0.3 * (double)t) + 4.0;
    }
    fcfit_demean(2, T, d, T);
    int exact_zero = 1;
    for (size_t t = 0; t < T; t++) {
        if (d[t] != 0.0) {
            exact_zero = 0;
        }
    }
    CHECK_TRUE(exact_zero);
    CHECK_ABS(fcfit_vec_mean(T, d + T), 0.0, 1e-15);
}

/*
 * Smooth pseudo-random series (an AR(2) filter of a fixed uniform sequence)
 * with a non-zero mean, like band-passed BOLD with an offset.
 */
static void make_series(size_t n, size_t T, double *x, unsigned seed)
{
    uint64_t z = 0x9E3779B97F4A7C15ULL * (seed + 1);
    for (size_t i = 0; i < n; i++) {
        double a = 0.0, b = 0.0;
        for (size_t t = 0; t < T; t++) {
            z = z * 6364136223846793005ULL + 1442695040888963407ULL;
            const double u = (double)(z >> 11) * 0x1p-53 - 0.5;
            const double v = 1.6 * a - 0.7 * b + u;
            b = a;
            a = v;
            x[i * T + t] = 3.0 + 0.1 * (double)i + v;
        }
    }
}

/* The definition, term by term: window FC vectors, centred, unit norm, dot products. */
static void fcd_reference(size_t n, size_t T, const double *x, size_t W, size_t step, double *fcd)
{
    const size_t nw = fcfit_fcd_n_windows(T, W, step), M = n * (n - 1) / 2;
    double *v = malloc(nw * M * sizeof(double)), *fc = malloc(n * n * sizeof(double));
    for (size_t a = 0; a < nw; a++) {
        (void)fcfit_fc_pearson(n, W, x + a * step, T, fc);
        (void)fcfit_fc_upper(n, fc, v + a * M);
    }
    for (size_t a = 0; a < nw; a++) {
        for (size_t b = 0; b < nw; b++) {
            fcd[a * nw + b] = a == b ? 1.0 : fcfit_vec_corr(M, v + a * M, v + b * M);
        }
    }
    free(v);
    free(fc);
}

/* The BLAS forms against the two-pass definitions (FC to 1e-12, FCD to 1e-10). */
static void test_fc_blas_forms(void)
{
    enum { N = 23, T = 400, W = 37, STEP = 3 };
    const size_t nw = fcfit_fcd_n_windows(T, W, STEP);
    double *x = malloc(N * T * sizeof(double)), *xc = malloc(N * T * sizeof(double));
    double *fa = malloc(N * N * sizeof(double)), *fb = malloc(N * N * sizeof(double));
    double *ref = malloc(nw * nw * sizeof(double)), *got = malloc(nw * nw * sizeof(double));
    double *got2 = malloc(nw * nw * sizeof(double));
    double *work = malloc(fcfit_fcd_work_size(N, T, W, STEP) * sizeof(double));
    double e = 0.0;

    make_series(N, T, x, 7);
    /* Region 5 constant from t = 100 to 199: degenerate in the windows inside that range. */
    for (size_t t = 100; t < 200; t++) {
        x[5 * T + t] = 2.5;
    }
    for (size_t k = 0; k < N * T; k++) {
        xc[k] = x[k];
    }
    CHECK_INT(fcfit_fc_pearson(N, T, x, T, fa), 0);
    CHECK_INT(fcfit_fc_pearson_inplace(N, T, xc, T, fb), 0);
    for (size_t k = 0; k < N * N; k++) {
        e = fmax(e, fabs(fa[k] - fb[k]));
    }
    CHECK_ABS(e, 0.0, 1e-12);
    for (size_t i = 0; i < N; i++) {
        CHECK_TRUE(fb[i * N + i] == 1.0);
    }
    /* A constant region is degenerate in both forms (zero row and column, diagonal 0). */
    for (size_t t = 0; t < T; t++) {
        xc[3 * T + t] = -1.25;
    }
    CHECK_INT(fcfit_fc_pearson_inplace(N, T, xc, T, fb), 1);
    CHECK_TRUE(fb[3 * N + 3] == 0.0 && fb[3 * N + 7] == 0.0 && fb[7 * N + 3] == 0.0);

    fcd_reference(N, T, x, W, STEP, ref);
    CHECK_OK(fcfit_fcd(N, T, x, T, W, STEP, got, work));
    e = 0.0;
    for (size_t k = 0; k < nw * nw; k++) {
        e = fmax(e, fabs(ref[k] - got[k]));
    }
    printf("     FCD, sliding sums vs two-pass definition: max |difference| %.3g\n", e);
    CHECK_ABS(e, 0.0, 1e-10);
    /* Several blocks of window vectors (5 windows each) give the same matrix to rounding. */
    CHECK_OK(fcfit_fcd_blocked(N, T, x, T, W, STEP, 5, got2, work));
    e = 0.0;
    for (size_t k = 0; k < nw * nw; k++) {
        e = fmax(e, fabs(got2[k] - got[k]));
    }
    CHECK_ABS(e, 0.0, 1e-12);
    free(x);
    free(xc);
    free(fa);
    free(fb);
    free(ref);
    free(got);
    free(got2);
    free(work);
}

/* The radix sort orders exactly as the comparison sort, special values included. */
static void test_sort_work(void)
{
    enum { M = 5000 };
    double *a = malloc(M * sizeof(double)), *b = malloc(M * sizeof(double));
    double *w = malloc(M * sizeof(double));
    uint64_t z = 12345;
    int same = 1;
    for (size_t k = 0; k < M; k++) {
        z = z * 6364136223846793005ULL + 1442695040888963407ULL;
        a[k] = ldexp((double)(z >> 11) * 0x1p-53 - 0.5, (int)(z % 40) - 20);
    }
    /* Specials, duplicates and a run of equal values. */
    const double sp[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, -NAN, 4.9e-324, -4.9e-324,
                         1.0, 1.0, -1.0, 0.0, -0.0, 2.2250738585072014e-308};
    for (size_t k = 0; k < sizeof sp / sizeof sp[0]; k++) {
        a[37 * k] = sp[k];
    }
    for (size_t k = 0; k < M; k++) {
        b[k] = a[k];
    }
    fcfit_sort(M, a);
    fcfit_sort_work(M, b, w);
    for (size_t k = 0; k < M; k++) {
        if (isnan(a[k]) != isnan(b[k]) ||
            (!isnan(a[k]) && (a[k] != b[k] || signbit(a[k]) != signbit(b[k])))) {
            same = 0;
        }
    }
    CHECK_TRUE(same);
    CHECK_TRUE(isnan(b[M - 1]) && isnan(b[M - 2]) && b[0] == -INFINITY);
    fcfit_sort_work(1, b, w); /* a single value is left alone */
    CHECK_TRUE(b[0] == -INFINITY);
    free(a);
    free(b);
    free(w);
}

int main(void)
{
    test_fc_oracles();
    test_fc_properties();
    test_fc_degenerate();
    test_vec_metrics();
    test_fisher();
    test_fcd_oracles();
    test_fcd_windows_and_offsets();
    test_fc_blas_forms();
    test_sort_work();
    test_ks();
    test_preprocessing();
    return fcfit_test_finish();
}
