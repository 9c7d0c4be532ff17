/*
 * rng.c: xoshiro256** plugged into GSL as an rng type, and seed derivation.
 *
 * The generator is the public-domain algorithm of Blackman and Vigna
 * ("Scrambled linear pseudorandom number generators", ACM TOMS 2021); the
 * state is seeded from a 64-bit value by splitmix64, as its authors advise.
 * get() returns the full 64-bit output; get_double() the top 53 bits scaled
 * to [0, 1).
 *
 * The simulation noise is counter-based instead (Philox4x32-10, Salmon et
 * al. 2011; the stream is defined in fcfit_rng.h): one flat loop over
 * (pair, lane) per step computes the ten Philox rounds with 32x32->64-bit
 * products, a 52-bit uniform for the radius and another for the angle, and
 * the Box-Muller pair with the branch-free polynomial log, sin and cos. The
 * loop vectorises across pairs and lanes and, having no state, gives the
 * same numbers however a run is chunked.
 */
#include "fcfit/fcfit_rng.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>

#include "fcfit/fcfit_vmath.h"

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

/* Philox4x32 constants (Salmon et al. 2011): multipliers and Weyl key increments. */
#define PHILOX_M0 UINT64_C(0xD2511F53)
#define PHILOX_M1 UINT64_C(0xCD9E8D57)
#define PHILOX_W0 UINT32_C(0x9E3779B9)
#define PHILOX_W1 UINT32_C(0xBB67AE85)
/* Second counter word of the noise stream ("nois"): keeps it apart from any other use of a key. */
#define NOISE_TAG UINT32_C(0x6e6f6973)

void fcfit_rng_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3], k0 = key[0], k1 = key[1];
    for (int r = 0; r < 10; r++) {
        const uint64_t p0 = PHILOX_M0 * c0, p1 = PHILOX_M1 * c2;
        const uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        const uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        c1 = (uint32_t)p1;
        c3 = (uint32_t)p0;
        c0 = n0;
        c2 = n2;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

uint64_t fcfit_rng_noise_key(uint64_t seed) { return fcfit_rng_mix64(seed ^ 0x6e6f697365ULL); }

struct fcfit_noise {
    size_t Q, L, P;
    uint32_t *key0, *key1, *pair; /* per flat index k = b*L + l */
};

void fcfit_noise_destroy(fcfit_noise **pnz)
{
    if (pnz == NULL || *pnz == NULL) {
        return;
    }
    free((*pnz)->key0);
    free((*pnz)->key1);
    free((*pnz)->pair);
    free(*pnz);
    *pnz = NULL;
}

fcfit_status fcfit_noise_create(fcfit_noise **out, size_t Q, size_t L)
{
    fcfit_status st = FCFIT_OK;
    fcfit_noise *nz = NULL;
    *out = NULL;
    FCFIT_REQUIRE(Q >= 1 && L >= 1 && Q <= (size_t)UINT32_MAX, FCFIT_ERR_ARG,
                  "noise plan: %zu numbers per step for %zu lanes", Q, L);
    nz = calloc(1, sizeof *nz);
    FCFIT_REQUIRE(nz != NULL, FCFIT_ERR_NOMEM, "cannot allocate the noise plan");
    nz->Q = Q;
    nz->L = L;
    nz->P = (Q + 1) / 2;
    FCFIT_ALLOC_GOTO(nz->key0, nz->P * L, "noise keys");
    FCFIT_ALLOC_GOTO(nz->key1, nz->P * L, "noise keys");
    FCFIT_ALLOC_GOTO(nz->pair, nz->P * L, "noise counters");
    for (size_t b = 0; b < nz->P; b++) {
        for (size_t l = 0; l < L; l++) {
            nz->pair[b * L + l] = (uint32_t)b;
        }
    }
    *out = nz;
    return FCFIT_OK;

cleanup:
    fcfit_noise_destroy(&nz);
    return st;
}

void fcfit_noise_set_key(fcfit_noise *nz, size_t l, uint64_t key)
{
    for (size_t b = 0; b < nz->P; b++) {
        nz->key0[b * nz->L + l] = (uint32_t)key;
        nz->key1[b * nz->L + l] = (uint32_t)(key >> 32);
    }
}

size_t fcfit_noise_buffer_size(const fcfit_noise *nz) { return 2 * nz->P * nz->L; }

/* sin and cos of t, |t| <= pi/4, by their Taylor series (to t^17 and t^16: error < 5e-17). */
static inline double noise_sin(double t)
{
    const double z = t * t;
    double p = 1.0 / 355687428096000.0; /* 1/17! */
    p = p * z - 1.0 / 1307674368000.0;
    p = p * z + 1.0 / 6227020800.0;
    p = p * z - 1.0 / 39916800.0;
    p = p * z + 1.0 / 362880.0;
    p = p * z - 1.0 / 5040.0;
    p = p * z + 1.0 / 120.0;
    p = p * z - 1.0 / 6.0;
    return t + t * (z * p);
}

static inline double noise_cos(double t)
{
    const double z = t * t;
    double p = 1.0 / 20922789888000.0; /* 1/16! */
    p = p * z - 1.0 / 87178291200.0;
    p = p * z + 1.0 / 479001600.0;
    p = p * z - 1.0 / 3628800.0;
    p = p * z + 1.0 / 40320.0;
    p = p * z - 1.0 / 720.0;
    p = p * z + 1.0 / 24.0;
    return (1.0 - 0.5 * z) + (z * z) * p;
}

FCFIT_VM_CLONES
void fcfit_noise_fill(const fcfit_noise *nz, uint64_t step, double *restrict out)
{
    const size_t PL = nz->P * nz->L;
    const uint32_t *restrict key0 = nz->key0, *restrict key1 = nz->key1, *restrict pair = nz->pair;
    const uint32_t s_lo = (uint32_t)step, s_hi = (uint32_t)(step >> 32);
    const uint64_t one = UINT64_C(0x3ff0000000000000), sign = UINT64_C(1) << 63;

    for (size_t k = 0; k < PL; k++) { /* fcfit:vectorize */
        /* The 32-bit Philox words are held in 64-bit integers (high halves zero): the loop
         * then runs in 64-bit lanes throughout, with 32x32->64-bit vector products, which
         * GCC vectorises about twice as fast as mixed 32/64-bit lanes. */
        const uint64_t lo32 = UINT64_C(0xffffffff);
        uint64_t c0 = pair[k], c1 = NOISE_TAG, c2 = s_lo, c3 = s_hi, k0 = key0[k], k1 = key1[k];
        uint64_t m1, m2, j, cb, sb, swap;
        double u, rad, t, c, sn;
        for (int r = 0; r < 10; r++) {
            const uint64_t p0 = PHILOX_M0 * c0, p1 = PHILOX_M1 * c2;
            const uint64_t n0 = (p1 >> 32) ^ c1 ^ k0;
            const uint64_t n2 = (p0 >> 32) ^ c3 ^ k1;
            c1 = p1 & lo32;
            c3 = p0 & lo32;
            c0 = n0;
            c2 = n2;
            k0 = (k0 + PHILOX_W0) & lo32;
            k1 = (k1 + PHILOX_W1) & lo32;
        }
        /* Two 52-bit integers; as the significand of [1, 2) they convert without int->double. */
        m1 = (c1 << 20) ^ (c0 >> 12);
        m2 = (c3 << 20) ^ (c2 >> 12);
        u = (fcfit_vm_from_bits(m1 | one) - 1.0) + 0x1p-53;
        rad = sqrt(-2.0 * fcfit_vm_log(u));
        j = m2 >> 50;
        t = (fcfit_vm_from_bits(((m2 << 2) & UINT64_C(0x000fffffffffffff)) | one) - 1.5) *
            1.5707963267948966;
        c = noise_cos(t);
        sn = noise_sin(t);
        /* Rotate (c, sn) by j quarter turns with bit operations: swap for odd j, then signs. */
        swap = UINT64_C(0) - (j & 1);
        cb = (fcfit_vm_bits(c) & ~swap) | (fcfit_vm_bits(sn) & swap);
        sb = (fcfit_vm_bits(sn) & ~swap) | (fcfit_vm_bits(c) & swap);
        cb ^= ((j + 1) & 2) ? sign : 0;
        sb ^= (j & 2) ? sign : 0;
        out[k] = rad * fcfit_vm_from_bits(cb);
        out[k + PL] = rad * fcfit_vm_from_bits(sb);
    }
}
