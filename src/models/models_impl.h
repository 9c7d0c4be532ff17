/*
 * models_impl.h: the descriptors exported by the model files, and helpers
 * shared by several models.
 */
#ifndef FCFIT_MODELS_IMPL_H
#define FCFIT_MODELS_IMPL_H

#include <math.h>

#include "fcfit/fcfit_model.h"

extern const fcfit_model_type fcfit_model_rww;
extern const fcfit_model_type fcfit_model_mpr;
extern const fcfit_model_type fcfit_model_dmf;
extern const fcfit_model_type fcfit_model_hopf;
extern const fcfit_model_type fcfit_model_jr;
extern const fcfit_model_type fcfit_model_wc;
extern const fcfit_model_type fcfit_model_aln;

/**
 * Abbott–Chance transfer function H = y / (1 - exp(-d*y)), y = a*x - b,
 * evaluated without the 0/0 at y = 0 (MODELS.md §1.6): the series
 * 1/d + y/2 below |y| < 1e-9, y / -expm1(-d*y) otherwise.
 */
static inline double fcfit_abbott_chance(double y, double d)
{
    if (fabs(y) < 1e-9) {
        return 1.0 / d + 0.5 * y;
    }
    return y / -expm1(-d * y);
}

#endif /* FCFIT_MODELS_IMPL_H */
