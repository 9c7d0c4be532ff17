/*
 * sim.c: the chunkwise simulation object (see fcfit_sim.h for the contract).
 *
 * Everything is allocated in fcfit_sim_create; reset and advance only write
 * into those buffers. The step loop calls each model kernel once per step
 * over all points (never per node), forms the delayed coupling sums from a
 * ring buffer of the model's coupling outputs, draws the noise lane by lane,
 * and feeds the BOLD integrator every steps_per_bold steps.
 *
 * Ring buffer: slot (n mod H) holds the coupling outputs of the state at step
 * n, H = max_delay + 1. When advancing from step n, a delay of D reads slot
 * (n - D) mod H, which is never the slot about to be overwritten (n + 1).
 */
#include "fcfit/fcfit_sim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "fcfit/fcfit_rng.h"

const char *const fcfit_integrator_names[] = {"euler", "heun", NULL};
const char *const fcfit_drive_mode_names[] = {"mean", "first", "last", NULL};
const char *const fcfit_bold_kind_names[] = {"balloon", "direct", NULL};

const char *fcfit_task_status_name(int s)
{
    static const char *const names[] = {"pending",       "ok",         "diverged",
                                        "out_of_domain", "degenerate", "failed"};
    if (s < 0 || s > (int)FCFIT_TASK_FAILED) {
        return "unknown";
    }
    return names[s];
}

struct fcfit_sim {
    const fcfit_model_type *model;
    const fcfit_connectome *conn;
    fcfit_sim_config cfg;
    size_t N, L, n; /* regions, lanes, points */
    size_t n_steps, steps_per_bold, bold_per_tr, first_kept_vol, n_vols, first_kept_bold_step;
    double dt; /* model time units */

    /* parameters and options */
    double *pvals;   /* [n_params][n] */
    double **pptr;   /* n_params pointers into pvals */
    size_t *opt;
    double *strength_nl; /* [node][lane] */
    void *priv;
    fcfit_model_ctx ctx;

    /* state and work */
    double *x, *x2, *f0, *f1; /* [n_state][n] */
    double *c;                /* [n_coupling][n] */
    double *val2;             /* squared CSR weights (models with coupling_power 2), or NULL */
    double *hist;             /* [H][n_coupling][n] */
    size_t H;
    double *gsd;              /* [n_noise][n]: g*sqrt(dt) */
    double *xi;               /* [n_noise][n] */
    gsl_rng **rng;            /* L streams */
    int noise_on;

    /* BOLD */
    double *bstate; /* 4*n */
    double *zbuf;   /* n: drive at one step */
    double *acc;    /* n: drive accumulated over the current BOLD interval */
    double *dsum;   /* n: sum of interval drives after the transient */
    double *dlast;  /* n: last interval drive */
    size_t n_dsum;
    double *ybuf;   /* n */
    double *bold;   /* [vol][node][lane] */
    size_t vols_done;

    /* progress */
    size_t step;
    size_t bold_steps;
    int *lane_status;
    const char **lane_reason;
    int *bind_fail;
    const char **bind_reason;
    int reset_done;
};

static size_t ratio_checked(double a, double b, int *ok)
{
    double r = a / b;
    double k = nearbyint(r);
    *ok = k >= 1.0 && fabs(r - k) <= 1e-9 * k;
    return *ok ? (size_t)k : 0;
}

void fcfit_sim_destroy(fcfit_sim **psim)
{
    fcfit_sim *s;
    if (psim == NULL || *psim == NULL) {
        return;
    }
    s = *psim;
    if (s->priv != NULL && s->model->free_priv != NULL) {
        s->model->free_priv(s->priv);
    }
    if (s->rng != NULL) {
        for (size_t l = 0; l < s->L; l++) {
            gsl_rng_free(s->rng[l]);
        }
    }
    free(s->rng);
    free(s->pvals);
    free(s->pptr);
    free(s->opt);
    free(s->strength_nl);
    free(s->x);
    free(s->x2);
    free(s->f0);
    free(s->f1);
    free(s->c);
    free(s->hist);
    free(s->val2);
    free(s->gsd);
    free(s->xi);
    free(s->bstate);
    free(s->zbuf);
    free(s->acc);
    free(s->dsum);
    free(s->dlast);
    free(s->ybuf);
    free(s->bold);
    free(s->lane_status);
    free(s->lane_reason);
    free(s->bind_fail);
    free(s->bind_reason);
    free(s);
    *psim = NULL;
}

fcfit_status fcfit_sim_create(fcfit_sim **out, const fcfit_model_type *model,
                              const fcfit_connectome *conn, const fcfit_sim_config *cfg,
                              size_t n_lanes)
{
    fcfit_status st = FCFIT_OK;
    fcfit_sim *s = NULL;
    const fcfit_model_type *m = model;
    int ok;
    size_t total_vols, n_state, tr_steps;

    *out = NULL;
    FCFIT_REQUIRE(model != NULL && conn != NULL && cfg != NULL, FCFIT_ERR_ARG,
                  "fcfit_sim_create: NULL argument");
    FCFIT_REQUIRE(n_lanes >= 1 && n_lanes <= 4096, FCFIT_ERR_ARG,
                  "number of lanes %zu; expected 1 to 4096", n_lanes);
    FCFIT_REQUIRE(isfinite(cfg->dt_ms) && cfg->dt_ms > 0.0, FCFIT_ERR_ARG,
                  "sim.dt_ms = %g; expected a positive step", cfg->dt_ms);
    FCFIT_REQUIRE(isfinite(cfg->duration_ms) && cfg->duration_ms > 0.0, FCFIT_ERR_ARG,
                  "sim.duration_s = %g; expected a positive duration", cfg->duration_ms / 1000.0);
    FCFIT_REQUIRE(isfinite(cfg->transient_ms) && cfg->transient_ms >= 0.0 &&
                      cfg->transient_ms < cfg->duration_ms,
                  FCFIT_ERR_ARG, "sim.transient_s = %g; expected 0 <= transient < duration (%g s)",
                  cfg->transient_ms / 1000.0, cfg->duration_ms / 1000.0);
    FCFIT_REQUIRE(conn->dt_ms == 0.0 || conn->delay == NULL || fabs(conn->dt_ms - cfg->dt_ms) <=
                                                                    1e-12 * cfg->dt_ms,
                  FCFIT_ERR_ARG, "connectome delays were computed for dt %g ms, simulation dt %g ms",
                  conn->dt_ms, cfg->dt_ms);

    s = calloc(1, sizeof *s);
    FCFIT_REQUIRE(s != NULL, FCFIT_ERR_NOMEM, "cannot allocate the simulation");
    s->model = model;
    s->conn = conn;
    s->cfg = *cfg;
    s->N = conn->n;
    s->L = n_lanes;
    s->n = s->N * s->L;
    s->dt = cfg->dt_ms / m->ms_per_unit;
    s->n_steps = (size_t)nearbyint(cfg->duration_ms / cfg->dt_ms);
    FCFIT_REQUIRE_GOTO(s->n_steps >= 1, FCFIT_ERR_ARG, "sim.duration_s shorter than one step");
    s->steps_per_bold = ratio_checked(cfg->bold_dt_ms, cfg->dt_ms, &ok);
    FCFIT_REQUIRE_GOTO(ok, FCFIT_ERR_ARG,
                       "bold.dt_ms = %g is not a positive integer multiple of sim.dt_ms = %g",
                       cfg->bold_dt_ms, cfg->dt_ms);
    s->bold_per_tr = ratio_checked(cfg->tr_ms, cfg->bold_dt_ms, &ok);
    FCFIT_REQUIRE_GOTO(ok, FCFIT_ERR_ARG,
                       "bold.tr_s = %g is not a positive integer multiple of bold.dt_ms = %g ms",
                       cfg->tr_ms / 1000.0, cfg->bold_dt_ms);
    tr_steps = s->steps_per_bold * s->bold_per_tr;
    total_vols = s->n_steps / tr_steps;
    /* Volume k (1-based) is at k*TR; kept when k*TR > transient. */
    s->first_kept_vol = (size_t)floor(cfg->transient_ms / cfg->tr_ms + 1e-9) + 1;
    s->n_vols = total_vols >= s->first_kept_vol ? total_vols - s->first_kept_vol + 1 : 0;
    FCFIT_REQUIRE_GOTO(s->n_vols >= 2, FCFIT_ERR_ARG,
                       "sim.duration_s = %g with sim.transient_s = %g and bold.tr_s = %g keeps %zu "
                       "BOLD volume(s); at least 2 are needed for FC",
                       cfg->duration_ms / 1000.0, cfg->transient_ms / 1000.0, cfg->tr_ms / 1000.0,
                       s->n_vols);
    s->first_kept_bold_step =
        (size_t)ceil(cfg->transient_ms / cfg->bold_dt_ms - 1e-9);
    FCFIT_REQUIRE_GOTO(isfinite(cfg->divergence_threshold) && cfg->divergence_threshold > 0.0,
                       FCFIT_ERR_ARG, "sim.divergence_threshold = %g; expected > 0",
                       cfg->divergence_threshold);
    if (s->cfg.chunk_steps == 0) {
        s->cfg.chunk_steps = s->n_steps;
    }

    n_state = m->n_state;
    s->H = conn->cdelay != NULL ? conn->max_delay + 1 : 1;
    if (m->n_coupling > 0 && m->history_ms > 0.0) {
        /* The model reads its own past (e.g. ALN's local delays). */
        const size_t hm = (size_t)ceil(m->history_ms / cfg->dt_ms - 1e-9) + 1;
        s->H = hm > s->H ? hm : s->H;
    }
    for (size_t o = 0; o < m->n_coupling && m->coupling_power != NULL; o++) {
        if (m->coupling_power[o] == 2 && s->val2 == NULL) {
            FCFIT_ALLOC_GOTO(s->val2, conn->nnz, "squared weights");
            for (size_t e = 0; e < conn->nnz; e++) {
                s->val2[e] = conn->val[e] * conn->val[e];
            }
        }
    }
    FCFIT_ALLOC_GOTO(s->pvals, m->n_params * s->n, "parameter arrays");
    FCFIT_ALLOC_GOTO(s->pptr, m->n_params, "parameter pointers");
    FCFIT_ALLOC_GOTO(s->opt, m->n_options, "model options");
    FCFIT_ALLOC_GOTO(s->strength_nl, s->n, "node strengths");
    FCFIT_ALLOC_GOTO(s->x, n_state * s->n, "state");
    FCFIT_ALLOC_GOTO(s->x2, n_state * s->n, "predictor state");
    FCFIT_ALLOC_GOTO(s->f0, n_state * s->n, "drift");
    FCFIT_ALLOC_GOTO(s->f1, n_state * s->n, "predictor drift");
    FCFIT_ALLOC_GOTO(s->c, m->n_coupling * s->n, "coupling input");
    FCFIT_ALLOC_GOTO(s->hist, s->H * m->n_coupling * s->n, "delay history");
    FCFIT_ALLOC_GOTO(s->gsd, m->n_noise * s->n, "noise amplitudes");
    FCFIT_ALLOC_GOTO(s->xi, m->n_noise * s->n, "noise variates");
    FCFIT_ALLOC_GOTO(s->rng, s->L, "noise streams");
    FCFIT_ALLOC_GOTO(s->bstate, 4 * s->n, "BOLD state");
    FCFIT_ALLOC_GOTO(s->zbuf, s->n, "BOLD drive");
    FCFIT_ALLOC_GOTO(s->acc, s->n, "BOLD drive accumulator");
    FCFIT_ALLOC_GOTO(s->dsum, s->n, "drive sums");
    FCFIT_ALLOC_GOTO(s->dlast, s->n, "last drive");
    FCFIT_ALLOC_GOTO(s->ybuf, s->n, "BOLD signal");
    FCFIT_ALLOC_GOTO(s->bold, s->n_vols * s->n, "BOLD samples");
    FCFIT_ALLOC_GOTO(s->lane_status, s->L, "lane status");
    FCFIT_ALLOC_GOTO(s->lane_reason, s->L, "lane reasons");
    FCFIT_ALLOC_GOTO(s->bind_fail, s->L, "bind status");
    FCFIT_ALLOC_GOTO(s->bind_reason, s->L, "bind reasons");
    for (size_t l = 0; l < s->L; l++) {
        s->rng[l] = fcfit_rng_alloc(0);
        FCFIT_REQUIRE_GOTO(s->rng[l] != NULL, FCFIT_ERR_NOMEM, "cannot allocate a noise stream");
    }
    for (size_t j = 0; j < m->n_params; j++) {
        s->pptr[j] = s->pvals + j * s->n;
        for (size_t k = 0; k < s->n; k++) {
            s->pptr[j][k] = m->params[j].def;
        }
    }
    for (size_t o = 0; o < m->n_options; o++) {
        s->opt[o] = m->options[o].def;
    }
    for (size_t i = 0; i < s->N; i++) {
        for (size_t l = 0; l < s->L; l++) {
            s->strength_nl[i * s->L + l] = conn->strength[i];
        }
    }
    s->ctx.n_nodes = s->N;
    s->ctx.n_lanes = s->L;
    s->ctx.n = s->n;
    s->ctx.p = (const double *const *)s->pptr;
    s->ctx.opt = s->opt;
    s->ctx.strength = s->strength_nl;
    s->ctx.priv = NULL;
    s->ctx.hist = s->hist;
    s->ctx.hist_len = s->H;
    s->ctx.hist_head = 0;
    s->ctx.n_coupling = m->n_coupling;
    *out = s;
    return FCFIT_OK;

cleanup:
    fcfit_sim_destroy(&s);
    return st;
}

size_t fcfit_sim_n_lanes(const fcfit_sim *sim) { return sim->L; }
size_t fcfit_sim_n_nodes(const fcfit_sim *sim) { return sim->N; }
size_t fcfit_sim_n_steps(const fcfit_sim *sim) { return sim->n_steps; }
size_t fcfit_sim_n_vols(const fcfit_sim *sim) { return sim->n_vols; }
double *fcfit_sim_param(fcfit_sim *sim, size_t j) { return sim->pptr[j]; }
const double *fcfit_sim_param_values(const fcfit_sim *sim, size_t j) { return sim->pptr[j]; }
size_t *fcfit_sim_options(fcfit_sim *sim) { return sim->opt; }
size_t fcfit_sim_steps_done(const fcfit_sim *sim) { return sim->step; }
size_t fcfit_sim_vols_done(const fcfit_sim *sim) { return sim->vols_done; }
const double *fcfit_sim_state(const fcfit_sim *sim) { return sim->x; }
size_t fcfit_sim_bold_steps_done(const fcfit_sim *sim) { return sim->bold_steps; }
const void *fcfit_sim_model_priv(const fcfit_sim *sim) { return sim->priv; }

static void coupling_outputs(fcfit_sim *s, const double *x, double *y)
{
    const fcfit_model_type *m = s->model;
    if (m->coupling_out != NULL) {
        m->coupling_out(&s->ctx, x, y);
    } else {
        for (size_t o = 0; o < m->n_coupling; o++) {
            memcpy(y + o * s->n, x + m->coupling_vars[o] * s->n, s->n * sizeof(double));
        }
    }
}

/* The drive of state x; c must hold the coupling input of that state's step. */
static void drive(const fcfit_sim *s, const double *x, double *z)
{
    if (s->model->bold_drive != NULL) {
        s->model->bold_drive(&s->ctx, x, s->c, z);
    } else {
        memcpy(z, x + s->model->bold_var * s->n, s->n * sizeof(double));
    }
}

/* Constant history equal to the current (initial) state (MODELS.md §1.2 REC). */
static void fill_history(fcfit_sim *s)
{
    const fcfit_model_type *m = s->model;
    if (m->n_coupling == 0) {
        return;
    }
    coupling_outputs(s, s->x, s->hist);
    for (size_t h = 1; h < s->H; h++) {
        memcpy(s->hist + h * m->n_coupling * s->n, s->hist, m->n_coupling * s->n * sizeof(double));
    }
}

fcfit_status fcfit_sim_reset(fcfit_sim *s, const uint64_t *seeds)
{
    const fcfit_model_type *m = s->model;
    fcfit_model_bind_args args;

    s->reset_done = 0;
    if (s->priv != NULL && m->free_priv != NULL) {
        m->free_priv(s->priv);
    }
    s->priv = NULL;
    s->ctx.priv = NULL;
    FCFIT_CHECK(fcfit_model_check_params(m, s->N, s->L, (const double *const *)s->pptr));
    for (size_t l = 0; l < s->L; l++) {
        s->bind_fail[l] = 0;
        s->bind_reason[l] = NULL;
        s->lane_status[l] = FCFIT_TASK_OK;
        s->lane_reason[l] = NULL;
    }
    if (m->bind != NULL) {
        args.n_nodes = s->N;
        args.n_lanes = s->L;
        args.n = s->n;
        args.p = s->pptr;
        args.opt = s->opt;
        args.weights = s->conn->weights;
        args.strength = s->conn->strength;
        args.dt_ms = s->cfg.dt_ms;
        args.integrator = (int)s->cfg.integrator;
        args.data = m->data;
        args.lane_fail = s->bind_fail;
        args.lane_reason = s->bind_reason;
        FCFIT_CHECK(m->bind(&args, &s->priv));
        s->ctx.priv = s->priv;
    }
    for (size_t l = 0; l < s->L; l++) {
        if (s->bind_fail[l]) {
            s->lane_status[l] = FCFIT_TASK_OUT_OF_DOMAIN;
            s->lane_reason[l] = s->bind_reason[l] != NULL ? s->bind_reason[l]
                                                           : "model parameters out of domain";
        }
        gsl_rng_set(s->rng[l], (unsigned long int)seeds[l]);
    }

    /* Noise amplitudes are fixed for the whole run. */
    s->noise_on = s->cfg.noise && m->n_noise > 0;
    if (s->noise_on) {
        double sq = sqrt(s->dt);
        m->noise(&s->ctx, s->gsd);
        for (size_t k = 0; k < m->n_noise * s->n; k++) {
            s->gsd[k] *= sq;
        }
    }

    m->init(&s->ctx, s->x, s->rng);
    if (m->clamp != NULL) {
        m->clamp(&s->ctx, s->x);
    }
    fill_history(s);
    fcfit_bold_reset(s->n, s->cfg.bold_form, s->bstate);
    memset(s->acc, 0, s->n * sizeof(double));
    memset(s->dsum, 0, s->n * sizeof(double));
    memset(s->dlast, 0, s->n * sizeof(double));
    s->n_dsum = 0;
    s->vols_done = 0;
    s->step = 0;
    s->bold_steps = 0;
    s->reset_done = 1;
    return FCFIT_OK;
}

/*
 * Raw coupling sums c[o][i][l] = sum_e val[e] * y_o[col[e]](n - delay[e]).
 * The columns of a row are visited in ascending order for every lane, so a
 * lane's sum does not depend on how many lanes run beside it.
 */
static void coupling_sums(fcfit_sim *s)
{
    const fcfit_connectome *cn = s->conn;
    const size_t L = s->L, n = s->n, nc = s->model->n_coupling;
    const size_t head = s->step % s->H;

    s->ctx.hist_head = head;
    for (size_t o = 0; o < nc; o++) {
        double *restrict co = s->c + o * n;
        const unsigned power = s->model->coupling_power != NULL ? s->model->coupling_power[o] : 1u;
        const double *restrict wv = power == 2 ? s->val2 : cn->val;
        if (power == 0) {
            continue;
        }
        for (size_t i = 0; i < s->N; i++) {
            double *restrict ci = co + i * L;
            for (size_t l = 0; l < L; l++) {
                ci[l] = 0.0;
            }
            for (size_t e = cn->row_ptr[i]; e < cn->row_ptr[i + 1]; e++) {
                size_t slot = head;
                if (cn->cdelay != NULL) {
                    slot = (head + s->H - cn->cdelay[e]) % s->H;
                }
                const double w = wv[e];
                const double *restrict src = s->hist + (slot * nc + o) * n + cn->col[e] * L;
                for (size_t l = 0; l < L; l++) {
                    ci[l] += w * src[l];
                }
            }
        }
    }
}

static void draw_noise(fcfit_sim *s)
{
    const size_t L = s->L, N = s->N, nn = s->model->n_noise;
    for (size_t l = 0; l < L; l++) {
        for (size_t m = 0; m < nn; m++) {
            fcfit_rng_gaussian_fill(s->rng[l], s->xi + m * s->n + l, N, L);
        }
    }
}

static void add_noise(fcfit_sim *s, double *x)
{
    const fcfit_model_type *m = s->model;
    for (size_t q = 0; q < m->n_noise; q++) {
        double *restrict xv = x + m->noise_vars[q] * s->n;
        const double *restrict g = s->gsd + q * s->n;
        const double *restrict xi = s->xi + q * s->n;
        for (size_t k = 0; k < s->n; k++) {
            xv[k] += g[k] * xi[k];
        }
    }
}

/* One neural step n -> n+1 of every lane; the coupling sums of step n are already in s->c. */
static void neural_step(fcfit_sim *s)
{
    const fcfit_model_type *m = s->model;
    const size_t ns = m->n_state * s->n;
    const double dt = s->dt;

    if (s->noise_on) {
        draw_noise(s);
    }
    m->drift(&s->ctx, s->x, s->c, s->f0);
    if (s->cfg.integrator == FCFIT_INTEGRATOR_EULER) {
        for (size_t k = 0; k < ns; k++) {
            s->x[k] = s->x[k] + dt * s->f0[k];
        }
        if (s->noise_on) {
            add_noise(s, s->x);
        }
        if (m->clamp != NULL) {
            m->clamp(&s->ctx, s->x);
        }
    } else {
        for (size_t k = 0; k < ns; k++) {
            s->x2[k] = s->x[k] + dt * s->f0[k];
        }
        if (s->noise_on) {
            add_noise(s, s->x2);
        }
        if (m->clamp != NULL) {
            m->clamp(&s->ctx, s->x2);
        }
        m->drift(&s->ctx, s->x2, s->c, s->f1);
        for (size_t k = 0; k < ns; k++) {
            s->x[k] = s->x[k] + 0.5 * dt * (s->f0[k] + s->f1[k]);
        }
        if (s->noise_on) {
            add_noise(s, s->x);
        }
        if (m->clamp != NULL) {
            m->clamp(&s->ctx, s->x);
        }
    }
    s->step++;
    if (m->n_coupling > 0) {
        coupling_outputs(s, s->x, s->hist + (s->step % s->H) * m->n_coupling * s->n);
    }
}

static void bold_interval_end(fcfit_sim *s)
{
    const size_t n = s->n;
    const size_t spb = s->steps_per_bold;
    const size_t m_idx = s->bold_steps; /* index of the BOLD step just completed */

    if (s->cfg.drive_mode == FCFIT_DRIVE_MEAN) {
        for (size_t k = 0; k < n; k++) {
            s->dlast[k] = s->acc[k] / (double)spb;
        }
    } else {
        memcpy(s->dlast, s->acc, n * sizeof(double));
    }
    if (m_idx >= s->first_kept_bold_step) {
        for (size_t k = 0; k < n; k++) {
            s->dsum[k] += s->dlast[k];
        }
        s->n_dsum++;
    }
    if (s->cfg.bold_kind == FCFIT_BOLD_KIND_BALLOON) {
        fcfit_bold_step(&s->cfg.bold, s->cfg.bold_form, n, s->bstate, s->dlast,
                        s->cfg.bold_dt_ms / 1000.0);
    }
    memset(s->acc, 0, n * sizeof(double));
    s->bold_steps++;
    if (s->bold_steps % s->bold_per_tr == 0) {
        size_t vol = s->bold_steps / s->bold_per_tr; /* 1-based volume number */
        if (vol >= s->first_kept_vol && s->vols_done < s->n_vols) {
            double *dst = s->bold + s->vols_done * n;
            if (s->cfg.bold_kind == FCFIT_BOLD_KIND_BALLOON) {
                fcfit_bold_signal(&s->cfg.bold, s->cfg.bold_form, n, s->bstate, dst);
            } else {
                /* The drive of the state at t = k TR (the next step recomputes these sums). */
                if (s->model->n_coupling > 0) {
                    coupling_sums(s);
                }
                drive(s, s->x, dst);
            }
            s->vols_done++;
        }
    }
}

static void check_lanes(fcfit_sim *s)
{
    const fcfit_model_type *m = s->model;
    const size_t L = s->L, N = s->N;
    const double thr = s->cfg.divergence_threshold;

    for (size_t l = 0; l < L; l++) {
        if (s->lane_status[l] != FCFIT_TASK_OK) {
            continue;
        }
        for (size_t v = 0; v < m->n_state && s->lane_status[l] == FCFIT_TASK_OK; v++) {
            for (size_t i = 0; i < N; i++) {
                double a = s->x[v * s->n + i * L + l];
                if (!(fabs(a) <= thr)) {
                    s->lane_status[l] = FCFIT_TASK_DIVERGED;
                    s->lane_reason[l] = isfinite(a) ? "state exceeded the divergence threshold"
                                                    : "state became NaN or infinite";
                    break;
                }
            }
        }
        for (size_t v = 0; v < 4 && s->lane_status[l] == FCFIT_TASK_OK; v++) {
            for (size_t i = 0; i < N; i++) {
                if (!isfinite(s->bstate[v * s->n + i * L + l])) {
                    s->lane_status[l] = FCFIT_TASK_DIVERGED;
                    s->lane_reason[l] = "BOLD (Balloon-Windkessel) state became NaN or infinite";
                    break;
                }
            }
        }
        if (s->lane_status[l] == FCFIT_TASK_OK && m->check != NULL) {
            const char *why = NULL;
            if (m->check(&s->ctx, s->x, l, &why) != 0) {
                s->lane_status[l] = FCFIT_TASK_OUT_OF_DOMAIN;
                s->lane_reason[l] = why != NULL ? why : "state left the model's domain";
            }
        }
    }
}

fcfit_status fcfit_sim_advance(fcfit_sim *s, size_t n_steps)
{
    const fcfit_drive_mode mode = s->cfg.drive_mode;
    const size_t spb = s->steps_per_bold;
    size_t todo;

    FCFIT_REQUIRE(s->reset_done, FCFIT_ERR_INTERNAL, "fcfit_sim_advance before fcfit_sim_reset");
    todo = s->n_steps - s->step;
    if (n_steps < todo) {
        todo = n_steps;
    }
    for (size_t t = 0; t < todo; t++) {
        size_t sub = s->step % spb;
        if (s->model->n_coupling > 0) {
            coupling_sums(s);
        }
        /* Drive at the start of this neural step (left point of its interval). */
        if (mode == FCFIT_DRIVE_MEAN) {
            drive(s, s->x, s->zbuf);
            for (size_t k = 0; k < s->n; k++) {
                s->acc[k] += s->zbuf[k];
            }
        } else if ((mode == FCFIT_DRIVE_FIRST && sub == 0) ||
                   (mode == FCFIT_DRIVE_LAST && sub == spb - 1)) {
            drive(s, s->x, s->acc);
        }
        neural_step(s);
        if (s->step % spb == 0) {
            bold_interval_end(s);
        }
    }
    check_lanes(s);
    return FCFIT_OK;
}

fcfit_status fcfit_sim_run(fcfit_sim *s)
{
    while (!fcfit_sim_done(s)) {
        FCFIT_CHECK(fcfit_sim_advance(s, s->cfg.chunk_steps));
    }
    return FCFIT_OK;
}

int fcfit_sim_done(const fcfit_sim *s)
{
    if (s->step >= s->n_steps) {
        return 1;
    }
    for (size_t l = 0; l < s->L; l++) {
        if (s->lane_status[l] == FCFIT_TASK_OK) {
            return 0;
        }
    }
    return 1;
}

fcfit_task_status fcfit_sim_lane_status(const fcfit_sim *s, size_t lane, const char **reason)
{
    if (reason != NULL) {
        *reason = s->lane_reason[lane];
    }
    return (fcfit_task_status)s->lane_status[lane];
}

void fcfit_sim_get_bold(const fcfit_sim *s, size_t lane, double *out)
{
    for (size_t i = 0; i < s->N; i++) {
        for (size_t t = 0; t < s->n_vols; t++) {
            out[i * s->n_vols + t] =
                t < s->vols_done ? s->bold[t * s->n + i * s->L + lane] : NAN;
        }
    }
}

double fcfit_sim_vol_time_s(const fcfit_sim *s, size_t t)
{
    return (double)(s->first_kept_vol + t) * s->cfg.tr_ms / 1000.0;
}

void fcfit_sim_get_drive_mean(const fcfit_sim *s, size_t lane, double *out)
{
    for (size_t i = 0; i < s->N; i++) {
        out[i] = s->n_dsum > 0 ? s->dsum[i * s->L + lane] / (double)s->n_dsum : NAN;
    }
}

void fcfit_sim_get_drive_last(const fcfit_sim *s, size_t lane, double *out)
{
    for (size_t i = 0; i < s->N; i++) {
        out[i] = s->dlast[i * s->L + lane];
    }
}

fcfit_status fcfit_sim_set_state(fcfit_sim *s, const double *x)
{
    const fcfit_model_type *m = s->model;
    FCFIT_REQUIRE(s->reset_done && s->step == 0, FCFIT_ERR_ARG,
                  "fcfit_sim_set_state: only allowed right after fcfit_sim_reset");
    memcpy(s->x, x, m->n_state * s->n * sizeof(double));
    if (m->clamp != NULL) {
        m->clamp(&s->ctx, s->x);
    }
    fill_history(s);
    return FCFIT_OK;
}

void fcfit_sim_bold_now(fcfit_sim *s, double *y)
{
    if (s->cfg.bold_kind == FCFIT_BOLD_KIND_BALLOON) {
        fcfit_bold_signal(&s->cfg.bold, s->cfg.bold_form, s->n, s->bstate, y);
    } else {
        if (s->model->n_coupling > 0) {
            coupling_sums(s);
        }
        drive(s, s->x, y);
    }
}

fcfit_status fcfit_sim_tune(fcfit_sim *s, const uint64_t *seeds, fcfit_tune_report *report)
{
    const fcfit_model_type *m = s->model;
    const fcfit_model_tuning *tu = m->tuning;
    const size_t L = s->L, N = s->N;
    const size_t save_steps = s->n_steps, save_first = s->first_kept_bold_step;
    uint64_t *ks = NULL;
    int *done = NULL;
    double *dm = NULL;
    double dur_ms;
    size_t max_iter = 0;
    fcfit_status st = FCFIT_OK;

    for (size_t l = 0; l < L; l++) {
        memset(&report[l], 0, sizeof report[l]);
    }
    if (tu == NULL || s->opt[tu->option] != tu->choice) {
        return FCFIT_OK;
    }
    dur_ms = s->pptr[tu->duration_param][0];
    for (size_t k = 0; k < s->n; k++) {
        FCFIT_REQUIRE(s->pptr[tu->duration_param][k] == dur_ms, FCFIT_ERR_ARG,
                      "model.%s.%s must be the same for every region and every task of a batch",
                      m->name, m->params[tu->duration_param].name);
    }
    FCFIT_ALLOC_GOTO(ks, L, "tuning seeds");
    FCFIT_ALLOC_GOTO(done, L, "tuning flags");
    FCFIT_ALLOC_GOTO(dm, N, "tuning drive means");
    if (tu->init_choice != tu->choice) {
        /* Bind once with the initialising variant, which writes the starting values. */
        s->opt[tu->option] = tu->init_choice;
        st = fcfit_sim_reset(s, seeds);
        s->opt[tu->option] = tu->choice;
        FCFIT_TRY(st);
        for (size_t l = 0; l < L; l++) {
            if (s->lane_status[l] != FCFIT_TASK_OK) {
                report[l].failed = 1;
                report[l].reason = s->lane_reason[l];
                done[l] = 1;
            }
        }
    }
    for (size_t l = 0; l < L; l++) {
        size_t it = (size_t)s->pptr[tu->max_iter_param][l];
        report[l].active = 1;
        max_iter = it > max_iter ? it : max_iter;
    }
    /* A settling period and a measuring period of dur_ms each. */
    s->n_steps = 2 * (size_t)fmax(1.0, nearbyint(dur_ms / s->cfg.dt_ms));
    s->first_kept_bold_step = (size_t)nearbyint(dur_ms / s->cfg.bold_dt_ms);
    for (size_t k = 0; k < max_iter; k++) {
        int any = 0;
        for (size_t l = 0; l < L; l++) {
            ks[l] = fcfit_rng_derive(seeds[l], 0x74756e65ULL, k);
            any |= !done[l];
        }
        if (!any) {
            break;
        }
        FCFIT_TRY(fcfit_sim_reset(s, ks));
        FCFIT_TRY(fcfit_sim_run(s));
        for (size_t l = 0; l < L; l++) {
            double target, tol, emax = 0.0;
            size_t lim = (size_t)s->pptr[tu->max_iter_param][l];
            if (done[l]) {
                continue;
            }
            report[l].iterations = k + 1;
            if (s->lane_status[l] != FCFIT_TASK_OK) {
                done[l] = 1;
                report[l].max_error = NAN;
                report[l].failed = 1;
                report[l].reason = "a tuning run diverged or left the model's domain";
                continue;
            }
            fcfit_sim_get_drive_mean(s, l, dm);
            for (size_t i = 0; i < N; i++) {
                target = s->pptr[tu->target_param][i * L + l];
                emax = fmax(emax, fabs(dm[i] - target));
            }
            report[l].max_error = emax;
            tol = s->pptr[tu->tol_param][l];
            if (emax <= tol) {
                report[l].converged = 1;
                done[l] = 1;
                continue;
            }
            if (k + 1 >= lim) {
                done[l] = 1;
                continue;
            }
            for (size_t i = 0; i < N; i++) {
                double *p = &s->pptr[tu->param][i * L + l];
                const fcfit_model_param *pd = &m->params[tu->param];
                target = s->pptr[tu->target_param][i * L + l];
                *p += tu->gain * (dm[i] - target);
                *p = fmin(fmax(*p, pd->lo), pd->hi);
            }
        }
    }

cleanup:
    s->n_steps = save_steps;
    s->first_kept_bold_step = save_first;
    s->reset_done = 0;
    free(ks);
    free(done);
    free(dm);
    return st;
}
