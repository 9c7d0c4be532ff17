/*
 * jansen_rit.c: Jansen–Rit cortical column (pyramidal cells, excitatory and
 * inhibitory interneurons), Jansen & Rit 1995 (Biol Cybern 73:357), with the
 * network coupling of TVB's SigmoidalJansenRit. MODELS.md §6; docs/models/jr.md.
 *
 * Units: time in ms, potentials in mV, rates in 1/ms. TVB state naming:
 *
 *   S(v)    = nu_max / (1 + exp(r (v0 - v)))
 *   dy0/dt  = y3
 *   dy1/dt  = y4
 *   dy2/dt  = y5
 *   dy3/dt  = A a S(y1 - y2)                                   - 2 a y3 - a^2 y0
 *   dy4/dt  = A a (p_i + a2 C S(a1 C y0) + G c_i) + A a sigma_p xi - 2 a y4 - a^2 y1
 *   dy5/dt  = B b  a4 C S(a3 C y0)                             - 2 b y5 - b^2 y2
 *
 * Coupling (pre-summation sigmoid, TVB SigmoidalJansenRit): each region sends
 * Sc(y1 - y2) = cmax / (1 + exp(cr (cmid - (y1 - y2)))) and receives
 * c_i = sum_j C_ij Sc_j(t - d_ij), scaled by the global gain G inside A a (...).
 *
 * Noise (MODELS.md §6.5 REC): the input rate is Gaussian white,
 * p(t) = p + sigma_p xi / sqrt(dt), which is additive noise A a sigma_p per
 * sqrt(ms) on y4. BOLD drive: the pyramidal firing rate S(y1 - y2) in Hz
 * (x1000). Defaults: JR 1995 (v0 = 6 mV, mean input 220/s). Initial state:
 * zeros. No state bounds.
 */
#include "models/models_impl.h"

enum {
    P_A,
    P_B,
    P_a,
    P_b,
    P_NU,
    P_V0,
    P_R,
    P_C,
    P_A1,
    P_A2,
    P_A3,
    P_A4,
    P_P,
    P_G,
    P_CMAX,
    P_CMID,
    P_CR,
    P_SIGMA,
    NP
};

static const fcfit_model_param jr_params[NP] = {
    [P_A] = {"A", "mV", 3.25, 0.0, 100.0, FCFIT_PARAM_REGIONAL, "maximum excitatory PSP amplitude"},
    [P_B] = {"B", "mV", 22.0, 0.0, 500.0, FCFIT_PARAM_REGIONAL, "maximum inhibitory PSP amplitude"},
    [P_a] = {"a", "1/ms", 0.1, 1e-4, 10.0, FCFIT_PARAM_REGIONAL,
             "excitatory rate constant (inverse PSP time constant)"},
    [P_b] = {"b", "1/ms", 0.05, 1e-4, 10.0, FCFIT_PARAM_REGIONAL,
             "inhibitory rate constant (inverse PSP time constant)"},
    [P_NU] = {"nu_max", "1/ms", 0.005, 0.0, 1.0, FCFIT_PARAM_REGIONAL,
              "maximum firing rate of the sigmoid (2*e0)"},
    [P_V0] = {"v0", "mV", 6.0, -100.0, 100.0, FCFIT_PARAM_REGIONAL,
              "potential at half-maximum firing rate"},
    [P_R] = {"r", "1/mV", 0.56, 0.0, 100.0, FCFIT_PARAM_REGIONAL, "steepness of the sigmoid"},
    [P_C] = {"C", "1", 135.0, 0.0, 10000.0, FCFIT_PARAM_REGIONAL,
             "average number of synaptic contacts (J)"},
    [P_A1] = {"a1", "1", 1.0, 0.0, 100.0, 0, "pyramidal to excitatory interneurons (C1 = a1*C)"},
    [P_A2] = {"a2", "1", 0.8, 0.0, 100.0, 0, "excitatory interneurons to pyramidal (C2 = a2*C)"},
    [P_A3] = {"a3", "1", 0.25, 0.0, 100.0, 0, "pyramidal to inhibitory interneurons (C3 = a3*C)"},
    [P_A4] = {"a4", "1", 0.25, 0.0, 100.0, 0, "inhibitory interneurons to pyramidal (C4 = a4*C)"},
    [P_P] = {"p", "1/ms", 0.22, -10.0, 10.0, FCFIT_PARAM_REGIONAL,
             "mean extrinsic input rate to the pyramidal population (220/s)"},
    [P_G] = {"G", "1", 1.0, 0.0, 10000.0, 0, "global coupling gain on the incoming rates"},
    [P_CMAX] = {"coupling_max", "1/ms", 0.005, 0.0, 1.0, 0,
                "maximum rate of the coupling sigmoid (TVB SigmoidalJansenRit cmax)"},
    [P_CMID] = {"coupling_midpoint", "mV", 6.0, -100.0, 100.0, 0,
                "midpoint of the coupling sigmoid"},
    [P_CR] = {"coupling_r", "1/mV", 0.56, 0.0, 100.0, 0, "steepness of the coupling sigmoid"},
    [P_SIGMA] = {"sigma_p", "1/sqrt(ms)", 0.03, 0.0, 10.0,
                 FCFIT_PARAM_NOISE | FCFIT_PARAM_REGIONAL,
                 "white-noise intensity of the input rate p (noise A*a*sigma_p on y4)"},
};

static const char *const jr_states[] = {"y0", "y1", "y2", "y3", "y4", "y5"};
static const char *const jr_units[] = {"mV", "mV", "mV", "mV/ms", "mV/ms", "mV/ms"};
static const size_t jr_couple[] = {1};
static const size_t jr_noise_vars[] = {4};

static inline double jr_sigmoid(double v, double nu, double r, double v0)
{
    return nu / (1.0 + fcfit_vm_exp(r * (v0 - v)));
}

static void jr_init(const fcfit_model_ctx *ctx, double *x, gsl_rng *const *rngs)
{
    (void)rngs;
    for (size_t k = 0; k < 6 * ctx->n; k++) {
        x[k] = 0.0;
    }
}

FCFIT_VM_CLONES
static void jr_drift(const fcfit_model_ctx *ctx, const double *restrict x,
                     const double *restrict c, double *restrict dx)
{
    const double *const *p = ctx->p;
    const size_t n = ctx->n;
    const double *y0 = x, *y1 = x + n, *y2 = x + 2 * n;
    const double *y3 = x + 3 * n, *y4 = x + 4 * n, *y5 = x + 5 * n;
FCFIT_IVDEP
    for (size_t k = 0; k < n; k++) { /* fcfit:vectorize */
        const double A = p[P_A][k], B = p[P_B][k], a = p[P_a][k], b = p[P_b][k];
        const double nu = p[P_NU][k], v0 = p[P_V0][k], r = p[P_R][k], C = p[P_C][k];
        const double s_pyr = jr_sigmoid(y1[k] - y2[k], nu, r, v0);
        const double s_exc = jr_sigmoid(p[P_A1][k] * C * y0[k], nu, r, v0);
        const double s_inh = jr_sigmoid(p[P_A3][k] * C * y0[k], nu, r, v0);
        dx[k] = y3[k];
        dx[n + k] = y4[k];
        dx[2 * n + k] = y5[k];
        dx[3 * n + k] = A * a * s_pyr - 2.0 * a * y3[k] - a * a * y0[k];
        dx[4 * n + k] = A * a * (p[P_P][k] + p[P_A2][k] * C * s_exc + p[P_G][k] * c[k]) -
                        2.0 * a * y4[k] - a * a * y1[k];
        dx[5 * n + k] = B * b * p[P_A4][k] * C * s_inh - 2.0 * b * y5[k] - b * b * y2[k];
    }
}

static void jr_noise(const fcfit_model_ctx *ctx, double *g)
{
    for (size_t k = 0; k < ctx->n; k++) {
        g[k] = ctx->p[P_A][k] * ctx->p[P_a][k] * ctx->p[P_SIGMA][k];
    }
}

FCFIT_VM_CLONES
static void jr_cout(const fcfit_model_ctx *ctx, const double *restrict x, double *restrict y)
{
    const double *const *p = ctx->p;
    const size_t n = ctx->n;
FCFIT_IVDEP
    for (size_t k = 0; k < n; k++) { /* fcfit:vectorize */
        y[k] = jr_sigmoid(x[n + k] - x[2 * n + k], p[P_CMAX][k], p[P_CR][k], p[P_CMID][k]);
    }
}

FCFIT_VM_CLONES
static void jr_drive(const fcfit_model_ctx *ctx, const double *restrict x,
                     const double *restrict c, double *restrict z)
{
    const double *const *p = ctx->p;
    const size_t n = ctx->n;
FCFIT_IVDEP
    for (size_t k = 0; k < n; k++) { /* fcfit:vectorize */
        z[k] = 1000.0 * jr_sigmoid(x[n + k] - x[2 * n + k], p[P_NU][k], p[P_R][k], p[P_V0][k]);
    }
}

const fcfit_model_type fcfit_model_jr = {
    .name = "jr",
    .long_name = "Jansen-Rit cortical column (JR 1995, TVB sigmoidal coupling)",
    .citation = "Jansen & Rit 1995 Biol Cybern 73:357; Sanz-Leon et al. 2015 NeuroImage 111:385",
    .doc = "docs/models/jr.md",
    .default_integrator = 1,
    .default_dt_ms = 0.1,
    .ms_per_unit = 1.0,
    .n_state = 6,
    .state_names = jr_states,
    .state_units = jr_units,
    .n_params = NP,
    .params = jr_params,
    .n_options = 0,
    .options = NULL,
    .n_coupling = 1,
    .coupling_vars = jr_couple,
    .coupling_desc = "pyramidal rate Sc(y1 - y2) (coupling sigmoid, 1/ms), entering dy4 as "
                     "A*a*G*sum_j C_ij Sc_j",
    .n_noise = 1,
    .noise_vars = jr_noise_vars,
    .bold_var = 1,
    .bold_desc = "pyramidal firing rate S(y1 - y2) in Hz",
    .bind = NULL,
    .free_priv = NULL,
    .init = jr_init,
    .drift = jr_drift,
    .noise = jr_noise,
    .clamp = NULL,
    .coupling_out = jr_cout,
    .bold_drive = jr_drive,
    .check = NULL,
};
