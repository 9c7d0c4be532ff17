/**
 * @file fcfit_job.h
 * A job: the validated configuration plus everything loaded from it (the
 * connectome, the per-region parameter values, the empirical target) and the
 * settings every simulation of the job uses. Built once on rank 0 (or in a
 * serial command) before any simulation starts, so that every bad input
 * ends with one message and exit code 2 and nothing runs.
 *
 * Job identity: `hash` covers the canonical configuration (without keys that
 * do not change results: paths, output, logging, chunking) and the bytes of
 * every loaded input matrix and resolved parameter. A results file written by
 * a job with another hash is refused on resume.
 */
#ifndef FCFIT_JOB_H
#define FCFIT_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "fcfit/fcfit_config.h"
#include "fcfit/fcfit_connectome.h"
#include "fcfit/fcfit_model.h"
#include "fcfit/fcfit_objective.h"
#include "fcfit/fcfit_pack.h"
#include "fcfit/fcfit_score.h"
#include "fcfit/fcfit_sim.h"
#include "fcfit/fcfit_stage.h"
#include "fcfit/fcfit_status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fcfit_job {
    fcfit_config *cfg;            /**< owned */
    char *path;                   /**< job file */
    const fcfit_model_type *model;
    size_t n;                     /**< regions */
    fcfit_matrix weights;         /**< as loaded (or synthetic), before normalisation */
    fcfit_matrix lengths;         /**< empty when none */
    char *weights_label;          /**< "path (connectome.weights)" or "synthetic(...)" */
    char **labels;                /**< n region labels (connectome.labels, the TVB zip's, else
                                       r0, r1, ...; NULL on workers): not part of the plan or
                                       the hash */
    size_t n_labels;
    fcfit_connectome *conn;
    fcfit_sim_config sim;         /**< complete simulation settings */
    double *params;               /**< [n_params][n] per-region values of the job's point */
    size_t *opt;                  /**< model options */
    size_t replicates;
    uint64_t seed;
    fcfit_fc_settings fcs;
    fcfit_target *target;         /**< NULL without a target */
    fcfit_target *target2;        /**< validate.target: a second target scored in validation
                                       (NULL when none) */
    fcfit_objective objective;    /**< fit.objective: what every stage ranks and minimises */
    fcfit_stage *stages[FCFIT_STAGE_KIND_COUNT]; /**< by kind; NULL when the job lacks one */
    char *target_desc;            /**< one line describing the target ("" when none) */
    char *canonical;              /**< effective job text (YAML) */
    /* Model data read from files (ALN tables, model.aln.tables.file): model then points at
     * model_copy, the registered descriptor with its data set. */
    fcfit_model_type model_copy;
    struct fcfit_aln_tables *aln_tables;
    uint64_t hash;
    char hash_hex[17];
    /** One line per loaded input, "name hex" (a content hash of each part the job hash covers:
     *  connectome.weights, connectome.lengths, the regional parameter values, the target...),
     *  stored in output files so that a refused resume can say which input changed; "" in a
     *  job unpacked from a plan. */
    char input_hashes[512];
    int save_fc;                  /**< resolved output.save_fc (part of the plan) */
    double fc_rows_mb;            /**< size the stored FC rows take (or would take), MB */
    char **warnings;              /**< warnings about the job (rank 0; fcfit_job_load) */
    size_t n_warnings;
    /* Per-subject connectomes (connectome.subjects): subject s is simulated on its own SC and
     * scored against target subject s only. n_subjects == 0 without them. */
    size_t n_subjects;
    fcfit_matrix *subject_weights;     /**< [n_subjects] as loaded */
    fcfit_connectome **subject_conns;  /**< [n_subjects] */
    fcfit_target **subject_targets;    /**< [n_subjects] one-subject targets */
} fcfit_job;

/** Register every job key (all sections, and model.<name>.<param> for every model). */
fcfit_status fcfit_job_register_options(fcfit_config *cfg);

/**
 * Read, validate and load a job: the YAML file (path may be NULL for
 * defaults only), then the overrides sets[0..n_sets-1] ("key=value").
 * @return FCFIT_ERR_CONFIG / FCFIT_ERR_INPUT / FCFIT_ERR_UNKNOWN_NAME /
 *         FCFIT_ERR_USAGE with one message naming the file, line and key.
 */
fcfit_status fcfit_job_load(fcfit_job **job, const char *path, size_t n_sets,
                            const char *const *sets);

/**
 * As fcfit_job_load, with extra YAML files (configs/ fragments such as a
 * published parameter set) applied after the job file and before the
 * overrides: default < job file < extra files in order < --set.
 */
fcfit_status fcfit_job_load_ex(fcfit_job **job, const char *path, size_t n_extra,
                               const char *const *extra, size_t n_sets, const char *const *sets);

/** Free; safe on NULL; sets *job to NULL. */
void fcfit_job_destroy(fcfit_job **job);

/**
 * The keys that differ between a stored effective job text (a results file's `job`
 * attribute) and this job's, in words: "sim.duration_s (120 in the file, 60 now); ...".
 * Keys that do not change results are left out; when none differs, says that an input's
 * content does. Returns a malloc'd string (NULL on out-of-memory).
 */
char *fcfit_job_describe_changes(const fcfit_job *job, const char *stored);

/**
 * After fcfit_results_check refused `results_path` as another job's file: extend the recorded
 * error message with what changed (fcfit_job_describe_changes of the file's `job` attribute).
 * Leaves the message as it is when the file holds no job text. Returns the recorded status.
 */
fcfit_status fcfit_job_explain_mismatch(const fcfit_job *job, const char *results_path);

/**
 * Skip list for canonical text and listings of this job: prefixes of the
 * model sections of every model other than the job's (NULL-terminated array
 * of malloc'd strings; free with fcfit_job_free_skips).
 */
char **fcfit_job_other_model_prefixes(const fcfit_model_type *keep);
void fcfit_job_free_skips(char **skips);

/** The connectome and target a task of subject s uses (the job's own without subjects). */
const fcfit_connectome *fcfit_job_conn(const fcfit_job *job, size_t subject);
const fcfit_target *fcfit_job_target(const fcfit_job *job, size_t subject);

/**
 * Write the job's parameter values into lane `lane` of a simulation (all
 * regions), and its options. Used by simulate and as the base of sweep points.
 */
void fcfit_job_apply_params(const fcfit_job *job, fcfit_sim *sim, size_t lane);

/**
 * The plan: everything a worker needs, as bytes (canonical configuration,
 * raw connectome matrices, resolved parameters, target features, stage
 * points). Workers rebuild the job from it without touching any file.
 */
fcfit_status fcfit_job_pack(const fcfit_job *job, fcfit_packer *p);
fcfit_status fcfit_job_unpack(const void *buf, size_t len, fcfit_job **job);

#ifdef __cplusplus
}
#endif
#endif /* FCFIT_JOB_H */
