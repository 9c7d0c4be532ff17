/*
 * job_subjects.c: what a job adds around its inputs: region labels for the
 * outputs, per-subject connectomes, and whether run results store each
 * row's simulated FC.
 *
 * Per-subject connectomes (connectome.subjects): target subject s (the s-th
 * file of target.fc, or of target.bold when there is no target.fc) is paired
 * with the s-th connectome. The sweep's points are repeated for every subject
 * (subject-major rows, a "subject" column in params), each row is simulated
 * on its subject's SC and scored against that subject's FC and FCD alone;
 * scores_subject keeps the row's scores against every subject, so that a
 * subject's own SC can be compared with the others'. Only the sweep stage
 * runs per subject (docs/stages.md says why and what to do instead).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcfit/fcfit_matrix_io.h"
#include "fcfit/fcfit_util.h"
#include "job/job_impl.h"

fcfit_status job_setup_labels(fcfit_job *job)
{
    const fcfit_config *cfg = job->cfg;
    const char *path = fcfit_config_string(cfg, "connectome.labels");
    char **labels = NULL;
    size_t n = 0;

    if (path != NULL) {
        fcfit_status st = fcfit_labels_load(path, &labels, &n);
        if (st != FCFIT_OK) {
            fcfit_error_prefix("%s: connectome.labels: ", fcfit_config_where(cfg,
                                                                             "connectome.labels"));
            return fcfit_error_trace(st, __FILE__, __LINE__, __func__);
        }
        if (n != job->n) {
            fcfit_labels_free(labels, n);
            FCFIT_FAIL(FCFIT_ERR_INPUT,
                       "%s: connectome.labels: %s holds %zu labels; the connectome has %zu "
                       "regions",
                       fcfit_config_where(cfg, "connectome.labels"), path, n, job->n);
        }
        fcfit_labels_free(job->labels, job->n_labels);
        job->labels = labels;
        job->n_labels = n;
        return FCFIT_OK;
    }
    if (job->labels != NULL && job->n_labels == job->n) {
        return FCFIT_OK;
    }
    fcfit_labels_free(job->labels, job->n_labels);
    job->labels = calloc(job->n, sizeof(char *));
    job->n_labels = 0;
    FCFIT_REQUIRE(job->labels != NULL, FCFIT_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < job->n; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "r%zu", i);
        job->labels[i] = fcfit_strdup(buf);
        FCFIT_REQUIRE(job->labels[i] != NULL, FCFIT_ERR_NOMEM, "out of memory");
        job->n_labels++;
    }
    return FCFIT_OK;
}

fcfit_status job_build_subjects(fcfit_job *job)
{
    const size_t S = job->n_subjects;
    FCFIT_REQUIRE(job->target != NULL && job->target->n_subjects == S, FCFIT_ERR_INTERNAL,
                  "%zu subject connectomes for a target of %zu subjects", S,
                  job->target != NULL ? job->target->n_subjects : 0);
    job->subject_conns = calloc(S, sizeof *job->subject_conns);
    job->subject_targets = calloc(S, sizeof *job->subject_targets);
    FCFIT_REQUIRE(job->subject_conns != NULL && job->subject_targets != NULL, FCFIT_ERR_NOMEM,
                  "out of memory");
    for (size_t k = 0; k < S; k++) {
        char label[64];
        snprintf(label, sizeof label, "subject connectome %zu", k);
        FCFIT_CHECK(job_build_conn(job, &job->subject_weights[k], label, &job->subject_conns[k]));
        FCFIT_REQUIRE(job->subject_conns[k]->n == job->n, FCFIT_ERR_INPUT,
                      "subject connectome %zu has %zu regions; the job has %zu", k,
                      job->subject_conns[k]->n, job->n);
        FCFIT_CHECK(fcfit_target_subset(job->target, k, &job->subject_targets[k]));
    }
    return FCFIT_OK;
}

fcfit_status job_setup_subjects(fcfit_job *job)
{
    const fcfit_config *cfg = job->cfg;
    const char *key = "connectome.subjects";
    const size_t S = fcfit_config_list_len(cfg, key);
    fcfit_status st = FCFIT_OK;

    if (S == 0) {
        return FCFIT_OK;
    }
    FCFIT_REQUIRE(job->target != NULL, FCFIT_ERR_CONFIG,
                  "%s: %s pairs connectomes with target subjects, but the job has no target",
                  fcfit_config_where(cfg, key), key);
    FCFIT_REQUIRE(job->target->n_subjects == S, FCFIT_ERR_CONFIG,
                  "%s: %s lists %zu connectomes, but the target has %zu subject(s) (%s); give one "
                  "connectome per target subject, in the same order",
                  fcfit_config_where(cfg, key), key, S, job->target->n_subjects,
                  job->target_desc);
    FCFIT_REQUIRE(job->stages[FCFIT_STAGE_SWEEP] != NULL, FCFIT_ERR_CONFIG,
                  "%s: per-subject connectomes need a sweep (sweep.params): each sweep point is "
                  "fitted to every subject",
                  fcfit_config_where(cfg, key));
    for (int k = FCFIT_STAGE_OPTIMIZE; k < FCFIT_STAGE_KIND_COUNT; k++) {
        FCFIT_REQUIRE(job->stages[k] == NULL, FCFIT_ERR_CONFIG,
                      "%s: with per-subject connectomes only the sweep stage runs per subject; "
                      "the %s stage does not (yet): drop it, or run one job per subject with "
                      "connectome.weights and that subject's target (docs/stages.md)",
                      fcfit_config_where(cfg, key), fcfit_stage_kind_names[k]);
    }
    FCFIT_REQUIRE(job->target2 == NULL, FCFIT_ERR_CONFIG,
                  "%s: validate.target does not combine with per-subject connectomes",
                  fcfit_config_where(cfg, key));
    FCFIT_ALLOC_GOTO(job->subject_weights, S, "subject connectomes");
    job->n_subjects = S;
    for (size_t k = 0; k < S; k++) {
        const char *path = fcfit_config_list_path(cfg, key, k);
        st = fcfit_matrix_load(path, &job->subject_weights[k]);
        if (st != FCFIT_OK) {
            fcfit_error_prefix("%s: %s: ", fcfit_config_where(cfg, key), key);
            goto cleanup;
        }
        FCFIT_REQUIRE_GOTO(job->subject_weights[k].rows == job->n &&
                               job->subject_weights[k].cols == job->n,
                           FCFIT_ERR_INPUT,
                           "%s (%s): matrix is %zu x %zu; expected %zu x %zu like the connectome",
                           path, key, job->subject_weights[k].rows,
                           job->subject_weights[k].cols, job->n, job->n);
        if (fcfit_config_bool(cfg, "connectome.require_symmetric")) {
            char label[2048];
            snprintf(label, sizeof label, "%s (%s)", path, key);
            FCFIT_TRY(fcfit_matrix_check_symmetric(&job->subject_weights[k], 1e-9, label));
        }
    }
    st = job_build_subjects(job);
    if (st != FCFIT_OK) {
        fcfit_error_prefix("%s: %s: ", fcfit_config_where(cfg, key), key);
        goto cleanup;
    }
    FCFIT_TRY(fcfit_stage_add_subjects(job->stages[FCFIT_STAGE_SWEEP], S));
    return FCFIT_OK;

cleanup:
    return st;
}

void job_resolve_save_fc(fcfit_job *job)
{
    const fcfit_config *cfg = job->cfg;
    double rows = 0.0;
    for (int k = 0; k < FCFIT_STAGE_KIND_COUNT; k++) {
        if (job->stages[k] != NULL && (k == FCFIT_STAGE_SWEEP || k == FCFIT_STAGE_VALIDATE)) {
            rows += (double)job->stages[k]->capacity;
        }
    }
    job->fc_rows_mb = rows * (double)(job->n * (job->n - 1) / 2) * 4.0 / 1e6;
    if (fcfit_config_has_value(cfg, "output.save_fc")) {
        job->save_fc = fcfit_config_bool(cfg, "output.save_fc");
    } else {
        job->save_fc = job->fc_rows_mb <= fcfit_config_real(cfg, "output.save_fc_max_mb");
    }
}
