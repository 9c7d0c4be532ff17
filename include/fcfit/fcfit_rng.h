/**
 * @file fcfit_rng.h
 * Random numbers: the xoshiro256** generator as a GSL rng type, and the
 * documented derivation of per-task seeds.
 *
 * Every noise stream is a gsl_rng of type fcfit_rng_xoshiro256ss, so all of
 * GSL's distributions apply; normal variates come from
 * gsl_ran_gaussian_ziggurat. xoshiro256** is used instead of GSL's built-in
 * generators because it takes a full 64-bit seed (GSL's mt19937 and taus2
 * keep only 32 bits, so distinct task seeds could collide), is fast, and has
 * 256 bits of state.
 *
 * Seed derivation (DESIGN.md §2.1; also in docs/determinism.md):
 *
 *   mix(z)   = splitmix64 finaliser of z + 0x9E3779B97F4A7C15
 *   derive(seed, a, b) = mix(mix(mix(seed ^ 0x6663666974) ^ a) ^ b)
 *
 * A task's replicate r uses derive(job_seed, task_id, r). gsl_rng_set then
 * expands the 64-bit value into the 256-bit state with four splitmix64 steps.
 * Nothing depends on rank, worker count, time or arrival order.
 */
#ifndef FCFIT_RNG_H
#define FCFIT_RNG_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#ifdef __cplusplus
extern "C" {
#endif

/** GSL rng type for xoshiro256** (Blackman & Vigna 2018). */
extern const gsl_rng_type *fcfit_rng_xoshiro256ss;

/** splitmix64 finaliser of z + golden gamma (a bijection of 64-bit integers). */
uint64_t fcfit_rng_mix64(uint64_t z);

/** The documented seed derivation derive(seed, a, b). */
uint64_t fcfit_rng_derive(uint64_t seed, uint64_t a, uint64_t b);

/** Allocate an xoshiro256** gsl_rng seeded with seed (NULL when out of memory). */
gsl_rng *fcfit_rng_alloc(uint64_t seed);

/**
 * Fill out[k*stride] for k < n with independent standard normal variates
 * (ziggurat), in order k = 0, 1, ..., n-1.
 */
void fcfit_rng_gaussian_fill(gsl_rng *r, double *out, size_t n, size_t stride);

#ifdef __cplusplus
}
#endif
#endif /* FCFIT_RNG_H */
