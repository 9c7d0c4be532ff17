/*
 * diag.c: diagnostics behind a score and the flags of a suspect fit (see
 * fcfit_diag.h). The half-window FCs reuse the preprocessed series of the
 * feature workspace, so a half is filtered exactly as the whole run is (no
 * new filter edge in the middle), and cost two more dsyrk products.
 */
#include "fcfit/fcfit_diag.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *const fcfit_diag_names[FCFIT_DIAG_COUNT + 1] = {
    "drive_mean",    "drive_min",     "drive_max",  "fc_mean", "fc_sd", "fc_half_corr",
    "fc_corr_half1", "fc_corr_half2", "fcd_median", NULL};

const char fcfit_flag_codes[] =
    "bit mask: 1 fc_saturated (mean FC > 0.9), 2 fc_flat (sd of FC < 0.05), 4 unstable (the "
    "halves of the scored BOLD disagree: their fc_corr differ by more than 0.2, or without a "
    "target their FCs correlate below 0.3)";

int fcfit_diag_flags(const double *d)
{
    int flags = 0;
    if (d[FCFIT_DIAG_FC_MEAN] > FCFIT_DIAG_LIMIT_SATURATED) {
        flags |= FCFIT_FLAG_FC_SATURATED;
    }
    if (d[FCFIT_DIAG_FC_SD] < FCFIT_DIAG_LIMIT_FLAT) {
        flags |= FCFIT_FLAG_FC_FLAT;
    }
    if (!isnan(d[FCFIT_DIAG_HALF1_FIT]) && !isnan(d[FCFIT_DIAG_HALF2_FIT])) {
        if (fabs(d[FCFIT_DIAG_HALF1_FIT] - d[FCFIT_DIAG_HALF2_FIT]) > FCFIT_DIAG_LIMIT_HALF_GAP) {
            flags |= FCFIT_FLAG_UNSTABLE;
        }
    } else if (d[FCFIT_DIAG_HALF_CORR] < FCFIT_DIAG_LIMIT_HALF_CORR) {
        flags |= FCFIT_FLAG_UNSTABLE;
    }
    return flags;
}

char *fcfit_diag_describe(int flags, const double *d, char *buf, size_t cap)
{
    size_t len = 0;
    const char *sep = "";
    if (cap == 0) {
        return buf;
    }
    buf[0] = '\0';
#define DIAG_ADD(...)                                                                             \
    do {                                                                                         \
        int w_ = snprintf(buf + len, cap - len, __VA_ARGS__);                                    \
        if (w_ > 0) {                                                                            \
            len = (size_t)w_ < cap - len ? len + (size_t)w_ : cap - 1;                           \
        }                                                                                        \
        sep = "; ";                                                                              \
    } while (0)
    if (flags & FCFIT_FLAG_FC_SATURATED) {
        DIAG_ADD("%sFC saturated (mean %.3g)", sep, d[FCFIT_DIAG_FC_MEAN]);
    }
    if (flags & FCFIT_FLAG_FC_FLAT) {
        DIAG_ADD("%sFC flat (sd %.3g over region pairs)", sep, d[FCFIT_DIAG_FC_SD]);
    }
    if (flags & FCFIT_FLAG_UNSTABLE) {
        if (!isnan(d[FCFIT_DIAG_HALF1_FIT]) && !isnan(d[FCFIT_DIAG_HALF2_FIT])) {
            DIAG_ADD("%shalves disagree (fc_corr %.2f in the first half, %.2f in the second)", sep,
                     d[FCFIT_DIAG_HALF1_FIT], d[FCFIT_DIAG_HALF2_FIT]);
        } else {
            DIAG_ADD("%shalves disagree (their FCs correlate %.2f)", sep,
                     d[FCFIT_DIAG_HALF_CORR]);
        }
    }
#undef DIAG_ADD
    return buf;
}

double fcfit_sorted_median(size_t m, const double *s)
{
    if (m == 0) {
        return NAN;
    }
    return m % 2 == 1 ? s[m / 2] : 0.5 * (s[m / 2 - 1] + s[m / 2]);
}

double fcfit_target_fc_corr(const fcfit_target *t, const double *fc_upper)
{
    double corr = 0.0;
    for (size_t k = 0; k < t->n_subjects; k++) {
        corr += fcfit_vec_corr(t->M, fc_upper, t->fc_upper + k * t->M);
    }
    return corr / (double)t->n_subjects;
}

size_t fcfit_diag_work_size(size_t n) { return n * n + n * (n - 1) + 1; }

void fcfit_diag_compute(fcfit_features *f, const fcfit_target *t, const double *drive_mean,
                        double *work, double *diag)
{
    const size_t n = f->n, T = f->T, M = f->M, h = T / 2;
    double *fc = work, *ua = work + n * n, *ub = ua + M;
    double s = 0.0, lo = INFINITY, hi = -INFINITY, mean, ss = 0.0;

    for (size_t i = 0; i < n; i++) {
        s += drive_mean[i];
        lo = fmin(lo, drive_mean[i]);
        hi = fmax(hi, drive_mean[i]);
    }
    diag[FCFIT_DIAG_DRIVE_MEAN] = s / (double)n;
    diag[FCFIT_DIAG_DRIVE_MIN] = lo;
    diag[FCFIT_DIAG_DRIVE_MAX] = hi;
    mean = fcfit_vec_mean(M, f->fc_upper);
    for (size_t m = 0; m < M; m++) {
        ss += (f->fc_upper[m] - mean) * (f->fc_upper[m] - mean);
    }
    diag[FCFIT_DIAG_FC_MEAN] = mean;
    diag[FCFIT_DIAG_FC_SD] = M > 1 ? sqrt(ss / (double)(M - 1)) : NAN;
    diag[FCFIT_DIAG_FCD_MEDIAN] = fcfit_sorted_median(f->n_fcd, f->fcd_values);
    diag[FCFIT_DIAG_HALF_CORR] = NAN;
    diag[FCFIT_DIAG_HALF1_FIT] = NAN;
    diag[FCFIT_DIAG_HALF2_FIT] = NAN;
    if (h < 3 || T - h < 3) {
        return;
    }
    fcfit_fc_pearson_inplace(n, h, f->x, T, fc);
    fcfit_fc_upper(n, fc, ua);
    fcfit_fc_pearson_inplace(n, T - h, f->x + h, T, fc);
    fcfit_fc_upper(n, fc, ub);
    diag[FCFIT_DIAG_HALF_CORR] = fcfit_vec_corr(M, ua, ub);
    if (t != NULL) {
        diag[FCFIT_DIAG_HALF1_FIT] = fcfit_target_fc_corr(t, ua);
        diag[FCFIT_DIAG_HALF2_FIT] = fcfit_target_fc_corr(t, ub);
    }
}
