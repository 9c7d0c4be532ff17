/**
 * @file fcfit_outlock.h
 * The lock of a results file: `<results>.lock`, a small text file naming the
 * run that writes the results (host, pid, process start time, boot id,
 * SLURM job id and restart count, start time, command line), so that two
 * runs never write one file and a second run is told who holds it.
 *
 * Taking it: the identity is written to a private temporary file that is
 * then hard-linked to the lock name, which fails when a lock exists (atomic,
 * also over NFS). An existing lock is stale, and is taken over, when
 *   - it was written on this host and its process is gone (no such pid, or a
 *     pid reused by another process: another start time, another boot), or
 *   - it was written by an earlier run of this very SLURM job (same job id,
 *     another SLURM_RESTART_COUNT): SLURM never runs two of them at once.
 * A lock from a live process, or from another host that fcfit cannot check,
 * is respected: the run is refused before anything is touched.
 *
 * Not collective; rank 0 alone takes and releases the lock. No MPI, no HDF5.
 */
#ifndef FCFIT_OUTLOCK_H
#define FCFIT_OUTLOCK_H

#include <stddef.h>

#include "fcfit/fcfit_status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fcfit_outlock fcfit_outlock;

/**
 * Take the lock of the results file `path` (the lock is path + ".lock").
 * @param command  the command line, recorded for the message a second run prints (borrowed)
 * @param lock     out: the held lock, released with fcfit_outlock_release
 * @return FCFIT_ERR_USAGE (exit 2) when another live run holds the lock (the message names it)
 *         or when the directory is missing or not writable (with the OS reason);
 *         FCFIT_ERR_IO (exit 1) when the disk or quota is full.
 */
fcfit_status fcfit_outlock_acquire(const char *path, const char *command, fcfit_outlock **lock);

/** Remove the lock file if it is still this process's, and free; safe on NULL. */
void fcfit_outlock_release(fcfit_outlock **lock);

/**
 * Look at the lock of `path` without taking it: 0 when there is none or it is stale, 1 when a
 * live run (or one on another host that cannot be checked) holds it; `holder` then receives a
 * one-line description (may be NULL).
 */
int fcfit_outlock_query(const char *path, char *holder, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
