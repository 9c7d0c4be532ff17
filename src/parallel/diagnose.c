/*
 * diagnose.c: what the results file and the log say about suspect fits
 * (fcfit_diag.h): the layout entries of the diagnostics, and the warnings
 * about a finished stage (its best row's flags, a best point on the edge of
 * the searched range, how many rows were flagged). Everything here is a
 * function of the rows in the file, so a resumed or re-ranked run writes the
 * same warnings.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcfit/fcfit_log.h"
#include "parallel/parallel_impl.h"

void layout_diagnostics(const fcfit_job *job, fcfit_results_layout *lay)
{
    const fcfit_target *t = job->target;
    lay->n_diag = FCFIT_DIAG_COUNT;
    lay->diag_names = fcfit_diag_names;
    lay->drive_desc = fcfit_model_drive_desc(job->model, job->opt);
    lay->target_fcd_median =
        t != NULL && t->has_fcd ? fcfit_sorted_median(t->n_fcd_pooled, t->fcd_pooled) : NAN;
    lay->n_job_warnings = job->n_warnings < FCFIT_RESULTS_WARNINGS - 2 ? job->n_warnings
                                                                        : FCFIT_RESULTS_WARNINGS - 2;
    lay->job_warnings = (const char *const *)job->warnings;
    lay->region_labels = job->n_labels == job->n ? (const char *const *)job->labels : NULL;
    lay->model_params = job->model->params;
}

static void add_line(stage_warning_set *w, const char *fmt, const char *a, const char *b)
{
    if (w->n < FCFIT_RESULTS_WARNINGS) {
        /* A line longer than the file's warning strings is cut: it is advice, not data. */
        if (snprintf(w->lines[w->n], sizeof w->lines[w->n], fmt, a, b) < 0) {
            w->lines[w->n][0] = '\0';
        }
        w->ptr[w->n] = w->lines[w->n];
        w->n++;
    }
}

fcfit_status stage_warnings(const run_ctx *c, fcfit_results *res, size_t s, const fcfit_book *b,
                            long best_row, stage_warning_set *w)
{
    const size_t cap = b->capacity;
    int32_t *flags = NULL;
    double *diag = NULL;
    size_t n_ok = 0, n_sat = 0, n_flat = 0, n_unstable = 0;
    char text[FCFIT_RESULTS_WARNING_LEN], head[128];
    fcfit_status st = FCFIT_OK;

    memset(w, 0, sizeof *w);
    FCFIT_ALLOC_GOTO(flags, cap, "row flags");
    FCFIT_ALLOC_GOTO(diag, cap * FCFIT_DIAG_COUNT, "row diagnostics");
    FCFIT_TRY(fcfit_results_read_diag(res, s, flags, diag));
    for (size_t r = 0; r < cap; r++) {
        if (b->status[r] != FCFIT_TASK_OK) {
            continue;
        }
        n_ok++;
        n_sat += (flags[r] & FCFIT_FLAG_FC_SATURATED) != 0;
        n_flat += (flags[r] & FCFIT_FLAG_FC_FLAT) != 0;
        n_unstable += (flags[r] & FCFIT_FLAG_UNSTABLE) != 0;
    }
    if (best_row >= 0 && flags[best_row] != 0) {
        snprintf(head, sizeof head, "best row %ld", best_row);
        add_line(w, "%s: %s", head,
                 fcfit_diag_describe(flags[best_row], diag + (size_t)best_row * FCFIT_DIAG_COUNT,
                                     text, sizeof text));
    }
    if (best_row >= 0 && b->n_dims > 0 &&
        fcfit_stage_edge(b->stage, b->x + (size_t)best_row * b->n_dims, text, sizeof text) > 0) {
        snprintf(head, sizeof head, "best row %ld lies on the edge of the searched range", best_row);
        add_line(w, "%s: %s (widen the range)", head, text);
    }
    if (n_sat + n_flat + n_unstable > 0) {
        snprintf(text, sizeof text,
                 "%zu saturated FC, %zu flat FC, %zu with disagreeing halves (of %zu successful "
                 "rows; fcfit report shows which)",
                 n_sat, n_flat, n_unstable, n_ok);
        add_line(w, "%s%s", "flagged rows: ", text);
    }
    for (size_t k = 0; k < w->n; k++) {
        fcfit_log(FCFIT_LOG_WARN, "%s: %s", b->stage->name, w->lines[k]);
    }
    (void)c;

cleanup:
    free(flags);
    free(diag);
    return st;
}
