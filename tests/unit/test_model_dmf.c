/*
 * test_model_dmf.c: oracles of the Dynamic Mean Field model (docs/models/dmf.md,
 * oracles D1 and D2 of §13) and of its feedback inhibition control (FIC):
 *   - D1: isolated-node fixed points for J = 1, 0.5, 1.5 reached by
 *     noise-free Euler integration (dt 0.1 ms) from S_E = S_I = 0.001;
 *   - D2: the closed-form FIC (alpha, beta for both target definitions of
 *     §4.6; the 3-Hz J for extra inputs e = 0.05 ... 0.4), through the
 *     model's own closed-form function and through the simulation (J read
 *     back after reset, and the simulated rate);
 *   - closed-form FIC in a network: every region settles at its target,
 *     also with neuromodulation, lambda, I_ext and regional targets;
 *   - heuristic FIC, per-lane binding and a lane whose FIC has no solution;
 *   - iterative FIC without noise (agreement with the closed form) and with
 *     noise (convergence, determinism);
 *   - neuromodulation: monotone in s_E and s_I; R s = 0 is bitwise R = 0.
 * The FastDMF cross-check lives in test_model_dmf_fastdmf.c (it reads the
 * shared data).
 *
 * Tolerances: §13 gives 1e-4 relative for D1 and D2. The tables print 4-6
 * significant digits, so every table comparison is relative 1e-4, which is
 * above their rounding (at most 0.5 in the last digit: 6.4e-5 for S_I* =
 * 0.03180) and far below any modelling error. Values we compute ourselves
 * to full precision (the long-run rate 3.07732706, network rates at the
 * closed-form target) are compared at 1e-6 relative.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>

#include "fcfit/fcfit_connectome.h"
#include "fcfit/fcfit_model.h"
#include "fcfit/fcfit_sim.h"
#include "fcfit_test.h"
#include "sim_test_util.h"
#include "models/dmf_impl.h"
#include "models/models_impl.h"

static const fcfit_model_type *const g_m = &fcfit_model_dmf;

/* Deco 2014 defaults, written out here so that the test does not read them from the model. */
static const double JN = 0.15, I0 = 0.382, WE = 1.0, WI = 0.7, WPLUS = 1.4;
static const double AE = 310.0, BE = 125.0, DE = 0.16, AI = 615.0, BI = 177.0, DI = 0.087;

/* The test's own transfer function, independent of the model file. */
static double h_test(double y, double d)
{
    return fabs(y) < 1e-9 ? 1.0 / d + 0.5 * y : y / (1.0 - exp(-d * y));
}

static size_t pidx(const char *name)
{
    size_t j = fcfit_model_param_index(g_m, name);
    if (j == (size_t)-1) {
        printf("FAIL: dmf has no parameter %s\n", name);
        exit(1);
    }
    return j;
}

static void set_all(fcfit_sim *s, const char *name, double v)
{
    double *p = fcfit_sim_param(s, pidx(name));
    const size_t n = fcfit_sim_n_nodes(s) * fcfit_sim_n_lanes(s);
    for (size_t k = 0; k < n; k++) {
        p[k] = v;
    }
}

/* Parameter `name` of region i, every lane. */
static void set_region(fcfit_sim *s, const char *name, size_t i, double v)
{
    double *p = fcfit_sim_param(s, pidx(name));
    const size_t L = fcfit_sim_n_lanes(s);
    for (size_t l = 0; l < L; l++) {
        p[i * L + l] = v;
    }
}

static void set_fic(fcfit_sim *s, const char *choice)
{
    size_t o = fcfit_model_option_index(g_m, "fic");
    size_t c = fcfit_model_choice_index(&g_m->options[o], choice);
    if (o == (size_t)-1 || c == (size_t)-1) {
        printf("FAIL: dmf has no fic choice %s\n", choice);
        exit(1);
    }
    fcfit_sim_options(s)[o] = c;
}

/* Noise-free Euler run, dt 0.1 ms; BOLD (unused) in log form; drive = last sub-step. */
static fcfit_sim_config cfg_det(double duration_ms)
{
    return tu_cfg(0.1, duration_ms, FCFIT_INTEGRATOR_EULER, 0, 1.0, FCFIT_DRIVE_LAST);
}

/* Dense weights (row = target), used as given, no delays. */
static fcfit_connectome *conn_dense(size_t n, const double *w)
{
    return tu_conn(n, w, NULL, 0.0, 0.1);
}

/* The built-in synthetic connectome, max-normalised, no delays. */
static fcfit_connectome *conn_synthetic(size_t n, uint64_t seed)
{
    fcfit_matrix W = {0}, Lm = {0};
    fcfit_connectome *c = NULL;
    fcfit_connectome_opts o = {FCFIT_NORM_MAX, 1.0, 0, 0.0, 0.1, 0};
    if (fcfit_connectome_synthetic(n, seed, &W, &Lm) != FCFIT_OK ||
        fcfit_connectome_create(&c, &W, "W", NULL, "L", &o) != FCFIT_OK) {
        printf("connectome: %s\n", fcfit_error_message());
    }
    fcfit_matrix_free(&W);
    fcfit_matrix_free(&Lm);
    return c;
}

static void test_descriptor(void)
{
    size_t o = fcfit_model_option_index(g_m, "fic");
    const fcfit_model_tuning *tu = g_m->tuning;
    CHECK_TRUE(o != (size_t)-1);
    CHECK_TRUE(strcmp(g_m->options[o].choices[g_m->options[o].def], "closed") == 0);
    CHECK_INT(g_m->default_integrator, 0);
    CHECK_ABS(g_m->default_dt_ms, 0.1, 0.0);
    CHECK_ABS(g_m->ms_per_unit, 1.0, 0.0);
    CHECK_TRUE(tu != NULL);
    CHECK_TRUE(tu != NULL && tu->option == o && tu->param == pidx("J") &&
               tu->target_param == pidx("fic_target_hz") && tu->tol_param == pidx("fic_tol_hz") &&
               tu->max_iter_param == pidx("fic_max_iter") &&
               tu->duration_param == pidx("fic_tune_ms") && tu->gain > 0.0);
    CHECK_TRUE(tu != NULL && strcmp(g_m->options[o].choices[tu->choice], "iterative") == 0 &&
               strcmp(g_m->options[o].choices[tu->init_choice], "closed") == 0);
    CHECK_TRUE((g_m->params[pidx("J")].flags & FCFIT_PARAM_DERIVED) != 0);
    CHECK_TRUE((g_m->params[pidx("sigma")].flags & FCFIT_PARAM_NOISE) != 0);
    CHECK_INT(g_m->n_noise, 2);
}

/*
 * D1 (docs/models/dmf.md): three uncoupled regions with J = 1, 0.5, 1.5, G = 0,
 * fic none. After 3 s every quantity matches its table row at 1e-4; after
 * 20 s the J = 1 rate matches 3.07732706 Hz at 1e-6 (the table's 3.0773 to
 * the precision of a long run).
 */
static void test_d1_fixed_points(void)
{
    static const double J[3] = {1.0, 0.5, 1.5};
    static const double tab[3][6] = {
        /* S_E*, S_I*, r_E* (Hz), r_I* (Hz), I_E* (nA), I_I* (nA) */
        {0.16476, 0.03922, 3.0773, 3.9218, 0.37738, 0.25290},
        {0.53307, 0.07467, 17.8102, 7.4667, 0.45661, 0.27269},
        {0.07559, 0.03180, 1.2757, 3.1798, 0.35018, 0.24694},
    };
    fcfit_connectome *cn = conn_dense(3, NULL);
    fcfit_sim_config cfg = cfg_det(20000.0);
    fcfit_sim *sim = NULL;
    uint64_t seed = 11;
    double z[3];

    CHECK_OK(fcfit_sim_create(&sim, g_m, cn, &cfg, 1));
    set_all(sim, "G", 0.0);
    set_fic(sim, "none");
    for (size_t i = 0; i < 3; i++) {
        set_region(sim, "J", i, J[i]);
    }
    CHECK_OK(fcfit_sim_reset(sim, &seed));
    CHECK_OK(fcfit_sim_advance(sim, 30000)); /* 3 s */
    fcfit_sim_get_drive_last(sim, 0, z);
    for (size_t i = 0; i < 3; i++) {
        const double *x = fcfit_sim_state(sim);
        double se = x[i], si = x[3 + i];
        double ie = WE * I0 + WPLUS * JN * se - J[i] * si;
        double ii = WI * I0 + JN * se - si;
        double re = h_test(AE * ie - BE, DE), ri = h_test(AI * ii - BI, DI);
        printf("     J = %.1f: S_E %.8f S_I %.8f r_E %.8f r_I %.8f I_E %.8f I_I %.8f\n", J[i],
               se, si, re, ri, ie, ii);
        CHECK_REL(se, tab[i][0], 1e-4);
        CHECK_REL(si, tab[i][1], 1e-4);
        CHECK_REL(re, tab[i][2], 1e-4);
        CHECK_REL(ri, tab[i][3], 1e-4);
        CHECK_REL(ie, tab[i][4], 1e-4);
        CHECK_REL(ii, tab[i][5], 1e-4);
        /* The model's BOLD drive is the same rate, one 0.1-ms step earlier: equal to 1e-9
         * once the run has settled. */
        CHECK_REL(z[i], re, 1e-9);
    }
    CHECK_OK(fcfit_sim_run(sim));
    fcfit_sim_get_drive_last(sim, 0, z);
    printf("     J = 1 after 20 s: r_E = %.10f Hz\n", z[0]);
    CHECK_REL(z[0], 3.07732706, 1e-6);
    CHECK_INT(fcfit_sim_lane_status(sim, 0, NULL), FCFIT_TASK_OK);
    fcfit_sim_destroy(&sim);
    fcfit_connectome_destroy(&cn);
}

/* Closed form through the model's function: a region with raw coupling sum c. */
static const char *closed(double target, double G, double c, double I_ext, fcfit_dmf_fixed *fx)
{
    fcfit_dmf_point pt;
    gsl_root_fsolver *ws = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    const char *why;
    fcfit_dmf_point_default(&pt);
    pt.target_hz = target;
    pt.G = G;
    pt.I_ext = I_ext;
    why = fcfit_dmf_fic_closed(&pt, c, ws, fx);
    gsl_root_fsolver_free(ws);
    return why;
}

/*
 * D2 (docs/models/dmf.md): alpha, beta for r_E* = 3 Hz and for the effective-
 * current target I_E - b_E/a_E = -0.026 nA (r_E* = H_E(a_E (-0.026)) =
 * 3.063085 Hz), and the 3-Hz J for extra inputs e = G sum_j C_ij S_E,j.
 */
static void test_d2_closed_form(void)
{
    static const double rows[2][7] = {
        /* I_E*, S_E*, S_I*, r_I*, alpha, beta, r_E* */
        {0.376533, 0.161285, 0.038919, 3.89189, 1.010730, 0.621620, 3.0},
        {0.377226, 0.164120, 0.039163, 3.91634, 1.001940, 0.628597, 3.063085},
    };
    static const double e[4] = {0.05, 0.1, 0.2, 0.4};
    static const double Je[4] = {1.2034, 1.3961, 1.7815, 2.5524};
    const double r_eff = h_test(AE * -0.026, DE);
    fcfit_dmf_fixed fx, f1;

    CHECK_REL(r_eff, 3.063085, 1e-6);
    for (size_t r = 0; r < 2; r++) {
        const double target = r == 0 ? 3.0 : r_eff;
        const char *why = closed(target, 2.0, 0.0, 0.0, &fx);
        double alpha, beta;
        CHECK_TRUE(why == NULL);
        /* lambda = 0: S_I* does not depend on the coupling, so J is affine in G c; a region of
         * strength 1 at G = 1 receives c = S_E* and needs alpha + beta. */
        CHECK_TRUE(closed(target, 1.0, fx.S_E, 0.0, &f1) == NULL);
        alpha = fx.J;
        beta = JN * fx.S_E / fx.S_I;
        printf("     target %.7f Hz: alpha %.7f beta %.7f S_E* %.7f S_I* %.7f r_I* %.6f "
               "I_E* %.7f\n",
               target, alpha, beta, fx.S_E, fx.S_I, fx.r_I, fx.I_E);
        CHECK_REL(fx.I_E, rows[r][0], 1e-4);
        CHECK_REL(fx.S_E, rows[r][1], 1e-4);
        CHECK_REL(fx.S_I, rows[r][2], 1e-4);
        CHECK_REL(fx.r_I, rows[r][3], 1e-4);
        CHECK_REL(alpha, rows[r][4], 1e-4);
        CHECK_REL(beta, rows[r][5], 1e-4);
        CHECK_REL(f1.J - fx.J, beta, 1e-12);
        /* The fixed point solves the model's equations (test's own formulas). */
        CHECK_REL(h_test(AE * fx.I_E - BE, DE), target, 1e-12);
        CHECK_REL(fx.S_I, 10.0 * h_test(AI * (WI * I0 + JN * fx.S_E - fx.S_I) - BI, DI) / 1000.0,
                  1e-12);
        CHECK_REL(WE * I0 + WPLUS * JN * fx.S_E - fx.J * fx.S_I, fx.I_E, 1e-12);
    }
    for (size_t k = 0; k < 4; k++) {
        CHECK_TRUE(closed(3.0, 1.0, e[k], 0.0, &fx) == NULL);
        printf("     e = %.2f: J = %.6f\n", e[k], fx.J);
        CHECK_REL(fx.J, Je[k], 1e-4);
    }
}

/*
 * D2 through the simulation: (a) four uncoupled regions with I_ext = J_N e
 * (the extra input as a current), fic closed: J read back after reset is
 * the table's, and 20 s of noise-free integration put every region at 3 Hz
 * (1e-6); (b) two coupled regions: J = alpha + beta G s_i.
 */
static void test_d2_through_sim(void)
{
    static const double e[4] = {0.05, 0.1, 0.2, 0.4};
    static const double Je[4] = {1.2034, 1.3961, 1.7815, 2.5524};
    static const double w2[4] = {0.0, 0.8, 0.8, 0.0};
    fcfit_connectome *cn = conn_dense(4, NULL);
    fcfit_sim_config cfg = cfg_det(20000.0);
    fcfit_sim *sim = NULL;
    uint64_t seed = 3;
    double z[4];
    fcfit_dmf_fixed fx;
    double alpha, beta;

    CHECK_OK(fcfit_sim_create(&sim, g_m, cn, &cfg, 1));
    set_fic(sim, "closed");
    for (size_t i = 0; i < 4; i++) {
        set_region(sim, "I_ext", i, JN * e[i]);
    }
    CHECK_OK(fcfit_sim_reset(sim, &seed));
    for (size_t i = 0; i < 4; i++) {
        CHECK_REL(fcfit_sim_param(sim, pidx("J"))[i], Je[i], 1e-4);
    }
    CHECK_OK(fcfit_sim_run(sim));
    fcfit_sim_get_drive_last(sim, 0, z);
    for (size_t i = 0; i < 4; i++) {
        CHECK_REL(z[i], 3.0, 1e-6);
    }
    fcfit_sim_destroy(&sim);
    fcfit_connectome_destroy(&cn);

    CHECK_TRUE(closed(3.0, 1.0, 0.0, 0.0, &fx) == NULL);
    alpha = fx.J;
    beta = JN * fx.S_E / fx.S_I;
    cn = conn_dense(2, w2);
    CHECK_OK(fcfit_sim_create(&sim, g_m, cn, &cfg, 1));
    set_all(sim, "G", 1.5);
    set_fic(sim, "closed");
    CHECK_OK(fcfit_sim_reset(sim, &seed));
    for (size_t i = 0; i < 2; i++) {
        /* Same algebra in another order: agreement to rounding. */
        CHECK_REL(fcfit_sim_param(sim, pidx("J"))[i], alpha + beta * 1.5 * 0.8, 1e-12);
        CHECK_REL(fcfit_sim_param(sim, pidx("J"))[i], 1.010730 + 0.621620 * 1.5 * 0.8, 1e-4);
    }
    fcfit_sim_destroy(&sim);
    fcfit_connectome_destroy(&cn);
}

/*
 * Closed-form FIC in a network, noise-free, from the default initial state:
 * (a) 20-region synthetic connectome, G = 1: every region's rate is 3 Hz to
 * 1e-6 after 40 s (the slowest mode of this network decays with a time
 * constant near 1.8 s, so 40 s leaves ~1e-8); (b) the same with regional
 * targets 2.8-3.2 Hz, receptor densities R_i, gains s_E = 0.05, s_I = 0.1,
 * lambda = 0.2 and regional I_ext: every region at its own target (this
 * checks the extension of the closed form derived in docs/models/dmf.md).
 */
static void test_closed_network(void)
{
    const size_t n = 20;
    fcfit_connectome *cn = conn_synthetic(n, 1);
    fcfit_sim_config cfg = cfg_det(40000.0);
    fcfit_sim *sim = NULL;
    uint64_t seed = 5;
    double z[20], target[20];

    CHECK_OK(fcfit_sim_create(&sim, g_m, cn, &cfg, 1));
    for (int variant = 0; variant < 2; variant++) {
        double emax = 0.0;
        set_all(sim, "G", 1.0);
        set_fic(sim, "closed");
        for (size_t i = 0; i < n; i++) {
            target[i] = variant == 0 ? 3.0 : 2.8 + 0.4 * (double)i / (double)(n - 1);
            set_region(sim, "fic_target_hz", i, target[i]);
            if (variant == 1) {
                set_region(sim, "R", i, 0.3 + 0.05 * (double)i);
                set_region(sim, "I_ext", i, 0.01 * sin((double)i));
            }
        }
        if (variant == 1) {
            set_all(sim, "s_E", 0.05);
            set_all(sim, "s_I", 0.1);
            set_all(sim, "lambda", 0.2);
        }
        CHECK_OK(fcfit_sim_reset(sim, &seed));
        CHECK_INT(fcfit_sim_lane_status(sim, 0, NULL), FCFIT_TASK_OK);
        CHECK_OK(fcfit_sim_run(sim));
        fcfit_sim_get_drive_last(sim, 0, z);
        for (size_t i = 0; i < n; i++) {
            emax = fmax(emax, fabs(z[i] / target[i] - 1.0));
        }
        printf("     variant %d: max relative deviation from the target after 40 s: %.3g\n",
               variant, emax);
        CHECK_ABS(emax, 0.0, 1e-6);
    }
    fcfit_sim_destroy(&sim);
    fcfit_connectome_destroy(&cn);
}

/*
 * Heuristic FIC is J = 0.75 G s_i + 1 bitwise; lanes bind independently
 * (a lane's J equals that of a batch of one); a lane whose closed form has
 * no solution is out of domain with a reason while the other lane runs.
 */
static void test_heuristic_and_lanes(void)
{
    const size_t n = 6;
    fcfit_connectome *cn = conn_synthetic(n, 2);
    fcfit_sim_config cfg = cfg_det(2000.0);
    fcfit_sim *sim = NULL, *one = NULL;
    uint64_t seeds[2] = {1, 2};
    const char *why = NULL;
    double J1[6];

    CHECK_OK(fcfit_sim_create(&sim, g_m, cn, &cfg, 1));
    set_all(sim, "G", 2.0);
    set_fic(sim, "heuristic");
    CHECK_OK(fcfit_sim_reset(sim, seeds));
    for (size_t i = 0; i < n; i++) {
        double want = 0.75 * 2.0 * cn->strength[i] + 1.0;
        CHECK_BITWISE(&fcfit_sim_param(sim, pidx("J"))[i], &want, 1);
    }
    fcfit_sim_destroy(&sim);

    /* One lane, G = 1.3, closed form. */
    CHECK_OK(fcfit_sim_create(&one, g_m, cn, &cfg, 1));
    set_all(one, "G", 1.3);
    CHECK_OK(fcfit_sim_reset(one, seeds));
    memcpy(J1, fcfit_sim_param(one, pidx("J")), n * sizeof(double));
    fcfit_sim_destroy(&one);

    /* Two lanes: lane 0 as above, lane 1 with W_I = 10 (I population saturated: no S_I root). */
    CHECK_OK(fcfit_sim_create(&sim, g_m, cn, &cfg, 2));
    set_all(sim, "G", 1.3);
    for (size_t i = 0; i < n; i++) {
        fcfit_sim_param(sim, pidx("W_I"))[i * 2 + 1] = 10.0;
    }
    CHECK_OK(fcfit_sim_reset(sim, seeds));
    CHECK_INT(fcfit_sim_lane_status(sim, 0, NULL), FCFIT_TASK_OK);
    CHECK_INT(fcfit_sim_lane_status(sim, 1, &why), FCFIT_TASK_OUT_OF_DOMAIN);
    printf("     lane 1: %s\n", why != NULL ? why : "(no reason)");
    CHECK_TRUE(why != NULL && strstr(why, "not bracketed") != NULL);
    for (size_t i = 0; i < n; i++) {
        CHECK_BITWISE(&fcfit_sim_param(sim, pidx("J"))[i * 2], &J1[i], 1);
    }
    CHECK_OK(fcfit_sim_run(sim));
    CHECK_INT(fcfit_sim_lane_status(sim, 0, NULL), FCFIT_TASK_OK);
    fcfit_sim_destroy(&sim);
    fcfit_connectome_destroy(&cn);
}

/*
 * Iterative FIC without noise on the 20-region synthetic network.
 * (a) G = 1. The model's own tuning starts from the closed form, which is
 *     exact without noise: it converges at the first iteration and leaves J
 *     bitwise as the closed form set it. fic_tune_ms = 20000 because this
 *     network at G = 1 is close to bistability and its slowest mode decays
 *     with a time constant of about 1.8 s: 20 s of settling leave ~1e-5 Hz.
 * (b) G = 0.5 (slowest mode ~0.3 s, so fic_tune_ms = 5000: 5 s of
 *     settling leave ~1e-8). The same iteration started away from the answer (a
 *     copy of the descriptor whose tuning skips the closed-form
 *     initialisation; J = J_closed (1 + 0.1 sin(i + 0.5))) must converge to
 *     |r - 3| <= 1e-3 Hz in every region, and J must then agree with the
 *     closed form to 1e-3 nA. Why 1e-3 nA: the error that remains lies in
 *     the slowest network mode, whose rate-vs-J slope is about 4 Hz/nA here
 *     (the iteration contracts it by 0.6 per step at gain 0.1 nA/Hz; an
 *     isolated node has 6.9 Hz/nA), so a rate error of 1e-3 Hz is a J error
 *     of about 2.5e-4 nA; 1e-3 nA leaves a factor 4 for the mixing of modes.
 *     Near bistability (G = 1 on this network) the rate-vs-J curve is much
 *     steeper and a fixed-gain iteration started 10 % away cycles instead
 *     (see docs/models/dmf.md); that is why the model initialises the
 *     iteration with the closed form.
 */
static void test_iterative_noise_free(void)
{
    const size_t n = 20;
    fcfit_connectome *cn = conn_synthetic(n, 1);
    fcfit_sim_config cfg = cfg_det(4000.0);
    fcfit_sim *sim = NULL;
    fcfit_model_type m2 = *g_m;
    fcfit_model_tuning tu2 = *g_m->tuning;
    fcfit_tune_report rep;
    uint64_t seed = 9;
    double Jc[20], dj = 0.0;

    CHECK_OK(fcfit_sim_create(&sim, g_m, cn, &cfg, 1));
    set_all(sim, "G", 1.0);
    set_fic(sim, "closed");
    CHECK_OK(fcfit_sim_reset(sim, &seed));
    memcpy(Jc, fcfit_sim_param(sim, pidx("J")), n * sizeof(double));
    set_fic(sim, "iterative");
    set_all(sim, "J", 1.0);
    set_all(sim, "fic_tol_hz", 1e-3);
    set_all(sim, "fic_tune_ms", 20000.0);
    CHECK_OK(fcfit_sim_tune(sim, &seed, &rep));
    printf("     (a) from the closed form: converged %d, iterations %zu, max error %.3g Hz\n",
           rep.converged, rep.iterations, rep.max_error);
    CHECK_INT(rep.active, 1);
    CHECK_INT(rep.converged, 1);
    CHECK_INT(rep.iterations, 1);
    CHECK_TRUE(rep.max_error <= 1e-3);
    CHECK_BITWISE(fcfit_sim_param(sim, pidx("J")), Jc, n);
    fcfit_sim_destroy(&sim);

    tu2.init_choice = tu2.choice;
    m2.tuning = &tu2;
    CHECK_OK(fcfit_sim_create(&sim, g_m, cn, &cfg, 1));
    set_all(sim, "G", 0.5);
    CHECK_OK(fcfit_sim_reset(sim, &seed));
    memcpy(Jc, fcfit_sim_param(sim, pidx("J")), n * sizeof(double));
    fcfit_sim_destroy(&sim);
    CHECK_OK(fcfit_sim_create(&sim, &m2, cn, &cfg, 1));
    set_all(sim, "G", 0.5);
    set_fic(sim, "iterative");
    for (size_t i = 0; i < n; i++) {
        set_region(sim, "J", i, Jc[i] * (1.0 + 0.1 * sin((double)i + 0.5)));
    }
    set_all(sim, "fic_tol_hz", 1e-3);
    set_all(sim, "fic_tune_ms", 5000.0);
    CHECK_OK(fcfit_sim_tune(sim, &seed, &rep));
    for (size_t i = 0; i < n; i++) {
        dj = fmax(dj, fabs(fcfit_sim_param(sim, pidx("J"))[i] - Jc[i]));
    }
    printf("     (b) from J_closed(1 + 0.1 sin i): converged %d, iterations %zu, max error %.3g "
           "Hz, max |J - J_closed| %.3g nA\n",
           rep.converged, rep.iterations, rep.max_error, dj);
    CHECK_INT(rep.converged, 1);
    CHECK_TRUE(rep.max_error <= 1e-3);
    CHECK_ABS(dj, 0.0, 1e-3);
    fcfit_sim_destroy(&sim);
    fcfit_connectome_destroy(&cn);
}

/*
 * Iterative FIC with noise (sigma = 0.01 per sqrt(ms), the FastDMF value) on
 * a 4-region network at G = 1. At this noise level the 5-s mean rate of a
 * region has a sampling standard deviation of 0.3-0.6 Hz between noise
 * realisations (measured on the 20-region network), so the tolerance and the
 * window must be chosen together: 20 s per iteration and fic_tol_hz = 0.1 Hz
 * (about 1.5 standard deviations of a 20-s mean for the regions near
 * 3 Hz, so every region passes in one measurement within a few tries). The
 * tuning must converge, report its iterations and maximum error, and be
 * deterministic: a second, independent simulation object gives bitwise the
 * same J and the same report.
 */
static void test_iterative_noisy(void)
{
    const size_t n = 4;
    fcfit_connectome *cn = conn_synthetic(n, 1);
    fcfit_sim_config cfg = cfg_det(4000.0);
    fcfit_tune_report rep[2];
    double J[2][4];
    uint64_t seed = 2024;

    cfg.noise = 1;
    for (int run = 0; run < 2; run++) {
        fcfit_sim *sim = NULL;
        CHECK_OK(fcfit_sim_create(&sim, g_m, cn, &cfg, 1));
        set_all(sim, "G", 1.0);
        set_all(sim, "sigma", 0.01);
        set_fic(sim, "iterative");
        set_all(sim, "fic_tol_hz", 0.1);
        set_all(sim, "fic_tune_ms", 20000.0);
        set_all(sim, "fic_max_iter", 40.0);
        CHECK_OK(fcfit_sim_tune(sim, &seed, &rep[run]));
        memcpy(J[run], fcfit_sim_param(sim, pidx("J")), n * sizeof(double));
        printf("     noisy run %d: converged %d, iterations %zu, max error %.4g Hz; J = %.5f "
               "%.5f %.5f %.5f\n",
               run, rep[run].converged, rep[run].iterations, rep[run].max_error, J[run][0],
               J[run][1], J[run][2], J[run][3]);
        fcfit_sim_destroy(&sim);
    }
    CHECK_INT(rep[0].converged, 1);
    CHECK_TRUE(rep[0].iterations >= 1 && rep[0].iterations <= 40);
    CHECK_TRUE(rep[0].max_error <= 0.1);
    CHECK_BITWISE(J[0], J[1], n);
    CHECK_INT(rep[1].iterations, rep[0].iterations);
    CHECK_BITWISE(&rep[0].max_error, &rep[1].max_error, 1);
    fcfit_connectome_destroy(&cn);
}

/*
 * Neuromodulation (docs/models/dmf.md): five uncoupled regions with R = 1 and
 * gains 0, 0.02, 0.05, 0.1, 0.2 (fic none), 20 s to the fixed point. The
 * gain multiplies y = a I - b, the distance of the input from threshold, so
 * it raises a rate only where the input is above threshold and lowers it
 * below. At J = 0.5 (I_E* = 0.4566 nA > b_E/a_E = 0.4032 nA) r_E must rise
 * strictly with s_E; at the default working point J = 1 (I_E* = 0.3774 nA,
 * below threshold, as at any FIC target of a few Hz) it must fall. The I
 * population sits below threshold in both cases (I_I* = 0.25-0.27 nA <
 * b_I/a_I = 0.2878 nA), so a larger s_I lowers r_I and r_E rises. With
 * s_E = s_I = 0 the slope factor 1 + R s is exactly 1, so a noisy run with
 * R = 1 is bitwise the run with R = 0 (state and BOLD).
 */
static void test_neuromodulation(void)
{
    static const double gains[5] = {0.0, 0.02, 0.05, 0.1, 0.2};
    fcfit_connectome *cn = conn_dense(5, NULL);
    fcfit_sim_config cfg = cfg_det(20000.0);
    fcfit_sim *sim = NULL;
    uint64_t seed = 77;
    double z[5];

    for (int c = 0; c < 4; c++) {
        const double J = c < 2 ? 0.5 : 1.0;
        const int on_e = c % 2 == 0;
        /* +1: r_E must increase with the gain, -1: decrease. */
        const int sign = on_e && J == 1.0 ? -1 : 1;
        int mono = 1;
        CHECK_OK(fcfit_sim_create(&sim, g_m, cn, &cfg, 1));
        set_fic(sim, "none");
        set_all(sim, "J", J);
        set_all(sim, "R", 1.0);
        for (size_t i = 0; i < 5; i++) {
            set_region(sim, on_e ? "s_E" : "s_I", i, gains[i]);
        }
        CHECK_OK(fcfit_sim_reset(sim, &seed));
        CHECK_OK(fcfit_sim_run(sim));
        fcfit_sim_get_drive_last(sim, 0, z);
        printf("     J = %.1f, %s = 0, 0.02, 0.05, 0.1, 0.2: r_E = %.5f %.5f %.5f %.5f %.5f Hz\n",
               J, on_e ? "s_E" : "s_I", z[0], z[1], z[2], z[3], z[4]);
        for (size_t i = 1; i < 5; i++) {
            mono &= sign > 0 ? z[i] > z[i - 1] : z[i] < z[i - 1];
        }
        CHECK_TRUE(mono);
        CHECK_REL(z[0], J == 1.0 ? 3.07732706 : 17.8102, J == 1.0 ? 1e-6 : 1e-4);
        fcfit_sim_destroy(&sim);
    }
    fcfit_connectome_destroy(&cn);

    {
        fcfit_connectome *net = conn_synthetic(8, 3);
        fcfit_sim_config c2 = cfg_det(3000.0);
        fcfit_sim *a = NULL, *b = NULL;
        double *ba, *bb;
        c2.noise = 1;
        CHECK_OK(fcfit_sim_create(&a, g_m, net, &c2, 1));
        CHECK_OK(fcfit_sim_create(&b, g_m, net, &c2, 1));
        set_all(b, "R", 1.0);
        CHECK_OK(fcfit_sim_reset(a, &seed));
        CHECK_OK(fcfit_sim_reset(b, &seed));
        CHECK_OK(fcfit_sim_run(a));
        CHECK_OK(fcfit_sim_run(b));
        CHECK_BITWISE(fcfit_sim_state(a), fcfit_sim_state(b), 2 * 8);
        ba = malloc(8 * fcfit_sim_n_vols(a) * sizeof(double));
        bb = malloc(8 * fcfit_sim_n_vols(b) * sizeof(double));
        fcfit_sim_get_bold(a, 0, ba);
        fcfit_sim_get_bold(b, 0, bb);
        CHECK_BITWISE(ba, bb, 8 * fcfit_sim_n_vols(a));
        free(ba);
        free(bb);
        fcfit_sim_destroy(&a);
        fcfit_sim_destroy(&b);
        fcfit_connectome_destroy(&net);
    }
}

int main(void)
{
    gsl_set_error_handler_off();
    test_descriptor();
    test_d1_fixed_points();
    test_d2_closed_form();
    test_d2_through_sim();
    test_closed_network();
    test_heuristic_and_lanes();
    test_iterative_noise_free();
    test_iterative_noisy();
    test_neuromodulation();
    return fcfit_test_finish();
}
