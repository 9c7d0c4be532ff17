/*
 * evaluator.c: batches of tasks through simulation, features and scores
 * (see fcfit_eval.h). All buffers are allocated at create.
 */
#include "fcfit/fcfit_eval.h"

#include <math.h>
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
    ev->n_subj = setup->target != NULL ? setup->target->n_subjects : 0;
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

fcfit_status fcfit_eval_run(fcfit_eval *ev, size_t n_used, const uint64_t *seeds,
                            fcfit_eval_stop_fn stop, void *ctx, int *stopped)
{
    const size_t chunk = ev->s.sim->chunk_steps;

    *stopped = 0;
    FCFIT_REQUIRE(n_used >= 1 && n_used <= ev->L, FCFIT_ERR_ARG,
                  "batch of %zu tasks for %zu lanes", n_used, ev->L);
    load_lanes(ev, n_used, seeds);
    FCFIT_CHECK(fcfit_sim_tune(ev->sim, ev->seeds, ev->tune));
    FCFIT_CHECK(fcfit_sim_reset(ev->sim, ev->seeds));
    while (!fcfit_sim_done(ev->sim)) {
        FCFIT_CHECK(fcfit_sim_advance(ev->sim, chunk));
        if (stop != NULL && stop(ctx)) {
            *stopped = 1;
            return FCFIT_OK;
        }
    }
    for (size_t l = 0; l < n_used; l++) {
        fcfit_eval_result *r = &ev->res[l];
        const char *why = NULL;
        r->status = (int)fcfit_sim_lane_status(ev->sim, l, &why);
        snprintf(r->reason, sizeof r->reason, "%s", why != NULL ? why : "");
        r->tune = ev->tune[l];
        r->n_degenerate = 0;
        for (size_t k = 0; k < FCFIT_SCORE_COUNT; k++) {
            r->scores[k] = NAN;
        }
        for (size_t k = 0; r->subject_scores != NULL && k < ev->n_subj * FCFIT_SSCORE_COUNT; k++) {
            r->subject_scores[k] = NAN;
        }
        for (size_t m = 0; m < ev->M; m++) {
            r->fc_upper[m] = NAN;
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
            continue;
        }
        if (ev->s.target != NULL) {
            fcfit_score_compute(ev->s.target, ev->feat, r->scores, r->subject_scores);
        }
    }
    return FCFIT_OK;
}
