/*
 * run.c: `fcfit run` over MPI: the verdict on the job, the plan broadcast,
 * the results file, and the loop over the job's stages (see fcfit_run.h).
 *
 * Ranks. Rank 0 loads and checks the job, creates or reopens the results
 * file, and drives the stages: for each stage it creates the search object
 * (src/stage/), and the coordinator (coordinator.c) turns its requests into
 * tasks for the workers and their results into rows. Workers (worker.c)
 * receive the plan once and then only tasks. With one rank, rank 0 evaluates
 * the tasks itself.
 *
 * The results file is opened by rank 0 alone (MPI-IO on its own
 * communicator). Workers never write, so they never take part in an HDF5
 * call: a failing write (a full disk, say) is rank 0's error, reported to
 * every worker through the STOP message, and cannot leave a worker waiting in
 * a collective HDF5 call. Every stage's datasets exist from the file's
 * creation on (fcfit_results.h), so stage boundaries change nothing
 * structural either.
 *
 * Order of a stage: its book (what the file holds of its rows) is read; a
 * stage marked done is skipped; otherwise its search starts from the earlier
 * stages' books, its base parameters are written (or, when resuming, checked
 * against the file), the coordinator runs it, and its summary is written.
 * After the last stage the job's answer goes to /fit.
 */
#include "fcfit/fcfit_run.h"

#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fcfit/fcfit_log.h"
#include "fcfit/fcfit_outlock.h"
#include "fcfit/fcfit_rng.h"
#include "fcfit/fcfit_util.h"
#include "parallel/parallel_impl.h"

/* ---- waiting ---- */

void waiter_reset(waiter *w)
{
    w->idle_since = fcfit_wtime();
    w->sleep_ns = 0;
}

void waiter_idle(waiter *w)
{
    double idle = fcfit_wtime() - w->idle_since;
    struct timespec ts = {0, 0};
    if (idle < 50e-6) {
        sched_yield();
        return;
    }
    if (w->sleep_ns == 0) {
        w->sleep_ns = 10000;
    } else {
        long cap = idle < 0.05 ? 100000 : 1000000;
        w->sleep_ns = w->sleep_ns * 2 > cap ? cap : w->sleep_ns * 2;
    }
    ts.tv_nsec = w->sleep_ns;
    nanosleep(&ts, NULL);
}

int poll_message(MPI_Comm comm, int source, int tag, fcfit_packer *buf, MPI_Status *ms)
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

/* A stop was asked for: a signal on this rank (rank 0), or one a worker reported. */
static int stop_requested(const run_ctx *c)
{
    return c->stop != NULL && *c->stop != 0;
}

/* The command line among the provenance attributes (for the lock file). */
static const char *command_line(const fcfit_run_opts *o)
{
    for (size_t k = 0; k < o->n_attrs; k++) {
        if (strcmp(o->attr_names[k], "command_line") == 0) {
            return o->attr_values[k];
        }
    }
    return "";
}

/*
 * Status cells hold 0 (pending) to 5 (failed); anything else is not something fcfit wrote
 * (a damaged or edited file): resuming would count such a row as done.
 */
static fcfit_status check_statuses(const char *path, const fcfit_book *b)
{
    for (size_t r = 0; r < b->capacity; r++) {
        int32_t v = b->status[r];
        FCFIT_REQUIRE(v >= FCFIT_TASK_PENDING && v <= FCFIT_TASK_FAILED, FCFIT_ERR_INPUT,
                      "%s: %s/status[%zu] = %d is not a status fcfit writes (0 pending, 1 ok, 2 "
                      "diverged, 3 out_of_domain, 4 degenerate, 5 failed); the file is damaged "
                      "and cannot be resumed (use --force to start over)",
                      path, b->stage->name, r, (int)v);
    }
    return FCFIT_OK;
}

/* ---- the results file's layout, from the job (rank 0) ---- */

typedef struct layout_store {
    fcfit_results_layout lay;
    const char **dim_names[FCFIT_RESULTS_MAX_STAGES];
    char desc[FCFIT_RESULTS_MAX_STAGES][256];
    uint64_t *sweep_seeds;
    const char **param_names;
    size_t stage_of[FCFIT_RESULTS_MAX_STAGES]; /* file order -> stage kind */
} layout_store;

static void layout_free(layout_store *ls)
{
    for (size_t s = 0; s < FCFIT_RESULTS_MAX_STAGES; s++) {
        free(ls->dim_names[s]);
    }
    free(ls->sweep_seeds);
    free(ls->param_names);
    memset(ls, 0, sizeof *ls);
}

static size_t stage_instances(const fcfit_stage *st)
{
    switch (st->kind) {
    case FCFIT_STAGE_OPTIMIZE:
        return st->n_starts;
    case FCFIT_STAGE_REFINE:
        return st->method == FCFIT_REFINE_CMAES    ? 1
               : st->method == FCFIT_REFINE_BLOCKS ? st->rounds * st->n_blocks
                                                   : st->n_starts;
    default:
        return 0;
    }
}

static void stage_description(const fcfit_job *job, const fcfit_stage *st, char *buf, size_t cap)
{
    switch (st->kind) {
    case FCFIT_STAGE_SWEEP:
        snprintf(buf, cap, "%s sampler, %zu points", fcfit_sampler_names[st->sampler],
                 st->n_points);
        break;
    case FCFIT_STAGE_OPTIMIZE:
        snprintf(buf, cap, "%s x %zu starts (%s), up to %zu evaluations each, %s seeds",
                 st->algorithm, st->n_starts, fcfit_start_names[st->starts], st->maxeval,
                 st->common_seeds ? "common" : "fresh");
        break;
    case FCFIT_STAGE_REFINE:
        if (st->method == FCFIT_REFINE_CMAES) {
            snprintf(buf, cap, "separable CMA-ES, %zu regional dimensions, population %zu, %zu "
                     "generations",
                     st->n_dims, st->popsize, st->capacity / st->popsize);
        } else if (st->method == FCFIT_REFINE_BLOCKS) {
            snprintf(buf, cap, "block-coordinate %s, %zu regional dimensions in %zu blocks, %zu "
                     "rounds, up to %zu evaluations per block",
                     st->algorithm, st->n_dims, st->n_blocks, st->rounds, st->maxeval);
        } else {
            snprintf(buf, cap, "%s over %zu map dimensions x %zu starts", st->algorithm,
                     st->n_dims, st->n_starts);
        }
        break;
    case FCFIT_STAGE_VALIDATE:
        snprintf(buf, cap, "best %zu candidates x %zu fresh seeds%s", st->n_candidates,
                 st->replicates, job->target2 != NULL ? ", with a second target" : "");
        break;
    default:
        buf[0] = '\0';
    }
}

static fcfit_status build_layout(const fcfit_job *job, int save_fc, layout_store *ls)
{
    fcfit_results_layout *lay = &ls->lay;
    const fcfit_model_type *m = job->model;
    memset(ls, 0, sizeof *ls);
    lay->n_scores = FCFIT_SCORE_COUNT;
    lay->n_subjects = job->target != NULL ? job->target->n_subjects : 0;
    lay->n_subject_scores = FCFIT_SSCORE_COUNT;
    lay->n_fc = save_fc ? job->n * (job->n - 1) / 2 : 0;
    lay->n_regions = job->n;
    lay->n_params = m->n_params;
    lay->score_names = fcfit_score_names;
    lay->score_sense = fcfit_score_sense;
    lay->subject_score_names = fcfit_subject_score_names;
    lay->objective = job->objective.text;
    lay->target_fc = job->target != NULL ? job->target->fc_group : NULL;
    lay->target_subjects = job->target != NULL ? job->target->n_subjects : 0;
    lay->objective_better = fcfit_objective_better(&job->objective);
    layout_diagnostics(job, lay);
    ls->param_names = calloc(m->n_params + 1, sizeof(char *));
    FCFIT_REQUIRE(ls->param_names != NULL, FCFIT_ERR_NOMEM, "out of memory");
    for (size_t j = 0; j < m->n_params; j++) {
        ls->param_names[j] = m->params[j].name;
    }
    lay->param_names = ls->param_names;
    for (int k = 0; k < FCFIT_STAGE_KIND_COUNT; k++) {
        const fcfit_stage *st = job->stages[k];
        fcfit_results_stage_layout *sl;
        size_t s = lay->n_stages;
        if (st == NULL) {
            continue;
        }
        sl = &lay->stages[s];
        ls->stage_of[s] = (size_t)k;
        sl->name = st->name;
        sl->kind = k;
        sl->n_rows = st->capacity;
        sl->n_dims = st->n_dims;
        sl->n_replicates = st->replicates;
        sl->save_fc = save_fc && (k == FCFIT_STAGE_SWEEP || k == FCFIT_STAGE_VALIDATE);
        sl->n_instances = stage_instances(st);
        sl->validate = k == FCFIT_STAGE_VALIDATE;
        sl->target2 = sl->validate && job->target2 != NULL;
        sl->tuning = m->tuning != NULL && job->opt[m->tuning->option] == m->tuning->choice;
        ls->dim_names[s] = calloc(st->n_dims + 1, sizeof(char *));
        FCFIT_REQUIRE(ls->dim_names[s] != NULL, FCFIT_ERR_NOMEM, "out of memory");
        for (size_t d = 0; d < st->n_dims; d++) {
            ls->dim_names[s][d] = st->dims[d].name;
        }
        sl->dim_names = ls->dim_names[s];
        stage_description(job, st, ls->desc[s], sizeof ls->desc[s]);
        sl->description = ls->desc[s];
        if (k == FCFIT_STAGE_SWEEP) {
            sl->points = st->points;
            ls->sweep_seeds = calloc(st->n_points * st->replicates + 1, sizeof(uint64_t));
            FCFIT_REQUIRE(ls->sweep_seeds != NULL, FCFIT_ERR_NOMEM, "out of memory");
            for (size_t p = 0; p < st->n_points; p++) {
                for (size_t r = 0; r < st->replicates; r++) {
                    ls->sweep_seeds[p * st->replicates + r] =
                        fcfit_rng_derive(job->seed, st->task_base + p, r);
                }
            }
            sl->seeds = ls->sweep_seeds;
        }
        lay->n_stages++;
    }
    return FCFIT_OK;
}

/* ---- rank 0: the stages ---- */

static void instance_summaries(const fcfit_search *search, fcfit_results_stage_summary *sm,
                               int32_t *code, int64_t *evals, int64_t *best_row, double *best)
{
    size_t n = fcfit_search_instances(search);
    for (size_t i = 0; i < n; i++) {
        fcfit_instance_summary is;
        fcfit_search_instance(search, i, &is);
        code[i] = is.code;
        evals[i] = (int64_t)is.evaluations;
        best_row[i] = is.best_row;
        best[i] = is.best_loss;
    }
    sm->n_instances = n;
    sm->instance_code = code;
    sm->instance_evaluations = evals;
    sm->instance_best_row = best_row;
    sm->instance_best_objective = best;
}

static void best_of_book(const fcfit_book *b, long *row, double *loss, size_t *failed)
{
    *row = -1;
    *loss = NAN;
    *failed = 0;
    for (size_t r = 0; r < b->capacity; r++) {
        if (b->status[r] == 0) {
            continue;
        }
        if (b->status[r] != FCFIT_TASK_OK) {
            (*failed)++;
            continue;
        }
        if (isfinite(b->loss[r]) && (*row < 0 || b->loss[r] < *loss)) {
            *row = (long)r;
            *loss = b->loss[r];
        }
    }
}

static fcfit_status finish_stage(run_ctx *c, fcfit_results *res, size_t s,
                                 const fcfit_search *search, const fcfit_book *book,
                                 double busy_s, double wall_s)
{
    const fcfit_objective *obj = &c->job->objective;
    fcfit_results_stage_summary sm;
    size_t n_inst = fcfit_search_instances(search), failed = 0;
    int32_t *code = calloc(n_inst + 1, sizeof *code);
    int64_t *evals = calloc(n_inst + 1, sizeof *evals), *brow = calloc(n_inst + 1, sizeof *brow);
    double *best = calloc(n_inst + 1, sizeof *best);
    size_t workers = c->size > 1 ? (size_t)(c->size - 1) : 1;
    long row;
    double loss;
    fcfit_status st = FCFIT_OK;
    stage_warning_set warn;

    FCFIT_REQUIRE_GOTO(code != NULL && evals != NULL && brow != NULL && best != NULL,
                       FCFIT_ERR_NOMEM, "out of memory");
    memset(&sm, 0, sizeof sm);
    best_of_book(book, &row, &loss, &failed);
    sm.state = 2;
    sm.rows_used = (int64_t)fcfit_search_rows_used(search);
    sm.n_failed = (int64_t)failed;
    sm.best_row = row;
    sm.best_objective = loss;
    sm.busy_worker_s = busy_s;
    sm.wall_s = wall_s;
    sm.n_workers = (int64_t)workers;
    instance_summaries(search, &sm, code, evals, brow, best);
    FCFIT_TRY(stage_warnings(c, res, s, book, row, &warn));
    sm.n_warnings = warn.n;
    sm.warnings = warn.ptr;
    FCFIT_TRY(fcfit_results_write_summary(res, s, &sm));
    if (row >= 0) {
        fcfit_log(FCFIT_LOG_INFO,
                  "%s done: %lld evaluations (%zu failed), best %s = %.6g (row %ld); worker "
                  "utilisation %.0f%% (%.1f busy worker-s of %.1f)",
                  book->stage->name, (long long)sm.rows_used, failed, obj->text,
                  fcfit_objective_display(obj, loss), row,
                  wall_s > 0 ? 100.0 * busy_s / ((double)workers * wall_s) : 0.0, busy_s,
                  (double)workers * wall_s);
    } else {
        fcfit_log(FCFIT_LOG_WARN, "%s done: %lld evaluations, none succeeded", book->stage->name,
                  (long long)sm.rows_used);
    }

cleanup:
    free(code);
    free(evals);
    free(brow);
    free(best);
    return st;
}

/* The job's answer: the best validated candidate, else the best row of any stage. */
static fcfit_status write_answer(run_ctx *c, fcfit_results *res, const layout_store *ls,
                                 fcfit_book **books)
{
    const fcfit_objective *obj = &c->job->objective;
    const size_t np = c->n_params * c->N;
    fcfit_results_fit fit;
    double *params = calloc(np, sizeof(double));
    long best_row = -1;
    size_t best_s = 0;
    double best = NAN;
    fcfit_status st = FCFIT_OK;

    FCFIT_REQUIRE(params != NULL, FCFIT_ERR_NOMEM, "out of memory");
    for (size_t s = 0; s < ls->lay.n_stages; s++) {
        long row;
        double loss;
        size_t failed;
        const fcfit_book *b = books[s];
        int validate = b->stage->kind == FCFIT_STAGE_VALIDATE;
        int have_validate = ls->stage_of[ls->lay.n_stages - 1] == FCFIT_STAGE_VALIDATE;
        if (have_validate && !validate) {
            continue; /* with validation, only validated means count */
        }
        best_of_book(b, &row, &loss, &failed);
        if (row >= 0 && (best_row < 0 || loss < best)) {
            best_row = row;
            best_s = s;
            best = loss;
        }
    }
    memset(&fit, 0, sizeof fit);
    fit.state = 1;
    fit.stage = best_row >= 0 ? (int32_t)books[best_s]->stage->kind : -1;
    fit.row = best_row;
    fit.objective = best;
    fit.objective_se = best_row >= 0 && books[best_s]->loss_se != NULL
                           ? books[best_s]->loss_se[best_row]
                           : NAN;
    for (size_t k = 0; k < np; k++) {
        params[k] = NAN;
    }
    if (best_row >= 0) {
        fcfit_book_row_params(books[best_s], (size_t)best_row, params);
    }
    fit.params = params;
    FCFIT_TRY(fcfit_results_write_fit(res, &fit));
    if (best_row >= 0) {
        fcfit_log(FCFIT_LOG_INFO, "fit: best %s = %.6g%s%.2g (%s row %ld)", obj->text,
                  fcfit_objective_display(obj, best), isnan(fit.objective_se) ? "" : " +- ",
                  isnan(fit.objective_se) ? 0.0 : fit.objective_se, books[best_s]->stage->name,
                  best_row);
    }

cleanup:
    free(params);
    return st;
}

static fcfit_status run_stages(run_ctx *c, fcfit_results *res, const layout_store *ls,
                               int *interrupted)
{
    fcfit_status st = FCFIT_OK;
    fcfit_book *books[FCFIT_RESULTS_MAX_STAGES] = {NULL, NULL, NULL, NULL};
    fcfit_search *search = NULL;
    coord *co = NULL;
    double *base = NULL;
    double lo[256], hi[256];
    const size_t np = c->n_params * c->N;

    *interrupted = 0;
    FCFIT_ALLOC_GOTO(base, np, "stage base");
    for (size_t j = 0; j < c->n_params && j < 256; j++) {
        lo[j] = c->job->model->params[j].lo;
        hi[j] = c->job->model->params[j].hi;
    }
    FCFIT_TRY(coord_create(&co, c, res));
    for (size_t s = 0; s < ls->lay.n_stages; s++) {
        const fcfit_stage *stage = c->job->stages[ls->stage_of[s]];
        fcfit_book *b;
        fcfit_search_setup su;
        int32_t state = 0;
        int stopped = 0;
        double busy = 0.0, t0;
        FCFIT_TRY(fcfit_book_create(&books[s], stage, c->K));
        b = books[s];
        FCFIT_TRY(fcfit_results_read_stage(res, s, b->status, b->x, b->loss, b->scores,
                                           b->region_params, b->loss_se));
        FCFIT_TRY(check_statuses(c->output, b));
        FCFIT_TRY(fcfit_results_read_stage_base(res, s, &state, base));
        if (state == 2) {
            memcpy(b->base, base, np * sizeof(double));
            b->base_set = 1;
            fcfit_log(FCFIT_LOG_INFO, "%s: done in an earlier run", stage->name);
            continue;
        }
        fcfit_test_pause("stage");
        memset(&su, 0, sizeof su);
        su.stage = stage;
        su.job_params = c->job->params;
        su.param_lo = lo;
        su.param_hi = hi;
        su.seed = c->job->seed;
        su.objective = &c->job->objective;
        su.earlier = (const fcfit_book *const *)books;
        su.n_earlier = s;
        su.book = b;
        FCFIT_TRY(fcfit_search_create(&search, &su));
        if (state >= 1) {
            FCFIT_REQUIRE_GOTO(memcmp(base, b->base, np * sizeof(double)) == 0,
                               FCFIT_ERR_MISMATCH,
                               "%s: the stage's starting parameters differ from those in the "
                               "results file; it cannot be resumed (use --force to start over)",
                               stage->name);
        } else {
            FCFIT_TRY(fcfit_results_start_stage(res, s, b->base));
        }
        fcfit_log(FCFIT_LOG_INFO, "%s: %s, %zu replicate(s) per evaluation, up to %zu evaluations",
                  stage->name, ls->lay.stages[s].description, stage->replicates, stage->capacity);
        t0 = fcfit_wtime();
        FCFIT_TRY(coord_run_stage(co, s, search, b, &stopped, &busy));
        if (stopped) {
            *interrupted = 1;
            goto cleanup;
        }
        FCFIT_TRY(finish_stage(c, res, s, search, b, busy, fcfit_wtime() - t0));
        fcfit_search_destroy(&search);
    }
    fcfit_test_pause("answer");
    FCFIT_TRY(write_answer(c, res, ls, books));

cleanup:
    fcfit_search_destroy(&search);
    if (co != NULL) {
        fcfit_status s2 = coord_release_workers(co, st != FCFIT_OK);
        if (st == FCFIT_OK) {
            st = s2;
        }
    }
    coord_destroy(&co);
    for (size_t s = 0; s < FCFIT_RESULTS_MAX_STAGES; s++) {
        fcfit_book_destroy(&books[s]);
    }
    free(base);
    return st;
}

/* Rank 0 after a failure that happened before the coordinator existed: stop the workers. */
static void release_bare(run_ctx *c)
{
    coord *co = NULL;
    if (c->size > 1 && coord_create(&co, c, NULL) == FCFIT_OK) {
        coord_release_workers(co, 1);
    }
    coord_destroy(&co);
}

/* ---- the run ---- */

static fcfit_status receive_plan(run_ctx *c, fcfit_job *job_in, const fcfit_run_opts *opts,
                                 fcfit_job **job, char **output, size_t *n_attrs, char ***names,
                                 char ***values)
{
    fcfit_packer plan, prov;
    fcfit_status st = FCFIT_OK;
    uint64_t na = 0;
    fcfit_unpacker u;

    fcfit_pack_init(&plan);
    fcfit_pack_init(&prov);
    *job = job_in;
    if (c->rank == 0) {
        st = fcfit_job_pack(job_in, &plan);
        fcfit_pack_str(&prov, opts->output);
        fcfit_pack_u64(&prov, opts->n_attrs);
        for (size_t k = 0; k < opts->n_attrs; k++) {
            fcfit_pack_str(&prov, opts->attr_names[k]);
            fcfit_pack_str(&prov, opts->attr_values[k]);
        }
        if (st == FCFIT_OK) {
            st = fcfit_pack_status(&prov);
        }
    }
    FCFIT_TRY(agree(c->comm, st));
    FCFIT_TRY(bcast_bytes(c->comm, &plan, c->rank));
    FCFIT_TRY(bcast_bytes(c->comm, &prov, c->rank));
    if (c->rank != 0) {
        st = fcfit_job_unpack(plan.buf, plan.len, job);
        if (st != FCFIT_OK) {
            fcfit_log_error_record();
        }
    }
    FCFIT_TRY(agree(c->comm, st));
    fcfit_unpack_init(&u, prov.buf, prov.len);
    st = fcfit_unpack_str_alloc(&u, output);
    if (st == FCFIT_OK) {
        st = fcfit_unpack_u64(&u, &na);
    }
    if (st == FCFIT_OK) {
        *names = calloc(na + 1, sizeof(char *));
        *values = calloc(na + 1, sizeof(char *));
        st = *names != NULL && *values != NULL ? FCFIT_OK : FCFIT_ERR_NOMEM;
    }
    for (size_t k = 0; k < na && st == FCFIT_OK; k++) {
        st = fcfit_unpack_str_alloc(&u, &(*names)[k]);
        if (st == FCFIT_OK) {
            st = fcfit_unpack_str_alloc(&u, &(*values)[k]);
        }
    }
    *n_attrs = (size_t)na;
    st = agree(c->comm, st);

cleanup:
    fcfit_pack_free(&plan);
    fcfit_pack_free(&prov);
    return st;
}

fcfit_status fcfit_run(MPI_Comm comm, fcfit_job *job_in, const fcfit_run_opts *opts)
{
    fcfit_status st = FCFIT_OK;
    run_ctx c;
    fcfit_job *job = job_in;
    fcfit_results *res = NULL;
    layout_store ls;
    char **names = NULL, **values = NULL;
    size_t n_attrs = 0;
    int resume = 0, code = 0, interrupted = 0;
    char *output = NULL;
    const char *tlog = getenv("FCFIT_TASK_LOG");
    fcfit_outlock *lock = NULL;

    memset(&c, 0, sizeof c);
    memset(&ls, 0, sizeof ls);
    c.comm = comm;
    c.task_log_fd = -1;
    MPI_Comm_rank(comm, &c.rank);
    MPI_Comm_size(comm, &c.size);

    /* Rank 0: there is a stage to run and the output may be used; everyone learns the verdict. */
    if (c.rank == 0) {
        int any = 0;
        for (int k = 0; k < FCFIT_STAGE_KIND_COUNT; k++) {
            any |= job->stages[k] != NULL;
        }
        if (!any) {
            st = fcfit_error_set(FCFIT_ERR_CONFIG, __FILE__, __LINE__, __func__,
                                 "%s: the job has no stage to run; add sweep.params or stages "
                                 "(docs/stages.md)",
                                 job->path != NULL ? job->path : "job");
        } else {
            /* The lock first: it also checks that the directory exists and is writable. */
            st = fcfit_outlock_acquire(opts->output, command_line(opts), &lock);
            if (st == FCFIT_OK) {
                st = fcfit_results_check(opts->output, job->hash_hex, opts->force, &resume);
                if (st == FCFIT_ERR_MISMATCH) {
                    fcfit_job_explain_mismatch(job, opts->output); /* name what changed */
                }
            }
        }
    }
    FCFIT_TRY(agree(comm, st));
    FCFIT_TRY(receive_plan(&c, job_in, opts, &job, &output, &n_attrs, &names, &values));

    c.job = job;
    c.output = output;
    c.N = job->n;
    c.n_params = job->model->n_params;
    c.K = FCFIT_SCORE_COUNT;
    c.S = job->target != NULL ? job->target->n_subjects : 0;
    c.M = job->save_fc ? job->n * (job->n - 1) / 2 : 0;
    c.target2 = job->target2 != NULL;
    c.lanes = (size_t)fcfit_config_int(job->cfg, "run.batch_lanes");
    if (c.lanes == 0) {
        c.lanes = fcfit_eval_auto_lanes(job->model, job->conn, &job->sim, 0);
    }
    c.stop_timeout_s = fcfit_config_real(job->cfg, "run.stop_timeout_s");
    c.progress_s = fcfit_config_real(job->cfg, "log.progress_s");
    c.stop = opts->stop;
    if (tlog != NULL && tlog[0] != '\0') {
        c.task_log_fd = open(tlog, O_WRONLY | O_CREAT | O_APPEND, 0644);
    }

    if (c.rank != 0) {
        st = worker_loop(&c);
        if (st != FCFIT_OK) {
            fcfit_log_error_record();
        }
    } else {
        st = build_layout(job, c.M > 0, &ls);
        if (st == FCFIT_OK && stop_requested(&c)) {
            st = fcfit_error_set(FCFIT_ERR_INTERRUPTED, __FILE__, __LINE__, __func__,
                                 "stopped by a signal before the results file was %s; run the "
                                 "same command again",
                                 resume ? "opened" : "created");
        }
        if (st == FCFIT_OK) {
            st = fcfit_results_open(&res, MPI_COMM_SELF, output, &ls.lay, n_attrs,
                                    (const char *const *)names, (const char *const *)values,
                                    !resume);
        }
        if (st == FCFIT_OK) {
            st = ckpt_store_open(&c.ckpt, output, job->hash_hex, !resume);
        }
        if (st == FCFIT_OK) {
            fcfit_log(FCFIT_LOG_INFO, "%s %s (job hash %s) on %d rank(s), %zu lane(s) per batch",
                      resume ? "resuming" : "created", output, job->hash_hex, c.size, c.lanes);
            st = run_stages(&c, res, &ls, &interrupted);
            /* Checkpoints of interrupted simulations go to the side file whatever the outcome;
             * a run that could not write them only loses their progress. */
            if (ckpt_store_save(c.ckpt) != FCFIT_OK) {
                fcfit_log(FCFIT_LOG_WARN, "%s", fcfit_error_message());
                if (st == FCFIT_OK) {
                    fcfit_error_clear();
                }
            }
        } else {
            release_bare(&c);
        }
        fcfit_test_pause("close");
        {
            fcfit_status s2 = fcfit_results_close(&res);
            if (st == FCFIT_OK) {
                st = s2;
            }
        }
        if (st == FCFIT_OK && interrupted) {
            st = fcfit_error_set(FCFIT_ERR_INTERRUPTED, __FILE__, __LINE__, __func__,
                                 "stopped by a signal; the results file is closed cleanly: run "
                                 "the same command again to resume");
        }
    }
    /* Every rank returns rank 0's verdict. */
    code = (int)st;
    MPI_Bcast(&code, 1, MPI_INT, 0, comm);
    if (c.rank != 0 && st == FCFIT_OK && code != 0) {
        st = (fcfit_status)code;
        fcfit_error_set(st, __FILE__, __LINE__, __func__, "the coordinator ended the run");
    }

cleanup:
    if (res != NULL) {
        fcfit_results_close(&res);
    }
    ckpt_store_destroy(&c.ckpt);
    fcfit_outlock_release(&lock);
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
    free(output);
    layout_free(&ls);
    return st;
}

fcfit_status fcfit_run_file_size(const fcfit_job *job, double *bytes, double *fc_bytes)
{
    layout_store ls;
    fcfit_status st = build_layout(job, job->save_fc, &ls);
    if (st == FCFIT_OK) {
        *bytes = fcfit_results_layout_bytes(&ls.lay, fc_bytes);
    }
    layout_free(&ls);
    return st;
}
