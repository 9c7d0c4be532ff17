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

/*
 * Input helpers (job_inputs.c). Each returns FCFIT_ERR_INPUT or FCFIT_ERR_CONFIG with a message
 * naming the file or key.
 */

/** Connectome from connectome.tvb_zip: fills job->weights, ->lengths (with a velocity),
 *  ->labels, ->weights_label; *llabel (malloc'd) labels the lengths; *use_lengths says
 *  whether there are delays. */
fcfit_status job_load_tvb_zip(fcfit_job *job, const char *path, char **llabel, int *use_lengths);

/** Turn a target BOLD matrix into regions x time according to target.bold_layout. */
fcfit_status job_orient_bold(const fcfit_job *job, fcfit_matrix *bold, const char *label);

/** A supplied target FC must be symmetric, have at least 3 regions and not be constant. */
fcfit_status job_check_target_fc(const fcfit_matrix *fc, const char *label);

/** Refuse (or, with warn, warn about) a synthetic target too large for its O(N^3)
 *  construction, for a connectome of `regions`. */
fcfit_status job_check_synthetic_size(const fcfit_config *cfg, size_t regions, int warn);

#endif
