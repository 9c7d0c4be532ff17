/*
 * refine.c: the refine stage, regional heterogeneity. Chosen regional
 * parameters become one free value per region (68-400+ dimensions), starting
 * from the best point of the earlier stages (its full parameters are the
 * stage's base; each free value starts at the base's value in its region).
 * Three methods:
 *
 *  cmaes   separable CMA-ES (cmaes.c). A generation of lambda points goes to
 *          the workers at once; the update waits for the whole generation.
 *          Generation g is rows g*lambda ... g*lambda + lambda - 1; the stage
 *          runs capacity / lambda generations, or stops earlier when every
 *          coordinate's standard deviation is below 1e-12 of its range.
 *  blocks  block-coordinate descent with NLopt: the regions are split into
 *          `blocks` contiguous blocks, and in each round one NLopt instance
 *          per block searches that block's values with the others held at the
 *          round's incumbent, all blocks concurrently. When every block has
 *          finished, the point combining each block's best is evaluated, and
 *          the best of {combined, each block's best} is the next incumbent.
 *          Round r uses rows r*(blocks*maxeval + 1) ...; its last row is the
 *          combined point.
 *  map     NLopt over the offset and slope of regional maps,
 *          p_i = offset + slope * m_i, a low-dimensional alternative
 *          (multi-start as in the optimize stage).
 *
 * With common seeds (refine.seeds: common) every evaluation of the stage uses
 * the same noise seeds, so that losses are comparable across generations,
 * blocks and rounds.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <nlopt.h>

#include "fcfit/fcfit_cmaes.h"
#include "fcfit/fcfit_rng.h"
#include "stage/stage_impl.h"

typedef enum refine_phase { PH_POOL, PH_COMBINE, PH_FINISHED } refine_phase;

typedef struct refine_impl {
    /* cmaes */
    fcfit_cmaes *cma;
    size_t lambda, gens, gen, cur_next, cur_told, evals;
    double *X;          /* [lambda][D] unit points of the current generation */
    double *losses;     /* [lambda] */
    double *x;          /* [D] scratch point */
    double *params;     /* [np*N] scratch parameters */
    int finished, stop_code;
    long best_row;
    double best_loss;
    /* blocks and map */
    nl_pool *pool;
    size_t *free;       /* blocks: [B][per-block dims]; map: 0..D-1 */
    size_t *n_free;     /* [B] */
    size_t per_block_cap;
    double *incumbent;  /* [D] */
    double *x0;         /* map: [K][D] */
    size_t round;
    refine_phase phase;
    int combine_emitted, combine_told;
    fcfit_instance_summary *summ; /* blocks: [rounds*B] */
} refine_impl;

static uint64_t stage_seed_task(const fcfit_search *s, size_t row)
{
    const fcfit_stage *st = s->su.stage;
    return st->common_seeds ? st->task_base : st->task_base + row;
}

/* The incumbent from the base: each regional dimension takes the base value in its region. */
static void point_from_base(const fcfit_search *s, double *x)
{
    const fcfit_stage *st = s->su.stage;
    for (size_t d = 0; d < st->n_dims; d++) {
        const fcfit_dim *dim = &st->dims[d];
        double v = s->su.book->base[dim->param * st->n_regions + dim->map];
        x[d] = v < dim->lo ? dim->lo : v > dim->hi ? dim->hi : v;
    }
}

/* ---- CMA-ES ---- */

static fcfit_status cmaes_start(fcfit_search *s, refine_impl *r)
{
    const fcfit_stage *st = s->su.stage;
    const size_t D = st->n_dims;
    double *u0 = calloc(D, sizeof(double));
    fcfit_status rc;
    FCFIT_REQUIRE(u0 != NULL, FCFIT_ERR_NOMEM, "cannot allocate the CMA-ES start");
    point_from_base(s, r->x);
    for (size_t d = 0; d < D; d++) {
        u0[d] = fcfit_dim_to_unit(&st->dims[d], r->x[d]);
    }
    r->lambda = st->popsize;
    r->gens = st->capacity / st->popsize;
    rc = fcfit_cmaes_create(&r->cma, D, r->lambda, u0, st->sigma0,
                            fcfit_rng_derive(s->su.seed, st->task_base, 0x636d61ULL));
    free(u0);
    FCFIT_CHECK(rc);
    r->X = calloc(r->lambda * D, sizeof(double));
    r->losses = calloc(r->lambda, sizeof(double));
    FCFIT_REQUIRE(r->X != NULL && r->losses != NULL, FCFIT_ERR_NOMEM,
                  "cannot allocate a CMA-ES generation");
    fcfit_cmaes_ask(r->cma, r->X);
    return FCFIT_OK;
}

static int cmaes_next(fcfit_search *s, refine_impl *r, fcfit_request *req)
{
    const fcfit_stage *st = s->su.stage;
    const size_t D = st->n_dims;
    size_t row;
    if (r->finished || r->cur_next >= r->lambda) {
        return 0;
    }
    row = r->gen * r->lambda + r->cur_next;
    for (size_t d = 0; d < D; d++) {
        const fcfit_dim *dim = &st->dims[d];
        double v = fcfit_dim_from_unit(dim, r->X[r->cur_next * D + d]);
        r->x[d] = v < dim->lo ? dim->lo : v > dim->hi ? dim->hi : v;
    }
    fcfit_stage_point_params(st, s->su.book->base, r->x, r->params);
    memset(req, 0, sizeof *req);
    req->row = row;
    req->x = r->x;
    req->params = r->params;
    req->seed_task = stage_seed_task(s, row);
    /* One instance; its evaluation number is the row (generation = row / lambda). */
    req->instance = 0;
    req->eval_index = (int64_t)row;
    req->source_stage = -1;
    req->source_row = -1;
    r->cur_next++;
    return 1;
}

static fcfit_status cmaes_tell(refine_impl *r, size_t row, double loss)
{
    size_t k = row - r->gen * r->lambda;
    FCFIT_REQUIRE(row >= r->gen * r->lambda && k < r->cur_next, FCFIT_ERR_INTERNAL,
                  "refine: outcome for row %zu outside generation %zu", row, r->gen);
    r->losses[k] = loss;
    r->cur_told++;
    r->evals++;
    if (r->best_row < 0 || loss < r->best_loss || (loss == r->best_loss && (long)row < r->best_row)) {
        r->best_row = (long)row;
        r->best_loss = loss;
    }
    if (r->cur_told < r->lambda) {
        return FCFIT_OK;
    }
    FCFIT_CHECK(fcfit_cmaes_tell(r->cma, r->losses));
    r->gen++;
    r->cur_next = 0;
    r->cur_told = 0;
    if (r->gen >= r->gens) {
        r->finished = 1;
        r->stop_code = NLOPT_MAXEVAL_REACHED; /* NLopt's codes, so that reports read alike */
    } else if (fcfit_cmaes_max_std(r->cma) < 1e-12) {
        r->finished = 1;
        r->stop_code = NLOPT_XTOL_REACHED;
    } else {
        fcfit_cmaes_ask(r->cma, r->X);
    }
    return FCFIT_OK;
}

/* ---- block-coordinate NLopt ---- */

static size_t round_rows(const fcfit_stage *st) { return st->n_blocks * st->maxeval + 1; }

static fcfit_status blocks_start_round(fcfit_search *s, refine_impl *r)
{
    const fcfit_stage *st = s->su.stage;
    const size_t B = st->n_blocks;
    nl_spec *specs = calloc(B, sizeof *specs);
    fcfit_status rc;
    FCFIT_REQUIRE(specs != NULL, FCFIT_ERR_NOMEM, "cannot allocate the block instances");
    for (size_t b = 0; b < B; b++) {
        specs[b].n_free = r->n_free[b];
        specs[b].free = r->free + b * r->per_block_cap;
        specs[b].x_fixed = r->incumbent;
        specs[b].row0 = r->round * round_rows(st) + b * st->maxeval;
        specs[b].maxeval = st->maxeval;
        specs[b].seed_task = st->task_base;
        specs[b].nlopt_seed = fcfit_rng_derive(s->su.seed, st->task_base, r->round * B + b);
        specs[b].instance = (int64_t)(r->round * B + b);
    }
    /* With common seeds every block shares the stage's seeds; with fresh seeds each row has its own. */
    rc = nl_pool_create(&r->pool, st, s->su.book->base, B, specs, st->common_seeds,
                        s->su.objective->penalty);
    free(specs);
    r->phase = PH_POOL;
    r->combine_emitted = 0;
    r->combine_told = 0;
    return rc;
}

static fcfit_status blocks_start(fcfit_search *s, refine_impl *r)
{
    const fcfit_stage *st = s->su.stage;
    const size_t B = st->n_blocks, N = st->n_regions;
    r->per_block_cap = st->n_dims;
    r->free = calloc(B * r->per_block_cap, sizeof(size_t));
    r->n_free = calloc(B, sizeof(size_t));
    r->summ = calloc(st->rounds * B, sizeof *r->summ);
    FCFIT_REQUIRE(r->free != NULL && r->n_free != NULL && r->summ != NULL, FCFIT_ERR_NOMEM,
                  "cannot allocate the region blocks");
    for (size_t d = 0; d < st->n_dims; d++) {
        size_t region = st->dims[d].map;
        size_t b = region * B / N; /* contiguous blocks of N/B regions */
        r->free[b * r->per_block_cap + r->n_free[b]++] = d;
    }
    point_from_base(s, r->incumbent);
    return blocks_start_round(s, r);
}

/* All blocks of the round are done: the combined point. */
static void blocks_combine(fcfit_search *s, refine_impl *r)
{
    const fcfit_stage *st = s->su.stage;
    memcpy(r->x, r->incumbent, st->n_dims * sizeof(double));
    for (size_t b = 0; b < st->n_blocks; b++) {
        double loss;
        long row;
        const double *bx = nl_pool_best(r->pool, b, &loss, &row);
        nl_pool_summary(r->pool, b, &r->summ[r->round * st->n_blocks + b]);
        if (bx == NULL) {
            continue;
        }
        for (size_t k = 0; k < r->n_free[b]; k++) {
            size_t d = r->free[b * r->per_block_cap + k];
            r->x[d] = bx[d];
        }
    }
    r->phase = PH_COMBINE;
}

static fcfit_status blocks_after_combine(fcfit_search *s, refine_impl *r, double loss_combined)
{
    const fcfit_stage *st = s->su.stage;
    double best = loss_combined;
    long pick = -1; /* -1: the combined point */
    for (size_t b = 0; b < st->n_blocks; b++) {
        double loss;
        long row;
        if (nl_pool_best(r->pool, b, &loss, &row) != NULL && loss < best) {
            best = loss;
            pick = (long)b;
        }
    }
    if (pick < 0) {
        memcpy(r->incumbent, r->x, st->n_dims * sizeof(double));
    } else {
        double loss;
        long row;
        const double *bx = nl_pool_best(r->pool, (size_t)pick, &loss, &row);
        for (size_t k = 0; k < r->n_free[pick]; k++) {
            size_t d = r->free[(size_t)pick * r->per_block_cap + k];
            r->incumbent[d] = bx[d];
        }
    }
    nl_pool_destroy(&r->pool);
    r->round++;
    if (r->round >= st->rounds) {
        r->phase = PH_FINISHED;
        return FCFIT_OK;
    }
    return blocks_start_round(s, r);
}

/* ---- the stage ---- */

static fcfit_status refine_create(fcfit_search *s)
{
    const fcfit_stage *st = s->su.stage;
    refine_impl *r = calloc(1, sizeof *r);
    FCFIT_REQUIRE(r != NULL, FCFIT_ERR_NOMEM, "cannot allocate the refine stage");
    s->impl = r;
    r->best_row = -1;
    r->best_loss = NAN;
    r->x = calloc(st->n_dims, sizeof(double));
    r->incumbent = calloc(st->n_dims, sizeof(double));
    r->params = calloc(st->n_params * st->n_regions, sizeof(double));
    FCFIT_REQUIRE(r->x != NULL && r->incumbent != NULL && r->params != NULL, FCFIT_ERR_NOMEM,
                  "cannot allocate the refine stage");
    FCFIT_CHECK(search_base_from_best(s));
    switch (st->method) {
    case FCFIT_REFINE_CMAES:
        return cmaes_start(s, r);
    case FCFIT_REFINE_BLOCKS:
        return blocks_start(s, r);
    case FCFIT_REFINE_MAP:
        r->x0 = calloc(st->n_starts * st->n_dims, sizeof(double));
        r->free = calloc(st->n_dims, sizeof(size_t));
        FCFIT_REQUIRE(r->x0 != NULL && r->free != NULL, FCFIT_ERR_NOMEM,
                      "cannot allocate the refine starts");
        for (size_t d = 0; d < st->n_dims; d++) {
            r->free[d] = d;
        }
        FCFIT_CHECK(search_multistart_points(s, st->n_starts, r->x0));
        return search_multistart_pool(s, st->n_starts, r->x0, r->free, &r->pool);
    }
    FCFIT_FAIL(FCFIT_ERR_INTERNAL, "refine: unknown method %d", (int)st->method);
}

static void refine_destroy(fcfit_search *s)
{
    refine_impl *r = s->impl;
    if (r == NULL) {
        return;
    }
    fcfit_cmaes_destroy(&r->cma);
    nl_pool_destroy(&r->pool);
    free(r->X);
    free(r->losses);
    free(r->x);
    free(r->params);
    free(r->free);
    free(r->n_free);
    free(r->incumbent);
    free(r->x0);
    free(r->summ);
    free(r);
    s->impl = NULL;
}

static int refine_next(fcfit_search *s, fcfit_request *req)
{
    refine_impl *r = s->impl;
    const fcfit_stage *st = s->su.stage;
    switch (st->method) {
    case FCFIT_REFINE_CMAES:
        return cmaes_next(s, r, req);
    case FCFIT_REFINE_MAP:
        return nl_pool_next(r->pool, req);
    case FCFIT_REFINE_BLOCKS:
        if (r->phase == PH_POOL) {
            return nl_pool_next(r->pool, req);
        }
        if (r->phase == PH_COMBINE && !r->combine_emitted) {
            size_t row = r->round * round_rows(st) + st->n_blocks * st->maxeval;
            fcfit_stage_point_params(st, s->su.book->base, r->x, r->params);
            memset(req, 0, sizeof *req);
            req->row = row;
            req->x = r->x;
            req->params = r->params;
            req->seed_task = stage_seed_task(s, row);
            req->instance = -1;
            req->eval_index = -1;
            req->source_stage = -1;
            req->source_row = -1;
            r->combine_emitted = 1;
            return 1;
        }
        return 0;
    }
    return 0;
}

static fcfit_status refine_tell(fcfit_search *s, size_t row, int status, double loss)
{
    refine_impl *r = s->impl;
    const fcfit_stage *st = s->su.stage;
    int owned = 0;
    (void)status;
    switch (st->method) {
    case FCFIT_REFINE_CMAES:
        return cmaes_tell(r, row, loss);
    case FCFIT_REFINE_MAP:
        FCFIT_CHECK(nl_pool_tell(r->pool, row, loss, &owned));
        FCFIT_REQUIRE(owned, FCFIT_ERR_INTERNAL, "refine: outcome for row %zu, never asked for",
                      row);
        return FCFIT_OK;
    case FCFIT_REFINE_BLOCKS:
        if (r->phase == PH_POOL) {
            FCFIT_CHECK(nl_pool_tell(r->pool, row, loss, &owned));
            FCFIT_REQUIRE(owned, FCFIT_ERR_INTERNAL,
                          "refine: outcome for row %zu, never asked for", row);
            if (nl_pool_done(r->pool)) {
                blocks_combine(s, r);
            }
            return FCFIT_OK;
        }
        FCFIT_REQUIRE(r->phase == PH_COMBINE && r->combine_emitted &&
                          row == r->round * round_rows(st) + st->n_blocks * st->maxeval,
                      FCFIT_ERR_INTERNAL, "refine: unexpected outcome for row %zu", row);
        r->combine_told = 1;
        return blocks_after_combine(s, r, loss);
    }
    return FCFIT_OK;
}

static int refine_done(const fcfit_search *s)
{
    const refine_impl *r = s->impl;
    switch (s->su.stage->method) {
    case FCFIT_REFINE_CMAES:
        return r->finished;
    case FCFIT_REFINE_MAP:
        return nl_pool_done(r->pool);
    case FCFIT_REFINE_BLOCKS:
        return r->phase == PH_FINISHED;
    }
    return 1;
}

static size_t refine_n_instances(const fcfit_search *s)
{
    const refine_impl *r = s->impl;
    switch (s->su.stage->method) {
    case FCFIT_REFINE_CMAES:
        return 1;
    case FCFIT_REFINE_MAP:
        return nl_pool_count(r->pool);
    case FCFIT_REFINE_BLOCKS:
        return s->su.stage->rounds * s->su.stage->n_blocks;
    }
    return 0;
}

static void refine_instance(const fcfit_search *s, size_t i, fcfit_instance_summary *out)
{
    const refine_impl *r = s->impl;
    switch (s->su.stage->method) {
    case FCFIT_REFINE_CMAES:
        out->code = r->stop_code;
        out->evaluations = r->evals;
        out->best_row = r->best_row;
        out->best_loss = r->best_loss;
        break;
    case FCFIT_REFINE_MAP:
        nl_pool_summary(r->pool, i, out);
        break;
    case FCFIT_REFINE_BLOCKS:
        *out = r->summ[i];
        break;
    }
}

const search_ops search_refine_ops = {refine_create, refine_destroy,     refine_next,
                                      refine_tell,   refine_done,        refine_n_instances,
                                      refine_instance};
