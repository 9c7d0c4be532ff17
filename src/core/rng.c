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

/*
 * sin and cos of t, |t| <= pi/4, by their Taylor series (to t^17 and t^16:
 * error < 5e-17), in z = t^2 by Estrin's scheme (short dependency chains).
 */
static inline double noise_sin(double t)
{
    const double z = t * t, z2 = z * z, z4 = z2 * z2;
    const double q0 = -1.0 / 6.0 + z * (1.0 / 120.0);
    const double q1 = -1.0 / 5040.0 + z * (1.0 / 362880.0);
    const double q2 = -1.0 / 39916800.0 + z * (1.0 / 6227020800.0);
    const double q3 = -1.0 / 1307674368000.0 + z * (1.0 / 355687428096000.0);
    const double p = (q0 + q1 * z2) + (q2 + q3 * z2) * z4;
    return t + t * (z * p);
}

static inline double noise_cos(double t)
{
    const double z = t * t, z2 = z * z, z4 = z2 * z2;
    const double q0 = 1.0 / 24.0 - z * (1.0 / 720.0);
    const double q1 = 1.0 / 40320.0 - z * (1.0 / 3628800.0);
    const double q2 = 1.0 / 479001600.0 - z * (1.0 / 87178291200.0);
    const double q3 = 1.0 / 20922789888000.0;
    const double p = (q0 + q1 * z2) + (q2 + q3 * z2) * z4;
    return (1.0 - 0.5 * z) + (z * z) * p;
}

/*
 * The Philox part: for counters k < n of one step, the 52-bit words
 * m1 = (x1 << 20) ^ (x0 >> 12) and m2 = (x3 << 20) ^ (x2 >> 12) of the block
 * (x0..x3). Integer arithmetic is exact, so every version below gives the
 * same words; they differ only in how many counters a vector holds. GCC
 * does not turn the 32x32->64-bit products into the single unsigned
 * multiply of SSE2/AVX2/AVX-512 (pmuludq) by itself, which makes its
 * auto-vectorised Philox 5-10 times slower there, hence the intrinsics.
 */
static inline void philox_words(uint32_t pair, uint32_t key0, uint32_t key1, uint32_t s_lo,
                                uint32_t s_hi, uint64_t *m1, uint64_t *m2)
{
    const uint32_t ctr[4] = {pair, NOISE_TAG, s_lo, s_hi}, key[2] = {key0, key1};
    uint32_t x[4];
    fcfit_rng_philox4x32_10(ctr, key, x);
    *m1 = ((uint64_t)x[1] << 20) ^ (x[0] >> 12);
    *m2 = ((uint64_t)x[3] << 20) ^ (x[2] >> 12);
}

static void philox_scalar(size_t n, const uint32_t *pair, const uint32_t *key0,
                          const uint32_t *key1, uint32_t s_lo, uint32_t s_hi, uint64_t *m1,
                          uint64_t *m2)
{
    for (size_t k = 0; k < n; k++) {
        philox_words(pair[k], key0[k], key1[k], s_lo, s_hi, &m1[k], &m2[k]);
    }
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#include <immintrin.h>
#define FCFIT_PHILOX_SIMD 1

/*
 * One SIMD body for three register widths: VEC is the integer vector type,
 * W its number of 64-bit lanes, and the macros below its operations. The
 * 32-bit words sit in 64-bit lanes whose high halves may hold garbage: the
 * multiply reads only the low halves, XOR and addition carry only upwards,
 * and the words are masked at the end.
 */
#define PHILOX_SIMD_BODY(VEC, W, LOADU32, SET1, MUL, SRLI, SLLI, XOR, ADD, AND, STORE)          \
    size_t k = 0;                                                                                \
    const VEC mul0 = SET1((long long)PHILOX_M0), mul1 = SET1((long long)PHILOX_M1);             \
    const VEC w0 = SET1((long long)PHILOX_W0), w1 = SET1((long long)PHILOX_W1);                 \
    const VEC lo = SET1(0xffffffffLL), tag = SET1((long long)NOISE_TAG);                        \
    const VEC slo = SET1((long long)s_lo), shi = SET1((long long)s_hi);                         \
    for (; k + (W) <= n; k += (W)) {                                                             \
        VEC c0 = LOADU32(pair + k), c1 = tag, c2 = slo, c3 = shi;                                \
        VEC k0 = LOADU32(key0 + k), k1 = LOADU32(key1 + k);                                      \
        for (int r = 0; r < 10; r++) {                                                           \
            const VEC p0 = MUL(c0, mul0), p1 = MUL(c2, mul1);                                    \
            c0 = XOR(XOR(SRLI(p1, 32), c1), k0);                                                 \
            c2 = XOR(XOR(SRLI(p0, 32), c3), k1);                                                 \
            c1 = p1;                                                                             \
            c3 = p0;                                                                             \
            k0 = ADD(k0, w0);                                                                    \
            k1 = ADD(k1, w1);                                                                    \
        }                                                                                        \
        c0 = AND(c0, lo);                                                                        \
        c1 = AND(c1, lo);                                                                        \
        c2 = AND(c2, lo);                                                                        \
        c3 = AND(c3, lo);                                                                        \
        STORE(m1 + k, XOR(SLLI(c1, 20), SRLI(c0, 12)));                                          \
        STORE(m2 + k, XOR(SLLI(c3, 20), SRLI(c2, 12)));                                          \
    }                                                                                            \
    philox_scalar(n - k, pair + k, key0 + k, key1 + k, s_lo, s_hi, m1 + k, m2 + k)

#define LD128(p) _mm_cvtepu32_epi64_sse2((const uint32_t *)(p))
static inline __m128i _mm_cvtepu32_epi64_sse2(const uint32_t *p)
{
    return _mm_set_epi64x((long long)p[1], (long long)p[0]);
}
#define ST128(p, v) _mm_storeu_si128((__m128i *)(p), (v))
static void philox_sse2(size_t n, const uint32_t *pair, const uint32_t *key0,
                        const uint32_t *key1, uint32_t s_lo, uint32_t s_hi, uint64_t *m1,
                        uint64_t *m2)
{
    PHILOX_SIMD_BODY(__m128i, 2, LD128, _mm_set1_epi64x, _mm_mul_epu32, _mm_srli_epi64,
                     _mm_slli_epi64, _mm_xor_si128, _mm_add_epi64, _mm_and_si128, ST128);
}

#define LD256(p) _mm256_cvtepu32_epi64(_mm_loadu_si128((const __m128i *)(p)))
#define ST256(p, v) _mm256_storeu_si256((__m256i *)(p), (v))
__attribute__((target("avx2"))) static void philox_avx2(size_t n, const uint32_t *pair,
                                                        const uint32_t *key0,
                                                        const uint32_t *key1, uint32_t s_lo,
                                                        uint32_t s_hi, uint64_t *m1, uint64_t *m2)
{
    PHILOX_SIMD_BODY(__m256i, 4, LD256, _mm256_set1_epi64x, _mm256_mul_epu32, _mm256_srli_epi64,
                     _mm256_slli_epi64, _mm256_xor_si256, _mm256_add_epi64, _mm256_and_si256,
                     ST256);
}

#define LD512(p) _mm512_cvtepu32_epi64(_mm256_loadu_si256((const __m256i *)(p)))
#define ST512(p, v) _mm512_storeu_si512((void *)(p), (v))
__attribute__((target("avx512f"))) static void philox_avx512(size_t n, const uint32_t *pair,
                                                             const uint32_t *key0,
                                                             const uint32_t *key1, uint32_t s_lo,
                                                             uint32_t s_hi, uint64_t *m1,
                                                             uint64_t *m2)
{
    PHILOX_SIMD_BODY(__m512i, 8, LD512, _mm512_set1_epi64, _mm512_mul_epu32, _mm512_srli_epi64,
                     _mm512_slli_epi64, _mm512_xor_si512, _mm512_add_epi64, _mm512_and_si512,
                     ST512);
}
#endif

/* The widest Philox version this CPU runs. */
static void philox_block(size_t n, const uint32_t *pair, const uint32_t *key0,
                         const uint32_t *key1, uint32_t s_lo, uint32_t s_hi, uint64_t *m1,
                         uint64_t *m2)
{
#ifdef FCFIT_PHILOX_SIMD
    const char *isa = fcfit_vm_isa();
    if (isa[0] == 'a' && isa[3] == '5') {
        philox_avx512(n, pair, key0, key1, s_lo, s_hi, m1, m2);
    } else if (isa[0] == 'a') {
        philox_avx2(n, pair, key0, key1, s_lo, s_hi, m1, m2);
    } else {
        philox_sse2(n, pair, key0, key1, s_lo, s_hi, m1, m2);
    }
#else
    philox_scalar(n, pair, key0, key1, s_lo, s_hi, m1, m2);
#endif
}

/* The Box-Muller part for n pairs of words: out_c[k] (cosine), out_s[k] (sine). */
FCFIT_VM_CLONES
static void noise_transform(size_t n, const uint64_t *restrict m1, const uint64_t *restrict m2,
                            double *restrict out_c, double *restrict out_s)
{
    const uint64_t one = UINT64_C(0x3ff0000000000000), sign = UINT64_C(1) << 63;
    for (size_t k = 0; k < n; k++) { /* fcfit:vectorize */
        const uint64_t j = m2[k] >> 50;
        /* As the significand of [1, 2), a 52-bit integer converts without int->double. */
        const double u = (fcfit_vm_from_bits(m1[k] | one) - 1.0) + 0x1p-53;
        const double rad = sqrt(-2.0 * fcfit_vm_log(u));
        const double t =
            (fcfit_vm_from_bits(((m2[k] << 2) & UINT64_C(0x000fffffffffffff)) | one) - 1.5) *
            1.5707963267948966;
        const double c = noise_cos(t), sn = noise_sin(t);
        /* Rotate (c, sn) by j quarter turns with bit operations: swap for odd j, then signs. */
        const uint64_t swap = UINT64_C(0) - (j & 1);
        uint64_t cb = (fcfit_vm_bits(c) & ~swap) | (fcfit_vm_bits(sn) & swap);
        uint64_t sb = (fcfit_vm_bits(sn) & ~swap) | (fcfit_vm_bits(c) & swap);
        cb ^= ((j + 1) & 2) ? sign : 0;
        sb ^= (j & 2) ? sign : 0;
        out_c[k] = rad * fcfit_vm_from_bits(cb);
        out_s[k] = rad * fcfit_vm_from_bits(sb);
    }
}

void fcfit_noise_fill(const fcfit_noise *nz, uint64_t step, double *restrict out)
{
    enum { CHUNK = 256 }; /* counters per pass: the words stay in L1 */
    const size_t PL = nz->P * nz->L;
    const uint32_t s_lo = (uint32_t)step, s_hi = (uint32_t)(step >> 32);
    uint64_t m1[CHUNK], m2[CHUNK];

    for (size_t k0 = 0; k0 < PL; k0 += CHUNK) {
        const size_t n = PL - k0 < CHUNK ? PL - k0 : CHUNK;
        philox_block(n, nz->pair + k0, nz->key0 + k0, nz->key1 + k0, s_lo, s_hi, m1, m2);
        noise_transform(n, m1, m2, out + k0, out + PL + k0);
    }
}
