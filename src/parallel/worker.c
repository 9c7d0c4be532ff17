/*
 * worker.c: a worker rank, and the batch evaluation that rank 0 also uses
 * when it runs alone.
 *
 * Worker: receives the plan once (run.c), rebuilds the job without touching
 * files, then READY -> (TASK -> RESULT)* -> STOP -> BYE. A task's parameters
 * are the job's, with the rows the task carries put over them. While waiting
 * it polls with the adaptive back-off of run.c, so an idle worker neither
 * spins nor delays a short task by a fixed sleep; while simulating it checks
 * for STOP between chunks and abandons the batch when one arrives.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fcfit/fcfit_hash.h"
#include "fcfit/fcfit_log.h"
#include "fcfit/fcfit_util.h"
#include "parallel/parallel_impl.h"

void result_set_free(result_set *rs)
{
    free(rs->r);
    free(rs->scores);
    free(rs->scores2);
    free(rs->sub);
    free(rs->fc);
    free(rs->diag);
    memset(rs, 0, sizeof *rs);
}

fcfit_status result_set_alloc(result_set *rs, const run_ctx *c, size_t n)
{
    fcfit_status st = FCFIT_OK;
    const size_t SS = c->S * FCFIT_SSCORE_COUNT, K2 = c->target2 ? c->K : 0;
    memset(rs, 0, sizeof *rs);
    rs->n = n;
    FCFIT_ALLOC_GOTO(rs->r, n, "result records");
    FCFIT_ALLOC_GOTO(rs->scores, n * c->K, "result scores");
    FCFIT_ALLOC_GOTO(rs->scores2, n * (K2 + 1), "result scores");
    FCFIT_ALLOC_GOTO(rs->sub, n * (SS + 1), "result subject scores");
    FCFIT_ALLOC_GOTO(rs->fc, n * (c->M + 1), "result FC");
    FCFIT_ALLOC_GOTO(rs->diag, n * FCFIT_DIAG_COUNT, "result diagnostics");
    for (size_t k = 0; k < n; k++) {
        rs->r[k].n_scores = c->K;
        rs->r[k].scores = rs->scores + k * c->K;
        rs->r[k].n_scores2 = K2;
        rs->r[k].scores2 = rs->scores2 + k * (K2 + 1);
        rs->r[k].n_subject_scores = SS;
        rs->r[k].subject_scores = rs->sub + k * (SS + 1);
        rs->r[k].n_fc = c->M;
        rs->r[k].fc = rs->fc + k * (c->M + 1);
        rs->r[k].n_diag = FCFIT_DIAG_COUNT;
        rs->r[k].diag = rs->diag + k * FCFIT_DIAG_COUNT;
    }
    return FCFIT_OK;
cleanup:
    result_set_free(rs);
    return st;
}

/* The evaluator of subject `subject` (its connectome and target; per-subject connectomes). */
static fcfit_status make_evaluator(const run_ctx *c, size_t lanes, size_t subject,
                                   fcfit_eval **ev)
{
    fcfit_eval_setup s;
    memset(&s, 0, sizeof s);
    s.model = c->job->model;
    s.conn = fcfit_job_conn(c->job, subject);
    s.sim = &c->job->sim;
    s.opt = c->job->opt;
    s.fcs = &c->job->fcs;
    s.target = fcfit_job_target(c->job, subject);
    s.all_subjects = c->job->n_subjects > 0 ? c->job->target : NULL;
    s.target2 = c->job->target2;
    s.test = (fcfit_test_function)fcfit_config_enum(c->job->cfg, "test.function");
    s.test_noise = fcfit_config_real(c->job->cfg, "test.noise");
    s.test_delay_s = fcfit_config_real(c->job->cfg, "test.delay_s");
    return fcfit_eval_create(ev, &s, lanes);
}

fcfit_status eval_set_init(const run_ctx *c, eval_set *es)
{
    memset(es, 0, sizeof *es);
    for (size_t L = 1; L < c->lanes && es->n < 7; L *= 2) {
        es->lanes[es->n++] = L;
    }
    es->lanes[es->n++] = c->lanes;
    es->subject = 0;
    return make_evaluator(c, c->lanes, 0, &es->ev[es->n - 1]);
}

void eval_set_free(eval_set *es)
{
    for (size_t k = 0; k < es->n; k++) {
        fcfit_eval_destroy(&es->ev[k]);
    }
    es->n = 0;
    es->cur = NULL;
}

/* The smallest evaluator of `subject` with at least n lanes. The evaluators are for one
 * subject at a time (per-subject connectomes): a batch of another subject remakes them. */
static fcfit_status eval_set_get(const run_ctx *c, eval_set *es, size_t n, size_t subject,
                                 fcfit_eval **ev)
{
    size_t k = 0;
    FCFIT_REQUIRE(c->job->n_subjects == 0 || subject < c->job->n_subjects, FCFIT_ERR_PROTOCOL,
                  "task for subject %zu of %zu", subject, c->job->n_subjects);
    FCFIT_REQUIRE(c->job->n_subjects > 0 || subject == 0, FCFIT_ERR_PROTOCOL,
                  "task for subject %zu in a job without per-subject connectomes", subject);
    if (subject != es->subject) {
        for (size_t j = 0; j < es->n; j++) {
            fcfit_eval_destroy(&es->ev[j]);
        }
        es->subject = subject;
    }
    while (k + 1 < es->n && es->lanes[k] < n) {
        k++;
    }
    if (es->ev[k] == NULL) {
        FCFIT_CHECK(make_evaluator(c, es->lanes[k], subject, &es->ev[k]));
    }
    *ev = es->ev[k];
    es->cur = *ev;
    return FCFIT_OK;
}

static void log_task(const run_ctx *c, const fcfit_work_item *it)
{
    char line[128];
    int n;
    if (c->task_log_fd < 0) {
        return;
    }
    n = snprintf(line, sizeof line, "%llu %llu %llu %d\n", (unsigned long long)it->stage,
                 (unsigned long long)it->point, (unsigned long long)it->replicate, c->rank);
    /* The task log is a test aid; a failed write must not stop the run. */
    if (write(c->task_log_fd, line, (size_t)n) < 0) {
        return;
    }
}

/* Put each item's parameters over the job's in the evaluator's lanes; seeds to seeds[]. */
static fcfit_status load_items(const run_ctx *c, fcfit_eval *ev, size_t n,
                               const fcfit_work_item *items, uint64_t *seeds)
{
    const size_t N = c->N, np = c->n_params;
    FCFIT_REQUIRE(n <= 64, FCFIT_ERR_INTERNAL, "batch of %zu items", n);
    for (size_t l = 0; l < n; l++) {
        double *p = fcfit_eval_params(ev, l);
        memcpy(p, c->job->params, np * N * sizeof(double));
        for (size_t j = 0; j < items[l].n_set; j++) {
            FCFIT_REQUIRE(items[l].set_param[j] < np, FCFIT_ERR_PROTOCOL,
                          "task sets parameter %u of %zu", items[l].set_param[j], np);
            memcpy(p + (size_t)items[l].set_param[j] * N, items[l].set_values + j * N,
                   N * sizeof(double));
        }
        seeds[l] = items[l].seed;
    }
    return FCFIT_OK;
}

/* The evaluator's results of a finished batch into result records. */
static void collect_results(const run_ctx *c, const fcfit_eval *ev, size_t n,
                            const fcfit_work_item *items, fcfit_work_result *res, double t0)
{
    const double dt = (fcfit_wtime() - t0) / (double)n;
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
        if (r->n_scores2 > 0) {
            memcpy(r->scores2, er->scores2, c->K * sizeof(double));
        }
        if (c->S > 0) {
            memcpy(r->subject_scores, er->subject_scores,
                   c->S * FCFIT_SSCORE_COUNT * sizeof(double));
        }
        if (c->M > 0) {
            memcpy(r->fc, er->fc_upper, c->M * sizeof(float));
        }
        r->tune_active = er->tune.active;
        r->tune_converged = er->tune.converged;
        r->tune_iterations = (int64_t)er->tune.iterations;
        r->tune_max_error = er->tune.max_error;
        memcpy(r->diag, er->diag, FCFIT_DIAG_COUNT * sizeof(double));
        log_task(c, &items[l]);
    }
}

fcfit_status evaluate_batch(const run_ctx *c, eval_set *es, size_t n,
                            const fcfit_work_item *items, fcfit_work_result *res,
                            fcfit_eval_stop_fn stop, void *sctx, int *stopped)
{
    uint64_t seeds[64];
    double t0 = fcfit_wtime();
    fcfit_eval *ev = NULL;
    fcfit_status st;
    FCFIT_REQUIRE(n <= 64, FCFIT_ERR_INTERNAL, "batch of %zu items", n);
    for (size_t l = 1; l < n; l++) {
        FCFIT_REQUIRE(items[l].subject == items[0].subject, FCFIT_ERR_PROTOCOL,
                      "batch mixes subjects %llu and %llu", (unsigned long long)items[0].subject,
                      (unsigned long long)items[l].subject);
    }
    FCFIT_CHECK(eval_set_get(c, es, n, (size_t)items[0].subject, &ev));
    FCFIT_CHECK(load_items(c, ev, n, items, seeds));
    es->current = ev;
    es->current_n = n;
    es->current_t0 = t0;
    st = fcfit_eval_run(ev, n, seeds, stop, sctx, stopped);
    es->current = NULL;
    FCFIT_CHECK(st);
    if (*stopped) {
        return FCFIT_OK;
    }
    collect_results(c, ev, n, items, res, t0);
    return FCFIT_OK;
}

int batch_position(const run_ctx *c, const eval_set *es, fcfit_work_progress *pr)
{
    const fcfit_sim *sim;
    const double dt_s = c->job->sim.dt_ms / 1000.0;
    memset(pr, 0, sizeof *pr);
    if (es->current == NULL || (sim = fcfit_eval_sim(es->current)) == NULL) {
        return 0; /* between batches, or analytic test functions (no simulation) */
    }
    pr->n_tasks = es->current_n;
    pr->simulated_s = (double)fcfit_sim_steps_done(sim) * dt_s;
    pr->total_s = (double)fcfit_sim_n_steps(sim) * dt_s;
    pr->wall_s = fcfit_wtime() - es->current_t0;
    return 1;
}

fcfit_status evaluate_resume(const run_ctx *c, eval_set *es, const fcfit_work_item *item,
                             const unsigned char *ckpt, size_t size, fcfit_work_result *res,
                             fcfit_eval_stop_fn stop, void *sctx, int *stopped)
{
    uint64_t seed;
    const void *bufs[1] = {ckpt};
    size_t lens[1] = {size};
    double t0 = fcfit_wtime();
    fcfit_eval *ev = NULL;
    fcfit_status st;
    FCFIT_CHECK(eval_set_get(c, es, 1, (size_t)item->subject, &ev));
    FCFIT_CHECK(load_items(c, ev, 1, item, &seed));
    es->current = ev;
    es->current_n = 1;
    es->current_t0 = t0;
    st = fcfit_eval_run_resume(ev, 1, &seed, bufs, lens, stop, sctx, stopped);
    es->current = NULL;
    if (st == FCFIT_ERR_INPUT) {
        /* Never use a checkpoint that does not fit: simulate the item from its start. */
        fcfit_log(FCFIT_LOG_WARN,
                  "stage %llu row %llu replicate %llu: the checkpoint cannot be used (%s); "
                  "simulating from the start",
                  (unsigned long long)item->stage, (unsigned long long)item->point,
                  (unsigned long long)item->replicate, fcfit_error_message());
        fcfit_error_clear();
        return evaluate_batch(c, es, 1, item, res, stop, sctx, stopped);
    }
    FCFIT_CHECK(st);
    if (*stopped) {
        return FCFIT_OK;
    }
    collect_results(c, ev, 1, item, res, t0);
    return FCFIT_OK;
}

size_t checkpoint_batch(const fcfit_eval *ev, size_t n, const fcfit_work_item *items,
                        fcfit_ckpt_record *recs, unsigned char **buf, size_t *cap)
{
    const size_t one = fcfit_eval_checkpoint_size(ev);
    size_t off = 0;
    if (!fcfit_eval_can_checkpoint(ev) || n == 0) {
        return 0;
    }
    if (*cap < n * one) {
        unsigned char *nb = realloc(*buf, n * one);
        if (nb == NULL) {
            fcfit_log(FCFIT_LOG_WARN, "no memory for %zu checkpoints of %zu bytes", n, one);
            return 0;
        }
        *buf = nb;
        *cap = n * one;
    }
    for (size_t l = 0; l < n; l++) {
        size_t len = 0;
        uint64_t step = 0;
        if (fcfit_eval_checkpoint_save(ev, l, *buf + off, *cap - off, &len, &step) != FCFIT_OK) {
            fcfit_log(FCFIT_LOG_WARN, "cannot checkpoint a simulation: %s",
                      fcfit_error_message());
            fcfit_error_clear();
            return 0;
        }
        recs[l].stage = items[l].stage;
        recs[l].task = items[l].task;
        recs[l].point = items[l].point;
        recs[l].replicate = items[l].replicate;
        recs[l].seed = items[l].seed;
        recs[l].step = step;
        recs[l].size = len;
        recs[l].data = *buf + off;
        off += len;
    }
    return n;
}

uint64_t params_hash_of(const double *params, size_t n)
{
    return fcfit_hash_bytes(0x726f7770, params, n * sizeof(double));
}

void report_signal(run_ctx *c)
{
    fcfit_packer out;
    if (c->rank == 0 || c->signal_reported || c->stop == NULL || *c->stop == 0) {
        return;
    }
    c->signal_reported = 1;
    fcfit_pack_init(&out);
    fcfit_proto_pack_signal(&out, (int64_t)*c->stop);
    if (fcfit_pack_status(&out) == FCFIT_OK) {
        MPI_Send(out.buf, (int)out.len, MPI_BYTE, 0, FCFIT_TAG_SIGNAL, c->comm);
    }
    fcfit_pack_free(&out);
}

typedef struct worker_poll {
    run_ctx *c;
    const eval_set *es; /* es->cur: the evaluator running the batch */
    fcfit_packer out;
    double last_sent;
} worker_poll;

/*
 * Between chunks: STOP from rank 0 abandons the batch, and so does SUSPEND when the batch can be
 * checkpointed; a batch that runs longer than log.progress_s tells rank 0 every log.progress_s
 * seconds how far it is (PROGRESS), so that the progress lines show running work before the
 * first result arrives.
 */
static int worker_should_stop(void *ctx)
{
    worker_poll *w = ctx;
    fcfit_work_progress pr;
    int flag = 0;
    report_signal(w->c);
    MPI_Iprobe(0, FCFIT_TAG_STOP, w->c->comm, &flag, MPI_STATUS_IGNORE);
    if (!flag && w->c->progress_s > 0 && batch_position(w->c, w->es, &pr)) {
        double now = fcfit_wtime();
        double since = now - (w->last_sent > w->es->current_t0 ? w->last_sent
                                                                : w->es->current_t0);
        if (since >= w->c->progress_s) {
            fcfit_proto_pack_progress(&w->out, &pr);
            if (fcfit_pack_status(&w->out) == FCFIT_OK) {
                MPI_Send(w->out.buf, (int)w->out.len, MPI_BYTE, 0, FCFIT_TAG_PROGRESS,
                         w->c->comm);
            }
            w->last_sent = now;
        }
    }
    if (!flag && w->es->cur != NULL && fcfit_eval_can_checkpoint(w->es->cur)) {
        MPI_Iprobe(0, FCFIT_TAG_SUSPEND, w->c->comm, &flag, MPI_STATUS_IGNORE);
    }
    return flag;
}

static void send_error(run_ctx *c, fcfit_packer *out, fcfit_status st, const char *msg)
{
    fcfit_proto_pack_error(out, (int64_t)st, msg);
    MPI_Send(out->buf, (int)out->len, MPI_BYTE, 0, FCFIT_TAG_ERROR, c->comm);
}

/*
 * A batch stopped inside its simulation. For a SUSPEND: take it off the queue and answer with
 * the batch's checkpoints (or with none). For a STOP: nothing; the loop handles it next.
 */
static void answer_suspend(run_ctx *c, const fcfit_eval *ev, size_t n, const fcfit_work_item *items,
                           fcfit_packer *in, fcfit_packer *out, unsigned char **buf, size_t *cap)
{
    fcfit_ckpt_record recs[64];
    MPI_Status ms;
    int flag = 0;
    size_t k;
    MPI_Iprobe(0, FCFIT_TAG_STOP, c->comm, &flag, MPI_STATUS_IGNORE);
    if (flag || poll_message(c->comm, 0, FCFIT_TAG_SUSPEND, in, &ms) <= 0) {
        return;
    }
    k = checkpoint_batch(ev, n, items, recs, buf, cap);
    fcfit_proto_pack_checkpoint(out, k, recs);
    if (fcfit_pack_status(out) != FCFIT_OK || out->len > (size_t)INT_MAX) {
        fcfit_error_clear();
        fcfit_proto_pack_checkpoint(out, 0, recs);
    }
    MPI_Send(out->buf, (int)out->len, MPI_BYTE, 0, FCFIT_TAG_CHECKPOINT, c->comm);
}

fcfit_status worker_loop(run_ctx *c)
{
    fcfit_status st = FCFIT_OK;
    eval_set ev;
    fcfit_packer in, out;
    fcfit_work_item *items = NULL;
    double *arena = NULL;
    unsigned char *ckbuf = NULL, *resume_data = NULL;
    size_t ckcap = 0;
    result_set rs;
    worker_poll wp;
    waiter wt;
    MPI_Status ms;
    int64_t code = 0;

    fcfit_pack_init(&in);
    fcfit_pack_init(&out);
    memset(&rs, 0, sizeof rs);
    memset(&wp, 0, sizeof wp);
    fcfit_pack_init(&wp.out);
    wp.c = c;
    wp.es = &ev;
    st = eval_set_init(c, &ev);
    if (st == FCFIT_OK) {
        st = result_set_alloc(&rs, c, c->lanes);
    }
    if (st == FCFIT_OK) {
        items = calloc(c->lanes, sizeof *items);
        arena = calloc(c->lanes * c->n_params * c->N, sizeof(double));
        if (items == NULL || arena == NULL) {
            st = fcfit_error_set(FCFIT_ERR_NOMEM, __FILE__, __LINE__, __func__,
                                 "cannot allocate the task buffers");
        }
    }
    if (st != FCFIT_OK) {
        /* Tell the coordinator, which stops everyone in order. */
        send_error(c, &out, st, fcfit_error_message());
    } else {
        MPI_Send(NULL, 0, MPI_BYTE, 0, FCFIT_TAG_READY, c->comm);
    }
    waiter_reset(&wt);
    for (;;) {
        int got;
        report_signal(c);
        got = poll_message(c->comm, 0, MPI_ANY_TAG, &in, &ms);
        if (got < 0) {
            st = fcfit_error_set(FCFIT_ERR_NOMEM, __FILE__, __LINE__, __func__,
                                 "cannot allocate a message buffer");
            break;
        }
        if (got == 0) {
            waiter_idle(&wt);
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
        if (ms.MPI_TAG == FCFIT_TAG_SUSPEND) {
            continue; /* idle, or the batch already answered: nothing to checkpoint */
        }
        if ((ms.MPI_TAG == FCFIT_TAG_TASK || ms.MPI_TAG == FCFIT_TAG_RESUME) && st == FCFIT_OK) {
            size_t n = 0;
            int stopped = 0;
            fcfit_status s2;
            if (ms.MPI_TAG == FCFIT_TAG_TASK) {
                s2 = fcfit_proto_unpack_task(in.buf, in.len, c->lanes, c->N, c->n_params, items,
                                             arena, &n);
                if (s2 == FCFIT_OK) {
                    s2 = evaluate_batch(c, &ev, n, items, rs.r, worker_should_stop, &wp,
                                        &stopped);
                }
            } else {
                fcfit_ckpt_record rec;
                n = 1;
                s2 = fcfit_proto_unpack_resume(in.buf, in.len, c->N, c->n_params, items, arena,
                                               &rec);
                if (s2 == FCFIT_OK) {
                    /* The record points into `in`, which answering a SUSPEND reuses. */
                    unsigned char *nd = realloc(resume_data, (size_t)rec.size);
                    s2 = nd != NULL ? FCFIT_OK
                                    : fcfit_error_set(FCFIT_ERR_NOMEM, __FILE__, __LINE__,
                                                      __func__, "cannot keep a checkpoint");
                    if (nd != NULL) {
                        resume_data = nd;
                        memcpy(resume_data, rec.data, (size_t)rec.size);
                        s2 = evaluate_resume(c, &ev, items, resume_data, (size_t)rec.size, rs.r,
                                             worker_should_stop, &wp, &stopped);
                    }
                }
            }
            if (s2 != FCFIT_OK) {
                st = s2;
                fcfit_log_error_record();
                send_error(c, &out, st, fcfit_error_message());
                continue;
            }
            if (stopped) {
                answer_suspend(c, ev.cur, n, items, &in, &out, &ckbuf, &ckcap);
                continue; /* a STOP is handled at the next poll */
            }
            fcfit_proto_pack_result(&out, n, rs.r);
            if (fcfit_pack_status(&out) != FCFIT_OK) {
                st = FCFIT_ERR_NOMEM;
                send_error(c, &out, st, "out of memory packing a result");
                continue;
            }
            MPI_Send(out.buf, (int)out.len, MPI_BYTE, 0, FCFIT_TAG_RESULT, c->comm);
            waiter_reset(&wt);
        }
    }
    result_set_free(&rs);
    eval_set_free(&ev);
    free(items);
    free(arena);
    fcfit_pack_free(&wp.out);
    free(ckbuf);
    free(resume_data);
    fcfit_pack_free(&in);
    fcfit_pack_free(&out);
    return st;
}
