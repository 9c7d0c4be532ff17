/*
 * mpr.c: Montbrió–Pazó–Roxin next-generation neural mass (Montbrió, Pazó &
 * Roxin 2015, Phys Rev X 5:021028; whole-brain use: Rabuffo et al. 2021,
 * vbi). MODELS.md §2; docs/models/mpr.md.
 *
 * Time is in units of the membrane time constant, one unit = 10 ms
 * (ms_per_unit = 10, vbi's convention), so sim.dt_ms = 0.1 is dt = 0.01.
 *
 *   tau dr_i/dt = Delta / (pi tau) + 2 r_i v_i
 *   tau dv_i/dt = v_i^2 + eta_i + J tau r_i - (pi tau r_i)^2 + I_i + G sum_j C_ij r_j(t - d_ij)
 *
 * Coupling through r, inside the 1/tau factor (TVB, vbi). Noise as in TVB's
 * additive noise with nsig = [D, 2D]: r += sqrt(2 D) sqrt(dt) xi_r,
 * v += sqrt(4 D) sqrt(dt) xi_v. r is clamped at 0 after every (sub)step. The
 * BOLD drive is the dimensionless r (vbi). Initial state as vbi:
 * r ~ U(0, 1.5), v ~ U(-2, 2), from each lane's own stream. Defaults: vbi's
 * working point (J 14.5, Delta 0.7, eta -4.6, G 0.5, D 0.037).
 */
#include <gsl/gsl_rng.h>

#include "models/models_impl.h"

enum { P_TAU, P_DELTA, P_J, P_ETA, P_I, P_G, P_D, NP };

static const fcfit_model_param mpr_params[NP] = {
    [P_TAU] = {"tau", "1", 1.0, 0.01, 100.0, 0,
               "membrane time constant in model time units (1 unit = 10 ms)"},
    [P_DELTA] = {"Delta", "1", 0.7, 1e-6, 100.0, FCFIT_PARAM_REGIONAL,
                 "half-width of the Lorentzian excitability distribution"},
    [P_J] = {"J", "1", 14.5, -100.0, 100.0, FCFIT_PARAM_REGIONAL, "mean synaptic weight"},
    [P_ETA] = {"eta", "1", -4.6, -100.0, 100.0, FCFIT_PARAM_REGIONAL,
               "centre of the excitability distribution"},
    [P_I] = {"I", "1", 0.0, -100.0, 100.0, FCFIT_PARAM_REGIONAL, "constant external current"},
    [P_G] = {"G", "1", 0.5, 0.0, 100.0, 0, "global coupling through r"},
    [P_D] = {"D", "1", 0.037, 0.0, 100.0, FCFIT_PARAM_NOISE | FCFIT_PARAM_REGIONAL,
             "noise intensity (TVB nsig): variance 2D on r and 4D on v per unit time"},
};

static const char *const mpr_states[] = {"r", "v"};
static const char *const mpr_units[] = {"1", "1"};
static const size_t mpr_couple[] = {0};
static const size_t mpr_noise_vars[] = {0, 1};

static void mpr_init(const fcfit_model_ctx *ctx, double *x, gsl_rng *const *rngs)
{
    const size_t N = ctx->n_nodes, L = ctx->n_lanes, n = ctx->n;
    for (size_t l = 0; l < L; l++) {
        for (size_t i = 0; i < N; i++) {
            x[i * L + l] = 1.5 * gsl_rng_uniform(rngs[l]);
        }
        for (size_t i = 0; i < N; i++) {
            x[n + i * L + l] = -2.0 + 4.0 * gsl_rng_uniform(rngs[l]);
        }
    }
}

FCFIT_VM_CLONES
static void mpr_drift(const fcfit_model_ctx *ctx, const double *restrict x,
                      const double *restrict c, double *restrict dx)
{
    const double *const *p = ctx->p;
    const size_t n = ctx->n;
    const double *r = x, *v = x + n;
    double *dr = dx, *dv = dx + n;
FCFIT_IVDEP
    for (size_t k = 0; k < n; k++) { /* fcfit:vectorize */
        const double tau = p[P_TAU][k];
        const double pitr = M_PI * tau * r[k];
        dr[k] = (p[P_DELTA][k] / (M_PI * tau) + 2.0 * r[k] * v[k]) / tau;
        dv[k] = (v[k] * v[k] + p[P_ETA][k] + p[P_J][k] * tau * r[k] - pitr * pitr + p[P_I][k] +
                 p[P_G][k] * c[k]) /
                tau;
    }
}

static void mpr_noise(const fcfit_model_ctx *ctx, double *g)
{
    const size_t n = ctx->n;
    for (size_t k = 0; k < n; k++) {
        g[k] = sqrt(2.0 * ctx->p[P_D][k]);
        g[n + k] = sqrt(4.0 * ctx->p[P_D][k]);
    }
}

FCFIT_VM_CLONES
static void mpr_clamp(const fcfit_model_ctx *ctx, double *x)
{
    for (size_t k = 0; k < ctx->n; k++) { /* fcfit:vectorize */
        x[k] = x[k] < 0.0 ? 0.0 : x[k];
    }
}

const fcfit_model_type fcfit_model_mpr = {
    .name = "mpr",
    .long_name = "Montbrio-Pazo-Roxin mean field of quadratic integrate-and-fire neurons",
    .citation = "Montbrio, Pazo & Roxin 2015 Phys Rev X 5:021028; Rabuffo et al. 2021 eNeuro",
    .doc = "docs/models/mpr.md",
    .default_integrator = 1,
    .default_dt_ms = 0.1,
    .ms_per_unit = 10.0,
    .n_state = 2,
    .state_names = mpr_states,
    .state_units = mpr_units,
    .n_params = NP,
    .params = mpr_params,
    .n_options = 0,
    .options = NULL,
    .n_coupling = 1,
    .coupling_vars = mpr_couple,
    .coupling_desc = "r (firing rate), entering the v equation as G*sum_j C_ij r_j",
    .n_noise = 2,
    .noise_vars = mpr_noise_vars,
    .bold_var = 0,
    .bold_desc = "r (dimensionless rate in tau units; x100 = Hz for tau = 10 ms)",
    .bind = NULL,
    .free_priv = NULL,
    .init = mpr_init,
    .drift = mpr_drift,
    .noise = mpr_noise,
    .clamp = mpr_clamp,
    .coupling_out = NULL,
    .bold_drive = NULL,
    .check = NULL,
};
