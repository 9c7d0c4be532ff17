/*
 * test_sim.c: the simulation object with small test models defined here
 * (models are plugins, so a test can bring its own):
 *   - integrator convergence order on a linear ODE (Euler 1, Heun 2);
 *   - Ornstein–Uhlenbeck stationary moments (statistical);
 *   - strong convergence order of Euler–Maruyama on a linear SDE;
 *   - the delay ring buffer against a directly stored history;
 *   - chunk invariance and batch (lane) invariance, bitwise;
 *   - configuration errors.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "fcfit/fcfit_rng.h"
#include "fcfit/fcfit_sim.h"
#include "fcfit_test.h"
#include "sim_test_util.h"

/* ---- test model 1: dx/dt = lambda x + mu + k*c + sigma xi (per region) ---- */
enum { LP_LAMBDA, LP_MU, LP_K, LP_SIGMA, LP_X0, LP_N };
static const fcfit_model_param lin_params[LP_N] = {
    {"lambda", "1/ms", -1.0, -100.0, 100.0, FCFIT_PARAM_REGIONAL, "rate"},
    {"mu", "1/ms", 0.0, -100.0, 100.0, FCFIT_PARAM_REGIONAL, "offset"},
    {"k", "1/ms", 0.0, -100.0, 100.0, 0, "coupling gain"},
    {"sigma", "1/sqrt(ms)", 0.0, 0.0, 100.0, FCFIT_PARAM_NOISE, "noise"},
    {"x0", "1", 1.0, -100.0, 100.0, 0, "initial value"},
};
static const char *const lin_states[] = {"x"};
static const char *const lin_units[] = {"1"};
static const size_t lin_zero[] = {0};

static void lin_init(const fcfit_model_ctx *ctx, double *x, gsl_rng *const *r)
{
    for (size_t k = 0; k < ctx->n; k++) {
        x[k] = ctx->p[LP_X0][k];
    }
}
static void lin_drift(const fcfit_model_ctx *ctx, const double *restrict x,
                      const double *restrict c, double *restrict dx)
{
    for (size_t k = 0; k < ctx->n; k++) {
        dx[k] = ctx->p[LP_LAMBDA][k] * x[k] + ctx->p[LP_MU][k] + ctx->p[LP_K][k] * c[k];
    }
}
static void lin_noise(const fcfit_model_ctx *ctx, double *g)
{
    for (size_t k = 0; k < ctx->n; k++) {
        g[k] = ctx->p[LP_SIGMA][k];
    }
}
static const fcfit_model_type lin_model = {
    .name = "linear_test",
    .long_name = "linear test model",
    .citation = "-",
    .doc = "-",
    .ms_per_unit = 1.0,
    .n_state = 1,
    .state_names = lin_states,
    .state_units = lin_units,
    .n_params = LP_N,
    .params = lin_params,
    .n_coupling = 1,
    .coupling_vars = lin_zero,
    .coupling_desc = "x",
    .n_noise = 1,
    .noise_vars = lin_zero,
    .bold_var = 0,
    .bold_desc = "x",
    .init = lin_init,
    .drift = lin_drift,
    .noise = lin_noise,
};

/* ---- test model 2: x' = t-like ramp; records the coupling input it sees ---- */
static double g_seen_c[64];
static void ramp_init(const fcfit_model_ctx *ctx, double *x, gsl_rng *const *r)
{
    for (size_t k = 0; k < ctx->n; k++) {
        x[k] = (double)(k + 1); /* distinct per node */
    }
}
static void ramp_drift(const fcfit_model_ctx *ctx, const double *restrict x,
                       const double *restrict c, double *restrict dx)
{
    for (size_t k = 0; k < ctx->n; k++) {
        /* A nonlinear, node-dependent drift so that histories differ per node. */
        dx[k] = 0.3 * sin(x[k]) + 0.01 * (double)(k + 1);
        g_seen_c[k] = c[k];
    }
}
static const fcfit_model_type ramp_model = {
    .name = "ramp_test",
    .long_name = "ramp",
    .citation = "-",
    .doc = "-",
    .ms_per_unit = 1.0,
    .n_state = 1,
    .state_names = lin_states,
    .state_units = lin_units,
    .n_params = 0,
    .params = NULL,
    .n_coupling = 1,
    .coupling_vars = lin_zero,
    .coupling_desc = "x",
    .n_noise = 0,
    .noise_vars = NULL,
    .bold_var = 0,
    .bold_desc = "x",
    .init = ramp_init,
    .drift = ramp_drift,
};

static fcfit_sim_config base_cfg(double dt_ms, double duration_ms)
{
    return tu_cfg(dt_ms, duration_ms, FCFIT_INTEGRATOR_EULER, 1, dt_ms, FCFIT_DRIVE_MEAN);
}

static fcfit_connectome *make_conn(size_t n, const double *w, const double *len, double v,
                                   double dt)
{
    return tu_conn(n, w, len, v, dt);
}

/* Final state of an uncoupled linear ODE x' = lambda x + mu, x(0) = 1, run for T ms. */
static double lin_final(fcfit_integrator integ, double dt, double T)
{
    double w[4] = {0, 0, 0, 0};
    fcfit_connectome *cn = make_conn(2, w, NULL, 0, dt);
    fcfit_sim_config cfg = base_cfg(dt, T);
    fcfit_sim *sim = NULL;
    uint64_t seeds[1] = {1};
    double x;
    cfg.integrator = integ;
    cfg.noise = 0;
    fcfit_sim_create(&sim, &lin_model, cn, &cfg, 1);
    for (size_t i = 0; i < 2; i++) {
        fcfit_sim_param(sim, LP_LAMBDA)[i] = -0.7;
        fcfit_sim_param(sim, LP_MU)[i] = 0.35;
    }
    fcfit_sim_reset(sim, seeds);
    fcfit_sim_run(sim);
    x = fcfit_sim_state(sim)[0];
    fcfit_sim_destroy(&sim);
    fcfit_connectome_destroy(&cn);
    return x;
}

static void test_ode_order(void)
{
    /* Exact: x(T) = mu/-lambda + (1 - mu/-lambda) e^{lambda T}. */
    const double T = 2.0, lam = -0.7, mu = 0.35;
    const double exact = -mu / lam + (1.0 + mu / lam) * exp(lam * T);
    double e1 = fabs(lin_final(FCFIT_INTEGRATOR_EULER, 0.01, T) - exact);
    double e2 = fabs(lin_final(FCFIT_INTEGRATOR_EULER, 0.005, T) - exact);
    double h1 = fabs(lin_final(FCFIT_INTEGRATOR_HEUN, 0.01, T) - exact);
    double h2 = fabs(lin_final(FCFIT_INTEGRATOR_HEUN, 0.005, T) - exact);
    /* Halving dt divides the error by 2^order; 0.1 tolerance on the observed order. */
    CHECK_ABS(log2(e1 / e2), 1.0, 0.1);
    CHECK_ABS(log2(h1 / h2), 2.0, 0.1);
}

/* OU process x' = -x/tau + sigma xi: stationary variance sigma^2 tau / 2. */
static void test_ou_moments(void)
{
    double w[4] = {0, 0, 0, 0};
    const double dt = 0.1, tau = 5.0, sigma = 0.3;
    fcfit_connectome *cn = make_conn(2, w, NULL, 0, dt);
    fcfit_sim_config cfg = base_cfg(dt, 4.0e5);
    fcfit_sim *sim = NULL;
    const size_t L = 4;
    uint64_t seeds[4];
    double sum = 0, sum2 = 0;
    size_t cnt = 0;
    for (size_t l = 0; l < L; l++) {
        seeds[l] = fcfit_rng_derive(2024, 7, l);
    }
    cfg.integrator = FCFIT_INTEGRATOR_EULER;
    fcfit_sim_create(&sim, &lin_model, cn, &cfg, L);
    for (size_t k = 0; k < 2 * L; k++) {
        fcfit_sim_param(sim, LP_LAMBDA)[k] = -1.0 / tau;
        fcfit_sim_param(sim, LP_SIGMA)[k] = sigma;
        fcfit_sim_param(sim, LP_X0)[k] = 0.0;
    }
    CHECK_OK(fcfit_sim_reset(sim, seeds));
    fcfit_sim_advance(sim, 1000); /* burn-in of 20 tau */
    while (!fcfit_sim_done(sim)) {
        fcfit_sim_advance(sim, 10); /* sample every 1 ms */
        const double *x = fcfit_sim_state(sim);
        for (size_t k = 0; k < 2 * L; k++) {
            sum += x[k];
            sum2 += x[k] * x[k];
            cnt++;
        }
    }
    double mean = sum / (double)cnt;
    double var = sum2 / (double)cnt - mean * mean;
    /* Euler's discrete OU has variance sigma^2 dt / (1 - (1 - dt/tau)^2). */
    double a = 1.0 - dt / tau;
    double want = sigma * sigma * dt / (1.0 - a * a);
    /* ~3.2e6 samples with correlation time 5 ms at 1 ms spacing: relative s.e. ~0.3%; 2% band. */
    CHECK_REL(var, want, 0.02);
    CHECK_REL(var, sigma * sigma * tau / 2.0, 0.03);
    CHECK_ABS(mean, 0.0, 0.01);
    fcfit_sim_destroy(&sim);
    fcfit_connectome_destroy(&cn);
}

/*
 * Strong order of Euler–Maruyama on dx = lambda x dt + sigma dW: compare with
 * the exact solution driven by the same Brownian increments, which the test
 * reconstructs from the documented counter-based stream (fcfit_rng.h: the
 * numbers of step n for the lane's key, node 0 first).
 */
static void test_em_strong(void)
{
    double w[4] = {0, 0, 0, 0};
    const double lam = -1.3, sig = 0.5, T = 1.0;
    double err[2] = {0, 0};
    const double dts[2] = {0.01, 0.0025};
    for (int d = 0; d < 2; d++) {
        const double dt = dts[d];
        const size_t nsteps = (size_t)llround(T / dt);
        fcfit_connectome *cn = make_conn(2, w, NULL, 0, dt);
        fcfit_sim_config cfg = base_cfg(dt, T);
        fcfit_sim *sim = NULL;
        double acc = 0.0;
        const int reps = 200;
        cfg.tr_ms = dt;
        fcfit_noise *nz = NULL;
        double xi[4];
        CHECK_OK(fcfit_noise_create(&nz, 2, 1));
        CHECK_TRUE(fcfit_noise_buffer_size(nz) <= 4);
        for (int rep = 0; rep < reps; rep++) {
            uint64_t seed = fcfit_rng_derive(99, (uint64_t)rep, 0);
            double xe = 1.0;
            fcfit_noise_set_key(nz, 0, fcfit_rng_noise_key(seed));
            fcfit_sim_create(&sim, &lin_model, cn, &cfg, 1);
            for (size_t k = 0; k < 2; k++) {
                fcfit_sim_param(sim, LP_LAMBDA)[k] = lam;
                fcfit_sim_param(sim, LP_SIGMA)[k] = sig;
            }
            fcfit_sim_reset(sim, &seed);
            fcfit_sim_run(sim);
            /* Exact solution with the same increments: x_{n+1} = e^{l dt} x_n + sigma *
             * integral e^{l(dt-s)} dW, approximated by the exact Gaussian update whose
             * variance is sigma^2 (e^{2 l dt}-1)/(2l); same normal draws scaled. */
            for (size_t n = 0; n < nsteps; n++) {
                double sd = sig * sqrt((exp(2.0 * lam * dt) - 1.0) / (2.0 * lam));
                fcfit_noise_fill(nz, n, xi); /* xi[0]: node 0, xi[1]: node 1 */
                xe = exp(lam * dt) * xe + sd * xi[0];
            }
            acc += fabs(fcfit_sim_state(sim)[0] - xe);
            fcfit_sim_destroy(&sim);
        }
        fcfit_noise_destroy(&nz);
        err[d] = acc / reps;
        fcfit_connectome_destroy(&cn);
    }
    /* Additive noise: Euler–Maruyama has strong order 1; dt ratio 4 -> error ratio ~4. */
    CHECK_ABS(log(err[0] / err[1]) / log(4.0), 1.0, 0.2);
}

/*
 * Delayed coupling sums against a directly stored history of the ramp model:
 * delays 0..7 steps (blocks of 2 steps), and the same lengths times 8
 * (delays up to 58 steps: blocks of 8 steps beside one per-step edge).
 */
static void test_delays_at(double scale, const char *engine)
{
    enum { N = 4 };
    const double dt = 0.5;
    double w[N * N] = {0, 0.5, 0.25, 1.0, 2.0, 0, 0.75, 0, 0.1, 0.2, 0, 0.3, 1.5, 0, 0.6, 0};
    /* lengths / (1 mm/ms) / 0.5 ms: delays 0..7 steps (times the scale) */
    double len[N * N] = {0, 1.0, 3.5, 2.0, 0.4, 0, 1.5, 0, 2.5, 3.0, 0, 0.6, 1.2, 0, 3.6, 0};
    fcfit_connectome *cn;
    fcfit_sim_config cfg = base_cfg(dt, 40.0);
    fcfit_sim *sim = NULL;
    uint64_t seed = 3;
    double hist[81][N];
    int ok = 1;
    size_t maxd = 0;

    for (size_t k = 0; k < N * N; k++) {
        len[k] *= scale;
    }
    cn = make_conn(N, w, len, 1.0, dt);
    cfg.noise = 0;
    cfg.tr_ms = 10.0;
    CHECK_TRUE(cn != NULL);
    for (size_t k = 0; k < N * N; k++) {
        if (cn->delay[k] > maxd && w[k] != 0) {
            maxd = cn->delay[k];
        }
    }
    CHECK_INT(cn->max_delay, maxd);
    if (scale == 1.0) {
        CHECK_INT(cn->delay[0 * N + 2], 7); /* 3.5 / 0.5 */
        CHECK_INT(cn->delay[1 * N + 0], 1); /* 0.4/0.5 = 0.8 -> 1 */
        CHECK_INT(cn->delay[2 * N + 3], 1); /* 0.6/0.5 = 1.2 -> 1 */
        CHECK_INT(cn->delay[3 * N + 0], 2); /* 1.2/0.5 = 2.4 -> 2 */
        CHECK_INT(cn->delay[1 * N + 2], 3); /* 1.5/0.5 = 3 */
        CHECK_INT(cn->delay[0 * N + 3], 4); /* 2.0/0.5 = 4 */
        CHECK_INT(cn->delay[2 * N + 0], 5); /* 2.5/0.5 = 5 */
        CHECK_INT(cn->delay[0 * N + 1], 2); /* 1.0/0.5 = 2 */
    }
    fcfit_sim_create(&sim, &ramp_model, cn, &cfg, 1);
    CHECK_TRUE(strcmp(fcfit_sim_coupling_engine(sim), engine) == 0);
    fcfit_sim_reset(sim, &seed);
    memcpy(hist[0], fcfit_sim_state(sim), N * sizeof(double));
    for (size_t n = 0; n < 80; n++) {
        fcfit_sim_advance(sim, 1); /* step n sees coupling from history up to x[n] */
        for (size_t i = 0; i < N; i++) {
            double want = 0.0;
            for (size_t j = 0; j < N; j++) {
                if (w[i * N + j] == 0.0) {
                    continue;
                }
                size_t d = cn->delay[i * N + j];
                /* before t = 0 the history is the initial state */
                size_t src = n >= d ? n - d : 0;
                want += w[i * N + j] * hist[src][j];
            }
            /* 1e-14: the engines may group the terms differently (block and per-step sums). */
            if (fabs(g_seen_c[i] - want) > 1e-14 * (1.0 + fabs(want))) {
                ok = 0;
                printf("     step %zu node %zu: coupling %.17g, direct %.17g\n", n, i, g_seen_c[i],
                       want);
            }
        }
        memcpy(hist[n + 1], fcfit_sim_state(sim), N * sizeof(double));
    }
    CHECK_TRUE(ok);
    fcfit_sim_destroy(&sim);
    fcfit_connectome_destroy(&cn);
}

static void test_delays(void)
{
    test_delays_at(1.0, "sliced, delays in blocks of 2 steps");
    test_delays_at(8.0, "sliced, delays in blocks of 8 steps");
}

/* Run the linear model with coupling, delays, noise and BOLD; return BOLD of lane `lane`. */
static void run_chunked(const fcfit_connectome *cn, fcfit_integrator integ, fcfit_drive_mode dm,
                        size_t L, const uint64_t *seeds, const double *lambdas, size_t chunk,
                        size_t lane, double *bold, double *dmean)
{
    fcfit_sim_config cfg = base_cfg(0.1, 3000.0);
    fcfit_sim *sim = NULL;
    cfg.integrator = integ;
    cfg.drive_mode = dm;
    cfg.bold_dt_ms = 1.0;
    cfg.tr_ms = 100.0;
    cfg.transient_ms = 500.0;
    fcfit_sim_create(&sim, &lin_model, cn, &cfg, L);
    for (size_t i = 0; i < cn->n; i++) {
        for (size_t l = 0; l < L; l++) {
            fcfit_sim_param(sim, LP_LAMBDA)[i * L + l] = lambdas[l];
            fcfit_sim_param(sim, LP_MU)[i * L + l] = 0.01 * (double)(i + 1);
            fcfit_sim_param(sim, LP_K)[i * L + l] = 0.05;
            fcfit_sim_param(sim, LP_SIGMA)[i * L + l] = 0.05;
        }
    }
    fcfit_sim_reset(sim, seeds);
    while (!fcfit_sim_done(sim)) {
        fcfit_sim_advance(sim, chunk);
        chunk = chunk * 3 + 1; /* vary the chunk sizes within one run as well */
    }
    fcfit_sim_get_bold(sim, lane, bold);
    fcfit_sim_get_drive_mean(sim, lane, dmean);
    fcfit_sim_destroy(&sim);
}

static void test_chunk_and_batch_invariance(void)
{
    enum { N = 4 };
    double w[N * N] = {0, 0.5, 0.25, 1.0, 2.0, 0, 0.75, 0, 0.1, 0.2, 0, 0.3, 1.5, 0, 0.6, 0};
    double len[N * N] = {0, 10, 35, 20, 4, 0, 15, 0, 25, 30, 0, 6, 12, 0, 36, 0};
    fcfit_connectome *cn = make_conn(N, w, len, 5.0, 0.1);
    const size_t nv = 25; /* 3000 ms / 100 ms = 30 volumes, 5 in the transient */
    double ref[N * 30], got[N * 30], dref[N], dgot[N];
    uint64_t seeds3[3] = {fcfit_rng_derive(5, 1, 0), fcfit_rng_derive(5, 2, 0),
                          fcfit_rng_derive(5, 3, 0)};
    double lam3[3] = {-0.5, -0.2, -0.9};
    for (int integ = 0; integ < 2; integ++) {
        for (int dm = 0; dm < 3; dm++) {
            run_chunked(cn, (fcfit_integrator)integ, (fcfit_drive_mode)dm, 1, &seeds3[1], &lam3[1],
                        (size_t)-1 / 8, 0, ref, dref);
            const size_t chunks[3] = {1, 7, 1000};
            for (int c = 0; c < 3; c++) {
                run_chunked(cn, (fcfit_integrator)integ, (fcfit_drive_mode)dm, 1, &seeds3[1],
                            &lam3[1], chunks[c], 0, got, dgot);
                CHECK_BITWISE(got, ref, N * nv);
                CHECK_BITWISE(dgot, dref, N);
            }
            /* Batch invariance: lane 1 of a 3-lane batch equals the single-lane run. */
            run_chunked(cn, (fcfit_integrator)integ, (fcfit_drive_mode)dm, 3, seeds3, lam3, 13, 1,
                        got, dgot);
            CHECK_BITWISE(got, ref, N * nv);
            CHECK_BITWISE(dgot, dref, N);
        }
    }
    /* A different seed gives a different BOLD (the noise is really used). */
    uint64_t other = 12345;
    run_chunked(cn, FCFIT_INTEGRATOR_EULER, FCFIT_DRIVE_MEAN, 1, &other, &lam3[1], 100, 0, got,
                dgot);
    CHECK_TRUE(memcmp(got, ref, sizeof(double) * N * nv) != 0);
    fcfit_connectome_destroy(&cn);
}

static void test_config_errors(void)
{
    double w[4] = {0, 1, 1, 0};
    fcfit_connectome *cn = make_conn(2, w, NULL, 0, 0.1);
    fcfit_sim *sim = NULL;
    fcfit_sim_config cfg = base_cfg(0.1, 1000.0);
    uint64_t seed = 1;

    cfg.bold_dt_ms = 0.25;
    CHECK_FAILS(fcfit_sim_create(&sim, &lin_model, cn, &cfg, 1), FCFIT_ERR_ARG, "bold.dt_ms");
    cfg = base_cfg(0.1, 1000.0);
    cfg.tr_ms = 333.35;
    CHECK_FAILS(fcfit_sim_create(&sim, &lin_model, cn, &cfg, 1), FCFIT_ERR_ARG, "bold.tr_s");
    cfg = base_cfg(0.1, 1000.0);
    cfg.transient_ms = 900.0;
    CHECK_FAILS(fcfit_sim_create(&sim, &lin_model, cn, &cfg, 1), FCFIT_ERR_ARG,
                "at least 2 are needed");
    cfg = base_cfg(0.1, 1000.0);
    cfg.dt_ms = -1;
    CHECK_FAILS(fcfit_sim_create(&sim, &lin_model, cn, &cfg, 1), FCFIT_ERR_ARG, "sim.dt_ms");
    cfg = base_cfg(0.1, 1000.0);
    CHECK_OK(fcfit_sim_create(&sim, &lin_model, cn, &cfg, 1));
    fcfit_sim_param(sim, LP_LAMBDA)[1] = 500.0;
    CHECK_FAILS(fcfit_sim_reset(sim, &seed), FCFIT_ERR_ARG, "model.linear_test.lambda = 500");
    fcfit_sim_destroy(&sim);
    CHECK_TRUE(sim == NULL);
    fcfit_connectome_destroy(&cn);
}

/* A run that blows up is a lane status, not an error, and the other lanes go on. */
static void test_divergence_status(void)
{
    double w[4] = {0, 1, 1, 0};
    fcfit_connectome *cn = make_conn(2, w, NULL, 0, 0.1);
    fcfit_sim *sim = NULL;
    fcfit_sim_config cfg = base_cfg(0.1, 2000.0);
    uint64_t seeds[2] = {1, 2};
    const char *why = NULL;
    cfg.chunk_steps = 500;
    fcfit_sim_create(&sim, &lin_model, cn, &cfg, 2);
    for (size_t i = 0; i < 2; i++) {
        fcfit_sim_param(sim, LP_LAMBDA)[i * 2 + 0] = 60.0; /* explodes */
        fcfit_sim_param(sim, LP_LAMBDA)[i * 2 + 1] = -1.0;
    }
    CHECK_OK(fcfit_sim_reset(sim, seeds));
    CHECK_OK(fcfit_sim_run(sim));
    CHECK_INT(fcfit_sim_lane_status(sim, 0, &why), FCFIT_TASK_DIVERGED);
    CHECK_TRUE(why != NULL && strlen(why) > 0);
    CHECK_INT(fcfit_sim_lane_status(sim, 1, &why), FCFIT_TASK_OK);
    CHECK_INT(fcfit_sim_vols_done(sim), fcfit_sim_n_vols(sim));
    fcfit_sim_destroy(&sim);

    /* A lane that diverged before a checkpoint keeps its status and reason after resuming. */
    {
        fcfit_sim *b = NULL;
        unsigned char *ck[2] = {NULL, NULL};
        size_t len[2] = {0, 0}, cap;
        const char *why0 = NULL, *why1 = NULL;
        fcfit_sim_create(&sim, &lin_model, cn, &cfg, 2);
        fcfit_sim_create(&b, &lin_model, cn, &cfg, 2);
        for (size_t i = 0; i < 2; i++) {
            fcfit_sim_param(sim, LP_LAMBDA)[i * 2 + 0] = 60.0;
            fcfit_sim_param(sim, LP_LAMBDA)[i * 2 + 1] = -1.0;
        }
        cap = fcfit_sim_checkpoint_size(sim);
        ck[0] = malloc(cap);
        ck[1] = malloc(cap);
        CHECK_OK(fcfit_sim_reset(sim, seeds));
        CHECK_OK(fcfit_sim_advance(sim, 10000));
        CHECK_INT(fcfit_sim_lane_status(sim, 0, &why0), FCFIT_TASK_DIVERGED);
        CHECK_OK(fcfit_sim_checkpoint_save(sim, 0, ck[0], cap, &len[0]));
        CHECK_OK(fcfit_sim_checkpoint_save(sim, 1, ck[1], cap, &len[1]));
        CHECK_OK(fcfit_sim_run(sim));
        CHECK_OK(fcfit_sim_checkpoint_resume(b, seeds, (const void *const *)ck, len));
        CHECK_INT(fcfit_sim_steps_done(b), 10000);
        CHECK_OK(fcfit_sim_run(b));
        CHECK_INT(fcfit_sim_lane_status(b, 0, &why1), FCFIT_TASK_DIVERGED);
        CHECK_TRUE(why0 != NULL && why1 != NULL && strcmp(why0, why1) == 0);
        CHECK_INT(fcfit_sim_lane_status(b, 1, NULL), FCFIT_TASK_OK);
        CHECK_TRUE(fcfit_sim_state(b)[1] == fcfit_sim_state(sim)[1] &&
                   fcfit_sim_state(b)[3] == fcfit_sim_state(sim)[3]);
        /* A truncated checkpoint is refused. */
        len[1] -= 8;
        CHECK_FAILS(fcfit_sim_checkpoint_resume(b, seeds, (const void *const *)ck, len),
                    FCFIT_ERR_INPUT, "inconsistent sizes");
        free(ck[0]);
        free(ck[1]);
        fcfit_sim_destroy(&b);
        fcfit_sim_destroy(&sim);
    }
    fcfit_connectome_destroy(&cn);
}

/*
 * One task (seed s, rate lam) run as lane `lane` of an L-lane batch (the
 * other lanes with other seeds and rates), advanced in chunks of `chunk`
 * steps; its BOLD and final state are copied out.
 */
static const char *g_engine = "";

static void run_lane(const fcfit_connectome *cn, fcfit_integrator integ, size_t L, size_t lane,
                     uint64_t s, double lam, size_t chunk, double *bold, double *state)
{
    fcfit_sim_config cfg = base_cfg(0.1, 400.0);
    fcfit_sim *sim = NULL;
    uint64_t *seeds = malloc(L * sizeof(uint64_t));
    const size_t N = cn->n;
    cfg.integrator = integ;
    cfg.bold_dt_ms = 1.0;
    cfg.tr_ms = 20.0;
    fcfit_sim_create(&sim, &lin_model, cn, &cfg, L);
    g_engine = fcfit_sim_coupling_engine(sim);
    for (size_t l = 0; l < L; l++) {
        seeds[l] = l == lane ? s : fcfit_rng_derive(77, l, 1);
        for (size_t i = 0; i < N; i++) {
            const size_t k = i * L + l;
            fcfit_sim_param(sim, LP_LAMBDA)[k] = l == lane ? lam : -0.3 - 0.1 * (double)l;
            fcfit_sim_param(sim, LP_MU)[k] = 0.02 * (double)(i + 1);
            fcfit_sim_param(sim, LP_K)[k] = 0.08;
            fcfit_sim_param(sim, LP_SIGMA)[k] = 0.1;
            fcfit_sim_param(sim, LP_X0)[k] = 0.1 * (double)(i % 5);
        }
    }
    fcfit_sim_reset(sim, seeds);
    while (!fcfit_sim_done(sim)) {
        fcfit_sim_advance(sim, chunk);
    }
    fcfit_sim_get_bold(sim, lane, bold);
    for (size_t i = 0; i < N; i++) {
        state[i] = fcfit_sim_state(sim)[i * L + lane];
    }
    fcfit_sim_destroy(&sim);
    free(seeds);
}

/*
 * Every coupling engine (dense and sliced without delays, block sums for
 * long delays, per-step sums for short ones, and their mix), every
 * specialised lane count (1, 2, 4, 8, 16) and the generic ones (3, 5, 12):
 * a task gives the same bits in any lane of any batch and for any chunking.
 */
static void test_engines_lane_invariance(void)
{
    enum { N = 13 };
    static const size_t lanes[] = {2, 3, 4, 5, 8, 12, 16};
    /* Delays in steps of 0.1 ms at 1 mm/ms: lengths 0.1 * D mm. */
    const struct {
        const char *name;
        double density;
        double dmin, dmax;  /* delay range in steps (0, 0: no delays) */
        const char *engine; /* the engine this case must select */
    } cases[] = {
        {"dense, no delays", 0.8, 0, 0, "dense"},
        {"sparse, no delays", 0.15, 0, 0, "sliced"},
        {"long delays", 0.5, 8, 60, "sliced, delays in blocks of 8 steps"},
        {"short and long delays", 0.6, 0, 25, "sliced, delays in blocks of 4 steps"},
        {"delays 0-4", 0.5, 0, 4, "sliced"},
        {"delays 3-9", 0.4, 3, 9, "sliced, delays in blocks of 4 steps"},
        {"delays 1-5", 0.4, 1, 5, "sliced, delays in blocks of 2 steps"},
        {"delays 7-12, a few short", 0.5, 7, 12, "sliced, delays in blocks of 8 steps"},
    };
    double w[N * N], len[N * N];
    double ref[N * 20], got[N * 20], xref[N], xgot[N];
    const size_t nv = 20;
    uint64_t z = 99;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        fcfit_connectome *cn;
        int same = 1;
        for (size_t k = 0; k < N * N; k++) {
            z = z * 6364136223846793005ULL + 1442695040888963407ULL;
            const double u = (double)(z >> 11) * 0x1p-53;
            const double v = (double)((z >> 3) & 0xff) / 256.0;
            w[k] = (k % (N + 1) != 0 && u < cases[c].density) ? 0.2 + u : 0.0;
            len[k] = 0.1 * floor(cases[c].dmin + v * (cases[c].dmax - cases[c].dmin + 1.0));
            if (c == 7 && k % 23 == 5) {
                len[k] = 0.2; /* a few near edges (2 steps) beside the blocks */
            }
        }
        cn = make_conn(N, w, cases[c].dmax > 0 ? len : NULL, cases[c].dmax > 0 ? 1.0 : 0.0, 0.1);
        for (int integ = 0; integ < 2; integ++) {
            run_lane(cn, (fcfit_integrator)integ, 1, 0, 1234, -0.45, (size_t)-1, ref, xref);
            run_lane(cn, (fcfit_integrator)integ, 1, 0, 1234, -0.45, 7, got, xgot);
            same &= memcmp(ref, got, sizeof(double) * N * nv) == 0;
            same &= memcmp(xref, xgot, sizeof xref) == 0;
            for (size_t q = 0; q < sizeof lanes / sizeof lanes[0]; q++) {
                run_lane(cn, (fcfit_integrator)integ, lanes[q], lanes[q] - 1, 1234, -0.45,
                         q % 2 == 0 ? 13 : 100, got, xgot);
                same &= memcmp(ref, got, sizeof(double) * N * nv) == 0;
                same &= memcmp(xref, xgot, sizeof xref) == 0;
            }
        }
        printf("     engines, %s (%s): %s\n", cases[c].name, g_engine,
               same ? "bitwise equal" : "DIFFERENT");
        CHECK_TRUE(same);
        CHECK_TRUE(strcmp(g_engine, cases[c].engine) == 0);
        fcfit_connectome_destroy(&cn);
    }
}

int main(void)
{
    test_ode_order();
    test_ou_moments();
    test_em_strong();
    test_delays();
    test_chunk_and_batch_invariance();
    test_engines_lane_invariance();
    test_config_errors();
    test_divergence_status();
    return fcfit_test_finish();
}
