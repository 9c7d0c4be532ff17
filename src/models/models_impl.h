/*
 * models_impl.h: the descriptors exported by the model files, and helpers
 * shared by several models.
 */
#ifndef FCFIT_MODELS_IMPL_H
#define FCFIT_MODELS_IMPL_H

#include <math.h>

#include "fcfit/fcfit_model.h"
#include "fcfit/fcfit_vmath.h"

/*
 * A kernel body shared by two entry points (e.g. drift and drift with
 * drive): always inlined, so that each entry point's constant arguments fold
 * away and its loop vectorises within that entry point's instruction set.
 */
#define FCFIT_KERNEL_BODY static inline __attribute__((always_inline))

extern const fcfit_model_type fcfit_model_rww;
extern const fcfit_model_type fcfit_model_mpr;
extern const fcfit_model_type fcfit_model_dmf;
extern const fcfit_model_type fcfit_model_hopf;
extern const fcfit_model_type fcfit_model_jr;
extern const fcfit_model_type fcfit_model_wc;
extern const fcfit_model_type fcfit_model_aln;

/**
 * Abbott–Chance transfer function H = y / (1 - exp(-d*y)), y = a*x - b,
 * evaluated without the 0/0 at y = 0 (docs/models/rww.md): the series
 * (1 + d*y/2) / d = 1/d + y/2 below |y| < 1e-9, y / -expm1(-d*y) otherwise.
 * Numerator and denominator are selected without a branch, so that loops
 * over it vectorise, and one division serves both forms.
 */
static inline double fcfit_abbott_chance(double y, double d)
{
    const int small = fabs(y) < 1e-9;
    const double num = small ? 1.0 + 0.5 * d * y : y;
    const double den = small ? d : -fcfit_vm_expm1(-d * y);
    return num / den;
}

#endif /* FCFIT_MODELS_IMPL_H */
