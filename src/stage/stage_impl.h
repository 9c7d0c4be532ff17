/*
 * stage_impl.h: declarations shared by the search stages (sweep, optimize,
 * refine, validate) inside the stage module.
 */
#ifndef FCFIT_STAGE_IMPL_H
#define FCFIT_STAGE_IMPL_H

#include "fcfit/fcfit_search.h"

/* One stage kind's operations behind fcfit_search. */
typedef struct search_ops {
    fcfit_status (*create)(fcfit_search *s);
    void (*destroy)(fcfit_search *s);
    int (*next)(fcfit_search *s, fcfit_request *req);
    fcfit_status (*tell)(fcfit_search *s, size_t row, int status, double loss);
    int (*done)(const fcfit_search *s);
    size_t (*n_instances)(const fcfit_search *s);
    void (*instance)(const fcfit_search *s, size_t i, fcfit_instance_summary *out);
} search_ops;

struct fcfit_search {
    const search_ops *ops;
    fcfit_search_setup su;
    void *impl;
    size_t rows_used;  /* requests handed out */
};

extern const search_ops search_sweep_ops;
extern const search_ops search_optimize_ops;
extern const search_ops search_refine_ops;
extern const search_ops search_validate_ops;

/* A done row of an earlier stage, for ranking. */
typedef struct ranked_row {
    const fcfit_book *book;
    size_t row;
    double loss;
} ranked_row;

/*
 * Every successful row of the earlier stages, best first: loss ascending,
 * then stage order, then row (a total order fixed by the job). *out is
 * malloc'd (NULL and 0 when there is none).
 */
fcfit_status search_rank_earlier(const fcfit_search_setup *su, ranked_row **out, size_t *n);

/*
 * The best `want` rows of the earlier stages whose full parameters differ
 * (bitwise) from each other's; their parameters go to params[k] ([n_params][N]
 * each, caller-allocated want blocks). Returns how many were found.
 */
fcfit_status search_distinct_best(const fcfit_search_setup *su, size_t want, ranked_row *rows,
                                  double *params, size_t *found);

/*
 * Validation candidates: first the best row of each earlier stage (in stage order), so that
 * the stages' answers are compared under fresh noise, then the best rows of all; distinct
 * parameters only. Returns how many were found (at most want).
 */
fcfit_status search_stage_bests_first(const fcfit_search_setup *su, size_t want,
                                      ranked_row *best, double *params, size_t *found);

/* ---- NLopt instances in threads (nlopt_pool.c) ---- */

/* The problem of one instance: a subset of the stage's dimensions over a fixed point. */
typedef struct nl_spec {
    size_t n_free;          /* free dimensions */
    const size_t *free;     /* their indices into the stage's dims */
    const double *x_fixed;  /* [D] values of the other dimensions (and x0 of the free ones) */
    size_t row0;            /* row of the instance's first evaluation */
    size_t maxeval;
    uint64_t seed_task;     /* common random numbers: seeds of every evaluation; else unused */
    uint64_t nlopt_seed;
    int64_t instance;       /* reported in requests */
} nl_spec;

typedef struct nl_pool nl_pool;

/*
 * Start n instances (threads) of the stage's NLopt algorithm; each runs until
 * its first request (or its end). base: [n_params][N] parameters the points
 * apply to (borrowed). common: use spec.seed_task for every evaluation.
 */
fcfit_status nl_pool_create(nl_pool **p, const fcfit_stage *s, const double *base, size_t n,
                            const nl_spec *specs, int common, double penalty);
void nl_pool_destroy(nl_pool **p);
int nl_pool_next(nl_pool *p, fcfit_request *req);
/* Answer row `row`; returns after the instance posted its next request or finished.
 * *owned is set to 0 when no instance of this pool asked for the row. */
fcfit_status nl_pool_tell(nl_pool *p, size_t row, double loss, int *owned);
int nl_pool_done(const nl_pool *p);
size_t nl_pool_count(const nl_pool *p);
/* Best point of instance i (its own evaluation log, not NLopt's answer: COBYLA in NLopt 2.7.1 may
 * return its last point), over all D dims; NULL when it evaluated nothing. */
const double *nl_pool_best(const nl_pool *p, size_t i, double *loss, long *row);
void nl_pool_summary(const nl_pool *p, size_t i, fcfit_instance_summary *out);

/* ---- shared by optimize.c and refine.c ---- */

/* book->base := full parameters of the best earlier row (the job's values when none). */
fcfit_status search_base_from_best(fcfit_search *s);
/* K starting points [K][D] (earlier stages' best, projected; Sobol fills up). */
fcfit_status search_multistart_points(fcfit_search *s, size_t K, double *x0);
/* K NLopt instances over all the stage's dimensions, instance k at rows k*maxeval... */
fcfit_status search_multistart_pool(fcfit_search *s, size_t K, const double *x0,
                                    const size_t *free_dims, nl_pool **pool);

/* Shared: a full stage point from free values in [0, 1] (clamped into [lo, hi]). */
void search_point_from_unit(const fcfit_stage *s, const nl_spec *spec, const double *u, double *x);

#endif
