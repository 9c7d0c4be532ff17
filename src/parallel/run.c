/*
 * run.c: `fcfit run` over MPI — plan broadcast, results file, the rank-0
 * coordinator, the workers, and the single-rank mode (see fcfit_run.h).
 *
 * Coordinator (rank 0): a pull scheduler. Work items (point, replicate) wait
 * in a queue in point order; an idle worker (after READY or a RESULT) gets
 * the next batch of up to run.batch_lanes items. Rank 0 polls with
 * MPI_Iprobe and sleeps briefly when there is nothing to do, so it does not
 * spin. When every replicate of a point is back, the point's row is written
 * (payload, then status) and the scores are averaged over the replicates in
 * replicate order, whatever order they arrived in.
 *
 * Stop (SIGUSR1/SIGTERM): no more dispatch; in-flight results are collected
 * until run.stop_timeout_s; then STOP goes to every worker (a busy worker
 * abandons its batch at the next chunk), every worker answers BYE, and the
 * file is closed collectively. Unfinished points stay pending and are redone
 * on the next run.
 *
 * Worker: receives the plan once, rebuilds the job (no file access), then
 * READY → (TASK → RESULT)* → STOP → BYE. It also polls rather than blocks,
 * so idle ranks do not steal CPU from busy ones on an oversubscribed node.
 */
#include "fcfit/fcfit_run.h"

#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fcfit/fcfit_eval.h"
#include "fcfit/fcfit_log.h"
#include "fcfit/fcfit_pack.h"
#include "fcfit/fcfit_protocol.h"
#include "fcfit/fcfit_results.h"
#include "fcfit/fcfit_rng.h"
#include "fcfit/fcfit_util.h"
#include "parallel/parallel_impl.h"

#define POLL_SLEEP_NS 500000L /* 0.5 ms between polls when idle */

static void nap(void)
{
    struct timespec ts = {0, POLL_SLEEP_NS};
    nanosleep(&ts, NULL);
}

/* Agree on an outcome across ranks: any failure becomes everyone's failure. */
static fcfit_status agree(MPI_Comm comm, fcfit_status st)
{
    int mine = (int)st, all = 0;
    MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MAX, comm);
    if (all != 0 && st == FCFIT_OK) {
        return fcfit_error_set((fcfit_status)all, __FILE__, __LINE__, __func__,
                               "another rank failed (its message is above)");
    }
    return st;
}

static fcfit_status bcast_bytes(MPI_Comm comm, fcfit_packer *p, int rank)
{
    uint64_t len = rank == 0 ? (uint64_t)p->len : 0;
    MPI_Bcast(&len, 1, MPI_UINT64_T, 0, comm);
    FCFIT_REQUIRE(len <= (uint64_t)INT_MAX, FCFIT_ERR_MPI,
                  "the plan is %llu bytes, more than one MPI message can carry",
                  (unsigned long long)len);
    if (rank != 0) {
        fcfit_pack_reset(p);
        if (p->cap < len) {
            unsigned char *nb = realloc(p->buf, len > 0 ? len : 1);
            FCFIT_REQUIRE(nb != NULL, FCFIT_ERR_NOMEM, "cannot allocate the plan");
            p->buf = nb;
            p->cap = len;
        }
        p->len = (size_t)len;
    }
    MPI_Bcast(p->buf, (int)len, MPI_BYTE, 0, comm);
    return FCFIT_OK;
}

/* Receive the next message from `source` (MPI_ANY_SOURCE allowed) into buf; returns 0 if none. */
static int poll_message(MPI_Comm comm, int source, int tag, fcfit_packer *buf, MPI_Status *ms)
{
    int flag = 0, count = 0;
    MPI_Iprobe(source, tag, comm, &flag, ms);
    if (!flag) {
        return 0;
    }
    MPI_Get_count(ms, MPI_BYTE, &count);
    fcfit_pack_reset(buf);
    if ((size_t)count > buf->cap) {
        unsigned char *nb = realloc(buf->buf, (size_t)count);
        if (nb == NULL) {
            return -1;
        }
        buf->buf = nb;
        buf->cap = (size_t)count;
    }
    MPI_Recv(buf->buf, count, MPI_BYTE, ms->MPI_SOURCE, ms->MPI_TAG, comm, MPI_STATUS_IGNORE);
    buf->len = (size_t)count;
    return 1;
}

/* ---- Shared pieces: the job's task setup ---- */

typedef struct run_ctx {
    MPI_Comm comm;
    int rank, size;
    fcfit_job *job;
    const fcfit_stage *stage;
    size_t P, D, R, K, S, M; /* points, dims, replicates, scores, subjects, FC length (0: off) */
    size_t lanes;
    double stop_timeout_s, progress_s;
    volatile sig_atomic_t *stop;
    int task_log_fd;
} run_ctx;

static uint64_t item_seed(const run_ctx *c, uint64_t task, uint64_t rep)
{
    return fcfit_rng_derive(c->job->seed, task, rep);
}

static void log_task(const run_ctx *c, const fcfit_work_item *it)
{
    char line[96];
    int n;
    if (c->task_log_fd < 0) {
        return;
    }
    n = snprintf(line, sizeof line, "%llu %llu %d\n", (unsigned long long)it->point,
                 (unsigned long long)it->replicate, c->rank);
    /* The task log is a test aid; a failed write must not stop the run. */
    if (write(c->task_log_fd, line, (size_t)n) < 0) {
        return;
    }
}

/* Evaluate a batch of items into result records (arrays owned by the records). */
static fcfit_status evaluate_batch(run_ctx *c, fcfit_eval *ev, size_t n, const fcfit_work_item *items,
                                   fcfit_work_result *res, fcfit_eval_stop_fn stop, void *sctx,
                                   int *stopped)
{
    uint64_t seeds[64];
    double t0 = fcfit_wtime(), dt;
    for (size_t l = 0; l < n; l++) {
        fcfit_stage_point_params(c->stage, c->job->params, items[l].dims, fcfit_eval_params(ev, l));
        seeds[l] = items[l].seed;
    }
    FCFIT_CHECK(fcfit_eval_run(ev, n, seeds, stop, sctx, stopped));
    if (*stopped) {
        return FCFIT_OK;
    }
    dt = (fcfit_wtime() - t0) / (double)n;
    for (size_t l = 0; l < n; l++) {
        const fcfit_eval_result *er = fcfit_eval_result_at(ev, l);
        fcfit_work_result *r = &res[l];
        r->stage = items[l].stage;
        r->task = items[l].task;
        r->point = items[l].point;
        r->replicate = items[l].replicate;
        r->status = er->status;
        snprintf(r->reason, sizeof r->reason, "%s", er->reason);
        r->wall_s = dt;
        memcpy(r->scores, er->scores, c->K * sizeof(double));
        if (c->S > 0) {
            memcpy(r->subject_scores, er->subject_scores, c->S * FCFIT_SSCORE_COUNT * sizeof(double));
        }
        if (c->M > 0) {
            memcpy(r->fc, er->fc_upper, c->M * sizeof(float));
        }
        r->tune_active = er->tune.active;
        r->tune_converged = er->tune.converged;
        r->tune_iterations = (int64_t)er->tune.iterations;
        r->tune_max_error = er->tune.max_error;
        log_task(c, &items[l]);
    }
    return FCFIT_OK;
}

/* Result records with their arrays, for up to `lanes` items. */
typedef struct result_set {
    size_t n;
    fcfit_work_result *r;
    double *scores, *sub;
    float *fc;
} result_set;

static void result_set_free(result_set *rs)
{
    free(rs->r);
    free(rs->scores);
    free(rs->sub);
    free(rs->fc);
    memset(rs, 0, sizeof *rs);
}

static fcfit_status result_set_alloc(result_set *rs, const run_ctx *c, size_t n)
{
    fcfit_status st = FCFIT_OK;
    memset(rs, 0, sizeof *rs);
    rs->n = n;
    FCFIT_ALLOC_GOTO(rs->r, n, "result records");
    FCFIT_ALLOC_GOTO(rs->scores, n * c->K, "result scores");
    FCFIT_ALLOC_GOTO(rs->sub, n * (c->S * FCFIT_SSCORE_COUNT + 1), "result subject scores");
    FCFIT_ALLOC_GOTO(rs->fc, n * (c->M + 1), "result FC");
    for (size_t k = 0; k < n; k++) {
        rs->r[k].n_scores = c->K;
        rs->r[k].scores = rs->scores + k * c->K;
        rs->r[k].n_subject_scores = c->S * FCFIT_SSCORE_COUNT;
        rs->r[k].subject_scores = rs->sub + k * (c->S * FCFIT_SSCORE_COUNT + 1);
        rs->r[k].n_fc = c->M;
        rs->r[k].fc = rs->fc + k * (c->M + 1);
    }
    return FCFIT_OK;
cleanup:
    result_set_free(rs);
    return st;
}

static fcfit_status make_evaluator(const run_ctx *c, fcfit_eval **ev)
{
    fcfit_eval_setup s;
    s.model = c->job->model;
    s.conn = c->job->conn;
    s.sim = &c->job->sim;
    s.opt = c->job->opt;
    s.fcs = &c->job->fcs;
    s.target = c->job->target;
    return fcfit_eval_create(ev, &s, c->lanes);
}

/* ---- Worker ---- */

typedef struct worker_poll {
    MPI_Comm comm;
} worker_poll;

static int worker_should_stop(void *ctx)
{
    worker_poll *w = ctx;
    int flag = 0;
    MPI_Iprobe(0, FCFIT_TAG_STOP, w->comm, &flag, MPI_STATUS_IGNORE);
    return flag;
}

static fcfit_status worker_loop(run_ctx *c)
{
    fcfit_status st = FCFIT_OK;
    fcfit_eval *ev = NULL;
    fcfit_packer in, out;
    fcfit_work_item items[64];
    result_set rs;
    worker_poll wp = {c->comm};
    MPI_Status ms;
    int64_t code = 0;

    fcfit_pack_init(&in);
    fcfit_pack_init(&out);
    memset(&rs, 0, sizeof rs);
    st = make_evaluator(c, &ev);
    if (st == FCFIT_OK) {
        st = result_set_alloc(&rs, c, c->lanes);
    }
    if (st != FCFIT_OK) {
        /* Tell the coordinator, which stops everyone in order. */
        fcfit_proto_pack_error(&out, (int64_t)st, fcfit_error_message());
        MPI_Send(out.buf, (int)out.len, MPI_BYTE, 0, FCFIT_TAG_ERROR, c->comm);
    } else {
        MPI_Send(NULL, 0, MPI_BYTE, 0, FCFIT_TAG_READY, c->comm);
    }
    for (;;) {
        int got = poll_message(c->comm, 0, MPI_ANY_TAG, &in, &ms);
        if (got < 0) {
            st = fcfit_error_set(FCFIT_ERR_NOMEM, __FILE__, __LINE__, __func__,
                                 "cannot allocate a message buffer");
            break;
        }
        if (got == 0) {
            nap();
            continue;
        }
        if (ms.MPI_TAG == FCFIT_TAG_STOP) {
            fcfit_status s2 = fcfit_proto_unpack_stop(in.buf, in.len, &code);
            if (s2 != FCFIT_OK && st == FCFIT_OK) {
                st = s2;
            }
            fcfit_proto_pack_stop(&out, 0);
            MPI_Send(out.buf, (int)out.len, MPI_BYTE, 0, FCFIT_TAG_STOP, c->comm); /* BYE */
            break;
        }
        if (ms.MPI_TAG == FCFIT_TAG_TASK && st == FCFIT_OK) {
            size_t n = 0;
            int stopped = 0;
            fcfit_status s2 = fcfit_proto_unpack_task(in.buf, in.len, c->lanes, items, &n);
            if (s2 == FCFIT_OK) {
                s2 = evaluate_batch(c, ev, n, items, rs.r, worker_should_stop, &wp, &stopped);
            }
            if (s2 != FCFIT_OK) {
                st = s2;
                fcfit_log_error_record();
                fcfit_proto_pack_error(&out, (int64_t)st, fcfit_error_message());
                MPI_Send(out.buf, (int)out.len, MPI_BYTE, 0, FCFIT_TAG_ERROR, c->comm);
                continue;
            }
            if (stopped) {
                continue; /* the STOP is handled at the next poll */
            }
            fcfit_proto_pack_result(&out, n, rs.r);
            if (fcfit_pack_status(&out) != FCFIT_OK) {
                st = FCFIT_ERR_NOMEM;
                fcfit_proto_pack_error(&out, (int64_t)st, "out of memory packing a result");
                MPI_Send(out.buf, (int)out.len, MPI_BYTE, 0, FCFIT_TAG_ERROR, c->comm);
                continue;
            }
            MPI_Send(out.buf, (int)out.len, MPI_BYTE, 0, FCFIT_TAG_RESULT, c->comm);
        }
    }
    result_set_free(&rs);
    fcfit_eval_destroy(&ev);
    fcfit_pack_free(&in);
    fcfit_pack_free(&out);
    return st;
}

/* ---- Coordinator ---- */

/* Replicates of one point gathered until all are back. */
typedef struct point_acc {
    uint64_t point;
    size_t got;
    int32_t *rep_status;
    char (*reason)[160];
    double *scores;   /* [R][K] */
    double *sub;      /* [R][S*3] */
    float *fc;        /* replicate 0's FC */
    double wall;
    int32_t rank;
    int64_t tune_it, tune_conv;
    double tune_err;
    struct point_acc *next;
} point_acc;

typedef struct coord {
    run_ctx *c;
    fcfit_results *res;
    fcfit_work_item *queue; /* pending items in point, replicate order */
    size_t q_len, q_next;
    size_t *inflight;       /* items in flight per worker rank */
    point_acc *acc;
    size_t done_before, done_now, failed_now, failed_total, total;
    long best_point;
    double best_value;      /* sense * score */
    double t0, last_report;
    int stopping;
    double stop_deadline;
    /* row scratch */
    double *row_scores, *row_sub;
} coord;

static point_acc *acc_get(coord *co, uint64_t point)
{
    const run_ctx *c = co->c;
    point_acc *a;
    for (a = co->acc; a != NULL; a = a->next) {
        if (a->point == point) {
            return a;
        }
    }
    a = calloc(1, sizeof *a);
    if (a == NULL) {
        return NULL;
    }
    a->point = point;
    a->rep_status = calloc(c->R, sizeof *a->rep_status);
    a->reason = calloc(c->R, sizeof *a->reason);
    a->scores = calloc(c->R * c->K, sizeof(double));
    a->sub = calloc(c->R * (c->S * FCFIT_SSCORE_COUNT + 1), sizeof(double));
    a->fc = calloc(c->M + 1, sizeof(float));
    if (a->rep_status == NULL || a->reason == NULL || a->scores == NULL || a->sub == NULL ||
        a->fc == NULL) {
        free(a->rep_status);
        free(a->reason);
        free(a->scores);
        free(a->sub);
        free(a->fc);
        free(a);
        return NULL;
    }
    a->next = co->acc;
    co->acc = a;
    return a;
}

static void acc_drop(coord *co, point_acc *a)
{
    point_acc **pp = &co->acc;
    while (*pp != NULL && *pp != a) {
        pp = &(*pp)->next;
    }
    if (*pp == a) {
        *pp = a->next;
    }
    free(a->rep_status);
    free(a->reason);
    free(a->scores);
    free(a->sub);
    free(a->fc);
    free(a);
}

static void consider_best(coord *co, long point, int32_t status, const double *scores)
{
    const run_ctx *c = co->c;
    int obj = c->stage->objective;
    double v;
    if (status != FCFIT_TASK_OK || isnan(scores[obj])) {
        return;
    }
    v = fcfit_score_sense[obj] * scores[obj];
    if (co->best_point < 0 || v > co->best_value || (v == co->best_value && point < co->best_point)) {
        co->best_point = point;
        co->best_value = v;
    }
}

/* A point whose replicates are all back: reduce in replicate order and write its row. */
static fcfit_status finish_point(coord *co, point_acc *a)
{
    const run_ctx *c = co->c;
    const size_t R = c->R, K = c->K, SS = c->S * FCFIT_SSCORE_COUNT;
    fcfit_results_row row;
    int32_t status = FCFIT_TASK_OK;
    const char *reason = "";

    for (size_t r = 0; r < R; r++) {
        if (a->rep_status[r] != FCFIT_TASK_OK) {
            status = a->rep_status[r];
            reason = a->reason[r];
            break;
        }
    }
    for (size_t k = 0; k < K; k++) {
        double s = 0.0;
        for (size_t r = 0; r < R; r++) {
            s += a->scores[r * K + k];
        }
        co->row_scores[k] = s / (double)R;
    }
    for (size_t k = 0; k < SS; k++) {
        double s = 0.0;
        for (size_t r = 0; r < R; r++) {
            s += a->sub[r * (SS + 1) + k];
        }
        co->row_sub[k] = s / (double)R;
    }
    memset(&row, 0, sizeof row);
    row.status = status;
    row.reason = reason;
    row.rank = a->rank;
    row.wall_s = a->wall;
    row.scores = co->row_scores;
    row.scores_replicate = a->scores;
    row.replicate_status = a->rep_status;
    row.subject_scores = co->row_sub;
    row.fc = c->M > 0 ? a->fc : NULL;
    row.tune_iterations = (int32_t)a->tune_it;
    row.tune_max_error = a->tune_err;
    row.tune_converged = (int32_t)a->tune_conv;
    FCFIT_CHECK(fcfit_results_write_row(co->res, (size_t)a->point, &row));
    co->done_now++;
    if (status != FCFIT_TASK_OK) {
        co->failed_now++;
        co->failed_total++;
    }
    consider_best(co, (long)a->point, status, co->row_scores);
    acc_drop(co, a);
    return FCFIT_OK;
}

/* Subject scores are stored with a stride of S*3 + 1 in the accumulator. */
static fcfit_status take_result(coord *co, const fcfit_work_result *r, int rank)
{
    const run_ctx *c = co->c;
    const size_t SS = c->S * FCFIT_SSCORE_COUNT;
    point_acc *a;
    FCFIT_REQUIRE(r->point < c->P && r->replicate < c->R, FCFIT_ERR_PROTOCOL,
                  "result for point %llu replicate %llu out of range",
                  (unsigned long long)r->point, (unsigned long long)r->replicate);
    a = acc_get(co, r->point);
    FCFIT_REQUIRE(a != NULL, FCFIT_ERR_NOMEM, "cannot allocate a point accumulator");
    a->rep_status[r->replicate] = (int32_t)r->status;
    snprintf(a->reason[r->replicate], sizeof a->reason[0], "%s", r->reason);
    memcpy(a->scores + r->replicate * c->K, r->scores, c->K * sizeof(double));
    if (SS > 0) {
        memcpy(a->sub + r->replicate * (SS + 1), r->subject_scores, SS * sizeof(double));
    }
    if (r->replicate == 0) {
        if (c->M > 0) {
            memcpy(a->fc, r->fc, c->M * sizeof(float));
        }
        a->tune_it = r->tune_iterations;
        a->tune_conv = r->tune_converged;
        a->tune_err = r->tune_max_error;
    }
    a->wall += r->wall_s;
    a->rank = rank;
    a->got++;
    if (a->got == c->R) {
        FCFIT_CHECK(finish_point(co, a));
    }
    return FCFIT_OK;
}

static void progress(coord *co, int final)
{
    const run_ctx *c = co->c;
    double now = fcfit_wtime(), el = now - co->t0;
    size_t done = co->done_before + co->done_now;
    double rate = el > 0 ? (double)co->done_now / el : 0.0;
    double eta = rate > 0 ? (double)(co->total - done) / rate : NAN;
    char best[256] = "";
    if (!final && (c->progress_s <= 0 || now - co->last_report < c->progress_s)) {
        return;
    }
    co->last_report = now;
    if (co->best_point >= 0) {
        int obj = c->stage->objective;
        snprintf(best, sizeof best, ", best %s %.4g (point %ld)", fcfit_score_names[obj],
                 fcfit_score_sense[obj] * co->best_value, co->best_point);
    }
    if (isnan(eta)) {
        fcfit_log(FCFIT_LOG_INFO, "%s: %zu/%zu points done (%.0f%%), %zu failed, %.3g points/s%s",
                  c->stage->name, done, co->total, 100.0 * (double)done / (double)co->total,
                  co->failed_total, rate, best);
    } else {
        fcfit_log(FCFIT_LOG_INFO,
                  "%s: %zu/%zu points done (%.0f%%), %zu failed, %.3g points/s, ETA %.0f s%s",
                  c->stage->name, done, co->total, 100.0 * (double)done / (double)co->total,
                  co->failed_total, rate, eta, best);
    }
}

static void check_stop(coord *co)
{
    if (!co->stopping && co->c->stop != NULL && *co->c->stop != 0) {
        co->stopping = 1;
        co->stop_deadline = fcfit_wtime() + co->c->stop_timeout_s;
        fcfit_log(FCFIT_LOG_WARN,
                  "signal %d: no new tasks; waiting up to %g s for the running ones, then "
                  "closing the results file",
                  (int)*co->c->stop, co->c->stop_timeout_s);
    }
}

/* Next batch of up to `lanes` items; returns the count. */
static size_t next_batch(coord *co, fcfit_work_item *items)
{
    size_t n = 0;
    while (n < co->c->lanes && co->q_next < co->q_len) {
        items[n++] = co->queue[co->q_next++];
    }
    return n;
}

static int single_should_stop(void *ctx)
{
    coord *co = ctx;
    check_stop(co);
    return co->stopping && fcfit_wtime() > co->stop_deadline;
}

static fcfit_status coordinate_alone(coord *co)
{
    run_ctx *c = co->c;
    fcfit_status st = FCFIT_OK;
    fcfit_eval *ev = NULL;
    fcfit_work_item items[64];
    result_set rs;

    memset(&rs, 0, sizeof rs);
    FCFIT_TRY(make_evaluator(c, &ev));
    FCFIT_TRY(result_set_alloc(&rs, c, c->lanes));
    for (;;) {
        size_t n;
        int stopped = 0;
        check_stop(co);
        if (co->stopping) {
            break;
        }
        n = next_batch(co, items);
        if (n == 0) {
            break;
        }
        FCFIT_TRY(evaluate_batch(c, ev, n, items, rs.r, single_should_stop, co, &stopped));
        if (stopped) {
            break;
        }
        for (size_t k = 0; k < n; k++) {
            FCFIT_TRY(take_result(co, &rs.r[k], 0));
        }
        progress(co, 0);
    }

cleanup:
    result_set_free(&rs);
    fcfit_eval_destroy(&ev);
    return st;
}

static fcfit_status coordinate_workers(coord *co)
{
    run_ctx *c = co->c;
    fcfit_status st = FCFIT_OK;
    fcfit_packer in, out;
    fcfit_work_item items[64];
    result_set rs;
    int *idle = NULL, *bye = NULL;
    size_t n_idle = 0, n_bye = 0, n_inflight = 0;
    int abort_code = 0;
    MPI_Request *stop_req = NULL;

    fcfit_pack_init(&in);
    fcfit_pack_init(&out);
    memset(&rs, 0, sizeof rs);
    FCFIT_ALLOC_GOTO(idle, c->size, "idle worker list");
    FCFIT_ALLOC_GOTO(bye, c->size, "worker flags");
    FCFIT_ALLOC_GOTO(stop_req, c->size, "stop requests");
    FCFIT_TRY(result_set_alloc(&rs, c, c->lanes));

    for (;;) {
        MPI_Status ms;
        int got;
        check_stop(co);
        if (co->stopping && (n_inflight == 0 || fcfit_wtime() > co->stop_deadline)) {
            break;
        }
        if (!co->stopping && co->q_next >= co->q_len && n_inflight == 0) {
            break;
        }
        /* Hand out work to idle workers. */
        while (!co->stopping && n_idle > 0 && co->q_next < co->q_len) {
            int w = idle[--n_idle];
            size_t n = next_batch(co, items);
            fcfit_proto_pack_task(&out, n, items);
            FCFIT_TRY(fcfit_pack_status(&out));
            MPI_Send(out.buf, (int)out.len, MPI_BYTE, w, FCFIT_TAG_TASK, c->comm);
            co->inflight[w] = n;
            n_inflight++;
        }
        got = poll_message(c->comm, MPI_ANY_SOURCE, MPI_ANY_TAG, &in, &ms);
        FCFIT_REQUIRE_GOTO(got >= 0, FCFIT_ERR_NOMEM, "cannot allocate a message buffer");
        if (got == 0) {
            progress(co, 0);
            nap();
            continue;
        }
        if (ms.MPI_TAG == FCFIT_TAG_READY) {
            idle[n_idle++] = ms.MPI_SOURCE;
        } else if (ms.MPI_TAG == FCFIT_TAG_RESULT) {
            size_t n = 0;
            FCFIT_TRY(fcfit_proto_unpack_result(in.buf, in.len, c->lanes, rs.r, &n));
            for (size_t k = 0; k < n; k++) {
                FCFIT_TRY(take_result(co, &rs.r[k], ms.MPI_SOURCE));
            }
            co->inflight[ms.MPI_SOURCE] = 0;
            n_inflight--;
            idle[n_idle++] = ms.MPI_SOURCE;
        } else if (ms.MPI_TAG == FCFIT_TAG_ERROR) {
            int64_t code = 0;
            char msg[1024] = "";
            fcfit_proto_unpack_error(in.buf, in.len, &code, msg, sizeof msg);
            st = fcfit_error_set(code > 0 && code < FCFIT_STATUS_COUNT ? (fcfit_status)code
                                                                        : FCFIT_ERR_INTERNAL,
                                 __FILE__, __LINE__, __func__, "worker rank %d failed: %s",
                                 ms.MPI_SOURCE, msg);
            goto cleanup;
        } else {
            FCFIT_FAIL_GOTO(FCFIT_ERR_PROTOCOL, "unexpected message tag %d from rank %d",
                            ms.MPI_TAG, ms.MPI_SOURCE);
        }
        progress(co, 0);
    }

cleanup:
    /* Stop every worker (abandoning running batches), then collect one BYE from each. */
    abort_code = st != FCFIT_OK;
    fcfit_proto_pack_stop(&out, abort_code);
    for (int w = 1; w < c->size; w++) {
        MPI_Isend(out.buf, (int)out.len, MPI_BYTE, w, FCFIT_TAG_STOP, c->comm, &stop_req[w]);
    }
    while (n_bye < (size_t)(c->size - 1)) {
        MPI_Status ms;
        int got = poll_message(c->comm, MPI_ANY_SOURCE, MPI_ANY_TAG, &in, &ms);
        if (got == 0) {
            nap();
            continue;
        }
        if (got > 0 && ms.MPI_TAG == FCFIT_TAG_STOP && !bye[ms.MPI_SOURCE]) {
            bye[ms.MPI_SOURCE] = 1;
            n_bye++;
        }
        /* Results arriving now are discarded: their points stay pending. */
    }
    for (int w = 1; w < c->size; w++) {
        MPI_Wait(&stop_req[w], MPI_STATUS_IGNORE);
    }
    result_set_free(&rs);
    fcfit_pack_free(&in);
    fcfit_pack_free(&out);
    free(idle);
    free(bye);
    free(stop_req);
    return st;
}

static fcfit_status coordinator(run_ctx *c, fcfit_results *res)
{
    fcfit_status st = FCFIT_OK;
    coord co;
    int32_t *status = NULL;
    double *scores = NULL;

    memset(&co, 0, sizeof co);
    co.c = c;
    co.res = res;
    co.best_point = -1;
    co.total = c->P;
    FCFIT_ALLOC_GOTO(status, c->P, "status column");
    FCFIT_ALLOC_GOTO(scores, c->P * c->K, "score table");
    FCFIT_ALLOC_GOTO(co.inflight, c->size, "in-flight counts");
    FCFIT_ALLOC_GOTO(co.row_scores, c->K, "row scores");
    FCFIT_ALLOC_GOTO(co.row_sub, c->S * FCFIT_SSCORE_COUNT + 1, "row subject scores");
    FCFIT_TRY(fcfit_results_read_status(res, status));
    FCFIT_TRY(fcfit_results_read_scores(res, scores));
    for (size_t p = 0; p < c->P; p++) {
        if (status[p] != 0) {
            co.done_before++;
            if (status[p] != FCFIT_TASK_OK) {
                co.failed_total++;
            }
            consider_best(&co, (long)p, status[p], scores + p * c->K);
        }
    }
    co.q_len = (c->P - co.done_before) * c->R;
    FCFIT_ALLOC_GOTO(co.queue, co.q_len, "task queue");
    {
        size_t q = 0;
        for (size_t p = 0; p < c->P; p++) {
            if (status[p] != 0) {
                continue;
            }
            for (size_t r = 0; r < c->R; r++) {
                fcfit_work_item *it = &co.queue[q++];
                it->stage = 0;
                it->point = p;
                it->task = c->stage->task_base + p;
                it->replicate = r;
                it->seed = item_seed(c, it->task, r);
                it->n_dims = c->D;
                memcpy(it->dims, c->stage->points + p * c->D, c->D * sizeof(double));
            }
        }
    }
    if (co.done_before > 0) {
        fcfit_log(FCFIT_LOG_INFO, "resuming: %zu of %zu points already done, %zu to go",
                  co.done_before, c->P, c->P - co.done_before);
    }
    fcfit_log(FCFIT_LOG_INFO, "%s: %zu points x %zu replicate(s) on %d worker rank(s), %zu lane(s) "
              "per batch",
              c->stage->name, c->P, c->R, c->size > 1 ? c->size - 1 : 1, c->lanes);
    co.t0 = fcfit_wtime();
    co.last_report = co.t0;
    if (c->size == 1) {
        st = coordinate_alone(&co);
    } else {
        st = coordinate_workers(&co);
    }
    progress(&co, 1);
    {
        /* Share the summary so the collective attribute write gets identical values. */
        double summary[3] = {(double)(co.done_before + co.done_now), (double)co.failed_total,
                             (double)co.best_point};
        int interrupted = st == FCFIT_OK && co.done_before + co.done_now < c->P;
        double *best_dims = calloc(c->D + 1, sizeof(double));
        double best_score = co.best_point >= 0
                                ? fcfit_score_sense[c->stage->objective] * co.best_value
                                : NAN;
        int code = (int)st;
        MPI_Bcast(&code, 1, MPI_INT, 0, c->comm);
        MPI_Bcast(summary, 3, MPI_DOUBLE, 0, c->comm);
        MPI_Bcast(&best_score, 1, MPI_DOUBLE, 0, c->comm);
        if (best_dims != NULL && co.best_point >= 0) {
            memcpy(best_dims, c->stage->points + (size_t)co.best_point * c->D,
                   c->D * sizeof(double));
        }
        if (best_dims != NULL) {
            MPI_Bcast(best_dims, (int)c->D, MPI_DOUBLE, 0, c->comm);
            fcfit_status s2 = fcfit_results_finish_stage(res, (size_t)summary[0],
                                                          (size_t)summary[1], co.best_point,
                                                          best_score, best_dims);
            if (st == FCFIT_OK) {
                st = s2;
            }
        }
        free(best_dims);
        if (st == FCFIT_OK && interrupted) {
            st = fcfit_error_set(FCFIT_ERR_INTERRUPTED, __FILE__, __LINE__, __func__,
                                 "stopped by a signal with %zu of %zu points done; run the same "
                                 "command again to resume",
                                 co.done_before + co.done_now, c->P);
        }
    }

cleanup:
    while (co.acc != NULL) {
        acc_drop(&co, co.acc);
    }
    free(status);
    free(scores);
    free(co.queue);
    free(co.inflight);
    free(co.row_scores);
    free(co.row_sub);
    return st;
}

/* The mirror of the coordinator's end-of-stage broadcasts, on workers. */
static fcfit_status worker_finish(run_ctx *c, fcfit_results *res, fcfit_status mine)
{
    int code = 0;
    double summary[3], best_score;
    double *best_dims = calloc(c->D + 1, sizeof(double));
    fcfit_status st = mine;
    MPI_Bcast(&code, 1, MPI_INT, 0, c->comm);
    MPI_Bcast(summary, 3, MPI_DOUBLE, 0, c->comm);
    MPI_Bcast(&best_score, 1, MPI_DOUBLE, 0, c->comm);
    if (best_dims != NULL) {
        MPI_Bcast(best_dims, (int)c->D, MPI_DOUBLE, 0, c->comm);
        fcfit_status s2 = fcfit_results_finish_stage(res, (size_t)summary[0], (size_t)summary[1],
                                                      (long)summary[2], best_score, best_dims);
        if (st == FCFIT_OK) {
            st = s2;
        }
    }
    free(best_dims);
    if (st == FCFIT_OK && code != 0) {
        st = (fcfit_status)code;
        fcfit_error_set(st, __FILE__, __LINE__, __func__, "the coordinator ended the run");
    }
    if (st == FCFIT_OK && (size_t)summary[0] < c->P) {
        st = fcfit_error_set(FCFIT_ERR_INTERRUPTED, __FILE__, __LINE__, __func__,
                             "run interrupted");
    }
    return st;
}

fcfit_status fcfit_run(MPI_Comm comm, fcfit_job *job_in, const fcfit_run_opts *opts)
{
    fcfit_status st = FCFIT_OK;
    run_ctx c;
    fcfit_packer plan, prov;
    fcfit_job *job = job_in;
    fcfit_results *res = NULL;
    fcfit_results_layout lay;
    uint64_t *seeds = NULL;
    char **names = NULL, **values = NULL;
    uint64_t n_attrs = 0;
    int resume = 0;
    char *output = NULL;
    const char *tlog = getenv("FCFIT_TASK_LOG");

    memset(&c, 0, sizeof c);
    memset(&lay, 0, sizeof lay);
    fcfit_pack_init(&plan);
    fcfit_pack_init(&prov);
    c.comm = comm;
    c.task_log_fd = -1;
    MPI_Comm_rank(comm, &c.rank);
    MPI_Comm_size(comm, &c.size);

    /* Rank 0: the stage exists and the output may be used; everyone learns the verdict. */
    if (c.rank == 0) {
        if (job->sweep == NULL) {
            st = fcfit_error_set(FCFIT_ERR_CONFIG, __FILE__, __LINE__, __func__,
                                 "%s: the job has no stage to run; add sweep.params "
                                 "(docs/stages.md)",
                                 job->path != NULL ? job->path : "job");
        } else if (job->sweep->n_dims > FCFIT_PROTOCOL_MAX_DIMS) {
            st = fcfit_error_set(FCFIT_ERR_CONFIG, __FILE__, __LINE__, __func__,
                                 "sweep: %zu dimensions; at most %d are supported",
                                 job->sweep->n_dims, FCFIT_PROTOCOL_MAX_DIMS);
        } else {
            st = fcfit_results_check(opts->output, job->hash_hex, opts->force, &resume);
        }
    }
    FCFIT_TRY(agree(comm, st));
    MPI_Bcast(&resume, 1, MPI_INT, 0, comm);

    /* The plan and the provenance strings, once. */
    if (c.rank == 0) {
        FCFIT_TRY(fcfit_job_pack(job, &plan));
        fcfit_pack_str(&prov, opts->output);
        fcfit_pack_u64(&prov, opts->n_attrs);
        for (size_t k = 0; k < opts->n_attrs; k++) {
            fcfit_pack_str(&prov, opts->attr_names[k]);
            fcfit_pack_str(&prov, opts->attr_values[k]);
        }
        st = fcfit_pack_status(&prov);
    }
    FCFIT_TRY(agree(comm, st));
    FCFIT_TRY(bcast_bytes(comm, &plan, c.rank));
    FCFIT_TRY(bcast_bytes(comm, &prov, c.rank));
    if (c.rank != 0) {
        st = fcfit_job_unpack(plan.buf, plan.len, &job);
        if (st != FCFIT_OK) {
            fcfit_log_error_record();
        }
    }
    FCFIT_TRY(agree(comm, st));
    {
        fcfit_unpacker u;
        fcfit_unpack_init(&u, prov.buf, prov.len);
        st = fcfit_unpack_str_alloc(&u, &output);
        if (st == FCFIT_OK) {
            st = fcfit_unpack_u64(&u, &n_attrs);
        }
        if (st == FCFIT_OK) {
            names = calloc(n_attrs + 1, sizeof(char *));
            values = calloc(n_attrs + 1, sizeof(char *));
            st = names != NULL && values != NULL ? FCFIT_OK : FCFIT_ERR_NOMEM;
        }
        for (size_t k = 0; k < n_attrs && st == FCFIT_OK; k++) {
            st = fcfit_unpack_str_alloc(&u, &names[k]);
            if (st == FCFIT_OK) {
                st = fcfit_unpack_str_alloc(&u, &values[k]);
            }
        }
    }
    FCFIT_TRY(agree(comm, st));

    c.job = job;
    c.stage = job->sweep;
    c.P = c.stage->n_points;
    c.D = c.stage->n_dims;
    c.R = job->replicates;
    c.K = FCFIT_SCORE_COUNT;
    c.S = job->target != NULL ? job->target->n_subjects : 0;
    c.M = fcfit_config_bool(job->cfg, "output.save_fc") ? job->n * (job->n - 1) / 2 : 0;
    c.lanes = (size_t)fcfit_config_int(job->cfg, "run.batch_lanes");
    c.stop_timeout_s = fcfit_config_real(job->cfg, "run.stop_timeout_s");
    c.progress_s = fcfit_config_real(job->cfg, "log.progress_s");
    c.stop = opts->stop;
    if (tlog != NULL && tlog[0] != '\0') {
        c.task_log_fd = open(tlog, O_WRONLY | O_CREAT | O_APPEND, 0644);
    }

    FCFIT_ALLOC_GOTO(seeds, c.P * c.R, "seed table");
    for (size_t p = 0; p < c.P; p++) {
        for (size_t r = 0; r < c.R; r++) {
            seeds[p * c.R + r] = item_seed(&c, c.stage->task_base + p, r);
        }
    }
    {
        const char **dn = calloc(c.D + 1, sizeof(char *));
        FCFIT_REQUIRE_GOTO(dn != NULL, FCFIT_ERR_NOMEM, "out of memory");
        for (size_t d = 0; d < c.D; d++) {
            dn[d] = c.stage->dims[d].name;
        }
        lay.dim_names = dn;
    }
    lay.stage = c.stage->name;
    lay.n_points = c.P;
    lay.n_dims = c.D;
    lay.n_replicates = c.R;
    lay.n_scores = c.K;
    lay.n_subjects = c.S;
    lay.n_subject_scores = FCFIT_SSCORE_COUNT;
    lay.n_fc = c.M;
    lay.n_regions = job->n;
    lay.tuning = job->model->tuning != NULL &&
                 job->opt[job->model->tuning->option] == job->model->tuning->choice;
    lay.score_names = fcfit_score_names;
    lay.score_sense = fcfit_score_sense;
    lay.subject_score_names = fcfit_subject_score_names;
    lay.points = c.stage->points;
    lay.seeds = seeds;
    lay.sampler = fcfit_sampler_names[c.stage->sampler];
    lay.objective = fcfit_score_names[c.stage->objective];
    st = fcfit_results_open(&res, comm, output, &lay, (size_t)n_attrs,
                            (const char *const *)names, (const char *const *)values, !resume);
    if (st != FCFIT_OK) {
        goto cleanup;
    }
    if (c.rank == 0) {
        fcfit_log(FCFIT_LOG_INFO, "%s %s (job hash %s)", resume ? "resuming" : "created", output,
                  job->hash_hex);
        st = coordinator(&c, res);
    } else {
        st = worker_loop(&c);
        if (st != FCFIT_OK) {
            fcfit_log_error_record();
        }
        st = worker_finish(&c, res, st);
    }
    {
        fcfit_status s2 = fcfit_results_close(&res);
        if (st == FCFIT_OK) {
            st = s2;
        }
    }

cleanup:
    if (res != NULL) {
        fcfit_results_close(&res);
    }
    if (c.task_log_fd >= 0) {
        close(c.task_log_fd);
    }
    if (job != job_in) {
        fcfit_job_destroy(&job);
    }
    for (size_t k = 0; names != NULL && k < n_attrs; k++) {
        free(names[k]);
        free(values[k]);
    }
    free(names);
    free(values);
    free((void *)lay.dim_names);
    free(seeds);
    free(output);
    fcfit_pack_free(&plan);
    fcfit_pack_free(&prov);
    return st;
}
