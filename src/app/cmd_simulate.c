/*
 * cmd_simulate.c: `fcfit simulate JOB [-o out.h5] [--set ...]`.
 *
 * Runs the job's parameters once (task 0, replicate --replicate or 0, so the
 * noise is the one a sweep's task 0 would use), chunk by chunk, then BOLD →
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
#include "fcfit/fcfit_log.h"
#include "fcfit/fcfit_rng.h"
#include "fcfit/fcfit_simfile.h"
#include "fcfit/fcfit_util.h"

fcfit_status app_cmd_simulate(const app_args *a)
{
    fcfit_status st = FCFIT_OK;
    fcfit_job *job = NULL;
    fcfit_sim *sim = NULL;
    fcfit_features *feat = NULL;
    double *bold = NULL, *tvec = NULL, *dmean = NULL, *dlast = NULL, *sscores = NULL;
    double *fcbuf = NULL;
    double scores[FCFIT_SCORE_COUNT];
    const char *out;
    const char *reason = NULL;
    char reason_buf[256];
    fcfit_task_status status;
    uint64_t seed;
    size_t n, T;
    double t0, last_report;
    double progress_s;

    FCFIT_CHECK(app_load_job(a, &job));
    FCFIT_REQUIRE_GOTO(a->point < 0, FCFIT_ERR_USAGE,
                       "--point selects a sweep point, but this job has no sweep stage");
    out = app_output_path(a, job);
    FCFIT_TRY(fcfit_simfile_check_target(out, a->force));
    FCFIT_TRY(fcfit_sim_create(&sim, job->model, job->conn, &job->sim, 1));
    n = job->n;
    T = fcfit_sim_n_vols(sim);
    FCFIT_TRY(fcfit_features_create(&feat, n, T, job->sim.tr_ms / 1000.0, &job->fcs,
                                    "the simulated BOLD"));
    FCFIT_ALLOC_GOTO(bold, n * T, "BOLD buffer");
    FCFIT_ALLOC_GOTO(tvec, T, "volume times");
    FCFIT_ALLOC_GOTO(dmean, n, "drive means");
    FCFIT_ALLOC_GOTO(dlast, n, "last drives");
    FCFIT_ALLOC_GOTO(fcbuf, n * n, "FC buffer");
    if (job->target != NULL) {
        FCFIT_ALLOC_GOTO(sscores, job->target->n_subjects * FCFIT_SSCORE_COUNT, "subject scores");
    }

    fcfit_job_apply_params(job, sim, 0);
    seed = fcfit_rng_derive(job->seed, 0, (uint64_t)a->replicate);
    FCFIT_TRY(fcfit_sim_reset(sim, &seed));

    app_install_signal_handlers();
    progress_s = fcfit_config_real(job->cfg, "log.progress_s");
    fcfit_log(FCFIT_LOG_INFO, "simulating %s on %zu regions: %g s in %zu steps", job->model->name,
              n, job->sim.duration_ms / 1000.0, fcfit_sim_n_steps(sim));
    t0 = fcfit_wtime();
    last_report = t0;
    while (!fcfit_sim_done(sim)) {
        FCFIT_TRY(fcfit_sim_advance(sim, job->sim.chunk_steps));
        if (app_stop_signal != 0) {
            FCFIT_FAIL_GOTO(FCFIT_ERR_INTERRUPTED,
                            "stopped by signal %d after %.1f of %.1f s simulated; nothing was "
                            "written (run the command again)",
                            (int)app_stop_signal,
                            (double)fcfit_sim_steps_done(sim) * job->sim.dt_ms / 1000.0,
                            job->sim.duration_ms / 1000.0);
        }
        if (progress_s > 0 && fcfit_wtime() - last_report >= progress_s) {
            double frac = (double)fcfit_sim_steps_done(sim) / (double)fcfit_sim_n_steps(sim);
            double el = fcfit_wtime() - t0;
            fcfit_log(FCFIT_LOG_INFO, "%.0f%% simulated, %.1f s elapsed, about %.0f s left",
                      100.0 * frac, el, el * (1.0 - frac) / fmax(frac, 1e-9));
            last_report = fcfit_wtime();
        }
    }
    status = fcfit_sim_lane_status(sim, 0, &reason);
    fcfit_sim_get_bold(sim, 0, bold);
    for (size_t t = 0; t < T; t++) {
        tvec[t] = fcfit_sim_vol_time_s(sim, t);
    }
    fcfit_sim_get_drive_mean(sim, 0, dmean);
    fcfit_sim_get_drive_last(sim, 0, dlast);
    for (size_t k = 0; k < FCFIT_SCORE_COUNT; k++) {
        scores[k] = NAN;
    }
    for (size_t k = 0; k < n * n; k++) {
        fcbuf[k] = NAN;
    }
    if (status == FCFIT_TASK_OK) {
        FCFIT_TRY(fcfit_features_compute(feat, bold));
        memcpy(fcbuf, feat->fc, n * n * sizeof(double));
        if (feat->n_degenerate > 0) {
            status = FCFIT_TASK_DEGENERATE;
            snprintf(reason_buf, sizeof reason_buf,
                     "%zu region(s) have constant BOLD after preprocessing; FC is undefined there",
                     feat->n_degenerate);
            reason = reason_buf;
        }
    }
    if (job->target != NULL) {
        for (size_t k = 0; k < job->target->n_subjects * FCFIT_SSCORE_COUNT; k++) {
            sscores[k] = NAN;
        }
        if (status == FCFIT_TASK_OK) {
            fcfit_score_compute(job->target, feat, scores, sscores);
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
        d.drive_desc = job->model->bold_desc;
        d.status = (int)status;
        d.status_name = fcfit_task_status_name((int)status);
        d.reason = reason != NULL ? reason : "";
        d.n_degenerate = status == FCFIT_TASK_OK || status == FCFIT_TASK_DEGENERATE
                             ? feat->n_degenerate
                             : 0;
        if (job->target != NULL) {
            d.n_scores = FCFIT_SCORE_COUNT;
            d.score_names = fcfit_score_names;
            d.scores = scores;
            d.n_subjects = job->target->n_subjects;
            d.n_subject_scores = FCFIT_SSCORE_COUNT;
            d.subject_score_names = fcfit_subject_score_names;
            d.subject_scores = sscores;
            d.target_fc = job->target->fc_group;
        }
        if (job->fcs.fcd && status == FCFIT_TASK_OK) {
            d.n_windows = feat->n_windows;
            d.fcd = feat->fcd;
        }
        d.n_attrs = app_provenance(job, a, &an, &av);
        d.attr_names = an;
        d.attr_values = av;
        FCFIT_TRY(fcfit_simfile_write(out, &d, a->force));
    }
    printf("status:      %s%s%s\n", fcfit_task_status_name((int)status), reason ? " - " : "",
           reason ? reason : "");
    if (job->target != NULL) {
        printf("scores:     ");
        for (size_t k = 0; k < FCFIT_SCORE_COUNT; k++) {
            if (!isnan(scores[k]) || status != FCFIT_TASK_OK) {
                printf(" %s %.6g", fcfit_score_names[k], scores[k]);
            }
        }
        printf("\n");
    }
    printf("output:      %s (%zu volumes x %zu regions, %.2f s wall time)\n", out, T, n,
           fcfit_wtime() - t0);
    if (status != FCFIT_TASK_OK) {
        fcfit_log(FCFIT_LOG_WARN, "the simulation %s: %s", fcfit_task_status_name((int)status),
                  reason != NULL ? reason : "");
    }

cleanup:
    free(bold);
    free(tvec);
    free(dmean);
    free(dlast);
    free(sscores);
    free(fcbuf);
    fcfit_features_destroy(&feat);
    fcfit_sim_destroy(&sim);
    fcfit_job_destroy(&job);
    return st;
}
