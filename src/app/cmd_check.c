/*
 * cmd_check.c: `fcfit check JOB` (validate and print what would run), and
 * the helpers the other commands share: loading a job with the command's
 * overrides, the output path, the job summary and the provenance strings.
 */
#include <math.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_version.h>
#include <mpi.h>

#include "app/app.h"
#include "fcfit/fcfit_build_info.h"
#include "fcfit/fcfit_log.h"
#include "fcfit/fcfit_optim.h"
#include "fcfit/fcfit_outlock.h"
#include "fcfit/fcfit_results.h"
#include "fcfit/fcfit_run.h"
#include "fcfit/fcfit_simfile.h"
#include "fcfit/fcfit_util.h"

fcfit_status app_load_job(const app_args *a, fcfit_job **job)
{
    double t0 = fcfit_wtime(), dt;
    size_t n_bold;
    FCFIT_REQUIRE(a->job_path != NULL, FCFIT_ERR_USAGE, "%s: missing the JOB file argument",
                  a->command);
    FCFIT_CHECK(fcfit_job_load_ex(job, a->job_path, a->n_configs, a->configs, a->n_sets, a->sets));
    if (a->log_level == NULL) {
        fcfit_log_set_level((fcfit_log_level)fcfit_config_enum((*job)->cfg, "log.level"));
    }
    dt = fcfit_wtime() - t0;
    n_bold = fcfit_config_list_len((*job)->cfg, "target.bold") +
             fcfit_config_list_len((*job)->cfg, "validate.target.bold");
    if (dt > 1.0 && n_bold > 0) {
        /* Not cached: the features depend on every fc.* setting, and computing them is the
         * check that the BOLD files are usable. */
        fcfit_log(FCFIT_LOG_INFO,
                  "job loaded in %.1f s, mostly the FC and FCD of the %zu target BOLD file(s)",
                  dt, n_bold);
    }
    /* fcfit check prints the warnings in its summary; the other commands log them. */
    if (strcmp(a->command, "check") != 0) {
        for (size_t k = 0; k < (*job)->n_warnings; k++) {
            fcfit_log(FCFIT_LOG_WARN, "%s", (*job)->warnings[k]);
        }
    }
    return FCFIT_OK;
}

/* How the target FC is made (issue: one processing path for target and simulation). */
static void print_target_rule(const fcfit_job *job)
{
    const fcfit_target *t = job->target;
    size_t n_fc = fcfit_config_list_len(job->cfg, "target.fc");
    size_t n_bold = fcfit_config_list_len(job->cfg, "target.bold");
    char proc[160];
    if (t == NULL || fcfit_config_bool(job->cfg, "target.synthetic")) {
        return;
    }
    if (job->fcs.bandpass) {
        snprintf(proc, sizeof proc, "band-pass %g-%g Hz%s", job->fcs.bp_lo_hz, job->fcs.bp_hi_hz,
                 job->fcs.detrend ? ", detrended" : "");
    } else {
        snprintf(proc, sizeof proc, "no band-pass%s", job->fcs.detrend ? ", detrended" : "");
    }
    if (n_fc == 0) {
        printf("             target FC: from target.bold, processed exactly as the simulated "
               "BOLD (%s)\n",
               proc);
        return;
    }
    if (t->fc_from_bold) {
        printf("             target FC: from target.bold (target.fc_from: bold), processed as the "
               "simulated BOLD (%s); target.fc is only compared\n",
               proc);
    } else {
        printf("             target FC: target.fc as given, taken to be processed like the "
               "simulated BOLD (%s)%s\n",
               proc, n_bold > 0 ? "; target.bold gives the FCD" : "");
    }
    if (n_bold > 0 && t->fc_check_pairs > 0) {
        int bad = t->fc_check_corr < FCFIT_FC_CHECK_MIN_CORR ||
                  t->fc_check_mad > FCFIT_FC_CHECK_MAX_MAD;
        printf("             target.fc vs the FC of target.bold (%s): r = %.3f, mean |difference| "
               "%.3f over %zu pair(s): %s\n",
               proc, t->fc_check_corr, t->fc_check_mad, t->fc_check_pairs,
               bad ? "they DISAGREE (limits: r >= 0.99, mean |difference| <= 0.02)" : "consistent");
    }
}

/* The results file fcfit run would write: its size and whether FC rows are stored. */
static void print_output_size(const fcfit_job *job)
{
    double bytes = 0.0, fc_bytes = 0.0;
    int any = 0;
    for (int k = 0; k < FCFIT_STAGE_KIND_COUNT; k++) {
        any |= job->stages[k] != NULL;
    }
    if (!any || fcfit_run_file_size(job, &bytes, &fc_bytes) != FCFIT_OK) {
        fcfit_error_clear();
        return;
    }
    printf("             fcfit run writes about %.3g MB (every row allocated at creation)", bytes / 1e6);
    if (job->save_fc) {
        printf(", of which %.3g MB are the simulated FC rows (output.save_fc)\n", fc_bytes / 1e6);
    } else if (job->fc_rows_mb > 0.0) {
        printf("; the simulated FC rows (%.3g MB) are not stored%s\n", job->fc_rows_mb,
               fcfit_config_has_value(job->cfg, "output.save_fc")
                   ? " (output.save_fc: false)"
                   : ", being above output.save_fc_max_mb (set output.save_fc: true to store "
                     "them; fcfit simulate --from re-creates any row's FC)");
    } else {
        printf("\n");
    }
}

const char *app_output_path(const app_args *a, const fcfit_job *job)
{
    return a->output != NULL ? a->output : fcfit_config_string(job->cfg, "output.path");
}

static void print_params(const fcfit_job *job)
{
    const fcfit_model_type *m = job->model;
    for (size_t j = 0; j < m->n_params; j++) {
        const double *v = job->params + j * job->n;
        double lo = v[0], hi = v[0];
        for (size_t i = 1; i < job->n; i++) {
            lo = fmin(lo, v[i]);
            hi = fmax(hi, v[i]);
        }
        if (lo == hi) {
            printf("    %-14s %g %s\n", m->params[j].name, lo, m->params[j].unit);
        } else {
            printf("    %-14s regional, %g .. %g %s\n", m->params[j].name, lo, hi,
                   m->params[j].unit);
        }
    }
    for (size_t o = 0; o < m->n_options; o++) {
        printf("    %-14s %s\n", m->options[o].name, m->options[o].choices[job->opt[o]]);
    }
}

static void print_dims(const fcfit_stage *st)
{
    size_t shown = 0;
    for (size_t d = 0; d < st->n_dims; d++) {
        const fcfit_dim *dm = &st->dims[d];
        if (dm->kind == FCFIT_DIM_REGION) {
            continue;
        }
        shown++;
        if (dm->n_values > 0) {
            printf("               %-26s %zu values in [%g, %g]\n", dm->name, dm->n_values, dm->lo,
                   dm->hi);
        } else {
            printf("               %-26s [%g, %g]%s\n", dm->name, dm->lo, dm->hi,
                   dm->log_scale ? " log scale" : "");
        }
    }
    for (size_t q = 0; q < st->n_regional; q++) {
        const fcfit_dim *first = NULL;
        for (size_t d = 0; d < st->n_dims; d++) {
            if (st->dims[d].kind == FCFIT_DIM_REGION && st->dims[d].param == st->regional[q]) {
                first = &st->dims[d];
                break;
            }
        }
        if (first != NULL) {
            printf("               %-26s one value per region (%zu) in [%g, %g]%s\n", first->name,
                   st->n_regions, first->lo, first->hi, first->log_scale ? " log scale" : "");
        }
    }
    (void)shown;
}

/* The stages in run order, with the worst-case number of simulations of each. */
static void print_stage_plan(const fcfit_job *job)
{
    size_t total = 0, n = 0;
    for (int k = 0; k < FCFIT_STAGE_KIND_COUNT; k++) {
        n += job->stages[k] != NULL;
    }
    if (n == 0) {
        printf("stages:      none (fcfit run needs sweep.params or stages)\n");
        return;
    }
    printf("objective:   %s (%s is better; a failed evaluation scores %g)\n",
           job->objective.text, fcfit_objective_better(&job->objective),
           fcfit_objective_display(&job->objective, job->objective.penalty));
    printf("stages:      (worst case: every evaluation the budget allows)\n");
    for (int k = 0; k < FCFIT_STAGE_KIND_COUNT; k++) {
        const fcfit_stage *st = job->stages[k];
        size_t sims;
        if (st == NULL) {
            continue;
        }
        sims = st->capacity * st->replicates;
        total += sims;
        switch (st->kind) {
        case FCFIT_STAGE_SWEEP:
            printf("  sweep      %zu points (%s sampler) x %zu replicate(s) = %zu simulations\n",
                   st->n_points, fcfit_sampler_names[st->sampler], st->replicates, sims);
            break;
        case FCFIT_STAGE_OPTIMIZE:
            printf("  optimize   %s, %zu start(s) from %s, up to %zu evaluations each x %zu "
                   "replicate(s) (%s seeds) = up to %zu simulations\n",
                   st->algorithm, st->n_starts,
                   st->starts == FCFIT_START_PREVIOUS && job->stages[FCFIT_STAGE_SWEEP] != NULL
                       ? "the best sweep points"
                       : "a Sobol design",
                   st->maxeval, st->replicates, st->common_seeds ? "common" : "fresh", sims);
            break;
        case FCFIT_STAGE_REFINE:
            if (st->method == FCFIT_REFINE_CMAES) {
                printf("  refine     separable CMA-ES over %zu regional values, population %zu x "
                       "%zu generations x %zu replicate(s) = up to %zu simulations\n",
                       st->n_dims, st->popsize, st->capacity / st->popsize, st->replicates,
                       sims);
            } else if (st->method == FCFIT_REFINE_BLOCKS) {
                printf("  refine     block-coordinate %s over %zu regional values in %zu blocks, "
                       "%zu round(s) of up to %zu evaluations per block, x %zu replicate(s) = up "
                       "to %zu simulations\n",
                       st->algorithm, st->n_dims, st->n_blocks, st->rounds, st->maxeval,
                       st->replicates, sims);
            } else {
                printf("  refine     %s over %zu map dimension(s), %zu start(s), up to %zu "
                       "evaluations each x %zu replicate(s) = up to %zu simulations\n",
                       st->algorithm, st->n_dims, st->n_starts, st->maxeval, st->replicates,
                       sims);
            }
            break;
        case FCFIT_STAGE_VALIDATE:
            printf("  validate   best %zu candidates x %zu fresh seeds = up to %zu simulations%s\n",
                   st->n_candidates, st->replicates, sims,
                   job->target2 != NULL ? ", also scored against validate.target" : "");
            break;
        default:
            break;
        }
        print_dims(st);
    }
    printf("             in all at most %zu simulations\n", total);
}

void app_print_job_summary(const fcfit_job *job, const char *output_path)
{
    const fcfit_sim_config *s = &job->sim;
    const fcfit_connectome *c = job->conn;
    size_t steps = (size_t)nearbyint(s->duration_ms / s->dt_ms);
    size_t vols = (size_t)floor(s->duration_ms / s->tr_ms + 1e-9) -
                  (size_t)floor(s->transient_ms / s->tr_ms + 1e-9);
    static const char *const integ[] = {"Euler-Maruyama", "stochastic Heun"};

    printf("job:         %s (hash %s)\n", job->path != NULL ? job->path : "(defaults)",
           job->hash_hex);
    printf("model:       %s - %s\n", job->model->name, job->model->long_name);
    print_params(job);
    printf("connectome:  %s\n", job->weights_label);
    if (job->labels != NULL && job->n_labels > 0) {
        printf("             region labels %s ... %s (%s)\n", job->labels[0],
               job->labels[job->n_labels - 1],
               fcfit_config_string(job->cfg, "connectome.labels") != NULL ? "connectome.labels"
               : fcfit_config_string(job->cfg, "connectome.tvb_zip") != NULL
                   ? "the TVB zip"
                   : "none given: set connectome.labels");
    }
    if (job->n_subjects > 0) {
        printf("             per-subject connectomes: %zu (connectome.subjects), subject s paired "
               "with target subject s; every sweep point is fitted to each\n",
               job->n_subjects);
    }
    printf("             %zu regions, %.1f%% of connections present, normalisation %s x %g\n",
           c->n, 100.0 * fcfit_connectome_density(c), fcfit_norm_names[c->norm], c->scale);
    if (c->delay != NULL) {
        printf("             delays: velocity %g mm/ms, up to %zu steps (%.3g ms)\n",
               c->velocity_mm_per_ms, c->max_delay, (double)c->max_delay * s->dt_ms);
    } else {
        printf("             no conduction delays\n");
    }
    printf("simulation:  %s, dt %g ms, %g s (%zu steps), transient %g s, noise %s, seed %llu\n",
           integ[s->integrator], s->dt_ms, s->duration_ms / 1000.0, steps,
           s->transient_ms / 1000.0, s->noise ? "on" : "off", (unsigned long long)job->seed);
    printf("             chunks of %zu steps; replicates per point %zu\n", s->chunk_steps,
           job->replicates);
    printf("BOLD:        %s, drive %s (%s), TR %g s, %zu volumes kept\n",
           s->bold_kind == FCFIT_BOLD_KIND_BALLOON ? "Balloon-Windkessel" : "direct",
           fcfit_model_drive_desc(job->model, job->opt), fcfit_drive_mode_names[s->drive_mode],
           s->tr_ms / 1000.0, vols);
    if (s->bold_kind == FCFIT_BOLD_KIND_BALLOON) {
        printf("             parameters %s, %s space, step %g ms\n",
               fcfit_config_string(job->cfg, "bold.params"),
               s->bold_form == FCFIT_BOLD_LOG ? "log" : "linear", s->bold_dt_ms);
    }
    if (job->fcs.bandpass) {
        printf("FC:          band-pass %g-%g Hz (Butterworth order %zu, zero phase)%s\n",
               job->fcs.bp_lo_hz, job->fcs.bp_hi_hz, job->fcs.bp_order,
               job->fcs.detrend ? ", detrended" : "");
    } else {
        printf("FC:          no band-pass%s\n", job->fcs.detrend ? ", detrended" : "");
    }
    if (job->fcs.fcd) {
        printf("             FCD windows %g s, step %g s\n", job->fcs.fcd_window_s,
               job->fcs.fcd_step_s > 0 ? job->fcs.fcd_step_s : s->tr_ms / 1000.0);
    }
    printf("target:      %s\n", job->target_desc);
    print_target_rule(job);
    print_stage_plan(job);
    if (output_path != NULL) {
        printf("output:      %s\n", output_path);
        print_output_size(job);
    }
    for (size_t k = 0; k < job->n_warnings; k++) {
        printf("%s %s\n", k == 0 ? "warnings:   " : "            ", job->warnings[k]);
    }
}

/*
 * With -o (or output.path): what `fcfit run` will do with the output, checked now rather than
 * after mpirun has started: a new file; a results file of this job, resumed (its progress, the
 * checkpointed simulations); or a refusal (another job's file, not a results file, a lock held by
 * a live run), exit code 2 as the run would give. The "progress:" line changes whenever a run
 * has done something, so a script can tell a segment that advanced nothing
 * (slurm/fcfit_run.sbatch does).
 */
static fcfit_status check_output(const fcfit_job *job, const char *path, int force)
{
    int resume = 0;
    char holder[600];
    fcfit_results_progress_info pi;
    size_t done = 0, rows = 0, n_ck = 0;
    uint64_t steps = 0;
    if (fcfit_outlock_query(path, holder, sizeof holder)) {
        FCFIT_FAIL(FCFIT_ERR_USAGE, "%s is in use by another fcfit run: %s (lock file %s.lock)",
                   path, holder, path);
    }
    FCFIT_CHECK(fcfit_results_check(path, job->hash_hex, force, &resume));
    {
        /* As the run would: a missing or read-only directory is refused with the OS reason. */
        char *dir = fcfit_path_dirname(path);
        int ok, err;
        FCFIT_REQUIRE(dir != NULL, FCFIT_ERR_NOMEM, "out of memory");
        ok = access(dir, W_OK) == 0;
        err = errno;
        if (!ok) {
            fcfit_status st = fcfit_error_set(FCFIT_ERR_USAGE, __FILE__, __LINE__, __func__,
                                              "cannot write %s: directory %s: %s", path, dir,
                                              strerror(err));
            free(dir);
            return st;
        }
        free(dir);
    }
    if (!resume) {
        printf("             %s\n", access(path, F_OK) == 0 ? "exists; --force replaces it"
                                                            : "new file");
        printf("progress:    none\n");
        return FCFIT_OK;
    }
    FCFIT_CHECK(fcfit_results_progress(path, &pi));
    printf("             results of this job (hash %s); fcfit run resumes them:\n",
           job->hash_hex);
    for (size_t k = 0; k < pi.n_stages; k++) {
        printf("               %-10s %zu of %zu rows done%s\n", pi.stage[k], pi.done[k],
               pi.rows[k], pi.state[k] == 2 ? ", finished" : "");
        done += pi.done[k];
        rows += pi.rows[k];
    }
    fcfit_run_checkpoint_summary(path, job->hash_hex, &n_ck, &steps);
    if (n_ck > 0) {
        printf("               %zu simulation(s) checkpointed in %s.ckpt\n", n_ck, path);
    }
    printf("progress:    rows %zu/%zu, checkpointed simulations %zu, steps %llu\n", done, rows,
           n_ck, (unsigned long long)steps);
    return FCFIT_OK;
}

fcfit_status app_cmd_check(const app_args *a)
{
    fcfit_job *job = NULL;
    fcfit_sim *sim = NULL;
    fcfit_features *feat = NULL;
    fcfit_status st = FCFIT_OK;

    FCFIT_CHECK(app_load_job(a, &job));
    /* Build the simulation and feature workspaces once: every setting they check is checked
     * here too, without simulating. */
    FCFIT_TRY(fcfit_sim_create(&sim, job->model, job->conn, &job->sim, 1));
    FCFIT_TRY(fcfit_features_create(&feat, job->n, fcfit_sim_n_vols(sim), job->sim.tr_ms / 1000.0,
                                    &job->fcs,
                                    FCFIT_SIM_BOLD_LABEL));
    app_print_job_summary(job, app_output_path(a, job));
    if (a->output != NULL) {
        FCFIT_TRY(check_output(job, a->output, a->force));
    }
    if (job->n_warnings > 0) {
        printf("check:       OK, with %zu warning(s) above\n", job->n_warnings);
    } else {
        printf("check:       OK\n");
    }

cleanup:
    fcfit_features_destroy(&feat);
    fcfit_sim_destroy(&sim);
    fcfit_job_destroy(&job);
    return st;
}

size_t app_provenance(const fcfit_job *job, const app_args *a, const char ***names,
                      const char ***values)
{
    static const char *n[20];
    static const char *v[20];
    static char created[32], hdf5[32], gsl[32], nlopt[32], mpi[MPI_MAX_LIBRARY_VERSION_STRING];
    size_t k = 0;
    int len = 0;

    fcfit_utc_now(created, sizeof created);
    fcfit_io_hdf5_version(hdf5, sizeof hdf5);
    snprintf(gsl, sizeof gsl, "%s", GSL_VERSION);
    fcfit_optim_nlopt_version(nlopt, sizeof nlopt);
    MPI_Get_library_version(mpi, &len);
    for (int c = 0; c < len; c++) {
        if (mpi[c] == '\n' || mpi[c] == ',') {
            mpi[c] = '\0';
            break;
        }
    }
    n[k] = "job";
    v[k++] = job->canonical;
    n[k] = "job_hash";
    v[k++] = job->hash_hex;
    n[k] = "input_hashes";
    v[k++] = job->input_hashes;
    n[k] = "job_file";
    v[k++] = job->path != NULL ? job->path : "";
    n[k] = "model";
    v[k++] = job->model->name;
    n[k] = "connectome";
    v[k++] = job->weights_label;
    n[k] = "target";
    v[k++] = job->target_desc;
    n[k] = "fcfit_version";
    v[k++] = FCFIT_VERSION;
    n[k] = "git_hash";
    v[k++] = FCFIT_GIT_HASH;
    n[k] = "build";
    v[k++] = FCFIT_BUILD_FLAGS;
    n[k] = "hdf5_version";
    v[k++] = hdf5;
    n[k] = "gsl_version";
    v[k++] = gsl;
    n[k] = "nlopt_version";
    v[k++] = nlopt;
    n[k] = "mpi_library";
    v[k++] = mpi;
    n[k] = "created";
    v[k++] = created;
    n[k] = "command_line";
    v[k++] = a->command_line;
    *names = n;
    *values = v;
    return k;
}
