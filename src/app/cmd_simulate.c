/*
 * cmd_simulate.c: `fcfit simulate JOB [-o out.h5] [--set ...]`.
 *
 * Runs the job's parameters once (task 0, replicate --replicate or 0), or a
 * sweep point (--point K: its parameters and the noise of sweep task K), or a
 * row of a results file of this job (--from RESULTS.h5: the fit's answer, or
 * --stage NAME --row K: any row, with that row's parameters and seeds), so
 * that any point of a run can be re-simulated bitwise with its BOLD; chunk
 * by chunk through the same evaluator the workers use, then BOLD →
 * FC → scores, and writes the HDF5 output (docs/output-format.md). Every
 * input and the output location are checked before the first step. A
 * diverged or degenerate run is written with its status; it is a result,
 * not an error. SIGINT/SIGTERM/SIGUSR1 stop between chunks with exit code 3
 * and nothing written.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "fcfit/fcfit_eval.h"
#include "fcfit/fcfit_log.h"
#include "fcfit/fcfit_results.h"
#include "fcfit/fcfit_rng.h"
#include "fcfit/fcfit_simfile.h"
#include "fcfit/fcfit_util.h"

typedef struct sim_progress {
    const fcfit_sim *sim;
    double t0, last, every_s, dt_ms;
} sim_progress;

/*
 * Between chunks: stop on a signal, and every log.progress_s seconds of a simulation that takes
 * that long say how far it is, in simulated seconds, with its rate and the time left (a
 * simulation shorter than log.progress_s prints nothing).
 */
static int simulate_poll(void *ctx)
{
    sim_progress *pr = ctx;
    double now = fcfit_wtime();
    if (app_stop_signal != 0) {
        return 1;
    }
    if (pr->every_s > 0 && now - pr->last >= pr->every_s) {
        double done_s = (double)fcfit_sim_steps_done(pr->sim) * pr->dt_ms / 1000.0;
        double total_s = (double)fcfit_sim_n_steps(pr->sim) * pr->dt_ms / 1000.0;
        double el = now - pr->t0, rate = el > 0 ? done_s / el : 0.0;
        fcfit_log(FCFIT_LOG_INFO,
                  "simulated %.1f of %.1f s (%.0f%%) in %.1f s: %.3g simulated s per s, about "
                  "%.0f s left",
                  done_s, total_s, 100.0 * done_s / total_s, el, rate,
                  rate > 0 ? (total_s - done_s) / rate : 0.0);
        pr->last = now;
    }
    return 0;
}

/*
 * --from RESULTS.h5 [--stage NAME --row K]: the parameters and the noise seed of a row of a
 * run of this job (default: the row the fit's answer comes from).
 */
static fcfit_status params_from_results(const app_args *a, const fcfit_job *job, double *params,
                                        uint64_t *seed, size_t *subject)
{
    fcfit_results_row_inputs in;
    fcfit_status st = FCFIT_OK;
    char *stage = NULL;
    long row = -1;
    int kind;
    const size_t np = job->model->n_params * job->n;

    FCFIT_REQUIRE(a->point < 0, FCFIT_ERR_USAGE, "--point and --from exclude each other");
    FCFIT_REQUIRE((a->stage == NULL) == (a->row < 0), FCFIT_ERR_USAGE,
                  "--stage and --row go together (or neither, for the fit's answer)");
    FCFIT_CHECK(fcfit_results_read_row_inputs(a->from, a->stage, a->row, &stage, &row, &in));
    FCFIT_REQUIRE_GOTO(strcmp(in.job_hash, job->hash_hex) == 0, FCFIT_ERR_MISMATCH,
                       "%s was written by another job (job hash %s, this job %s): its rows "
                       "cannot be re-simulated with %s",
                       a->from, in.job_hash, job->hash_hex, job->path != NULL ? job->path : "it");
    FCFIT_REQUIRE_GOTO(in.n_params * in.n_regions == np, FCFIT_ERR_MISMATCH,
                       "%s: its parameters have another shape than this job's", a->from);
    FCFIT_REQUIRE_GOTO((size_t)a->replicate < in.n_replicates, FCFIT_ERR_USAGE,
                       "--replicate %ld: %s row %ld has %zu replicate(s) (0 to %zu)", a->replicate,
                       stage, row, in.n_replicates, in.n_replicates - 1);
    kind = fcfit_name_index(fcfit_stage_kind_names, stage);
    if (in.region_params != NULL) {
        memcpy(params, in.region_params, np * sizeof(double));
    } else {
        const fcfit_stage *sg = kind >= 0 ? job->stages[kind] : NULL;
        FCFIT_REQUIRE_GOTO(sg != NULL && sg->n_dims == in.n_dims, FCFIT_ERR_MISMATCH,
                           "%s: the %s stage does not match this job's", a->from, stage);
        fcfit_stage_point_params(sg, in.base, in.x, params);
        *subject = fcfit_stage_point_subject(sg, in.x);
    }
    *seed = in.seeds[a->replicate];
    fcfit_log(FCFIT_LOG_INFO, "parameters and noise of %s row %ld (replicate %ld) of %s", stage,
              row, a->replicate, a->from);

cleanup:
    free(stage);
    fcfit_results_row_inputs_free(&in);
    return st;
}

fcfit_status app_cmd_simulate(const app_args *a)
{
    fcfit_status st = FCFIT_OK;
    fcfit_job *job = NULL;
    fcfit_eval *ev = NULL;
    fcfit_eval_setup setup;
    const fcfit_eval_result *res;
    const fcfit_sim *sim;
    double *bold = NULL, *tvec = NULL, *dmean = NULL, *dlast = NULL, *fcbuf = NULL;
    double *fcd = NULL, *pvals = NULL, *p0 = NULL;
    const char **punits = NULL;
    size_t subject = 0;
    char flagtext[256];
    const char *warn[FCFIT_RESULTS_WARNINGS + 1];
    size_t n_warn = 0;
    const char **pnames = NULL;
    size_t nw = 0;
    const char *out;
    uint64_t seed, task = 0;
    size_t n, T;
    int stopped = 0;
    sim_progress pr;

    FCFIT_CHECK(app_load_job(a, &job));
    FCFIT_REQUIRE_GOTO((size_t)a->replicate < job->replicates, FCFIT_ERR_USAGE,
                       "--replicate %ld: the job has sim.replicates = %zu (%s), so replicates are "
                       "numbered 0 to %zu",
                       a->replicate, job->replicates,
                       fcfit_config_where(job->cfg, "sim.replicates"), job->replicates - 1);
    if (a->point >= 0) {
        FCFIT_REQUIRE_GOTO(job->stages[FCFIT_STAGE_SWEEP] != NULL, FCFIT_ERR_USAGE,
                           "--point selects a sweep point, but this job has no sweep stage "
                           "(sweep.params)");
        FCFIT_REQUIRE_GOTO((size_t)a->point < job->stages[FCFIT_STAGE_SWEEP]->n_points, FCFIT_ERR_USAGE,
                           "--point %ld: the sweep has %zu points (0 to %zu)", a->point,
                           job->stages[FCFIT_STAGE_SWEEP]->n_points, job->stages[FCFIT_STAGE_SWEEP]->n_points - 1);
        task = job->stages[FCFIT_STAGE_SWEEP]->task_base + (uint64_t)a->point;
    }
    out = app_output_path(a, job);
    FCFIT_TRY(fcfit_simfile_check_target(out, a->force));
    n = job->n;
    FCFIT_ALLOC_GOTO(p0, job->model->n_params * n, "parameters");
    seed = fcfit_rng_derive(job->seed, task, (uint64_t)a->replicate);
    if (a->from != NULL) {
        FCFIT_TRY(params_from_results(a, job, p0, &seed, &subject));
    } else if (a->point >= 0) {
        const fcfit_stage *sw = job->stages[FCFIT_STAGE_SWEEP];
        const double *x = sw->points + (size_t)a->point * sw->n_dims;
        fcfit_stage_point_params(sw, job->params, x, p0);
        subject = fcfit_stage_point_subject(sw, x);
    } else {
        memcpy(p0, job->params, job->model->n_params * n * sizeof(double));
    }
    if (job->n_subjects > 0) {
        fcfit_log(FCFIT_LOG_INFO, "subject %zu: its own connectome and target", subject);
    }
    memset(&setup, 0, sizeof setup);
    memset(&setup, 0, sizeof setup); /* target2, test and test_delay_s: none */
    setup.model = job->model;
    setup.conn = fcfit_job_conn(job, subject);
    setup.sim = &job->sim;
    setup.opt = job->opt;
    setup.fcs = &job->fcs;
    setup.target = fcfit_job_target(job, subject);
    setup.all_subjects = job->n_subjects > 0 ? job->target : NULL;
    setup.test = (fcfit_test_function)fcfit_config_enum(job->cfg, "test.function");
    setup.test_noise = fcfit_config_real(job->cfg, "test.noise");
    FCFIT_TRY(fcfit_eval_create(&ev, &setup, 1));
    sim = fcfit_eval_sim(ev);
    memcpy(fcfit_eval_params(ev, 0), p0, job->model->n_params * n * sizeof(double));
    T = fcfit_sim_n_vols(sim);
    FCFIT_ALLOC_GOTO(bold, n * T, "BOLD buffer");
    FCFIT_ALLOC_GOTO(tvec, T, "volume times");
    FCFIT_ALLOC_GOTO(dmean, n, "drive means");
    FCFIT_ALLOC_GOTO(dlast, n, "last drives");
    FCFIT_ALLOC_GOTO(fcbuf, n * n, "FC buffer");

    app_install_signal_handlers();
    pr.sim = sim;
    pr.every_s = fcfit_config_real(job->cfg, "log.progress_s");
    pr.dt_ms = job->sim.dt_ms;
    pr.t0 = fcfit_wtime();
    pr.last = pr.t0;
    fcfit_log(FCFIT_LOG_INFO, "simulating %s on %zu regions: %g s in %zu steps (task %llu, replicate %ld)",
              job->model->name, n, job->sim.duration_ms / 1000.0, fcfit_sim_n_steps(sim),
              (unsigned long long)task, a->replicate);
    FCFIT_TRY(fcfit_eval_run(ev, 1, &seed, simulate_poll, &pr, &stopped));
    if (stopped) {
        FCFIT_FAIL_GOTO(FCFIT_ERR_INTERRUPTED,
                        "stopped by %s after %.1f of %.1f s simulated; nothing was "
                        "written (run the command again)",
                        app_signal_name((int)app_stop_signal),
                        (double)fcfit_sim_steps_done(sim) * job->sim.dt_ms / 1000.0,
                        job->sim.duration_ms / 1000.0);
    }
    res = fcfit_eval_result_at(ev, 0);
    fcfit_sim_get_bold(sim, 0, bold);
    for (size_t t = 0; t < T; t++) {
        tvec[t] = fcfit_sim_vol_time_s(sim, t);
    }
    fcfit_sim_get_drive_mean(sim, 0, dmean);
    fcfit_sim_get_drive_last(sim, 0, dlast);
    for (size_t k = 0; k < n * n; k++) {
        fcbuf[k] = NAN;
    }
    if (res->status == FCFIT_TASK_OK || res->status == FCFIT_TASK_DEGENERATE) {
        const fcfit_features *f = fcfit_eval_features(ev);
        FCFIT_TRY(fcfit_eval_refeature(ev, 0));
        memcpy(fcbuf, f->fc, n * n * sizeof(double));
        if (job->fcs.fcd) {
            nw = f->n_windows;
            FCFIT_ALLOC_GOTO(fcd, nw * nw, "FCD buffer");
            memcpy(fcd, f->fcd, nw * nw * sizeof(double));
        }
    }
    {
        fcfit_simfile_data d;
        const char **an, **av;
        memset(&d, 0, sizeof d);
        d.n = n;
        d.T = T;
        d.bold = bold;
        d.time_s = tvec;
        d.fc = fcbuf;
        d.drive_mean = dmean;
        d.drive_last = dlast;
        d.drive_desc = fcfit_model_drive_desc(job->model, job->opt);
        d.labels = (const char *const *)job->labels;
        d.bold_units = job->sim.bold_kind == FCFIT_BOLD_KIND_BALLOON
                           ? "1 (fractional BOLD signal change, Balloon-Windkessel)"
                           : d.drive_desc;
        d.n_diag = FCFIT_DIAG_COUNT;
        d.diag_names = fcfit_diag_names;
        d.diag = res->diag;
        d.flags = res->status == FCFIT_TASK_OK ? fcfit_diag_flags(res->diag) : 0;
        for (size_t k = 0; k < job->n_warnings && n_warn < FCFIT_RESULTS_WARNINGS; k++) {
            warn[n_warn++] = job->warnings[k];
        }
        if (d.flags != 0) {
            fcfit_diag_describe(d.flags, res->diag, flagtext, sizeof flagtext);
            warn[n_warn++] = flagtext;
        }
        d.n_warnings = n_warn;
        d.warnings = warn;
        d.status = res->status;
        d.status_name = fcfit_task_status_name(res->status);
        d.reason = res->reason;
        d.n_degenerate = res->n_degenerate;
        d.tune_active = res->tune.active;
        d.tune_converged = res->tune.converged;
        d.tune_iterations = res->tune.iterations;
        d.tune_max_error = res->tune.max_error;
        if (res->tune.active && job->model->tuning != NULL) {
            d.tuned_name = job->model->params[job->model->tuning->param].name;
            d.tuned = fcfit_sim_param_values(sim, job->model->tuning->param);
        }
        FCFIT_ALLOC_GOTO(pnames, job->model->n_params, "parameter names");
        FCFIT_ALLOC_GOTO(pvals, job->model->n_params * n, "parameter values");
        FCFIT_ALLOC_GOTO(punits, job->model->n_params, "parameter units");
        for (size_t j = 0; j < job->model->n_params; j++) {
            /* The values the run used, after binding (derived ones such as FIC J included). */
            const double *src = fcfit_sim_param_values(sim, j);
            pnames[j] = job->model->params[j].name;
            punits[j] = job->model->params[j].unit;
            memcpy(pvals + j * n, src, n * sizeof(double));
        }
        d.n_params = job->model->n_params;
        d.param_names = pnames;
        d.param_units = punits;
        d.params = pvals;
        if (job->target != NULL) {
            d.n_scores = FCFIT_SCORE_COUNT;
            d.score_names = fcfit_score_names;
            d.scores = res->scores;
            d.n_subjects = job->target->n_subjects;
            d.n_subject_scores = FCFIT_SSCORE_COUNT;
            d.subject_score_names = fcfit_subject_score_names;
            d.subject_scores = res->subject_scores;
            d.target_fc = job->target->fc_group;
        }
        d.n_windows = nw;
        d.fcd = fcd;
        d.n_attrs = app_provenance(job, a, &an, &av);
        d.attr_names = an;
        d.attr_values = av;
        FCFIT_TRY(fcfit_simfile_write(out, &d, a->force));
    }
    printf("status:      %s%s%s\n", fcfit_task_status_name(res->status),
           res->reason[0] ? " - " : "", res->reason);
    if (res->tune.active) {
        printf("tuning:      %s after %zu iteration(s), max |error| %g\n",
               res->tune.converged ? "converged" : "NOT converged", res->tune.iterations,
               res->tune.max_error);
    }
    if (job->target != NULL) {
        printf("scores:     ");
        for (size_t k = 0; k < FCFIT_SCORE_COUNT; k++) {
            if (!isnan(res->scores[k]) || res->status != FCFIT_TASK_OK) {
                printf(" %s %.6g", fcfit_score_names[k], res->scores[k]);
            }
        }
        printf("\n");
    }
    printf("output:      %s (%zu volumes x %zu regions, %.2f s wall time)\n", out, T, n,
           fcfit_wtime() - pr.t0);
    if (res->status != FCFIT_TASK_OK) {
        fcfit_log(FCFIT_LOG_WARN, "the simulation %s: %s", fcfit_task_status_name(res->status),
                  res->reason);
    } else {
        const double *dg = res->diag;
        printf("regime:      drive %.4g [%.4g, %.4g] (%s); FC mean %.3g, sd %.3g; halves r %.2f",
               dg[FCFIT_DIAG_DRIVE_MEAN], dg[FCFIT_DIAG_DRIVE_MIN], dg[FCFIT_DIAG_DRIVE_MAX],
               fcfit_model_drive_desc(job->model, job->opt), dg[FCFIT_DIAG_FC_MEAN],
               dg[FCFIT_DIAG_FC_SD], dg[FCFIT_DIAG_HALF_CORR]);
        if (!isnan(dg[FCFIT_DIAG_HALF1_FIT])) {
            printf(", fc_corr %.3f then %.3f", dg[FCFIT_DIAG_HALF1_FIT], dg[FCFIT_DIAG_HALF2_FIT]);
        }
        printf("\n");
        if (fcfit_diag_flags(dg) != 0) {
            fcfit_log(FCFIT_LOG_WARN, "suspect fit: %s", flagtext);
        }
    }

cleanup:
    free(bold);
    free(tvec);
    free(dmean);
    free(dlast);
    free(fcbuf);
    free(fcd);
    free(pvals);
    free(p0);
    free((void *)pnames);
    free((void *)punits);
    fcfit_eval_destroy(&ev);
    fcfit_job_destroy(&job);
    return st;
}
