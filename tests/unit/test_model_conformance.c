/*
 * test_model_conformance.c: the checks every registered model must pass
 * (the SUNDIALS test_nvector idea). The test walks
 * fcfit_model_count() / fcfit_model_at(i), so a new model is tested as soon
 * as it is in the registry, without new test code:
 *
 *   - the descriptor is complete (names, units, help, bounds, indices,
 *     kernels) and its documentation page exists under the project root;
 *   - a value just outside either bound of any parameter, in one region,
 *     makes fcfit_sim_reset fail with FCFIT_ERR_ARG naming model.<m>.<param>;
 *   - the initial state is deterministic for a seed, and differs between
 *     seeds exactly when the model draws it from the random stream;
 *   - the drift, noise amplitudes, coupling outputs and BOLD drive are finite
 *     at the defaults, at the initial state of a 16-region synthetic
 *     connectome;
 *   - chunk invariance: one advance call and chunks of 1, 7 and 1000 steps
 *     give bitwise the same BOLD, drive means and final state (noise and
 *     delays on);
 *   - batch invariance: lane 1 of a 3-lane run whose other lanes have other
 *     seeds and another value of a regional parameter equals a 1-lane run;
 *   - after a run at the defaults, every lane is ok and the BOLD and its
 *     drive are finite.
 *
 * Each model runs at its own default_dt_ms and default_integrator.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "fcfit/fcfit_connectome.h"
#include "fcfit/fcfit_model.h"
#include "fcfit/fcfit_rng.h"
#include "fcfit/fcfit_sim.h"
#include "fcfit_test.h"

#ifndef FCFIT_SOURCE_DIR
#error "FCFIT_SOURCE_DIR must be defined by the build (tests/unit/models.cmake)"
#endif

/* A check with a formatted description (the model and parameter names in the output). */
#define EXPECT(cond, ...) fcfit_test_report((cond) ? 1 : 0, __FILE__, __LINE__, __VA_ARGS__)

enum { N_REGIONS = 16 };
static const uint64_t CONN_SEED = 7;

static int nonempty(const char *s) { return s != NULL && s[0] != '\0'; }

static size_t n_choices(const fcfit_model_option *o)
{
    size_t c = 0;
    if (o->choices == NULL) {
        return 0;
    }
    while (o->choices[c] != NULL) {
        c++;
    }
    return c;
}

static int all_finite(const double *a, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        if (!isfinite(a[k])) {
            return 0;
        }
    }
    return 1;
}

/* ---- descriptor ---- */

/* Returns nonzero when the descriptor is sound enough to run the dynamic checks safely. */
static int check_descriptor(const fcfit_model_type *m)
{
    const char *nm = m->name != NULL ? m->name : "(null)";
    int safe = 1;

    EXPECT(nonempty(m->name), "model name non-empty");
    EXPECT(nonempty(m->long_name), "%s: long_name non-empty", nm);
    EXPECT(nonempty(m->citation), "%s: citation non-empty", nm);
    EXPECT(nonempty(m->doc), "%s: doc non-empty", nm);
    EXPECT(isfinite(m->ms_per_unit) && m->ms_per_unit > 0.0, "%s: ms_per_unit = %g > 0", nm,
           m->ms_per_unit);
    EXPECT(isfinite(m->default_dt_ms) && m->default_dt_ms > 0.0, "%s: default_dt_ms = %g > 0", nm,
           m->default_dt_ms);
    EXPECT(m->default_integrator == FCFIT_INTEGRATOR_EULER ||
               m->default_integrator == FCFIT_INTEGRATOR_HEUN,
           "%s: default_integrator = %d is a known integrator", nm, m->default_integrator);
    safe &= isfinite(m->default_dt_ms) && m->default_dt_ms > 0.0 && isfinite(m->ms_per_unit) &&
            m->ms_per_unit > 0.0;

    /* State variables. */
    EXPECT(m->n_state >= 1, "%s: n_state = %zu >= 1", nm, m->n_state);
    EXPECT(m->state_names != NULL && m->state_units != NULL, "%s: state names and units given",
           nm);
    safe &= m->n_state >= 1 && m->state_names != NULL && m->state_units != NULL;
    if (m->state_names != NULL && m->state_units != NULL) {
        for (size_t v = 0; v < m->n_state; v++) {
            EXPECT(nonempty(m->state_names[v]) && m->state_units[v] != NULL &&
                       m->state_units[v][0] != '\0',
                   "%s: state %zu (%s) has a name and a unit", nm, v,
                   m->state_names[v] != NULL ? m->state_names[v] : "(null)");
        }
    }

    /* Parameters: documented, finite bounds, default inside, unique names. */
    EXPECT(m->n_params == 0 || m->params != NULL, "%s: params array given (%zu)", nm, m->n_params);
    safe &= m->n_params == 0 || m->params != NULL;
    for (size_t j = 0; m->params != NULL && j < m->n_params; j++) {
        const fcfit_model_param *pd = &m->params[j];
        const char *pn = pd->name != NULL ? pd->name : "(null)";
        EXPECT(nonempty(pd->name) && nonempty(pd->unit) && nonempty(pd->help),
               "%s.%s: name, unit and help non-empty", nm, pn);
        EXPECT(isfinite(pd->lo) && isfinite(pd->def) && isfinite(pd->hi),
               "%s.%s: bounds and default finite (lo %g, def %g, hi %g)", nm, pn, pd->lo, pd->def,
               pd->hi);
        EXPECT(pd->lo <= pd->def && pd->def <= pd->hi, "%s.%s: lo %g <= def %g <= hi %g", nm, pn,
               pd->lo, pd->def, pd->hi);
        EXPECT((pd->flags & ~(unsigned)(FCFIT_PARAM_REGIONAL | FCFIT_PARAM_NOISE |
                                        FCFIT_PARAM_DERIVED)) == 0u,
               "%s.%s: flags 0x%x are known FCFIT_PARAM_* bits", nm, pn, pd->flags);
        int unique = 1;
        for (size_t q = 0; q < j && pd->name != NULL; q++) {
            if (m->params[q].name != NULL && strcmp(m->params[q].name, pd->name) == 0) {
                unique = 0;
            }
        }
        EXPECT(unique, "%s.%s: parameter name unique", nm, pn);
        EXPECT(pd->name == NULL || fcfit_model_param_index(m, pd->name) == j,
               "%s.%s: fcfit_model_param_index finds it at %zu", nm, pn, j);
    }

    /* Options: documented, at least one choice, default in range, no clash with parameters. */
    EXPECT(m->n_options == 0 || m->options != NULL, "%s: options array given (%zu)", nm,
           m->n_options);
    safe &= m->n_options == 0 || m->options != NULL;
    for (size_t o = 0; m->options != NULL && o < m->n_options; o++) {
        const fcfit_model_option *od = &m->options[o];
        const char *on = od->name != NULL ? od->name : "(null)";
        const size_t nc = n_choices(od);
        EXPECT(nonempty(od->name) && nonempty(od->help), "%s.%s: option name and help non-empty",
               nm, on);
        EXPECT(nc >= 1 && od->def < nc, "%s.%s: default choice %zu of %zu choices", nm, on, od->def,
               nc);
        safe &= nc >= 1 && od->def < nc;
        EXPECT(od->name == NULL || fcfit_model_param_index(m, od->name) == (size_t)-1,
               "%s.%s: option name differs from every parameter name", nm, on);
        for (size_t c = 0; c < nc; c++) {
            EXPECT(nonempty(od->choices[c]), "%s.%s: choice %zu non-empty", nm, on, c);
        }
    }

    /* Coupling, noise and BOLD indices. */
    if (m->n_coupling > 0) {
        EXPECT(nonempty(m->coupling_desc), "%s: coupling_desc non-empty", nm);
        EXPECT(m->coupling_out != NULL || m->coupling_vars != NULL,
               "%s: coupling_vars given (coupling_out is NULL)", nm);
        safe &= m->coupling_out != NULL || m->coupling_vars != NULL;
        for (size_t o = 0; m->coupling_vars != NULL && o < m->n_coupling; o++) {
            EXPECT(m->coupling_vars[o] < m->n_state, "%s: coupling_vars[%zu] = %zu < n_state %zu",
                   nm, o, m->coupling_vars[o], m->n_state);
            safe &= m->coupling_vars[o] < m->n_state;
        }
    }
    if (m->n_noise > 0) {
        EXPECT(m->noise_vars != NULL && m->noise != NULL, "%s: noise_vars and noise kernel given",
               nm);
        safe &= m->noise_vars != NULL && m->noise != NULL;
        for (size_t q = 0; m->noise_vars != NULL && q < m->n_noise; q++) {
            EXPECT(m->noise_vars[q] < m->n_state, "%s: noise_vars[%zu] = %zu < n_state %zu", nm, q,
                   m->noise_vars[q], m->n_state);
            safe &= m->noise_vars[q] < m->n_state;
        }
    }
    EXPECT(m->bold_var < m->n_state, "%s: bold_var = %zu < n_state %zu", nm, m->bold_var,
           m->n_state);
    EXPECT(nonempty(m->bold_desc), "%s: bold_desc non-empty", nm);
    safe &= m->bold_var < m->n_state;

    /* Kernels. */
    EXPECT(m->init != NULL && m->drift != NULL, "%s: init and drift kernels given", nm);
    safe &= m->init != NULL && m->drift != NULL;

    /* Homeostatic tuning, when declared, refers to existing options and parameters. */
    if (m->tuning != NULL) {
        const fcfit_model_tuning *t = m->tuning;
        const int opt_ok = t->option < m->n_options && m->options != NULL;
        const size_t nc = opt_ok ? n_choices(&m->options[t->option]) : 0;
        EXPECT(opt_ok && t->choice < nc && t->init_choice < nc,
               "%s: tuning option %zu, choice %zu, init_choice %zu exist", nm, t->option,
               t->choice, t->init_choice);
        EXPECT(t->param < m->n_params && t->target_param < m->n_params &&
                   t->tol_param < m->n_params && t->max_iter_param < m->n_params &&
                   t->duration_param < m->n_params,
               "%s: tuning parameter indices < n_params %zu", nm, m->n_params);
        EXPECT(t->param < m->n_params && (m->params[t->param].flags & FCFIT_PARAM_REGIONAL) != 0,
               "%s: tuned parameter is regional", nm);
        EXPECT(isfinite(t->gain) && t->gain != 0.0, "%s: tuning gain %g finite and non-zero", nm,
               t->gain);
    }

    /* The registry finds the model under its name. */
    const fcfit_model_type *found = NULL;
    EXPECT(m->name != NULL && fcfit_model_find(m->name, &found) == FCFIT_OK && found == m,
           "%s: fcfit_model_find returns this descriptor", nm);
    fcfit_error_clear();

    /* The documentation page exists under the project root. */
    if (nonempty(m->doc)) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", FCFIT_SOURCE_DIR, m->doc);
        FILE *f = fopen(path, "r");
        long size = -1;
        if (f != NULL) {
            fseek(f, 0, SEEK_END);
            size = ftell(f);
            fclose(f);
        }
        EXPECT(f != NULL && size > 0, "%s: documentation %s exists and is not empty", nm, path);
    }
    return safe;
}

/* ---- fixtures ---- */

/*
 * The 16-region synthetic connectome (max-normalised weights, tract lengths)
 * with delays for the step dt_ms at 5 mm/ms. A model whose step is so long
 * that every delay would round to zero (a BOLD-level model with dt ~ 100 ms)
 * gets a slower velocity, so that the longest delay is 10 steps and the ring
 * buffer is still exercised. *velocity receives the velocity used.
 */
static fcfit_connectome *synthetic_conn(double dt_ms, double *velocity)
{
    fcfit_matrix W = {0}, Len = {0};
    fcfit_connectome *c = NULL;
    fcfit_connectome_opts o = {FCFIT_NORM_MAX, 1.0, 0, 5.0, dt_ms, 0};
    if (fcfit_connectome_synthetic(N_REGIONS, CONN_SEED, &W, &Len) == FCFIT_OK) {
        double max_len = 0.0;
        for (size_t k = 0; k < Len.rows * Len.cols; k++) {
            max_len = Len.data[k] > max_len ? Len.data[k] : max_len;
        }
        if (max_len / (o.velocity_mm_per_ms * dt_ms) < 4.0) {
            o.velocity_mm_per_ms = max_len / (10.0 * dt_ms);
        }
        if (fcfit_connectome_create(&c, &W, "synthetic weights", &Len, "synthetic lengths", &o) !=
            FCFIT_OK) {
            c = NULL;
        }
    }
    if (c == NULL) {
        printf("     connectome: %s\n", fcfit_error_message());
        fcfit_error_clear();
    }
    *velocity = o.velocity_mm_per_ms;
    fcfit_matrix_free(&W);
    fcfit_matrix_free(&Len);
    return c;
}

/*
 * The run configuration: the model's dt and integrator, noise on, BOLD steps
 * of about 1 ms, TR 100 ms (the next multiple of the BOLD step if 100 ms is
 * not one), 2 s of simulated time of which the first 2 TR are transient.
 */
static fcfit_sim_config run_cfg(const fcfit_model_type *m)
{
    fcfit_sim_config c;
    const double dt = m->default_dt_ms;
    memset(&c, 0, sizeof c);
    c.dt_ms = dt;
    c.integrator = (fcfit_integrator)m->default_integrator;
    c.noise = 1;
    c.bold_dt_ms = dt < 1.0 ? dt * nearbyint(1.0 / dt) : dt;
    double per_tr = nearbyint(100.0 / c.bold_dt_ms);
    if (per_tr < 1.0 || fabs(per_tr * c.bold_dt_ms - 100.0) > 1e-9 * 100.0) {
        per_tr = ceil(100.0 / c.bold_dt_ms);
    }
    c.tr_ms = per_tr * c.bold_dt_ms;
    c.duration_ms = c.tr_ms * floor(2000.0 / c.tr_ms);
    if (c.duration_ms < 8.0 * c.tr_ms) {
        c.duration_ms = 8.0 * c.tr_ms;
    }
    c.transient_ms = 2.0 * c.tr_ms;
    c.chunk_steps = 0;
    c.drive_mode = FCFIT_DRIVE_MEAN;
    c.bold_kind = FCFIT_BOLD_KIND_BALLOON;
    c.bold_form = FCFIT_BOLD_LOG;
    fcfit_bold_preset(0, &c.bold);
    c.divergence_threshold = 1e12;
    return c;
}

/* A hand-built kernel context at the defaults (bound when the model has bind). */
typedef struct kctx {
    const fcfit_model_type *m;
    size_t N, L, n;
    double *pv, **pp, *strength;
    size_t *opt;
    int *lane_fail;
    const char **lane_reason;
    void *priv;
    double *hist; /* constant history of the coupling outputs, as the framework fills it */
    fcfit_model_ctx ctx;
} kctx;

static void kctx_free(kctx *k)
{
    if (k->priv != NULL && k->m->free_priv != NULL) {
        k->m->free_priv(k->priv);
    }
    free(k->pv);
    free(k->pp);
    free(k->strength);
    free(k->opt);
    free(k->lane_fail);
    free((void *)k->lane_reason);
    free(k->hist);
    memset(k, 0, sizeof *k);
}

static int kctx_make(kctx *k, const fcfit_model_type *m, const fcfit_connectome *cn, size_t L,
                     double dt_ms)
{
    memset(k, 0, sizeof *k);
    k->m = m;
    k->N = cn->n;
    k->L = L;
    k->n = cn->n * L;
    k->pv = calloc(m->n_params * k->n + 1, sizeof(double));
    k->pp = calloc(m->n_params + 1, sizeof(double *));
    k->strength = calloc(k->n, sizeof(double));
    k->opt = calloc(m->n_options + 1, sizeof(size_t));
    k->lane_fail = calloc(L, sizeof(int));
    k->lane_reason = calloc(L, sizeof(const char *));
    if (k->pv == NULL || k->pp == NULL || k->strength == NULL || k->opt == NULL ||
        k->lane_fail == NULL || k->lane_reason == NULL) {
        kctx_free(k);
        return 0;
    }
    for (size_t j = 0; j < m->n_params; j++) {
        k->pp[j] = k->pv + j * k->n;
        for (size_t q = 0; q < k->n; q++) {
            k->pp[j][q] = m->params[j].def;
        }
    }
    for (size_t o = 0; o < m->n_options; o++) {
        k->opt[o] = m->options[o].def;
    }
    for (size_t i = 0; i < k->N; i++) {
        for (size_t l = 0; l < L; l++) {
            k->strength[i * L + l] = cn->strength[i];
        }
    }
    if (m->bind != NULL) {
        fcfit_model_bind_args a;
        memset(&a, 0, sizeof a);
        a.n_nodes = k->N;
        a.n_lanes = L;
        a.n = k->n;
        a.p = k->pp;
        a.opt = k->opt;
        a.weights = cn->weights;
        a.strength = cn->strength;
        a.dt_ms = dt_ms;
        a.lane_fail = k->lane_fail;
        a.lane_reason = k->lane_reason;
        fcfit_status st = m->bind(&a, &k->priv);
        EXPECT(st == FCFIT_OK, "%s: bind at the defaults -> %s %s", m->name,
               fcfit_status_name(st), st == FCFIT_OK ? "" : fcfit_error_message());
        fcfit_error_clear();
        if (st != FCFIT_OK) {
            kctx_free(k);
            return 0;
        }
    }
    k->ctx.n_nodes = k->N;
    k->ctx.n_lanes = L;
    k->ctx.n = k->n;
    k->ctx.p = (const double *const *)k->pp;
    k->ctx.opt = k->opt;
    k->ctx.strength = k->strength;
    k->ctx.priv = k->priv;
    /* History of the coupling outputs (models reading their own past, e.g. local delays). */
    k->ctx.hist_len = m->history_ms > 0.0 ? (size_t)ceil(m->history_ms / dt_ms - 1e-9) + 1 : 1;
    /* Lines of hist_len slots per output and node; the current step at the last slot. */
    k->ctx.hist_pos = k->ctx.hist_len - 1;
    k->ctx.hist_line = k->ctx.hist_len * L;
    k->ctx.hist_output = k->N * k->ctx.hist_line;
    k->hist = calloc(m->n_coupling * k->ctx.hist_output + 1, sizeof(double));
    k->ctx.hist = k->hist;
    if (k->hist == NULL) {
        kctx_free(k);
        return 0;
    }
    return 1;
}

/* Fill every history slot with the coupling outputs y ([output][node][lane]). */
static void kctx_fill_history(kctx *k, const double *y)
{
    const size_t L = k->ctx.n_lanes;
    for (size_t o = 0; o < k->m->n_coupling; o++) {
        for (size_t i = 0; i < k->N; i++) {
            double *line = k->hist + o * k->ctx.hist_output + i * k->ctx.hist_line;
            for (size_t h = 0; h < k->ctx.hist_len; h++) {
                memcpy(line + h * L, y + (o * k->N + i) * L, L * sizeof(double));
            }
        }
    }
}

/* ---- parameter bounds ---- */

static void check_bounds_rejected(const fcfit_model_type *m, const fcfit_connectome *cn)
{
    fcfit_sim_config cfg = run_cfg(m);
    fcfit_sim *sim = NULL;
    uint64_t seed = 1;
    const size_t region = cn->n - 1; /* a single region, not the first */
    char needle[256];

    if (fcfit_sim_create(&sim, m, cn, &cfg, 1) != FCFIT_OK) {
        EXPECT(0, "%s: fcfit_sim_create: %s", m->name, fcfit_error_message());
        fcfit_error_clear();
        return;
    }
    EXPECT(fcfit_sim_reset(sim, &seed) == FCFIT_OK, "%s: reset at the defaults succeeds: %s",
           m->name, fcfit_error_message());
    fcfit_error_clear();
    for (size_t j = 0; j < m->n_params; j++) {
        const fcfit_model_param *pd = &m->params[j];
        double *pj = fcfit_sim_param(sim, j);
        const double outside[2] = {nextafter(pd->lo, -INFINITY), nextafter(pd->hi, INFINITY)};
        snprintf(needle, sizeof needle, "model.%s.%s", m->name, pd->name);
        for (int side = 0; side < 2; side++) {
            pj[region] = outside[side];
            fcfit_status st = fcfit_sim_reset(sim, &seed);
            const char *msg = fcfit_error_message();
            EXPECT(st == FCFIT_ERR_ARG && strstr(msg, needle) != NULL,
                   "%s: %s = %.17g (%s bound %g) in region %zu rejected -> %s (%s)", m->name,
                   pd->name, outside[side], side == 0 ? "below lower" : "above upper",
                   side == 0 ? pd->lo : pd->hi, region + 1, fcfit_status_name(st), msg);
            fcfit_error_clear();
            pj[region] = pd->def;
        }
    }
    EXPECT(fcfit_sim_reset(sim, &seed) == FCFIT_OK, "%s: reset at the defaults succeeds again: %s",
           m->name, fcfit_error_message());
    fcfit_error_clear();
    fcfit_sim_destroy(&sim);
}

/* ---- initial state ---- */

static void check_init(const fcfit_model_type *m, const fcfit_connectome *cn)
{
    enum { L = 2 };
    const size_t ns = m->n_state * cn->n * L;
    double *x1 = calloc(ns, sizeof(double)), *x2 = calloc(ns, sizeof(double));
    double *x3 = calloc(ns, sizeof(double));
    gsl_rng *r[L] = {NULL, NULL}, *fresh = NULL;
    const uint64_t sa[L] = {fcfit_rng_derive(11, 1, 0), fcfit_rng_derive(11, 2, 0)};
    const uint64_t sb[L] = {fcfit_rng_derive(12, 1, 0), fcfit_rng_derive(12, 2, 0)};
    kctx k;
    int consumed = 0;

    if (x1 == NULL || x2 == NULL || x3 == NULL || !kctx_make(&k, m, cn, L, m->default_dt_ms)) {
        EXPECT(0, "%s: init fixtures", m->name);
        free(x1);
        free(x2);
        free(x3);
        return;
    }
    /* Kernel level: same seeds, same state; detect whether the streams are used. */
    for (size_t l = 0; l < L; l++) {
        r[l] = fcfit_rng_alloc(sa[l]);
    }
    m->init(&k.ctx, x1, r);
    fresh = fcfit_rng_alloc(sa[0]);
    consumed = gsl_rng_get(r[0]) != gsl_rng_get(fresh);
    for (size_t l = 0; l < L; l++) {
        gsl_rng_set(r[l], sa[l]);
    }
    m->init(&k.ctx, x2, r);
    CHECK_BITWISE(x2, x1, ns);
    EXPECT(all_finite(x1, ns), "%s: initial state finite", m->name);
    for (size_t l = 0; l < L; l++) {
        gsl_rng_set(r[l], sb[l]);
    }
    m->init(&k.ctx, x3, r);
    printf("     %s: initial state is %s\n", m->name,
           consumed ? "random (drawn from the lane streams)" : "deterministic (no draws)");
    if (consumed) {
        EXPECT(memcmp(x3, x1, ns * sizeof(double)) != 0,
               "%s: random initial state differs between seeds", m->name);
    } else {
        EXPECT(memcmp(x3, x1, ns * sizeof(double)) == 0,
               "%s: initial state that draws nothing does not depend on the seed", m->name);
    }
    for (size_t l = 0; l < L; l++) {
        gsl_rng_free(r[l]);
    }
    gsl_rng_free(fresh);
    kctx_free(&k);

    /* Through the simulation object: reset twice with the same seeds, once with others, and
     * once more after advancing (a reset fully restarts the run). */
    fcfit_sim_config cfg = run_cfg(m);
    fcfit_sim *sim = NULL;
    if (fcfit_sim_create(&sim, m, cn, &cfg, L) != FCFIT_OK) {
        EXPECT(0, "%s: fcfit_sim_create: %s", m->name, fcfit_error_message());
        fcfit_error_clear();
    } else {
        CHECK_OK(fcfit_sim_reset(sim, sa));
        memcpy(x1, fcfit_sim_state(sim), ns * sizeof(double));
        CHECK_OK(fcfit_sim_reset(sim, sb));
        memcpy(x3, fcfit_sim_state(sim), ns * sizeof(double));
        CHECK_OK(fcfit_sim_advance(sim, 10));
        CHECK_OK(fcfit_sim_reset(sim, sa));
        memcpy(x2, fcfit_sim_state(sim), ns * sizeof(double));
        CHECK_BITWISE(x2, x1, ns);
        EXPECT((memcmp(x3, x1, ns * sizeof(double)) != 0) == consumed,
               "%s: reset with other seeds changes the state exactly when init draws", m->name);
        fcfit_sim_destroy(&sim);
    }
    free(x1);
    free(x2);
    free(x3);
}

/* ---- kernels finite at the defaults ---- */

/* Returns nonzero when some noise amplitude at the defaults is non-zero. */
static int check_kernels_finite(const fcfit_model_type *m, const fcfit_connectome *cn)
{
    const size_t N = cn->n, n = N; /* one lane */
    const size_t nc = m->n_coupling, ns = m->n_state * n;
    double *x = calloc(ns, sizeof(double)), *dx = calloc(ns, sizeof(double));
    double *y = calloc(nc * n + 1, sizeof(double)), *c = calloc(nc * n + 1, sizeof(double));
    double *g = calloc(m->n_noise * n + 1, sizeof(double)), *z = calloc(n, sizeof(double));
    gsl_rng *r = fcfit_rng_alloc(fcfit_rng_derive(13, 0, 0));
    int noisy = 0;
    kctx k;

    if (x == NULL || dx == NULL || y == NULL || c == NULL || g == NULL || z == NULL || r == NULL ||
        !kctx_make(&k, m, cn, 1, m->default_dt_ms)) {
        EXPECT(0, "%s: kernel fixtures", m->name);
        goto done;
    }
    m->init(&k.ctx, x, &r);
    if (m->clamp != NULL) {
        m->clamp(&k.ctx, x);
    }
    EXPECT(all_finite(x, ns), "%s: clamped initial state finite", m->name);

    /* Uncoupled (c = 0). */
    m->drift(&k.ctx, x, c, dx);
    EXPECT(all_finite(dx, ns), "%s: drift finite at the defaults, initial state, no coupling",
           m->name);

    /* Coupled: the raw sums sum_j W[i][j] y_j that the first step sees (constant history). */
    if (nc > 0) {
        if (m->coupling_out != NULL) {
            m->coupling_out(&k.ctx, x, y);
        } else {
            for (size_t o = 0; o < nc; o++) {
                memcpy(y + o * n, x + m->coupling_vars[o] * n, n * sizeof(double));
            }
        }
        EXPECT(all_finite(y, nc * n), "%s: coupling outputs finite", m->name);
        kctx_fill_history(&k, y);
        for (size_t o = 0; o < nc; o++) {
            const unsigned pw = m->coupling_power != NULL ? m->coupling_power[o] : 1u;
            EXPECT(pw <= 2, "%s: coupling power of output %zu is 0, 1 or 2", m->name, o);
            for (size_t i = 0; i < N; i++) {
                double s = 0.0;
                for (size_t j = 0; j < N && pw > 0; j++) {
                    const double w = cn->weights[i * N + j];
                    s += (pw == 2 ? w * w : w) * y[o * n + j];
                }
                c[o * n + i] = s;
            }
        }
        m->drift(&k.ctx, x, c, dx);
        EXPECT(all_finite(dx, ns),
               "%s: drift finite at the defaults, initial state of a %d-region connectome", m->name,
               N_REGIONS);
    }
    if (m->n_noise > 0 && m->noise != NULL) {
        m->noise(&k.ctx, g);
        EXPECT(all_finite(g, m->n_noise * n), "%s: noise amplitudes finite at the defaults",
               m->name);
        for (size_t q = 0; q < m->n_noise * n; q++) {
            noisy |= g[q] != 0.0;
        }
    }
    if (m->bold_drive != NULL) {
        m->bold_drive(&k.ctx, x, c, z);
    } else {
        memcpy(z, x + m->bold_var * n, n * sizeof(double));
    }
    EXPECT(all_finite(z, n), "%s: BOLD drive finite at the initial state", m->name);
    if (m->check != NULL) {
        const char *why = NULL;
        EXPECT(m->check(&k.ctx, x, 0, &why) == 0, "%s: initial state inside the domain (%s)",
               m->name, why != NULL ? why : "ok");
    }
    kctx_free(&k);
done:
    gsl_rng_free(r);
    free(x);
    free(dx);
    free(y);
    free(c);
    free(g);
    free(z);
    return noisy;
}

/* ---- chunk and batch invariance ---- */

typedef struct run_out {
    double *bold;  /* N * n_vols */
    double *dmean; /* N */
    double *dlast; /* N */
    double *state; /* n_state * N (the lane's own values) */
    fcfit_task_status status;
    const char *reason;
} run_out;

/*
 * One run of the model on cn. L lanes with seeds[l]; parameter jp (when not
 * (size_t)-1) set to pval[l] in every region of lane l. chunk 0: one advance
 * call for the whole run; otherwise advance calls of `chunk` steps. The
 * outputs of lane `lane` go to out. Returns 0 on setup failure.
 */
static int run_model(const fcfit_model_type *m, const fcfit_connectome *cn,
                     const fcfit_sim_config *cfg, size_t L, const uint64_t *seeds, size_t jp,
                     const double *pval, size_t chunk, size_t lane, run_out *out)
{
    fcfit_sim *sim = NULL;
    const size_t N = cn->n;
    if (fcfit_sim_create(&sim, m, cn, cfg, L) != FCFIT_OK) {
        EXPECT(0, "%s: fcfit_sim_create: %s", m->name, fcfit_error_message());
        fcfit_error_clear();
        return 0;
    }
    if (jp != (size_t)-1) {
        for (size_t i = 0; i < N; i++) {
            for (size_t l = 0; l < L; l++) {
                fcfit_sim_param(sim, jp)[i * L + l] = pval[l];
            }
        }
    }
    if (fcfit_sim_reset(sim, seeds) != FCFIT_OK) {
        EXPECT(0, "%s: fcfit_sim_reset: %s", m->name, fcfit_error_message());
        fcfit_error_clear();
        fcfit_sim_destroy(&sim);
        return 0;
    }
    const size_t total = fcfit_sim_n_steps(sim);
    if (chunk == 0) {
        fcfit_sim_advance(sim, total);
    } else {
        while (fcfit_sim_steps_done(sim) < total) {
            fcfit_sim_advance(sim, chunk);
        }
    }
    fcfit_sim_get_bold(sim, lane, out->bold);
    fcfit_sim_get_drive_mean(sim, lane, out->dmean);
    fcfit_sim_get_drive_last(sim, lane, out->dlast);
    const double *x = fcfit_sim_state(sim);
    for (size_t v = 0; v < m->n_state; v++) {
        for (size_t i = 0; i < N; i++) {
            out->state[v * N + i] = x[(v * N + i) * L + lane];
        }
    }
    out->status = fcfit_sim_lane_status(sim, lane, &out->reason);
    fcfit_sim_destroy(&sim);
    return 1;
}

static int run_out_alloc(run_out *r, size_t N, size_t n_vols, size_t n_state)
{
    memset(r, 0, sizeof *r);
    r->bold = calloc(N * n_vols + 1, sizeof(double));
    r->dmean = calloc(N, sizeof(double));
    r->dlast = calloc(N, sizeof(double));
    r->state = calloc(n_state * N, sizeof(double));
    return r->bold != NULL && r->dmean != NULL && r->dlast != NULL && r->state != NULL;
}

static void run_out_free(run_out *r)
{
    free(r->bold);
    free(r->dmean);
    free(r->dlast);
    free(r->state);
}

/*
 * The regional parameter that the other lanes of the batch run change: the
 * first regional one with room between its bounds, preferring plain
 * parameters over noise amplitudes and derived ones (a derived one may be
 * overwritten by bind). (size_t)-1 when the model has none.
 */
static size_t batch_param(const fcfit_model_type *m)
{
    for (int pass = 0; pass < 2; pass++) {
        for (size_t j = 0; j < m->n_params; j++) {
            const fcfit_model_param *pd = &m->params[j];
            const unsigned avoid = FCFIT_PARAM_NOISE | FCFIT_PARAM_DERIVED;
            if ((pd->flags & FCFIT_PARAM_REGIONAL) && pd->hi > pd->lo &&
                (pass == 1 || (pd->flags & avoid) == 0)) {
                return j;
            }
        }
    }
    return (size_t)-1;
}

/* A value within bounds and different from the default: 5 % of |def| (at most 5 % of the range). */
static double other_value(const fcfit_model_param *pd, double dir)
{
    const double span = pd->hi - pd->lo;
    double step = pd->def != 0.0 ? 0.05 * fabs(pd->def) : 0.01 * span;
    if (step > 0.05 * span) {
        step = 0.05 * span;
    }
    double v = pd->def + dir * step;
    if (v > pd->hi || v < pd->lo) {
        v = pd->def - dir * step;
    }
    return v;
}

/*
 * Checkpoints: lane 1 of a 3-lane batch (the others with other seeds and parameter values) is
 * saved a third of the way through, a fresh 2-lane simulation resumes it in both lanes, and the
 * end of the run equals the uninterrupted reference bitwise. A checkpoint does not fit a
 * simulation of another duration.
 */
static void check_checkpoint(const fcfit_model_type *m, const fcfit_connectome *cn,
                             const fcfit_sim_config *cfg, const uint64_t *seeds3, size_t jp,
                             const double *pv, const run_out *ref, size_t n_vols)
{
    fcfit_sim *a = NULL, *b = NULL;
    const size_t N = cn->n;
    unsigned char *ck = NULL;
    size_t cap, len = 0, total, split;
    int ok = 1;
    if (fcfit_sim_create(&a, m, cn, cfg, 3) != FCFIT_OK ||
        fcfit_sim_create(&b, m, cn, cfg, 2) != FCFIT_OK) {
        EXPECT(0, "%s: fcfit_sim_create: %s", m->name, fcfit_error_message());
        fcfit_error_clear();
        goto done;
    }
    if (jp != (size_t)-1) {
        for (size_t i = 0; i < N; i++) {
            for (size_t l = 0; l < 3; l++) {
                fcfit_sim_param(a, jp)[i * 3 + l] = pv[l];
            }
        }
    }
    cap = fcfit_sim_checkpoint_size(a);
    ck = malloc(cap);
    total = fcfit_sim_n_steps(a);
    split = total / 3 + 1;
    ok &= ck != NULL && fcfit_sim_reset(a, seeds3) == FCFIT_OK;
    while (ok && fcfit_sim_steps_done(a) < split) {
        const size_t left = split - fcfit_sim_steps_done(a);
        ok &= fcfit_sim_advance(a, left < 7 ? left : 7) == FCFIT_OK;
    }
    ok &= ok && fcfit_sim_checkpoint_save(a, 1, ck, cap, &len) == FCFIT_OK;
    EXPECT(ok && fcfit_sim_checkpoint_step(ck, len) == split,
           "%s: checkpoint of lane 1 of 3 at step %zu (%zu bytes)", m->name, split, len);
    if (ok) {
        const void *bufs[2] = {ck, ck};
        const size_t lens[2] = {len, len};
        const uint64_t seeds2[2] = {seeds3[1], seeds3[1]};
        run_out got;
        const double *x;
        CHECK_OK(fcfit_sim_checkpoint_resume(b, seeds2, bufs, lens));
        while (fcfit_sim_steps_done(b) < total) {
            fcfit_sim_advance(b, 11);
        }
        if (run_out_alloc(&got, N, n_vols, m->n_state)) {
            fcfit_sim_get_bold(b, 0, got.bold);
            fcfit_sim_get_drive_mean(b, 0, got.dmean);
            x = fcfit_sim_state(b);
            for (size_t v = 0; v < m->n_state; v++) {
                for (size_t i = 0; i < N; i++) {
                    got.state[v * N + i] = x[(v * N + i) * 2 + 1];
                }
            }
            printf("     %s: resumed from a checkpoint at step %zu of %zu (lane 1 of 3 -> 1 of "
                   "2)\n",
                   m->name, split, total);
            CHECK_BITWISE(got.bold, ref->bold, N * n_vols);
            CHECK_BITWISE(got.dmean, ref->dmean, N);
            CHECK_BITWISE(got.state, ref->state, m->n_state * N);
            run_out_free(&got);
        }
        /* Another shape (a longer run) refuses the checkpoint. */
        {
            fcfit_sim_config c2 = *cfg;
            fcfit_sim *d = NULL;
            c2.duration_ms = cfg->duration_ms * 2.0;
            if (fcfit_sim_create(&d, m, cn, &c2, 2) == FCFIT_OK) {
                CHECK_FAILS(fcfit_sim_checkpoint_resume(d, seeds2, bufs, lens), FCFIT_ERR_INPUT,
                            "another shape");
            }
            fcfit_sim_destroy(&d);
        }
    }
done:
    free(ck);
    fcfit_sim_destroy(&a);
    fcfit_sim_destroy(&b);
}

static void check_invariance(const fcfit_model_type *m, const fcfit_connectome *cn, int noisy)
{
    const fcfit_sim_config cfg = run_cfg(m);
    const size_t N = cn->n;
    fcfit_sim *probe = NULL;
    size_t n_vols;
    const uint64_t seed = fcfit_rng_derive(2024, 17, 0);
    run_out ref, got;

    if (fcfit_sim_create(&probe, m, cn, &cfg, 1) != FCFIT_OK) {
        EXPECT(0, "%s: fcfit_sim_create: %s", m->name, fcfit_error_message());
        fcfit_error_clear();
        return;
    }
    n_vols = fcfit_sim_n_vols(probe);
    fcfit_sim_destroy(&probe);
    const int ok_ref = run_out_alloc(&ref, N, n_vols, m->n_state);
    const int ok_got = run_out_alloc(&got, N, n_vols, m->n_state);
    if (!ok_ref || !ok_got) {
        EXPECT(0, "%s: run buffers", m->name);
        run_out_free(&ref);
        run_out_free(&got);
        return;
    }
    printf("     %s: dt %g ms (%s), %g ms simulated, TR %g ms, %zu volumes, max delay %zu steps\n",
           m->name, cfg.dt_ms, fcfit_integrator_names[cfg.integrator], cfg.duration_ms, cfg.tr_ms,
           n_vols, cn->max_delay);

    /* Reference: the whole run in one advance call, at the defaults. */
    if (run_model(m, cn, &cfg, 1, &seed, (size_t)-1, NULL, 0, 0, &ref)) {
        EXPECT(ref.status == FCFIT_TASK_OK, "%s: lane status at the defaults: %s (%s)", m->name,
               fcfit_task_status_name((int)ref.status), ref.reason != NULL ? ref.reason : "-");
        EXPECT(all_finite(ref.bold, N * n_vols), "%s: BOLD finite after the run", m->name);
        EXPECT(all_finite(ref.dmean, N) && all_finite(ref.dlast, N),
               "%s: BOLD drive (time mean and last) finite after the run", m->name);
        EXPECT(all_finite(ref.state, m->n_state * N), "%s: final state finite", m->name);

        /* Chunk invariance. */
        const size_t chunks[3] = {1, 7, 1000};
        for (int q = 0; q < 3; q++) {
            if (run_model(m, cn, &cfg, 1, &seed, (size_t)-1, NULL, chunks[q], 0, &got)) {
                printf("     %s: chunks of %zu steps\n", m->name, chunks[q]);
                CHECK_BITWISE(got.bold, ref.bold, N * n_vols);
                CHECK_BITWISE(got.dmean, ref.dmean, N);
                CHECK_BITWISE(got.state, ref.state, m->n_state * N);
            }
        }

        /* Batch invariance: lane 1 of 3; lanes 0 and 2 have other seeds and another value of a
         * regional parameter. */
        const size_t jp = batch_param(m);
        double pv[3];
        const uint64_t seeds3[3] = {fcfit_rng_derive(2024, 16, 0), seed,
                                    fcfit_rng_derive(2024, 18, 0)};
        if (jp != (size_t)-1) {
            pv[0] = other_value(&m->params[jp], 1.0);
            pv[1] = m->params[jp].def;
            pv[2] = other_value(&m->params[jp], -1.0);
            printf("     %s: batch lanes 0 and 2 with %s = %g and %g (default %g)\n", m->name,
                   m->params[jp].name, pv[0], pv[2], pv[1]);
        } else {
            printf("     %s: no regional parameter; batch lanes differ by seed only\n", m->name);
        }
        if (run_model(m, cn, &cfg, 3, seeds3, jp, pv, 0, 1, &got)) {
            printf("     %s: lane 1 of 3\n", m->name);
            CHECK_BITWISE(got.bold, ref.bold, N * n_vols);
            CHECK_BITWISE(got.dmean, ref.dmean, N);
            CHECK_BITWISE(got.state, ref.state, m->n_state * N);
            EXPECT(got.status == FCFIT_TASK_OK, "%s: lane 1 of 3 ok", m->name);
        }
        check_checkpoint(m, cn, &cfg, seeds3, jp, pv, &ref, n_vols);

        /* The noise reaches the trajectory: another seed gives another BOLD. */
        if (noisy) {
            const uint64_t other = fcfit_rng_derive(2024, 99, 0);
            if (run_model(m, cn, &cfg, 1, &other, (size_t)-1, NULL, 0, 0, &got)) {
                EXPECT(memcmp(got.bold, ref.bold, N * n_vols * sizeof(double)) != 0,
                       "%s: another seed gives another BOLD (noise on)", m->name);
            }
        }
    }
    run_out_free(&ref);
    run_out_free(&got);
}

int main(void)
{
    const size_t count = fcfit_model_count();
    CHECK_TRUE(count >= 2); /* rww and mpr at least */
    CHECK_TRUE(fcfit_model_at(count) == NULL);
    for (size_t i = 0; i < count; i++) {
        const fcfit_model_type *m = fcfit_model_at(i);
        EXPECT(m != NULL, "registry entry %zu present", i);
        if (m == NULL) {
            continue;
        }
        printf("---- model %zu: %s\n", i, m->name != NULL ? m->name : "(null)");
        for (size_t q = 0; q < i; q++) {
            const fcfit_model_type *o = fcfit_model_at(q);
            EXPECT(o == NULL || m->name == NULL || o->name == NULL || strcmp(o->name, m->name) != 0,
                   "model name %s unique in the registry (vs entry %zu)", m->name, q);
        }
        if (!check_descriptor(m)) {
            printf("     %s: descriptor unsound; dynamic checks skipped\n", m->name);
            continue;
        }
        double velocity = 0.0;
        fcfit_connectome *cn = synthetic_conn(m->default_dt_ms, &velocity);
        EXPECT(cn != NULL && cn->max_delay > 0,
               "%s: synthetic connectome with delays (velocity %g mm/ms, up to %zu steps)", m->name,
               velocity, cn != NULL ? cn->max_delay : (size_t)0);
        if (cn == NULL) {
            continue;
        }
        check_bounds_rejected(m, cn);
        check_init(m, cn);
        const int noisy = check_kernels_finite(m, cn);
        check_invariance(m, cn, noisy);
        fcfit_connectome_destroy(&cn);
    }
    return fcfit_test_finish();
}
