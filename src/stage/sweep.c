/*
 * sweep.c: the sweep stage as a search: it asks for every point of its
 * enumeration (stage.c) in order, row p = point p, each with fresh seeds.
 */
#include <stdlib.h>
#include <string.h>

#include "stage/stage_impl.h"

typedef struct sweep_impl {
    size_t next, told;
    double *params; /* [n_params][N] scratch for the current request */
} sweep_impl;

static fcfit_status sweep_create(fcfit_search *s)
{
    const fcfit_stage *st = s->su.stage;
    sweep_impl *w = calloc(1, sizeof *w);
    FCFIT_REQUIRE(w != NULL, FCFIT_ERR_NOMEM, "cannot allocate the sweep");
    s->impl = w;
    w->params = calloc(st->n_params * st->n_regions, sizeof(double));
    FCFIT_REQUIRE(w->params != NULL, FCFIT_ERR_NOMEM, "cannot allocate the sweep's parameters");
    memcpy(s->su.book->base, s->su.job_params, st->n_params * st->n_regions * sizeof(double));
    s->su.book->base_set = 1;
    return FCFIT_OK;
}

static void sweep_destroy(fcfit_search *s)
{
    sweep_impl *w = s->impl;
    if (w != NULL) {
        free(w->params);
        free(w);
    }
    s->impl = NULL;
}

static int sweep_next(fcfit_search *s, fcfit_request *req)
{
    sweep_impl *w = s->impl;
    const fcfit_stage *st = s->su.stage;
    const double *x;
    if (w->next >= st->n_points) {
        return 0;
    }
    x = st->points + w->next * st->n_dims;
    fcfit_stage_point_params(st, s->su.book->base, x, w->params);
    memset(req, 0, sizeof *req);
    req->row = w->next;
    req->x = x;
    req->params = w->params;
    req->seed_task = st->task_base + w->next;
    req->instance = -1;
    req->eval_index = -1;
    req->source_stage = -1;
    req->source_row = -1;
    w->next++;
    return 1;
}

static fcfit_status sweep_tell(fcfit_search *s, size_t row, int status, double loss)
{
    sweep_impl *w = s->impl;
    (void)row;
    (void)status;
    (void)loss;
    w->told++;
    return FCFIT_OK;
}

static int sweep_done(const fcfit_search *s)
{
    const sweep_impl *w = s->impl;
    return w->told == s->su.stage->n_points;
}

static size_t sweep_n_instances(const fcfit_search *s)
{
    (void)s;
    return 0;
}

static void sweep_instance(const fcfit_search *s, size_t i, fcfit_instance_summary *out)
{
    (void)s;
    (void)i;
    (void)out;
}

const search_ops search_sweep_ops = {sweep_create, sweep_destroy, sweep_next,   sweep_tell,
                                     sweep_done,   sweep_n_instances, sweep_instance};
