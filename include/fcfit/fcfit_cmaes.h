/**
 * @file fcfit_cmaes.h
 * Separable CMA-ES (Ros & Hansen 2008, "A simple modification in CMA-ES
 * achieving linear time and space complexity", PPSN X) on the unit box
 * [0, 1]^n, as an ask/tell object: the caller evaluates a whole generation
 * (lambda points, in parallel) and tells all lambda values back at once, so
 * every update sees the complete generation and the trajectory does not
 * depend on the order in which evaluations finish.
 *
 * The update is the (mu/mu_w, lambda)-CMA-ES of Hansen's tutorial ("The CMA
 * Evolution Strategy: A Tutorial", arXiv:1604.00772, default parameters, positive
 * recombination weights) with the covariance matrix restricted to its
 * diagonal, whose learning rates c_1 and c_mu are multiplied by (n + 2) / 3 as
 * Ros and Hansen prescribe. Samples outside the box are mirrored back into it
 * and the mirrored points are the ones evaluated and used for the update.
 *
 * Deterministic: the normal draws come from one xoshiro256** stream seeded
 * at creation, drawn in generation, then sample, then coordinate order.
 */
#ifndef FCFIT_CMAES_H
#define FCFIT_CMAES_H

#include <stddef.h>
#include <stdint.h>

#include "fcfit/fcfit_status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fcfit_cmaes fcfit_cmaes;

/**
 * @param n       dimension (>= 1)
 * @param lambda  population per generation (>= 2); 0: 4 + floor(3 ln n)
 * @param x0      [n] start (mean) in [0, 1]^n (copied)
 * @param sigma0  initial step size (in unit-box coordinates)
 * @param seed    seed of the sampling stream
 */
fcfit_status fcfit_cmaes_create(fcfit_cmaes **c, size_t n, size_t lambda, const double *x0,
                                double sigma0, uint64_t seed);
void fcfit_cmaes_destroy(fcfit_cmaes **c);

/** Population size lambda. */
size_t fcfit_cmaes_lambda(const fcfit_cmaes *c);

/** Sample the next generation: X is [lambda][n], every point inside [0, 1]^n. */
void fcfit_cmaes_ask(fcfit_cmaes *c, double *X);

/** Update with the losses f[lambda] of the points of the last ask (lower is better). */
fcfit_status fcfit_cmaes_tell(fcfit_cmaes *c, const double *f);

/** Generations completed (tells). */
size_t fcfit_cmaes_generation(const fcfit_cmaes *c);

/** Current mean [n] and step size. */
const double *fcfit_cmaes_mean(const fcfit_cmaes *c);
double fcfit_cmaes_sigma(const fcfit_cmaes *c);

/** Largest standard deviation sigma * max_i sqrt(C_ii): below a tolerance, the search has converged. */
double fcfit_cmaes_max_std(const fcfit_cmaes *c);

#ifdef __cplusplus
}
#endif
#endif /* FCFIT_CMAES_H */
