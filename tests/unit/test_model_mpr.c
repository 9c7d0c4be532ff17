/*
 * test_model_mpr.c: oracles of the Montbrió–Pazó–Roxin model
 * (docs/models/mpr.md, oracles M1 and M2):
 *   - noise-free Heun runs (dt = 0.01 time units = 0.1 ms) from the two
 *     reference starts reach the down and up states of J 15, Delta 1, eta -5;
 *   - the down and up states of the other rows of the table, from starts near
 *     each;
 *   - the analytic fixed-point relations v* = -Delta / (2 pi tau r*) and
 *     eta = (pi tau r)^2 - J tau r - Delta^2 / (4 pi^2 tau^2 r^2), and the
 *     eigenvalues of the linearisation at the states of the first row;
 *   - the saddle-node ends of the bistable eta interval (analytic, and by
 *     integration: two end states just inside, one just outside);
 *   - two mutually coupled nodes equal one node with J + G / tau.
 *
 * Tolerances: §13 gives 1e-5 for M1 and 1e-6 for M2. The table prints five
 * or six decimals, so these are absolute tolerances (the rounding of the table
 * is at most half of them). Comparisons with roots computed here, where only
 * the convergence of the run and floating-point rounding enter, use 1e-9.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fcfit/fcfit_model.h"
#include "fcfit/fcfit_sim.h"
#include "fcfit_test.h"
#include "sim_test_util.h"

static const fcfit_model_type *g_m;
static size_t P_TAU, P_DELTA, P_J, P_ETA, P_I, P_G, P_D;

static fcfit_sim_config base_cfg(double dt_ms, double duration_ms)
{
    return tu_cfg(dt_ms, duration_ms, FCFIT_INTEGRATOR_HEUN, 0, 1.0, FCFIT_DRIVE_MEAN);
}

static fcfit_connectome *make_conn(size_t n, const double *w, double dt)
{
    return tu_conn(n, w, NULL, 0.0, dt);
}

typedef struct mpr_par {
    double tau, Delta, J, eta, G;
} mpr_par;

/*
 * Run a 2-region network with weights C (NULL: uncoupled) for T time units
 * without noise, both regions starting at (r0, v0). Out: r[2], v[2].
 */
static void run_pair(const double *C, mpr_par p, double r0, double v0, double T_units, double *r,
                     double *v)
{
    const double zero[4] = {0, 0, 0, 0};
    const double dt_ms = 0.1; /* dt = 0.01 time units with one unit = 10 ms */
    fcfit_connectome *cn = make_conn(2, C != NULL ? C : zero, dt_ms);
    fcfit_sim_config cfg = base_cfg(dt_ms, T_units * g_m->ms_per_unit);
    fcfit_sim *sim = NULL;
    uint64_t seed = 20240611;
    double x0[4] = {r0, r0, v0, v0}; /* [variable][node], one lane */

    r[0] = r[1] = v[0] = v[1] = NAN;
    const fcfit_status st = fcfit_sim_create(&sim, g_m, cn, &cfg, 1);
    if (st != FCFIT_OK) {
        CHECK_OK(st);
        fcfit_connectome_destroy(&cn);
        return;
    }
    for (size_t k = 0; k < 2; k++) {
        fcfit_sim_param(sim, P_TAU)[k] = p.tau;
        fcfit_sim_param(sim, P_DELTA)[k] = p.Delta;
        fcfit_sim_param(sim, P_J)[k] = p.J;
        fcfit_sim_param(sim, P_ETA)[k] = p.eta;
        fcfit_sim_param(sim, P_I)[k] = 0.0;
        fcfit_sim_param(sim, P_G)[k] = p.G;
        fcfit_sim_param(sim, P_D)[k] = 0.0;
    }
    CHECK_OK(fcfit_sim_reset(sim, &seed));
    CHECK_OK(fcfit_sim_set_state(sim, x0));
    CHECK_OK(fcfit_sim_run(sim));
    CHECK_INT(fcfit_sim_lane_status(sim, 0, NULL), FCFIT_TASK_OK);
    const double *x = fcfit_sim_state(sim);
    r[0] = x[0];
    r[1] = x[1];
    v[0] = x[2];
    v[1] = x[3];
    fcfit_sim_destroy(&sim);
    fcfit_connectome_destroy(&cn);
}

/*
 * eta on the fixed-point curve as a function of r* (§2.10). Coupling of a
 * synchronous pair adds G r inside the 1/tau factor, i.e. J_eff = J + G / tau.
 */
static double eta_of_r(mpr_par p, double r)
{
    const double ptr = M_PI * p.tau * r;
    return ptr * ptr - (p.J * p.tau + p.G) * r -
           p.Delta * p.Delta / (4.0 * M_PI * M_PI * p.tau * p.tau * r * r);
}

/* d eta / dr. */
static double deta_dr(mpr_par p, double r)
{
    const double t2 = p.tau * p.tau;
    return 2.0 * M_PI * M_PI * t2 * r - (p.J * p.tau + p.G) +
           p.Delta * p.Delta / (2.0 * M_PI * M_PI * t2 * r * r * r);
}

/* Bisection of f(r) = 0 on [lo, hi] (f changes sign there). */
static double bisect(double (*f)(mpr_par, double, double), mpr_par p, double target, double lo,
                     double hi)
{
    double flo = f(p, lo, target);
    for (int it = 0; it < 200 && hi - lo > 1e-16 * hi; it++) {
        double mid = 0.5 * (lo + hi), fm = f(p, mid, target);
        if ((fm > 0.0) == (flo > 0.0)) {
            lo = mid;
            flo = fm;
        } else {
            hi = mid;
        }
    }
    return 0.5 * (lo + hi);
}

static double eta_resid(mpr_par p, double r, double target) { return eta_of_r(p, r) - target; }
static double deta_resid(mpr_par p, double r, double target) { return deta_dr(p, r) - target; }

/* The fixed points r* of eta_of_r(r) = p.eta, ascending; returns their number (at most 3). */
static int fixed_points(mpr_par p, double *rs)
{
    const size_t n = 200000;
    const double r_lo = 1e-3, r_hi = 5.0, h = (r_hi - r_lo) / (double)n;
    int count = 0;
    double prev = eta_resid(p, r_lo, p.eta);
    for (size_t i = 1; i <= n; i++) {
        double r = r_lo + (double)i * h, cur = eta_resid(p, r, p.eta);
        if ((prev > 0.0) != (cur > 0.0) && count < 3) {
            rs[count++] = bisect(eta_resid, p, p.eta, r - h, r);
        }
        prev = cur;
    }
    return count;
}

/* The two saddle-node values of eta (low, high), where d eta/dr = 0 on either side of the cusp. */
static void saddle_nodes(mpr_par p, double *eta_lo, double *eta_hi, double *r_lo, double *r_hi)
{
    /* d eta/dr has its minimum at r_c = (3/4)^(1/4) sqrt(Delta) / (pi tau); two roots flank it. */
    const double rc = pow(0.75, 0.25) * sqrt(p.Delta) / (M_PI * p.tau);
    double ra = bisect(deta_resid, p, 0.0, 1e-6, rc);
    double rb = bisect(deta_resid, p, 0.0, rc, 100.0);
    /* eta(r) rises to a local maximum at ra (the upper end) and falls to a minimum at rb. */
    *eta_hi = eta_of_r(p, ra);
    *eta_lo = eta_of_r(p, rb);
    *r_hi = ra;
    *r_lo = rb;
}

/* Eigenvalues of the Jacobian at (r, v), tau = 1 only: 2v +- sqrt(2 r (J + G - 2 pi^2 r)). */
static void eigen(mpr_par p, double r, double v, double *re1, double *re2, double *im)
{
    double disc = 2.0 * r * (p.J + p.G - 2.0 * M_PI * M_PI * r);
    if (disc >= 0.0) {
        *re1 = 2.0 * v + sqrt(disc);
        *re2 = 2.0 * v - sqrt(disc);
        *im = 0.0;
    } else {
        *re1 = *re2 = 2.0 * v;
        *im = sqrt(-disc);
    }
}

/* M1: the reference Heun runs and the analytic relations (J 15, Delta 1, eta -5). */
static void test_reference_runs(void)
{
    const mpr_par p = {1.0, 1.0, 15.0, -5.0, 0.0};
    double r[2], v[2], e1, e2, im;

    /* 300 time units: the up state (a focus, Re = -0.309) is reached to e^-90. */
    run_pair(NULL, p, 0.1, -2.0, 300.0, r, v);
    printf("     from (0.1, -2): (%.8f, %.8f)\n", r[0], v[0]);
    CHECK_ABS(r[0], 0.081134, 1e-5);
    CHECK_ABS(v[0], -1.961620, 1e-5);
    CHECK_ABS(v[0], -p.Delta / (2.0 * M_PI * p.tau * r[0]), 1e-9);
    CHECK_ABS(eta_of_r(p, r[0]), p.eta, 1e-9);
    eigen(p, r[0], v[0], &e1, &e2, &im);
    /* The table gives eigenvalues to 3 decimals: 1e-3 absolute. */
    CHECK_ABS(e1, -2.449, 1e-3);
    CHECK_ABS(e2, -5.398, 1e-3);
    CHECK_ABS(im, 0.0, 0.0);

    run_pair(NULL, p, 1.0, 0.0, 300.0, r, v);
    printf("     from (1, 0): (%.8f, %.8f)\n", r[0], v[0]);
    CHECK_ABS(r[0], 1.030597, 1e-5);
    CHECK_ABS(v[0], -0.154430, 1e-5);
    CHECK_ABS(v[0], -p.Delta / (2.0 * M_PI * p.tau * r[0]), 1e-9);
    CHECK_ABS(eta_of_r(p, r[0]), p.eta, 1e-9);
    eigen(p, r[0], v[0], &e1, &e2, &im);
    CHECK_ABS(e1, -0.309, 1e-3);
    CHECK_ABS(im, 3.319, 1e-3);

    /* The three fixed points of this row: down, saddle, up. */
    double rs[3];
    CHECK_INT(fixed_points(p, rs), 3);
    CHECK_ABS(rs[0], 0.08113, 1e-5);
    CHECK_ABS(rs[2], 1.03060, 1e-5);

    /* The relations carry tau: with tau = 1.3 the run from (0.1, -2) ends on a fixed point
     * that satisfies both (drift in tau-units, coupling and time scale included). */
    const mpr_par pt = {1.3, 1.0, 15.0, -5.0, 0.0};
    run_pair(NULL, pt, 0.1, -2.0, 600.0, r, v);
    printf("     tau = 1.3 from (0.1, -2): (%.8f, %.8f)\n", r[0], v[0]);
    CHECK_ABS(v[0], -pt.Delta / (2.0 * M_PI * pt.tau * r[0]), 1e-9);
    CHECK_ABS(eta_of_r(pt, r[0]), pt.eta, 1e-9);
}

/* M1: down and up states of every row of the table, from starts 5 % away from each. */
static void test_table_rows(void)
{
    static const struct {
        double J, Delta, eta, rd, vd, ru, vu;
    } rows[] = {
        {15.0, 1.0, -5.0, 0.08113, -1.96162, 1.03060, -0.15443},
        {15.0, 1.0, -4.6, 0.08664, -1.83698, 1.09683, -0.14510},
        {14.5, 0.7, -4.6, 0.05712, -1.95037, 1.00801, -0.11052},
        {15.0, 0.7, -5.0, 0.05426, -2.05307, 1.02832, -0.10834},
    };
    for (size_t q = 0; q < sizeof rows / sizeof rows[0]; q++) {
        const mpr_par p = {1.0, rows[q].Delta, rows[q].J, rows[q].eta, 0.0};
        double r[2], v[2], rs[3];
        CHECK_INT(fixed_points(p, rs), 3);
        run_pair(NULL, p, 1.05 * rows[q].rd, 0.95 * rows[q].vd, 300.0, r, v);
        printf("     J %.4g Delta %.4g eta %.4g down: (%.8f, %.8f)\n", p.J, p.Delta, p.eta, r[0],
               v[0]);
        CHECK_ABS(r[0], rows[q].rd, 1e-5);
        CHECK_ABS(v[0], rows[q].vd, 1e-5);
        CHECK_ABS(r[0], rs[0], 1e-9);
        run_pair(NULL, p, 1.05 * rows[q].ru, 0.95 * rows[q].vu, 300.0, r, v);
        printf("     J %.4g Delta %.4g eta %.4g up:   (%.8f, %.8f)\n", p.J, p.Delta, p.eta, r[0],
               v[0]);
        CHECK_ABS(r[0], rows[q].ru, 1e-5);
        CHECK_ABS(v[0], rows[q].vu, 1e-5);
        CHECK_ABS(r[0], rs[2], 1e-9);
        CHECK_ABS(v[0], -p.Delta / (2.0 * M_PI * r[0]), 1e-9);
    }
}

/* M1: saddle-node ends of the bistable interval and the cusp. */
static void test_saddle_nodes(void)
{
    static const struct {
        double J, Delta, lo, hi;
    } rows[] = {
        {15.0, 1.0, -5.74353, -3.13613},
        {14.5, 0.7, -5.34880, -2.45182},
        {15.0, 0.7, -5.72089, -2.51509},
    };
    for (size_t q = 0; q < sizeof rows / sizeof rows[0]; q++) {
        mpr_par p = {1.0, rows[q].Delta, rows[q].J, 0.0, 0.0};
        double elo, ehi, rlo, rhi;
        saddle_nodes(p, &elo, &ehi, &rlo, &rhi);
        printf("     J %.4g Delta %.4g: bistable eta in (%.8f, %.8f)\n", p.J, p.Delta, elo, ehi);
        CHECK_ABS(elo, rows[q].lo, 1e-5);
        CHECK_ABS(ehi, rows[q].hi, 1e-5);
    }
    /* Cusp (tau = 1): J_c = 4 sqrt(2) pi sqrt(Delta) / 3^(3/4) ~ 7.79622 sqrt(Delta), where
     * r_c is a double root of d eta/dr, and eta_c = -sqrt(3) Delta. */
    const double Jc = 4.0 * sqrt(2.0) * M_PI / pow(3.0, 0.75);
    CHECK_ABS(Jc, 7.79622, 1e-5);
    static const double Deltas[2] = {0.7, 1.0};
    for (size_t q = 0; q < 2; q++) {
        const double Delta = Deltas[q];
        const mpr_par pc = {1.0, Delta, Jc * sqrt(Delta), 0.0, 0.0};
        const double rc = pow(0.75, 0.25) * sqrt(Delta) / M_PI;
        CHECK_ABS(deta_dr(pc, rc), 0.0, 1e-12);
        CHECK_ABS(eta_of_r(pc, rc), -sqrt(3.0) * Delta, 1e-12);
    }

    /*
     * By integration, with 1e-3 margins in eta: just inside the interval both
     * stable states are reached (from starts 1 % above each), just outside
     * only the surviving one, also from the ghost of the vanished pair (the
     * saddle-node point). 1000 time units cover the slow passage past the
     * ghost (about 100 units at this margin).
     */
    for (size_t q = 0; q < 2; q++) {
        mpr_par p = {1.0, rows[q].Delta, rows[q].J, 0.0, 0.0};
        double elo, ehi, rlo, rhi, rs[3], r[2], v[2], r2[2], v2[2];
        saddle_nodes(p, &elo, &ehi, &rlo, &rhi);
        const double inside[2] = {elo + 1e-3, ehi - 1e-3};
        const double outside[2] = {elo - 1e-3, ehi + 1e-3};
        const double ghost[2] = {rlo, rhi};
        for (int side = 0; side < 2; side++) {
            p.eta = inside[side];
            CHECK_INT(fixed_points(p, rs), 3);
            run_pair(NULL, p, 1.01 * rs[0], -p.Delta / (2.0 * M_PI * rs[0]), 1000.0, r, v);
            run_pair(NULL, p, 1.01 * rs[2], -p.Delta / (2.0 * M_PI * rs[2]), 1000.0, r2, v2);
            printf("     J %.4g eta %.6f (inside): ends r = %.8f and %.8f\n", p.J, p.eta, r[0],
                   r2[0]);
            CHECK_ABS(r[0], rs[0], 1e-9);
            CHECK_ABS(r2[0], rs[2], 1e-9);
            CHECK_TRUE(r2[0] - r[0] > 0.1);

            p.eta = outside[side];
            CHECK_INT(fixed_points(p, rs), 1);
            run_pair(NULL, p, ghost[side], -p.Delta / (2.0 * M_PI * ghost[side]), 1000.0, r, v);
            run_pair(NULL, p, 1.01 * rs[0], -p.Delta / (2.0 * M_PI * rs[0]), 1000.0, r2, v2);
            printf("     J %.4g eta %.6f (outside): ends r = %.8f and %.8f\n", p.J, p.eta, r[0],
                   r2[0]);
            CHECK_ABS(r[0], rs[0], 1e-9);
            CHECK_ABS(r2[0], rs[0], 1e-9);
            /* The surviving state is the down state below the interval, the up state above. */
            CHECK_TRUE(side == 0 ? rs[0] < rlo : rs[0] > rhi);
        }
    }
}

/* M2: two mutually coupled nodes in synchrony equal one node with J + G / tau. */
static void test_two_node_coupling(void)
{
    const double C[4] = {0, 1, 1, 0};
    const mpr_par p = {1.0, 1.0, 15.0, -5.0, 0.5};
    const mpr_par single = {1.0, 1.0, 15.5, -5.0, 0.0};
    double r[2], v[2], rs_[2], vs_[2];
    run_pair(C, p, 1.0, 0.0, 300.0, r, v);
    printf("     2 nodes, G = 0.5: (%.8f, %.8f) and (%.8f, %.8f)\n", r[0], v[0], r[1], v[1]);
    /* Table precision 1e-6 (§13 M2). */
    CHECK_ABS(r[0], 1.119964, 1e-6);
    CHECK_ABS(v[0], -0.142107, 1e-6);
    CHECK_BITWISE(&r[1], &r[0], 1);
    CHECK_BITWISE(&v[1], &v[0], 1);
    run_pair(NULL, single, 1.0, 0.0, 300.0, rs_, vs_);
    printf("     1 node, J = 15.5:  (%.8f, %.8f)\n", rs_[0], vs_[0]);
    /* G r and J r are rounded differently; the states agree to rounding after convergence. */
    CHECK_ABS(r[0], rs_[0], 1e-10);
    CHECK_ABS(v[0], vs_[0], 1e-10);
    CHECK_ABS(eta_of_r(p, r[0]), p.eta, 1e-9);
}

int main(void)
{
    CHECK_OK(fcfit_model_find("mpr", &g_m));
    if (g_m == NULL) {
        return fcfit_test_finish();
    }
    P_TAU = fcfit_model_param_index(g_m, "tau");
    P_DELTA = fcfit_model_param_index(g_m, "Delta");
    P_J = fcfit_model_param_index(g_m, "J");
    P_ETA = fcfit_model_param_index(g_m, "eta");
    P_I = fcfit_model_param_index(g_m, "I");
    P_G = fcfit_model_param_index(g_m, "G");
    P_D = fcfit_model_param_index(g_m, "D");
    const size_t none = (size_t)-1;
    const int found = P_TAU != none && P_DELTA != none && P_J != none && P_ETA != none &&
                      P_I != none && P_G != none && P_D != none;
    CHECK_TRUE(found);
    if (!found) {
        return fcfit_test_finish();
    }
    /* One model time unit is tau = 10 ms (vbi), so sim.dt_ms = 0.1 is dt = 0.01. */
    CHECK_ABS(g_m->ms_per_unit, 10.0, 0.0);
    test_reference_runs();
    test_table_rows();
    test_saddle_nodes();
    test_two_node_coupling();
    return fcfit_test_finish();
}
