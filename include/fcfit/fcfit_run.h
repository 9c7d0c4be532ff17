/**
 * @file fcfit_run.h
 * `fcfit run`: a job's stages over MPI with a rank-0 coordinator and worker
 * ranks, results in one parallel HDF5 file, resumable (docs/protocol.md,
 * docs/output-format.md).
 *
 * Collective over comm. Rank 0 passes the loaded job; the other ranks pass
 * NULL and receive the plan. With one rank, rank 0 evaluates the tasks
 * itself. The outcome is the same file contents whatever the number of
 * ranks, the batch size or the interruptions (docs/determinism.md).
 */
#ifndef FCFIT_RUN_H
#define FCFIT_RUN_H

#include <mpi.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "fcfit/fcfit_job.h"
#include "fcfit/fcfit_status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fcfit_run_opts {
    const char *output;               /**< results file (rank 0's value is used) */
    int force;                        /**< replace a file of another job */
    volatile sig_atomic_t *stop;      /**< set by a signal handler: stop dispatching */
    size_t n_attrs;                   /**< provenance attributes (rank 0's values are used) */
    const char *const *attr_names;
    const char *const *attr_values;
} fcfit_run_opts;

/**
 * Run the job's sweep stage. Returns FCFIT_OK when every point is done,
 * FCFIT_ERR_INTERRUPTED when stopped by a signal (the file is closed cleanly
 * and resumable), an error otherwise (reported identically on every rank's
 * return value; the message is recorded on rank 0).
 */
fcfit_status fcfit_run(MPI_Comm comm, fcfit_job *job, const fcfit_run_opts *opts);

/**
 * The size the results file of the job will have (bytes, every dataset being
 * allocated at creation) and, in *fc_bytes, the part the stored FC rows take
 * (0 when output.save_fc is off). No MPI, no file.
 */
fcfit_status fcfit_run_file_size(const fcfit_job *job, double *bytes, double *fc_bytes);

/**
 * The usable simulation checkpoints of a results file's side file (`<results>.ckpt`, written
 * when a run is stopped in the middle of simulations; docs/protocol.md): *n entries whose
 * simulations have advanced *steps steps in all. Not collective; no MPI call.
 */
int fcfit_run_checkpoint_summary(const char *results_path, const char *job_hash, size_t *n,
                                 uint64_t *steps);

#ifdef __cplusplus
}
#endif
#endif
