/**
 * @file fcfit_rng.h
 * Random numbers: the documented derivation of per-task seeds, the
 * counter-based step noise of simulations (Philox4x32-10, below), and the
 * xoshiro256** generator as a GSL rng type for everything drawn once (random
 * initial states, synthetic data): all of GSL's distributions apply to it.
 * xoshiro256** is used instead of GSL's built-in generators because it takes
 * a full 64-bit seed (GSL's mt19937 and taus2 keep only 32 bits, so distinct
 * task seeds could collide), is fast, and has 256 bits of state.
 *
 * Seed derivation (also in docs/determinism.md):
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

#include "fcfit/fcfit_status.h"

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

/*
 * Counter-based noise (Philox4x32-10; Salmon, Moraes, Dror & Shaw 2011,
 * "Parallel random numbers: as easy as 1, 2, 3", SC'11).
 *
 * Simulation noise is a pure function of (key, step, index): the standard
 * normal number q of step n of a lane with noise key K is
 *
 *   P = ceil(Q / 2) pairs for Q numbers per step; pair b < P uses
 *   (x0, x1, x2, x3) = Philox4x32-10(counter = (b, 0x6e6f6973, n mod 2^32, n div 2^32),
 *                                    key = (K mod 2^32, K div 2^32))
 *   u  = (m1 + 1/2) 2^-52,  m1 = the 52 bits (x1 << 20) ^ (x0 >> 12)     in (0, 1)
 *   m2 = (x3 << 20) ^ (x2 >> 12); quadrant j = m2 >> 50,
 *   g  = (m2 mod 2^50) 2^-50 - 1/2;  theta = (pi/2) (j + g)
 *   number b     = sqrt(-2 ln u) cos(theta)      (Box and Muller 1958)
 *   number b + P = sqrt(-2 ln u) sin(theta)      (when b + P < Q)
 *
 * with ln, cos and sin evaluated by the branch-free polynomials of
 * fcfit_vmath.h, so the numbers are the same bits on every CPU and in
 * every vector width. Nothing carries from one step to the next, so a run
 * split into chunks draws exactly the numbers of an unsplit run. A lane's
 * key is fcfit_rng_noise_key(seed) of its task seed.
 */

/** Philox4x32-10 of one counter block (reference form, used by tests). */
void fcfit_rng_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/** Noise key of a task seed: mix64(seed XOR 0x6e6f697365) ("noise"). */
uint64_t fcfit_rng_noise_key(uint64_t seed);

/**
 * A plan for drawing Q standard normals per step for each of L lanes, laid
 * out out[q*L + l] (the [variable][node][lane] order of the simulation).
 * Holds the per-lane keys and index tables; no state changes while drawing.
 */
typedef struct fcfit_noise fcfit_noise;

/** Plan for Q numbers per step and L lanes; keys start at 0 (set them with fcfit_noise_set_key). */
fcfit_status fcfit_noise_create(fcfit_noise **nz, size_t Q, size_t L);

/** Free; safe on NULL; sets *nz to NULL. */
void fcfit_noise_destroy(fcfit_noise **nz);

/** Set lane l's key (fcfit_rng_noise_key of its seed). */
void fcfit_noise_set_key(fcfit_noise *nz, size_t l, uint64_t key);

/** Size in doubles of the output buffer of fcfit_noise_fill (>= Q*L; the tail is scratch). */
size_t fcfit_noise_buffer_size(const fcfit_noise *nz);

/**
 * The numbers of step `step` for every lane: out[q*L + l], q < Q. out holds
 * fcfit_noise_buffer_size doubles (entries past Q*L are overwritten scratch).
 */
void fcfit_noise_fill(const fcfit_noise *nz, uint64_t step, double *out);

#ifdef __cplusplus
}
#endif
#endif /* FCFIT_RNG_H */
