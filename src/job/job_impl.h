/*
 * job_impl.h: declarations shared inside the job module.
 */
#ifndef FCFIT_JOB_IMPL_H
#define FCFIT_JOB_IMPL_H

#include "fcfit/fcfit_job.h"

/** Build job->sweep from the sweep.* keys (NULL when sweep.params is unset). */
fcfit_status job_setup_sweep(fcfit_job *job);

#endif
