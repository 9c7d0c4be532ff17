/**
 * @file fcfit_results.h
 * The results file of `fcfit run` (parallel HDF5 through MPI-IO; format in
 * docs/output-format.md), built so that a SIGKILL at any moment leaves a
 * readable file and a resume redoes exactly the rows that are not done:
 *
 *  - the file is created under "<path>.creating" with one group per stage
 *    of the job and every dataset of every stage at its full size (the
 *    stage's capacity: its evaluation budget; contiguous, allocated early,
 *    NaN/0 fill), the sweep's points and seeds written, then a collective
 *    H5Fflush and close, and only then renamed to <path>: a file at <path> is
 *    always structurally complete;
 *  - afterwards nothing structural ever changes (no new object, no attribute
 *    write): the coordinator writes raw data only, a row's payload first and
 *    its status cell last, so a row whose status is non-zero is complete;
 *    stage summaries and the fit's answer are small preallocated datasets
 *    written the same way;
 *  - on resume the status columns are the only truth.
 *
 * Collective calls (all ranks of comm): fcfit_results_open and
 * fcfit_results_close. Everything else is independent and made by rank 0.
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

#define FCFIT_RESULTS_MAX_STAGES 4

/** Warning lines a stage group or /fit can hold (dataset `warnings`), and their length. */
#define FCFIT_RESULTS_WARNINGS 8
#define FCFIT_RESULTS_WARNING_LEN 256

/** Shape and labels of one stage's group. All pointers borrowed. */
typedef struct fcfit_results_stage_layout {
    const char *name;          /**< group name: "sweep", "optimize", "refine", "validate" */
    int kind;                  /**< fcfit_stage_kind */
    size_t n_rows;             /**< capacity (evaluation budget) */
    size_t n_dims;             /**< columns of params (0 for validate) */
    size_t n_replicates;
    int save_fc;               /**< store each row's simulated FC */
    size_t n_instances;        /**< optimizer instances (0: none): instance columns and summaries */
    int validate;              /**< candidate columns, standard errors, region_params */
    int target2;               /**< validate: scores against the second target */
    int tuning;                /**< tuning columns */
    const char *const *dim_names;
    const double *points;      /**< [n_rows][n_dims] written at creation (sweep), or NULL */
    const uint64_t *seeds;     /**< [n_rows][n_replicates] written at creation, or NULL */
    const char *description;   /**< one line: sampler, algorithm, method ("grid", "LN_SBPLX x 4") */
} fcfit_results_stage_layout;

/** The whole file's layout. All pointers borrowed. */
typedef struct fcfit_results_layout {
    size_t n_stages;
    fcfit_results_stage_layout stages[FCFIT_RESULTS_MAX_STAGES];
    size_t n_scores, n_subjects, n_subject_scores;
    size_t n_fc;               /**< upper-triangle length of a saved FC */
    size_t n_regions, n_params;
    const char *const *score_names;
    const int *score_sense;
    const char *const *subject_score_names;
    const char *const *param_names;  /**< [n_params] model parameter names */
    const double *target_fc;         /**< [n_regions][n_regions] the target's group FC (NULL: none);
                                          stored as /target/fc for plots and Python users */
    size_t target_subjects;
    const char *objective;           /**< the objective as written */
    const char *objective_better;    /**< "higher" or "lower" (display values) */
    /* Diagnostics (fcfit_diag.h): one row of n_diag values per evaluation. */
    size_t n_diag;
    const char *const *diag_names;
    const char *drive_desc;          /**< the BOLD drive in words, with its unit */
    double target_fcd_median;        /**< median of the target's pooled FCD values (NaN: none) */
    const char *const *region_labels;  /**< [n_regions] (dataset /regions, a dimension scale) */
    const struct fcfit_model_param *model_params; /**< [n_params] units of the parameters */
    size_t n_job_warnings;           /**< warnings about the job itself (at most
                                          FCFIT_RESULTS_WARNINGS - 2), written to /fit/warnings
                                          at creation */
    const char *const *job_warnings;
} fcfit_results_layout;

/** One finished row. */
typedef struct fcfit_results_row {
    int32_t status;            /**< fcfit_task_status of the row (ok if every replicate ok) */
    const char *reason;
    int32_t rank;              /**< worker rank of the last replicate */
    double wall_s;             /**< summed simulation wall time of the replicates */
    const double *x;           /**< [n_dims] the point (ignored when n_dims == 0) */
    const uint64_t *seeds;     /**< [n_replicates] */
    double objective;          /**< loss (the penalty when failed) */
    const double *scores;          /**< [n_scores]: mean over replicates */
    const double *scores_replicate;/**< [n_replicates][n_scores] */
    const int32_t *replicate_status;/**< [n_replicates] */
    const double *subject_scores;  /**< [n_subjects][n_subject_scores] (mean over replicates) */
    const float *fc;               /**< [n_fc] (replicate 0) or NULL */
    int32_t tune_iterations;
    double tune_max_error;
    int32_t tune_converged;
    int32_t instance, eval_index;  /**< optimizer stages */
    /* validate */
    int32_t candidate_stage;
    int64_t candidate_row;
    const double *scores_se;       /**< [n_scores] standard error over replicates */
    double objective_se;
    const double *region_params;   /**< [n_params][n_regions] */
    const double *scores2;         /**< [n_scores] mean against the second target */
    const double *scores2_se;
    const double *scores_sd;       /**< [n_scores] standard deviation over the replicates */
    const double *diag;            /**< [n_diag] mean diagnostics over the replicates */
    int32_t flags;                 /**< fcfit_diag_flags of diag */
} fcfit_results_row;

/** What a stage found, written when it ends (and its state when it starts). */
typedef struct fcfit_results_stage_summary {
    int32_t state;             /**< 0 not started, 1 running, 2 done */
    int64_t rows_used;
    int64_t n_failed;
    int64_t best_row;          /**< -1 when none */
    double best_objective;
    double busy_worker_s;      /**< summed simulation time of the stage's rows computed this run */
    double wall_s;             /**< the stage's wall time in this run */
    int64_t n_workers;
    size_t n_instances;
    const int32_t *instance_code;
    const int64_t *instance_evaluations;
    const int64_t *instance_best_row;
    const double *instance_best_objective;
    size_t n_warnings;         /**< warning lines about the stage's result (at most
                                    FCFIT_RESULTS_WARNINGS) */
    const char *const *warnings;
} fcfit_results_stage_summary;

/** The job's answer: the best candidate by validated mean (or best row of the last stage). */
typedef struct fcfit_results_fit {
    int32_t state;             /**< 0 running, 1 complete */
    int32_t stage;             /**< stage kind the answer comes from */
    int64_t row;
    double objective;
    double objective_se;       /**< NaN without validation */
    const double *params;      /**< [n_params][n_regions] */
} fcfit_results_fit;

typedef struct fcfit_results fcfit_results;

/**
 * The size in bytes a results file of this layout will have: the raw data of
 * every dataset (all allocated at creation) plus an estimate of the metadata.
 * *fc_bytes (may be NULL) receives the part the stored FC rows take.
 */
double fcfit_results_layout_bytes(const fcfit_results_layout *lay, double *fc_bytes);

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
 * every stage's datasets. Root attributes (names/values, strings) are written
 * at creation. On resume every dataset's shape must match the layout.
 */
fcfit_status fcfit_results_open(fcfit_results **r, MPI_Comm comm, const char *path,
                                const fcfit_results_layout *lay, size_t n_attrs,
                                const char *const *attr_names, const char *const *attr_values,
                                int create);

/** Read a stage's rows for resuming (rank 0): any output pointer may be NULL. */
fcfit_status fcfit_results_read_stage(fcfit_results *r, size_t stage, int32_t *status, double *x,
                                      double *objective, double *scores, double *region_params,
                                      double *objective_se);

/** Read a stage's base parameters and state (rank 0); *state 0 means never started. */
fcfit_status fcfit_results_read_stage_base(fcfit_results *r, size_t stage, int32_t *state,
                                           double *base);

/** Write one row (rank 0; independent): payload, then the status cell. */
fcfit_status fcfit_results_write_row(fcfit_results *r, size_t stage, size_t row,
                                     const fcfit_results_row *rw);

/** Write a stage's base parameters ([n_params][n_regions]) and mark it running. */
fcfit_status fcfit_results_start_stage(fcfit_results *r, size_t stage, const double *base);

/** Write a stage's summary (rank 0; independent). */
fcfit_status fcfit_results_write_summary(fcfit_results *r, size_t stage,
                                         const fcfit_results_stage_summary *s);

/** Read a stage's flags and diagnostics (rank 0); either pointer may be NULL. */
fcfit_status fcfit_results_read_diag(fcfit_results *r, size_t stage, int32_t *flags, double *diag);

/**
 * Write the job's answer (rank 0; independent). The warnings of the answer's
 * row (its flags, fcfit_diag.h) follow the job's warnings in /fit/warnings.
 */
fcfit_status fcfit_results_write_fit(fcfit_results *r, const fcfit_results_fit *fit);

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
    double *objective_value; /**< [P] loss */
    int32_t *instance;  /**< [P] or NULL */
    int32_t *eval_index;/**< [P] or NULL */
    double *scores_se;  /**< [P][K] validate, or NULL */
    double *objective_se;
    double *scores2;    /**< [P][K] validate with a second target, or NULL */
    int32_t *candidate_stage;
    int64_t *candidate_row;
    int32_t *rank;
    double *wall_s;
    int32_t state;
    int64_t rows_used, best_row;
    double best_objective;
    double busy_worker_s, stage_wall_s;
    int64_t n_workers;
    size_t n_instances;
    int32_t *instance_code;
    int64_t *instance_evaluations;
    double *instance_best_objective;
    char *description;
    char *objective;    /**< the objective expression */
    char *better;       /**< "higher" / "lower" */
    char *job_hash;
    char *job;
    char *created;
    char *model;
    double *scores_sd;  /**< [P][K] standard deviation over replicates, or NULL (older file) */
    size_t n_diag;      /**< 0 in files without diagnostics */
    char **diag_names;
    double *diag;       /**< [P][n_diag] */
    int32_t *flags;     /**< [P] or NULL */
    size_t n_warnings;  /**< non-empty warning lines of the stage */
    char **warnings;
    char *drive_desc;   /**< the BOLD drive in words ("" when unknown) */
    double target_fcd_median; /**< NaN when none */
} fcfit_results_table;

/** Read a stage of a results file without MPI (sec2 driver). FCFIT_ERR_INPUT when not one. */
fcfit_status fcfit_results_read_table(const char *path, const char *stage,
                                      fcfit_results_table *t);
void fcfit_results_table_free(fcfit_results_table *t);

/** The /fit group of a results file, read serially. */
typedef struct fcfit_results_fit_info {
    int32_t state, stage;
    int64_t row;
    double objective, objective_se;
    size_t n_params, n_regions;
    char **param_names;  /**< [n_params] */
    double *params;      /**< [n_params][n_regions] */
    size_t n_warnings;   /**< non-empty lines of /fit/warnings */
    char **warnings;
} fcfit_results_fit_info;

fcfit_status fcfit_results_read_fit(const char *path, fcfit_results_fit_info *f);
void fcfit_results_fit_info_free(fcfit_results_fit_info *f);

/** What re-simulating one row needs, read serially. */
typedef struct fcfit_results_row_inputs {
    char *job_hash;
    int32_t status;
    size_t n_dims, n_params, n_regions, n_replicates;
    double *x;             /**< [n_dims] (NULL when n_dims == 0) */
    double *base;          /**< [n_params][n_regions] the stage's base parameters */
    double *region_params; /**< validate rows: [n_params][n_regions]; else NULL */
    uint64_t *seeds;       /**< [n_replicates] */
} fcfit_results_row_inputs;

/**
 * Read row `row` of stage `stage`, or, with stage NULL, the row the fit's answer comes from
 * (*stage_out receives the stage's name, malloc'd). FCFIT_ERR_INPUT (exit 2) when the stage,
 * the row or the answer does not exist or the row is not done.
 */
fcfit_status fcfit_results_read_row_inputs(const char *path, const char *stage, long row,
                                           char **stage_out, long *row_out,
                                           fcfit_results_row_inputs *in);
void fcfit_results_row_inputs_free(fcfit_results_row_inputs *in);

/** The root attributes `fcfit_kind` ("run", "simulate"), `job` (the effective job text the
 *  file was created with) and, when input_hashes is not NULL, `input_hashes`, read serially;
 *  malloc'd strings, NULL when absent. */
fcfit_status fcfit_results_read_job_text(const char *path, char **kind, char **job_text,
                                         char **input_hashes);

/** A stage's per-subject scores and whether the run has a target, read serially. */
typedef struct fcfit_results_subjects {
    int has_target;          /**< the file has /target (the job had a target) */
    size_t n_rows, n_subjects, n_metrics; /**< 0 when the stage has no scores_subject */
    char **metric_names;     /**< [n_metrics] ("fc_corr", "fc_rmse", "fcd_ks") */
    double *values;          /**< [n_rows][n_subjects][n_metrics] */
} fcfit_results_subjects;

fcfit_status fcfit_results_read_subjects(const char *path, const char *stage,
                                         fcfit_results_subjects *s);
void fcfit_results_subjects_free(fcfit_results_subjects *s);
/** How far a results file is: per stage, rows done (non-zero status) of its rows, and state. */
typedef struct fcfit_results_progress_info {
    size_t n_stages;
    char stage[FCFIT_RESULTS_MAX_STAGES][16];
    size_t done[FCFIT_RESULTS_MAX_STAGES], rows[FCFIT_RESULTS_MAX_STAGES];
    int32_t state[FCFIT_RESULTS_MAX_STAGES];
} fcfit_results_progress_info;

/** Read the progress of a results file serially (`fcfit check -o`). */
fcfit_status fcfit_results_progress(const char *path, fcfit_results_progress_info *p);

/** Names of the stage groups of a results file, in run order (NULL-terminated, malloc'd). */
fcfit_status fcfit_results_list_stages(const char *path, char ***names);

#ifdef __cplusplus
}
#endif
#endif
