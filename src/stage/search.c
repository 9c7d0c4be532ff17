/*
 * search.c: the fcfit_search front end (dispatch to the stage kind's
 * operations), the in-memory book of a stage's rows, and the ranking of
 * earlier stages' rows that optimize, refine and validate start from.
 */
#include "fcfit/fcfit_search.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fcfit/fcfit_sim.h"
#include "stage/stage_impl.h"

fcfit_status fcfit_book_create(fcfit_book **out, const fcfit_stage *s, size_t n_scores)
{
    fcfit_status st = FCFIT_OK;
    fcfit_book *b = calloc(1, sizeof *b);
    *out = NULL;
    FCFIT_REQUIRE(b != NULL, FCFIT_ERR_NOMEM, "cannot allocate a stage book");
    b->stage = s;
    b->capacity = s->capacity;
    b->n_dims = s->n_dims;
    b->n_params = s->n_params;
    b->n_regions = s->n_regions;
    b->n_scores = n_scores;
    FCFIT_ALLOC_GOTO(b->base, s->n_params * s->n_regions, "stage base parameters");
    FCFIT_ALLOC_GOTO(b->status, s->capacity, "stage status");
    FCFIT_ALLOC_GOTO(b->loss, s->capacity, "stage losses");
    FCFIT_ALLOC_GOTO(b->x, s->capacity * s->n_dims, "stage points");
    FCFIT_ALLOC_GOTO(b->scores, s->capacity * n_scores, "stage scores");
    if (s->kind == FCFIT_STAGE_VALIDATE) {
        FCFIT_ALLOC_GOTO(b->region_params, s->capacity * s->n_params * s->n_regions,
                         "validation parameters");
        FCFIT_ALLOC_GOTO(b->loss_se, s->capacity, "validation standard errors");
    }
    for (size_t r = 0; r < s->capacity; r++) {
        b->loss[r] = NAN;
    }
    *out = b;
    return FCFIT_OK;

cleanup:
    fcfit_book_destroy(&b);
    return st;
}

void fcfit_book_destroy(fcfit_book **pb)
{
    fcfit_book *b;
    if (pb == NULL || *pb == NULL) {
        return;
    }
    b = *pb;
    free(b->base);
    free(b->status);
    free(b->loss);
    free(b->x);
    free(b->scores);
    free(b->region_params);
    free(b->loss_se);
    free(b);
    *pb = NULL;
}

void fcfit_book_row_params(const fcfit_book *b, size_t row, double *out)
{
    const size_t np = b->n_params * b->n_regions;
    if (b->region_params != NULL) {
        memcpy(out, b->region_params + row * np, np * sizeof(double));
        return;
    }
    fcfit_stage_point_params(b->stage, b->base, b->x + row * b->n_dims, out);
}

/* ---- ranking earlier rows ---- */

static int ranked_cmp(const void *pa, const void *pb)
{
    const ranked_row *a = pa, *b = pb;
    if (a->loss != b->loss) {
        return a->loss < b->loss ? -1 : 1;
    }
    if (a->book->stage->kind != b->book->stage->kind) {
        return a->book->stage->kind < b->book->stage->kind ? -1 : 1;
    }
    return a->row < b->row ? -1 : (a->row > b->row);
}

fcfit_status search_rank_earlier(const fcfit_search_setup *su, ranked_row **out, size_t *n)
{
    size_t total = 0, k = 0;
    ranked_row *rows;
    *out = NULL;
    *n = 0;
    for (size_t e = 0; e < su->n_earlier; e++) {
        const fcfit_book *b = su->earlier[e];
        for (size_t r = 0; r < b->capacity; r++) {
            total += b->status[r] == FCFIT_TASK_OK && isfinite(b->loss[r]);
        }
    }
    if (total == 0) {
        return FCFIT_OK;
    }
    rows = calloc(total, sizeof *rows);
    FCFIT_REQUIRE(rows != NULL, FCFIT_ERR_NOMEM, "cannot rank %zu rows", total);
    for (size_t e = 0; e < su->n_earlier; e++) {
        const fcfit_book *b = su->earlier[e];
        for (size_t r = 0; r < b->capacity; r++) {
            if (b->status[r] == FCFIT_TASK_OK && isfinite(b->loss[r])) {
                rows[k].book = b;
                rows[k].row = r;
                rows[k].loss = b->loss[r];
                k++;
            }
        }
    }
    qsort(rows, total, sizeof *rows, ranked_cmp);
    *out = rows;
    *n = total;
    return FCFIT_OK;
}

/* Append rows[i] to best[0..k) unless its parameters equal those of one already there. */
static int add_distinct(const ranked_row *row, size_t np, ranked_row *best, double *params,
                        size_t *k)
{
    fcfit_book_row_params(row->book, row->row, params + *k * np);
    for (size_t j = 0; j < *k; j++) {
        if (memcmp(params + j * np, params + *k * np, np * sizeof(double)) == 0) {
            return 0;
        }
    }
    best[(*k)++] = *row;
    return 1;
}

fcfit_status search_distinct_best(const fcfit_search_setup *su, size_t want, ranked_row *best,
                                  double *params, size_t *found)
{
    const size_t np = su->stage->n_params * su->stage->n_regions;
    ranked_row *rows = NULL;
    size_t n = 0, k = 0;
    *found = 0;
    FCFIT_CHECK(search_rank_earlier(su, &rows, &n));
    for (size_t i = 0; i < n && k < want; i++) {
        add_distinct(&rows[i], np, best, params, &k);
    }
    free(rows);
    *found = k;
    return FCFIT_OK;
}

fcfit_status search_stage_bests_first(const fcfit_search_setup *su, size_t want,
                                      ranked_row *best, double *params, size_t *found)
{
    const size_t np = su->stage->n_params * su->stage->n_regions;
    ranked_row *rows = NULL;
    size_t n = 0, k = 0;
    *found = 0;
    FCFIT_CHECK(search_rank_earlier(su, &rows, &n));
    /* The best row of each earlier stage (rows are ranked, so the first of a stage is its best). */
    for (size_t e = 0; e < su->n_earlier && k < want; e++) {
        for (size_t i = 0; i < n; i++) {
            if (rows[i].book == su->earlier[e]) {
                add_distinct(&rows[i], np, best, params, &k);
                break;
            }
        }
    }
    /* Then the best of all. */
    for (size_t i = 0; i < n && k < want; i++) {
        add_distinct(&rows[i], np, best, params, &k);
    }
    free(rows);
    *found = k;
    return FCFIT_OK;
}

/* ---- the front end ---- */

fcfit_status fcfit_search_create(fcfit_search **out, const fcfit_search_setup *setup)
{
    static const search_ops *const ops[FCFIT_STAGE_KIND_COUNT] = {
        &search_sweep_ops, &search_optimize_ops, &search_refine_ops, &search_validate_ops};
    fcfit_search *s;
    fcfit_status st;
    *out = NULL;
    FCFIT_REQUIRE(setup->stage->kind < FCFIT_STAGE_KIND_COUNT, FCFIT_ERR_INTERNAL,
                  "unknown stage kind %d", (int)setup->stage->kind);
    s = calloc(1, sizeof *s);
    FCFIT_REQUIRE(s != NULL, FCFIT_ERR_NOMEM, "cannot allocate a search");
    s->ops = ops[setup->stage->kind];
    s->su = *setup;
    st = s->ops->create(s);
    if (st != FCFIT_OK) {
        s->ops->destroy(s);
        free(s);
        return st;
    }
    *out = s;
    return FCFIT_OK;
}

void fcfit_search_destroy(fcfit_search **ps)
{
    if (ps == NULL || *ps == NULL) {
        return;
    }
    (*ps)->ops->destroy(*ps);
    free(*ps);
    *ps = NULL;
}

int fcfit_search_next(fcfit_search *s, fcfit_request *req)
{
    int got = s->ops->next(s, req);
    s->rows_used += got != 0;
    return got;
}

fcfit_status fcfit_search_tell(fcfit_search *s, size_t row, int status, double loss)
{
    FCFIT_REQUIRE(row < s->su.stage->capacity, FCFIT_ERR_INTERNAL,
                  "%s: outcome for row %zu of %zu", s->su.stage->name, row,
                  s->su.stage->capacity);
    return s->ops->tell(s, row, status, loss);
}

int fcfit_search_done(const fcfit_search *s) { return s->ops->done(s); }

size_t fcfit_search_rows_used(const fcfit_search *s) { return s->rows_used; }

size_t fcfit_search_instances(const fcfit_search *s) { return s->ops->n_instances(s); }

void fcfit_search_instance(const fcfit_search *s, size_t i, fcfit_instance_summary *out)
{
    memset(out, 0, sizeof *out);
    out->best_row = -1;
    out->best_loss = NAN;
    s->ops->instance(s, i, out);
}

void search_point_from_unit(const fcfit_stage *s, const nl_spec *spec, const double *u, double *x)
{
    memcpy(x, spec->x_fixed, s->n_dims * sizeof(double));
    for (size_t k = 0; k < spec->n_free; k++) {
        const fcfit_dim *d = &s->dims[spec->free[k]];
        double v = fcfit_dim_from_unit(d, u[k] < 0.0 ? 0.0 : u[k] > 1.0 ? 1.0 : u[k]);
        x[spec->free[k]] = v < d->lo ? d->lo : v > d->hi ? d->hi : v;
    }
}
