/*
 * job_checks.c: advice about a job that is valid but may not give what the
 * user wants, found before anything runs (fcfit check prints it; run and
 * simulate log it; run results keep it in /fit/warnings):
 *
 *  - too few BOLD volumes for a stable FC: after the transient the scored
 *    BOLD has T volumes; after a band-pass of width B Hz a series of
 *    duration D = T * TR holds about 2 B D independent samples (the
 *    Nyquist rate of the band), so each FC entry has a sampling error of
 *    about 1/sqrt(samples - 3); above 0.15 the FC is mostly noise;
 *  - a band-pass whose lower edge is below 1/D: its slowest frequencies do
 *    not complete a cycle in the data (simulated or target);
 *  - a supplied target FC that does not match the FC of the target BOLD
 *    processed as the job says (fcfit_target_create_ex);
 *  - conduction delays rounded to whole steps at a coarse sim.dt_ms.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcfit/fcfit_util.h"
#include "job/job_impl.h"

/* Sampling error of an FC entry above which a warning is given. */
#define CHECK_MAX_FC_ERROR 0.15
/* A delay is "changed" by rounding when it moves by more than this fraction... */
#define CHECK_DELAY_REL 0.25
/* ...and a warning is given when more than this fraction of the delays change. */
#define CHECK_DELAY_SHARE 0.10

static int divides(double big, double small)
{
    double r = big / small;
    return r >= 1.0 - 1e-9 && fabs(r - nearbyint(r)) <= 1e-9 * r;
}

const char *job_step_hint(double tr_ms, double bold_dt_ms, double dt_ms, char *buf, size_t cap)
{
    /* The largest multiple of sim.dt_ms up to bold.dt_ms (at least sim.dt_ms itself) that
     * divides the TR. */
    long m = (long)floor(bold_dt_ms / dt_ms + 1e-9);
    buf[0] = '\0';
    m = m < 1 ? 1 : m;
    for (; m >= 1 && m <= 100000000; m--) {
        if (divides(tr_ms, (double)m * dt_ms)) {
            snprintf(buf, cap, " (e.g. bold.dt_ms: %g with sim.dt_ms: %g)", (double)m * dt_ms,
                     dt_ms);
            return buf;
        }
    }
    /* sim.dt_ms itself does not divide the TR: a smaller step that does. */
    {
        const double nice[] = {1.0, 0.5, 0.25, 0.2, 0.1, 0.05, 0.025, 0.02, 0.01, 0.005, 0.001};
        for (size_t k = 0; k < sizeof nice / sizeof nice[0]; k++) {
            if (nice[k] <= dt_ms && divides(tr_ms, nice[k])) {
                double b = nice[k] * floor(fmax(bold_dt_ms, nice[k]) / nice[k]);
                while (b > nice[k] && !divides(tr_ms, b)) {
                    b -= nice[k];
                }
                snprintf(buf, cap,
                         " (sim.dt_ms = %g does not divide the TR of %g ms: e.g. sim.dt_ms: %g "
                         "with bold.dt_ms: %g)",
                         dt_ms, tr_ms, nice[k], b);
                return buf;
            }
        }
    }
    return buf;
}

static fcfit_status add_warning(fcfit_job *job, const char *text)
{
    char **nw = realloc(job->warnings, (job->n_warnings + 1) * sizeof *nw);
    FCFIT_REQUIRE(nw != NULL, FCFIT_ERR_NOMEM, "out of memory");
    job->warnings = nw;
    job->warnings[job->n_warnings] = fcfit_strdup(text);
    FCFIT_REQUIRE(job->warnings[job->n_warnings] != NULL, FCFIT_ERR_NOMEM, "out of memory");
    job->n_warnings++;
    return FCFIT_OK;
}

/* Independent samples of T volumes at tr_s after the job's band-pass (T without one). */
static double effective_samples(const fcfit_fc_settings *fcs, size_t T, double tr_s)
{
    if (!fcs->bandpass) {
        return (double)T;
    }
    return fmin((double)T, 2.0 * (fcs->bp_hi_hz - fcs->bp_lo_hz) * (double)T * tr_s);
}

static fcfit_status check_volumes(fcfit_job *job)
{
    const fcfit_sim_config *s = &job->sim;
    const fcfit_fc_settings *fcs = &job->fcs;
    const double tr = s->tr_ms / 1000.0;
    const size_t T = (size_t)floor(s->duration_ms / s->tr_ms + 1e-9) -
                     (size_t)floor(s->transient_ms / s->tr_ms + 1e-9);
    const double D = (double)T * tr, neff = effective_samples(fcs, T, tr);
    const double err = neff > 3.0 ? 1.0 / sqrt(neff - 3.0) : INFINITY;
    char text[512], band[96] = "";

    if (fcs->bandpass) {
        snprintf(band, sizeof band, " after the %g-%g Hz band-pass", fcs->bp_lo_hz, fcs->bp_hi_hz);
    }
    if (err > CHECK_MAX_FC_ERROR) {
        /* Samples for an error of 0.1: 103; the duration that gives them. */
        double need = fcs->bandpass ? 103.0 / (2.0 * (fcs->bp_hi_hz - fcs->bp_lo_hz))
                                    : 103.0 * tr;
        snprintf(text, sizeof text,
                 "the simulated BOLD keeps %zu volumes after the %g-s transient (%g s at TR %g s), "
                 "about %.0f independent samples%s: each FC entry has a sampling error of about "
                 "%.2f; for about 0.1 set sim.duration_s to at least %.0f",
                 T, s->transient_ms / 1000.0, D, tr, neff, band, err,
                 ceil(need + s->transient_ms / 1000.0));
        FCFIT_CHECK(add_warning(job, text));
    }
    if (fcs->bandpass && fcs->bp_lo_hz < 1.0 / D) {
        snprintf(text, sizeof text,
                 "fc.bandpass_low_hz = %g Hz is below 1/duration of the scored simulated BOLD "
                 "(1/%g s = %.3g Hz): its slowest frequencies do not complete a cycle; lengthen "
                 "sim.duration_s or raise fc.bandpass_low_hz",
                 fcs->bp_lo_hz, D, 1.0 / D);
        FCFIT_CHECK(add_warning(job, text));
    }
    return FCFIT_OK;
}

static fcfit_status check_target_bold(fcfit_job *job, const fcfit_matrix *bold, size_t n_bold,
                                      double tr_s)
{
    const fcfit_fc_settings *fcs = &job->fcs;
    size_t short_band = 0, first = 0, shortest = (size_t)-1;
    char text[512];
    for (size_t k = 0; k < n_bold; k++) {
        double D = (double)bold[k].cols * tr_s;
        if (fcs->bandpass && fcs->bp_lo_hz < 1.0 / D) {
            if (short_band == 0) {
                first = k;
            }
            short_band++;
        }
        shortest = bold[k].cols < shortest ? bold[k].cols : shortest;
    }
    if (short_band > 0) {
        snprintf(text, sizeof text,
                 "fc.bandpass_low_hz = %g Hz is below 1/duration of %zu target BOLD subject(s) "
                 "(the first: target.bold #%zu, %zu volumes = %g s): their slowest frequencies "
                 "do not complete a cycle",
                 fcs->bp_lo_hz, short_band, first + 1, bold[first].cols,
                 (double)bold[first].cols * tr_s);
        FCFIT_CHECK(add_warning(job, text));
    }
    if (n_bold > 0) {
        double neff = effective_samples(fcs, shortest, tr_s);
        if (neff <= 3.0 || 1.0 / sqrt(neff - 3.0) > CHECK_MAX_FC_ERROR) {
            snprintf(text, sizeof text,
                     "the shortest target BOLD subject has %zu volumes at TR %g s, about %.0f "
                     "independent samples after filtering: its FC has a sampling error of about "
                     "%.2f per entry",
                     shortest, tr_s, neff, neff > 3.0 ? 1.0 / sqrt(neff - 3.0) : 1.0);
            FCFIT_CHECK(add_warning(job, text));
        }
    }
    return FCFIT_OK;
}

static fcfit_status check_target_fc(fcfit_job *job, size_t n_fc, size_t n_bold)
{
    const fcfit_target *t = job->target;
    char text[512], proc[160];
    if (t == NULL || n_fc == 0 || n_bold == 0) {
        return FCFIT_OK;
    }
    if (job->fcs.bandpass) {
        snprintf(proc, sizeof proc, "band-passed %g-%g Hz%s", job->fcs.bp_lo_hz,
                 job->fcs.bp_hi_hz, job->fcs.detrend ? ", detrended" : "");
    } else {
        snprintf(proc, sizeof proc, "not band-passed%s", job->fcs.detrend ? ", detrended" : "");
    }
    if (t->fc_check_pairs == 0) {
        snprintf(text, sizeof text,
                 "target.fc (%zu files) and target.bold (%zu files) cannot be paired, so fcfit "
                 "cannot check that target.fc was processed like the simulated BOLD (%s)",
                 n_fc, n_bold, proc);
        return add_warning(job, text);
    }
    if (!t->fc_from_bold &&
        (t->fc_check_corr < FCFIT_FC_CHECK_MIN_CORR || t->fc_check_mad > FCFIT_FC_CHECK_MAX_MAD)) {
        snprintf(text, sizeof text,
                 "target.fc differs from the FC of target.bold processed as the simulated BOLD "
                 "is (%s): r = %.3f, mean |difference| %.3f; the scores compare against target.fc, "
                 "so make sure it was made the same way, or set target.fc_from: bold",
                 proc, t->fc_check_corr, t->fc_check_mad);
        return add_warning(job, text);
    }
    return FCFIT_OK;
}

static fcfit_status check_delays(fcfit_job *job)
{
    const fcfit_connectome *c = job->conn;
    const size_t n = job->n;
    const double dt = job->sim.dt_ms, v = c->velocity_mm_per_ms;
    size_t edges = 0, changed = 0, ex_steps = 0;
    double lo = INFINITY, hi = 0.0, ex = NAN;
    char text[512];
    if (c->delay == NULL || job->lengths.data == NULL || !(v > 0.0)) {
        return FCFIT_OK;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            double d = job->lengths.data[i * n + j] / v, err;
            if (c->weights[i * n + j] == 0.0 || !(d > 0.0)) {
                continue;
            }
            edges++;
            lo = fmin(lo, d);
            hi = fmax(hi, d);
            err = fabs((double)c->delay[i * n + j] * dt - d) / d;
            if (err > CHECK_DELAY_REL) {
                if (changed == 0 || d > ex) {
                    ex = d;
                    ex_steps = c->delay[i * n + j];
                }
                changed++;
            }
        }
    }
    if (edges > 0 && (double)changed > CHECK_DELAY_SHARE * (double)edges) {
        snprintf(text, sizeof text,
                 "sim.dt_ms = %g: conduction delays are whole steps, and %zu of %zu connections "
                 "(delays %.3g to %.3g ms) change by more than %.0f%% when rounded (e.g. %.3g ms "
                 "becomes %zu step(s) = %g ms); use a smaller sim.dt_ms",
                 dt, changed, edges, lo, hi, 100.0 * CHECK_DELAY_REL, ex, ex_steps,
                 (double)ex_steps * dt);
        FCFIT_CHECK(add_warning(job, text));
    }
    return FCFIT_OK;
}

fcfit_status job_collect_warnings(fcfit_job *job, const fcfit_matrix *tbold, size_t n_tbold,
                                  double tr_tbold)
{
    const fcfit_config *cfg = job->cfg;
    FCFIT_CHECK(check_volumes(job));
    FCFIT_CHECK(check_target_bold(job, tbold, n_tbold, tr_tbold));
    FCFIT_CHECK(check_target_fc(job, fcfit_config_list_len(cfg, "target.fc"), n_tbold));
    FCFIT_CHECK(check_delays(job));
    return FCFIT_OK;
}
