/**
 * @file fcfit_results.h
 * The results file of `fcfit run` (parallel HDF5 through MPI-IO; format in
 * docs/output-format.md), built so that a SIGKILL at any moment leaves a
 * readable file and a resume redoes exactly the rows that are not done
 * (DESIGN.md §6):
 *
 *  - the file is created under "<path>.creating" with every dataset of the
 *    stage at its full size (contiguous, allocated early, NaN/0 fill), the
 *    parameter values and seeds written, then a collective H5Fflush and
 *    close, and only then renamed to <path>: a file at <path> is always
 *    structurally complete;
 *  - during the stage nothing structural changes: the coordinator writes
 *    rows independently, the payload first and the status cell last, so a
 *    row whose status is non-zero is complete;
 *  - on resume the status column is the only truth.
 *
 * Collective calls (all ranks of comm): fcfit_results_open, _finish_stage,
 * _close. Row reads and writes are independent and made by one rank.
 */
#ifndef FCFIT_RESULTS_H
#define FCFIT_RESULTS_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "fcfit/fcfit_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Shape and labels of one stage's datasets. All pointers borrowed. */
typedef struct fcfit_results_layout {
    const char *stage;         /**< group name, e.g. "sweep" */
    size_t n_points, n_dims, n_replicates, n_scores, n_subjects, n_subject_scores;
    size_t n_fc;               /**< upper-triangle length of saved FC (0: none) */
    size_t n_regions;
    int tuning;                /**< add tuning columns */
    const char *const *dim_names;
    const char *const *score_names;
    const int *score_sense;
    const char *const *subject_score_names;
    const double *points;      /**< [n_points][n_dims] */
    const uint64_t *seeds;     /**< [n_points][n_replicates] */
    const char *sampler;
    const char *objective;
} fcfit_results_layout;

/** One finished point. */
typedef struct fcfit_results_row {
    int32_t status;            /**< fcfit_task_status of the point (ok if every replicate ok) */
    const char *reason;
    int32_t rank;              /**< worker rank of the last replicate */
    double wall_s;             /**< summed simulation wall time of the replicates */
    const double *scores;          /**< [n_scores]: mean over replicates */
    const double *scores_replicate;/**< [n_replicates][n_scores] */
    const int32_t *replicate_status;/**< [n_replicates] */
    const double *subject_scores;  /**< [n_subjects][n_subject_scores] (mean over replicates) */
    const float *fc;               /**< [n_fc] (replicate 0) or NULL */
    int32_t tune_iterations;
    double tune_max_error;
    int32_t tune_converged;
} fcfit_results_row;

typedef struct fcfit_results fcfit_results;

/**
 * Rank-0 check of an existing file before anything is created or run.
 * Sets *resume = 1 when path holds a results file of this job (same hash),
 * 0 when there is no file or force is set.
 * @return FCFIT_ERR_MISMATCH (exit 2) when the file belongs to another job or
 *         is not an fcfit results file; the file is not touched.
 */
fcfit_status fcfit_results_check(const char *path, const char *job_hash, int force, int *resume);

/**
 * Collective: create the file (create = 1) or open it for resuming, and open
 * the stage's datasets. Root attributes (names/values, strings) are written
 * at creation. On resume the datasets' shapes must match the layout.
 */
fcfit_status fcfit_results_open(fcfit_results **r, MPI_Comm comm, const char *path,
                                 const fcfit_results_layout *lay, size_t n_attrs,
                                 const char *const *attr_names, const char *const *attr_values,
                                 int create);

/** Read the status column (one rank; independent). */
fcfit_status fcfit_results_read_status(fcfit_results *r, int32_t *status);

/** Read the scores of done rows (one rank), [n_points][n_scores]. */
fcfit_status fcfit_results_read_scores(fcfit_results *r, double *scores);

/** Write one row (one rank; independent): payload, then the status cell. */
fcfit_status fcfit_results_write_row(fcfit_results *r, size_t point, const fcfit_results_row *row);

/**
 * Collective, at the end of a stage: record completion and the best point as
 * attributes of the stage group (every rank passes the same values).
 */
fcfit_status fcfit_results_finish_stage(fcfit_results *r, size_t n_done, size_t n_failed,
                                        long best_point, double best_score,
                                        const double *best_dims);

/** Collective close; safe on NULL; sets *r to NULL. */
fcfit_status fcfit_results_close(fcfit_results **r);

/* ---- Serial reading (fcfit report, tests) ---- */

typedef struct fcfit_results_table {
    size_t n_points, n_dims, n_scores, n_replicates;
    char **dim_names;
    char **score_names;
    int *score_sense;
    double *points;     /**< [P][D] */
    int32_t *status;    /**< [P] */
    char **reasons;     /**< [P] */
    double *scores;     /**< [P][K] */
    int32_t *rank;
    double *wall_s;
    char *objective;
    char *job_hash;
    char *job;
    char *created;
    char *model;
} fcfit_results_table;

/** Read a stage of a results file without MPI (sec2 driver). FCFIT_ERR_INPUT when not one. */
fcfit_status fcfit_results_read_table(const char *path, const char *stage,
                                      fcfit_results_table *t);
void fcfit_results_table_free(fcfit_results_table *t);

#ifdef __cplusplus
}
#endif
#endif
