/**
 * @file fcfit_spectrum.h
 * Spectral helpers on regional time series (regions x time, x[i*ld + t]).
 *
 * fcfit_peak_frequency estimates each region's dominant frequency inside a
 * band, as used to set the Hopf model's omega_i = 2*pi*f_i from empirical
 * BOLD (Deco et al. 2017; docs/models/hopf.md). Nothing here allocates or prints.
 */
#ifndef FCFIT_SPECTRUM_H
#define FCFIT_SPECTRUM_H

#include <stddef.h>

#include "fcfit/fcfit_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Butterworth prototype order of the band-pass applied before the periodogram. */
#define FCFIT_PEAK_FILTER_ORDER 2

/**
 * Length of the zero-padded FFT used for series of length T: the smallest
 * power of two >= 4*T (the periodogram is evaluated on a grid four or more
 * times finer than the natural resolution 1/(T*TR)).
 */
size_t fcfit_peak_frequency_fft_length(size_t T);

/** Workspace size in doubles needed by fcfit_peak_frequency for series of length T. */
size_t fcfit_peak_frequency_work_size(size_t T);

/**
 * Peak frequency of each of n series x[i*ld + t], 0 <= t < T, sampled every
 * tr_s seconds. For each region: copy, remove the mean, band-pass with a
 * zero-phase Butterworth filter of order FCFIT_PEAK_FILTER_ORDER and the same
 * band [lo_hz, hi_hz] (fcfit_butter_bandpass + fcfit_filtfilt), zero-pad to
 * fcfit_peak_frequency_fft_length(T) and take the periodogram with GSL's
 * radix-2 real FFT (rectangular window). The bin of largest power whose
 * frequency lies in [lo_hz, hi_hz] is refined by fitting a parabola to the
 * log power of that bin and its two neighbours; the refined frequency (Hz)
 * goes to f_hz[i] and may lie up to half a padded bin outside the band when
 * the peak is at an edge. A series with no power in the band (constant) or
 * with non-finite values gives f_hz[i] = NaN.
 *
 * @param work  fcfit_peak_frequency_work_size(T) doubles, not overlapping x or f_hz
 * @return FCFIT_ERR_ARG when ld < T, tr_s <= 0, the band is invalid for the
 *         sampling rate (message from fcfit_butter_bandpass), T is shorter than
 *         the filter needs, or no frequency bin lies inside the band.
 */
fcfit_status fcfit_peak_frequency(size_t n, size_t T, const double *x, size_t ld, double tr_s,
                                  double lo_hz, double hi_hz, double *f_hz, double *work);

#ifdef __cplusplus
}
#endif
#endif /* FCFIT_SPECTRUM_H */
