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

/*
 * job_checks.c: hints and warnings about a job that loads (rank 0).
 */

/** A suggestion for bold.dt_ms / sim.dt_ms when the TR, the BOLD step and the neural step do
 *  not nest (" (e.g. ...)"; "" when none is found). Returns buf. */
const char *job_step_hint(double tr_ms, double bold_dt_ms, double dt_ms, char *buf, size_t cap);

/** Fill job->warnings: scored volumes, band-pass edge vs duration (simulated and target BOLD),
 *  target FC vs the FC of the target BOLD, delay rounding at coarse steps. */
fcfit_status job_collect_warnings(fcfit_job *job, const fcfit_matrix *tbold, size_t n_tbold,
                                  double tr_tbold);

/*
 * job_subjects.c: region labels, per-subject connectomes, the stored-FC decision.
 */

/** connectome.labels (or the TVB zip's labels, else r0, r1, ...) into job->labels. */
fcfit_status job_setup_labels(fcfit_job *job);

/** connectome.subjects: load one SC per target subject, their connectomes and one-subject
 *  targets; the sweep gets its subject dimension (after job_setup_stages). */
fcfit_status job_setup_subjects(fcfit_job *job);

/** Build job->subject_conns and ->subject_targets from job->subject_weights (also on workers). */
fcfit_status job_build_subjects(fcfit_job *job);

/** Resolve output.save_fc (unset: the FC rows fit in output.save_fc_max_mb) into job->save_fc. */
void job_resolve_save_fc(fcfit_job *job);

/** A connectome from weights w with the job's lengths and options (job.c). */
fcfit_status job_build_conn(const fcfit_job *job, const fcfit_matrix *w, const char *wlabel,
                            fcfit_connectome **out);

#endif
