/*
 * dmf_impl.h: internals of the Dynamic Mean Field model (src/models/dmf.c)
 * that its tests need: the per-point parameter record, the transfer
 * functions and currents shared by the drift and the BOLD drive, and the
 * closed-form feedback inhibition control (docs/models/dmf.md).
 *
 * Units: time in ms, currents in nA, rates in Hz; gamma_E and gamma_I are
 * given in s-units (0.641, 1) and divided by 1000 where they meet ms.
 */
#ifndef FCFIT_DMF_IMPL_H
#define FCFIT_DMF_IMPL_H

#include <stddef.h>

#include <gsl/gsl_roots.h>

#include "models/models_impl.h"

/** Every DMF parameter of one point (region x lane) as plain numbers. */
typedef struct fcfit_dmf_point {
    double G, J_N, I0, W_E, W_I, w_plus;
    double a_E, b_E, d_E, a_I, b_I, d_I;
    double tau_E, tau_I, gamma_E, gamma_I, lambda;
    double I_ext, J, R, s_E, s_I;
    double target_hz; /**< fic_target_hz */
} fcfit_dmf_point;

/** A fixed point of one region, as the closed-form FIC finds it. */
typedef struct fcfit_dmf_fixed {
    double S_E, S_I; /**< gating variables */
    double I_E, I_I; /**< input currents (nA) */
    double r_E, r_I; /**< rates (Hz) */
    double J;        /**< feedback inhibition that makes r_E the target (nA) */
} fcfit_dmf_fixed;

/** The descriptor's default values. */
void fcfit_dmf_point_default(fcfit_dmf_point *pt);

/** Point k of the parameter arrays p[j][k] of fcfit_model_dmf. */
void fcfit_dmf_point_at(const double *const *p, size_t k, fcfit_dmf_point *pt);

/** S_E at which the excitatory rate pt->target_hz is a fixed point of dS_E/dt. */
double fcfit_dmf_se_star(const fcfit_dmf_point *pt);

/**
 * Closed-form FIC of one region: the fixed point with r_E = pt->target_hz
 * and the J that makes it one.
 *
 * @param pt     in: the region's parameters (pt->J is ignored)
 * @param c_star in: raw coupling sum at the fixed point, sum_j C_ij S_E,j*
 * @param ws     in/out: a Brent solver workspace (gsl_root_fsolver_brent)
 * @param out    out: the fixed point and J
 * @return NULL on success, otherwise a static string saying why there is no
 *         solution (the caller marks the lane out of domain with it).
 */
const char *fcfit_dmf_fic_closed(const fcfit_dmf_point *pt, double c_star, gsl_root_fsolver *ws,
                                 fcfit_dmf_fixed *out);

/*
 * The currents and rates. The drift, the BOLD drive and the closed form
 * all go through these, so that the rate seen by BOLD is bitwise the rate
 * in the drift and the closed form solves exactly the simulated equations.
 * The additions follow FastDMF's order (I0 term, recurrence, coupling,
 * inhibition), which costs nothing and keeps parity runs close.
 */
static inline double fcfit_dmf_current_e(double W_E, double I0, double w_plus, double J_N,
                                         double G, double J, double I_ext, double S_E,
                                         double S_I, double c)
{
    return W_E * I0 + w_plus * J_N * S_E + G * J_N * c - J * S_I + I_ext;
}

static inline double fcfit_dmf_current_i(double W_I, double I0, double J_N, double G,
                                         double lambda, double S_E, double S_I, double c)
{
    return W_I * I0 + J_N * S_E - S_I + lambda * G * J_N * c;
}

/* Rate of a population: H((a*I - b)*(1 + R*s)) with the Abbott–Chance H. */
static inline double fcfit_dmf_rate(double a, double b, double d, double R, double s, double I)
{
    return fcfit_abbott_chance((a * I - b) * (1.0 + R * s), d);
}

#endif /* FCFIT_DMF_IMPL_H */
