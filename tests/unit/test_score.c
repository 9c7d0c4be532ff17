/*
 * test_score.c: features (preprocessing, FC, FCD), the target (subjects,
 * Fisher-z group FC, pooled FCD) and the scores, plus the synthetic target.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "fcfit/fcfit_rng.h"
#include "fcfit/fcfit_score.h"
#include "fcfit_test.h"

static fcfit_fc_settings plain(void)
{
    fcfit_fc_settings s;
    memset(&s, 0, sizeof s);
    s.fcd_window_s = 60.0;
    s.bp_order = 2;
    s.bp_lo_hz = 0.01;
    s.bp_hi_hz = 0.1;
    return s;
}

/* n x T series: a shared slow component plus independent noise, region-dependent mix. */
static void make_bold(size_t n, size_t T, uint64_t seed, double *x)
{
    gsl_rng *r = fcfit_rng_alloc(seed);
    double *common = calloc(T, sizeof(double));
    double a = 0.0;
    for (size_t t = 0; t < T; t++) {
        a = 0.9 * a + gsl_ran_gaussian_ziggurat(r, 1.0);
        common[t] = a;
    }
    for (size_t i = 0; i < n; i++) {
        double mix = 0.2 + 0.6 * (double)i / (double)n, e = 0.0;
        for (size_t t = 0; t < T; t++) {
            e = 0.8 * e + gsl_ran_gaussian_ziggurat(r, 1.0);
            x[i * T + t] = 100.0 + mix * common[t] + (1.0 - mix) * e;
        }
    }
    free(common);
    gsl_rng_free(r);
}

static void test_features_and_self_scores(void)
{
    const size_t n = 6, T = 300;
    double *x = malloc(n * T * sizeof(double));
    fcfit_features *f = NULL;
    fcfit_target *t = NULL;
    fcfit_matrix b = {n, T, x};
    fcfit_fc_settings s = plain();
    const char *label = "bold_subject_01.csv";
    double sc[FCFIT_SCORE_COUNT], ss[FCFIT_SSCORE_COUNT];

    s.bandpass = 1;
    s.fcd = 1;
    make_bold(n, T, 11, x);
    CHECK_OK(fcfit_features_create(&f, n, T, 2.0, &s, "sim"));
    CHECK_OK(fcfit_features_compute(f, x));
    CHECK_INT(f->W, 30);
    CHECK_INT(f->n_windows, T - 30 + 1);
    CHECK_INT(f->n_fcd, f->n_windows * (f->n_windows - 1) / 2);
    CHECK_INT(f->n_degenerate, 0);
    for (size_t i = 0; i < n; i++) {
        CHECK_REL(f->fc[i * n + i], 1.0, 0);
    }
    /* The target built from the same BOLD scores perfectly against it. */
    CHECK_OK(fcfit_target_create(&t, n, 0, NULL, NULL, 1, &b, &label, 2.0, &s));
    CHECK_INT(t->n_subjects, 1);
    CHECK_TRUE(t->has_fcd);
    fcfit_score_compute(t, f, sc, ss);
    CHECK_REL(sc[FCFIT_SCORE_FC_CORR], 1.0, 1e-12);
    CHECK_REL(sc[FCFIT_SCORE_FC_CORR_GROUP], 1.0, 1e-12);
    CHECK_ABS(sc[FCFIT_SCORE_FC_RMSE], 0.0, 1e-12);
    CHECK_ABS(sc[FCFIT_SCORE_FC_MEAN_DIFF], 0.0, 1e-12);
    CHECK_ABS(sc[FCFIT_SCORE_FCD_KS], 0.0, 0.0);
    CHECK_ABS(ss[FCFIT_SSCORE_FCD_KS], 0.0, 0.0);
    /* Demeaning is part of the pipeline: an offset does not change anything. */
    for (size_t k = 0; k < n * T; k++) {
        x[k] += 1234.5;
    }
    CHECK_OK(fcfit_features_compute(f, x));
    fcfit_score_compute(t, f, sc, ss);
    CHECK_REL(sc[FCFIT_SCORE_FC_CORR], 1.0, 1e-10);
    fcfit_features_destroy(&f);
    fcfit_target_destroy(&t);
    CHECK_TRUE(f == NULL && t == NULL);
    free(x);
}

static void test_group_and_subjects(void)
{
    const size_t n = 3;
    double a[9] = {1, 0.5, 0.2, 0.5, 1, 0.9, 0.2, 0.9, 1};
    double b[9] = {1, 0.1, 0.6, 0.1, 1, 0.3, 0.6, 0.3, 1};
    fcfit_matrix m[2] = {{n, n, a}, {n, n, b}};
    const char *labels[2] = {"fc1.csv", "fc2.csv"};
    fcfit_target *t = NULL;
    fcfit_fc_settings s = plain();
    fcfit_features f;
    double sc[FCFIT_SCORE_COUNT], ss[2 * FCFIT_SSCORE_COUNT];
    double up[3] = {0.5, 0.2, 0.9};

    CHECK_OK(fcfit_target_create(&t, n, 2, m, labels, 0, NULL, NULL, 2.0, &s));
    CHECK_INT(t->n_subjects, 2);
    CHECK_TRUE(!t->has_fcd);
    /* group FC = tanh(mean atanh) */
    CHECK_REL(t->fc_group_upper[0], tanh(0.5 * (atanh(0.5) + atanh(0.1))), 1e-12);
    CHECK_REL(t->fc_group[2 * 3 + 1], tanh(0.5 * (atanh(0.9) + atanh(0.3))), 1e-12);
    CHECK_REL(t->fc_group[4], 1.0, 0);
    /* scores of an FC equal to subject 1 */
    memset(&f, 0, sizeof f);
    f.n = n;
    f.M = 3;
    f.fc_upper = up;
    fcfit_score_compute(t, &f, sc, ss);
    CHECK_REL(ss[0 * FCFIT_SSCORE_COUNT + FCFIT_SSCORE_FC_CORR], 1.0, 1e-12);
    CHECK_ABS(ss[0 * FCFIT_SSCORE_COUNT + FCFIT_SSCORE_FC_RMSE], 0.0, 1e-15);
    {
        double r2 = fcfit_vec_corr(3, up, (double[]){0.1, 0.6, 0.3});
        CHECK_REL(sc[FCFIT_SCORE_FC_CORR], 0.5 * (1.0 + r2), 1e-12);
        CHECK_REL(ss[1 * FCFIT_SSCORE_COUNT + FCFIT_SSCORE_FC_CORR], r2, 1e-12);
    }
    CHECK_TRUE(isnan(sc[FCFIT_SCORE_FCD_KS]));
    CHECK_TRUE(isnan(ss[FCFIT_SSCORE_FCD_KS]));
    fcfit_target_destroy(&t);
    /* bad FC inputs */
    a[1] = 1.5;
    CHECK_FAILS(fcfit_target_create(&t, n, 2, m, labels, 0, NULL, NULL, 2.0, &s), FCFIT_ERR_INPUT,
                "fc1.csv: entry at row 1, column 2 is 1.5; FC entries must lie in [-1, 1]");
    a[1] = 0.5;
    CHECK_FAILS(fcfit_target_create(&t, 4, 2, m, labels, 0, NULL, NULL, 2.0, &s), FCFIT_ERR_INPUT,
                "fc1.csv: matrix is 3 x 3; expected 4 x 4");
    CHECK_INT(fcfit_score_index("fcd_ks"), FCFIT_SCORE_FCD_KS);
    CHECK_INT(fcfit_score_index("nope"), -1);
    CHECK_INT(fcfit_score_sense[FCFIT_SCORE_FC_CORR], 1);
    CHECK_INT(fcfit_score_sense[FCFIT_SCORE_FC_RMSE], -1);
}

static void test_feature_errors(void)
{
    fcfit_features *f = NULL;
    fcfit_fc_settings s = plain();
    s.bandpass = 1;
    CHECK_FAILS(fcfit_features_create(&f, 4, 10, 2.0, &s, "the simulated BOLD"), FCFIT_ERR_INPUT,
                "the simulated BOLD: 10 volumes at TR 2 s; the band-pass filter");
    s.bandpass = 0;
    s.fcd = 1;
    CHECK_FAILS(fcfit_features_create(&f, 4, 30, 2.0, &s, "sim"), FCFIT_ERR_INPUT,
                "at least 2 are needed");
    CHECK_FAILS(fcfit_features_create(&f, 1, 30, 2.0, &s, "sim"), FCFIT_ERR_INPUT, "at least 2");
    s.fcd = 0;
    s.bandpass = 1;
    s.bp_hi_hz = 0.3; /* above Nyquist at TR 2 s */
    CHECK_FAILS(fcfit_features_create(&f, 4, 100, 2.0, &s, "sim"), FCFIT_ERR_ARG, "0.3");
    CHECK_TRUE(f == NULL);
}

static void test_degenerate(void)
{
    const size_t n = 3, T = 50;
    double x[150];
    fcfit_features *f = NULL;
    fcfit_fc_settings s = plain();
    s.detrend = 1;
    for (size_t t = 0; t < T; t++) {
        x[t] = sin(0.3 * (double)t);
        x[T + t] = 2.0 + 0.5 * (double)t; /* a pure trend: constant after detrending */
        x[2 * T + t] = cos(0.7 * (double)t);
    }
    CHECK_OK(fcfit_features_create(&f, n, T, 2.0, &s, "sim"));
    CHECK_OK(fcfit_features_compute(f, x));
    CHECK_INT(f->n_degenerate, 1);
    CHECK_ABS(f->fc[1 * n + 1], 0.0, 0);
    fcfit_features_destroy(&f);
}

static void test_synthetic_target(void)
{
    /* Two nodes: W = [[0,1],[1,0]], k = 0.9: the stationary correlation is exactly 0.9. */
    double w2[4] = {0, 1, 1, 0}, fc2[4];
    CHECK_OK(fcfit_target_synthetic_fc(2, w2, fc2));
    CHECK_REL(fc2[1], 0.9, 1e-12);
    CHECK_REL(fc2[0], 1.0, 0);
    {
        double w3[9] = {0, 1, 0, 2, 0, 1, 0, 1, 0}, fc3[9];
        CHECK_FAILS(fcfit_target_synthetic_fc(3, w3, fc3), FCFIT_ERR_INPUT, "symmetric");
    }
}

int main(void)
{
    test_features_and_self_scores();
    test_group_and_subjects();
    test_feature_errors();
    test_degenerate();
    test_synthetic_target();
    return fcfit_test_finish();
}
