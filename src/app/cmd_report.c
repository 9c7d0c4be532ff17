/*
 * cmd_report.c: `fcfit report results.h5 [--top K] [--stage NAME] [--csv]`.
 *
 * Reads the file serially (no MPI). For every stage in run order: its
 * progress (evaluations done of its budget), failures grouped by status and
 * reason, the best rows by the fit objective with their scores and
 * parameters (a regional parameter as its mean and range over regions), each
 * optimizer instance's best-so-far trace and NLopt outcome, the validation
 * table with standard errors, and the worker utilisation. Then the fit's
 * answer. --stage NAME shows one stage; --sort SCORE ranks by a score instead
 * of the objective; --subjects adds each best row's per-subject scores; --csv
 * writes a stage's rows to stdout (one row per evaluation, pending rows
 * included; with --subjects one row per evaluation and subject) for pandas or
 * R, every number in the shortest text that reads back to the same double.
 * A run without a target has rows but no scores: the report says so.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nlopt.h>

#include "app/app.h"
#include "fcfit/fcfit_diag.h"
#include "fcfit/fcfit_results.h"
#include "fcfit/fcfit_sim.h"
#include "fcfit/fcfit_stage.h"

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

/*
 * The shortest decimal text that reads back to v (0.7, not 0.69999999999999996): %.15g when
 * it round-trips (any double with a round-tripping form of at most 15 digits gets that form
 * from %.15g, trailing zeros dropped), else %.16g, else %.17g, which always does.
 */
static void fmt_shortest(char *buf, size_t cap, double v)
{
    for (int p = 15; p <= 17; p++) {
        snprintf(buf, cap, "%.*g", p, v);
        if (strtod(buf, NULL) == v) {
            return;
        }
    }
}

static void csv_num(double v)
{
    char buf[40];
    if (isnan(v)) {
        printf(",");
    } else {
        fmt_shortest(buf, sizeof buf, v);
        printf(",%s", buf);
    }
}

static void print_csv(const fcfit_results_table *t)
{
    printf("row");
    for (size_t d = 0; d < t->n_dims; d++) {
        printf(",");
        csv_field(t->dim_names[d]);
    }
    printf(",status,reason,objective");
    for (size_t k = 0; k < t->n_scores; k++) {
        printf(",%s", t->score_names[k]);
    }
    if (t->instance != NULL) {
        printf(",instance,eval_index");
    }
    if (t->scores_se != NULL) {
        printf(",candidate_stage,candidate_row,objective_se");
        for (size_t k = 0; k < t->n_scores; k++) {
            printf(",%s_se", t->score_names[k]);
        }
    }
    if (t->scores2 != NULL) {
        for (size_t k = 0; k < t->n_scores; k++) {
            printf(",%s_target2", t->score_names[k]);
        }
    }
    printf(",worker_rank,wall_time_s\n");
    for (size_t p = 0; p < t->n_points; p++) {
        printf("%zu", p);
        for (size_t d = 0; d < t->n_dims; d++) {
            csv_num(t->points[p * t->n_dims + d]);
        }
        printf(",%s,", fcfit_task_status_name(t->status[p]));
        csv_field(t->reasons[p]);
        csv_num(t->status[p] != 0 ? t->objective_value[p] : NAN);
        for (size_t k = 0; k < t->n_scores; k++) {
            csv_num(t->scores[p * t->n_scores + k]);
        }
        if (t->instance != NULL) {
            printf(",%d,%d", t->instance[p], t->eval_index[p]);
        }
        if (t->scores_se != NULL) {
            printf(",%d,%lld", t->candidate_stage[p], (long long)t->candidate_row[p]);
            csv_num(t->objective_se[p]);
            for (size_t k = 0; k < t->n_scores; k++) {
                csv_num(t->scores_se[p * t->n_scores + k]);
            }
        }
        if (t->scores2 != NULL) {
            for (size_t k = 0; k < t->n_scores; k++) {
                csv_num(t->scores2[p * t->n_scores + k]);
            }
        }
        printf(",%d", t->rank[p]);
        csv_num(t->wall_s[p]);
        printf("\n");
    }
}

/* --csv --subjects: one line per row and subject, for a long-format data frame. */
static void print_csv_subjects(const fcfit_results_table *t, const fcfit_results_subjects *sj)
{
    printf("row,subject,status");
    for (size_t m = 0; m < sj->n_metrics; m++) {
        printf(",%s", sj->metric_names != NULL ? sj->metric_names[m] : "?");
    }
    printf("\n");
    for (size_t p = 0; p < t->n_points && p < sj->n_rows; p++) {
        for (size_t j = 0; j < sj->n_subjects; j++) {
            printf("%zu,%zu,%s", p, j, fcfit_task_status_name(t->status[p]));
            for (size_t m = 0; m < sj->n_metrics; m++) {
                csv_num(sj->values[(p * sj->n_subjects + j) * sj->n_metrics + m]);
            }
            printf("\n");
        }
    }
}

/* What users read: a single score as itself, an expression as the loss. */
static double shown(const fcfit_results_table *t, double loss)
{
    for (size_t k = 0; k < t->n_scores; k++) {
        if (strcmp(t->objective, t->score_names[k]) == 0 && t->score_sense[k] > 0) {
            return -loss;
        }
    }
    return loss;
}

/* The ranking key of every row (lower is better): the loss, or a --sort score in its sense. */
static const double *g_key;
static int by_key(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    double va = g_key[a], vb = g_key[b];
    if (va != vb) {
        return va < vb ? -1 : 1;
    }
    return a < b ? -1 : (a > b);
}

/* --sort NAME: the score's column, or -1 for the objective; FCFIT_ERR_USAGE for another name. */
static fcfit_status sort_column(const fcfit_results_table *t, const char *name, long *col)
{
    char list[512] = "objective";
    *col = -1;
    if (name == NULL || strcmp(name, "objective") == 0) {
        return FCFIT_OK;
    }
    for (size_t k = 0; k < t->n_scores; k++) {
        size_t used = strlen(list);
        if (strcmp(name, t->score_names[k]) == 0) {
            *col = (long)k;
            return FCFIT_OK;
        }
        snprintf(list + used, sizeof list - used, ", %s", t->score_names[k]);
    }
    FCFIT_FAIL(FCFIT_ERR_USAGE, "report --sort %s: not a score of this file; expected one of: %s",
               name, list);
}

/* Group failures by status and reason. */
static void print_failures(const fcfit_results_table *t)
{
    for (size_t p = 0; p < t->n_points; p++) {
        size_t count = 0;
        int first = 1;
        if (t->status[p] == 0 || t->status[p] == FCFIT_TASK_OK) {
            continue;
        }
        for (size_t q = 0; q < t->n_points; q++) {
            if (t->status[q] == t->status[p] && strcmp(t->reasons[q], t->reasons[p]) == 0) {
                if (q < p) {
                    first = 0;
                    break;
                }
                count++;
            }
        }
        if (first) {
            printf("    %5zu x %s: %s\n", count, fcfit_task_status_name(t->status[p]),
                   t->reasons[p]);
        }
    }
}

/* A row's parameters: scalar dimensions by name, regional ones ("name[i]") as mean and range. */
static void print_params(const fcfit_results_table *t, size_t p, const char *indent)
{
    size_t d = 0;
    while (d < t->n_dims) {
        const char *name = t->dim_names[d];
        const char *br = strchr(name, '[');
        if (br == NULL) {
            printf("%s%s = %.10g\n", indent, name, t->points[p * t->n_dims + d]);
            d++;
            continue;
        }
        {
            size_t len = (size_t)(br - name), n = 0;
            double sum = 0.0, lo = INFINITY, hi = -INFINITY;
            while (d < t->n_dims && strncmp(t->dim_names[d], name, len) == 0 &&
                   t->dim_names[d][len] == '[') {
                double v = t->points[p * t->n_dims + d];
                sum += v;
                lo = fmin(lo, v);
                hi = fmax(hi, v);
                n++;
                d++;
            }
            printf("%s%.*s = regional, %zu values, mean %.6g, range [%.6g, %.6g]\n", indent,
                   (int)len, name, n, sum / (double)n, lo, hi);
        }
    }
}

/* Column width: the full name (never truncated), at least 12 characters. */
static int col_width(const char *name)
{
    size_t w = strlen(name);
    return w < 12 ? 12 : (int)w;
}

static void print_top(const fcfit_results_table *t, const size_t *order, size_t n_order, long top,
                      long sort_col)
{
    size_t dims[8], n_shown = 0;
    /* The scalar dimensions (regional ones, "name[i]", are summarised under the table). */
    for (size_t d = 0; d < t->n_dims && n_shown < 8; d++) {
        if (strchr(t->dim_names[d], '[') == NULL) {
            dims[n_shown++] = d;
        }
    }
    if (sort_col >= 0) {
        printf("    top %ld by %s (%s is better; the objective is %s):\n",
               top < (long)n_order ? top : (long)n_order, t->score_names[sort_col],
               t->score_sense[sort_col] > 0 ? "higher" : "lower", t->objective);
    } else {
        printf("    top %ld by %s (%s is better):\n", top < (long)n_order ? top : (long)n_order,
               t->objective, t->better);
    }
    printf("    %6s", "row");
    for (size_t i = 0; i < n_shown; i++) {
        printf(" %*s", col_width(t->dim_names[dims[i]]), t->dim_names[dims[i]]);
    }
    printf(" %12s", "objective");
    for (size_t k = 0; k < t->n_scores; k++) {
        printf(" %*s", col_width(t->score_names[k]), t->score_names[k]);
    }
    printf("\n");
    for (size_t i = 0; i < n_order && (long)i < top; i++) {
        size_t p = order[i];
        printf("    %6zu", p);
        for (size_t j = 0; j < n_shown; j++) {
            printf(" %*.6g", col_width(t->dim_names[dims[j]]), t->points[p * t->n_dims + dims[j]]);
        }
        printf(" %12.6g", shown(t, t->objective_value[p]));
        for (size_t k = 0; k < t->n_scores; k++) {
            printf(" %*.6g", col_width(t->score_names[k]), t->scores[p * t->n_scores + k]);
        }
        printf("\n");
    }
}

/* --subjects: each shown row's scores per target subject. */
static void print_subjects(const fcfit_results_subjects *sj, const size_t *order, size_t n_order,
                           long top)
{
    if (sj->n_metrics == 0 || sj->n_subjects == 0) {
        printf("    per-subject scores: none in this stage\n");
        return;
    }
    for (size_t m = 0; m < sj->n_metrics; m++) {
        const char *mn = sj->metric_names != NULL ? sj->metric_names[m] : "?";
        printf("    %s per subject (%zu subject(s)%s):\n", mn, sj->n_subjects,
               sj->n_subjects > 10 ? "; mean, the lowest and the highest" : "");
        printf("    %6s", "row");
        if (sj->n_subjects <= 10) {
            for (size_t j = 0; j < sj->n_subjects; j++) {
                char h[40];
                snprintf(h, sizeof h, "subject %zu", j);
                printf(" %12s", h);
            }
        } else {
            printf(" %12s %24s %24s", "mean", "lowest (subject)", "highest (subject)");
        }
        printf("\n");
        for (size_t i = 0; i < n_order && (long)i < top; i++) {
            size_t p = order[i];
            const double *v = sj->values + p * sj->n_subjects * sj->n_metrics + m;
            if (p >= sj->n_rows) {
                continue;
            }
            printf("    %6zu", p);
            if (sj->n_subjects <= 10) {
                for (size_t j = 0; j < sj->n_subjects; j++) {
                    printf(" %12.6g", v[j * sj->n_metrics]);
                }
            } else {
                double sum = 0.0, lo = INFINITY, hi = -INFINITY;
                size_t jlo = 0, jhi = 0;
                for (size_t j = 0; j < sj->n_subjects; j++) {
                    double x = v[j * sj->n_metrics];
                    sum += x;
                    if (x < lo) {
                        lo = x;
                        jlo = j;
                    }
                    if (x > hi) {
                        hi = x;
                        jhi = j;
                    }
                }
                printf(" %12.6g %15.6g (%6zu) %15.6g (%6zu)", sum / (double)sj->n_subjects, lo,
                       jlo, hi, jhi);
            }
            printf("\n");
        }
    }
}

/* Each instance's best-so-far trace: the evaluations that improved on it. */
static void print_traces(const fcfit_results_table *t)
{
    size_t n_inst = 0;
    for (size_t p = 0; p < t->n_points; p++) {
        if (t->status[p] != 0 && t->instance[p] >= 0 && (size_t)t->instance[p] + 1 > n_inst) {
            n_inst = (size_t)t->instance[p] + 1;
        }
    }
    if (n_inst == 0) {
        return;
    }
    printf("    best-so-far per instance (evaluation: %s):\n", t->objective);
    for (size_t i = 0; i < n_inst && i < 64; i++) {
        double best = INFINITY;
        size_t evals = 0, printed = 0;
        printf("    %4zu:", i);
        for (size_t p = 0; p < t->n_points; p++) {
            if (t->status[p] == 0 || t->instance[p] != (int32_t)i) {
                continue;
            }
            evals++;
            if (t->objective_value[p] < best) {
                best = t->objective_value[p];
                if (printed < 12) {
                    printf(" e%d %.5g", t->eval_index[p] >= 0 ? t->eval_index[p] : (int)evals - 1,
                           shown(t, best));
                }
                printed++;
            }
        }
        printf("%s  (%zu evaluations", printed > 12 ? " ..." : "", evals);
        if (i < t->n_instances && t->state == 2 && t->instance_code != NULL) {
            printf(", NLopt %s", nlopt_result_to_string((nlopt_result)t->instance_code[i]) != NULL
                                     ? nlopt_result_to_string((nlopt_result)t->instance_code[i])
                                     : "?");
        }
        printf(")\n");
    }
}

static void print_validation(const fcfit_results_table *t, const size_t *order, size_t n_order)
{
    static const char *const stages[] = {"sweep", "optimize", "refine", "validate"};
    printf("    %4s %-14s %22s", "row", "candidate", "objective +- se");
    for (size_t k = 0; k < t->n_scores; k++) {
        printf(" %20s", t->score_names[k]);
    }
    if (t->scores2 != NULL) {
        printf(" %20s", "fc_corr (target 2)");
    }
    printf("\n");
    for (size_t i = 0; i < n_order; i++) {
        size_t p = order[i];
        char cand[32];
        int cs = t->candidate_stage[p];
        snprintf(cand, sizeof cand, "%s %lld", cs >= 0 && cs < 4 ? stages[cs] : "?",
                 (long long)t->candidate_row[p]);
        printf("    %4zu %-14s %12.6g +- %-7.2g", p, cand, shown(t, t->objective_value[p]),
               t->objective_se[p]);
        for (size_t k = 0; k < t->n_scores; k++) {
            printf(" %10.5g +- %-6.2g", t->scores[p * t->n_scores + k],
                   t->scores_se[p * t->n_scores + k]);
        }
        if (t->scores2 != NULL) {
            printf(" %20.5g", t->scores2[p * t->n_scores]);
        }
        printf("\n");
    }
}

/* Index of a diagnostic by name in the file's list, or -1 (files of other fcfit versions). */
static long diag_col(const fcfit_results_table *t, const char *name)
{
    for (size_t k = 0; k < t->n_diag; k++) {
        if (strcmp(t->diag_names[k], name) == 0) {
            return (long)k;
        }
    }
    return -1;
}

static double diag_at(const fcfit_results_table *t, size_t row, const char *name)
{
    long k = diag_col(t, name);
    return k >= 0 ? t->diag[row * t->n_diag + (size_t)k] : NAN;
}

/*
 * The regime behind the best rows: the BOLD drive's time mean over regions (mean and range),
 * the FC's mean and spread, the agreement of the two halves of the scored BOLD, the FCD
 * medians (simulated and target), each score's replicate standard deviation, and the flags.
 */
static void print_regime(const fcfit_results_table *t, const size_t *order, size_t n_order,
                         long top)
{
    double d[FCFIT_DIAG_COUNT];
    if (t->diag == NULL || t->n_diag == 0) {
        return;
    }
    {
        char tmed[32] = "none (no target BOLD)";
        if (!isnan(t->target_fcd_median)) {
            snprintf(tmed, sizeof tmed, "%.3f", t->target_fcd_median);
        }
        printf("    regime of the top rows (drive: %s; target FCD median %s):\n",
               t->drive_desc != NULL && t->drive_desc[0] != '\0' ? t->drive_desc : "?", tmed);
    }
    printf("    %6s %24s %15s %22s %10s  %s\n", "row", "drive mean [min, max]",
           "FC mean (sd)", "halves: r, fc_corr", "FCD med", "replicate sd / flags");
    for (size_t i = 0; i < n_order && (long)i < top; i++) {
        size_t p = order[i];
        char range[64], fcm[32], halves[48], fcd[24];
        int flags = t->flags != NULL ? t->flags[p] : 0;
        for (size_t k = 0; k < FCFIT_DIAG_COUNT; k++) {
            d[k] = diag_at(t, p, fcfit_diag_names[k]);
        }
        snprintf(range, sizeof range, "%.4g [%.3g, %.3g]", d[FCFIT_DIAG_DRIVE_MEAN],
                 d[FCFIT_DIAG_DRIVE_MIN], d[FCFIT_DIAG_DRIVE_MAX]);
        snprintf(fcm, sizeof fcm, "%.3f (%.3f)", d[FCFIT_DIAG_FC_MEAN], d[FCFIT_DIAG_FC_SD]);
        if (isnan(d[FCFIT_DIAG_HALF1_FIT])) {
            snprintf(halves, sizeof halves, "%.2f", d[FCFIT_DIAG_HALF_CORR]);
        } else {
            snprintf(halves, sizeof halves, "%.2f, %.3f / %.3f", d[FCFIT_DIAG_HALF_CORR],
                     d[FCFIT_DIAG_HALF1_FIT], d[FCFIT_DIAG_HALF2_FIT]);
        }
        snprintf(fcd, sizeof fcd, "%.3f", d[FCFIT_DIAG_FCD_MEDIAN]);
        printf("    %6zu %24s %15s %22s %10s ", p, range, fcm, halves,
               isnan(d[FCFIT_DIAG_FCD_MEDIAN]) ? "-" : fcd);
        if (t->scores_sd != NULL) {
            int any = 0;
            for (size_t k = 0; k < t->n_scores; k++) {
                double v = t->scores_sd[p * t->n_scores + k];
                if (!isnan(v)) {
                    printf(" %s %.2g", t->score_names[k], v);
                    any = 1;
                }
            }
            if (!any) {
                printf(" (one replicate)");
            }
        }
        if (flags != 0) {
            char words[256];
            printf("  WARNING: %s", fcfit_diag_describe(flags, d, words, sizeof words));
        }
        printf("\n");
    }
}

static fcfit_status report_stage(const app_args *a, const char *path, const char *stage)
{
    static const char *const states[] = {"not started", "running", "done"};
    fcfit_results_table t;
    fcfit_results_subjects sj;
    size_t done = 0, ok = 0, *order = NULL, n_order = 0;
    double *key = NULL;
    long sort_col = -1;
    fcfit_status st = FCFIT_OK;

    memset(&sj, 0, sizeof sj);
    FCFIT_CHECK(fcfit_results_read_table(path, stage, &t));
    FCFIT_TRY(fcfit_results_read_subjects(path, stage, &sj));
    FCFIT_TRY(sort_column(&t, a->sort, &sort_col));
    order = calloc(t.n_points + 1, sizeof *order);
    key = calloc(t.n_points + 1, sizeof *key);
    FCFIT_REQUIRE_GOTO(order != NULL && key != NULL, FCFIT_ERR_NOMEM, "out of memory");
    for (size_t p = 0; p < t.n_points; p++) {
        key[p] = sort_col < 0 ? t.objective_value[p]
                              : -(double)t.score_sense[sort_col] *
                                    t.scores[p * t.n_scores + (size_t)sort_col];
        if (t.status[p] != 0) {
            done++;
        }
        if (t.status[p] == FCFIT_TASK_OK && isfinite(t.objective_value[p])) {
            ok++;
            if (isfinite(key[p])) {
                order[n_order++] = p;
            }
        }
    }
    printf("\n%s: %s; %s\n", stage, t.state >= 0 && t.state <= 2 ? states[t.state] : "?",
           t.description != NULL ? t.description : "");
    if (t.instance == NULL) {
        /* Sweep and validate rows are all asked for: the rest is pending. */
        printf("    completion:  %zu of %zu rows done (%.1f%%), %zu pending, %zu replicate(s) "
               "each\n",
               done, t.n_points, t.n_points > 0 ? 100.0 * (double)done / (double)t.n_points : 0.0,
               t.n_points - done, t.n_replicates);
    } else {
        printf("    completion:  %zu evaluation(s) done of a budget of %zu (optimizers stop "
               "early when they converge), %zu replicate(s) each\n",
               done, t.n_points, t.n_replicates);
    }
    printf("    failures:    %zu\n", done - ok);
    if (t.state == 2 && t.n_workers > 0 && t.stage_wall_s > 0) {
        printf("    last run: %.1f s, worker utilisation %.0f%% (%.1f busy worker-s of %lld x "
               "%.1f)\n",
               t.stage_wall_s, 100.0 * t.busy_worker_s / ((double)t.n_workers * t.stage_wall_s),
               t.busy_worker_s, (long long)t.n_workers, t.stage_wall_s);
    }
    for (size_t k = 0; k < t.n_warnings; k++) {
        printf("    WARNING: %s\n", t.warnings[k]);
    }
    print_failures(&t);
    if (!sj.has_target) {
        printf("    no target: the rows were simulated but not scored, so there is nothing to "
               "rank\n");
        goto cleanup;
    }
    if (n_order == 0) {
        printf("    no successful evaluation%s yet\n",
               sort_col >= 0 ? " with a finite value of that score" : "");
        goto cleanup;
    }
    g_key = key;
    qsort(order, n_order, sizeof *order, by_key);
    if (t.scores_se != NULL) {
        print_validation(&t, order, n_order);
    } else {
        print_top(&t, order, n_order, a->top, sort_col);
        if (t.instance != NULL) {
            print_traces(&t);
        }
    }
    print_regime(&t, order, n_order, t.scores_se != NULL ? (long)n_order : a->top);
    if (a->subjects) {
        print_subjects(&sj, order, n_order, a->top);
    }
    if (sort_col >= 0) {
        printf("    best row %zu by %s (%s = %.6g)%s\n", order[0], t.score_names[sort_col],
               t.score_names[sort_col], t.scores[order[0] * t.n_scores + (size_t)sort_col],
               t.n_dims > 0 ? ":" : "");
    } else {
        printf("    best row %zu (%s = %.6g)%s\n", order[0], t.objective,
               shown(&t, t.objective_value[order[0]]), t.n_dims > 0 ? ":" : "");
    }
    print_params(&t, order[0], "      ");

cleanup:
    free(order);
    free(key);
    fcfit_results_subjects_free(&sj);
    fcfit_results_table_free(&t);
    return st;
}

/* The fit's answer: where it comes from and its parameters (regional ones as mean and range). */
static fcfit_status report_fit(const char *path, const char *objective, const char *better,
                               int has_target)
{
    static const char *const stages[] = {"sweep", "optimize", "refine", "validate"};
    fcfit_results_fit_info fi;
    int single_higher = strcmp(better, "higher") == 0;
    if (!has_target) {
        printf("\nfit:         none (no target)\n");
        return FCFIT_OK;
    }
    FCFIT_CHECK(fcfit_results_read_fit(path, &fi));
    if (fi.state != 1 || fi.row < 0) {
        printf("\nfit:         not complete yet (run the same command again to resume)\n");
        fcfit_results_fit_info_free(&fi);
        return FCFIT_OK;
    }
    printf("\nfit:         %s = %.6g", objective, single_higher ? -fi.objective : fi.objective);
    if (!isnan(fi.objective_se)) {
        printf(" +- %.2g (validated mean and standard error)", fi.objective_se);
    }
    printf(", %s row %lld\n", fi.stage >= 0 && fi.stage < 4 ? stages[fi.stage] : "?",
           (long long)fi.row);
    for (size_t k = 0; k < fi.n_warnings; k++) {
        printf("%s %s\n", k == 0 ? "warnings:   " : "            ", fi.warnings[k]);
    }
    printf("             parameters (also in %s:/fit/params):\n", path);
    for (size_t j = 0; j < fi.n_params; j++) {
        const double *v = fi.params + j * fi.n_regions;
        double lo = v[0], hi = v[0], sum = 0.0;
        for (size_t i = 0; i < fi.n_regions; i++) {
            lo = fmin(lo, v[i]);
            hi = fmax(hi, v[i]);
            sum += v[i];
        }
        if (lo == hi) {
            printf("               %-16s %.10g\n", fi.param_names[j], lo);
        } else {
            printf("               %-16s regional, mean %.6g, range [%.6g, %.6g]\n",
                   fi.param_names[j], sum / (double)fi.n_regions, lo, hi);
        }
    }
    fcfit_results_fit_info_free(&fi);
    return FCFIT_OK;
}

fcfit_status app_cmd_report(const app_args *a)
{
    char *objective = NULL, *better = NULL;
    char **stages = NULL;
    fcfit_status st = FCFIT_OK;
    fcfit_results_table t;
    size_t n = 0;
    int has_target = 1;

    FCFIT_REQUIRE(a->job_path != NULL, FCFIT_ERR_USAGE, "report: missing the results file");
    FCFIT_CHECK(fcfit_results_list_stages(a->job_path, &stages));
    while (stages[n] != NULL) {
        n++;
    }
    if (a->stage != NULL) {
        int found = 0;
        for (size_t s = 0; s < n; s++) {
            found |= strcmp(stages[s], a->stage) == 0;
        }
        FCFIT_REQUIRE_GOTO(found, FCFIT_ERR_USAGE, "report: %s has no stage '%s' (it has %s%s%s%s%s%s%s)",
                           a->job_path, a->stage, n > 0 ? stages[0] : "none",
                           n > 1 ? ", " : "", n > 1 ? stages[1] : "", n > 2 ? ", " : "",
                           n > 2 ? stages[2] : "", n > 3 ? ", " : "", n > 3 ? stages[3] : "");
    }
    if (a->csv) {
        const char *which = a->stage != NULL ? a->stage : n == 1 ? stages[0] : NULL;
        FCFIT_REQUIRE_GOTO(which != NULL, FCFIT_ERR_USAGE,
                           "report --csv: %s has %zu stages; choose one with --stage NAME",
                           a->job_path, n);
        FCFIT_TRY(fcfit_results_read_table(a->job_path, which, &t));
        if (a->subjects) {
            fcfit_results_subjects sj;
            st = fcfit_results_read_subjects(a->job_path, which, &sj);
            if (st == FCFIT_OK && sj.n_metrics == 0) {
                st = fcfit_error_set(FCFIT_ERR_USAGE, __FILE__, __LINE__, __func__,
                                     "report --csv --subjects: %s has no per-subject scores in "
                                     "%s (%s)",
                                     a->job_path, which, sj.has_target ? "no subject scores"
                                                                       : "no target");
            } else if (st == FCFIT_OK) {
                print_csv_subjects(&t, &sj);
            }
            fcfit_results_subjects_free(&sj);
        } else {
            print_csv(&t);
        }
        fcfit_results_table_free(&t);
        goto cleanup;
    }
    FCFIT_TRY(fcfit_results_read_table(a->job_path, stages[0], &t));
    {
        fcfit_results_subjects sj;
        st = fcfit_results_read_subjects(a->job_path, stages[0], &sj);
        has_target = sj.has_target;
        fcfit_results_subjects_free(&sj);
        if (st != FCFIT_OK) {
            fcfit_results_table_free(&t);
            goto cleanup;
        }
    }
    if (a->sort != NULL) {
        long col;
        st = sort_column(&t, a->sort, &col);
        if (st != FCFIT_OK) {
            fcfit_results_table_free(&t);
            goto cleanup;
        }
    }
    printf("results:     %s\n", a->job_path);
    printf("job:         hash %s, model %s, created %s\n", t.job_hash ? t.job_hash : "?",
           t.model ? t.model : "?", t.created ? t.created : "?");
    if (has_target) {
        printf("objective:   %s (%s is better)\n", t.objective, t.better);
    } else {
        printf("target:      none: the job has no target (target.fc, target.bold or "
               "target.synthetic),\n"
               "             so its rows hold simulations without scores; fcfit simulate "
               "--from gives their BOLD\n");
    }
    objective = t.objective;
    better = t.better;
    t.objective = NULL;
    t.better = NULL;
    fcfit_results_table_free(&t);
    for (size_t s = 0; s < n; s++) {
        if (a->stage == NULL || strcmp(a->stage, stages[s]) == 0) {
            FCFIT_TRY(report_stage(a, a->job_path, stages[s]));
        }
    }
    if (a->stage == NULL) {
        FCFIT_TRY(report_fit(a->job_path, objective, better, has_target));
    }

cleanup:
    free(objective);
    free(better);
    for (size_t s = 0; stages != NULL && s < n; s++) {
        free(stages[s]);
    }
    free(stages);
    return st;
}
