/**
 * @file fcfit_vmath.h
 * Branch-free exp, expm1 and log that the compiler vectorises, with the
 * same bits in a vector loop, in its scalar remainder and on every x86-64
 * instruction set.
 *
 * Why not libm: glibc's vector variants are only declared under
 * -ffast-math (which fcfit forbids), so a loop calling exp() or expm1()
 * never vectorises, and the scalar libm results depend on the library
 * version and on the CPU features it dispatches to. These functions use
 * only IEEE additions, multiplications, one division (log) and integer
 * bit operations on the representation, so that:
 *
 *  - a loop over them vectorises (SSE2, AVX2, AVX-512; check with
 *    -fopt-info-vec), and the vector body and the scalar tail give bitwise
 *    the same result for the same input, which keeps lanes bitwise
 *    independent of the batch size;
 *  - results are the same on every x86-64 CPU, with or without FMA
 *    hardware, as long as floating-point contraction stays off
 *    (-ffp-contract=off, set for the whole project).
 *
 * Accuracy (checked by tests/unit/test_vmath.c against libm in long double,
 * which bounds all three by 3 ulp): exp within 1 ulp, expm1 and log within
 * about 2 ulp, over the whole double range.
 * Special values follow C99: exp(-inf) = 0, exp(+inf) = +inf, overflow to
 * +inf, gradual underflow; expm1(-inf) = -1; log(0) = -inf, log(x < 0) = NaN,
 * log(+inf) = +inf, subnormal arguments handled; NaN in gives NaN out.
 *
 * Method (classical; Tang 1989, Cody & Waite 1980):
 *   exp:   x = k ln2 + r, |r| <= ln2/2, with ln2 split into a high part with
 *          trailing zeros (so k*ln2_hi is exact) and a low part; expm1(r) by
 *          its Taylor series to degree 13 (truncation < 2e-17 relative),
 *          evaluated by Estrin's scheme (short dependency chains);
 *          exp(x) = 2^k + 2^k expm1(r), the power of two built from the
 *          exponent bits and applied in two halves so that results down to
 *          the subnormal range and up to overflow are right.
 *   expm1: (2^k - 1) + 2^k expm1(r), exact for k = 0 (small |x|).
 *   log:   x = 2^e m with m in [sqrt(1/2), sqrt(2)); log m = 2 atanh(s),
 *          s = (m - 1)/(m + 1), |s| <= 0.1716, by the odd series to s^25.
 *
 * The functions are `static inline` so that they inline into the callers'
 * loops (which then vectorise); FCFIT_VM_CLONES below asks GCC to compile a
 * hot kernel for several instruction sets and pick one at load time.
 *
 * Recipe for a model kernel (see src/models/dmf.c):
 *
 *   FCFIT_VM_CLONES
 *   static void mymodel_drift(const fcfit_model_ctx *ctx, ...)
 *   {
 *       ...
 *       FCFIT_IVDEP
 *       for (size_t k = 0; k < n; k++) {  // fcfit:vectorize (as a C comment)
 *           ... branch-free body: selects (c ? a : b), fcfit_vm_exp/expm1/log ...
 *       }
 *   }
 *
 * FCFIT_IVDEP (`#pragma GCC ivdep` under GCC, nothing elsewhere) tells GCC that the outputs do not overlap the inputs
 * (with more than ten parameter arrays it otherwise gives up proving it);
 * the tag makes tests/integration/lint.sh check with -fopt-info-vec that
 * the loop vectorises in every instruction-set version.
 */
#ifndef FCFIT_VMATH_H
#define FCFIT_VMATH_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * FCFIT_VM_CLONES: put before a hot kernel's definition to have GCC build
 * it for AVX-512, AVX2 and baseline x86-64 and choose at load time (an
 * ifunc). Results do not depend on the version chosen (no contraction, the
 * same operations in the same order). Empty on other compilers and
 * targets, and when FCFIT_NO_CLONES is defined (e.g. -DFCFIT_NATIVE=ON).
 */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) &&       \
    !defined(FCFIT_NO_CLONES)
#define FCFIT_VM_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define FCFIT_VM_CLONES
#endif

/* The no-overlap promise for the loop that follows; clang's -Werror builds
 * (the fuzzing phase) would reject the GCC pragma, so it is GCC only. */
#if defined(__GNUC__) && !defined(__clang__)
#define FCFIT_IVDEP _Pragma("GCC ivdep")
#else
#define FCFIT_IVDEP
#endif

/** Bits of a double (memcpy: no aliasing issue, compiles to a register move). */
static inline uint64_t fcfit_vm_bits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

/** The double with bits u. */
static inline double fcfit_vm_from_bits(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* 1.5 * 2^52: adding and subtracting it rounds |x| < 2^51 to the nearest integer (ties to even). */
#define FCFIT_VM_ROUND 0x1.8p52

/** 2^k for an integer-valued double k in [-1022, 1023] (built from the exponent field). */
static inline double fcfit_vm_pow2i(double k)
{
    /* The low 12 bits of (k + 1.5*2^52)'s significand are k modulo 4096. */
    return fcfit_vm_from_bits((fcfit_vm_bits(k + FCFIT_VM_ROUND) << 52) +
                              UINT64_C(0x3ff0000000000000));
}

/*
 * Polynomial c0 + c1 t + ... + c11 t^11 by Estrin's scheme: the terms are
 * paired and combined with t^2, t^4, t^8, so the chain of dependent
 * operations is 8 long instead of Horner's 22. Vector loops over these
 * functions are limited by that latency (the out-of-order window overlaps
 * only a couple of iterations), so the shorter chain is what makes them fast.
 */
static inline double fcfit_vm_poly12(double t, const double c[12])
{
    const double t2 = t * t, t4 = t2 * t2, t8 = t4 * t4;
    const double q0 = c[0] + c[1] * t, q1 = c[2] + c[3] * t, q2 = c[4] + c[5] * t;
    const double q3 = c[6] + c[7] * t, q4 = c[8] + c[9] * t, q5 = c[10] + c[11] * t;
    const double s0 = q0 + q1 * t2, s1 = q2 + q3 * t2, s2 = q4 + q5 * t2;
    return (s0 + s1 * t4) + s2 * t8;
}

/* expm1(r) = r + r^2 (1/2! + r/3! + ... + r^11/13!) (Taylor; |r| <= ln2/2: error < 2e-17). */
static inline double fcfit_vm_expm1_poly(double r)
{
    static const double c[12] = {1.0 / 2.0,       1.0 / 6.0,        1.0 / 24.0,
                                 1.0 / 120.0,     1.0 / 720.0,      1.0 / 5040.0,
                                 1.0 / 40320.0,   1.0 / 362880.0,   1.0 / 3628800.0,
                                 1.0 / 39916800.0, 1.0 / 479001600.0, 1.0 / 6227020800.0};
    /* The leading r is added last, to an exactly scaled small correction. */
    return r + (r * r) * fcfit_vm_poly12(r, c);
}

/* ln 2 = LN2_HI + LN2_LO; LN2_HI has 32 significant bits, so k * LN2_HI is exact for |k| < 2^21. */
#define FCFIT_VM_LN2_HI 0x1.62e42feep-1
#define FCFIT_VM_LN2_LO 0x1.a39ef35793c76p-33
#define FCFIT_VM_INV_LN2 0x1.71547652b82fep0

/**
 * Reduction shared by exp and expm1: for x (already clamped to
 * [-745.2, 709.8]) returns expm1(r) with x = k ln2 + r, and 2^k as two
 * factors s1 * s2 (each a normal power of two).
 */
static inline double fcfit_vm_reduce(double x, double *s1, double *s2)
{
    const double k = (x * FCFIT_VM_INV_LN2 + FCFIT_VM_ROUND) - FCFIT_VM_ROUND;
    const double r = (x - k * FCFIT_VM_LN2_HI) - k * FCFIT_VM_LN2_LO;
    const double k1 = (k * 0.5 + FCFIT_VM_ROUND) - FCFIT_VM_ROUND;
    *s1 = fcfit_vm_pow2i(k1);
    *s2 = fcfit_vm_pow2i(k - k1);
    return fcfit_vm_expm1_poly(r);
}

/** e^x (within 2 ulp; see the file comment). */
static inline double fcfit_vm_exp(double x)
{
    double s1, s2, em;
    /* Clamp (NaN passes through both comparisons unchanged). Below -745.2 the result rounds to
     * 0; above 709.8 it overflows to +inf. */
    double xc = x < -745.2 ? -745.2 : x;
    xc = xc > 709.8 ? 709.8 : xc;
    em = fcfit_vm_reduce(xc, &s1, &s2);
    return (s1 + s1 * em) * s2;
}

/** e^x - 1, accurate for small |x| (within 2 ulp). */
static inline double fcfit_vm_expm1(double x)
{
    double s1, s2, em, s, big;
    /* expm1(x) = -1 in double precision below -38; above 40 it equals e^x - 1 = e^x rounded. */
    double xc = x < -60.0 ? -60.0 : x;
    xc = xc > 709.8 ? 709.8 : xc;
    em = fcfit_vm_reduce(xc, &s1, &s2);
    big = (s1 + s1 * em) * s2 - 1.0;
    s = s1 * s2; /* 2^k, exact (and only used below x = 40, k <= 58) */
    s = x > 40.0 ? big : (s - 1.0) + s * em;
    return x == 0.0 ? x : s; /* keeps the sign of a zero */
}

/** Natural logarithm (within 2 ulp; log(0) = -inf, log(x < 0) = NaN). */
static inline double fcfit_vm_log(double x)
{
    const double sqrt2 = 0x1.6a09e667f3bcdp0;
    /* Subnormals: scale into the normal range first (2^54), and correct the exponent. */
    const int sub = x < 0x1p-1022;
    const double xs = sub ? x * 0x1p54 : x;
    const uint64_t u = fcfit_vm_bits(xs);
    /* Exponent field as a double without an int conversion: OR it into 2^52's significand. */
    double e = fcfit_vm_from_bits((u >> 52) | UINT64_C(0x4330000000000000)) - 0x1p52 - 1023.0;
    double m = fcfit_vm_from_bits((u & UINT64_C(0x000fffffffffffff)) | UINT64_C(0x3ff0000000000000));
    double s, z, p, lm, r;
    const int hi = m > sqrt2;
    m = hi ? 0.5 * m : m;
    e = hi ? e + 1.0 : e;
    e = sub ? e - 54.0 : e;
    static const double c[12] = {1.0 / 3.0,  1.0 / 5.0,  1.0 / 7.0,  1.0 / 9.0,
                                 1.0 / 11.0, 1.0 / 13.0, 1.0 / 15.0, 1.0 / 17.0,
                                 1.0 / 19.0, 1.0 / 21.0, 1.0 / 23.0, 1.0 / 25.0};
    s = (m - 1.0) / (m + 1.0);
    z = s * s;
    /* atanh(s)/s - 1 = z/3 + z^2/5 + ... + z^12/25 */
    p = fcfit_vm_poly12(z, c);
    /* 2s is exact; log m = 2s + 2s z p. */
    lm = 2.0 * s + (2.0 * s) * (z * p);
    r = e * FCFIT_VM_LN2_HI + (lm + e * FCFIT_VM_LN2_LO);
    /* Special cases, selected without branches: +inf, 0, negative and NaN arguments. */
    r = x == (double)INFINITY ? x : r;
    r = x == 0.0 ? -(double)INFINITY : r;
    r = x < 0.0 ? (double)NAN : r;
    return x != x ? x : r;
}

/** out[k] = e^in[k] for k < n (in and out may be the same array). */
void fcfit_vm_exp_array(size_t n, const double *in, double *out);

/** out[k] = e^in[k] - 1 for k < n (in and out may be the same array). */
void fcfit_vm_expm1_array(size_t n, const double *in, double *out);

/** out[k] = log(in[k]) for k < n (in and out may be the same array). */
void fcfit_vm_log_array(size_t n, const double *in, double *out);

/**
 * Name of the instruction set the cloned kernels run on here ("avx512",
 * "avx2" or "baseline"), for benchmark reports.
 */
const char *fcfit_vm_isa(void);

/** Doubles per SIMD register on this CPU as the cloned kernels use it (8, 4 or 2). */
size_t fcfit_vm_width(void);

#ifdef __cplusplus
}
#endif
#endif /* FCFIT_VMATH_H */
