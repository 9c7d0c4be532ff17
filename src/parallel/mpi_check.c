/*
 * mpi_check.c: the one place that may call MPI_Abort.
 *
 * fcfit_mpi_abort() is the last resort when an orderly stop is impossible
 * (the coordinator failed inside a collective, or a stop handshake timed
 * out). It prints the recorded error with the rank first.
 */
#include <mpi.h>
#include <stdio.h>

#include "fcfit/fcfit_log.h"
#include "fcfit/fcfit_status.h"
#include "parallel/parallel_impl.h"

void fcfit_mpi_abort(MPI_Comm comm, int exit_code)
{
    int rank = -1;
    MPI_Comm_rank(comm, &rank);
    fprintf(stderr, "fcfit [rank %d] fatal: %s; aborting all ranks\n", rank, fcfit_error_message());
    fflush(stderr);
    MPI_Abort(comm, exit_code);
}
