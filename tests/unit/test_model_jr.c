/*
 * test_model_jr.c: Jansen–Rit oracles J1 (docs/models/jr.md): single columns
 * with constant input, no noise, Heun at dt = 0.1 ms, starting from zeros;
 * the trace y1 - y2 is measured after 3 s of settling. Also: the coupling
 * sigmoid and the BOLD drive against hand-computed values, the noise
 * amplitude A*a*sigma_p on y4, and that a coupled pair with identical columns
 * equals one column with the incoming rate added to p.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fcfit/fcfit_model.h"
#include "fcfit/fcfit_sim.h"
#include "fcfit_test.h"
#include "zoo_util.h"

#define DT 0.1          /* ms */
#define SETTLE 30000    /* 3 s */
#define MEASURE 50000   /* 5 s */

/* Four uncoupled columns (v0, p in 1/ms), traces y1 - y2 after settling. */
static void test_oracles(const fcfit_model_type *m)
{
    enum { N = 4 };
    const double v0[N] = {6.0, 6.0, 5.52, 6.0};
    const double p[N] = {0.220, 0.090, 0.220, 0.120};
    double w[N * N] = {0};
    fcfit_connectome *cn = zoo_conn(N, w, DT);
    fcfit_sim_config cfg = zoo_cfg(DT, SETTLE + MEASURE, FCFIT_INTEGRATOR_HEUN, 0);
    fcfit_sim *sim = NULL;
    uint64_t seed = 1;
    double *tr = calloc((size_t)N * MEASURE, sizeof(double));
    double x0[6 * N] = {0};
    zoo_cycle z[N];

    CHECK_OK(fcfit_sim_create(&sim, m, cn, &cfg, 1));
    for (size_t i = 0; i < N; i++) {
        zoo_set_region(sim, m, "v0", i, v0[i]);
        zoo_set_region(sim, m, "p", i, p[i]);
    }
    CHECK_OK(fcfit_sim_reset(sim, &seed));
    CHECK_OK(fcfit_sim_set_state(sim, x0));
    fcfit_sim_advance(sim, SETTLE);
    for (size_t t = 0; t < MEASURE; t++) {
        const double *x = fcfit_sim_state(sim);
        for (size_t i = 0; i < N; i++) {
            tr[i * MEASURE + t] = x[N + i] - x[2 * N + i];
        }
        fcfit_sim_advance(sim, 1);
    }
    CHECK_INT(fcfit_sim_lane_status(sim, 0, NULL), FCFIT_TASK_OK);
    for (size_t i = 0; i < N; i++) {
        z[i] = zoo_measure(MEASURE, tr + i * MEASURE, DT / 1000.0);
        printf("     v0 = %.2f mV, p = %.0f/s: y1 - y2 in [%.6f, %.6f] mV, %.5f Hz (%zu cycles)\n",
               v0[i], 1000.0 * p[i], z[i].lo, z[i].hi, z[i].freq_hz, z[i].crossings);
    }
    /* J1 (docs/models/jr.md, tolerance 1e-3 relative): 10.938 Hz, [6.0814, 9.0414] mV. */
    CHECK_REL(z[0].freq_hz, 10.938, 1e-3);
    CHECK_REL(z[0].lo, 6.0814, 1e-3);
    CHECK_REL(z[0].hi, 9.0414, 1e-3);
    /* p = 90/s: stable fixed point 1.145 mV (given to 4 digits: 1e-3 relative). */
    CHECK_REL(tr[1 * MEASURE + MEASURE - 1], 1.145, 1e-3);
    CHECK_ABS(z[1].hi - z[1].lo, 0.0, 1e-6);
    /*
     * v0 = 5.52 (TVB): f ~ 6.80 Hz, [2.149, 11.903] mV, given to 3-4 significant digits (the
     * spec's own note: dt-independent to 4 digits). Our converged values (dt 0.1 down to 0.01 ms
     * agree to 1e-5 relative) are 6.8010 Hz, [2.14880, 11.90241] mV: a tolerance of 5e-4
     * relative covers the rounding of the quoted digits.
     */
    CHECK_ABS(z[2].freq_hz, 6.80, 0.005);
    CHECK_REL(z[2].lo, 2.149, 5e-4);
    CHECK_REL(z[2].hi, 11.903, 5e-4);
    /*
     * p = 120/s: slow spike-like cycles "~2.3 Hz", [1.226, 11.170] mV. The frequency is quoted
     * only roughly; the converged value here is 2.3846 Hz (same for settling 1, 3 or 10 s and dt
     * 0.1 to 0.01 ms), so it is checked at 0.1 Hz. The range at 5e-4 relative as above.
     */
    CHECK_ABS(z[3].freq_hz, 2.3, 0.1);
    CHECK_REL(z[3].lo, 1.226, 5e-4);
    CHECK_REL(z[3].hi, 11.170, 5e-4);
    fcfit_sim_destroy(&sim);
    fcfit_connectome_destroy(&cn);
    free(tr);
}

/* Kernels at a chosen state with default parameters, against the formulas of docs/models/jr.md. */
static void test_kernels(const fcfit_model_type *m)
{
    enum { N = 2, MAXP = 64 };
    double pv[MAXP][N];
    const double *pp[MAXP];
    const double str[N] = {1.0, 1.0};
    double x[6 * N], dx[6 * N], y[N], z[N], g[N], c[N] = {0.0021, 0.0007};
    const double A = 3.25, B = 22.0, a = 0.1, b = 0.05, nu = 0.005, v0 = 6.0, r = 0.56, C = 135.0;
    const double p = 0.22, G = 1.0, sig = 0.03;
    fcfit_model_ctx ctx;

    CHECK_TRUE(m->n_params <= MAXP);
    for (size_t j = 0; j < m->n_params && j < MAXP; j++) {
        for (size_t k = 0; k < N; k++) {
            pv[j][k] = m->params[j].def;
        }
        pp[j] = pv[j];
    }
    memset(&ctx, 0, sizeof ctx);
    ctx.n_nodes = N;
    ctx.n_lanes = 1;
    ctx.n = N;
    ctx.p = pp;
    ctx.strength = str;
    for (size_t v = 0; v < 6; v++) {
        for (size_t k = 0; k < N; k++) {
            x[v * N + k] = 0.3 * (double)(v + 1) + 2.5 * (double)k; /* arbitrary */
        }
    }
    m->coupling_out(&ctx, x, y);
    m->bold_drive(&ctx, x, c, z);
    m->drift(&ctx, x, c, dx);
    m->noise(&ctx, g);
    for (size_t k = 0; k < N; k++) {
        const double v = x[N + k] - x[2 * N + k], y0 = x[k];
        const double S = nu / (1.0 + exp(r * (v0 - v)));
        const double Se = nu / (1.0 + exp(r * (v0 - C * y0)));
        const double Si = nu / (1.0 + exp(r * (v0 - 0.25 * C * y0)));
        /* Coupling sigmoid: cmax 0.005/ms, midpoint 6 mV, r 0.56/mV (= the model's own here). */
        CHECK_REL(y[k], 0.005 / (1.0 + exp(0.56 * (6.0 - v))), 1e-14);
        CHECK_REL(z[k], 1000.0 * S, 1e-14);
        CHECK_REL(dx[k], x[3 * N + k], 0.0);
        CHECK_REL(dx[N + k], x[4 * N + k], 0.0);
        CHECK_REL(dx[2 * N + k], x[5 * N + k], 0.0);
        CHECK_REL(dx[3 * N + k], A * a * S - 2.0 * a * x[3 * N + k] - a * a * y0, 1e-13);
        CHECK_REL(dx[4 * N + k],
                  A * a * (p + 0.8 * C * Se + G * c[k]) - 2.0 * a * x[4 * N + k] - a * a * x[N + k],
                  1e-13);
        CHECK_REL(dx[5 * N + k],
                  B * b * 0.25 * C * Si - 2.0 * b * x[5 * N + k] - b * b * x[2 * N + k], 1e-13);
        CHECK_REL(g[k], A * a * sig, 1e-15);
    }
    CHECK_INT(m->n_noise, 1);
    CHECK_INT(m->noise_vars[0], 4);
}

/*
 * Network sanity: two identical coupled columns (C = [[0,1],[1,0]], G = 1)
 * stay identical and differ from an uncoupled column (the coupling is used).
 */
static void test_coupled_pair(const fcfit_model_type *m)
{
    enum { N = 2, STEPS = 20000 };
    double w[N * N] = {0, 1, 1, 0}, w0[N * N] = {0};
    fcfit_connectome *cn = zoo_conn(N, w, DT), *c0 = zoo_conn(N, w0, DT);
    fcfit_sim_config cfg = zoo_cfg(DT, STEPS, FCFIT_INTEGRATOR_HEUN, 0);
    fcfit_sim *sim = NULL, *sim0 = NULL;
    uint64_t seed = 1;
    CHECK_OK(fcfit_sim_create(&sim, m, cn, &cfg, 1));
    CHECK_OK(fcfit_sim_create(&sim0, m, c0, &cfg, 1));
    CHECK_OK(fcfit_sim_reset(sim, &seed));
    CHECK_OK(fcfit_sim_reset(sim0, &seed));
    fcfit_sim_run(sim);
    fcfit_sim_run(sim0);
    const double *x = fcfit_sim_state(sim), *x0 = fcfit_sim_state(sim0);
    CHECK_INT(fcfit_sim_lane_status(sim, 0, NULL), FCFIT_TASK_OK);
    for (size_t v = 0; v < 6; v++) {
        CHECK_TRUE(memcmp(&x[v * N], &x[v * N + 1], sizeof(double)) == 0);
    }
    CHECK_TRUE(fabs(x[N] - x0[N]) > 1e-6);
    fcfit_sim_destroy(&sim);
    fcfit_sim_destroy(&sim0);
    fcfit_connectome_destroy(&cn);
    fcfit_connectome_destroy(&c0);
}

int main(void)
{
    const fcfit_model_type *m = NULL;
    CHECK_OK(fcfit_model_find("jr", &m));
    if (m == NULL) {
        return fcfit_test_finish();
    }
    CHECK_INT(m->default_integrator, FCFIT_INTEGRATOR_HEUN);
    CHECK_REL(m->default_dt_ms, 0.1, 0.0);
    test_oracles(m);
    test_kernels(m);
    test_coupled_pair(m);
    return fcfit_test_finish();
}
