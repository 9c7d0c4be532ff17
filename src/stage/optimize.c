/*
 * optimize.c: the optimize stage, multi-start NLopt over the stage's
 * dimensions (global parameters and map offsets/slopes).
 *
 * Base: the full parameters of the best earlier row (so a parameter the
 * sweep chose but the optimizer does not search keeps the sweep's best
 * value), or the job's values when there is no earlier stage.
 * Starts: with `starts: previous`, instance k starts from the k-th best
 * distinct earlier point, projected onto this stage's dimensions (a dimension
 * of the same name takes its value; otherwise the parameter's mean over
 * regions; a map slope 0), clamped into the ranges; a Sobol design over the
 * ranges fills the remaining instances (and all of them with `starts: sobol`).
 * Instance k's evaluations are rows k*maxeval ... k*maxeval + maxeval - 1.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_qrng.h>
#include <gsl/gsl_rng.h>

#include "fcfit/fcfit_rng.h"
#include "stage/stage_impl.h"

typedef struct optimize_impl {
    nl_pool *pool;
    double *x0;    /* [K][D] */
    size_t *free;  /* 0..D-1 */
} optimize_impl;

/* Value of dimension d taken from an earlier row (its stage's point and full parameters). */
static double project_dim(const fcfit_stage *s, size_t d, const fcfit_book *src, size_t row,
                          const double *params)
{
    const fcfit_dim *dim = &s->dims[d];
    const size_t N = s->n_regions;
    double v = 0.0;
    for (size_t e = 0; src != NULL && e < src->stage->n_dims; e++) {
        if (strcmp(src->stage->dims[e].name, dim->name) == 0) {
            v = src->x[row * src->n_dims + e];
            goto clamp;
        }
    }
    switch (dim->kind) {
    case FCFIT_DIM_GLOBAL:
    case FCFIT_DIM_MAP_OFFSET:
        for (size_t i = 0; i < N; i++) {
            v += params[dim->param * N + i];
        }
        v /= (double)N;
        break;
    case FCFIT_DIM_MAP_SLOPE:
        v = 0.0;
        break;
    case FCFIT_DIM_REGION:
        v = params[dim->param * N + dim->map];
        break;
    case FCFIT_DIM_SUBJECT:
        v = 0.0; /* per-subject sweeps feed no optimizer (job_subjects.c) */
        break;
    }
clamp:
    if (!isfinite(v)) {
        v = 0.5 * (dim->lo + dim->hi);
    }
    return v < dim->lo ? dim->lo : v > dim->hi ? dim->hi : v;
}

fcfit_status search_base_from_best(fcfit_search *s)
{
    const fcfit_stage *st = s->su.stage;
    ranked_row best;
    size_t found = 0;
    FCFIT_CHECK(search_distinct_best(&s->su, 1, &best, s->su.book->base, &found));
    if (found == 0) {
        memcpy(s->su.book->base, s->su.job_params, st->n_params * st->n_regions * sizeof(double));
    }
    s->su.book->base_set = 1;
    return FCFIT_OK;
}

fcfit_status search_multistart_points(fcfit_search *s, size_t K, double *x0)
{
    const fcfit_stage *sg = s->su.stage;
    const size_t D = sg->n_dims, np = sg->n_params * sg->n_regions;
    ranked_row *prev = NULL;
    double *params = NULL, *u = NULL;
    size_t n_prev = 0, k = 0;
    gsl_qrng *q = NULL;
    gsl_rng *r = NULL;
    fcfit_status st = FCFIT_OK;

    if (sg->starts == FCFIT_START_PREVIOUS && s->su.n_earlier > 0) {
        FCFIT_ALLOC_GOTO(prev, K, "starting rows");
        FCFIT_ALLOC_GOTO(params, K * np, "starting parameters");
        FCFIT_TRY(search_distinct_best(&s->su, K, prev, params, &n_prev));
        for (; k < n_prev; k++) {
            for (size_t d = 0; d < D; d++) {
                x0[k * D + d] = project_dim(sg, d, prev[k].book, prev[k].row, params + k * np);
            }
        }
    }
    if (k < K) {
        /* Sobol points 1, 2, ... (point 0 is a corner of the box). */
        FCFIT_ALLOC_GOTO(u, D, "Sobol point");
        if (D <= 40) {
            q = gsl_qrng_alloc(gsl_qrng_sobol, (unsigned)D);
            FCFIT_REQUIRE_GOTO(q != NULL, FCFIT_ERR_NOMEM, "cannot allocate the Sobol generator");
            gsl_qrng_get(q, u); /* skip point 0 */
        } else {
            r = fcfit_rng_alloc(fcfit_rng_derive(s->su.seed, sg->task_base, 0x73746172ULL));
            FCFIT_REQUIRE_GOTO(r != NULL, FCFIT_ERR_NOMEM, "cannot allocate a random generator");
        }
        for (; k < K; k++) {
            if (q != NULL) {
                gsl_qrng_get(q, u);
            } else {
                for (size_t d = 0; d < D; d++) {
                    u[d] = gsl_rng_uniform(r);
                }
            }
            for (size_t d = 0; d < D; d++) {
                x0[k * D + d] = fcfit_dim_from_unit(&sg->dims[d], u[d]);
            }
        }
    }

cleanup:
    if (q != NULL) {
        gsl_qrng_free(q);
    }
    gsl_rng_free(r);
    free(prev);
    free(params);
    free(u);
    return st;
}

fcfit_status search_multistart_pool(fcfit_search *s, size_t K, const double *x0,
                                    const size_t *free_dims, nl_pool **pool)
{
    const fcfit_stage *st = s->su.stage;
    nl_spec *specs = calloc(K, sizeof *specs);
    fcfit_status rc;
    FCFIT_REQUIRE(specs != NULL, FCFIT_ERR_NOMEM, "cannot allocate the optimizer instances");
    for (size_t k = 0; k < K; k++) {
        specs[k].n_free = st->n_dims;
        specs[k].free = free_dims;
        specs[k].x_fixed = x0 + k * st->n_dims;
        specs[k].row0 = k * st->maxeval;
        specs[k].maxeval = st->maxeval;
        specs[k].seed_task = st->task_base + k * st->maxeval;
        specs[k].nlopt_seed = fcfit_rng_derive(s->su.seed, st->task_base, k);
        specs[k].instance = (int64_t)k;
    }
    rc = nl_pool_create(pool, st, s->su.book->base, K, specs, st->common_seeds,
                        s->su.objective->penalty);
    free(specs);
    return rc;
}

static fcfit_status optimize_create(fcfit_search *s)
{
    const fcfit_stage *st = s->su.stage;
    optimize_impl *o = calloc(1, sizeof *o);
    fcfit_status rc = FCFIT_OK;
    FCFIT_REQUIRE(o != NULL, FCFIT_ERR_NOMEM, "cannot allocate the optimizer");
    s->impl = o;
    o->x0 = calloc(st->n_starts * st->n_dims, sizeof(double));
    o->free = calloc(st->n_dims, sizeof(size_t));
    FCFIT_REQUIRE(o->x0 != NULL && o->free != NULL, FCFIT_ERR_NOMEM, "cannot allocate the starts");
    for (size_t d = 0; d < st->n_dims; d++) {
        o->free[d] = d;
    }
    FCFIT_CHECK(search_base_from_best(s));
    FCFIT_CHECK(search_multistart_points(s, st->n_starts, o->x0));
    rc = search_multistart_pool(s, st->n_starts, o->x0, o->free, &o->pool);
    return rc;
}

static void optimize_destroy(fcfit_search *s)
{
    optimize_impl *o = s->impl;
    if (o != NULL) {
        nl_pool_destroy(&o->pool);
        free(o->x0);
        free(o->free);
        free(o);
    }
    s->impl = NULL;
}

static int optimize_next(fcfit_search *s, fcfit_request *req)
{
    optimize_impl *o = s->impl;
    return nl_pool_next(o->pool, req);
}

static fcfit_status optimize_tell(fcfit_search *s, size_t row, int status, double loss)
{
    optimize_impl *o = s->impl;
    int owned = 0;
    (void)status;
    FCFIT_CHECK(nl_pool_tell(o->pool, row, loss, &owned));
    FCFIT_REQUIRE(owned, FCFIT_ERR_INTERNAL, "optimize: outcome for row %zu, never asked for",
                  row);
    return FCFIT_OK;
}

static int optimize_done(const fcfit_search *s)
{
    const optimize_impl *o = s->impl;
    return nl_pool_done(o->pool);
}

static size_t optimize_n_instances(const fcfit_search *s)
{
    const optimize_impl *o = s->impl;
    return nl_pool_count(o->pool);
}

static void optimize_instance(const fcfit_search *s, size_t i, fcfit_instance_summary *out)
{
    const optimize_impl *o = s->impl;
    nl_pool_summary(o->pool, i, out);
}

const search_ops search_optimize_ops = {optimize_create, optimize_destroy,     optimize_next,
                                        optimize_tell,   optimize_done,        optimize_n_instances,
                                        optimize_instance};
