/*
 * job_impl.h: declarations shared inside the job module.
 */
#ifndef FCFIT_JOB_IMPL_H
#define FCFIT_JOB_IMPL_H

#include "fcfit/fcfit_job.h"

#endif
