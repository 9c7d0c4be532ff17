/**
 * @file fcfit_diag.h
 * What lies behind a score: per-simulation diagnostics and the flags that
 * mark a suspect fit (docs/fc-metrics.md, "Diagnostics and warnings").
 *
 * Every evaluation (one replicate) yields FCFIT_DIAG_COUNT numbers, in this
 * fixed order (names in fcfit_diag_names):
 *
 *   drive_mean, drive_min, drive_max  mean, smallest and largest over regions
 *                                     of each region's time mean of the BOLD
 *                                     drive after the transient (the model's
 *                                     drive unit: a rate in Hz for DMF, S for RWW)
 *   fc_mean, fc_sd                    mean and standard deviation over region
 *                                     pairs of the simulated FC (upper triangle)
 *   fc_half_corr                      Pearson correlation of the FC of the first
 *                                     and of the second half of the scored BOLD
 *   fc_corr_half1, fc_corr_half2      fc_corr (mean over target subjects) of the
 *                                     FC of each half; NaN without a target
 *   fcd_median                        median of the simulated FCD values (NaN
 *                                     without FCD)
 *
 * The halves are cut from the preprocessed (detrended or demeaned, band-passed)
 * series of the whole scored window, so filtering is the same as for the full
 * FC; half 1 holds the first floor(T/2) volumes.
 *
 * A row of a results file holds the mean of each diagnostic over its
 * replicates (in replicate order) and the flags computed from those means:
 *
 *   FCFIT_FLAG_FC_SATURATED  fc_mean > FCFIT_DIAG_LIMIT_SATURATED (0.9): the regions
 *                            move together; the FC has little structure left
 *   FCFIT_FLAG_FC_FLAT       fc_sd < FCFIT_DIAG_LIMIT_FLAT (0.05): every pair has
 *                            nearly the same correlation
 *   FCFIT_FLAG_UNSTABLE      the two halves disagree: |fc_corr_half1 -
 *                            fc_corr_half2| > FCFIT_DIAG_LIMIT_HALF_GAP (0.2), or,
 *                            without a target, fc_half_corr <
 *                            FCFIT_DIAG_LIMIT_HALF_CORR (0.3). Typical cause: a
 *                            transient too short for the model to settle, so
 *                            that a slow jump, not the steady dynamics, makes
 *                            the FC.
 *
 * Pure functions; nothing here allocates or prints.
 */
#ifndef FCFIT_DIAG_H
#define FCFIT_DIAG_H

#include <stddef.h>

#include "fcfit/fcfit_score.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
    FCFIT_DIAG_DRIVE_MEAN = 0,
    FCFIT_DIAG_DRIVE_MIN,
    FCFIT_DIAG_DRIVE_MAX,
    FCFIT_DIAG_FC_MEAN,
    FCFIT_DIAG_FC_SD,
    FCFIT_DIAG_HALF_CORR,
    FCFIT_DIAG_HALF1_FIT,
    FCFIT_DIAG_HALF2_FIT,
    FCFIT_DIAG_FCD_MEDIAN,
    FCFIT_DIAG_COUNT
};

/** Diagnostic names in order, NULL-terminated. */
extern const char *const fcfit_diag_names[FCFIT_DIAG_COUNT + 1];

enum { FCFIT_FLAG_FC_SATURATED = 1, FCFIT_FLAG_FC_FLAT = 2, FCFIT_FLAG_UNSTABLE = 4 };

/** Flag thresholds (see the file comment). */
#define FCFIT_DIAG_LIMIT_SATURATED 0.9
#define FCFIT_DIAG_LIMIT_FLAT 0.05
#define FCFIT_DIAG_LIMIT_HALF_GAP 0.2
#define FCFIT_DIAG_LIMIT_HALF_CORR 0.3

/** The bit meanings as one line, for file attributes ("1 fc_saturated, 2 fc_flat, ..."). */
extern const char fcfit_flag_codes[];

/** Flags of a set of (mean) diagnostics. NaN diagnostics raise no flag. */
int fcfit_diag_flags(const double *diag);

/**
 * The flags in words with the numbers behind them, e.g. "FC saturated (mean
 * 0.94); halves disagree (fc_corr 0.60 then 0.01)"; "" when flags == 0.
 * Returns buf.
 */
char *fcfit_diag_describe(int flags, const double *diag, char *buf, size_t cap);

/** Median of m values sorted ascending (NaN when m == 0). */
double fcfit_sorted_median(size_t m, const double *sorted);

/** fc_corr of one FC upper triangle against a target: mean over its subjects of r. */
double fcfit_target_fc_corr(const fcfit_target *t, const double *fc_upper);

/** Doubles of workspace fcfit_diag_compute needs for n regions. */
size_t fcfit_diag_work_size(size_t n);

/**
 * Diagnostics of the features f just computed (fcfit_features_compute) and
 * the per-region drive means (n values). Uses, and overwrites, f's
 * preprocessed series (so call it after everything else that needs them).
 * @param t     target for the halves' fits (may be NULL)
 * @param work  fcfit_diag_work_size(f->n) doubles
 * @param diag  out, FCFIT_DIAG_COUNT values
 */
void fcfit_diag_compute(fcfit_features *f, const fcfit_target *t, const double *drive_mean,
                        double *work, double *diag);

#ifdef __cplusplus
}
#endif
#endif /* FCFIT_DIAG_H */
