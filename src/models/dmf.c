/*
 * dmf.c: Dynamic Mean Field model, an excitatory and an inhibitory
 * population per region with feedback inhibition control (Deco et al. 2014,
 * J Neurosci 34(23):7886; FastDMF: Herzog et al. 2024, Netw Neurosci
 * 8(4):1590; receptor neuromodulation: Deco et al. 2018, Curr Biol
 * 28(19):3065). MODELS.md §4; docs/models/dmf.md.
 *
 * Units: time in ms, currents in nA, rates in Hz; gamma_E, gamma_I are the
 * s-unit values (0.641, 1) and enter as gamma/1000 per ms per Hz.
 *
 *   I_E = W_E I0 + w_plus J_N S_E + G J_N c - J S_I + I_ext            [nA]
 *   I_I = W_I I0 + J_N S_E - S_I + lambda G J_N c                      [nA]
 *   r_E = H_E((a_E I_E - b_E)(1 + R s_E)),  r_I = H_I((a_I I_I - b_I)(1 + R s_I))
 *   H(y) = y / (1 - exp(-d y))                                         [Hz]
 *   dS_E/dt = -S_E/tau_E + (1 - S_E) gamma_E r_E / 1000 + sigma xi_E
 *   dS_I/dt = -S_I/tau_I + gamma_I r_I / 1000             + sigma xi_I
 *
 * c_i = sum_j C_ij S_E,j(t - d_ij) is the framework's raw coupling sum of
 * S_E. S_E and S_I are clamped to [0, 1] after every (sub)step. The BOLD
 * drive is r_E in Hz, computed from the state and the same coupling input
 * by the same inline functions as the drift, so it is bitwise the rate the
 * drift uses (delays included).
 *
 * The option `fic` chooses J (the local I -> E weight) at bind time:
 *   none       J as given;
 *   heuristic  J_i = fic_slope G s_i + 1 (FastDMF; s_i = row strength);
 *   closed     J_i such that r_E,i = fic_target_hz is a fixed point
 *              (MODELS.md §4.6, extended to R, s_E, s_I, lambda and I_ext;
 *              Brent root finding, see fcfit_dmf_fic_closed);
 *   iterative  fcfit_sim_tune starts from the closed form and moves J by
 *              `gain` per Hz of mean-rate error (noisy targets).
 * A lane whose closed form has no solution is marked out of domain; the
 * other lanes run.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>

#include "models/dmf_impl.h"
#include "models/models_impl.h"

enum {
    P_G,
    P_JN,
    P_I0,
    P_WE,
    P_WI,
    P_WPLUS,
    P_AE,
    P_BE,
    P_DE,
    P_AI,
    P_BI,
    P_DI,
    P_TAUE,
    P_TAUI,
    P_GAME,
    P_GAMI,
    P_LAMBDA,
    P_SIGMA,
    P_IEXT,
    P_J,
    P_R,
    P_SE,
    P_SI,
    P_FIC_SLOPE,
    P_FIC_TARGET,
    P_FIC_TOL,
    P_FIC_MAXIT,
    P_FIC_MS,
    P_SE0,
    P_SI0,
    NP
};

#define REG FCFIT_PARAM_REGIONAL

static const fcfit_model_param dmf_params[NP] = {
    [P_G] = {"G", "1", 2.0, 0.0, 100.0, 0, "global coupling (scales the normalised connectome)"},
    [P_JN] = {"J_N", "nA", 0.15, 0.0, 5.0, 0, "NMDA synaptic coupling"},
    [P_I0] = {"I0", "nA", 0.382, -2.0, 2.0, REG, "effective external input"},
    [P_WE] = {"W_E", "1", 1.0, 0.0, 10.0, REG, "scaling of the external input to E"},
    [P_WI] = {"W_I", "1", 0.7, 0.0, 10.0, REG, "scaling of the external input to I"},
    [P_WPLUS] = {"w_plus", "1", 1.4, 0.0, 10.0, REG, "local excitatory recurrence"},
    [P_AE] = {"a_E", "1/nC", 310.0, 1.0, 10000.0, 0, "E transfer function gain"},
    [P_BE] = {"b_E", "Hz", 125.0, 0.0, 10000.0, 0, "E transfer function threshold"},
    [P_DE] = {"d_E", "s", 0.16, 1e-4, 10.0, 0, "E transfer function curvature"},
    [P_AI] = {"a_I", "1/nC", 615.0, 1.0, 10000.0, 0, "I transfer function gain"},
    [P_BI] = {"b_I", "Hz", 177.0, 0.0, 10000.0, 0, "I transfer function threshold"},
    [P_DI] = {"d_I", "s", 0.087, 1e-4, 10.0, 0, "I transfer function curvature"},
    [P_TAUE] = {"tau_E", "ms", 100.0, 0.1, 10000.0, 0, "NMDA decay time (S_E)"},
    [P_TAUI] = {"tau_I", "ms", 10.0, 0.1, 10000.0, 0, "GABA decay time (S_I)"},
    [P_GAME] = {"gamma_E", "1", 0.641, 0.0, 10.0, 0,
                "E kinetic parameter (s-units; enters as gamma_E/1000 per ms per Hz)"},
    [P_GAMI] = {"gamma_I", "1", 1.0, 0.0, 10.0, 0,
                "I kinetic parameter (s-units; enters as gamma_I/1000 per ms per Hz)"},
    [P_LAMBDA] = {"lambda", "1", 0.0, 0.0, 10.0, 0,
                  "long-range feed-forward inhibition (share of G J_N c entering I)"},
    [P_SIGMA] = {"sigma", "1/sqrt(ms)", 0.01, 0.0, 1.0, FCFIT_PARAM_NOISE | REG,
                 "noise standard deviation on S_E and on S_I"},
    [P_IEXT] = {"I_ext", "nA", 0.0, -2.0, 2.0, REG, "extra constant input to E"},
    [P_J] = {"J", "nA", 1.0, 0.0, 1000.0, FCFIT_PARAM_DERIVED | REG,
             "feedback inhibition I -> E (FIC strength; set by the fic option unless fic = none)"},
    [P_R] = {"R", "1", 0.0, 0.0, 10.0, REG,
             "receptor density (normalised map) scaling the neuromodulatory gains"},
    [P_SE] = {"s_E", "1", 0.0, -0.1, 10.0, REG,
              "neuromodulatory gain of E: slope factor 1 + R s_E (FastDMF wgaine)"},
    [P_SI] = {"s_I", "1", 0.0, -0.1, 10.0, REG,
              "neuromodulatory gain of I: slope factor 1 + R s_I (FastDMF wgaini)"},
    [P_FIC_SLOPE] = {"fic_slope", "nA", 0.75, 0.0, 100.0, 0,
                     "heuristic FIC: J = fic_slope G strength + 1 (FastDMF 0.75)"},
    [P_FIC_TARGET] = {"fic_target_hz", "Hz", 3.0, 0.01, 100.0, REG,
                      "FIC target of the excitatory rate (closed and iterative)"},
    [P_FIC_TOL] = {"fic_tol_hz", "Hz", 0.25, 1e-9, 100.0, 0,
                   "iterative FIC: stop when every region's mean rate is this close"},
    [P_FIC_MAXIT] = {"fic_max_iter", "1", 40.0, 1.0, 10000.0, 0,
                     "iterative FIC: maximum number of simulations"},
    [P_FIC_MS] = {"fic_tune_ms", "ms", 10000.0, 1.0, 1e7, 0,
                  "iterative FIC: simulated time per iteration (after as long a settling time)"},
    [P_SE0] = {"SE0", "1", 0.001, 0.0, 1.0, 0, "initial S_E of every region"},
    [P_SI0] = {"SI0", "1", 0.001, 0.0, 1.0, 0, "initial S_I of every region"},
};

enum { O_FIC, NO };
enum { FIC_NONE, FIC_HEURISTIC, FIC_CLOSED, FIC_ITERATIVE };

static const char *const dmf_fic_choices[] = {"none", "heuristic", "closed", "iterative", NULL};

static const fcfit_model_option dmf_options[NO] = {
    [O_FIC] = {"fic", dmf_fic_choices, FIC_CLOSED,
               "feedback inhibition control: none (J as given), heuristic (fic_slope G s + 1), "
               "closed (exact noise-free fixed point at fic_target_hz), iterative (closed, then "
               "tuned by simulation)"},
};

/*
 * Iterative FIC gain. The fixed-gain update J += g (r - target) contracts
 * an error by 1 - g |dr/dJ| per iteration. At the 3-Hz fixed point of an
 * isolated node dr_E/dJ = -6.9 Hz/nA (finite difference of the steady
 * state): g = 0.1 nA/Hz gives 0.31; the slowest mode of the 20-region
 * synthetic network at G = 0.5 has about 4 Hz/nA (measured contraction
 * 0.6); the update stays stable up to 20 Hz/nA. The secant 1/3.6 nA/Hz
 * (between J = 1 and 1.5) would overshoot at the target (1 - 6.9/3.6 =
 * -0.92). r_E(J) is convex and steepens near bistability, so the tuning is
 * initialised with the closed form (docs/models/dmf.md).
 */
static const fcfit_model_tuning dmf_tuning = {
    .option = O_FIC,
    .choice = FIC_ITERATIVE,
    .init_choice = FIC_CLOSED,
    .param = P_J,
    .target_param = P_FIC_TARGET,
    .tol_param = P_FIC_TOL,
    .max_iter_param = P_FIC_MAXIT,
    .duration_param = P_FIC_MS,
    .gain = 0.1,
};

static const char *const dmf_states[] = {"S_E", "S_I"};
static const char *const dmf_units[] = {"1", "1"};
static const size_t dmf_couple[] = {0};
static const size_t dmf_noise_vars[] = {0, 1};

void fcfit_dmf_point_at(const double *const *p, size_t k, fcfit_dmf_point *pt)
{
    pt->G = p[P_G][k];
    pt->J_N = p[P_JN][k];
    pt->I0 = p[P_I0][k];
    pt->W_E = p[P_WE][k];
    pt->W_I = p[P_WI][k];
    pt->w_plus = p[P_WPLUS][k];
    pt->a_E = p[P_AE][k];
    pt->b_E = p[P_BE][k];
    pt->d_E = p[P_DE][k];
    pt->a_I = p[P_AI][k];
    pt->b_I = p[P_BI][k];
    pt->d_I = p[P_DI][k];
    pt->tau_E = p[P_TAUE][k];
    pt->tau_I = p[P_TAUI][k];
    pt->gamma_E = p[P_GAME][k];
    pt->gamma_I = p[P_GAMI][k];
    pt->lambda = p[P_LAMBDA][k];
    pt->I_ext = p[P_IEXT][k];
    pt->J = p[P_J][k];
    pt->R = p[P_R][k];
    pt->s_E = p[P_SE][k];
    pt->s_I = p[P_SI][k];
    pt->target_hz = p[P_FIC_TARGET][k];
}

void fcfit_dmf_point_default(fcfit_dmf_point *pt)
{
    double v[NP];
    const double *p[NP];
    for (size_t j = 0; j < NP; j++) {
        v[j] = dmf_params[j].def;
        p[j] = &v[j];
    }
    fcfit_dmf_point_at(p, 0, pt);
}

double fcfit_dmf_se_star(const fcfit_dmf_point *pt)
{
    /* dS_E/dt = 0 with r_E = target: S = x / (1 + x), x = gamma_E/1000 r tau_E. */
    const double x = pt->gamma_E / 1000.0 * pt->target_hz * pt->tau_E;
    return x / (1.0 + x);
}

/* Function whose root the Brent solver seeks, with its parameters. */
typedef struct dmf_root_args {
    const fcfit_dmf_point *pt;
    double target; /* rate sought (rate inversion) */
    double S_E, c;  /* S_I equation */
} dmf_root_args;

static double dmf_rate_minus_target(double y, void *vp)
{
    const dmf_root_args *a = vp;
    return fcfit_abbott_chance(y, a->pt->d_E) - a->target;
}

static double dmf_si_residual(double S_I, void *vp)
{
    const dmf_root_args *a = vp;
    const fcfit_dmf_point *q = a->pt;
    const double I_I = fcfit_dmf_current_i(q->W_I, q->I0, q->J_N, q->G, q->lambda, a->S_E, S_I, a->c);
    const double r_I = fcfit_dmf_rate(q->a_I, q->b_I, q->d_I, q->R, q->s_I, I_I);
    return S_I - q->tau_I * (q->gamma_I * r_I / 1000.0);
}

/*
 * Brent iterations on a bracket [lo, hi] whose ends have opposite signs
 * (checked by the caller, so GSL's error handler is never reached).
 */
static int dmf_brent(gsl_root_fsolver *ws, gsl_function *fn, double lo, double hi, double epsabs,
                     double *root)
{
    if (gsl_root_fsolver_set(ws, fn, lo, hi) != GSL_SUCCESS) {
        return -1;
    }
    for (int it = 0; it < 300; it++) {
        if (gsl_root_fsolver_iterate(ws) != GSL_SUCCESS) {
            return -1;
        }
        lo = gsl_root_fsolver_x_lower(ws);
        hi = gsl_root_fsolver_x_upper(ws);
        if (gsl_root_test_interval(lo, hi, epsabs, 4.0 * DBL_EPSILON) == GSL_SUCCESS) {
            *root = gsl_root_fsolver_root(ws);
            return 0;
        }
    }
    return -1;
}

const char *fcfit_dmf_fic_closed(const fcfit_dmf_point *pt, double c_star, gsl_root_fsolver *ws,
                                 fcfit_dmf_fixed *out)
{
    const double gain_e = 1.0 + pt->R * pt->s_E;
    dmf_root_args args = {pt, pt->target_hz, 0.0, c_star};
    gsl_function fn;
    double lo, hi, y, S_I, I_E, I_I, r_I, J;

    if (!(gain_e > 0.0) || !(1.0 + pt->R * pt->s_I > 0.0)) {
        return "FIC closed form: a neuromodulatory slope factor 1 + R s is not positive";
    }
    /* Invert H_E: H(y) > max(y, 0) and H(y) -> 0 as y -> -inf, so [lo, target] brackets. */
    fn.function = dmf_rate_minus_target;
    fn.params = &args;
    hi = pt->target_hz;
    lo = -1.0 / pt->d_E;
    for (int k = 0; k < 200 && !(fcfit_abbott_chance(lo, pt->d_E) < pt->target_hz); k++) {
        lo *= 2.0;
    }
    if (!(fcfit_abbott_chance(lo, pt->d_E) < pt->target_hz) ||
        !(fcfit_abbott_chance(hi, pt->d_E) > pt->target_hz)) {
        return "FIC closed form: the target rate cannot be bracketed";
    }
    if (dmf_brent(ws, &fn, lo, hi, 1e-13, &y) != 0) {
        return "FIC closed form: inverting the E transfer function did not converge";
    }
    I_E = (y / gain_e + pt->b_E) / pt->a_E;

    /*
     * S_I solves S_I = tau_I gamma_I/1000 H_I(I_I(S_I)). The residual is
     * increasing in S_I (I_I falls with S_I and H_I rises with I_I) and
     * negative at 0 (H_I > 0), so a root in [0, 1] exists iff it is
     * non-negative at 1; S_I is clamped to [0, 1] in the simulation.
     */
    args.S_E = fcfit_dmf_se_star(pt);
    fn.function = dmf_si_residual;
    if (!(dmf_si_residual(1.0, &args) > 0.0) || !(dmf_si_residual(0.0, &args) < 0.0)) {
        return "FIC closed form: no S_I in [0, 1] balances the inhibitory population "
               "(root not bracketed)";
    }
    if (dmf_brent(ws, &fn, 0.0, 1.0, 1e-17, &S_I) != 0) {
        return "FIC closed form: the S_I root finding did not converge";
    }
    I_I = fcfit_dmf_current_i(pt->W_I, pt->I0, pt->J_N, pt->G, pt->lambda, args.S_E, S_I, c_star);
    r_I = fcfit_dmf_rate(pt->a_I, pt->b_I, pt->d_I, pt->R, pt->s_I, I_I);
    if (!(S_I > 0.0)) {
        return "FIC closed form: S_I is zero at the fixed point, so no J can set the rate";
    }
    /* I_E(J) = I_E*: J S_I* = (everything else in I_E) - I_E*. */
    J = (fcfit_dmf_current_e(pt->W_E, pt->I0, pt->w_plus, pt->J_N, pt->G, 0.0, pt->I_ext, args.S_E,
                             S_I, c_star) -
         I_E) /
        S_I;
    if (!isfinite(J)) {
        return "FIC closed form: J is not finite";
    }
    out->S_E = args.S_E;
    out->S_I = S_I;
    out->I_E = I_E;
    out->I_I = I_I;
    out->r_E = pt->target_hz;
    out->r_I = r_I;
    out->J = J;
    return NULL;
}

static void lane_failed(const fcfit_model_bind_args *a, size_t l, const char *why)
{
    if (!a->lane_fail[l]) {
        a->lane_fail[l] = 1;
        a->lane_reason[l] = why;
    }
}

static void dmf_fic_heuristic(const fcfit_model_bind_args *a)
{
    const size_t N = a->n_nodes, L = a->n_lanes;
    const fcfit_model_param *pj = &dmf_params[P_J];
    for (size_t i = 0; i < N; i++) {
        for (size_t l = 0; l < L; l++) {
            const size_t k = i * L + l;
            const double J = a->p[P_FIC_SLOPE][k] * a->p[P_G][k] * a->strength[i] + 1.0;
            if (!(J >= pj->lo && J <= pj->hi)) {
                lane_failed(a, l, "heuristic FIC: J = fic_slope G strength + 1 is outside the "
                                  "bounds of model.dmf.J");
                continue;
            }
            a->p[P_J][k] = J;
        }
    }
}

/* Closed-form J for every region of every lane; se is a work array of N*L values. */
static void dmf_fic_closed_all(const fcfit_model_bind_args *a, double *se, gsl_root_fsolver *ws)
{
    const size_t N = a->n_nodes, L = a->n_lanes;
    const fcfit_model_param *pj = &dmf_params[P_J];
    fcfit_dmf_point pt;
    fcfit_dmf_fixed fx;

    for (size_t k = 0; k < a->n; k++) {
        fcfit_dmf_point_at((const double *const *)a->p, k, &pt);
        se[k] = fcfit_dmf_se_star(&pt);
    }
    for (size_t l = 0; l < L; l++) {
        for (size_t i = 0; i < N; i++) {
            const size_t k = i * L + l;
            const char *why;
            double c = 0.0;
            for (size_t j = 0; j < N; j++) {
                const double w = a->weights[i * N + j];
                if (w != 0.0) {
                    c += w * se[j * L + l];
                }
            }
            fcfit_dmf_point_at((const double *const *)a->p, k, &pt);
            why = fcfit_dmf_fic_closed(&pt, c, ws, &fx);
            if (why == NULL && !(fx.J >= pj->lo && fx.J <= pj->hi)) {
                why = "closed-form FIC: the J giving the target rate is outside the bounds of "
                      "model.dmf.J";
            }
            if (why != NULL) {
                lane_failed(a, l, why);
                break;
            }
            a->p[P_J][k] = fx.J;
        }
    }
}

/*
 * Per-point constants of the drift, computed once per run: the rate
 * constants it would otherwise divide by at every step (1/tau_E, 1/tau_I,
 * gamma_E/1000, gamma_I/1000), and the products of parameters that the
 * currents and rates contain, evaluated exactly as the expressions of
 * dmf_impl.h group them (W_E I0, w_plus J_N, G J_N, W_I I0, lambda G J_N,
 * 1 + R s_E, 1 + R s_I), so the currents and rates are bitwise those of
 * fcfit_dmf_current_e/_i and fcfit_dmf_rate. Eleven arrays of n values.
 */
typedef struct dmf_priv {
    size_t n;
    double *inv_tau_e, *inv_tau_i, *k_e, *k_i;
    double *we_i0, *wp_jn, *g_jn, *wi_i0, *lg_jn, *gain_e, *gain_i;
    double data[];
} dmf_priv;

static void dmf_free(void *priv) { free(priv); }

static fcfit_status dmf_bind(const fcfit_model_bind_args *a, void **out)
{
    fcfit_status st = FCFIT_OK;
    double *se = NULL;
    gsl_root_fsolver *ws = NULL;
    dmf_priv *pv = malloc(sizeof *pv + 11 * a->n * sizeof(double));
    double *const *p = a->p;

    *out = NULL;
    FCFIT_REQUIRE(pv != NULL, FCFIT_ERR_NOMEM, "cannot allocate the DMF rate constants");
    pv->n = a->n;
    pv->inv_tau_e = pv->data;
    pv->inv_tau_i = pv->data + a->n;
    pv->k_e = pv->data + 2 * a->n;
    pv->k_i = pv->data + 3 * a->n;
    pv->we_i0 = pv->data + 4 * a->n;
    pv->wp_jn = pv->data + 5 * a->n;
    pv->g_jn = pv->data + 6 * a->n;
    pv->wi_i0 = pv->data + 7 * a->n;
    pv->lg_jn = pv->data + 8 * a->n;
    pv->gain_e = pv->data + 9 * a->n;
    pv->gain_i = pv->data + 10 * a->n;
    for (size_t k = 0; k < a->n; k++) {
        pv->inv_tau_e[k] = 1.0 / p[P_TAUE][k];
        pv->inv_tau_i[k] = 1.0 / p[P_TAUI][k];
        pv->k_e[k] = p[P_GAME][k] / 1000.0;
        pv->k_i[k] = p[P_GAMI][k] / 1000.0;
        pv->we_i0[k] = p[P_WE][k] * p[P_I0][k];
        pv->wp_jn[k] = p[P_WPLUS][k] * p[P_JN][k];
        pv->g_jn[k] = p[P_G][k] * p[P_JN][k];
        pv->wi_i0[k] = p[P_WI][k] * p[P_I0][k];
        pv->lg_jn[k] = p[P_LAMBDA][k] * p[P_G][k] * p[P_JN][k];
        pv->gain_e[k] = 1.0 + p[P_R][k] * p[P_SE][k];
        pv->gain_i[k] = 1.0 + p[P_R][k] * p[P_SI][k];
    }
    *out = pv;
    switch (a->opt[O_FIC]) {
    case FIC_HEURISTIC:
        dmf_fic_heuristic(a);
        break;
    case FIC_CLOSED:
        FCFIT_ALLOC_GOTO(se, a->n, "DMF FIC work array");
        ws = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
        FCFIT_REQUIRE_GOTO(ws != NULL, FCFIT_ERR_NOMEM, "cannot allocate a GSL root solver");
        dmf_fic_closed_all(a, se, ws);
        break;
    default: /* none: J as given; iterative: fcfit_sim_tune owns J */
        break;
    }

cleanup:
    if (ws != NULL) {
        gsl_root_fsolver_free(ws);
    }
    free(se);
    return st;
}

static void dmf_init(const fcfit_model_ctx *ctx, double *x, gsl_rng *const *rngs)
{
    const size_t n = ctx->n;
    for (size_t k = 0; k < n; k++) {
        x[k] = ctx->p[P_SE0][k];
        x[n + k] = ctx->p[P_SI0][k];
    }
}

/* r_E of point k: fcfit_dmf_rate(fcfit_dmf_current_e(...)) with the products precomputed. */
static inline double dmf_rate_e(const double *const *p, const dmf_priv *pv, size_t k, double S_E,
                                double S_I, double c)
{
    const double I_E =
        pv->we_i0[k] + pv->wp_jn[k] * S_E + pv->g_jn[k] * c - p[P_J][k] * S_I + p[P_IEXT][k];
    return fcfit_abbott_chance((p[P_AE][k] * I_E - p[P_BE][k]) * pv->gain_e[k], p[P_DE][k]);
}

/*
 * The drift of every point, and (with_z) the BOLD drive r_E of the same
 * state, which the drift computes anyway. Inlined into both kernels below,
 * so each is one flat loop that vectorises.
 */
FCFIT_KERNEL_BODY void dmf_drift_body(const fcfit_model_ctx *ctx, const double *restrict x,
                                      const double *restrict c, double *restrict dx,
                                      double *restrict z, int with_z)
{
    const double *const *p = ctx->p;
    const dmf_priv *pv = ctx->priv;
    const double *inv_tau_e = pv->inv_tau_e, *inv_tau_i = pv->inv_tau_i;
    const double *k_e = pv->k_e, *k_i = pv->k_i;
    const size_t n = ctx->n;
    const double *S_E = x, *S_I = x + n;
    double *dE = dx, *dI = dx + n;
    /* ivdep: outputs never overlap the inputs, so GCC need not version the loop for aliasing
     * (it gives up after 10 run-time checks, and there are more arrays than that). */
FCFIT_IVDEP
    for (size_t k = 0; k < n; k++) { /* fcfit:vectorize */
        const double se = S_E[k], si = S_I[k];
        const double r_E = dmf_rate_e(p, pv, k, se, si, c[k]);
        /* fcfit_dmf_current_i and fcfit_dmf_rate with the products precomputed. */
        const double I_I = pv->wi_i0[k] + p[P_JN][k] * se - si + pv->lg_jn[k] * c[k];
        const double r_I =
            fcfit_abbott_chance((p[P_AI][k] * I_I - p[P_BI][k]) * pv->gain_i[k], p[P_DI][k]);
        /* FastDMF's -S/tau + (1 - S) gamma r / 1000, with the divisions precomputed. */
        dE[k] = -se * inv_tau_e[k] + (1.0 - se) * k_e[k] * r_E;
        dI[k] = -si * inv_tau_i[k] + k_i[k] * r_I;
        if (with_z) {
            z[k] = r_E;
        }
    }
}

FCFIT_VM_CLONES
static void dmf_drift(const fcfit_model_ctx *ctx, const double *restrict x,
                      const double *restrict c, double *restrict dx)
{
    dmf_drift_body(ctx, x, c, dx, NULL, 0);
}

FCFIT_VM_CLONES
static void dmf_drift_drive(const fcfit_model_ctx *ctx, const double *restrict x,
                            const double *restrict c, double *restrict dx, double *restrict z)
{
    dmf_drift_body(ctx, x, c, dx, z, 1);
}

static void dmf_noise(const fcfit_model_ctx *ctx, double *g)
{
    const size_t n = ctx->n;
    for (size_t k = 0; k < n; k++) {
        g[k] = ctx->p[P_SIGMA][k];
        g[n + k] = ctx->p[P_SIGMA][k];
    }
}

FCFIT_VM_CLONES
static void dmf_clamp(const fcfit_model_ctx *ctx, double *x)
{
    for (size_t k = 0; k < 2 * ctx->n; k++) { /* fcfit:vectorize */
        x[k] = x[k] < 0.0 ? 0.0 : (x[k] > 1.0 ? 1.0 : x[k]);
    }
}

/* r_E in Hz, from the state and the coupling input the drift uses. */
FCFIT_VM_CLONES
static void dmf_bold_drive(const fcfit_model_ctx *ctx, const double *restrict x,
                           const double *restrict c, double *restrict z)
{
    const double *const *p = ctx->p;
    const dmf_priv *pv = ctx->priv;
    const size_t n = ctx->n;
    const double *S_E = x, *S_I = x + n;
FCFIT_IVDEP
    for (size_t k = 0; k < n; k++) { /* fcfit:vectorize */
        z[k] = dmf_rate_e(p, pv, k, S_E[k], S_I[k], c[k]);
    }
}

const fcfit_model_type fcfit_model_dmf = {
    .name = "dmf",
    .long_name = "Dynamic Mean Field: E-I Wong-Wang with feedback inhibition control (Deco 2014)",
    .citation = "Deco et al. 2014 J Neurosci 34(23):7886; Herzog et al. 2024 Netw Neurosci "
                "8(4):1590 (FastDMF); Deco et al. 2018 Curr Biol 28(19):3065 (neuromodulation)",
    .doc = "docs/models/dmf.md",
    .ms_per_unit = 1.0,
    .default_integrator = 0,
    .default_dt_ms = 0.1,
    .n_state = 2,
    .state_names = dmf_states,
    .state_units = dmf_units,
    .n_params = NP,
    .params = dmf_params,
    .n_options = NO,
    .options = dmf_options,
    .n_coupling = 1,
    .coupling_vars = dmf_couple,
    .coupling_desc = "S_E (NMDA gating), entering I_E as G*J_N*sum_j C_ij S_E,j and I_I as "
                     "lambda*G*J_N*sum_j C_ij S_E,j",
    .n_noise = 2,
    .noise_vars = dmf_noise_vars,
    .bold_var = 0,
    .bold_desc = "r_E (excitatory firing rate, Hz)",
    .bind = dmf_bind,
    .free_priv = dmf_free,
    .init = dmf_init,
    .drift = dmf_drift,
    .noise = dmf_noise,
    .clamp = dmf_clamp,
    .coupling_out = NULL,
    .bold_drive = dmf_bold_drive,
    .check = NULL,
    .tuning = &dmf_tuning,
    .drift_drive = dmf_drift_drive,
};
