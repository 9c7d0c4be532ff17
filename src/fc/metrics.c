/*
 * metrics.c: scores that compare two FC vectors or matrices, and Fisher-z
 * averaging of correlations (docs/fc-metrics.md).
 *
 * - Spearman: Pearson correlation of the ranks, ties given their average
 *   rank (as scipy.stats.spearmanr); any NaN in the input gives NaN.
 * - RMSE over M entries: sqrt(sum (a - b)^2 / M).
 * - Frobenius distance over all n*n entries: sqrt(sum (a - b)^2).
 * - Fisher z = atanh(r) with |r| clipped to 1 - 1e-7, so that a perfect
 *   correlation maps to a large finite value; averages of correlations are
 *   taken in z and mapped back with tanh.
 *
 * The means of an empty vector (and the RMSE or Fisher mean of one) are NaN,
 * as 0/0 is. Sums run in index order so results are reproducible.
 */
#include "fcfit/fcfit_fc.h"

#include <math.h>
#include <stdlib.h>

#include "fc/fc_impl.h"

/* Largest |r| kept by the Fisher transform (docs/fc-metrics.md). */
#define METRICS_FISHER_RMAX (1.0 - 1e-7)

/*
 * The ranking sorts (value, original index) pairs stored as two consecutive
 * doubles. Breaking ties by index makes the permutation unique, so the
 * unstable qsort cannot make results depend on the C library.
 */
static int metrics_compare_pair(const void *pa, const void *pb)
{
    const double *a = pa;
    const double *b = pb;
    const int c = fcfit_fc_compare_total(a[0], b[0]);
    if (c != 0) {
        return c;
    }
    return (a[1] > b[1]) - (a[1] < b[1]);
}

/* Average ranks (1-based) of v[0..m-1] into rank; pairs holds 2*m doubles of scratch. */
static void metrics_rank(size_t m, const double *restrict v, double *restrict rank,
                         double *restrict pairs)
{
    for (size_t k = 0; k < m; k++) {
        pairs[2 * k] = v[k];
        pairs[2 * k + 1] = (double)k;
    }
    qsort(pairs, m, 2 * sizeof(double), metrics_compare_pair);
    size_t first = 0;
    while (first < m) {
        size_t last = first;
        while (last + 1 < m && pairs[2 * (last + 1)] == pairs[2 * first]) {
            last++;
        }
        /* Positions first..last share the mean of the ranks first+1..last+1. */
        const double r = 0.5 * ((double)first + (double)last) + 1.0;
        for (size_t k = first; k <= last; k++) {
            rank[(size_t)pairs[2 * k + 1]] = r;
        }
        first = last + 1;
    }
}

double fcfit_vec_spearman(size_t m, const double *a, const double *b, double *work)
{
    for (size_t k = 0; k < m; k++) {
        if (isnan(a[k]) || isnan(b[k])) {
            return NAN;
        }
    }
    double *pairs = work;
    double *ra = work + 2 * m;
    double *rb = work + 3 * m;
    metrics_rank(m, a, ra, pairs);
    metrics_rank(m, b, rb, pairs);
    return fcfit_vec_corr(m, ra, rb);
}

double fcfit_vec_rmse(size_t m, const double *a, const double *b)
{
    double s = 0.0;
    for (size_t k = 0; k < m; k++) {
        const double d = a[k] - b[k];
        s += d * d;
    }
    return sqrt(s / (double)m);
}

double fcfit_fc_frobenius(size_t n, const double *a, const double *b)
{
    double s = 0.0;
    for (size_t k = 0; k < n * n; k++) {
        const double d = a[k] - b[k];
        s += d * d;
    }
    return sqrt(s);
}

double fcfit_vec_mean(size_t m, const double *a)
{
    double s = 0.0;
    for (size_t k = 0; k < m; k++) {
        s += a[k];
    }
    return s / (double)m;
}

double fcfit_fisher_z(double r)
{
    /* Comparisons rather than fmin/fmax, so that a NaN stays NaN. */
    if (r > METRICS_FISHER_RMAX) {
        r = METRICS_FISHER_RMAX;
    } else if (r < -METRICS_FISHER_RMAX) {
        r = -METRICS_FISHER_RMAX;
    }
    return atanh(r);
}

double fcfit_fisher_mean(size_t m, const double *r)
{
    double s = 0.0;
    for (size_t k = 0; k < m; k++) {
        s += fcfit_fisher_z(r[k]);
    }
    return tanh(s / (double)m);
}
