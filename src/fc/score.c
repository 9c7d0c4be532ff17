/*
 * score.c: BOLD → features (FC, FCD) → scores against the empirical target.
 *
 * One code path for simulated and empirical data (docs/fc-metrics.md): the
 * target's FC and FCD are computed with fcfit_features too, with the same
 * settings at the target's own TR. All buffers are allocated at create; a
 * worker computes the features of every task into the same workspace.
 */
#include "fcfit/fcfit_score.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>

const char *const fcfit_score_names[FCFIT_SCORE_COUNT + 1] = {
    "fc_corr", "fc_corr_group", "fc_rmse", "fc_mean_diff", "fcd_ks", NULL};
const int fcfit_score_sense[FCFIT_SCORE_COUNT] = {+1, +1, -1, -1, -1};
const char *const fcfit_subject_score_names[FCFIT_SSCORE_COUNT] = {"fc_corr", "fc_rmse",
                                                                   "fcd_ks"};

int fcfit_score_index(const char *name)
{
    for (int k = 0; k < FCFIT_SCORE_COUNT; k++) {
        if (strcmp(fcfit_score_names[k], name) == 0) {
            return k;
        }
    }
    return -1;
}

void fcfit_features_destroy(fcfit_features **pf)
{
    fcfit_features *f;
    if (pf == NULL || *pf == NULL) {
        return;
    }
    f = *pf;
    free(f->fc);
    free(f->fc_upper);
    free(f->fcd);
    free(f->fcd_values);
    free(f->x);
    free(f->work);
    free(f);
    *pf = NULL;
}

fcfit_status fcfit_features_create(fcfit_features **out, size_t n, size_t T, double tr_s,
                                   const fcfit_fc_settings *s, const char *what)
{
    fcfit_status st = FCFIT_OK;
    fcfit_features *f = NULL;
    size_t work = 0;

    *out = NULL;
    fcfit_fc_blas_single_thread();
    FCFIT_REQUIRE(n >= 2, FCFIT_ERR_INPUT, "%s: %zu region(s); FC needs at least 2", what, n);
    FCFIT_REQUIRE(T >= 3, FCFIT_ERR_INPUT, "%s: %zu volume(s); FC needs at least 3", what, T);
    f = calloc(1, sizeof *f);
    FCFIT_REQUIRE(f != NULL, FCFIT_ERR_NOMEM, "cannot allocate FC features");
    f->n = n;
    f->T = T;
    f->M = n * (n - 1) / 2;
    f->tr_s = tr_s;
    f->s = *s;
    if (s->bandpass) {
        FCFIT_TRY(fcfit_butter_bandpass(s->bp_order, tr_s, s->bp_lo_hz, s->bp_hi_hz, &f->filt));
        FCFIT_REQUIRE_GOTO(T >= fcfit_filtfilt_min_length(&f->filt), FCFIT_ERR_INPUT,
                           "%s: %zu volumes at TR %g s; the band-pass filter (order %zu) needs at "
                           "least %zu (simulate longer or set fc.bandpass: false)",
                           what, T, tr_s, s->bp_order, fcfit_filtfilt_min_length(&f->filt));
        work = fcfit_filtfilt_work_size(&f->filt, T) + T;
    }
    if (s->fcd) {
        double step_s = s->fcd_step_s > 0.0 ? s->fcd_step_s : tr_s;
        f->W = (size_t)llround(s->fcd_window_s / tr_s);
        f->step = (size_t)llround(step_s / tr_s);
        if (f->step == 0) {
            f->step = 1;
        }
        f->n_windows = fcfit_fcd_n_windows(T, f->W, f->step);
        FCFIT_REQUIRE_GOTO(f->W >= 2 && f->n_windows >= 2, FCFIT_ERR_INPUT,
                           "%s: %zu volumes at TR %g s hold %zu FCD window(s) of %g s with step "
                           "%g s; at least 2 are needed (simulate longer or shorten "
                           "fc.fcd_window_s)",
                           what, T, tr_s, f->n_windows, s->fcd_window_s, step_s);
        f->k = s->fcd_skip_overlap ? (f->W + f->step - 1) / f->step : 1;
        FCFIT_REQUIRE_GOTO(f->k < f->n_windows, FCFIT_ERR_INPUT,
                           "%s: no pair of non-overlapping FCD windows fits in %zu volumes", what,
                           T);
        {
            size_t nw = f->n_windows, k = f->k;
            f->n_fcd = (nw - k) * (nw - k + 1) / 2;
        }
        FCFIT_ALLOC_GOTO(f->fcd, f->n_windows * f->n_windows, "FCD matrix");
        FCFIT_ALLOC_GOTO(f->fcd_values, f->n_fcd, "FCD values");
        if (fcfit_fcd_work_size(n, T, f->W, f->step) > work) {
            work = fcfit_fcd_work_size(n, T, f->W, f->step);
        }
        if (f->n_fcd > work) {
            work = f->n_fcd; /* the radix sort of the FCD values */
        }
    }
    FCFIT_ALLOC_GOTO(f->fc, n * n, "FC matrix");
    FCFIT_ALLOC_GOTO(f->fc_upper, f->M, "FC upper triangle");
    FCFIT_ALLOC_GOTO(f->x, n * T, "preprocessed BOLD");
    FCFIT_ALLOC_GOTO(f->work, work, "FC workspace");
    *out = f;
    return FCFIT_OK;

cleanup:
    fcfit_features_destroy(&f);
    return st;
}

fcfit_status fcfit_features_compute(fcfit_features *f, const double *bold)
{
    const size_t n = f->n, T = f->T;
    memcpy(f->x, bold, n * T * sizeof(double));
    if (f->s.detrend) {
        fcfit_detrend(n, T, f->x, T);
    } else {
        fcfit_demean(n, T, f->x, T);
    }
    if (f->s.bandpass) {
        double *tmp = f->work + fcfit_filtfilt_work_size(&f->filt, T);
        for (size_t i = 0; i < n; i++) {
            FCFIT_CHECK(fcfit_filtfilt(&f->filt, T, f->x + i * T, tmp, f->work));
            memcpy(f->x + i * T, tmp, T * sizeof(double));
        }
    }
    f->n_degenerate = fcfit_fc_pearson_inplace(n, T, f->x, T, f->fc);
    fcfit_fc_upper(n, f->fc, f->fc_upper);
    if (f->s.fcd) {
        size_t got;
        FCFIT_CHECK(fcfit_fcd(n, T, f->x, T, f->W, f->step, f->fcd, f->work));
        got = fcfit_fcd_values(f->n_windows, f->fcd, f->k, f->fcd_values);
        FCFIT_REQUIRE(got == f->n_fcd, FCFIT_ERR_INTERNAL, "FCD value count %zu, expected %zu",
                      got, f->n_fcd);
        fcfit_sort_work(f->n_fcd, f->fcd_values, f->work);
    }
    return FCFIT_OK;
}

void fcfit_target_destroy(fcfit_target **pt)
{
    fcfit_target *t;
    if (pt == NULL || *pt == NULL) {
        return;
    }
    t = *pt;
    free(t->fc_upper);
    free(t->fc_group);
    free(t->fc_group_upper);
    if (t->fcd_subject != NULL) {
        for (size_t s = 0; s < t->n_subjects; s++) {
            free(t->fcd_subject[s]);
        }
    }
    free(t->fcd_subject);
    free(t->n_fcd_subject);
    free(t->fcd_pooled);
    free(t);
    *pt = NULL;
}

fcfit_status fcfit_target_subset(const fcfit_target *t, size_t s, fcfit_target **out)
{
    fcfit_status st = FCFIT_OK;
    fcfit_target *o = NULL;
    const size_t n = t->n, M = t->M;

    *out = NULL;
    FCFIT_REQUIRE(s < t->n_subjects, FCFIT_ERR_ARG, "subject %zu of a target of %zu", s,
                  t->n_subjects);
    o = calloc(1, sizeof *o);
    FCFIT_REQUIRE(o != NULL, FCFIT_ERR_NOMEM, "cannot allocate a subject target");
    o->n = n;
    o->M = M;
    o->n_subjects = 1;
    o->fc_check_corr = NAN;
    o->fc_check_mad = NAN;
    FCFIT_ALLOC_GOTO(o->fc_upper, M + 1, "subject FC");
    FCFIT_ALLOC_GOTO(o->fc_group, n * n, "subject FC");
    FCFIT_ALLOC_GOTO(o->fc_group_upper, M + 1, "subject FC");
    FCFIT_ALLOC_GOTO(o->n_fcd_subject, 1, "subject FCD count");
    FCFIT_ALLOC_GOTO(o->fcd_subject, 1, "subject FCD");
    memcpy(o->fc_upper, t->fc_upper + s * M, M * sizeof(double));
    memcpy(o->fc_group_upper, o->fc_upper, M * sizeof(double));
    for (size_t i = 0, m = 0; i < n; i++) {
        o->fc_group[i * n + i] = 1.0;
        for (size_t j = i + 1; j < n; j++, m++) {
            o->fc_group[i * n + j] = o->fc_upper[m];
            o->fc_group[j * n + i] = o->fc_upper[m];
        }
    }
    o->fc_group_mean = fcfit_vec_mean(M, o->fc_group_upper);
    if (t->has_fcd && t->n_fcd_subject[s] > 0) {
        const size_t k = t->n_fcd_subject[s];
        o->has_fcd = 1;
        FCFIT_ALLOC_GOTO(o->fcd_subject[0], k, "subject FCD");
        FCFIT_ALLOC_GOTO(o->fcd_pooled, k, "subject FCD");
        memcpy(o->fcd_subject[0], t->fcd_subject[s], k * sizeof(double));
        memcpy(o->fcd_pooled, t->fcd_subject[s], k * sizeof(double));
        o->n_fcd_subject[0] = k;
        o->n_fcd_pooled = k;
    }
    *out = o;
    return FCFIT_OK;

cleanup:
    fcfit_target_destroy(&o);
    return st;
}

static fcfit_status check_fc(const fcfit_matrix *m, size_t n, const char *label)
{
    FCFIT_CHECK(fcfit_matrix_check_size(m, n, 1, label, "the connectome"));
    FCFIT_CHECK(fcfit_matrix_check_finite(m, label));
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            double v = m->data[i * n + j];
            FCFIT_REQUIRE(v >= -1.0 && v <= 1.0, FCFIT_ERR_INPUT,
                          "%s: entry at row %zu, column %zu is %g; FC entries must lie in [-1, 1] "
                          "(is this a Fisher-z matrix? set target.fc_fisher_z: true)",
                          label, i + 1, j + 1, v);
        }
    }
    return FCFIT_OK;
}

fcfit_status fcfit_target_create(fcfit_target **out, size_t n, size_t n_fc, const fcfit_matrix *fc,
                                 const char *const *fc_labels, size_t n_bold,
                                 const fcfit_matrix *bold, const char *const *bold_labels,
                                 double bold_tr_s, const fcfit_fc_settings *s)
{
    return fcfit_target_create_ex(out, n, n_fc, fc, fc_labels, n_bold, bold, bold_labels,
                                  bold_tr_s, s, 0);
}

/* Add the agreement of one supplied FC (n x n) with an upper triangle to the running sums. */
static void check_pair(const fcfit_matrix *fc, const double *upper, size_t n, double *work,
                       double *corr, double *mad)
{
    const size_t M = n * (n - 1) / 2;
    double d = 0.0;
    fcfit_fc_upper(n, fc->data, work);
    *corr += fcfit_vec_corr(M, work, upper);
    for (size_t m = 0; m < M; m++) {
        d += fabs(work[m] - upper[m]);
    }
    *mad += d / (double)M;
}

fcfit_status fcfit_target_create_ex(fcfit_target **out, size_t n, size_t n_fc,
                                    const fcfit_matrix *fc, const char *const *fc_labels,
                                    size_t n_bold, const fcfit_matrix *bold,
                                    const char *const *bold_labels, double bold_tr_s,
                                    const fcfit_fc_settings *s, int fc_from_bold)
{
    fcfit_status st = FCFIT_OK;
    fcfit_target *t = NULL;
    fcfit_features *feat = NULL;
    double **bold_fcd = NULL;
    size_t *bold_nfcd = NULL;
    size_t M = n * (n - 1) / 2;
    /* The supplied FC is compared with the BOLD's when it can be paired with it. */
    int compare = n_fc > 0 && n_bold > 0 && (n_fc == n_bold || n_fc == 1);
    int use_fc = n_fc > 0 && !(fc_from_bold && n_bold > 0);
    double *zsum = NULL, *work = NULL, ccorr = 0.0, cmad = 0.0;

    *out = NULL;
    FCFIT_REQUIRE(n_fc > 0 || n_bold > 0, FCFIT_ERR_ARG, "empty target");
    for (size_t k = 0; k < n_fc; k++) {
        FCFIT_CHECK(check_fc(&fc[k], n, fc_labels[k]));
    }
    for (size_t k = 0; k < n_bold; k++) {
        FCFIT_CHECK(fcfit_matrix_check_size(&bold[k], n, 0, bold_labels[k], "the connectome"));
        FCFIT_CHECK(fcfit_matrix_check_finite(&bold[k], bold_labels[k]));
    }
    t = calloc(1, sizeof *t);
    FCFIT_REQUIRE(t != NULL, FCFIT_ERR_NOMEM, "cannot allocate the target");
    t->n = n;
    t->M = M;
    t->n_subjects = use_fc ? n_fc : n_bold;
    t->fc_from_bold = !use_fc && n_fc > 0;
    t->fc_check_corr = NAN;
    t->fc_check_mad = NAN;
    if (compare) {
        FCFIT_ALLOC_GOTO(work, M + 1, "FC comparison");
        FCFIT_ALLOC_GOTO(zsum, M + 1, "FC comparison");
    }
    FCFIT_ALLOC_GOTO(t->fc_upper, t->n_subjects * M, "target FC");
    FCFIT_ALLOC_GOTO(t->fc_group, n * n, "group FC");
    FCFIT_ALLOC_GOTO(t->fc_group_upper, M, "group FC");
    FCFIT_ALLOC_GOTO(t->n_fcd_subject, t->n_subjects, "FCD counts");
    FCFIT_ALLOC_GOTO(t->fcd_subject, t->n_subjects, "FCD values");

    for (size_t k = 0; use_fc && k < n_fc; k++) {
        fcfit_fc_upper(n, fc[k].data, t->fc_upper + k * M);
    }
    t->has_fcd = n_bold > 0 && s->fcd;
    if (t->has_fcd) {
        FCFIT_ALLOC_GOTO(bold_fcd, n_bold, "FCD values");
        FCFIT_ALLOC_GOTO(bold_nfcd, n_bold, "FCD counts");
    }
    for (size_t k = 0; k < n_bold; k++) {
        FCFIT_TRY(fcfit_features_create(&feat, n, bold[k].cols, bold_tr_s, s, bold_labels[k]));
        FCFIT_TRY(fcfit_features_compute(feat, bold[k].data));
        FCFIT_REQUIRE_GOTO(feat->n_degenerate == 0, FCFIT_ERR_INPUT,
                           "%s: %zu region(s) have a constant time series; FC is undefined",
                           bold_labels[k], feat->n_degenerate);
        if (!use_fc) {
            memcpy(t->fc_upper + k * M, feat->fc_upper, M * sizeof(double));
        }
        if (compare && n_fc == n_bold) {
            check_pair(&fc[k], feat->fc_upper, n, work, &ccorr, &cmad);
        } else if (compare) {
            for (size_t m = 0; m < M; m++) {
                zsum[m] += fcfit_fisher_z(feat->fc_upper[m]);
            }
        }
        if (t->has_fcd) {
            bold_nfcd[k] = feat->n_fcd;
            t->n_fcd_pooled += feat->n_fcd;
            FCFIT_ALLOC_GOTO(bold_fcd[k], feat->n_fcd, "subject FCD");
            memcpy(bold_fcd[k], feat->fcd_values, feat->n_fcd * sizeof(double));
        }
        fcfit_features_destroy(&feat);
    }
    if (t->has_fcd) {
        size_t off = 0;
        /* Per-subject FCD only when the BOLD subjects are the FC subjects. */
        int paired = !use_fc || n_fc == n_bold;
        FCFIT_ALLOC_GOTO(t->fcd_pooled, t->n_fcd_pooled, "pooled FCD");
        for (size_t k = 0; k < n_bold; k++) {
            memcpy(t->fcd_pooled + off, bold_fcd[k], bold_nfcd[k] * sizeof(double));
            off += bold_nfcd[k];
            if (paired) {
                t->fcd_subject[k] = bold_fcd[k];
                t->n_fcd_subject[k] = bold_nfcd[k];
                bold_fcd[k] = NULL;
            }
        }
        {
            double *sw = malloc((t->n_fcd_pooled > 0 ? t->n_fcd_pooled : 1) * sizeof(double));
            FCFIT_REQUIRE_GOTO(sw != NULL, FCFIT_ERR_NOMEM, "cannot allocate the FCD sort work");
            fcfit_sort_work(t->n_fcd_pooled, t->fcd_pooled, sw);
            free(sw);
        }
    }

    /* Group FC: tanh of the mean Fisher z over subjects (docs/fc-metrics.md). */
    for (size_t m = 0; m < M; m++) {
        double z = 0.0;
        for (size_t k = 0; k < t->n_subjects; k++) {
            z += fcfit_fisher_z(t->fc_upper[k * M + m]);
        }
        t->fc_group_upper[m] =
            t->n_subjects == 1 ? t->fc_upper[m] : tanh(z / (double)t->n_subjects);
    }
    for (size_t i = 0, m = 0; i < n; i++) {
        t->fc_group[i * n + i] = 1.0;
        for (size_t j = i + 1; j < n; j++, m++) {
            t->fc_group[i * n + j] = t->fc_group_upper[m];
            t->fc_group[j * n + i] = t->fc_group_upper[m];
        }
    }
    t->fc_group_mean = fcfit_vec_mean(M, t->fc_group_upper);
    if (compare) {
        if (n_fc == 1 && n_bold > 1) {
            for (size_t m = 0; m < M; m++) {
                zsum[m] = tanh(zsum[m] / (double)n_bold);
            }
            check_pair(&fc[0], zsum, n, work, &ccorr, &cmad);
            t->fc_check_pairs = 1;
        } else {
            t->fc_check_pairs = n_bold;
        }
        t->fc_check_corr = ccorr / (double)t->fc_check_pairs;
        t->fc_check_mad = cmad / (double)t->fc_check_pairs;
    }
    *out = t;
    t = NULL;

cleanup:
    free(zsum);
    free(work);
    fcfit_features_destroy(&feat);
    fcfit_target_destroy(&t);
    for (size_t k = 0; bold_fcd != NULL && k < n_bold; k++) {
        free(bold_fcd[k]);
    }
    free(bold_fcd);
    free(bold_nfcd);
    return st;
}

void fcfit_score_compute(const fcfit_target *t, const fcfit_features *f, double *scores,
                         double *subject_scores)
{
    const size_t M = t->M;
    double corr = 0.0, rmse = 0.0;
    for (size_t k = 0; k < t->n_subjects; k++) {
        double r = fcfit_vec_corr(M, f->fc_upper, t->fc_upper + k * M);
        double e = fcfit_vec_rmse(M, f->fc_upper, t->fc_upper + k * M);
        corr += r;
        rmse += e;
        if (subject_scores != NULL) {
            double *ss = subject_scores + k * FCFIT_SSCORE_COUNT;
            ss[FCFIT_SSCORE_FC_CORR] = r;
            ss[FCFIT_SSCORE_FC_RMSE] = e;
            ss[FCFIT_SSCORE_FCD_KS] =
                t->has_fcd && f->n_fcd > 0 && t->n_fcd_subject[k] > 0
                    ? fcfit_ks_sorted(f->n_fcd, f->fcd_values, t->n_fcd_subject[k],
                                      t->fcd_subject[k])
                    : NAN;
        }
    }
    scores[FCFIT_SCORE_FC_CORR] = corr / (double)t->n_subjects;
    scores[FCFIT_SCORE_FC_CORR_GROUP] = fcfit_vec_corr(M, f->fc_upper, t->fc_group_upper);
    scores[FCFIT_SCORE_FC_RMSE] = rmse / (double)t->n_subjects;
    scores[FCFIT_SCORE_FC_MEAN_DIFF] = fabs(fcfit_vec_mean(M, f->fc_upper) - t->fc_group_mean);
    scores[FCFIT_SCORE_FCD_KS] =
        t->has_fcd && f->n_fcd > 0
            ? fcfit_ks_sorted(f->n_fcd, f->fcd_values, t->n_fcd_pooled, t->fcd_pooled)
            : NAN;
}

fcfit_status fcfit_target_synthetic_fc(size_t n, const double *weights, double *out)
{
    fcfit_status st = FCFIT_OK;
    gsl_matrix *W = NULL, *U = NULL;
    gsl_vector *mu = NULL;
    gsl_eigen_symmv_workspace *ws = NULL;
    double lmax = 0.0;

    /* GSL uses OpenBLAS as its CBLAS: one thread, so that the result is reproducible. */
    fcfit_fc_blas_single_thread();

    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++) {
            double a = weights[i * n + j], b = weights[j * n + i];
            FCFIT_REQUIRE(fabs(a - b) <= 1e-9 * (fabs(a) + fabs(b)), FCFIT_ERR_INPUT,
                          "target.synthetic needs a symmetric connectome; weights (%zu,%zu) = %g "
                          "but (%zu,%zu) = %g",
                          i + 1, j + 1, a, j + 1, i + 1, b);
        }
    }
    W = gsl_matrix_alloc(n, n);
    U = gsl_matrix_alloc(n, n);
    mu = gsl_vector_alloc(n);
    ws = gsl_eigen_symmv_alloc(n);
    FCFIT_REQUIRE_GOTO(W && U && mu && ws, FCFIT_ERR_NOMEM, "cannot allocate the eigensolver");
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            gsl_matrix_set(W, i, j, weights[i * n + j]);
        }
    }
    FCFIT_REQUIRE_GOTO(gsl_eigen_symmv(W, mu, U, ws) == 0, FCFIT_ERR_GSL,
                       "eigen-decomposition of the connectome failed");
    for (size_t i = 0; i < n; i++) {
        lmax = fmax(lmax, gsl_vector_get(mu, i));
    }
    FCFIT_REQUIRE_GOTO(lmax > 0.0, FCFIT_ERR_INPUT,
                       "target.synthetic: the connectome has no positive eigenvalue");
    /* A = -I + k W = U diag(-1 + k mu) U^T; Sigma = U diag(1 / (2 (1 - k mu))) U^T. */
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            double s = 0.0;
            for (size_t m = 0; m < n; m++) {
                double a = 1.0 - 0.9 / lmax * gsl_vector_get(mu, m);
                s += gsl_matrix_get(U, i, m) * gsl_matrix_get(U, j, m) / (2.0 * a);
            }
            out[i * n + j] = s;
        }
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            if (i != j) {
                out[i * n + j] /= sqrt(out[i * n + i] * out[j * n + j]);
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        out[i * n + i] = 1.0;
    }

cleanup:
    gsl_matrix_free(W);
    gsl_matrix_free(U);
    gsl_vector_free(mu);
    gsl_eigen_symmv_free(ws);
    return st;
}
