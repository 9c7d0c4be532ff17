/*
 * coordinator.c: rank 0 between a running stage and the workers. It knows
 * nothing of sweeps or optimizers: requests come in from an fcfit_search,
 * outcomes go back to it (fcfit_search.h).
 *
 * A request is one row of the stage: R noise replicates, each a work item
 * (the parameter rows that differ from the job's, and the replicate's seed).
 * Items wait in a FIFO and go to idle workers in batches of up to
 * run.batch_lanes (pull scheduling: a worker gets work when it sends READY or
 * a RESULT). When every replicate of a row is back, the row is reduced in
 * replicate order (whatever order the replicates arrived in), its loss is
 * computed from the objective, the row is written (payload, then status) and
 * the outcome is told to the search, which may then ask for more.
 *
 * Resume: a request whose row is already done in the file is answered from
 * the book at once, after checking that the stored point is bitwise the one
 * asked for (a mismatch means the optimizer did not retrace its steps, which
 * would make the file wrong: it is an error, never silently accepted).
 *
 * Only requests of a bounded window are pulled at a time (enough to keep
 * every worker busy twice over), so a sweep of a million points needs memory
 * for a few hundred rows, not a million.
 *
 * Stop (SIGUSR1/SIGTERM/SIGINT): no more dispatch; results of running items
 * are collected until run.stop_timeout_s; rows still incomplete stay pending
 * and are redone on the next run.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcfit/fcfit_log.h"
#include "fcfit/fcfit_rng.h"
#include "fcfit/fcfit_util.h"
#include "parallel/parallel_impl.h"

/* One row being evaluated. */
typedef struct row_acc {
    size_t row;
    size_t got;
    int64_t instance, eval_index, source_stage, source_row;
    size_t subject;     /* per-subject connectomes: the row's subject */
    double *x;          /* [D] */
    double *params;     /* [np][N] */
    uint64_t *seeds;    /* [R] */
    size_t n_set;
    uint32_t set_param[FCFIT_PROTOCOL_MAX_SET];
    double *set_values; /* [n_set][N] */
    int32_t *rep_status;
    char (*reason)[160];
    double *scores;     /* [R][K] */
    double *scores2;    /* [R][K] */
    double *sub;        /* [R][S*3] */
    float *fc;          /* replicate 0's */
    double *diag;       /* [R][FCFIT_DIAG_COUNT] */
    double wall;
    int32_t rank;
    int64_t tune_it, tune_conv;
    double tune_err;
    uint64_t params_hash;   /* identifies the row's parameters to its checkpoints */
    struct row_acc *next;
} row_acc;

/* A queued work item: a row and a replicate. */
typedef struct queued {
    row_acc *acc;
    size_t replicate;
} queued;

struct coord {
    run_ctx *c;
    fcfit_results *res;
    /* the running stage */
    size_t s;
    const fcfit_stage *stage;
    fcfit_search *search;
    fcfit_book *book;
    size_t R, D;
    row_acc *accs;
    size_t n_accs;
    queued *queue;
    size_t q_cap, q_head, q_len;
    size_t window;      /* rows pulled at most at a time */
    /* workers */
    int *idle;
    size_t n_idle, n_inflight;
    queued **inflight;  /* [size][lanes] items each worker holds */
    size_t *inflight_n;
    int released;
    /* progress */
    size_t done_before, done_now, failed;
    long best_row;
    double best_loss;
    int best_flags;
    double best_diag[FCFIT_DIAG_COUNT];
    double t0, last_report, busy_s;
    fcfit_work_progress *running; /* [size] where each rank's running batch is (PROGRESS) */
    int stopping;
    double stop_deadline;
    int remote_signal;  /* a signal a worker reported */
    fcfit_ckpt_record *ckrecs; /* [lanes] checkpoint records of one message */
    unsigned char *ckbuf;      /* rank 0 alone: its own batch's checkpoints */
    size_t ckcap;
    /* buffers */
    fcfit_packer in, out;
    fcfit_work_item *items;
    result_set rs;
    eval_set ev;        /* rank 0 alone */
    double *row_scores, *row_scores2, *row_sub, *row_se, *row_se2, *rep_loss;
    double *row_sd, row_diag[FCFIT_DIAG_COUNT];
};

/* ---- rows ---- */

static void acc_free(row_acc *a)
{
    if (a == NULL) {
        return;
    }
    free(a->x);
    free(a->params);
    free(a->seeds);
    free(a->set_values);
    free(a->rep_status);
    free(a->reason);
    free(a->scores);
    free(a->scores2);
    free(a->sub);
    free(a->fc);
    free(a->diag);
    free(a);
}

static row_acc *acc_find(coord *co, size_t row)
{
    for (row_acc *a = co->accs; a != NULL; a = a->next) {
        if (a->row == row) {
            return a;
        }
    }
    return NULL;
}

static void acc_drop(coord *co, row_acc *a)
{
    row_acc **pp = &co->accs;
    while (*pp != NULL && *pp != a) {
        pp = &(*pp)->next;
    }
    if (*pp == a) {
        *pp = a->next;
        co->n_accs--;
    }
    acc_free(a);
}

static fcfit_status queue_push(coord *co, row_acc *a, size_t r)
{
    if (co->q_len == co->q_cap) {
        size_t ncap = co->q_cap > 0 ? 2 * co->q_cap : 64;
        queued *nq = calloc(ncap, sizeof *nq);
        FCFIT_REQUIRE(nq != NULL, FCFIT_ERR_NOMEM, "cannot grow the task queue");
        for (size_t k = 0; k < co->q_len; k++) {
            nq[k] = co->queue[(co->q_head + k) % co->q_cap];
        }
        free(co->queue);
        co->queue = nq;
        co->q_cap = ncap;
        co->q_head = 0;
    }
    co->queue[(co->q_head + co->q_len) % co->q_cap].acc = a;
    co->queue[(co->q_head + co->q_len) % co->q_cap].replicate = r;
    co->q_len++;
    return FCFIT_OK;
}

static int queue_pop(coord *co, queued *q)
{
    if (co->q_len == 0) {
        return 0;
    }
    *q = co->queue[co->q_head];
    co->q_head = (co->q_head + 1) % co->q_cap;
    co->q_len--;
    return 1;
}

/* A new row from a request: copies of the point and parameters, seeds, the rows that differ. */
static fcfit_status acc_new(coord *co, const fcfit_request *req)
{
    const run_ctx *c = co->c;
    const size_t N = c->N, np = c->n_params, R = co->R, K = c->K;
    fcfit_status st = FCFIT_OK;
    row_acc *a = calloc(1, sizeof *a);
    FCFIT_REQUIRE(a != NULL, FCFIT_ERR_NOMEM, "cannot allocate a row");
    a->row = req->row;
    a->instance = req->instance;
    a->eval_index = req->eval_index;
    a->source_stage = req->source_stage;
    a->source_row = req->source_row;
    FCFIT_ALLOC_GOTO(a->x, co->D + 1, "row point");
    FCFIT_ALLOC_GOTO(a->params, np * N, "row parameters");
    FCFIT_ALLOC_GOTO(a->seeds, R, "row seeds");
    FCFIT_ALLOC_GOTO(a->set_values, np * N, "row parameters");
    FCFIT_ALLOC_GOTO(a->rep_status, R, "replicate status");
    FCFIT_ALLOC_GOTO(a->reason, R, "replicate reasons");
    FCFIT_ALLOC_GOTO(a->scores, R * K, "replicate scores");
    FCFIT_ALLOC_GOTO(a->scores2, R * K, "replicate scores");
    FCFIT_ALLOC_GOTO(a->sub, R * (c->S * FCFIT_SSCORE_COUNT + 1), "replicate subject scores");
    FCFIT_ALLOC_GOTO(a->fc, c->M + 1, "row FC");
    FCFIT_ALLOC_GOTO(a->diag, R * FCFIT_DIAG_COUNT, "row diagnostics");
    if (req->x != NULL && co->D > 0) {
        memcpy(a->x, req->x, co->D * sizeof(double));
    }
    a->subject = fcfit_stage_point_subject(co->stage, req->x);
    memcpy(a->params, req->params, np * N * sizeof(double));
    a->params_hash = params_hash_of(a->params, np * N);
    for (size_t r = 0; r < R; r++) {
        a->seeds[r] = fcfit_rng_derive(c->job->seed, req->seed_task, r);
    }
    for (size_t j = 0; j < np; j++) {
        if (memcmp(a->params + j * N, c->job->params + j * N, N * sizeof(double)) != 0) {
            a->set_param[a->n_set] = (uint32_t)j;
            memcpy(a->set_values + a->n_set * N, a->params + j * N, N * sizeof(double));
            a->n_set++;
        }
    }
    for (size_t r = 0; r < R; r++) {
        FCFIT_TRY(queue_push(co, a, r));
    }
    a->next = co->accs;
    co->accs = a;
    co->n_accs++;
    return FCFIT_OK;

cleanup:
    acc_free(a);
    return st;
}

/* flags/diag: the row's (NULL for rows resumed from the file: their flags are not shown). */
static void consider_best(coord *co, size_t row, int32_t status, double loss, int flags,
                          const double *diag)
{
    if (status != FCFIT_TASK_OK || !isfinite(loss)) {
        return;
    }
    if (co->best_row < 0 || loss < co->best_loss ||
        (loss == co->best_loss && (long)row < co->best_row)) {
        co->best_row = (long)row;
        co->best_loss = loss;
        co->best_flags = diag != NULL ? flags : 0;
        if (diag != NULL) {
            memcpy(co->best_diag, diag, sizeof co->best_diag);
        }
    }
}

/* Standard deviation over R replicates of [R][n] values (stride apart), in replicate order. */
static void replicate_sd(const double *v, size_t R, size_t n, size_t stride, double *sd)
{
    for (size_t k = 0; k < n; k++) {
        double s = 0.0, ss = 0.0, mean;
        for (size_t r = 0; r < R; r++) {
            s += v[r * stride + k];
        }
        mean = s / (double)R;
        for (size_t r = 0; r < R; r++) {
            ss += (v[r * stride + k] - mean) * (v[r * stride + k] - mean);
        }
        sd[k] = R > 1 ? sqrt(ss / (double)(R - 1)) : NAN;
    }
}

/* Mean (and, with se != NULL, standard error) over R replicates of [R][n] values, in replicate order. */
static void reduce(const double *v, size_t R, size_t n, size_t stride, double *mean, double *se)
{
    for (size_t k = 0; k < n; k++) {
        double s = 0.0, ss = 0.0;
        for (size_t r = 0; r < R; r++) {
            s += v[r * stride + k];
        }
        mean[k] = s / (double)R;
        if (se != NULL) {
            for (size_t r = 0; r < R; r++) {
                double d = v[r * stride + k] - mean[k];
                ss += d * d;
            }
            se[k] = R > 1 ? sqrt(ss / (double)(R - 1) / (double)R) : NAN;
        }
    }
}

/* Every replicate of a row is back: reduce, write, book, tell. */
static fcfit_status finish_row(coord *co, row_acc *a)
{
    const run_ctx *c = co->c;
    const size_t R = co->R, K = c->K, SS = c->S * FCFIT_SSCORE_COUNT;
    const fcfit_objective *obj = &c->job->objective;
    int validate = co->stage->kind == FCFIT_STAGE_VALIDATE;
    fcfit_results_row row;
    int32_t status = FCFIT_TASK_OK;
    const char *reason = "";
    double loss, loss_se = NAN;

    for (size_t r = 0; r < R; r++) {
        if (a->rep_status[r] != FCFIT_TASK_OK) {
            status = a->rep_status[r];
            reason = a->reason[r];
            break;
        }
    }
    reduce(a->scores, R, K, K, co->row_scores, validate ? co->row_se : NULL);
    reduce(a->sub, R, SS, SS + 1, co->row_sub, NULL);
    if (c->target2) {
        reduce(a->scores2, R, K, K, co->row_scores2, validate ? co->row_se2 : NULL);
    }
    loss = fcfit_objective_loss_or_penalty(obj, status, co->row_scores);
    if (validate && status == FCFIT_TASK_OK) {
        double mean_loss;
        for (size_t r = 0; r < R; r++) {
            co->rep_loss[r] = fcfit_objective_loss_or_penalty(obj, a->rep_status[r],
                                                              a->scores + r * K);
        }
        reduce(co->rep_loss, R, 1, 1, &mean_loss, &loss_se);
    }
    reduce(a->diag, R, FCFIT_DIAG_COUNT, FCFIT_DIAG_COUNT, co->row_diag, NULL);
    replicate_sd(a->scores, R, K, K, co->row_sd);
    memset(&row, 0, sizeof row);
    row.scores_sd = co->row_sd;
    row.diag = co->row_diag;
    row.flags = status == FCFIT_TASK_OK ? fcfit_diag_flags(co->row_diag) : 0;
    row.status = status;
    row.reason = reason;
    row.rank = a->rank;
    row.wall_s = a->wall;
    row.x = a->x;
    row.seeds = a->seeds;
    row.objective = loss;
    row.scores = co->row_scores;
    row.scores_replicate = a->scores;
    row.replicate_status = a->rep_status;
    row.subject_scores = co->row_sub;
    row.fc = c->M > 0 ? a->fc : NULL;
    row.tune_iterations = (int32_t)a->tune_it;
    row.tune_max_error = a->tune_err;
    row.tune_converged = (int32_t)a->tune_conv;
    row.instance = (int32_t)a->instance;
    row.eval_index = (int32_t)a->eval_index;
    row.candidate_stage = (int32_t)a->source_stage;
    row.candidate_row = a->source_row;
    row.scores_se = co->row_se;
    row.objective_se = loss_se;
    row.region_params = a->params;
    row.scores2 = co->row_scores2;
    row.scores2_se = co->row_se2;
    FCFIT_CHECK(fcfit_results_write_row(co->res, co->s, a->row, &row));
    /* The book mirrors the file. */
    co->book->status[a->row] = status;
    co->book->loss[a->row] = loss;
    if (co->D > 0) {
        memcpy(co->book->x + a->row * co->D, a->x, co->D * sizeof(double));
    }
    memcpy(co->book->scores + a->row * K, co->row_scores, K * sizeof(double));
    if (co->book->region_params != NULL) {
        memcpy(co->book->region_params + a->row * c->n_params * c->N, a->params,
               c->n_params * c->N * sizeof(double));
    }
    if (co->book->loss_se != NULL) {
        co->book->loss_se[a->row] = loss_se;
    }
    co->done_now++;
    if (status != FCFIT_TASK_OK) {
        co->failed++;
    }
    consider_best(co, a->row, status, loss, row.flags, co->row_diag);
    {
        size_t rown = a->row;
        acc_drop(co, a);
        FCFIT_CHECK(fcfit_search_tell(co->search, rown, status, loss));
    }
    return FCFIT_OK;
}

static fcfit_status take_result(coord *co, const fcfit_work_result *r, int rank)
{
    const run_ctx *c = co->c;
    const size_t K = c->K, SS = c->S * FCFIT_SSCORE_COUNT;
    row_acc *a;
    FCFIT_REQUIRE(r->stage == (uint64_t)co->stage->kind && r->replicate < co->R,
                  FCFIT_ERR_PROTOCOL, "result for stage %llu replicate %llu out of range",
                  (unsigned long long)r->stage, (unsigned long long)r->replicate);
    a = acc_find(co, (size_t)r->point);
    FCFIT_REQUIRE(a != NULL, FCFIT_ERR_PROTOCOL, "result for row %llu, which is not running",
                  (unsigned long long)r->point);
    ckpt_store_drop(c->ckpt, r->stage, r->task, r->replicate);
    a->rep_status[r->replicate] = (int32_t)r->status;
    snprintf(a->reason[r->replicate], sizeof a->reason[0], "%s", r->reason);
    memcpy(a->scores + r->replicate * K, r->scores, K * sizeof(double));
    if (c->target2 && r->n_scores2 == K) {
        memcpy(a->scores2 + r->replicate * K, r->scores2, K * sizeof(double));
    }
    if (SS > 0) {
        memcpy(a->sub + r->replicate * (SS + 1), r->subject_scores, SS * sizeof(double));
    }
    memcpy(a->diag + r->replicate * FCFIT_DIAG_COUNT, r->diag,
           FCFIT_DIAG_COUNT * sizeof(double));
    if (r->replicate == 0) {
        if (c->M > 0) {
            memcpy(a->fc, r->fc, c->M * sizeof(float));
        }
        a->tune_it = r->tune_iterations;
        a->tune_conv = r->tune_converged;
        a->tune_err = r->tune_max_error;
    }
    a->wall += r->wall_s;
    co->busy_s += r->wall_s;
    a->rank = rank;
    a->got++;
    if (a->got == co->R) {
        FCFIT_CHECK(finish_row(co, a));
    }
    return FCFIT_OK;
}

/* ---- requests ---- */

/* A request for a row that is done already (resume): answer from the book after checking it. */
static fcfit_status replay(coord *co, const fcfit_request *req)
{
    const fcfit_book *b = co->book;
    const size_t np = co->c->n_params * co->c->N;
    if (req->x != NULL && co->D > 0) {
        FCFIT_REQUIRE(memcmp(b->x + req->row * co->D, req->x, co->D * sizeof(double)) == 0,
                      FCFIT_ERR_MISMATCH,
                      "%s: row %zu in the results file holds another point than the one the "
                      "stage asks for now; the file cannot be resumed with this fcfit (use "
                      "--force to start over)",
                      co->stage->name, req->row);
    }
    if (b->region_params != NULL) {
        FCFIT_REQUIRE(memcmp(b->region_params + req->row * np, req->params,
                             np * sizeof(double)) == 0,
                      FCFIT_ERR_MISMATCH,
                      "%s: row %zu in the results file validated another candidate than the "
                      "one chosen now; the file cannot be resumed (use --force to start over)",
                      co->stage->name, req->row);
    }
    return fcfit_search_tell(co->search, req->row, b->status[req->row], b->loss[req->row]);
}

/* Pull requests while the window has room; replayed rows are answered at once. */
static fcfit_status pump(coord *co)
{
    fcfit_request req;
    while (!co->stopping && co->n_accs < co->window && fcfit_search_next(co->search, &req)) {
        FCFIT_REQUIRE(req.row < co->stage->capacity, FCFIT_ERR_INTERNAL,
                      "%s: request for row %zu of %zu", co->stage->name, req.row,
                      co->stage->capacity);
        if (co->book->status[req.row] != 0) {
            FCFIT_CHECK(replay(co, &req));
        } else {
            FCFIT_CHECK(acc_new(co, &req));
        }
    }
    return FCFIT_OK;
}

/* The checkpoint of a queued item, if the store holds one that is the item's. */
static const ckpt_entry *queued_checkpoint(coord *co, const queued *q)
{
    const row_acc *a = q->acc;
    return ckpt_store_match(co->c->ckpt, (uint64_t)co->stage->kind, co->stage->task_base + a->row,
                            q->replicate, a->seeds[q->replicate], a->params_hash);
}

/*
 * Fill a batch from the queue: a fair share of the queued items per worker (so that a short
 * queue is spread over the workers instead of going to the first idle one), at most `lanes`.
 * An item with a checkpoint goes alone (*ck set; the lanes of a batch advance together, so a
 * resumed item cannot share a batch with new ones).
 */
static size_t next_batch(coord *co, fcfit_work_item *items, queued *taken, const ckpt_entry **ck)
{
    const run_ctx *c = co->c;
    const size_t workers = c->size > 1 ? (size_t)(c->size - 1) : 1;
    size_t n = 0, cap = (co->q_len + workers - 1) / workers;
    queued q;
    const int have_ckpt = c->ckpt != NULL && ckpt_store_count(c->ckpt) > 0;
    cap = cap < 1 ? 1 : cap > c->lanes ? c->lanes : cap;
    *ck = NULL;
    if (co->q_len > 0 && have_ckpt) {
        *ck = queued_checkpoint(co, &co->queue[co->q_head]);
    }
    if (*ck != NULL) {
        cap = 1;
    }
    while (n < cap && co->q_len > 0) {
        if (n > 0 && have_ckpt && queued_checkpoint(co, &co->queue[co->q_head]) != NULL) {
            break; /* it starts the next batch */
        }
        /* The lanes of a batch share one connectome: a batch ends where the subject changes. */
        if (n > 0 && co->queue[co->q_head].acc->subject != items[0].subject) {
            break;
        }
        queue_pop(co, &q);
        fcfit_work_item *it = &items[n];
        const row_acc *a = q.acc;
        it->stage = (uint64_t)co->stage->kind;
        it->task = co->stage->task_base + a->row;
        it->point = a->row;
        it->replicate = q.replicate;
        it->seed = a->seeds[q.replicate];
        it->subject = a->subject;
        it->n_set = a->n_set;
        memcpy(it->set_param, a->set_param, a->n_set * sizeof(uint32_t));
        it->set_values = a->set_values;
        if (taken != NULL) {
            taken[n] = q;
        }
        n++;
    }
    return n;
}

/* ---- progress and signals ---- */

static void progress(coord *co, int final)
{
    const run_ctx *c = co->c;
    double now = fcfit_wtime(), el = now - co->t0;
    size_t done = co->done_before + co->done_now;
    size_t used = fcfit_search_rows_used(co->search);
    size_t n_run = 0, run_tasks = 0, target_n = 0;
    double sim_lo = INFINITY, total_s = 0.0, left_s = 0.0;
    char best[400] = "", total[96], rate[64], running[200] = "", eta[64] = "";
    if (!final && (c->progress_s <= 0 || now - co->last_report < c->progress_s)) {
        return;
    }
    co->last_report = now;
    /* Batches reported running (PROGRESS, or rank 0's own): how far the least advanced one is,
     * and when the slowest should end at its rate so far. */
    for (int w = 0; !final && w < c->size; w++) {
        const fcfit_work_progress *r = &co->running[w];
        if (r->n_tasks == 0 || !(r->total_s > 0)) {
            continue;
        }
        n_run++;
        run_tasks += (size_t)r->n_tasks;
        sim_lo = fmin(sim_lo, r->simulated_s);
        total_s = r->total_s;
        if (r->simulated_s > 0 && r->wall_s > 0) {
            left_s = fmax(left_s, r->wall_s * (r->total_s - r->simulated_s) / r->simulated_s);
        }
    }
    if (n_run > 0) {
        snprintf(running, sizeof running,
                 "; running %zu task(s) in %zu batch(es), simulated %.6g of %.6g s%s", run_tasks,
                 n_run, sim_lo, total_s, left_s > 0 ? " (the batches end in about " : "");
        if (left_s > 0) {
            size_t len = strlen(running);
            snprintf(running + len, sizeof running - len, "%.0f s)", left_s);
        }
    }
    if (co->stage->kind == FCFIT_STAGE_SWEEP || co->stage->kind == FCFIT_STAGE_VALIDATE) {
        target_n = co->stage->kind == FCFIT_STAGE_SWEEP ? co->stage->n_points
                                                        : co->stage->capacity;
    }
    if (co->done_now > 0 && el > 0) {
        double r = (double)co->done_now / el;
        snprintf(rate, sizeof rate, "%.3g/s", r);
        if (!final && target_n > done) {
            snprintf(eta, sizeof eta, ", about %.0f s left", (double)(target_n - done) / r);
        }
    } else {
        snprintf(rate, sizeof rate, "no evaluation finished yet");
    }
    if (co->best_row >= 0) {
        char words[256];
        snprintf(best, sizeof best, ", best %s %.5g (row %ld%s%s)", c->job->objective.text,
                 fcfit_objective_display(&c->job->objective, co->best_loss), co->best_row,
                 co->best_flags != 0 ? "; WARNING: " : "",
                 fcfit_diag_describe(co->best_flags, co->best_diag, words, sizeof words));
    }
    if (co->stage->kind == FCFIT_STAGE_SWEEP || co->stage->kind == FCFIT_STAGE_VALIDATE) {
        snprintf(total, sizeof total, "%zu/%zu evaluations",
                 done, co->stage->kind == FCFIT_STAGE_SWEEP ? co->stage->n_points
                                                           : co->stage->capacity);
    } else {
        snprintf(total, sizeof total, "%zu evaluations (%zu asked for, budget %zu)", done, used,
                 co->stage->capacity);
    }
    fcfit_log(FCFIT_LOG_INFO, "%s: %s, %zu failed, %s%s%s%s", co->stage->name, total, co->failed,
              rate, eta, best, running);
}

static const char *signal_name(int sig)
{
    return sig == SIGUSR1   ? "SIGUSR1"
           : sig == SIGUSR2 ? "SIGUSR2"
           : sig == SIGTERM ? "SIGTERM"
           : sig == SIGINT  ? "SIGINT"
                            : "signal";
}

/*
 * A stop was asked for (a signal on rank 0, or one a worker reported): no new work; every busy
 * worker is asked to checkpoint its simulations at the next chunk boundary (SUSPEND), and the
 * checkpoints, or results, are collected until run.stop_timeout_s.
 */
static void check_stop(coord *co)
{
    run_ctx *c = co->c;
    int sig = c->stop != NULL && *c->stop != 0 ? (int)*c->stop : co->remote_signal;
    if (co->stopping || sig == 0) {
        return;
    }
    co->stopping = 1;
    co->stop_deadline = fcfit_wtime() + c->stop_timeout_s;
    fcfit_log(FCFIT_LOG_WARN,
              "%s%s: no new tasks; running simulations are checkpointed (waiting up to %g s), "
              "then the results file is closed",
              signal_name(sig), c->stop != NULL && *c->stop != 0 ? "" : " (on a worker rank)",
              c->stop_timeout_s);
    if (c->size > 1) {
        fcfit_proto_pack_suspend(&co->out);
        for (int w = 1; w < c->size; w++) {
            if (co->inflight_n[w] > 0) {
                MPI_Send(co->out.buf, (int)co->out.len, MPI_BYTE, w, FCFIT_TAG_SUSPEND, c->comm);
            }
        }
    }
}

/* Rank 0 alone: a simulation stops at once (it is checkpointed); a test function runs on. */
static int alone_should_stop(void *ctx)
{
    coord *co = ctx;
    check_stop(co);
    if (batch_position(co->c, &co->ev, &co->running[0])) {
        progress(co, 0);
    }
    return co->stopping &&
           ((co->ev.cur != NULL && fcfit_eval_can_checkpoint(co->ev.cur)) ||
            fcfit_wtime() > co->stop_deadline);
}

/* Keep the checkpoints of items a worker (or rank 0) suspended; `taken` are its items. */
static void keep_checkpoints(coord *co, size_t n, const fcfit_ckpt_record *recs,
                             const queued *taken, size_t n_taken)
{
    for (size_t k = 0; k < n; k++) {
        const row_acc *a = NULL;
        for (size_t t = 0; t < n_taken; t++) {
            if (taken[t].acc->row == recs[k].point && taken[t].replicate == recs[k].replicate) {
                a = taken[t].acc;
            }
        }
        if (a == NULL || recs[k].stage != (uint64_t)co->stage->kind ||
            recs[k].seed != a->seeds[recs[k].replicate]) {
            continue; /* not an item this worker held: never keep it */
        }
        if (ckpt_store_put(co->c->ckpt, &recs[k], a->params_hash) != FCFIT_OK) {
            fcfit_log(FCFIT_LOG_WARN, "%s", fcfit_error_message());
            fcfit_error_clear();
        }
    }
    if (n > 0) {
        fcfit_log(FCFIT_LOG_INFO, "%s: %zu simulation(s) checkpointed at step %llu", co->stage->name,
                  n, (unsigned long long)recs[0].step);
    }
}

/* ---- the two ways of evaluating ---- */

static fcfit_status run_alone(coord *co, int *stopped)
{
    run_ctx *c = co->c;
    queued taken[64];
    for (;;) {
        size_t n;
        int abandoned = 0;
        const ckpt_entry *ck = NULL;
        check_stop(co);
        FCFIT_CHECK(pump(co));
        if (co->stopping) {
            *stopped = 1;
            return FCFIT_OK;
        }
        n = next_batch(co, co->items, taken, &ck);
        if (n == 0) {
            FCFIT_REQUIRE(fcfit_search_done(co->search), FCFIT_ERR_INTERNAL,
                          "%s: the stage waits for outcomes but nothing is running",
                          co->stage->name);
            return FCFIT_OK;
        }
        if (ck != NULL) {
            FCFIT_CHECK(evaluate_resume(c, &co->ev, co->items, ck->data, (size_t)ck->size,
                                        co->rs.r, alone_should_stop, co, &abandoned));
        } else {
            FCFIT_CHECK(evaluate_batch(c, &co->ev, n, co->items, co->rs.r, alone_should_stop, co,
                                       &abandoned));
        }
        if (abandoned) {
            size_t k = checkpoint_batch(co->ev.cur, n, co->items, co->ckrecs, &co->ckbuf,
                                        &co->ckcap);
            keep_checkpoints(co, k, co->ckrecs, taken, n);
            *stopped = 1;
            return FCFIT_OK;
        }
        memset(&co->running[0], 0, sizeof co->running[0]);
        for (size_t k = 0; k < n; k++) {
            FCFIT_CHECK(take_result(co, &co->rs.r[k], 0));
        }
        progress(co, 0);
    }
}

static fcfit_status send_batch(coord *co, int w)
{
    run_ctx *c = co->c;
    const ckpt_entry *ck = NULL;
    size_t n = next_batch(co, co->items, co->inflight[w], &ck);
    if (n == 0) {
        co->idle[co->n_idle++] = w;
        return FCFIT_OK;
    }
    if (ck != NULL) {
        fcfit_ckpt_record rec;
        rec.stage = ck->stage;
        rec.task = ck->task;
        rec.point = ck->point;
        rec.replicate = ck->replicate;
        rec.seed = ck->seed;
        rec.step = ck->step;
        rec.size = ck->size;
        rec.data = ck->data;
        fcfit_proto_pack_resume(&co->out, c->N, co->items, &rec);
        FCFIT_CHECK(fcfit_pack_status(&co->out));
        MPI_Send(co->out.buf, (int)co->out.len, MPI_BYTE, w, FCFIT_TAG_RESUME, c->comm);
    } else {
        fcfit_proto_pack_task(&co->out, n, c->N, co->items);
        FCFIT_CHECK(fcfit_pack_status(&co->out));
        MPI_Send(co->out.buf, (int)co->out.len, MPI_BYTE, w, FCFIT_TAG_TASK, c->comm);
    }
    co->inflight_n[w] = n;
    co->n_inflight++;
    return FCFIT_OK;
}

static fcfit_status run_workers(coord *co, int *stopped)
{
    run_ctx *c = co->c;
    waiter wt;
    waiter_reset(&wt);
    for (;;) {
        MPI_Status ms;
        int got;
        check_stop(co);
        if (co->stopping && (co->n_inflight == 0 || fcfit_wtime() > co->stop_deadline)) {
            *stopped = 1;
            return FCFIT_OK;
        }
        FCFIT_CHECK(pump(co));
        /* Hand out work to idle workers. */
        while (!co->stopping && co->n_idle > 0 && co->q_len > 0) {
            int w = co->idle[--co->n_idle];
            FCFIT_CHECK(send_batch(co, w));
        }
        if (!co->stopping && co->n_inflight == 0 && co->q_len == 0) {
            FCFIT_REQUIRE(fcfit_search_done(co->search), FCFIT_ERR_INTERNAL,
                          "%s: the stage waits for outcomes but nothing is running",
                          co->stage->name);
            return FCFIT_OK;
        }
        got = poll_message(c->comm, MPI_ANY_SOURCE, MPI_ANY_TAG, &co->in, &ms);
        FCFIT_REQUIRE(got >= 0, FCFIT_ERR_NOMEM, "cannot allocate a message buffer");
        if (got == 0) {
            progress(co, 0);
            waiter_idle(&wt);
            continue;
        }
        waiter_reset(&wt);
        if (ms.MPI_TAG == FCFIT_TAG_READY) {
            co->idle[co->n_idle++] = ms.MPI_SOURCE;
        } else if (ms.MPI_TAG == FCFIT_TAG_RESULT) {
            size_t n = 0;
            FCFIT_CHECK(fcfit_proto_unpack_result(co->in.buf, co->in.len, c->lanes, co->rs.r, &n));
            co->inflight_n[ms.MPI_SOURCE] = 0;
            memset(&co->running[ms.MPI_SOURCE], 0, sizeof co->running[ms.MPI_SOURCE]);
            co->n_inflight--;
            /* Keep the worker busy first, then take the results. */
            if (!co->stopping) {
                FCFIT_CHECK(pump(co));
                FCFIT_CHECK(send_batch(co, ms.MPI_SOURCE));
            } else {
                co->idle[co->n_idle++] = ms.MPI_SOURCE;
            }
            for (size_t k = 0; k < n; k++) {
                FCFIT_CHECK(take_result(co, &co->rs.r[k], ms.MPI_SOURCE));
            }
        } else if (ms.MPI_TAG == FCFIT_TAG_PROGRESS) {
            fcfit_work_progress pr;
            FCFIT_CHECK(fcfit_proto_unpack_progress(co->in.buf, co->in.len, &pr));
            /* A PROGRESS that crossed its batch's RESULT is stale: keep idle workers idle. */
            if (co->inflight_n[ms.MPI_SOURCE] > 0) {
                co->running[ms.MPI_SOURCE] = pr;
            }
        } else if (ms.MPI_TAG == FCFIT_TAG_CHECKPOINT) {
            size_t n = 0;
            const int w = ms.MPI_SOURCE;
            FCFIT_CHECK(fcfit_proto_unpack_checkpoint(co->in.buf, co->in.len, c->lanes, co->ckrecs,
                                                      &n));
            if (co->inflight_n[w] > 0) {
                keep_checkpoints(co, n, co->ckrecs, co->inflight[w], co->inflight_n[w]);
                co->inflight_n[w] = 0;
                co->n_inflight--;
            }
            co->idle[co->n_idle++] = w;
        } else if (ms.MPI_TAG == FCFIT_TAG_SIGNAL) {
            int64_t sig = 0;
            FCFIT_CHECK(fcfit_proto_unpack_signal(co->in.buf, co->in.len, &sig));
            if (co->remote_signal == 0) {
                co->remote_signal = sig > 0 && sig < 64 ? (int)sig : SIGTERM;
            }
        } else if (ms.MPI_TAG == FCFIT_TAG_ERROR) {
            int64_t code = 0;
            char msg[1024] = "";
            fcfit_proto_unpack_error(co->in.buf, co->in.len, &code, msg, sizeof msg);
            return fcfit_error_set(code > 0 && code < FCFIT_STATUS_COUNT ? (fcfit_status)code
                                                                          : FCFIT_ERR_INTERNAL,
                                   __FILE__, __LINE__, __func__, "worker rank %d failed: %s",
                                   ms.MPI_SOURCE, msg);
        } else {
            FCFIT_FAIL(FCFIT_ERR_PROTOCOL, "unexpected message tag %d from rank %d", ms.MPI_TAG,
                       ms.MPI_SOURCE);
        }
        progress(co, 0);
    }
}

fcfit_status coord_run_stage(coord *co, size_t s, fcfit_search *search, fcfit_book *book,
                             int *stopped, double *busy_s)
{
    run_ctx *c = co->c;
    fcfit_status st = FCFIT_OK;
    size_t workers = c->size > 1 ? (size_t)(c->size - 1) : 1;

    *stopped = 0;
    co->s = s;
    co->stage = book->stage;
    co->search = search;
    co->book = book;
    co->R = book->stage->replicates;
    co->D = book->stage->n_dims;
    co->done_before = 0;
    co->done_now = 0;
    co->failed = 0;
    co->best_row = -1;
    co->best_flags = 0;
    co->best_loss = NAN;
    co->busy_s = 0.0;
    ckpt_store_drop_done(c->ckpt, (uint64_t)book->stage->kind, book->status, book->capacity);
    for (size_t r = 0; r < book->capacity; r++) {
        if (book->status[r] != 0) {
            co->done_before++;
            co->failed += book->status[r] != FCFIT_TASK_OK;
            consider_best(co, r, book->status[r], book->loss[r], 0, NULL);
        }
    }
    /* Enough rows to keep every lane of every worker busy twice over. */
    co->window = 2 * workers * c->lanes / (co->R > 0 ? co->R : 1) + 2;
    free(co->rep_loss);
    co->rep_loss = calloc(co->R + 1, sizeof(double));
    FCFIT_REQUIRE(co->rep_loss != NULL, FCFIT_ERR_NOMEM, "out of memory");
    co->t0 = fcfit_wtime();
    co->last_report = co->t0;
    if (co->done_before > 0) {
        fcfit_log(FCFIT_LOG_INFO, "%s: resuming, %zu evaluation(s) already in the file",
                  co->stage->name, co->done_before);
    }
    st = c->size == 1 ? run_alone(co, stopped) : run_workers(co, stopped);
    progress(co, 1);
    *busy_s = co->busy_s;
    /* Rows not finished stay pending: forget them (their items may still be out). */
    while (co->accs != NULL) {
        acc_drop(co, co->accs);
    }
    co->q_len = 0;
    co->q_head = 0;
    co->search = NULL;
    co->book = NULL;
    return st;
}

fcfit_status coord_create(coord **out, run_ctx *c, fcfit_results *res)
{
    fcfit_status st = FCFIT_OK;
    coord *co = calloc(1, sizeof *co);
    const size_t K = c->K;
    *out = NULL;
    FCFIT_REQUIRE(co != NULL, FCFIT_ERR_NOMEM, "cannot allocate the coordinator");
    co->c = c;
    co->res = res;
    fcfit_pack_init(&co->in);
    fcfit_pack_init(&co->out);
    FCFIT_ALLOC_GOTO(co->items, c->lanes, "task items");
    FCFIT_ALLOC_GOTO(co->idle, c->size, "idle worker list");
    FCFIT_ALLOC_GOTO(co->inflight, c->size, "in-flight lists");
    FCFIT_ALLOC_GOTO(co->inflight_n, c->size, "in-flight counts");
    FCFIT_ALLOC_GOTO(co->running, c->size, "batch positions");
    for (int w = 0; w < c->size; w++) {
        FCFIT_ALLOC_GOTO(co->inflight[w], c->lanes, "in-flight items");
    }
    FCFIT_ALLOC_GOTO(co->row_scores, K, "row scores");
    FCFIT_ALLOC_GOTO(co->row_scores2, K, "row scores");
    FCFIT_ALLOC_GOTO(co->row_se, K, "row standard errors");
    FCFIT_ALLOC_GOTO(co->row_se2, K, "row standard errors");
    FCFIT_ALLOC_GOTO(co->row_sub, c->S * FCFIT_SSCORE_COUNT + 1, "row subject scores");
    FCFIT_ALLOC_GOTO(co->row_sd, K, "row score deviations");
    FCFIT_ALLOC_GOTO(co->ckrecs, c->lanes, "checkpoint records");
    FCFIT_TRY(result_set_alloc(&co->rs, c, c->lanes));
    for (size_t k = 0; k < K; k++) {
        co->row_scores2[k] = NAN;
        co->row_se2[k] = NAN;
    }
    if (c->size == 1) {
        FCFIT_TRY(eval_set_init(c, &co->ev));
    }
    *out = co;
    return FCFIT_OK;

cleanup:
    coord_destroy(&co);
    return st;
}

void coord_destroy(coord **pco)
{
    coord *co;
    if (pco == NULL || *pco == NULL) {
        return;
    }
    co = *pco;
    while (co->accs != NULL) {
        acc_drop(co, co->accs);
    }
    free(co->queue);
    for (int w = 0; co->inflight != NULL && w < co->c->size; w++) {
        free(co->inflight[w]);
    }
    free(co->inflight);
    free(co->inflight_n);
    free(co->running);
    free(co->idle);
    free(co->items);
    free(co->row_scores);
    free(co->row_scores2);
    free(co->row_se);
    free(co->row_se2);
    free(co->row_sub);
    free(co->row_sd);
    free(co->rep_loss);
    free(co->ckrecs);
    free(co->ckbuf);
    result_set_free(&co->rs);
    eval_set_free(&co->ev);
    fcfit_pack_free(&co->in);
    fcfit_pack_free(&co->out);
    free(co);
    *pco = NULL;
}

fcfit_status coord_release_workers(coord *co, int abort_code)
{
    run_ctx *c = co->c;
    int *bye = NULL;
    MPI_Request *req = NULL;
    size_t n_bye = 0;
    waiter wt;
    fcfit_status st = FCFIT_OK;

    if (co->released || c->size == 1) {
        co->released = 1;
        return FCFIT_OK;
    }
    co->released = 1;
    FCFIT_ALLOC_GOTO(bye, c->size, "worker flags");
    FCFIT_ALLOC_GOTO(req, c->size, "stop requests");
    fcfit_proto_pack_stop(&co->out, abort_code);
    for (int w = 1; w < c->size; w++) {
        MPI_Isend(co->out.buf, (int)co->out.len, MPI_BYTE, w, FCFIT_TAG_STOP, c->comm, &req[w]);
    }
    waiter_reset(&wt);
    while (n_bye < (size_t)(c->size - 1)) {
        MPI_Status ms;
        int got = poll_message(c->comm, MPI_ANY_SOURCE, MPI_ANY_TAG, &co->in, &ms);
        if (got == 0) {
            waiter_idle(&wt);
            continue;
        }
        if (got > 0 && ms.MPI_TAG == FCFIT_TAG_STOP && !bye[ms.MPI_SOURCE]) {
            bye[ms.MPI_SOURCE] = 1;
            n_bye++;
        }
        /* Results arriving now are discarded: their rows stay pending. */
    }
    for (int w = 1; w < c->size; w++) {
        MPI_Wait(&req[w], MPI_STATUS_IGNORE);
    }

cleanup:
    free(bye);
    free(req);
    return st;
}
