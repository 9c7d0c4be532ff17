/**
 * @file fcfit_simfile.h
 * The output file of `fcfit simulate` (HDF5; format in docs/output-format.md).
 *
 * The file is written to "<path>.tmp-<pid>" and renamed over <path> only when
 * complete, so a failure never leaves a half-written file, and an existing
 * file is replaced only by a complete one. An existing file that is not an
 * fcfit simulate output (for example a sweep results file) is never
 * replaced unless `force` is set.
 */
#ifndef FCFIT_SIMFILE_H
#define FCFIT_SIMFILE_H

#include <stddef.h>

#include "fcfit/fcfit_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Everything a simulate output holds. Pointers are borrowed; NULL means "absent". */
typedef struct fcfit_simfile_data {
    size_t n;                 /**< regions */
    size_t T;                 /**< kept BOLD volumes */
    const double *bold;       /**< n x T (stored transposed: time x region) */
    const double *time_s;     /**< T volume times */
    const double *fc;         /**< n x n */
    const double *drive_mean; /**< n */
    const double *drive_last; /**< n */
    const char *drive_desc;   /**< what the drive is, with unit */
    int status;               /**< fcfit_task_status */
    const char *status_name;
    const char *reason;       /**< "" when ok */
    size_t n_degenerate;
    int tune_active;          /**< homeostatic tuning ran (e.g. DMF iterative FIC) */
    int tune_converged;
    size_t tune_iterations;
    double tune_max_error;
    const char *tuned_name;   /**< name of the tuned parameter */
    const double *tuned;      /**< its values, [node] (lane stride 1), NULL when none */
    size_t n_params;          /**< model parameters used, one dataset params/<name> each */
    const char *const *param_names;
    const double *params;     /**< [n_params][n] per-region values */
    size_t n_scores;
    const char *const *score_names;
    const double *scores;
    size_t n_subjects;
    size_t n_subject_scores;
    const char *const *subject_score_names;
    const double *subject_scores; /**< [subject][metric] */
    const double *target_fc;  /**< n x n group target FC */
    size_t n_windows;
    const double *fcd;        /**< n_windows x n_windows */
    const char *const *labels;      /**< n region labels (dimension scale "regions"); NULL: r0.. */
    const char *bold_units;         /**< unit of the BOLD signal */
    const char *const *param_units; /**< [n_params] */
    size_t n_diag;                  /**< diagnostics (fcfit_diag.h), 0: none */
    const char *const *diag_names;
    const double *diag;
    int flags;                      /**< fcfit_diag_flags */
    size_t n_warnings;              /**< warnings (the job's, then the run's flags in words) */
    const char *const *warnings;
    size_t n_attrs;           /**< provenance attributes on the root group */
    const char *const *attr_names;
    const char *const *attr_values;
} fcfit_simfile_data;

/**
 * Write the file. @return FCFIT_ERR_MISMATCH when path exists, is not a
 * simulate output and force is 0 (the existing file is untouched);
 * FCFIT_ERR_HDF5 / FCFIT_ERR_IO on write failures (the temporary file is
 * removed).
 */
fcfit_status fcfit_simfile_write(const char *path, const fcfit_simfile_data *d, int force);

/**
 * Check, before any work, that `path` could be written: its directory is
 * writable and an existing file there may be replaced (same rule as
 * fcfit_simfile_write).
 */
fcfit_status fcfit_simfile_check_target(const char *path, int force);

/** Library versions for provenance: "HDF5 1.10.8". */
void fcfit_io_hdf5_version(char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
