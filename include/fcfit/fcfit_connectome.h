/**
 * @file fcfit_connectome.h
 * Structural connectivity ready for simulation: normalised weights (row =
 * target region, column = source, docs/inputs.md), node strengths, integer
 * conduction delays and the CSR form the coupling kernel walks.
 *
 * No file I/O here: matrices arrive as fcfit_matrix from the loaders or the
 * synthetic generator.
 */
#ifndef FCFIT_CONNECTOME_H
#define FCFIT_CONNECTOME_H

#include <stddef.h>
#include <stdint.h>

#include "fcfit/fcfit_matrix.h"
#include "fcfit/fcfit_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Weight normalisations (docs/inputs.md). */
typedef enum fcfit_norm {
    FCFIT_NORM_NONE = 0,  /**< weights as given */
    FCFIT_NORM_MAX,       /**< W / max(W) */
    FCFIT_NORM_MEAN,      /**< W / mean of the off-diagonal entries */
    FCFIT_NORM_ROWSUM,    /**< each row divided by its sum (rows summing to 0 stay 0) */
    FCFIT_NORM_LOG1P,     /**< log(1 + W) */
    FCFIT_NORM_LOG1P_MAX  /**< log(1 + W) / max(log(1 + W)) */
} fcfit_norm;

/** Names of the normalisations, NULL-terminated, in enum order. */
extern const char *const fcfit_norm_names[];

typedef struct fcfit_connectome_opts {
    fcfit_norm norm;              /**< normalisation, applied after zeroing the diagonal */
    double scale;                 /**< multiplies the normalised weights (1 = none) */
    int keep_diagonal;            /**< nonzero: keep W[i][i] (default: zeroed) */
    double velocity_mm_per_ms;    /**< conduction velocity (= m/s); <= 0 or no lengths: no delays */
    double dt_ms;                 /**< integration step, for delays in steps */
    size_t max_delay_steps_limit; /**< refuse longer delays (memory guard); 0 = 100000 */
} fcfit_connectome_opts;

/** A connectome bound to one integration step. Transparent plain data; owned by its creator. */
typedef struct fcfit_connectome {
    size_t n;             /**< regions */
    double *weights;      /**< n x n, normalised, row = target */
    double *strength;     /**< n row sums of weights */
    size_t *delay;        /**< n x n delays in steps, or NULL (no delays) */
    size_t max_delay;     /**< largest delay in steps (0 without delays) */
    /* CSR of the nonzero weights, rows in order, columns ascending within a row. */
    size_t nnz;
    size_t *row_ptr;      /**< n + 1 */
    size_t *col;          /**< nnz */
    double *val;          /**< nnz */
    size_t *cdelay;       /**< nnz delays in steps (NULL without delays) */
    fcfit_norm norm;
    double scale;
    double velocity_mm_per_ms;
    double dt_ms;
} fcfit_connectome;

/**
 * Build a connectome from a weight matrix and optional tract lengths (mm).
 * Checks: square, finite, non-negative weights; lengths the same size, finite,
 * non-negative; delays within the limit. Labels name the inputs in messages.
 *
 * @param out       out, owned by the caller (fcfit_connectome_destroy)
 * @param weights   in, borrowed
 * @param lengths   in, borrowed, may be NULL
 * @return FCFIT_ERR_INPUT with a message naming wlabel/llabel, FCFIT_ERR_NOMEM
 */
fcfit_status fcfit_connectome_create(fcfit_connectome **out, const fcfit_matrix *weights,
                                     const char *wlabel, const fcfit_matrix *lengths,
                                     const char *llabel, const fcfit_connectome_opts *opts);

/** Free a connectome; safe on NULL; sets *c to NULL. */
void fcfit_connectome_destroy(fcfit_connectome **c);

/** Fraction of nonzero off-diagonal weights. */
double fcfit_connectome_density(const fcfit_connectome *c);

/**
 * A seeded synthetic connectome of n regions (two hemispheres of random
 * points in ellipsoids of 70 x 50 x 60 mm semi-axes): tract length = 1.2 x
 * Euclidean distance (mm); connection probability falls with distance
 * (length constant 40 mm) with extra homotopic links; weights are log-normal
 * times exp(-length / 60 mm); symmetric with a zero diagonal; every region
 * has at least one connection. Deterministic for (n, seed).
 *
 * @param weights, lengths  out, must be empty; owned by the caller
 */
fcfit_status fcfit_connectome_synthetic(size_t n, uint64_t seed, fcfit_matrix *weights,
                                        fcfit_matrix *lengths);

#ifdef __cplusplus
}
#endif
#endif /* FCFIT_CONNECTOME_H */
