/*
 * parallel_impl.h: declarations shared inside the parallel module
 * (run.c: set-up and the stage loop; coordinator.c: requests to tasks and
 * results to rows; worker.c: the worker loop and batch evaluation).
 */
#ifndef FCFIT_PARALLEL_IMPL_H
#define FCFIT_PARALLEL_IMPL_H

#include <mpi.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "fcfit/fcfit_eval.h"
#include "fcfit/fcfit_job.h"
#include "fcfit/fcfit_pack.h"
#include "fcfit/fcfit_protocol.h"
#include "fcfit/fcfit_results.h"
#include "fcfit/fcfit_search.h"

/** Print the recorded error with the rank, then abort every rank of comm (never returns). */
void fcfit_mpi_abort(MPI_Comm comm, int exit_code);

typedef struct ckpt_store ckpt_store;

/** What every rank of a run knows. */
typedef struct run_ctx {
    MPI_Comm comm;
    int rank, size;
    fcfit_job *job;
    size_t N, n_params;      /* regions, model parameters */
    size_t K, S, M;          /* scores, subjects, FC length (0: FC not saved anywhere) */
    int target2;             /* the job scores a second target */
    size_t lanes;
    double stop_timeout_s, progress_s;
    volatile sig_atomic_t *stop;
    int task_log_fd;
    const char *output;      /* the results file's path (rank 0) */
    ckpt_store *ckpt;        /* rank 0: checkpoints of simulations to resume */
    int signal_reported;     /* workers: a local signal was reported to rank 0 */
} run_ctx;

/* ---- simulation checkpoints on rank 0 and their side file (ckpt_store.c) ---- */

typedef struct ckpt_entry {
    uint64_t stage, task, point, replicate, seed;
    uint64_t params_hash;   /* hash of the item's row parameters (params_hash_of) */
    uint64_t step;          /* simulation steps done */
    uint64_t size;
    unsigned char *data;    /* the evaluator's checkpoint */
} ckpt_entry;

/* Open the store of results file `results_path`: fresh (a new results file) removes an old
 * side file; otherwise its entries are read (a file of another build or job is ignored). */
fcfit_status ckpt_store_open(ckpt_store **s, const char *results_path, const char *job_hash,
                             int fresh);
void ckpt_store_destroy(ckpt_store **s);
size_t ckpt_store_count(const ckpt_store *s);
/* The checkpoint of an item when its seed and parameters match (a mismatch drops it). */
const ckpt_entry *ckpt_store_match(ckpt_store *s, uint64_t stage, uint64_t task,
                                   uint64_t replicate, uint64_t seed, uint64_t params_hash);
fcfit_status ckpt_store_put(ckpt_store *s, const fcfit_ckpt_record *r, uint64_t params_hash);
void ckpt_store_drop(ckpt_store *s, uint64_t stage, uint64_t task, uint64_t replicate);
/* Drop the entries of stage `stage` whose row is done (status non-zero). */
void ckpt_store_drop_done(ckpt_store *s, uint64_t stage, const int32_t *status, size_t rows);
/* Write the side file (remove it when the store is empty). */
fcfit_status ckpt_store_save(ckpt_store *s);

/* ---- waiting without fixed sleeps (run.c) ---- */

/*
 * Adaptive back-off for polling loops: right after activity a loop only
 * yields the CPU (a result that arrives within ~50 us is seen at once), then
 * sleeps 10 us, doubling up to 100 us while activity is recent (50 ms) and
 * up to 1 ms after that, so an idle coordinator costs well under 1 % of a core.
 */
typedef struct waiter {
    double idle_since;
    long sleep_ns;
} waiter;
void waiter_reset(waiter *w);
void waiter_idle(waiter *w);

/* Receive the next message from `source` (MPI_ANY_SOURCE allowed) into buf; returns 0 if none. */
int poll_message(MPI_Comm comm, int source, int tag, fcfit_packer *buf, MPI_Status *ms);

/* ---- results of a batch (worker.c) ---- */

typedef struct result_set {
    size_t n;
    fcfit_work_result *r;
    double *scores, *scores2, *sub;
    float *fc;
    double *diag;
} result_set;

fcfit_status result_set_alloc(result_set *rs, const run_ctx *c, size_t n);
void result_set_free(result_set *rs);

/*
 * The evaluators of a rank: one per batch size 1, 2, 4, ... below c->lanes, and c->lanes,
 * made when first needed (the largest at once, so that set-up errors show before any task).
 * A batch of n items runs on the smallest one with at least n lanes, so a short batch does
 * not simulate empty lanes; lanes never change a result.
 */
typedef struct eval_set {
    size_t n;
    size_t subject;  /* the subject every evaluator is for (per-subject connectomes) */
    fcfit_eval *current;  /* the evaluator of the batch running now (NULL between batches) */
    size_t current_n;     /* its tasks */
    double current_t0;    /* when it started (fcfit_wtime) */
    size_t lanes[8];
    fcfit_eval *ev[8];
    fcfit_eval *cur; /* the one the last batch ran on (its lanes hold a stopped batch) */
} eval_set;

fcfit_status eval_set_init(const run_ctx *c, eval_set *es);
void eval_set_free(eval_set *es);

/* Evaluate a batch of items into result records (every item of one subject) (arrays owned by the records). */
fcfit_status evaluate_batch(const run_ctx *c, eval_set *es, size_t n,
                            const fcfit_work_item *items, fcfit_work_result *res,
                            fcfit_eval_stop_fn stop, void *sctx, int *stopped);

/*
 * Where the running batch is (polled between chunks): its tasks, the simulated seconds each
 * has done and will do in all, and the wall seconds since it started. 0 between batches.
 */
int batch_position(const run_ctx *c, const eval_set *es, fcfit_work_progress *pr);
/* Evaluate one item from its checkpoint (a checkpoint that does not fit is reported and the
 * item simulated from its start instead). */
fcfit_status evaluate_resume(const run_ctx *c, eval_set *es, const fcfit_work_item *item,
                             const unsigned char *ckpt, size_t size, fcfit_work_result *res,
                             fcfit_eval_stop_fn stop, void *sctx, int *stopped);

/* After a batch stopped inside its simulation: the checkpoint of each of its n items into
 * recs (data in *buf, grown as needed; owned by the caller). Returns the records filled
 * (0 when the evaluator cannot checkpoint). */
size_t checkpoint_batch(const fcfit_eval *ev, size_t n, const fcfit_work_item *items,
                        fcfit_ckpt_record *recs, unsigned char **buf, size_t *cap);

/* Hash of a row's parameter values as the coordinator holds them ([n_params][N]). */
uint64_t params_hash_of(const double *params, size_t n);

/* Workers: tell rank 0 once that this rank received a stop signal. */
void report_signal(run_ctx *c);

/* The worker loop: READY, then TASK -> RESULT until STOP (answered with BYE). */
fcfit_status worker_loop(run_ctx *c);

/* ---- diagnostics and warnings (diagnose.c) ---- */

/* The diagnostics entries of the results layout (names, drive, target FCD median, job warnings). */
void layout_diagnostics(const fcfit_job *job, fcfit_results_layout *lay);

typedef struct stage_warning_set {
    size_t n;
    char lines[FCFIT_RESULTS_WARNINGS][FCFIT_RESULTS_WARNING_LEN];
    const char *ptr[FCFIT_RESULTS_WARNINGS];
} stage_warning_set;

/* Warnings about a finished stage (rank 0): from its rows' flags in the file and its best row;
 * logged, and returned for the stage's summary. */
fcfit_status stage_warnings(const run_ctx *c, fcfit_results *res, size_t s, const fcfit_book *b,
                            long best_row, stage_warning_set *w);

/* ---- the coordinator (coordinator.c) ---- */

typedef struct coord coord;

fcfit_status coord_create(coord **co, run_ctx *c, fcfit_results *res);
void coord_destroy(coord **co);

/*
 * Run one stage (index s in the file's stage list) to its end, or until a
 * stop signal: requests from `search` become tasks (or are answered from the
 * book when the row is already done), results become rows. *stopped is set
 * when a signal ended the stage early.
 */
fcfit_status coord_run_stage(coord *co, size_t s, fcfit_search *search, fcfit_book *book,
                             int *stopped, double *busy_s);

/* Stop every worker (STOP, then wait for each BYE). Safe to call once, at the end. */
fcfit_status coord_release_workers(coord *co, int abort_code);

#endif
