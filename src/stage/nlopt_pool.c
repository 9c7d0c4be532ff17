/*
 * nlopt_pool.c: NLopt optimizer instances run in threads and driven as one
 * caller-driven object (see fcfit_search.h for why).
 *
 * Each instance owns an nlopt_opt over its free dimensions mapped to the
 * unit cube (linear or log10 within each dimension's range, so that tolerances
 * and steps mean the same thing for every parameter). Its objective callback
 * turns the unit point into a full stage point and per-region parameters,
 * posts them, and sleeps on the instance's condition variable until the
 * coordinator's main thread answers. The main thread in turn waits, after
 * every answer, until the instance has posted again or finished: at any
 * moment the main thread inspects the pool, every instance is parked, so the
 * pool needs no locking discipline beyond one mutex per instance, and the
 * sequence of requests depends on the answers only.
 *
 * The pool keeps its own log of each instance's best evaluation (lowest loss,
 * earliest row on ties) instead of trusting the point NLopt returns: in NLopt
 * 2.7.1 COBYLA can return its last point rather than its best. An instance never
 * evaluates more than maxeval points: NLopt is told the limit, and the callback
 * forces a stop should an algorithm ask for more.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <nlopt.h>

#include "stage/stage_impl.h"

typedef enum inst_state { INST_RUNNING, INST_POSTED, INST_ANSWERED, INST_FINISHED } inst_state;

typedef struct nl_inst {
    struct nl_pool *pool;
    nl_spec spec;         /* free and x_fixed point to the copies below */
    size_t *free;
    double *x_fixed;
    nlopt_opt opt;
    pthread_t thread;
    int thread_started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int sync_ready;
    inst_state state;
    int emitted;          /* the posted request was handed out */
    int stop;             /* the pool is being destroyed */
    size_t evals;         /* answered evaluations */
    double *x;            /* [D] point of the posted request */
    double *params;       /* [np*N] its parameters */
    double *u0;           /* start in the unit cube */
    double answer;
    nlopt_result result;
    double *best_x;
    double best_loss;
    long best_row;
} nl_inst;

struct nl_pool {
    const fcfit_stage *s;
    const double *base;
    size_t n;
    nl_inst *inst;
    int common;
    double penalty;
};

static double inst_objective(unsigned n, const double *u, double *grad, void *data)
{
    nl_inst *in = data;
    nl_pool *p = in->pool;
    double loss;
    (void)n;
    (void)grad;
    pthread_mutex_lock(&in->mu);
    if (in->stop || in->evals >= in->spec.maxeval) {
        pthread_mutex_unlock(&in->mu);
        nlopt_force_stop(in->opt);
        return p->penalty;
    }
    search_point_from_unit(p->s, &in->spec, u, in->x);
    fcfit_stage_point_params(p->s, p->base, in->x, in->params);
    in->state = INST_POSTED;
    in->emitted = 0;
    pthread_cond_broadcast(&in->cv);
    while (in->state == INST_POSTED && !in->stop) {
        pthread_cond_wait(&in->cv, &in->mu);
    }
    if (in->stop) {
        pthread_mutex_unlock(&in->mu);
        nlopt_force_stop(in->opt);
        return p->penalty;
    }
    loss = in->answer;
    if (in->best_row < 0 || loss < in->best_loss) {
        in->best_loss = loss;
        in->best_row = (long)(in->spec.row0 + in->evals);
        memcpy(in->best_x, in->x, p->s->n_dims * sizeof(double));
    }
    in->evals++;
    in->state = INST_RUNNING;
    pthread_mutex_unlock(&in->mu);
    return loss;
}

static void *inst_main(void *arg)
{
    nl_inst *in = arg;
    double f = 0.0;
    nlopt_result r;
    /* NLopt's generator is thread-local: seeded here, it gives this instance its own stream. */
    nlopt_srand((unsigned long)in->spec.nlopt_seed);
    r = nlopt_optimize(in->opt, in->u0, &f);
    pthread_mutex_lock(&in->mu);
    in->result = r;
    in->state = INST_FINISHED;
    pthread_cond_broadcast(&in->cv);
    pthread_mutex_unlock(&in->mu);
    return NULL;
}

/* Wait until the instance is parked: posted a request or finished. */
static void wait_parked(nl_inst *in)
{
    pthread_mutex_lock(&in->mu);
    while (in->state == INST_RUNNING || in->state == INST_ANSWERED) {
        pthread_cond_wait(&in->cv, &in->mu);
    }
    pthread_mutex_unlock(&in->mu);
}

static fcfit_status make_opt(nl_inst *in)
{
    const fcfit_stage *s = in->pool->s;
    const unsigned n = (unsigned)in->spec.n_free;
    nlopt_algorithm alg = nlopt_algorithm_from_string(s->algorithm);
    nlopt_result r = NLOPT_SUCCESS;

    FCFIT_REQUIRE((int)alg >= 0, FCFIT_ERR_NLOPT, "%s: NLopt does not know the algorithm %s",
                  s->name, s->algorithm);
    in->opt = nlopt_create(alg, n);
    FCFIT_REQUIRE(in->opt != NULL, FCFIT_ERR_NLOPT, "%s: nlopt_create(%s, %u) failed", s->name,
                  s->algorithm, n);
    r = nlopt_set_lower_bounds1(in->opt, 0.0);
    if (r > 0) {
        r = nlopt_set_upper_bounds1(in->opt, 1.0);
    }
    if (r > 0) {
        r = nlopt_set_min_objective(in->opt, inst_objective, in);
    }
    if (r > 0) {
        r = nlopt_set_maxeval(in->opt, (int)in->spec.maxeval);
    }
    if (r > 0 && s->xtol_rel > 0.0) {
        r = nlopt_set_xtol_rel(in->opt, s->xtol_rel);
    }
    if (r > 0 && s->ftol_rel > 0.0) {
        r = nlopt_set_ftol_rel(in->opt, s->ftol_rel);
    }
    if (r > 0 && s->has_stopval) {
        r = nlopt_set_stopval(in->opt, s->stopval);
    }
    if (r > 0 && strncmp(s->algorithm, "LN_", 3) == 0) {
        r = nlopt_set_initial_step1(in->opt, s->initial_step);
    }
    if (r > 0 && strcmp(s->algorithm, "G_MLSL_LDS") == 0) {
        nlopt_opt local = nlopt_create(nlopt_algorithm_from_string(s->local_algorithm), n);
        FCFIT_REQUIRE(local != NULL, FCFIT_ERR_NLOPT, "%s: nlopt_create(%s) failed", s->name,
                      s->local_algorithm);
        if (s->xtol_rel > 0.0) {
            nlopt_set_xtol_rel(local, s->xtol_rel);
        }
        if (s->ftol_rel > 0.0) {
            nlopt_set_ftol_rel(local, s->ftol_rel);
        }
        nlopt_set_initial_step1(local, s->initial_step);
        r = nlopt_set_local_optimizer(in->opt, local);
        nlopt_destroy(local);
    }
    FCFIT_REQUIRE(r > 0, FCFIT_ERR_NLOPT, "%s: NLopt rejected the %s settings: %s", s->name,
                  s->algorithm, nlopt_get_errmsg(in->opt) != NULL ? nlopt_get_errmsg(in->opt)
                                                                  : "invalid arguments");
    return FCFIT_OK;
}

static fcfit_status inst_init(nl_pool *p, nl_inst *in, const nl_spec *spec)
{
    const fcfit_stage *s = p->s;
    fcfit_status st = FCFIT_OK;
    in->pool = p;
    in->spec = *spec;
    in->best_row = -1;
    in->best_loss = NAN;
    in->result = NLOPT_SUCCESS;
    FCFIT_ALLOC_GOTO(in->free, spec->n_free, "optimizer dimensions");
    FCFIT_ALLOC_GOTO(in->x_fixed, s->n_dims, "optimizer point");
    FCFIT_ALLOC_GOTO(in->x, s->n_dims, "optimizer point");
    FCFIT_ALLOC_GOTO(in->best_x, s->n_dims, "optimizer best point");
    FCFIT_ALLOC_GOTO(in->u0, spec->n_free, "optimizer start");
    FCFIT_ALLOC_GOTO(in->params, s->n_params * s->n_regions, "optimizer parameters");
    memcpy(in->free, spec->free, spec->n_free * sizeof(size_t));
    memcpy(in->x_fixed, spec->x_fixed, s->n_dims * sizeof(double));
    in->spec.free = in->free;
    in->spec.x_fixed = in->x_fixed;
    for (size_t k = 0; k < spec->n_free; k++) {
        const fcfit_dim *d = &s->dims[spec->free[k]];
        double u = fcfit_dim_to_unit(d, in->x_fixed[spec->free[k]]);
        in->u0[k] = isfinite(u) ? (u < 0.0 ? 0.0 : u > 1.0 ? 1.0 : u) : 0.5;
    }
    FCFIT_TRY(make_opt(in));
    FCFIT_REQUIRE_GOTO(pthread_mutex_init(&in->mu, NULL) == 0 &&
                           pthread_cond_init(&in->cv, NULL) == 0,
                       FCFIT_ERR_INTERNAL, "cannot initialise an optimizer thread's lock");
    in->sync_ready = 1;
    in->state = INST_RUNNING;
    FCFIT_REQUIRE_GOTO(pthread_create(&in->thread, NULL, inst_main, in) == 0, FCFIT_ERR_INTERNAL,
                       "cannot start an optimizer thread");
    in->thread_started = 1;
    wait_parked(in);
cleanup:
    return st;
}

fcfit_status nl_pool_create(nl_pool **out, const fcfit_stage *s, const double *base, size_t n,
                            const nl_spec *specs, int common, double penalty)
{
    nl_pool *p = calloc(1, sizeof *p);
    fcfit_status st = FCFIT_OK;
    *out = NULL;
    FCFIT_REQUIRE(p != NULL, FCFIT_ERR_NOMEM, "cannot allocate the optimizer instances");
    p->s = s;
    p->base = base;
    p->common = common;
    p->penalty = penalty;
    p->n = n;
    FCFIT_ALLOC_GOTO(p->inst, n, "optimizer instances");
    for (size_t i = 0; i < n; i++) {
        FCFIT_TRY(inst_init(p, &p->inst[i], &specs[i]));
    }
    *out = p;
    return FCFIT_OK;

cleanup:
    nl_pool_destroy(&p);
    return st;
}

void nl_pool_destroy(nl_pool **pp)
{
    nl_pool *p;
    if (pp == NULL || *pp == NULL) {
        return;
    }
    p = *pp;
    for (size_t i = 0; p->inst != NULL && i < p->n; i++) {
        nl_inst *in = &p->inst[i];
        if (in->thread_started) {
            pthread_mutex_lock(&in->mu);
            in->stop = 1;
            pthread_cond_broadcast(&in->cv);
            pthread_mutex_unlock(&in->mu);
            pthread_join(in->thread, NULL);
        }
        if (in->sync_ready) {
            pthread_mutex_destroy(&in->mu);
            pthread_cond_destroy(&in->cv);
        }
        if (in->opt != NULL) {
            nlopt_destroy(in->opt);
        }
        free(in->free);
        free(in->x_fixed);
        free(in->x);
        free(in->best_x);
        free(in->u0);
        free(in->params);
    }
    free(p->inst);
    free(p);
    *pp = NULL;
}

int nl_pool_next(nl_pool *p, fcfit_request *req)
{
    for (size_t i = 0; i < p->n; i++) {
        nl_inst *in = &p->inst[i];
        int got = 0;
        pthread_mutex_lock(&in->mu);
        if (in->state == INST_POSTED && !in->emitted) {
            size_t row = in->spec.row0 + in->evals;
            in->emitted = 1;
            memset(req, 0, sizeof *req);
            req->row = row;
            req->x = in->x;
            req->params = in->params;
            req->seed_task = p->common ? in->spec.seed_task : p->s->task_base + row;
            req->instance = in->spec.instance;
            req->eval_index = (int64_t)in->evals;
            req->source_stage = -1;
            req->source_row = -1;
            got = 1;
        }
        pthread_mutex_unlock(&in->mu);
        if (got) {
            return 1;
        }
    }
    return 0;
}

fcfit_status nl_pool_tell(nl_pool *p, size_t row, double loss, int *owned)
{
    *owned = 0;
    for (size_t i = 0; i < p->n; i++) {
        nl_inst *in = &p->inst[i];
        int ok;
        if (row < in->spec.row0 || row >= in->spec.row0 + in->spec.maxeval) {
            continue;
        }
        *owned = 1;
        pthread_mutex_lock(&in->mu);
        ok = in->state == INST_POSTED && in->emitted && row == in->spec.row0 + in->evals;
        if (ok) {
            in->answer = loss;
            in->state = INST_ANSWERED;
            pthread_cond_broadcast(&in->cv);
        }
        pthread_mutex_unlock(&in->mu);
        FCFIT_REQUIRE(ok, FCFIT_ERR_INTERNAL,
                      "%s: an outcome for row %zu, which instance %zu did not ask for",
                      p->s->name, row, i);
        wait_parked(in);
        return FCFIT_OK;
    }
    return FCFIT_OK;
}

int nl_pool_done(const nl_pool *p)
{
    for (size_t i = 0; i < p->n; i++) {
        if (p->inst[i].state != INST_FINISHED) {
            return 0;
        }
    }
    return 1;
}

size_t nl_pool_count(const nl_pool *p) { return p->n; }

const double *nl_pool_best(const nl_pool *p, size_t i, double *loss, long *row)
{
    const nl_inst *in = &p->inst[i];
    *loss = in->best_loss;
    *row = in->best_row;
    return in->best_row >= 0 ? in->best_x : NULL;
}

void nl_pool_summary(const nl_pool *p, size_t i, fcfit_instance_summary *out)
{
    const nl_inst *in = &p->inst[i];
    out->code = (int)in->result;
    out->evaluations = in->evals;
    out->best_row = in->best_row;
    out->best_loss = in->best_loss;
}
