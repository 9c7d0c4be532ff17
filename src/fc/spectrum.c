/*
 * spectrum.c: per-region peak frequency of a band-passed periodogram (see
 * fcfit_spectrum.h for the contract).
 *
 * FFT: GSL's in-place radix-2 real transform on a zero-padded copy, so that
 * no wavetable or GSL workspace is needed and the caller's work array is the
 * only memory touched. Zero padding to >= 4*T samples puts the grid at a
 * quarter of the natural resolution or finer, which keeps the bias of the
 * three-point log-parabola refinement on the rectangular window's main lobe
 * far below one natural bin.
 *
 * Work layout: [0, nfft) padded series and its half-complex transform;
 * [nfft, nfft + filtfilt work) the filter's workspace.
 */
#include "fcfit/fcfit_spectrum.h"

#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_fft_real.h>

#include "fcfit/fcfit_fc.h"

size_t fcfit_peak_frequency_fft_length(size_t T)
{
    size_t m = 1;
    while (m < 4 * T) {
        m <<= 1;
    }
    return m;
}

static size_t filter_len(void) { return 2 * FCFIT_PEAK_FILTER_ORDER + 1; }

size_t fcfit_peak_frequency_work_size(size_t T)
{
    fcfit_iir f;
    memset(&f, 0, sizeof f);
    f.len = filter_len();
    return fcfit_peak_frequency_fft_length(T) + fcfit_filtfilt_work_size(&f, T);
}

/* Power of bin k of a half-complex radix-2 transform of length m (GSL layout). */
static double hc_power(const double *h, size_t m, size_t k)
{
    if (k == 0 || k == m / 2) {
        return h[k] * h[k];
    }
    return h[k] * h[k] + h[m - k] * h[m - k];
}

fcfit_status fcfit_peak_frequency(size_t n, size_t T, const double *x, size_t ld, double tr_s,
                                  double lo_hz, double hi_hz, double *f_hz, double *work)
{
    fcfit_iir filt;
    const size_t m = fcfit_peak_frequency_fft_length(T);
    double *buf = work, *fwork = work + m;
    double df, klo_d, khi_d;
    size_t klo, khi;

    FCFIT_REQUIRE(ld >= T, FCFIT_ERR_ARG, "peak frequency: leading dimension %zu < length %zu", ld,
                  T);
    FCFIT_REQUIRE(isfinite(tr_s) && tr_s > 0.0, FCFIT_ERR_ARG,
                  "peak frequency: sampling period %g s; expected > 0", tr_s);
    FCFIT_CHECK(fcfit_butter_bandpass(FCFIT_PEAK_FILTER_ORDER, tr_s, lo_hz, hi_hz, &filt));
    FCFIT_REQUIRE(T >= fcfit_filtfilt_min_length(&filt), FCFIT_ERR_ARG,
                  "peak frequency: series of %zu samples; the band-pass needs at least %zu", T,
                  fcfit_filtfilt_min_length(&filt));
    df = 1.0 / ((double)m * tr_s); /* padded bin width, Hz */
    klo_d = ceil(lo_hz / df);
    khi_d = floor(hi_hz / df);
    klo = klo_d < 1.0 ? 1 : (size_t)klo_d;
    khi = khi_d > (double)(m / 2) ? m / 2 : (size_t)khi_d;
    FCFIT_REQUIRE(klo <= khi, FCFIT_ERR_ARG,
                  "peak frequency: no frequency bin (width %g Hz) inside [%g, %g] Hz", df, lo_hz,
                  hi_hz);

    for (size_t i = 0; i < n; i++) {
        const double *xi = x + i * ld;
        double mean = 0.0, best = -1.0, delta = 0.0;
        size_t kb = klo;
        int finite = 1;

        for (size_t t = 0; t < T; t++) {
            mean += xi[t];
        }
        mean /= (double)T;
        for (size_t t = 0; t < T; t++) {
            buf[t] = xi[t] - mean;
        }
        if (!isfinite(mean)) {
            f_hz[i] = NAN;
            continue;
        }
        FCFIT_CHECK(fcfit_filtfilt(&filt, T, buf, buf, fwork));
        for (size_t t = T; t < m; t++) {
            buf[t] = 0.0;
        }
        /* A power-of-two length cannot fail; the status is checked all the same. */
        FCFIT_REQUIRE(gsl_fft_real_radix2_transform(buf, 1, m) == GSL_SUCCESS, FCFIT_ERR_INTERNAL,
                      "peak frequency: FFT of length %zu failed", m);
        for (size_t k = klo; k <= khi; k++) {
            double pk = hc_power(buf, m, k);
            if (!isfinite(pk)) {
                finite = 0;
                break;
            }
            if (pk > best) {
                best = pk;
                kb = k;
            }
        }
        if (!finite || !(best > 0.0)) {
            f_hz[i] = NAN;
            continue;
        }
        if (kb >= 1 && kb + 1 <= m / 2) {
            const double pl = hc_power(buf, m, kb - 1), pr = hc_power(buf, m, kb + 1);
            if (pl > 0.0 && pr > 0.0) {
                const double l = log(pl), c = log(best), r = log(pr);
                const double den = l - 2.0 * c + r;
                if (den < 0.0) {
                    delta = 0.5 * (l - r) / den;
                    delta = delta > 0.5 ? 0.5 : (delta < -0.5 ? -0.5 : delta);
                }
            }
        }
        f_hz[i] = ((double)kb + delta) * df;
    }
    return FCFIT_OK;
}
