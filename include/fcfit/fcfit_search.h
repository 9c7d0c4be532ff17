/**
 * @file fcfit_search.h
 * A running search stage as a caller-driven object (GSL style): create it
 * from its plan and what the earlier stages found, then repeatedly
 *
 *   while (fcfit_search_next(s, &req)) { ... evaluate req.params ... }
 *   fcfit_search_tell(s, row, status, loss);      (for every request, any order)
 *
 * until fcfit_search_done(s). The object never evaluates anything itself:
 * the coordinator turns requests into tasks for the workers (or answers them
 * from the results file when resuming), and tells the outcomes back. Only the
 * coordinator's main thread calls these functions.
 *
 * Determinism. Every request has a fixed row in the stage's table, fixed by
 * the job alone: sweep point p is row p; optimizer instance i's evaluation e is
 * row i*maxeval + e; a CMA-ES generation g occupies rows g*lambda .. +lambda-1.
 * Decisions that look at several outcomes (a CMA-ES generation, a round of
 * block-coordinate descent, the next stage's starting points) wait for all of
 * them, so the trajectory does not depend on the order in which results
 * arrive, and therefore not on the number of ranks.
 *
 * NLopt has no batch interface, so each optimizer instance runs nlopt_optimize
 * in its own thread whose objective callback posts the request and blocks
 * until fcfit_search_tell answers it. fcfit_search_tell returns only after the
 * instance has posted its next request or finished, so the object behaves as if
 * it were single-threaded. Each instance seeds NLopt's thread-local generator
 * with nlopt_srand(derive(job seed, stage, instance)).
 *
 * Resume by replay: after a restart the coordinator answers each request from
 * the stored row when that row is done (its x must match bitwise); the
 * optimizers retrace their steps and continue live from the first missing row.
 * No optimizer state is saved.
 */
#ifndef FCFIT_SEARCH_H
#define FCFIT_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "fcfit/fcfit_objective.h"
#include "fcfit/fcfit_stage.h"
#include "fcfit/fcfit_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * What the coordinator knows of a stage's rows (in memory; filled from the
 * results file on resume and as rows finish). Allocated by
 * fcfit_book_create; the arrays are plain data.
 */
typedef struct fcfit_book {
    const fcfit_stage *stage;
    size_t capacity, n_dims, n_params, n_regions, n_scores;
    double *base;          /**< [n_params][n_regions]: parameters the stage's points apply to */
    int base_set;          /**< base holds the stage's base (set when the stage starts) */
    int32_t *status;       /**< [capacity]: 0 pending, else the fcfit_task_status of the row */
    double *loss;          /**< [capacity]: objective loss (the penalty for failed rows) */
    double *x;             /**< [capacity][n_dims]: the point of each row */
    double *scores;        /**< [capacity][n_scores]: mean scores */
    double *region_params; /**< validate only: [capacity][n_params][n_regions] */
    double *loss_se;       /**< validate only: [capacity] standard error of the loss */
} fcfit_book;

fcfit_status fcfit_book_create(fcfit_book **b, const fcfit_stage *s, size_t n_scores);
void fcfit_book_destroy(fcfit_book **b);

/** Full per-region parameters of a done row: [n_params][n_regions]. */
void fcfit_book_row_params(const fcfit_book *b, size_t row, double *out);

/** One evaluation asked for by a stage. Pointers stay valid until the next call on the search. */
typedef struct fcfit_request {
    size_t row;            /**< row in the stage's table */
    const double *x;       /**< [n_dims] the point (NULL for validate rows) */
    const double *params;  /**< [n_params][n_regions] the parameters to simulate */
    uint64_t seed_task;    /**< replicate r uses the seed derive(job seed, seed_task, r) */
    int64_t instance;      /**< optimizer instance, CMA-ES generation or block round; -1: none */
    int64_t eval_index;    /**< evaluation number within the instance */
    int64_t source_stage;  /**< validate: kind of the stage the candidate comes from */
    int64_t source_row;    /**< validate: its row there */
} fcfit_request;

/** Everything a stage needs to start. All pointers borrowed; they must outlive the search. */
typedef struct fcfit_search_setup {
    const fcfit_stage *stage;
    const double *job_params;            /**< [n_params][n_regions]: the job's values */
    const double *param_lo, *param_hi;   /**< [n_params]: the model's bounds */
    uint64_t seed;                       /**< job seed */
    const fcfit_objective *objective;
    const fcfit_book *const *earlier;    /**< books of the earlier stages, in stage order */
    size_t n_earlier;
    fcfit_book *book;                    /**< this stage's book: the search sets its base */
} fcfit_search_setup;

typedef struct fcfit_search fcfit_search;

/**
 * Start a stage: choose starting points or candidates from the earlier
 * stages' books, set book->base, start optimizer instances.
 * @return FCFIT_ERR_CONFIG when the earlier stages left nothing to start from
 *         (e.g. refine when every earlier row failed); FCFIT_ERR_NLOPT when
 *         NLopt rejects the problem.
 */
fcfit_status fcfit_search_create(fcfit_search **s, const fcfit_search_setup *setup);

/** Stop every optimizer instance (their pending requests are dropped) and free. Safe on NULL. */
void fcfit_search_destroy(fcfit_search **s);

/** The next request not yet handed out: 1 and *req filled, or 0 when none is ready now. */
int fcfit_search_next(fcfit_search *s, fcfit_request *req);

/**
 * The outcome of a request's row: its task status and the objective loss
 * (the penalty for failed rows, as fcfit_objective_loss_or_penalty gives).
 */
fcfit_status fcfit_search_tell(fcfit_search *s, size_t row, int status, double loss);

/** Nonzero when the stage will ask for nothing more and every request was answered. */
int fcfit_search_done(const fcfit_search *s);

/** Number of rows the stage has asked for so far (the rows in use). */
size_t fcfit_search_rows_used(const fcfit_search *s);

/** Per-instance summary after the stage (NLopt result code or CMA-ES stop reason). */
typedef struct fcfit_instance_summary {
    int code;            /**< NLopt result code (CMA-ES: NLOPT_MAXEVAL_REACHED when its budget
                              ran out, NLOPT_XTOL_REACHED when it converged) */
    size_t evaluations;
    long best_row;       /**< -1 when none succeeded */
    double best_loss;
} fcfit_instance_summary;

/** Number of instances (optimize: starts; refine: 1 for CMA-ES, rounds*blocks, or starts). */
size_t fcfit_search_instances(const fcfit_search *s);
void fcfit_search_instance(const fcfit_search *s, size_t i, fcfit_instance_summary *out);

#ifdef __cplusplus
}
#endif
#endif /* FCFIT_SEARCH_H */
