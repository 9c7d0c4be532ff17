/**
 * @file fcfit_score.h
 * From BOLD to fit scores: preprocessing, FC and FCD features of one BOLD
 * set, the empirical target (per subject and group), and the scores of a
 * simulation against it (docs/fc-metrics.md).
 *
 * Simulated and empirical BOLD go through exactly the same code:
 * demean (or detrend), optional zero-phase Butterworth band-pass, Pearson FC,
 * FCD over sliding windows (upper-triangle vectors), sorted FCD values.
 *
 * Scores (fixed order, names in fcfit_score_names):
 *   fc_corr        mean over target subjects of r(upper FC_sim, upper FC_s)   (higher is better)
 *   fc_corr_group  r against the group FC (Fisher-z average of the subjects)  (higher is better)
 *   fc_rmse        mean over subjects of the RMSE of the upper triangles      (lower is better)
 *   fc_mean_diff   |mean upper FC_sim - mean upper group FC|                  (lower is better)
 *   fcd_ks         KS distance between the simulated FCD values and the pooled
 *                  empirical FCD values (NaN without empirical BOLD)          (lower is better)
 * Per subject: fc_corr, fc_rmse, fcd_ks (vs that subject's own FCD; NaN when
 * the subject has no BOLD).
 */
#ifndef FCFIT_SCORE_H
#define FCFIT_SCORE_H

#include <stddef.h>

#include "fcfit/fcfit_fc.h"
#include "fcfit/fcfit_matrix.h"
#include "fcfit/fcfit_status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fcfit_fc_settings {
    int bandpass;         /**< apply the band-pass */
    size_t bp_order;      /**< Butterworth prototype order */
    double bp_lo_hz;
    double bp_hi_hz;
    int detrend;          /**< remove a linear trend (else only the mean) */
    int fcd;              /**< compute FCD */
    double fcd_window_s;  /**< window length */
    double fcd_step_s;    /**< window step (0: one TR) */
    int fcd_skip_overlap; /**< keep only pairs of non-overlapping windows (k = ceil(W/step)) */
} fcfit_fc_settings;

/** How messages name the simulated BOLD (and the keys that set its length). */
#define FCFIT_SIM_BOLD_LABEL "the simulated BOLD (sim.duration_s minus sim.transient_s)"

/** Features of one BOLD set (n regions x T volumes at a given TR). Plain data + workspace. */
typedef struct fcfit_features {
    size_t n, T, M;       /**< regions, volumes, upper-triangle size */
    double tr_s;
    fcfit_fc_settings s;
    size_t W, step, k;    /**< FCD window and step in volumes; diagonal offset */
    size_t n_windows;
    double *fc;           /**< n x n */
    double *fc_upper;     /**< M */
    size_t n_fcd;         /**< number of FCD values (0 when FCD is off) */
    double *fcd;          /**< n_windows x n_windows */
    double *fcd_values;   /**< n_fcd, sorted ascending */
    size_t n_degenerate;  /**< constant regions in the last computation */
    /* workspace */
    fcfit_iir filt;
    double *x;            /**< preprocessed copy, n x T */
    double *work;
} fcfit_features;

/**
 * Allocate features for n x T series at tr_s. Checks that the band-pass edges
 * fit below Nyquist, that T is long enough for the filter and that at least
 * two FCD windows fit (when FCD is on); `what` names the data in messages.
 */
fcfit_status fcfit_features_create(fcfit_features **f, size_t n, size_t T, double tr_s,
                                   const fcfit_fc_settings *s, const char *what);
void fcfit_features_destroy(fcfit_features **f);

/** Compute FC (and FCD) of bold (n x T row-major; not modified). */
fcfit_status fcfit_features_compute(fcfit_features *f, const double *bold);

enum {
    FCFIT_SCORE_FC_CORR = 0,
    FCFIT_SCORE_FC_CORR_GROUP,
    FCFIT_SCORE_FC_RMSE,
    FCFIT_SCORE_FC_MEAN_DIFF,
    FCFIT_SCORE_FCD_KS,
    FCFIT_SCORE_COUNT
};
enum { FCFIT_SSCORE_FC_CORR = 0, FCFIT_SSCORE_FC_RMSE, FCFIT_SSCORE_FCD_KS, FCFIT_SSCORE_COUNT };

/** Score names, NULL-terminated. */
extern const char *const fcfit_score_names[FCFIT_SCORE_COUNT + 1];
/** +1 when higher is better, -1 when lower is better. */
extern const int fcfit_score_sense[FCFIT_SCORE_COUNT];
extern const char *const fcfit_subject_score_names[FCFIT_SSCORE_COUNT];

/** Index of a score name, or -1. */
int fcfit_score_index(const char *name);

/** The empirical target. Plain data; owned by its creator. */
typedef struct fcfit_target {
    size_t n, M;
    size_t n_subjects;      /**< FC subjects */
    double *fc_upper;       /**< [subject][M] */
    double *fc_group;       /**< n x n Fisher-z average (diagonal 1) */
    double *fc_group_upper; /**< M */
    double fc_group_mean;   /**< mean of fc_group_upper */
    int has_fcd;
    size_t *n_fcd_subject;  /**< [subject] count of FCD values (0: none) */
    double **fcd_subject;   /**< [subject] sorted FCD values (NULL: none) */
    size_t n_fcd_pooled;
    double *fcd_pooled;     /**< all subjects' FCD values, sorted */
    /* When both FC and BOLD were given: how the supplied FC agrees with the FC computed from
     * the BOLD with the same settings (fcfit_target_create_ex). */
    size_t fc_check_pairs;  /**< matrices compared (0: none; 1 for a group FC vs the BOLD group) */
    double fc_check_corr;   /**< mean over the pairs of r(upper triangles); NaN when none */
    double fc_check_mad;    /**< mean over the pairs of the mean |difference|; NaN when none */
    int fc_from_bold;       /**< the FC subjects come from the BOLD (the supplied FC is only
                                 compared) */
} fcfit_target;

/**
 * Agreement limits between a supplied target FC and the FC of the target BOLD
 * processed as the job says: below FCFIT_FC_CHECK_MIN_CORR or above
 * FCFIT_FC_CHECK_MAX_MAD the two are considered differently processed.
 */
#define FCFIT_FC_CHECK_MIN_CORR 0.99
#define FCFIT_FC_CHECK_MAX_MAD 0.02

/**
 * Build a target. Either or both of:
 *  - fc[0..n_fc-1]: FC matrices (n x n, one per subject; one = a group FC);
 *  - bold[0..n_bold-1]: BOLD (n x T_s) per subject at bold_tr_s; their FC is
 *    used as the FC subjects when n_fc == 0, and their FCD for fcd_ks.
 * Labels name each input in messages. FC inputs are checked square, size n,
 * finite, with entries in [-1, 1].
 */
fcfit_status fcfit_target_create(fcfit_target **t, size_t n, size_t n_fc, const fcfit_matrix *fc,
                                 const char *const *fc_labels, size_t n_bold,
                                 const fcfit_matrix *bold, const char *const *bold_labels,
                                 double bold_tr_s, const fcfit_fc_settings *s);

/**
 * As fcfit_target_create; when both FC and BOLD are given, also compares each
 * supplied FC with the FC of its BOLD subject (n_fc == n_bold: in pairs;
 * n_fc == 1: the one matrix against the Fisher-z group FC of the BOLD
 * subjects) into fc_check_*. With fc_from_bold the FC subjects are the BOLD
 * subjects' FCs (the supplied FC is then only compared).
 */
fcfit_status fcfit_target_create_ex(fcfit_target **t, size_t n, size_t n_fc,
                                    const fcfit_matrix *fc, const char *const *fc_labels,
                                    size_t n_bold, const fcfit_matrix *bold,
                                    const char *const *bold_labels, double bold_tr_s,
                                    const fcfit_fc_settings *s, int fc_from_bold);
void fcfit_target_destroy(fcfit_target **t);

/**
 * A target made of subject s of t alone (its FC as the group FC, its own FCD
 * values as the pooled ones), for fits of one subject (per-subject
 * connectomes). FCFIT_ERR_ARG when s is out of range.
 */
fcfit_status fcfit_target_subset(const fcfit_target *t, size_t s, fcfit_target **out);

/**
 * Scores of features f against target t.
 * @param scores          out, FCFIT_SCORE_COUNT values
 * @param subject_scores  out, [subject][FCFIT_SSCORE_COUNT] (may be NULL)
 */
void fcfit_score_compute(const fcfit_target *t, const fcfit_features *f, double *scores,
                         double *subject_scores);

/**
 * A synthetic "empirical" FC for demonstrations: the correlation matrix of
 * the stationary linear process dx = (-x + k W x) dt + dW on the symmetric
 * weights W, with k = 0.9 / (largest eigenvalue of W). out is n x n.
 */
fcfit_status fcfit_target_synthetic_fc(size_t n, const double *weights, double *out);

#ifdef __cplusplus
}
#endif
#endif /* FCFIT_SCORE_H */
