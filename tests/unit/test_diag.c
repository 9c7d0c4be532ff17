/*
 * test_diag.c: the diagnostics behind a score and the warnings on suspect fits
 * (include/fcfit/fcfit_diag.h, fcfit_stage_edge and fcfit_stage_add_subjects in
 * fcfit_stage.h).
 *
 *  - fcfit_diag_compute against an independent oracle: the drive statistics are
 *    the mean / min / max of the given region means (exact), the FC mean and sd
 *    are those of the upper triangle, and the half-window FCs equal the Pearson
 *    FC of each half of the raw series (without band-pass or detrending the
 *    preprocessing only removes a constant per region, which Pearson ignores);
 *    their fits against a target are r(upper FC of the half, target);
 *  - a series whose correlation structure flips in the middle (the fake-fit
 *    case of a transient too short) is flagged unstable, a stationary one is not;
 *  - the flags: each threshold from both sides, NaN diagnostics raise nothing,
 *    and the description names the numbers;
 *  - fcfit_stage_edge: a best point at either end of a range (continuous and
 *    listed), inside, and regional values at a bound;
 *  - fcfit_stage_add_subjects: every point once per subject, subject outermost.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcfit/fcfit_diag.h"
#include "fcfit/fcfit_fc.h"
#include "fcfit/fcfit_stage.h"
#include "fcfit/fcfit_util.h"
#include "fcfit_test.h"

#define N 6
#define T 400
#define M (N * (N - 1) / 2)

/* A noise-like signal: a sum of sines at incommensurate rates. */
static double noise(size_t i, size_t t, double salt)
{
    double x = 0.0;
    for (int k = 1; k <= 5; k++) {
        x += sin((double)t * (0.37 * k + 0.11 * (double)i) + salt * k + 1.7 * (double)i);
    }
    return x;
}

/*
 * Regions share a common signal with weights w_i in the first half and w'_i in the second:
 * flip = 1 reverses the sign of the second half's weights for odd regions, so the FC
 * structure of the halves differs; flip = 0 keeps it.
 */
static void make_bold(double *x, int flip)
{
    for (size_t i = 0; i < N; i++) {
        for (size_t t = 0; t < T; t++) {
            double common = noise(99, t, 0.5);
            double w = 0.4 + 0.1 * (double)i;
            if (flip && t >= T / 2 && i % 2 == 1) {
                w = -w;
            }
            x[i * T + t] = 3.0 + w * common + 0.6 * noise(i, t, 0.0);
        }
    }
}

static void upper_fc(const double *x, size_t ld, size_t len, double *u)
{
    double fc[N * N];
    fcfit_fc_pearson(N, len, x, ld, fc);
    fcfit_fc_upper(N, fc, u);
}

static fcfit_target *target_from(const double *x)
{
    fcfit_target *t = NULL;
    fcfit_matrix fcm = {0, 0, NULL};
    fcfit_fc_settings s;
    const char *label = "oracle";
    memset(&s, 0, sizeof s);
    CHECK_OK(fcfit_matrix_alloc(&fcm, N, N));
    fcfit_fc_pearson(N, T, x, T, fcm.data);
    CHECK_OK(fcfit_target_create(&t, N, 1, &fcm, &label, 0, NULL, NULL, 0.0, &s));
    fcfit_matrix_free(&fcm);
    return t;
}

static void test_compute(void)
{
    double x[N * T], other[N * T], drive[N], ua[M], ub[M], uall[M], tgt[M];
    double diag[FCFIT_DIAG_COUNT], *work;
    fcfit_features *f = NULL;
    fcfit_fc_settings s;
    fcfit_target *t;
    double mean = 0.0, ss = 0.0;

    memset(&s, 0, sizeof s); /* no band-pass, demean only, no FCD */
    make_bold(x, 1);
    make_bold(other, 0);
    t = target_from(other);
    for (size_t i = 0; i < N; i++) {
        drive[i] = 0.25 * (double)i - 0.3;
    }
    CHECK_OK(fcfit_features_create(&f, N, T, 2.0, &s, "test BOLD"));
    CHECK_OK(fcfit_features_compute(f, x));
    work = malloc(fcfit_diag_work_size(N) * sizeof(double));
    fcfit_diag_compute(f, t, drive, work, diag);

    CHECK_TRUE(diag[FCFIT_DIAG_DRIVE_MIN] == -0.3);
    CHECK_TRUE(diag[FCFIT_DIAG_DRIVE_MAX] == 0.25 * 5 - 0.3);
    CHECK_ABS(diag[FCFIT_DIAG_DRIVE_MEAN], 0.25 * 2.5 - 0.3, 1e-15);

    upper_fc(x, T, T, uall);
    for (size_t m = 0; m < M; m++) {
        mean += uall[m];
    }
    mean /= M;
    for (size_t m = 0; m < M; m++) {
        ss += (uall[m] - mean) * (uall[m] - mean);
    }
    CHECK_ABS(diag[FCFIT_DIAG_FC_MEAN], mean, 1e-12);
    CHECK_ABS(diag[FCFIT_DIAG_FC_SD], sqrt(ss / (M - 1)), 1e-12);
    CHECK_TRUE(isnan(diag[FCFIT_DIAG_FCD_MEDIAN])); /* FCD off */

    /* Halves: first floor(T/2) volumes, then the rest, from the raw series. */
    upper_fc(x, T, T / 2, ua);
    upper_fc(x + T / 2, T, T - T / 2, ub);
    CHECK_ABS(diag[FCFIT_DIAG_HALF_CORR], fcfit_vec_corr(M, ua, ub), 1e-12);
    upper_fc(other, T, T, tgt);
    CHECK_ABS(diag[FCFIT_DIAG_HALF1_FIT], fcfit_vec_corr(M, ua, tgt), 1e-12);
    CHECK_ABS(diag[FCFIT_DIAG_HALF2_FIT], fcfit_vec_corr(M, ub, tgt), 1e-12);
    printf("     flipped series: halves r = %.3f, fc_corr %.3f then %.3f\n",
           diag[FCFIT_DIAG_HALF_CORR], diag[FCFIT_DIAG_HALF1_FIT], diag[FCFIT_DIAG_HALF2_FIT]);
    /* The structure flips, so the second half no longer fits the (unflipped) target. */
    CHECK_TRUE((fcfit_diag_flags(diag) & FCFIT_FLAG_UNSTABLE) != 0);

    /* The stationary series: halves agree, no instability flag, with or without a target. */
    CHECK_OK(fcfit_features_compute(f, other));
    fcfit_diag_compute(f, t, drive, work, diag);
    printf("     stationary series: halves r = %.3f, fc_corr %.3f then %.3f\n",
           diag[FCFIT_DIAG_HALF_CORR], diag[FCFIT_DIAG_HALF1_FIT], diag[FCFIT_DIAG_HALF2_FIT]);
    CHECK_TRUE(diag[FCFIT_DIAG_HALF_CORR] > FCFIT_DIAG_LIMIT_HALF_CORR + 0.3);
    CHECK_TRUE((fcfit_diag_flags(diag) & FCFIT_FLAG_UNSTABLE) == 0);
    fcfit_diag_compute(f, NULL, drive, work, diag);
    CHECK_TRUE(isnan(diag[FCFIT_DIAG_HALF1_FIT]) && isnan(diag[FCFIT_DIAG_HALF2_FIT]));
    CHECK_TRUE((fcfit_diag_flags(diag) & FCFIT_FLAG_UNSTABLE) == 0);

    free(work);
    fcfit_features_destroy(&f);
    fcfit_target_destroy(&t);
}

static void set_ok(double *d)
{
    for (size_t k = 0; k < FCFIT_DIAG_COUNT; k++) {
        d[k] = NAN;
    }
    d[FCFIT_DIAG_FC_MEAN] = 0.3;
    d[FCFIT_DIAG_FC_SD] = 0.2;
    d[FCFIT_DIAG_HALF_CORR] = 0.9;
    d[FCFIT_DIAG_HALF1_FIT] = 0.5;
    d[FCFIT_DIAG_HALF2_FIT] = 0.45;
}

static void test_flags(void)
{
    double d[FCFIT_DIAG_COUNT];
    char buf[256];
    set_ok(d);
    CHECK_INT(fcfit_diag_flags(d), 0);
    CHECK_TRUE(strcmp(fcfit_diag_describe(0, d, buf, sizeof buf), "") == 0);

    d[FCFIT_DIAG_FC_MEAN] = 0.9; /* at the limit: not above it */
    CHECK_INT(fcfit_diag_flags(d), 0);
    d[FCFIT_DIAG_FC_MEAN] = 0.95;
    CHECK_INT(fcfit_diag_flags(d), FCFIT_FLAG_FC_SATURATED);
    CHECK_TRUE(strstr(fcfit_diag_describe(fcfit_diag_flags(d), d, buf, sizeof buf),
                      "FC saturated (mean 0.95)") != NULL);

    set_ok(d);
    d[FCFIT_DIAG_FC_SD] = 0.01;
    CHECK_INT(fcfit_diag_flags(d), FCFIT_FLAG_FC_FLAT);

    set_ok(d);
    d[FCFIT_DIAG_HALF1_FIT] = 0.60;
    d[FCFIT_DIAG_HALF2_FIT] = 0.01;
    CHECK_INT(fcfit_diag_flags(d), FCFIT_FLAG_UNSTABLE);
    CHECK_TRUE(strstr(fcfit_diag_describe(fcfit_diag_flags(d), d, buf, sizeof buf),
                      "0.60 in the first half, 0.01 in the second") != NULL);
    /* The halves' fits decide when present, even if their FCs correlate poorly. */
    set_ok(d);
    d[FCFIT_DIAG_HALF_CORR] = 0.1;
    CHECK_INT(fcfit_diag_flags(d), 0);
    /* Without a target: the halves' own correlation. */
    d[FCFIT_DIAG_HALF1_FIT] = NAN;
    d[FCFIT_DIAG_HALF2_FIT] = NAN;
    CHECK_INT(fcfit_diag_flags(d), FCFIT_FLAG_UNSTABLE);
    d[FCFIT_DIAG_HALF_CORR] = 0.5;
    CHECK_INT(fcfit_diag_flags(d), 0);

    /* A failed run (all NaN) raises no flag. */
    for (size_t k = 0; k < FCFIT_DIAG_COUNT; k++) {
        d[k] = NAN;
    }
    CHECK_INT(fcfit_diag_flags(d), 0);

    /* Several flags at once, joined; a short buffer is cut, never overrun. */
    set_ok(d);
    d[FCFIT_DIAG_FC_MEAN] = 0.97;
    d[FCFIT_DIAG_FC_SD] = 0.02;
    CHECK_INT(fcfit_diag_flags(d), FCFIT_FLAG_FC_SATURATED | FCFIT_FLAG_FC_FLAT);
    fcfit_diag_describe(fcfit_diag_flags(d), d, buf, sizeof buf);
    CHECK_TRUE(strstr(buf, "; FC flat") != NULL);
    fcfit_diag_describe(fcfit_diag_flags(d), d, buf, 10);
    CHECK_INT(strlen(buf), 9);

    CHECK_TRUE(isnan(fcfit_sorted_median(0, d)));
    {
        const double s3[] = {1.0, 2.0, 7.0}, s4[] = {1.0, 2.0, 4.0, 7.0};
        CHECK_TRUE(fcfit_sorted_median(3, s3) == 2.0);
        CHECK_TRUE(fcfit_sorted_median(4, s4) == 3.0);
    }
}

static fcfit_stage *edge_stage(void)
{
    static const double listed[] = {1.0, 2.0, 4.0};
    fcfit_stage *s = calloc(1, sizeof *s);
    s->name = fcfit_strdup("sweep");
    s->n_regions = 2;
    s->n_params = 2;
    s->n_dims = 4;
    s->dims = calloc(4, sizeof *s->dims);
    s->dims[0].name = fcfit_strdup("model.test.G");
    s->dims[0].kind = FCFIT_DIM_GLOBAL;
    s->dims[0].lo = 0.0;
    s->dims[0].hi = 2.0;
    s->dims[1].name = fcfit_strdup("model.test.k");
    s->dims[1].kind = FCFIT_DIM_GLOBAL;
    s->dims[1].param = 1;
    s->dims[1].lo = 1.0;
    s->dims[1].hi = 4.0;
    s->dims[1].n_values = 3;
    s->dims[1].values = malloc(sizeof listed);
    memcpy(s->dims[1].values, listed, sizeof listed);
    for (size_t r = 0; r < 2; r++) {
        s->dims[2 + r].name = fcfit_strdup(r == 0 ? "model.test.w[0]" : "model.test.w[1]");
        s->dims[2 + r].kind = FCFIT_DIM_REGION;
        s->dims[2 + r].param = 0;
        s->dims[2 + r].map = r;
        s->dims[2 + r].lo = 0.0;
        s->dims[2 + r].hi = 1.0;
    }
    return s;
}

static void test_edge(void)
{
    fcfit_stage *s = edge_stage();
    char buf[512];
    const double inside[] = {1.0, 2.0, 0.5, 0.5};
    const double g_hi[] = {2.0, 2.0, 0.5, 0.5};
    const double g_lo_k_lo[] = {0.0, 1.0, 0.5, 0.5};
    const double k_hi_region[] = {1.0, 4.0, 1.0, 0.5};

    CHECK_INT(fcfit_stage_edge(s, inside, buf, sizeof buf), 0);
    CHECK_TRUE(buf[0] == '\0');
    CHECK_INT(fcfit_stage_edge(s, g_hi, buf, sizeof buf), 1);
    CHECK_TRUE(strstr(buf, "model.test.G = 2 at the upper end of [0, 2]") != NULL);
    CHECK_INT(fcfit_stage_edge(s, g_lo_k_lo, buf, sizeof buf), 2);
    CHECK_TRUE(strstr(buf, "model.test.G = 0 at the lower end") != NULL);
    CHECK_TRUE(strstr(buf, "model.test.k = 1 at the lower end of [1, 4]") != NULL);
    CHECK_INT(fcfit_stage_edge(s, k_hi_region, buf, sizeof buf), 2);
    CHECK_TRUE(strstr(buf, "model.test.k = 4 at the upper end") != NULL);
    CHECK_TRUE(strstr(buf, "1 of 2 regional values of model.test.w at a bound") != NULL);
    fcfit_stage_destroy(&s);
}

static void test_subjects(void)
{
    fcfit_stage *s = edge_stage();
    const size_t P = 3, D = 4, S = 2;
    s->n_points = P;
    s->capacity = P;
    s->points = malloc(P * D * sizeof(double));
    for (size_t k = 0; k < P * D; k++) {
        s->points[k] = 0.1 * (double)k;
    }
    CHECK_OK(fcfit_stage_add_subjects(s, S));
    CHECK_INT(s->n_points, P * S);
    CHECK_INT(s->n_dims, D + 1);
    CHECK_TRUE(s->dims[D].kind == FCFIT_DIM_SUBJECT && strcmp(s->dims[D].name, "subject") == 0);
    for (size_t j = 0; j < S; j++) {
        for (size_t p = 0; p < P; p++) {
            const double *x = s->points + (j * P + p) * (D + 1);
            for (size_t d = 0; d < D; d++) {
                CHECK_TRUE(x[d] == 0.1 * (double)(p * D + d));
            }
            CHECK_INT(fcfit_stage_point_subject(s, x), j);
        }
    }
    /* The subject dimension never counts as an edge. */
    {
        char buf[256];
        const double x[] = {1.0, 2.0, 0.5, 0.5, 1.0};
        CHECK_INT(fcfit_stage_edge(s, x, buf, sizeof buf), 0);
    }
    fcfit_stage_destroy(&s);
}

int main(void)
{
    test_compute();
    test_flags();
    test_edge();
    test_subjects();
    return fcfit_test_finish();
}
