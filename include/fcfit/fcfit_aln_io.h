/**
 * @file fcfit_aln_io.h
 * The HDF5 form of ALN transfer-function tables (fcfit_aln_tables.h):
 * datasets r_ss, V_mean_ss, tau_mu_exp, tau_sigma_exp (mu x sigma),
 * mu_vals, sigma_vals (uniform axes) and params/<name> for the eight neuron
 * parameters (C, gL, EL, DeltaT, VT, Vr, Vs, Tref); root attribute
 * fcfit_kind = "aln_tables".
 */
#ifndef FCFIT_ALN_IO_H
#define FCFIT_ALN_IO_H

#include "fcfit/fcfit_aln_tables.h"
#include "fcfit/fcfit_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Write t to path (through a temporary file renamed at the end).
 * @param provenance  stored as the root attribute "command" (may be NULL)
 */
fcfit_status fcfit_aln_tables_write(const char *path, const fcfit_aln_tables *t,
                                     const char *provenance);

/**
 * Read and check tables: every dataset present, table shapes matching the
 * axes, uniform axes, the neuron parameters present, entries valid.
 * @return FCFIT_ERR_INPUT naming the file and the problem.
 */
fcfit_status fcfit_aln_tables_read(const char *path, fcfit_aln_tables **t);

#ifdef __cplusplus
}
#endif
#endif /* FCFIT_ALN_IO_H */
