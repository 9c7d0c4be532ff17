/*
 * rww.c: reduced Wong–Wang model, one excitatory population per region
 * (Wong & Wang 2006; whole-brain use: Deco et al. 2013, J Neurosci
 * 33(27):11239). MODELS.md §3; docs/models/rww.md.
 *
 * Units: time in ms, currents in nA, rates in Hz (so gamma enters as
 * gamma/1000 per ms per Hz, MODELS.md §12 item 3).
 *
 *   x_i = w J_N S_i + G J_N sum_j C_ij S_j(t - d_ij) + I_0 + I_ext,i      [nA]
 *   H_i = (a x_i - b) / (1 - exp(-d (a x_i - b)))                        [Hz]
 *   dS_i/dt = -S_i / tau_S + (1 - S_i) (gamma/1000) H_i + sigma xi_i(t)  [1/ms]
 *
 * S is clamped to [0, 1] after every (sub)step. The coupling variable and
 * the BOLD drive are S (Deco 2013, vbi). Default parameters: Deco 2013
 * (w = 0.9, I_0 = 0.3 nA).
 */
#include <stdlib.h>

#include "models/models_impl.h"

enum { P_G, P_W, P_I0, P_JN, P_A, P_B, P_D, P_GAMMA, P_TAU, P_IEXT, P_SIGMA, P_S0, NP };

static const fcfit_model_param rww_params[NP] = {
    [P_G] = {"G", "1", 0.6, 0.0, 100.0, 0, "global coupling (scales the normalised connectome)"},
    [P_W] = {"w", "1", 0.9, 0.0, 5.0, FCFIT_PARAM_REGIONAL, "local excitatory recurrence"},
    [P_I0] = {"I0", "nA", 0.3, -2.0, 2.0, FCFIT_PARAM_REGIONAL, "effective external input"},
    [P_JN] = {"J_N", "nA", 0.2609, 0.0, 5.0, 0, "NMDA synaptic coupling"},
    [P_A] = {"a", "1/nC", 270.0, 1.0, 10000.0, 0, "transfer function gain"},
    [P_B] = {"b", "Hz", 108.0, 0.0, 10000.0, 0, "transfer function threshold"},
    [P_D] = {"d", "s", 0.154, 1e-4, 10.0, 0, "transfer function curvature"},
    [P_GAMMA] = {"gamma", "1", 0.641, 0.0, 10.0, 0,
                 "kinetic parameter (per s per Hz; divided by 1000 internally)"},
    [P_TAU] = {"tau_S", "ms", 100.0, 0.1, 10000.0, 0, "NMDA decay time"},
    [P_IEXT] = {"I_ext", "nA", 0.0, -2.0, 2.0, FCFIT_PARAM_REGIONAL, "extra constant input"},
    [P_SIGMA] = {"sigma", "1/sqrt(ms)", 0.001, 0.0, 1.0, FCFIT_PARAM_NOISE | FCFIT_PARAM_REGIONAL,
                 "noise standard deviation on S"},
    [P_S0] = {"S0", "1", 0.001, 0.0, 1.0, 0, "initial gating S of every region"},
};

static const char *const rww_states[] = {"S"};
static const char *const rww_units[] = {"1"};
static const size_t rww_couple[] = {0};
static const size_t rww_noise_vars[] = {0};

static void rww_init(const fcfit_model_ctx *ctx, double *x, gsl_rng *const *rngs)
{
    const double *s0 = ctx->p[P_S0];
    for (size_t k = 0; k < ctx->n; k++) {
        x[k] = s0[k];
    }
}

FCFIT_VM_CLONES
static void rww_drift(const fcfit_model_ctx *ctx, const double *restrict x,
                      const double *restrict c, double *restrict dx)
{
    const double *const *p = ctx->p;
    const size_t n = ctx->n;
FCFIT_IVDEP
    for (size_t k = 0; k < n; k++) { /* fcfit:vectorize */
        const double S = x[k];
        const double jn = p[P_JN][k];
        const double cur = p[P_W][k] * jn * S + p[P_G][k] * jn * c[k] + p[P_I0][k] + p[P_IEXT][k];
        const double h = fcfit_abbott_chance(p[P_A][k] * cur - p[P_B][k], p[P_D][k]);
        dx[k] = -S / p[P_TAU][k] + (1.0 - S) * (p[P_GAMMA][k] / 1000.0) * h;
    }
}

static void rww_noise(const fcfit_model_ctx *ctx, double *g)
{
    for (size_t k = 0; k < ctx->n; k++) {
        g[k] = ctx->p[P_SIGMA][k];
    }
}

FCFIT_VM_CLONES
static void rww_clamp(const fcfit_model_ctx *ctx, double *x)
{
    for (size_t k = 0; k < ctx->n; k++) { /* fcfit:vectorize */
        x[k] = x[k] < 0.0 ? 0.0 : (x[k] > 1.0 ? 1.0 : x[k]);
    }
}

const fcfit_model_type fcfit_model_rww = {
    .name = "rww",
    .long_name = "Reduced Wong-Wang, one excitatory population (Deco 2013)",
    .citation = "Wong & Wang 2006 J Neurosci 26:1314; Deco et al. 2013 J Neurosci 33(27):11239",
    .doc = "docs/models/rww.md",
    .default_integrator = 0,
    .default_dt_ms = 0.1,
    .ms_per_unit = 1.0,
    .n_state = 1,
    .state_names = rww_states,
    .state_units = rww_units,
    .n_params = NP,
    .params = rww_params,
    .n_options = 0,
    .options = NULL,
    .n_coupling = 1,
    .coupling_vars = rww_couple,
    .coupling_desc = "S (NMDA gating), entering as G*J_N*sum_j C_ij S_j",
    .n_noise = 1,
    .noise_vars = rww_noise_vars,
    .bold_var = 0,
    .bold_desc = "S (dimensionless gating)",
    .bind = NULL,
    .free_priv = NULL,
    .init = rww_init,
    .drift = rww_drift,
    .noise = rww_noise,
    .clamp = rww_clamp,
    .coupling_out = NULL,
    .bold_drive = NULL,
    .check = NULL,
};
