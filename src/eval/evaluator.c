/*
 * evaluator.c: batches of tasks through simulation, features and scores
 * (see fcfit_eval.h). All buffers are allocated at create.
 */
#include "fcfit/fcfit_eval.h"

#include <math.h>
#include <time.h>

#include "fcfit/fcfit_hash.h"
#include "fcfit/fcfit_rng.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fcfit_eval {
    fcfit_eval_setup s;
    size_t L, N, M, T, n_subj;
    fcfit_sim *sim;
    fcfit_features *feat;
    double *params;    /* [L][n_params][N] */
    double *bold;      /* N x T */
    uint64_t *seeds;   /* L */
    fcfit_tune_report *tune;
    fcfit_eval_result *res;
    double *sub;       /* [L][n_subj][3] */
    float *fcu;        /* [L][M] */
    double *dwork;     /* diagnostics workspace */
    double *dmean;     /* N drive means */
    int in_run;        /* the last run stopped inside the main simulation (checkpointable) */
    char (*tune_reason)[FCFIT_SIM_REASON_LEN]; /* [L] tuning reasons restored from checkpoints */
};

void fcfit_eval_destroy(fcfit_eval **pev)
{
    fcfit_eval *ev;
    if (pev == NULL || *pev == NULL) {
        return;
    }
    ev = *pev;
    fcfit_sim_destroy(&ev->sim);
    fcfit_features_destroy(&ev->feat);
    free(ev->params);
    free(ev->bold);
    free(ev->seeds);
    free(ev->tune);
    free(ev->res);
    free(ev->sub);
    free(ev->fcu);
    free(ev->dwork);
    free(ev->dmean);
    free(ev->tune_reason);
    free(ev);
    *pev = NULL;
}

fcfit_status fcfit_eval_create(fcfit_eval **out, const fcfit_eval_setup *setup, size_t n_lanes)
{
    fcfit_status st = FCFIT_OK;
    fcfit_eval *ev = calloc(1, sizeof *ev);
    const size_t np = setup->model->n_params;

    *out = NULL;
    FCFIT_REQUIRE(ev != NULL, FCFIT_ERR_NOMEM, "cannot allocate the evaluator");
    ev->s = *setup;
    ev->L = n_lanes;
    ev->N = setup->conn->n;
    ev->M = ev->N * (ev->N - 1) / 2;
    ev->n_subj = setup->all_subjects != NULL ? setup->all_subjects->n_subjects
                 : setup->target != NULL      ? setup->target->n_subjects
                                              : 0;
    FCFIT_TRY(fcfit_sim_create(&ev->sim, setup->model, setup->conn, setup->sim, n_lanes));
    ev->T = fcfit_sim_n_vols(ev->sim);
    FCFIT_TRY(fcfit_features_create(&ev->feat, ev->N, ev->T, setup->sim->tr_ms / 1000.0,
                                    setup->fcs, FCFIT_SIM_BOLD_LABEL));
    FCFIT_ALLOC_GOTO(ev->params, n_lanes * np * ev->N, "task parameters");
    FCFIT_ALLOC_GOTO(ev->bold, ev->N * ev->T, "BOLD buffer");
    FCFIT_ALLOC_GOTO(ev->seeds, n_lanes, "seeds");
    FCFIT_ALLOC_GOTO(ev->tune, n_lanes, "tuning reports");
    FCFIT_ALLOC_GOTO(ev->res, n_lanes, "results");
    FCFIT_ALLOC_GOTO(ev->fcu, n_lanes * ev->M, "FC buffers");
    FCFIT_ALLOC_GOTO(ev->dwork, fcfit_diag_work_size(ev->N), "diagnostics workspace");
    FCFIT_ALLOC_GOTO(ev->dmean, ev->N, "drive means");
    FCFIT_ALLOC_GOTO(ev->tune_reason, n_lanes, "tuning reasons");
    if (ev->n_subj > 0) {
        FCFIT_ALLOC_GOTO(ev->sub, n_lanes * ev->n_subj * FCFIT_SSCORE_COUNT, "subject scores");
    }
    for (size_t l = 0; l < n_lanes; l++) {
        ev->res[l].fc_upper = ev->fcu + l * ev->M;
        ev->res[l].subject_scores =
            ev->sub != NULL ? ev->sub + l * ev->n_subj * FCFIT_SSCORE_COUNT : NULL;
    }
    *out = ev;
    return FCFIT_OK;

cleanup:
    fcfit_eval_destroy(&ev);
    return st;
}

size_t fcfit_eval_lanes(const fcfit_eval *ev) { return ev->L; }

size_t fcfit_eval_auto_lanes(const fcfit_model_type *model, const fcfit_connectome *conn,
                             const fcfit_sim_config *cfg, size_t n_tasks)
{
    size_t L = fcfit_vm_width();
    (void)cfg;
    if (conn != NULL && model != NULL && conn->cdelay != NULL && conn->max_delay > 0) {
        /* History: coupling outputs x regions x 2 (max delay + 1) slots x lanes doubles. */
        const double per_lane = 8.0 * (double)(model->n_coupling > 0 ? model->n_coupling : 1) *
                                (double)conn->n * 2.0 * (double)(conn->max_delay + 1);
        while (L > 1 && per_lane * (double)L > 256.0 * 1024.0 * 1024.0) {
            L /= 2;
        }
    }
    if (n_tasks > 0) {
        while (L > 1 && L > n_tasks) {
            L /= 2;
        }
    }
    return L;
}

double *fcfit_eval_params(fcfit_eval *ev, size_t lane)
{
    return ev->params + lane * ev->s.model->n_params * ev->N;
}

const fcfit_eval_result *fcfit_eval_result_at(const fcfit_eval *ev, size_t lane)
{
    return &ev->res[lane];
}

const fcfit_sim *fcfit_eval_sim(const fcfit_eval *ev) { return ev->sim; }

const fcfit_features *fcfit_eval_features(const fcfit_eval *ev) { return ev->feat; }

fcfit_status fcfit_eval_refeature(fcfit_eval *ev, size_t lane)
{
    fcfit_sim_get_bold(ev->sim, lane, ev->bold);
    return fcfit_features_compute(ev->feat, ev->bold);
}

static void load_lanes(fcfit_eval *ev, size_t n_used, const uint64_t *seeds)
{
    const size_t L = ev->L, N = ev->N, np = ev->s.model->n_params;
    for (size_t l = 0; l < L; l++) {
        size_t src = l < n_used ? l : 0;
        const double *p = ev->params + src * np * N;
        for (size_t j = 0; j < np; j++) {
            double *dst = fcfit_sim_param(ev->sim, j);
            for (size_t i = 0; i < N; i++) {
                dst[i * L + l] = p[j * N + i];
            }
        }
        ev->seeds[l] = seeds[src];
    }
    for (size_t o = 0; o < ev->s.model->n_options; o++) {
        fcfit_sim_options(ev->sim)[o] = ev->s.opt[o];
    }
}

const char *const fcfit_test_function_names[] = {"none", "sphere", "rosenbrock", NULL};

static int test_active(const fcfit_model_param *p)
{
    return (p->flags & (FCFIT_PARAM_NOISE | FCFIT_PARAM_DERIVED)) == 0 && p->hi > p->lo;
}

double fcfit_eval_test_value(fcfit_test_function fn, const fcfit_model_type *m, size_t N,
                             const double *params)
{
    double f = 0.0, zprev = 0.0;
    int have_prev = 0;
    for (size_t j = 0; j < m->n_params; j++) {
        const fcfit_model_param *p = &m->params[j];
        double acc = 0.0;
        if (!test_active(p)) {
            continue;
        }
        for (size_t i = 0; i < N; i++) {
            double u = (params[j * N + i] - p->lo) / (p->hi - p->lo);
            double t = 0.5 + 0.15 * sin(1.7 * (double)j + 0.9 * (double)i);
            if (fn == FCFIT_TEST_SPHERE) {
                acc += (u - t) * (u - t);
            } else {
                double z = 1.0 + 4.0 * (u - t);
                if (have_prev) {
                    f += 100.0 * (z - zprev * zprev) * (z - zprev * zprev) +
                         (1.0 - zprev) * (1.0 - zprev);
                }
                zprev = z;
                have_prev = 1;
            }
        }
        if (fn == FCFIT_TEST_SPHERE) {
            f += acc / (double)N;
        }
    }
    return f;
}

/* A standard normal from a seed and a stream index (Box-Muller on two mixed words). */
static double seed_normal(uint64_t seed, uint64_t k)
{
    uint64_t a = fcfit_rng_derive(seed, 0x74657374ULL, 2 * k);
    uint64_t b = fcfit_rng_derive(seed, 0x74657374ULL, 2 * k + 1);
    double u1 = ((double)(a >> 11) + 0.5) * 0x1.0p-53;
    double u2 = (double)(b >> 11) * 0x1.0p-53;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static void eval_test(fcfit_eval *ev, size_t n_used)
{
    const size_t N = ev->N;
    for (size_t l = 0; l < n_used; l++) {
        fcfit_eval_result *r = &ev->res[l];
        double f = fcfit_eval_test_value(ev->s.test, ev->s.model, N,
                                         ev->params + l * ev->s.model->n_params * N);
        double corr = 1.0 / (1.0 + f) + ev->s.test_noise * seed_normal(ev->seeds[l], 0);
        double rmse = f + ev->s.test_noise * seed_normal(ev->seeds[l], 1);
        r->status = FCFIT_TASK_OK;
        r->reason[0] = '\0';
        r->n_degenerate = 0;
        memset(&r->tune, 0, sizeof r->tune);
        r->scores[FCFIT_SCORE_FC_CORR] = corr;
        r->scores[FCFIT_SCORE_FC_CORR_GROUP] = corr;
        r->scores[FCFIT_SCORE_FC_RMSE] = rmse;
        r->scores[FCFIT_SCORE_FC_MEAN_DIFF] = f;
        r->scores[FCFIT_SCORE_FCD_KS] = NAN;
        for (size_t k = 0; k < FCFIT_SCORE_COUNT; k++) {
            r->scores2[k] = ev->s.target2 != NULL ? r->scores[k] : NAN;
        }
        for (size_t sj = 0; sj < ev->n_subj; sj++) {
            r->subject_scores[sj * FCFIT_SSCORE_COUNT + FCFIT_SSCORE_FC_CORR] = corr;
            r->subject_scores[sj * FCFIT_SSCORE_COUNT + FCFIT_SSCORE_FC_RMSE] = rmse;
            r->subject_scores[sj * FCFIT_SSCORE_COUNT + FCFIT_SSCORE_FCD_KS] = NAN;
        }
        for (size_t m = 0; m < ev->M; m++) {
            r->fc_upper[m] = 0.0f;
        }
        for (size_t k = 0; k < FCFIT_DIAG_COUNT; k++) {
            r->diag[k] = NAN;
        }
    }
}

/* Advance to the end, polling stop between chunks; then every used lane's results. */
static fcfit_status finish_run(fcfit_eval *ev, size_t n_used, fcfit_eval_stop_fn stop, void *ctx,
                               int *stopped)
{
    const size_t chunk = ev->s.sim->chunk_steps;
    ev->in_run = 1;
    while (!fcfit_sim_done(ev->sim)) {
        FCFIT_CHECK(fcfit_sim_advance(ev->sim, chunk));
        /* A batch that has just reached its end is finished rather than abandoned. */
        if (!fcfit_sim_done(ev->sim) && stop != NULL && stop(ctx)) {
            *stopped = 1;
            return FCFIT_OK;
        }
    }
    ev->in_run = 0;
    for (size_t l = 0; l < n_used; l++) {
        fcfit_eval_result *r = &ev->res[l];
        const char *why = NULL;
        r->status = (int)fcfit_sim_lane_status(ev->sim, l, &why);
        snprintf(r->reason, sizeof r->reason, "%s", why != NULL ? why : "");
        r->tune = ev->tune[l];
        r->n_degenerate = 0;
        for (size_t k = 0; k < FCFIT_SCORE_COUNT; k++) {
            r->scores[k] = NAN;
            r->scores2[k] = NAN;
        }
        for (size_t k = 0; r->subject_scores != NULL && k < ev->n_subj * FCFIT_SSCORE_COUNT; k++) {
            r->subject_scores[k] = NAN;
        }
        for (size_t m = 0; m < ev->M; m++) {
            r->fc_upper[m] = NAN;
        }
        for (size_t k = 0; k < FCFIT_DIAG_COUNT; k++) {
            r->diag[k] = NAN;
        }
        if (r->status == FCFIT_TASK_OK && r->tune.failed) {
            r->status = FCFIT_TASK_OUT_OF_DOMAIN;
            snprintf(r->reason, sizeof r->reason, "tuning failed: %s",
                     r->tune.reason != NULL ? r->tune.reason : "");
        }
        if (r->status != FCFIT_TASK_OK) {
            continue;
        }
        FCFIT_CHECK(fcfit_eval_refeature(ev, l));
        for (size_t m = 0; m < ev->M; m++) {
            r->fc_upper[m] = (float)ev->feat->fc_upper[m];
        }
        if (ev->feat->n_degenerate > 0) {
            r->status = FCFIT_TASK_DEGENERATE;
            r->n_degenerate = ev->feat->n_degenerate;
            snprintf(r->reason, sizeof r->reason,
                     "%zu region(s) have constant BOLD after preprocessing; FC is undefined there",
                     ev->feat->n_degenerate);
            fcfit_sim_get_drive_mean(ev->sim, l, ev->dmean);
            fcfit_diag_compute(ev->feat, ev->s.target, ev->dmean, ev->dwork, r->diag);
            continue;
        }
        if (ev->s.target != NULL && ev->s.all_subjects != NULL) {
            double all[FCFIT_SCORE_COUNT];
            fcfit_score_compute(ev->s.target, ev->feat, r->scores, NULL);
            fcfit_score_compute(ev->s.all_subjects, ev->feat, all, r->subject_scores);
        } else if (ev->s.target != NULL) {
            fcfit_score_compute(ev->s.target, ev->feat, r->scores, r->subject_scores);
        }
        if (ev->s.target2 != NULL) {
            fcfit_score_compute(ev->s.target2, ev->feat, r->scores2, NULL);
        }
        /* Last: the diagnostics overwrite the preprocessed series of the features. */
        fcfit_sim_get_drive_mean(ev->sim, l, ev->dmean);
        fcfit_diag_compute(ev->feat, ev->s.target, ev->dmean, ev->dwork, r->diag);
    }
    return FCFIT_OK;
}

fcfit_status fcfit_eval_run(fcfit_eval *ev, size_t n_used, const uint64_t *seeds,
                            fcfit_eval_stop_fn stop, void *ctx, int *stopped)
{
    *stopped = 0;
    ev->in_run = 0;
    FCFIT_REQUIRE(n_used >= 1 && n_used <= ev->L, FCFIT_ERR_ARG,
                  "batch of %zu tasks for %zu lanes", n_used, ev->L);
    load_lanes(ev, n_used, seeds);
    if (ev->s.test != FCFIT_TEST_NONE) {
        /* The delay is spent in chunks of 10 ms, polling the stop callback like a simulation. */
        double left = ev->s.test_delay_s;
        while (left > 0.0) {
            struct timespec ts = {0, (long)(fmin(left, 0.01) * 1e9)};
            nanosleep(&ts, NULL);
            left -= 0.01;
            if (stop != NULL && stop(ctx)) {
                *stopped = 1;
                return FCFIT_OK;
            }
        }
        eval_test(ev, n_used);
        return FCFIT_OK;
    }
    FCFIT_CHECK(fcfit_sim_tune(ev->sim, ev->seeds, ev->tune));
    FCFIT_CHECK(fcfit_sim_reset(ev->sim, ev->seeds));
    return finish_run(ev, n_used, stop, ctx, stopped);
}

/*
 * Checkpoints of a batch (fcfit_eval.h): an evaluator header, then the simulation's lane
 * checkpoint (fcfit_sim_checkpoint_save). The header ties the state to its task: the seed and a
 * hash of the lane's parameters as the task gave them (before any tuning), and it carries the
 * tuning report, since a resumed run does not tune again.
 */
#define EVAL_CKPT_MAGIC 0x4c56455449464346ULL /* "FCFITEVL" */

typedef struct eval_ckpt_header {
    uint64_t magic;
    uint64_t seed;
    uint64_t params_hash;
    uint64_t sim_len;
    int64_t tune_active, tune_converged, tune_iterations, tune_failed;
    double tune_max_error;
    char tune_reason[FCFIT_SIM_REASON_LEN];
} eval_ckpt_header;

static uint64_t lane_params_hash(const fcfit_eval *ev, size_t lane, uint64_t seed)
{
    const size_t np = ev->s.model->n_params * ev->N;
    uint64_t h = fcfit_hash_bytes(0x6366666974636b70ULL, &seed, sizeof seed);
    return fcfit_hash_bytes(h, ev->params + lane * np, np * sizeof(double));
}

int fcfit_eval_can_checkpoint(const fcfit_eval *ev)
{
    return ev->s.test == FCFIT_TEST_NONE && ev->in_run;
}

size_t fcfit_eval_checkpoint_size(const fcfit_eval *ev)
{
    return sizeof(eval_ckpt_header) + fcfit_sim_checkpoint_size(ev->sim);
}

fcfit_status fcfit_eval_checkpoint_save(const fcfit_eval *ev, size_t lane, void *buf, size_t cap,
                                        size_t *len, uint64_t *step)
{
    eval_ckpt_header h;
    size_t sl = 0;
    const fcfit_tune_report *t = &ev->tune[lane];
    FCFIT_REQUIRE(fcfit_eval_can_checkpoint(ev) && lane < ev->L, FCFIT_ERR_INTERNAL,
                  "no simulation to checkpoint");
    FCFIT_REQUIRE(cap >= sizeof h, FCFIT_ERR_INTERNAL, "checkpoint buffer too small");
    FCFIT_CHECK(fcfit_sim_checkpoint_save(ev->sim, lane, (char *)buf + sizeof h,
                                          cap - sizeof h, &sl));
    memset(&h, 0, sizeof h);
    h.magic = EVAL_CKPT_MAGIC;
    h.seed = ev->seeds[lane];
    h.params_hash = lane_params_hash(ev, lane, ev->seeds[lane]);
    h.sim_len = sl;
    h.tune_active = t->active;
    h.tune_converged = t->converged;
    h.tune_iterations = (int64_t)t->iterations;
    h.tune_failed = t->failed;
    h.tune_max_error = t->max_error;
    snprintf(h.tune_reason, sizeof h.tune_reason, "%s", t->reason != NULL ? t->reason : "");
    memcpy(buf, &h, sizeof h);
    *len = sizeof h + sl;
    *step = (uint64_t)fcfit_sim_steps_done(ev->sim);
    return FCFIT_OK;
}

fcfit_status fcfit_eval_run_resume(fcfit_eval *ev, size_t n_used, const uint64_t *seeds,
                                   const void *const *ckpt, const size_t *len,
                                   fcfit_eval_stop_fn stop, void *ctx, int *stopped)
{
    const void *sims[64];
    size_t sim_lens[64];
    eval_ckpt_header h;

    *stopped = 0;
    ev->in_run = 0;
    FCFIT_REQUIRE(n_used >= 1 && n_used <= ev->L && ev->L <= 64, FCFIT_ERR_ARG,
                  "batch of %zu tasks for %zu lanes", n_used, ev->L);
    FCFIT_REQUIRE(ev->s.test == FCFIT_TEST_NONE, FCFIT_ERR_INPUT,
                  "a checkpoint cannot resume an analytic test evaluation");
    load_lanes(ev, n_used, seeds);
    for (size_t l = 0; l < ev->L; l++) {
        const size_t src = l < n_used ? l : 0;
        FCFIT_REQUIRE(len[src] >= sizeof h, FCFIT_ERR_INPUT, "checkpoint too short");
        memcpy(&h, ckpt[src], sizeof h);
        FCFIT_REQUIRE(h.magic == EVAL_CKPT_MAGIC && h.sim_len == len[src] - sizeof h,
                      FCFIT_ERR_INPUT, "not an evaluation checkpoint (or a damaged one)");
        FCFIT_REQUIRE(h.seed == seeds[src] &&
                          h.params_hash == lane_params_hash(ev, src, seeds[src]),
                      FCFIT_ERR_INPUT,
                      "checkpoint of another task (seed or parameters differ); not used");
        memset(&ev->tune[l], 0, sizeof ev->tune[l]);
        ev->tune[l].active = (int)h.tune_active;
        ev->tune[l].converged = (int)h.tune_converged;
        ev->tune[l].iterations = (size_t)h.tune_iterations;
        ev->tune[l].failed = (int)h.tune_failed;
        ev->tune[l].max_error = h.tune_max_error;
        memcpy(ev->tune_reason[l], h.tune_reason, sizeof ev->tune_reason[l]);
        ev->tune_reason[l][sizeof ev->tune_reason[l] - 1] = '\0';
        ev->tune[l].reason = ev->tune_reason[l][0] != '\0' ? ev->tune_reason[l] : NULL;
        sims[l] = (const char *)ckpt[src] + sizeof h;
        sim_lens[l] = len[src] - sizeof h;
    }
    FCFIT_CHECK(fcfit_sim_checkpoint_resume(ev->sim, ev->seeds, sims, sim_lens));
    return finish_run(ev, n_used, stop, ctx, stopped);
}
