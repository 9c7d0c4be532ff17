/*
 * job_impl.h: declarations shared inside the job module.
 */
#ifndef FCFIT_JOB_IMPL_H
#define FCFIT_JOB_IMPL_H

#include "fcfit/fcfit_job.h"

/**
 * Build job->objective and job->stages[] from the stages, fit.*, sweep.*,
 * optimize.*, refine.* and validate.* keys (after the target is loaded).
 */
fcfit_status job_setup_stages(fcfit_job *job);

#endif
