/*
 * cmd_report.c: `fcfit report results.h5 [--top K] [--csv]`.
 *
 * Reads the file serially (no MPI): completion, failures grouped by status
 * and reason, the top-K points by the stage's objective with their scores,
 * and the best point's parameters. --csv writes the whole table to stdout
 * (one row per point, pending points included) for pandas or R.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "fcfit/fcfit_results.h"
#include "fcfit/fcfit_sim.h"

static const fcfit_results_table *g_tab;
static int g_obj;

static int by_objective(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    double va = g_tab->score_sense[g_obj] * g_tab->scores[a * g_tab->n_scores + (size_t)g_obj];
    double vb = g_tab->score_sense[g_obj] * g_tab->scores[b * g_tab->n_scores + (size_t)g_obj];
    if (va != vb) {
        return va > vb ? -1 : 1;
    }
    return a < b ? -1 : (a > b);
}

static void csv_field(const char *s)
{
    int quote = strpbrk(s, ",\"\n") != NULL;
    if (!quote) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (const char *c = s; *c != '\0'; c++) {
        if (*c == '"') {
            putchar('"');
        }
        putchar(*c);
    }
    putchar('"');
}

static void print_csv(const fcfit_results_table *t)
{
    printf("point");
    for (size_t d = 0; d < t->n_dims; d++) {
        printf(",");
        csv_field(t->dim_names[d]);
    }
    printf(",status,reason");
    for (size_t k = 0; k < t->n_scores; k++) {
        printf(",%s", t->score_names[k]);
    }
    printf(",worker_rank,wall_time_s\n");
    for (size_t p = 0; p < t->n_points; p++) {
        printf("%zu", p);
        for (size_t d = 0; d < t->n_dims; d++) {
            printf(",%.17g", t->points[p * t->n_dims + d]);
        }
        printf(",%s,", fcfit_task_status_name(t->status[p]));
        csv_field(t->reasons[p]);
        for (size_t k = 0; k < t->n_scores; k++) {
            double v = t->scores[p * t->n_scores + k];
            if (isnan(v)) {
                printf(",");
            } else {
                printf(",%.17g", v);
            }
        }
        printf(",%d,%.6g\n", t->rank[p], t->wall_s[p]);
    }
}

fcfit_status app_cmd_report(const app_args *a)
{
    fcfit_results_table t;
    size_t done = 0, ok = 0, *order = NULL, n_order = 0;
    fcfit_status st = FCFIT_OK;
    int obj = -1;

    FCFIT_REQUIRE(a->job_path != NULL, FCFIT_ERR_USAGE, "report: missing the results file");
    FCFIT_CHECK(fcfit_results_read_table(a->job_path, "sweep", &t));
    if (a->csv) {
        print_csv(&t);
        fcfit_results_table_free(&t);
        return FCFIT_OK;
    }
    for (size_t k = 0; k < t.n_scores; k++) {
        if (t.objective != NULL && strcmp(t.score_names[k], t.objective) == 0) {
            obj = (int)k;
        }
    }
    order = calloc(t.n_points + 1, sizeof *order);
    FCFIT_REQUIRE_GOTO(order != NULL, FCFIT_ERR_NOMEM, "out of memory");
    for (size_t p = 0; p < t.n_points; p++) {
        if (t.status[p] != 0) {
            done++;
        }
        if (t.status[p] == FCFIT_TASK_OK) {
            ok++;
            if (obj >= 0 && !isnan(t.scores[p * t.n_scores + (size_t)obj])) {
                order[n_order++] = p;
            }
        }
    }
    printf("results:     %s\n", a->job_path);
    printf("job:         hash %s, model %s, created %s\n", t.job_hash ? t.job_hash : "?",
           t.model ? t.model : "?", t.created ? t.created : "?");
    printf("completion:  %zu of %zu points done (%.1f%%), %zu pending\n", done, t.n_points,
           t.n_points > 0 ? 100.0 * (double)done / (double)t.n_points : 0.0, t.n_points - done);
    printf("failures:    %zu\n", done - ok);
    /* Group failures by status and reason. */
    for (size_t p = 0; p < t.n_points; p++) {
        size_t count = 0;
        int first = 1;
        if (t.status[p] == 0 || t.status[p] == FCFIT_TASK_OK) {
            continue;
        }
        for (size_t q = 0; q < t.n_points; q++) {
            if (t.status[q] == t.status[p] && strcmp(t.reasons[q], t.reasons[p]) == 0) {
                if (q < p) {
                    first = 0;
                    break;
                }
                count++;
            }
        }
        if (first) {
            printf("  %5zu x %s: %s\n", count, fcfit_task_status_name(t.status[p]), t.reasons[p]);
        }
    }
    if (n_order == 0) {
        printf("no point with a score yet\n");
        goto cleanup;
    }
    g_tab = &t;
    g_obj = obj;
    qsort(order, n_order, sizeof *order, by_objective);
    printf("\ntop %ld by %s (%s is better):\n", a->top < (long)n_order ? a->top : (long)n_order,
           t.objective, t.score_sense[obj] > 0 ? "higher" : "lower");
    printf("  %6s", "point");
    for (size_t d = 0; d < t.n_dims; d++) {
        printf(" %14.14s", t.dim_names[d]);
    }
    for (size_t k = 0; k < t.n_scores; k++) {
        printf(" %13s", t.score_names[k]);
    }
    printf("\n");
    for (size_t i = 0; i < n_order && (long)i < a->top; i++) {
        size_t p = order[i];
        printf("  %6zu", p);
        for (size_t d = 0; d < t.n_dims; d++) {
            printf(" %14.6g", t.points[p * t.n_dims + d]);
        }
        for (size_t k = 0; k < t.n_scores; k++) {
            printf(" %13.6g", t.scores[p * t.n_scores + k]);
        }
        printf("\n");
    }
    printf("\nbest point %zu (%s = %.6g):\n", order[0], t.objective,
           t.scores[order[0] * t.n_scores + (size_t)obj]);
    for (size_t d = 0; d < t.n_dims; d++) {
        printf("  %s = %.10g\n", t.dim_names[d], t.points[order[0] * t.n_dims + d]);
    }
    printf("re-simulate it with its BOLD: fcfit simulate JOB --point %zu -o best.h5\n", order[0]);

cleanup:
    free(order);
    fcfit_results_table_free(&t);
    return st;
}
