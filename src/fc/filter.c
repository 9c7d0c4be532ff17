/*
 * filter.c: Butterworth band-pass design and zero-phase forward-backward
 * filtering, reproducing scipy.signal.butter(N, [lo/fn, hi/fn], btype='band')
 * and scipy.signal.filtfilt(b, a, x) with its defaults (docs/fc-metrics.md).
 *
 * Design, for a prototype order N (1..8), in the zero-pole-gain form:
 *   1. Analog low-pass prototype: no zeros, gain 1, poles on the left half of
 *      the unit circle, p_m = -exp(i*pi*m/(2N)) for m = -N+1, -N+3, ..., N-1.
 *   2. Pre-warp the normalised edges W = f/fn as Om = 4*tan(pi*W/2) (the
 *      bilinear transform below uses an internal sampling rate of 2), and
 *      move to a band-pass of width BW = Om2 - Om1 around w0 = sqrt(Om1*Om2):
 *      each prototype pole p gives q +- sqrt(q^2 - w0^2) with q = p*BW/2, N
 *      zeros appear at s = 0 and the gain becomes BW^N.
 *   3. Bilinear transform with 2*fs = 4: z = (4 + s)/(4 - s). The N zeros at
 *      s = 0 go to z = +1, the N zeros at infinity to z = -1, and the gain is
 *      multiplied by the real part of prod(4 - s_zero)/prod(4 - s_pole).
 *   4. Expand the numerator and denominator polynomials from their roots in
 *      the same order as numpy.poly; the poles come in conjugate pairs, so the
 *      real part of the expansion is the exact result up to rounding.
 *
 * Filtering uses the direct form II transposed recursion of lfilter. The
 * forward-backward pass pads both ends of the series with P = 3*len samples
 * of its odd extension (2*x[0] - x[P..1] before, 2*x[T-1] - x[T-2..T-1-P]
 * after), starts each pass from the steady state of a step scaled by its
 * first input sample, and keeps the middle T samples of the result.
 */
#include "fcfit/fcfit_fc.h"

#include <complex.h>
#include <math.h>

#include "fc/fc_impl.h"

/* Highest prototype order; the band-pass then has 2*8 + 1 = FCFIT_IIR_MAX coefficients. */
#define FILTER_MAX_ORDER 8

/* Coefficients of prod_k (z - r_k) for the n roots r, highest power first, into c[0..n]. */
static void filter_poly(size_t n, const double complex *r, double complex *c)
{
    c[0] = 1.0;
    for (size_t d = 0; d < n; d++) {
        c[d + 1] = 0.0;
        for (size_t k = d + 1; k > 0; k--) {
            c[k] -= r[d] * c[k - 1];
        }
    }
}

fcfit_status fcfit_butter_bandpass(size_t order, double tr_s, double lo_hz, double hi_hz,
                                   fcfit_iir *out)
{
    FCFIT_REQUIRE(out != NULL, FCFIT_ERR_ARG, "band-pass design: output filter is NULL");
    FCFIT_REQUIRE(order >= 1 && order <= FILTER_MAX_ORDER, FCFIT_ERR_ARG,
                  "Butterworth order %zu is out of range; expected 1 to %d", order,
                  FILTER_MAX_ORDER);
    FCFIT_REQUIRE(tr_s > 0.0 && isfinite(tr_s), FCFIT_ERR_ARG,
                  "band-pass design: TR = %g s; expected a positive finite value", tr_s);
    const double fn = 0.5 / tr_s;
    /* The comparisons are written so that NaN edges fail them too. */
    FCFIT_REQUIRE(lo_hz > 0.0, FCFIT_ERR_ARG,
                  "band-pass edges %g Hz to %g Hz: the low edge must be above 0 Hz", lo_hz,
                  hi_hz);
    FCFIT_REQUIRE(hi_hz > lo_hz, FCFIT_ERR_ARG,
                  "band-pass edges %g Hz to %g Hz are out of order; the low edge must be below "
                  "the high edge",
                  lo_hz, hi_hz);
    FCFIT_REQUIRE(hi_hz < fn, FCFIT_ERR_ARG,
                  "band-pass edges %g Hz to %g Hz: the high edge must be below the Nyquist "
                  "frequency %g Hz (TR = %g s)",
                  lo_hz, hi_hz, fn, tr_s);

    const size_t N = order;
    const double pi = acos(-1.0);
    const double om1 = 4.0 * tan(pi * (lo_hz / fn) / 2.0);
    const double om2 = 4.0 * tan(pi * (hi_hz / fn) / 2.0);
    const double bw = om2 - om1;
    const double w0 = sqrt(om1 * om2);

    /* Analog band-pass poles: the "+" branch of every prototype pole, then the "-" branch. */
    double complex s_pole[2 * FILTER_MAX_ORDER];
    for (size_t q = 0; q < N; q++) {
        const double m = 2.0 * (double)q - (double)N + 1.0;
        const double complex p = -cexp(CMPLX(0.0, pi * m / (2.0 * (double)N)));
        const double complex pl = p * (bw / 2.0);
        const double complex disc = csqrt(pl * pl - w0 * w0);
        s_pole[q] = pl + disc;
        s_pole[N + q] = pl - disc;
    }

    double complex z_pole[2 * FILTER_MAX_ORDER];
    double complex z_zero[2 * FILTER_MAX_ORDER];
    double complex den = 1.0;
    for (size_t q = 0; q < 2 * N; q++) {
        z_pole[q] = (4.0 + s_pole[q]) / (4.0 - s_pole[q]);
        den *= 4.0 - s_pole[q];
    }
    double num = 1.0;
    double gain = 1.0;
    for (size_t q = 0; q < N; q++) {
        z_zero[q] = 1.0;
        z_zero[N + q] = -1.0;
        num *= 4.0;
        gain *= bw;
    }
    gain *= creal(num / den);

    double complex cb[FCFIT_IIR_MAX];
    double complex ca[FCFIT_IIR_MAX];
    filter_poly(2 * N, z_zero, cb);
    filter_poly(2 * N, z_pole, ca);

    out->len = 2 * N + 1;
    for (size_t k = 0; k < FCFIT_IIR_MAX; k++) {
        out->b[k] = (k < out->len) ? gain * creal(cb[k]) : 0.0;
        out->a[k] = (k < out->len) ? creal(ca[k]) : 0.0;
    }
    return FCFIT_OK;
}

size_t fcfit_filtfilt_min_length(const fcfit_iir *f) { return 3 * f->len + 1; }

size_t fcfit_filtfilt_work_size(const fcfit_iir *f, size_t T) { return T + 6 * f->len; }

/*
 * Sum of v[0..n-1] with a running compensation of the rounding error
 * (Neumaier's improvement of Kahan summation, Z. Angew. Math. Mech. 54,
 * 1974). The result is accurate to a few ulps of the sum even when the terms
 * cancel almost completely, which is the case for sum(a) below.
 */
static double filter_sum_compensated(size_t n, const double *v)
{
    double s = 0.0;
    double c = 0.0;
    for (size_t k = 0; k < n; k++) {
        const double t = s + v[k];
        if (fabs(s) >= fabs(v[k])) {
            c += (s - t) + v[k];
        } else {
            c += (v[k] - t) + s;
        }
        s = t;
    }
    return s + c;
}

void fcfit_fc_filter_zi(const fcfit_iir *f, double *zi)
{
    /*
     * In the steady state of a unit step the output is y = sum(b)/sum(a), and
     * the transposed-form recursion z[k] = b[k+1] - a[k+1]*y + z[k+1] (with the
     * last state z[len-2] = b[len-1] - a[len-1]*y) gives every state directly.
     * This is the solution of scipy's linear system (I - A^T) zi = b[1:] -
     * a[1:]*b[0] without forming the matrix.
     *
     * sum(a) = prod(1 - p) is tiny for band-passes far below Nyquist (about
     * 3e-13 for order 8 at TR 0.72 s, 0.01-0.1 Hz, from terms up to 1e4), and
     * a plain sum loses every digit of it; so do an LU solve of the system
     * (relative errors from 1e-12 at order 2 to far above 1 at order 8 there).
     * With compensated sums the states agree with a quadruple-precision
     * evaluation to about 1e-16 relative for every order.
     */
    const size_t nz = f->len - 1;
    if (nz == 0) {
        return;
    }
    const double y = filter_sum_compensated(f->len, f->b) / filter_sum_compensated(f->len, f->a);
    zi[nz - 1] = f->b[nz] - f->a[nz] * y;
    for (size_t k = nz - 1; k > 0; k--) {
        zi[k - 1] = (f->b[k] - f->a[k] * y) + zi[k];
    }
}

/*
 * One pass of the direct form II transposed filter over v[0..L-1] in place,
 * forwards or backwards, from the state z (len - 1 values, updated).
 */
static void filter_pass(const fcfit_iir *restrict f, double *restrict z, double *restrict v,
                        size_t L, int backwards)
{
    const size_t nz = f->len - 1;
    const double *b = f->b;
    const double *a = f->a;
    for (size_t n = 0; n < L; n++) {
        const size_t idx = backwards ? L - 1 - n : n;
        const double xn = v[idx];
        const double yn = (nz > 0) ? b[0] * xn + z[0] : b[0] * xn;
        for (size_t k = 0; k + 1 < nz; k++) {
            z[k] = (b[k + 1] * xn - a[k + 1] * yn) + z[k + 1];
        }
        if (nz > 0) {
            z[nz - 1] = b[nz] * xn - a[nz] * yn;
        }
        v[idx] = yn;
    }
}

fcfit_status fcfit_filtfilt(const fcfit_iir *f, size_t T, const double *x, double *y,
                            double *work)
{
    FCFIT_REQUIRE(f != NULL && x != NULL && y != NULL && work != NULL, FCFIT_ERR_ARG,
                  "filtfilt: filter, input, output and workspace must not be NULL");
    FCFIT_REQUIRE(f->len >= 1 && f->len <= FCFIT_IIR_MAX, FCFIT_ERR_ARG,
                  "filtfilt: filter has %zu coefficients; expected 1 to %d", f->len,
                  FCFIT_IIR_MAX);
    FCFIT_REQUIRE(f->a[0] == 1.0, FCFIT_ERR_ARG,
                  "filtfilt: filter coefficient a[0] = %g; expected 1 (normalised)", f->a[0]);
    const size_t min_len = fcfit_filtfilt_min_length(f);
    FCFIT_REQUIRE(T >= min_len, FCFIT_ERR_ARG,
                  "filtfilt: series of length T = %zu is too short for a filter with %zu "
                  "coefficients; need at least %zu samples",
                  T, f->len, min_len);

    double zi[FCFIT_IIR_MAX];
    double z[FCFIT_IIR_MAX];
    const size_t nz = f->len - 1;
    fcfit_fc_filter_zi(f, zi);
    for (size_t k = 0; k < nz; k++) {
        FCFIT_REQUIRE(isfinite(zi[k]), FCFIT_ERR_ARG,
                      "filtfilt: the filter has no finite steady state (pole at z = 1?); "
                      "initial state %zu is %g",
                      k, zi[k]);
    }

    /* Odd extension by P samples on each side: ext = [pre, x, post], length T + 2P. */
    const size_t P = 3 * f->len;
    const size_t L = T + 2 * P;
    double *ext = work;
    const double x0 = x[0];
    const double xl = x[T - 1];
    for (size_t k = 0; k < P; k++) {
        ext[k] = 2.0 * x0 - x[P - k];
        ext[P + T + k] = 2.0 * xl - x[T - 2 - k];
    }
    for (size_t t = 0; t < T; t++) {
        ext[P + t] = x[t];
    }

    for (size_t k = 0; k < nz; k++) {
        z[k] = zi[k] * ext[0];
    }
    filter_pass(f, z, ext, L, 0);
    for (size_t k = 0; k < nz; k++) {
        z[k] = zi[k] * ext[L - 1];
    }
    filter_pass(f, z, ext, L, 1);

    for (size_t t = 0; t < T; t++) {
        y[t] = ext[P + t];
    }
    return FCFIT_OK;
}
