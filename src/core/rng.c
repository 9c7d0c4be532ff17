/*
 * rng.c: xoshiro256** plugged into GSL as an rng type, and seed derivation.
 *
 * The generator is the public-domain algorithm of Blackman and Vigna
 * ("Scrambled linear pseudorandom number generators", ACM TOMS 2021); the
 * state is seeded from a 64-bit value by splitmix64, as its authors advise.
 * get() returns the full 64-bit output; get_double() the top 53 bits scaled
 * to [0, 1).
 */
#include "fcfit/fcfit_rng.h"

#include <gsl/gsl_randist.h>

typedef struct xoshiro_state {
    uint64_t s[4];
} xoshiro_state;

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t fcfit_rng_mix64(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

uint64_t fcfit_rng_derive(uint64_t seed, uint64_t a, uint64_t b)
{
    /* 0x6663666974 is "fcfit" in ASCII: a fixed domain separator. */
    return fcfit_rng_mix64(fcfit_rng_mix64(fcfit_rng_mix64(seed ^ 0x6663666974ULL) ^ a) ^ b);
}

static inline uint64_t xoshiro_next(xoshiro_state *st)
{
    uint64_t *s = st->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static void xoshiro_set(void *vstate, unsigned long int seed)
{
    xoshiro_state *st = vstate;
    uint64_t z = (uint64_t)seed;
    for (int k = 0; k < 4; k++) {
        /* splitmix64 sequence: advance by the golden gamma, then finalise. */
        st->s[k] = fcfit_rng_mix64(z);
        z += 0x9E3779B97F4A7C15ULL;
    }
}

static unsigned long int xoshiro_get(void *vstate) { return (unsigned long int)xoshiro_next(vstate); }

static double xoshiro_get_double(void *vstate)
{
    return (double)(xoshiro_next(vstate) >> 11) * 0x1.0p-53;
}

static const gsl_rng_type xoshiro_type = {"xoshiro256**", 0xFFFFFFFFFFFFFFFFUL, 0UL,
                                          sizeof(xoshiro_state), xoshiro_set, xoshiro_get,
                                          xoshiro_get_double};

const gsl_rng_type *fcfit_rng_xoshiro256ss = &xoshiro_type;

gsl_rng *fcfit_rng_alloc(uint64_t seed)
{
    gsl_rng *r = gsl_rng_alloc(fcfit_rng_xoshiro256ss);
    if (r != NULL) {
        gsl_rng_set(r, (unsigned long int)seed);
    }
    return r;
}

void fcfit_rng_gaussian_fill(gsl_rng *r, double *out, size_t n, size_t stride)
{
    for (size_t k = 0; k < n; k++) {
        out[k * stride] = gsl_ran_gaussian_ziggurat(r, 1.0);
    }
}
