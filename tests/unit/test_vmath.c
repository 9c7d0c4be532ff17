/*
 * test_vmath.c: the vector math kernels (include/fcfit/fcfit_vmath.h) and
 * the counter-based noise stream (include/fcfit/fcfit_rng.h).
 *
 *  - exp, expm1, log against libm in long double precision (an 80-bit
 *    reference, so its own error is 2^11 times below a double ulp), over
 *    the whole range, with the error in ulp of the exact result; bound 3 ulp
 *    (the analysis gives about 2: Taylor truncation < 2e-17, a few roundings);
 *  - the C99 special values;
 *  - the array forms (vector body and scalar tail) against the scalar calls,
 *    bitwise, for every length 0..67 (so every tail length of every width);
 *  - Philox4x32-10 against the known answers of Salmon et al. (Random123
 *    kat_vectors);
 *  - the noise stream as documented: each number recomputed from its
 *    definition with the scalar Philox and libm (to 1e-14: libm's cos and
 *    sin are not ours), and bitwise independent of the number of lanes and
 *    of the other lanes' keys;
 *  - moments of the normal numbers (statistical: 1.2 million numbers; the
 *    tolerances are 5 standard errors) and the absence of correlation
 *    between neighbouring numbers and consecutive steps.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fcfit/fcfit_rng.h"
#include "fcfit/fcfit_vmath.h"
#include "fcfit_test.h"

/* Error of got in ulp of the (long double) exact value; specials must match exactly. */
static double ulp_error(double got, long double want)
{
    const double w = (double)want;
    double u;
    if (isnan(w) || isinf(w) || isnan(got) || isinf(got)) {
        return (isnan(w) && isnan(got)) || got == w ? 0.0 : INFINITY;
    }
    u = w == 0.0 ? 0x1p-1074 : fabs(nextafter(w, INFINITY) - w);
    if (u == 0.0 || !isfinite(u)) {
        u = fabs(w - nextafter(w, 0.0));
    }
    return (double)(fabsl((long double)got - want) / (long double)u);
}

static uint64_t lcg(uint64_t *z)
{
    *z = *z * 6364136223846793005ULL + 1442695040888963407ULL;
    return *z >> 11;
}

static void test_accuracy(void)
{
    double e_exp = 0, e_expm1 = 0, e_log = 0, x_exp = 0, x_expm1 = 0, x_log = 0;
    uint64_t z = 42;
    for (int i = 0; i < 400000; i++) {
        const double u = (double)lcg(&z) * 0x1p-53;
        double x, y, e;
        switch (i % 4) {
        case 0:
            x = -750.0 + 1462.0 * u; /* the whole range, overflow and underflow included */
            break;
        case 1:
            x = -3.0 + 6.0 * u;
            break;
        case 2:
            x = (u - 0.5) * 1e-6; /* where expm1 needs its own accuracy */
            break;
        default:
            x = -45.0 + 90.0 * u;
            break;
        }
        e = ulp_error(fcfit_vm_exp(x), expl((long double)x));
        if (e > e_exp) {
            e_exp = e;
            x_exp = x;
        }
        e = ulp_error(fcfit_vm_expm1(x), expm1l((long double)x));
        if (e > e_expm1) {
            e_expm1 = e;
            x_expm1 = x;
        }
        /* log: positive numbers from the subnormals to the largest doubles. */
        y = ldexp(0.5 + 0.5 * u, (int)(lcg(&z) % 2098) - 1074);
        e = ulp_error(fcfit_vm_log(y), logl((long double)y));
        if (e > e_log) {
            e_log = e;
            x_log = y;
        }
    }
    printf("     max errors: exp %.3f ulp (x = %.17g), expm1 %.3f ulp (x = %.17g), log %.3f ulp "
           "(x = %.17g)\n",
           e_exp, x_exp, e_expm1, x_expm1, e_log, x_log);
    CHECK_ABS(e_exp, 0.0, 3.0);
    CHECK_ABS(e_expm1, 0.0, 3.0);
    CHECK_ABS(e_log, 0.0, 3.0);
}

static void test_specials(void)
{
    CHECK_TRUE(fcfit_vm_exp(0.0) == 1.0);
    CHECK_TRUE(fcfit_vm_exp(-INFINITY) == 0.0);
    CHECK_TRUE(fcfit_vm_exp(INFINITY) == INFINITY);
    CHECK_TRUE(fcfit_vm_exp(709.79) == INFINITY);
    CHECK_TRUE(fcfit_vm_exp(-745.2) == 0.0);
    CHECK_TRUE(fcfit_vm_exp(-745.1) > 0.0); /* the smallest subnormal, not 0 */
    CHECK_TRUE(isnan(fcfit_vm_exp(NAN)));
    CHECK_TRUE(fcfit_vm_expm1(0.0) == 0.0 && !signbit(fcfit_vm_expm1(0.0)));
    CHECK_TRUE(fcfit_vm_expm1(-0.0) == 0.0 && signbit(fcfit_vm_expm1(-0.0)));
    CHECK_TRUE(fcfit_vm_expm1(-INFINITY) == -1.0);
    CHECK_TRUE(fcfit_vm_expm1(-50.0) == -1.0);
    CHECK_TRUE(fcfit_vm_expm1(INFINITY) == INFINITY);
    CHECK_TRUE(fcfit_vm_expm1(1e-300) == 1e-300);
    CHECK_TRUE(isnan(fcfit_vm_expm1(NAN)));
    CHECK_TRUE(fcfit_vm_log(1.0) == 0.0);
    CHECK_TRUE(fcfit_vm_log(0.0) == -INFINITY);
    CHECK_TRUE(fcfit_vm_log(-0.0) == -INFINITY);
    CHECK_TRUE(isnan(fcfit_vm_log(-1.0)));
    CHECK_TRUE(fcfit_vm_log(INFINITY) == INFINITY);
    CHECK_TRUE(isnan(fcfit_vm_log(NAN)));
    CHECK_REL(fcfit_vm_log(4.9406564584124654e-324), -744.44007192138126, 1e-15);
    CHECK_TRUE(fcfit_vm_pow2i(-1022.0) == 0x1p-1022 && fcfit_vm_pow2i(1023.0) == 0x1p1023);
}

/* The vectorised array loops give the scalar bits at every position of every length. */
static void test_array_forms(void)
{
    double in[67], out[67], lin[67];
    uint64_t z = 7;
    int same = 1;
    for (size_t k = 0; k < 67; k++) {
        in[k] = -30.0 + 60.0 * (double)lcg(&z) * 0x1p-53;
        lin[k] = ldexp(1.0 + (double)lcg(&z) * 0x1p-53, (int)(lcg(&z) % 200) - 100);
    }
    for (size_t n = 0; n <= 67; n++) {
        fcfit_vm_exp_array(n, in, out);
        for (size_t k = 0; k < n; k++) {
            same &= memcmp(&out[k], &(double){fcfit_vm_exp(in[k])}, sizeof(double)) == 0;
        }
        fcfit_vm_expm1_array(n, in, out);
        for (size_t k = 0; k < n; k++) {
            same &= memcmp(&out[k], &(double){fcfit_vm_expm1(in[k])}, sizeof(double)) == 0;
        }
        fcfit_vm_log_array(n, lin, out);
        for (size_t k = 0; k < n; k++) {
            same &= memcmp(&out[k], &(double){fcfit_vm_log(lin[k])}, sizeof(double)) == 0;
        }
    }
    CHECK_TRUE(same);
    printf("     kernels run on %s (%zu doubles per vector)\n", fcfit_vm_isa(), fcfit_vm_width());
    CHECK_TRUE(fcfit_vm_width() == 2 || fcfit_vm_width() == 4 || fcfit_vm_width() == 8);
}

static void test_philox_kat(void)
{
    /* Known answers of Philox4x32-10 (Salmon et al. 2011, Random123 kat_vectors). */
    static const uint32_t ctr[3][4] = {{0, 0, 0, 0},
                                       {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
                                       {0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}};
    static const uint32_t key[3][2] = {
        {0, 0}, {0xffffffffu, 0xffffffffu}, {0xa4093822u, 0x299f31d0u}};
    static const uint32_t want[3][4] = {{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u},
                                        {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu},
                                        {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}};
    for (int i = 0; i < 3; i++) {
        uint32_t out[4];
        fcfit_rng_philox4x32_10(ctr[i], key[i], out);
        CHECK_TRUE(memcmp(out, want[i], sizeof out) == 0);
    }
}

/* Number q of step n for key K, from the definition in fcfit_rng.h (libm cos and sin). */
static double noise_reference(uint64_t K, uint64_t n, size_t q, size_t Q)
{
    const size_t P = (Q + 1) / 2, b = q < P ? q : q - P;
    const uint32_t ctr[4] = {(uint32_t)b, 0x6e6f6973u, (uint32_t)n, (uint32_t)(n >> 32)};
    const uint32_t key[2] = {(uint32_t)K, (uint32_t)(K >> 32)};
    uint32_t x[4];
    uint64_t m1, m2, j;
    double u, g, theta, r;
    fcfit_rng_philox4x32_10(ctr, key, x);
    m1 = ((uint64_t)x[1] << 20) ^ (x[0] >> 12);
    m2 = ((uint64_t)x[3] << 20) ^ (x[2] >> 12);
    u = ((double)m1 + 0.5) * 0x1p-52;
    j = m2 >> 50;
    g = (double)(m2 & ((UINT64_C(1) << 50) - 1)) * 0x1p-50 - 0.5;
    theta = 1.5707963267948966 * ((double)j + g);
    r = sqrt(-2.0 * log(u));
    return q < P ? r * cos(theta) : r * sin(theta);
}

static void test_noise_stream(void)
{
    enum { Q = 7, L = 3 };
    fcfit_noise *nz = NULL, *one = NULL;
    const uint64_t keys[L] = {fcfit_rng_noise_key(11), fcfit_rng_noise_key(12),
                              fcfit_rng_noise_key(13)};
    double *buf, *b1;
    double emax = 0.0;
    int same = 1;
    CHECK_OK(fcfit_noise_create(&nz, Q, L));
    CHECK_OK(fcfit_noise_create(&one, Q, 1));
    CHECK_TRUE(fcfit_noise_buffer_size(nz) >= Q * L);
    buf = malloc(fcfit_noise_buffer_size(nz) * sizeof(double));
    b1 = malloc(fcfit_noise_buffer_size(one) * sizeof(double));
    CHECK_TRUE(fcfit_rng_noise_key(11) == fcfit_rng_mix64(11 ^ 0x6e6f697365ULL));
    for (size_t l = 0; l < L; l++) {
        fcfit_noise_set_key(nz, l, keys[l]);
    }
    fcfit_noise_set_key(one, 0, keys[1]);
    for (uint64_t step = 0; step < 300; step++) {
        const uint64_t n = step < 150 ? step : step + (UINT64_C(1) << 33); /* both counter words */
        fcfit_noise_fill(nz, n, buf);
        fcfit_noise_fill(one, n, b1);
        for (size_t q = 0; q < Q; q++) {
            for (size_t l = 0; l < L; l++) {
                const double want = noise_reference(keys[l], n, q, Q);
                emax = fmax(emax, fabs(buf[q * L + l] - want) / fmax(1.0, fabs(want)));
            }
            /* Lane 1 of three equals a plan of one lane with the same key, bitwise. */
            same &= memcmp(&buf[q * L + 1], &b1[q], sizeof(double)) == 0;
        }
    }
    printf("     noise vs its definition (libm cos, sin, log): max difference %.3g\n", emax);
    CHECK_ABS(emax, 0.0, 1e-14);
    CHECK_TRUE(same);
    free(buf);
    free(b1);
    fcfit_noise_destroy(&nz);
    fcfit_noise_destroy(&one);
    fcfit_noise_destroy(&nz); /* safe on NULL */
}

static void test_noise_moments(void)
{
    enum { Q = 601, STEPS = 2000 };
    fcfit_noise *nz = NULL;
    double *buf, *prev;
    double s1 = 0, s2 = 0, s3 = 0, s4 = 0, cn = 0, cs = 0;
    size_t cnt = 0, ncn = 0, ncs = 0, tail = 0;
    CHECK_OK(fcfit_noise_create(&nz, Q, 1));
    fcfit_noise_set_key(nz, 0, fcfit_rng_noise_key(2024));
    buf = malloc(fcfit_noise_buffer_size(nz) * sizeof(double));
    prev = malloc(Q * sizeof(double));
    for (uint64_t n = 0; n < STEPS; n++) {
        fcfit_noise_fill(nz, n, buf);
        for (size_t q = 0; q < Q; q++) {
            const double x = buf[q];
            s1 += x;
            s2 += x * x;
            s3 += x * x * x;
            s4 += x * x * x * x;
            tail += fabs(x) > 3.0;
            cnt++;
            if (q > 0) {
                cn += x * buf[q - 1]; /* neighbours in one step (cosine/sine partners too) */
                ncn++;
            }
            if (n > 0) {
                cs += x * prev[q]; /* the same index in consecutive steps */
                ncs++;
            }
        }
        memcpy(prev, buf, Q * sizeof(double));
    }
    {
        const double m = (double)cnt;
        /* Standard errors for N(0,1): mean 1/sqrt(m), variance sqrt(2/m), third moment
         * sqrt(15/m), fourth moment sqrt(96/m), products 1/sqrt(m); 5 of each. */
        CHECK_ABS(s1 / m, 0.0, 5.0 / sqrt(m));
        CHECK_ABS(s2 / m, 1.0, 5.0 * sqrt(2.0 / m));
        CHECK_ABS(s3 / m, 0.0, 5.0 * sqrt(15.0 / m));
        CHECK_ABS(s4 / m, 3.0, 5.0 * sqrt(96.0 / m));
        CHECK_ABS(cn / (double)ncn, 0.0, 5.0 / sqrt((double)ncn));
        CHECK_ABS(cs / (double)ncs, 0.0, 5.0 / sqrt((double)ncs));
        /* P(|x| > 3) = 0.0026998; binomial standard error. */
        CHECK_ABS((double)tail / m, 0.0026998, 5.0 * sqrt(0.0027 / m));
    }
    free(buf);
    free(prev);
    fcfit_noise_destroy(&nz);
}

int main(void)
{
    test_accuracy();
    test_specials();
    test_array_forms();
    test_philox_kat();
    test_noise_stream();
    test_noise_moments();
    return fcfit_test_finish();
}
