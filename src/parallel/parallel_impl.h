/*
 * parallel_impl.h: declarations shared inside the parallel module.
 */
#ifndef FCFIT_PARALLEL_IMPL_H
#define FCFIT_PARALLEL_IMPL_H

#include <mpi.h>

/** Print the recorded error with the rank, then abort every rank of comm (never returns). */
void fcfit_mpi_abort(MPI_Comm comm, int exit_code);

#endif
