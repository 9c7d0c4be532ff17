/**
 * @file fcfit_eval.h
 * Task evaluation: parameters and seeds of up to L tasks in, statuses,
 * scores and FC out. One evaluator per worker (or per `fcfit simulate`),
 * created once and reused for every batch; no MPI, no files.
 *
 * A batch runs its tasks as the simulation's lanes: optional homeostatic
 * tuning (fcfit_sim_tune), reset, advance chunk by chunk (a stop callback is
 * polled between chunks), then per lane BOLD → features → scores. A lane
 * whose simulation diverged or left the model's domain keeps that status and
 * NaN scores; a lane whose BOLD is constant in some region is "degenerate".
 * Unused lanes of a partial batch repeat lane 0 (their results are ignored;
 * lanes never influence each other, so this changes nothing).
 */
#ifndef FCFIT_EVAL_H
#define FCFIT_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "fcfit/fcfit_connectome.h"
#include "fcfit/fcfit_diag.h"
#include "fcfit/fcfit_model.h"
#include "fcfit/fcfit_score.h"
#include "fcfit/fcfit_sim.h"
#include "fcfit/fcfit_status.h"
#include "fcfit/fcfit_vmath.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Analytic test objectives (`test.function`), a testing aid: instead of
 * simulating, a lane's scores are a known function of its parameters plus
 * noise drawn from its seed, so that the search stages can be tested quickly
 * and against known optima. With u_ji the value of parameter j in region i
 * scaled to [0, 1] by the parameter's bounds and t_ji = 0.5 + 0.15 sin(1.7 j +
 * 0.9 i) its optimum (noise amplitudes and derived parameters excluded):
 *   sphere:      f = sum_j mean_i (u_ji - t_ji)^2
 *   rosenbrock:  f = sum_k 100 (z_k+1 - z_k^2)^2 + (1 - z_k)^2, z = 1 + 4 (u - t) flattened
 * Scores: fc_corr = fc_corr_group = 1 / (1 + f) + noise e1, fc_rmse = f + noise e2,
 * fc_mean_diff = f, fcd_ks = NaN; e1, e2 standard normal from the lane's seed.
 */
typedef enum fcfit_test_function {
    FCFIT_TEST_NONE = 0,
    FCFIT_TEST_SPHERE = 1,
    FCFIT_TEST_ROSENBROCK = 2
} fcfit_test_function;
extern const char *const fcfit_test_function_names[];

/** Everything a task evaluation needs; all borrowed, must outlive the evaluator. */
typedef struct fcfit_eval_setup {
    const fcfit_model_type *model;
    const fcfit_connectome *conn;
    const fcfit_sim_config *sim;
    const size_t *opt;             /**< model options */
    const fcfit_fc_settings *fcs;
    const fcfit_target *target;    /**< may be NULL (no scores) */
    const fcfit_target *target2;   /**< second target (validation), may be NULL */
    const fcfit_target *all_subjects; /**< per-subject fits: the whole target, against whose
                                           subjects subject_scores are computed (scores use
                                           `target`); NULL: subject_scores against `target` */
    fcfit_test_function test;      /**< FCFIT_TEST_NONE: simulate */
    double test_noise;
    double test_delay_s;           /**< wall time an analytic evaluation takes (testing) */
} fcfit_eval_setup;

/** The analytic test function value f of one parameter set ([n_params][n_regions]). */
double fcfit_eval_test_value(fcfit_test_function fn, const fcfit_model_type *m, size_t n_regions,
                             const double *params);

typedef struct fcfit_eval_result {
    int status;                    /**< fcfit_task_status */
    char reason[160];
    double scores[FCFIT_SCORE_COUNT];
    double scores2[FCFIT_SCORE_COUNT]; /**< against target2 (NaN without one) */
    double *subject_scores;        /**< [n_subjects][FCFIT_SSCORE_COUNT]; NULL without target */
    float *fc_upper;               /**< [M] upper triangle of the simulated FC */
    size_t n_degenerate;
    fcfit_tune_report tune;
    double diag[FCFIT_DIAG_COUNT]; /**< diagnostics (fcfit_diag.h); NaN when the run failed */
} fcfit_eval_result;

/** Polled between chunks; nonzero abandons the batch. */
typedef int (*fcfit_eval_stop_fn)(void *ctx);

typedef struct fcfit_eval fcfit_eval;

fcfit_status fcfit_eval_create(fcfit_eval **ev, const fcfit_eval_setup *setup, size_t n_lanes);

/**
 * Batch size (lanes) for a worker: the number of doubles in one SIMD
 * register of this CPU as the kernels use it (8 with AVX-512, 4 with AVX2,
 * 2 otherwise), at most n_tasks (the tasks the worker is expected to run;
 * 0: no limit), and small enough that the delay history of the batch stays
 * below 256 MiB. Results never depend on the batch size, so any value is
 * safe; this one makes the vector units work on several tasks at once
 * (measured gain for a 100-region DMF sweep: about 1.5x per core with 8
 * lanes on AVX-512).
 *
 * @param model  in, borrowed
 * @param conn   in, borrowed (its size and delays)
 * @param cfg    in, borrowed (may be NULL)
 */
size_t fcfit_eval_auto_lanes(const fcfit_model_type *model, const fcfit_connectome *conn,
                             const fcfit_sim_config *cfg, size_t n_tasks);
void fcfit_eval_destroy(fcfit_eval **ev);

/** Number of lanes. */
size_t fcfit_eval_lanes(const fcfit_eval *ev);

/** Writable per-region parameters of lane `lane`: [n_params][n_regions]. */
double *fcfit_eval_params(fcfit_eval *ev, size_t lane);

/**
 * Evaluate the first n_used lanes with the given seeds (n_used entries).
 * @param stopped  out: 1 when the stop callback ended the batch early (results invalid)
 */
fcfit_status fcfit_eval_run(fcfit_eval *ev, size_t n_used, const uint64_t *seeds,
                            fcfit_eval_stop_fn stop, void *ctx, int *stopped);

/**
 * Checkpoints (a point longer than one job segment). When fcfit_eval_run stops inside the
 * simulation proper (after any tuning; never for an analytic test function),
 * fcfit_eval_can_checkpoint is nonzero and every used lane's state can be saved with
 * fcfit_eval_checkpoint_save (at most fcfit_eval_checkpoint_size bytes; *step receives the
 * simulation step it was taken at). fcfit_eval_run_resume then continues a batch from such
 * checkpoints (one per used lane, all at the same step, possibly in other lanes or another
 * evaluator of the same job) instead of starting it: the outcome is bitwise that of an
 * uninterrupted fcfit_eval_run. A checkpoint carries its task's seed and a hash of the lane's
 * parameters; resuming a lane whose seed or parameters differ is FCFIT_ERR_INPUT.
 */
int fcfit_eval_can_checkpoint(const fcfit_eval *ev);
size_t fcfit_eval_checkpoint_size(const fcfit_eval *ev);
fcfit_status fcfit_eval_checkpoint_save(const fcfit_eval *ev, size_t lane, void *buf, size_t cap,
                                        size_t *len, uint64_t *step);
fcfit_status fcfit_eval_run_resume(fcfit_eval *ev, size_t n_used, const uint64_t *seeds,
                                   const void *const *ckpt, const size_t *len,
                                   fcfit_eval_stop_fn stop, void *ctx, int *stopped);

/** Result of lane `lane` of the last run. */
const fcfit_eval_result *fcfit_eval_result_at(const fcfit_eval *ev, size_t lane);

/** The simulation (BOLD, drives, state of the last run). */
const fcfit_sim *fcfit_eval_sim(const fcfit_eval *ev);

/** The feature workspace holding lane `lane`'s FC and FCD after fcfit_eval_refeature. */
const fcfit_features *fcfit_eval_features(const fcfit_eval *ev);

/** Recompute the features of one lane into the feature workspace (for outputs). */
fcfit_status fcfit_eval_refeature(fcfit_eval *ev, size_t lane);

#ifdef __cplusplus
}
#endif
#endif
