/*
 * job.c: from a job file to a validated, loaded job (see fcfit_job.h).
 *
 * Order: parse and check every key; reject keys of models other than the
 * chosen one; settle the simulation settings; load and check the
 * connectome; expand every model parameter to one value per region (from a
 * scalar, an inline list or a file) and check its bounds; load the target;
 * then compute the canonical text and the job hash. Nothing is simulated and
 * no output is touched before all of this has succeeded.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcfit/fcfit_aln_io.h"
#include "fcfit/fcfit_hash.h"
#include "fcfit/fcfit_job.h"
#include "fcfit/fcfit_log.h"
#include "fcfit/fcfit_matrix_io.h"
#include "fcfit/fcfit_pack.h"
#include "fcfit/fcfit_spectrum.h"
#include "fcfit/fcfit_util.h"
#include "job/job_impl.h"

void fcfit_job_destroy(fcfit_job **pjob)
{
    fcfit_job *j;
    if (pjob == NULL || *pjob == NULL) {
        return;
    }
    j = *pjob;
    fcfit_config_destroy(&j->cfg);
    free(j->path);
    fcfit_matrix_free(&j->weights);
    fcfit_matrix_free(&j->lengths);
    free(j->weights_label);
    for (size_t k = 0; k < j->n_labels; k++) {
        free(j->labels[k]);
    }
    free(j->labels);
    fcfit_connectome_destroy(&j->conn);
    free(j->params);
    free(j->opt);
    fcfit_target_destroy(&j->target);
    fcfit_target_destroy(&j->target2);
    for (int k = 0; k < FCFIT_STAGE_KIND_COUNT; k++) {
        fcfit_stage_destroy(&j->stages[k]);
    }
    free(j->target_desc);
    free(j->canonical);
    fcfit_aln_tables_destroy(&j->aln_tables);
    for (size_t k = 0; k < j->n_warnings; k++) {
        free(j->warnings[k]);
    }
    free(j->warnings);
    for (size_t k = 0; k < j->n_subjects; k++) {
        if (j->subject_weights != NULL) {
            fcfit_matrix_free(&j->subject_weights[k]);
        }
        if (j->subject_conns != NULL) {
            fcfit_connectome_destroy(&j->subject_conns[k]);
        }
        if (j->subject_targets != NULL) {
            fcfit_target_destroy(&j->subject_targets[k]);
        }
    }
    free(j->subject_weights);
    free(j->subject_conns);
    free(j->subject_targets);
    free(j);
    *pjob = NULL;
}

/* The job's model uses the tables t: a copy of its descriptor carries them to bind. */
static void use_aln_tables(fcfit_job *job, struct fcfit_aln_tables *t)
{
    job->aln_tables = t;
    job->model_copy = *job->model;
    job->model_copy.data = t;
    job->model = &job->model_copy;
}

/* model.aln.tables.file: read the tables (exit 2 naming the file when they are unusable). */
static fcfit_status setup_model_data(fcfit_job *job)
{
    const char *key = "model.aln.tables.file";
    struct fcfit_aln_tables *t = NULL;
    if (strcmp(job->model->name, "aln") != 0 || !fcfit_config_is_set(job->cfg, key)) {
        return FCFIT_OK;
    }
    fcfit_status st = fcfit_aln_tables_read(fcfit_config_string(job->cfg, key), &t);
    if (st != FCFIT_OK) {
        fcfit_error_prefix("%s: %s: ", fcfit_config_where(job->cfg, key), key);
        return fcfit_error_trace(st == FCFIT_ERR_NOMEM ? st : FCFIT_ERR_INPUT, __FILE__, __LINE__,
                                 __func__);
    }
    use_aln_tables(job, t);
    return FCFIT_OK;
}

/*
 * Bind the model once with the job's parameters, so that what only the model
 * can check (ALN: neuron parameters against its tables) fails before any run.
 */
static fcfit_status check_model_binding(const fcfit_job *job)
{
    fcfit_sim *sim = NULL;
    fcfit_status st = FCFIT_OK;
    const uint64_t seed = 0;
    if (strcmp(job->model->name, "aln") != 0) {
        return FCFIT_OK;
    }
    FCFIT_TRY(fcfit_sim_create(&sim, job->model, job->conn, &job->sim, 1));
    fcfit_job_apply_params(job, sim, 0);
    FCFIT_TRY(fcfit_sim_reset(sim, &seed));
cleanup:
    fcfit_sim_destroy(&sim);
    if (st != FCFIT_OK && st != FCFIT_ERR_NOMEM) {
        if (job->aln_tables != NULL) {
            fcfit_error_prefix("model.aln.tables.file = %s: ",
                               fcfit_config_string(job->cfg, "model.aln.tables.file"));
        }
        fcfit_error_prefix("%s: ", job->path != NULL ? job->path : "job");
        st = fcfit_error_trace(FCFIT_ERR_CONFIG, __FILE__, __LINE__, __func__);
    }
    return st;
}

/* Keys of another model's section given while model.name selects this one. */
static fcfit_status check_model_sections(const fcfit_job *job)
{
    const fcfit_config *cfg = job->cfg;
    for (size_t k = 0; k < fcfit_config_count(cfg); k++) {
        const char *key = fcfit_config_key_at(cfg, k);
        char own[128];
        snprintf(own, sizeof own, "model.%s.", job->model->name);
        if (strncmp(key, "model.", 6) == 0 && strcmp(key, "model.name") != 0 &&
            strncmp(key, own, strlen(own)) != 0 && fcfit_config_is_set(cfg, key)) {
            FCFIT_FAIL(FCFIT_ERR_CONFIG,
                       "%s: %s belongs to another model, but model.name is '%s' (%s); set the "
                       "parameters of model.%s.* or change model.name",
                       fcfit_config_where(cfg, key), key, job->model->name,
                       fcfit_config_where(cfg, "model.name"), job->model->name);
        }
    }
    return FCFIT_OK;
}

static fcfit_status load_matrix(const fcfit_config *cfg, const char *path, const char *key,
                                fcfit_matrix *m, char **label)
{
    char buf[2048];
    fcfit_status st = fcfit_matrix_load(path, m);
    if (st != FCFIT_OK) {
        fcfit_error_prefix("%s: %s: ", fcfit_config_where(cfg, key), key);
        return fcfit_error_trace(st, __FILE__, __LINE__, __func__);
    }
    snprintf(buf, sizeof buf, "%s (%s)", path, key);
    *label = fcfit_strdup(buf);
    FCFIT_REQUIRE(*label != NULL, FCFIT_ERR_NOMEM, "out of memory");
    return FCFIT_OK;
}

static fcfit_status setup_sim(fcfit_job *job)
{
    const fcfit_config *cfg = job->cfg;
    fcfit_sim_config *s = &job->sim;
    size_t integ = fcfit_config_enum(cfg, "sim.integrator");
    static const char *const bold_keys[9] = {"bold.kappa", "bold.gamma", "bold.tau",
                                             "bold.alpha", "bold.E0",    "bold.V0",
                                             "bold.k1",    "bold.k2",    "bold.k3"};
    double *bold_fields[9];

    memset(s, 0, sizeof *s);
    s->dt_ms = fcfit_config_has_value(cfg, "sim.dt_ms") ? fcfit_config_real(cfg, "sim.dt_ms")
                                                        : job->model->default_dt_ms;
    s->duration_ms = 1000.0 * fcfit_config_real(cfg, "sim.duration_s");
    s->transient_ms = 1000.0 * fcfit_config_real(cfg, "sim.transient_s");
    s->chunk_steps = (size_t)fmax(1.0, nearbyint(fcfit_config_real(cfg, "sim.chunk_ms") / s->dt_ms));
    s->integrator = integ == 0 ? (fcfit_integrator)job->model->default_integrator
                               : (fcfit_integrator)(integ - 1);
    s->noise = fcfit_config_bool(cfg, "sim.noise");
    s->bold_dt_ms = fcfit_config_real(cfg, "bold.dt_ms");
    s->tr_ms = 1000.0 * fcfit_config_real(cfg, "bold.tr_s");
    s->drive_mode = (fcfit_drive_mode)fcfit_config_enum(cfg, "bold.drive");
    s->bold_kind = (fcfit_bold_kind)fcfit_config_enum(cfg, "bold.model");
    s->bold_form = (fcfit_bold_form)fcfit_config_enum(cfg, "bold.form");
    s->divergence_threshold = fcfit_config_real(cfg, "sim.divergence_threshold");
    FCFIT_CHECK(fcfit_bold_preset(fcfit_config_enum(cfg, "bold.params"), &s->bold));
    bold_fields[0] = &s->bold.kappa;
    bold_fields[1] = &s->bold.gamma;
    bold_fields[2] = &s->bold.tau;
    bold_fields[3] = &s->bold.alpha;
    bold_fields[4] = &s->bold.E0;
    bold_fields[5] = &s->bold.V0;
    bold_fields[6] = &s->bold.k1;
    bold_fields[7] = &s->bold.k2;
    bold_fields[8] = &s->bold.k3;
    for (size_t k = 0; k < 9; k++) {
        if (fcfit_config_has_value(cfg, bold_keys[k])) {
            *bold_fields[k] = fcfit_config_real(cfg, bold_keys[k]);
        }
    }
    FCFIT_REQUIRE(s->transient_ms < s->duration_ms, FCFIT_ERR_CONFIG,
                  "%s: sim.transient_s = %g must be shorter than sim.duration_s = %g (%s)",
                  fcfit_config_where(cfg, "sim.transient_s"), s->transient_ms / 1000.0,
                  s->duration_ms / 1000.0, fcfit_config_where(cfg, "sim.duration_s"));
    {
        double r = s->bold_dt_ms / s->dt_ms;
        const int bset = fcfit_config_is_set(cfg, "bold.dt_ms"),
                  sset = fcfit_config_is_set(cfg, "sim.dt_ms");
        FCFIT_REQUIRE(fabs(r - nearbyint(r)) <= 1e-9 * r && nearbyint(r) >= 1.0, FCFIT_ERR_CONFIG,
                      "%s: bold.dt_ms = %g%s must be a positive integer multiple of sim.dt_ms = "
                      "%g%s%s%s; set bold.dt_ms: %g, for example",
                      bset || sset ? fcfit_config_where(cfg, bset ? "bold.dt_ms" : "sim.dt_ms")
                                   : (job->path != NULL ? job->path : "the job"),
                      s->bold_dt_ms, bset ? "" : " (the default)", s->dt_ms,
                      sset ? "" : " (model ", sset ? "" : job->model->name,
                      sset ? "" : "'s default step)",
                      s->dt_ms * fmax(1.0, nearbyint(s->bold_dt_ms / s->dt_ms)));
        char hint[256];
        r = s->tr_ms / s->bold_dt_ms;
        FCFIT_REQUIRE(fabs(r - nearbyint(r)) <= 1e-9 * r && nearbyint(r) >= 1.0, FCFIT_ERR_CONFIG,
                      "%s: bold.tr_s = %g must be a positive integer multiple of bold.dt_ms = %g ms, "
                      "which must itself be a multiple of sim.dt_ms = %g ms%s",
                      fcfit_config_where(cfg, "bold.tr_s"), s->tr_ms / 1000.0, s->bold_dt_ms,
                      s->dt_ms, job_step_hint(s->tr_ms, s->bold_dt_ms, s->dt_ms, hint, sizeof hint));
    }
    {
        double vols = floor(s->duration_ms / s->tr_ms + 1e-9) -
                      floor(s->transient_ms / s->tr_ms + 1e-9);
        FCFIT_REQUIRE(vols >= 3.0, FCFIT_ERR_CONFIG,
                      "%s: sim.duration_s = %g with sim.transient_s = %g and bold.tr_s = %g keeps "
                      "%.0f BOLD volume(s); FC needs at least 3",
                      fcfit_config_where(cfg, "sim.duration_s"), s->duration_ms / 1000.0,
                      s->transient_ms / 1000.0, s->tr_ms / 1000.0, vols);
    }
    job->replicates = (size_t)fcfit_config_int(cfg, "sim.replicates");
    job->seed = (uint64_t)fcfit_config_int(cfg, "sim.seed");

    job->fcs.bandpass = fcfit_config_bool(cfg, "fc.bandpass");
    job->fcs.bp_order = (size_t)fcfit_config_int(cfg, "fc.bandpass_order");
    job->fcs.bp_lo_hz = fcfit_config_real(cfg, "fc.bandpass_low_hz");
    job->fcs.bp_hi_hz = fcfit_config_real(cfg, "fc.bandpass_high_hz");
    job->fcs.detrend = fcfit_config_bool(cfg, "fc.detrend");
    job->fcs.fcd = fcfit_config_list_len(cfg, "target.bold") > 0;
    job->fcs.fcd_window_s = fcfit_config_real(cfg, "fc.fcd_window_s");
    job->fcs.fcd_step_s = fcfit_config_real(cfg, "fc.fcd_step_s");
    job->fcs.fcd_skip_overlap = fcfit_config_bool(cfg, "fc.fcd_skip_overlap");
    if (job->fcs.bandpass) {
        double nyq = 0.5 / (s->tr_ms / 1000.0);
        FCFIT_REQUIRE(job->fcs.bp_lo_hz < job->fcs.bp_hi_hz && job->fcs.bp_hi_hz < nyq,
                      FCFIT_ERR_CONFIG,
                      "%s: band-pass %g-%g Hz; expected fc.bandpass_low_hz < fc.bandpass_high_hz "
                      "< Nyquist = %g Hz (bold.tr_s = %g)",
                      fcfit_config_where(cfg, "fc.bandpass_high_hz"), job->fcs.bp_lo_hz,
                      job->fcs.bp_hi_hz, nyq, s->tr_ms / 1000.0);
    }
    return FCFIT_OK;
}

/* A connectome from weights w and the job's lengths (present = delays) and options. */
static fcfit_status build_conn_from(const fcfit_job *job, const fcfit_matrix *w, const char *wlabel,
                                    const char *llabel, fcfit_connectome **out)
{
    const fcfit_config *cfg = job->cfg;
    fcfit_connectome_opts o;
    int use_lengths = job->lengths.data != NULL;
    o.norm = (fcfit_norm)fcfit_config_enum(cfg, "connectome.normalize");
    o.scale = fcfit_config_real(cfg, "connectome.scale");
    o.keep_diagonal = fcfit_config_bool(cfg, "connectome.keep_diagonal");
    o.velocity_mm_per_ms = use_lengths ? fcfit_config_real(cfg, "connectome.velocity_mm_per_ms") : 0.0;
    o.dt_ms = job->sim.dt_ms;
    o.max_delay_steps_limit = 0;
    return fcfit_connectome_create(out, w, wlabel, use_lengths ? &job->lengths : NULL,
                                   llabel != NULL ? llabel : "tract lengths", &o);
}

fcfit_status job_build_conn(const fcfit_job *job, const fcfit_matrix *w, const char *wlabel,
                            fcfit_connectome **out)
{
    return build_conn_from(job, w, wlabel, NULL, out);
}

/* The connectome from the job's matrices (lengths present = delays) and options. */
static fcfit_status build_connectome(fcfit_job *job, const char *llabel)
{
    FCFIT_CHECK(build_conn_from(job, &job->weights, job->weights_label, llabel, &job->conn));
    job->n = job->conn->n;
    return FCFIT_OK;
}

static fcfit_status setup_connectome(fcfit_job *job)
{
    const fcfit_config *cfg = job->cfg;
    const char *wpath = fcfit_config_string(cfg, "connectome.weights");
    const char *lpath = fcfit_config_string(cfg, "connectome.lengths");
    const char *zpath = fcfit_config_string(cfg, "connectome.tvb_zip");
    double vel = fcfit_config_real(cfg, "connectome.velocity_mm_per_ms");
    char *llabel = NULL;
    fcfit_status st = FCFIT_OK;
    int use_lengths = 0;

    FCFIT_REQUIRE(wpath == NULL || zpath == NULL, FCFIT_ERR_CONFIG,
                  "%s: connectome.weights and connectome.tvb_zip (%s) are both given; give one",
                  fcfit_config_where(cfg, "connectome.weights"),
                  fcfit_config_where(cfg, "connectome.tvb_zip"));
    if (zpath != NULL) {
        FCFIT_TRY(job_load_tvb_zip(job, zpath, &llabel, &use_lengths));
    } else if (wpath != NULL) {
        FCFIT_CHECK(load_matrix(cfg, wpath, "connectome.weights", &job->weights, &job->weights_label));
        if (lpath != NULL) {
            FCFIT_CHECK(load_matrix(cfg, lpath, "connectome.lengths", &job->lengths, &llabel));
            use_lengths = 1;
        }
    } else {
        char buf[256];
        size_t n = (size_t)fcfit_config_int(cfg, "connectome.synthetic.n_regions");
        uint64_t seed = (uint64_t)fcfit_config_int(cfg, "connectome.synthetic.seed");
        FCFIT_REQUIRE(lpath == NULL, FCFIT_ERR_CONFIG,
                      "%s: connectome.lengths is given without connectome.weights",
                      fcfit_config_where(cfg, "connectome.lengths"));
        if (fcfit_config_bool(cfg, "target.synthetic")) {
            /* Before building an N x N connectome that the target could not use anyway. */
            FCFIT_CHECK(job_check_synthetic_size(cfg, n, 0));
        }
        FCFIT_CHECK(fcfit_connectome_synthetic(n, seed, &job->weights, &job->lengths));
        snprintf(buf, sizeof buf, "synthetic connectome (%zu regions, seed %llu)", n,
                 (unsigned long long)seed);
        job->weights_label = fcfit_strdup(buf);
        llabel = fcfit_strdup("synthetic tract lengths");
        use_lengths = fcfit_config_bool(cfg, "connectome.synthetic.delays");
    }
    if (use_lengths && vel <= 0.0) {
        st = fcfit_error_set(FCFIT_ERR_CONFIG, __FILE__, __LINE__, __func__,
                             "%s: tract lengths are given but connectome.velocity_mm_per_ms is 0; "
                             "set a conduction velocity (mm/ms = m/s) for delays",
                             fcfit_config_where(cfg, wpath != NULL
                                                         ? "connectome.lengths"
                                                         : "connectome.synthetic.delays"));
        goto cleanup;
    }
    if (!use_lengths && vel > 0.0 && zpath == NULL) {
        st = fcfit_error_set(FCFIT_ERR_CONFIG, __FILE__, __LINE__, __func__,
                             "%s: connectome.velocity_mm_per_ms is set but there are no tract "
                             "lengths (connectome.lengths%s)",
                             fcfit_config_where(cfg, "connectome.velocity_mm_per_ms"),
                             wpath == NULL ? " or connectome.synthetic.delays: true" : "");
        goto cleanup;
    }
    if (fcfit_config_bool(cfg, "connectome.require_symmetric")) {
        FCFIT_TRY(fcfit_matrix_check_symmetric(&job->weights, 1e-9, job->weights_label));
    }
    if (!use_lengths) {
        fcfit_matrix_free(&job->lengths);
    }
    FCFIT_TRY(build_connectome(job, llabel));

cleanup:
    free(llabel);
    return st;
}

/*
 * Per-region angular frequencies from the target BOLD: for each subject the
 * peak frequency of each region's band-passed BOLD (fcfit_peak_frequency),
 * averaged over subjects, times 2 pi, in rad per model time unit.
 */
static fcfit_status bold_peak_omega(const fcfit_job *job, const char *key, const fcfit_regional *r,
                                    const fcfit_matrix *bold, size_t n_bold, double tr_s,
                                    double *out)
{
    const fcfit_config *cfg = job->cfg;
    double *work = NULL, *f = NULL;
    fcfit_status st = FCFIT_OK;
    size_t tmax = 0;

    FCFIT_REQUIRE(n_bold > 0, FCFIT_ERR_CONFIG,
                  "%s: %s: {from_bold_peak: ...} needs empirical BOLD (target.bold)",
                  fcfit_config_where(cfg, key), key);
    for (size_t k = 0; k < n_bold; k++) {
        tmax = bold[k].cols > tmax ? bold[k].cols : tmax;
    }
    FCFIT_ALLOC_GOTO(work, fcfit_peak_frequency_work_size(tmax), "spectrum workspace");
    FCFIT_ALLOC_GOTO(f, job->n, "peak frequencies");
    for (size_t i = 0; i < job->n; i++) {
        out[i] = 0.0;
    }
    for (size_t k = 0; k < n_bold; k++) {
        st = fcfit_peak_frequency(job->n, bold[k].cols, bold[k].data, bold[k].cols, tr_s,
                                  r->values[0], r->values[1], f, work);
        if (st != FCFIT_OK) {
            fcfit_error_prefix("%s: %s: ", fcfit_config_where(cfg, key), key);
            goto cleanup;
        }
        for (size_t i = 0; i < job->n; i++) {
            FCFIT_REQUIRE_GOTO(isfinite(f[i]), FCFIT_ERR_INPUT,
                               "%s: %s: region %zu of target BOLD subject %zu has no power in "
                               "%g-%g Hz",
                               fcfit_config_where(cfg, key), key, i + 1, k + 1, r->values[0],
                               r->values[1]);
            out[i] += f[i] / (double)n_bold;
        }
    }
    /* 2 pi f per second, converted to the model's time unit. */
    for (size_t i = 0; i < job->n; i++) {
        out[i] = 2.0 * M_PI * out[i] * job->model->ms_per_unit / 1000.0;
    }

cleanup:
    free(work);
    free(f);
    return st;
}

static fcfit_status setup_params(fcfit_job *job, const fcfit_matrix *bold, size_t n_bold,
                                 double tr_s)
{
    const fcfit_model_type *m = job->model;
    const fcfit_config *cfg = job->cfg;
    const size_t n = job->n;
    fcfit_status st = FCFIT_OK;
    fcfit_matrix v = {0, 0, NULL};

    FCFIT_ALLOC_GOTO(job->params, m->n_params * n, "parameter values");
    FCFIT_ALLOC_GOTO(job->opt, m->n_options, "model options");
    for (size_t j = 0; j < m->n_params; j++) {
        const fcfit_model_param *p = &m->params[j];
        char key[256];
        double *dst = job->params + j * n;
        snprintf(key, sizeof key, "model.%s.%s", m->name, p->name);
        if (p->flags & FCFIT_PARAM_REGIONAL) {
            const fcfit_regional *r = fcfit_config_regional(cfg, key);
            if (r->kind == FCFIT_REGIONAL_SCALAR) {
                for (size_t i = 0; i < n; i++) {
                    dst[i] = r->scalar;
                }
            } else if (r->kind == FCFIT_REGIONAL_BOLD_PEAK) {
                FCFIT_REQUIRE_GOTO(strncmp(p->unit, "rad/", 4) == 0, FCFIT_ERR_CONFIG,
                                   "%s: %s: {from_bold_peak: ...} gives an angular frequency, "
                                   "but the unit of %s is %s",
                                   fcfit_config_where(cfg, key), key, key, p->unit);
                FCFIT_TRY(bold_peak_omega(job, key, r, bold, n_bold, tr_s, dst));
                for (size_t i = 0; i < n; i++) {
                    FCFIT_REQUIRE_GOTO(dst[i] >= p->lo && dst[i] <= p->hi, FCFIT_ERR_INPUT,
                                       "%s: %s: the value %g from the BOLD peak of region %zu is "
                                       "outside the bounds [%g, %g] %s",
                                       fcfit_config_where(cfg, key), key, dst[i], i + 1, p->lo,
                                       p->hi, p->unit);
                }
            } else if (r->kind == FCFIT_REGIONAL_LIST) {
                FCFIT_REQUIRE_GOTO(r->n == n, FCFIT_ERR_CONFIG,
                                   "%s: %s has %zu values; expected one per region (%zu) or a "
                                   "single number",
                                   fcfit_config_where(cfg, key), key, r->n, n);
                memcpy(dst, r->values, n * sizeof(double));
            } else {
                char label[2048];
                st = fcfit_matrix_load(r->path, &v);
                if (st != FCFIT_OK) {
                    fcfit_error_prefix("%s: %s: ", fcfit_config_where(cfg, key), key);
                    goto cleanup;
                }
                snprintf(label, sizeof label, "%s (%s)", r->path, key);
                if (v.cols != 1 && v.rows == 1) {
                    v.rows = v.cols;
                    v.cols = 1;
                }
                FCFIT_REQUIRE_GOTO(v.cols == 1 && v.rows == n, FCFIT_ERR_INPUT,
                                   "%s: holds %zu x %zu values; expected a vector of %zu (one per "
                                   "region)",
                                   label, v.rows, v.cols, n);
                FCFIT_TRY(fcfit_matrix_check_finite(&v, label));
                for (size_t i = 0; i < n; i++) {
                    FCFIT_REQUIRE_GOTO(v.data[i] >= p->lo && v.data[i] <= p->hi, FCFIT_ERR_INPUT,
                                       "%s: value %g for region %zu is outside the bounds [%g, %g] "
                                       "%s of %s",
                                       label, v.data[i], i + 1, p->lo, p->hi, p->unit, key);
                }
                memcpy(dst, v.data, n * sizeof(double));
                fcfit_matrix_free(&v);
            }
        } else {
            double x = fcfit_config_real(cfg, key);
            for (size_t i = 0; i < n; i++) {
                dst[i] = x;
            }
        }
    }
    for (size_t o = 0; o < m->n_options; o++) {
        char key[256];
        snprintf(key, sizeof key, "model.%s.%s", m->name, m->options[o].name);
        job->opt[o] = fcfit_config_enum(cfg, key);
    }

cleanup:
    fcfit_matrix_free(&v);
    return st;
}

/*
 * Load the target. The loaded target BOLD matrices are handed to the caller
 * (*bold_out, *n_bold_out; free each with fcfit_matrix_free and the array
 * with free) so that parameters derived from the data can use them.
 */
static fcfit_status setup_target(fcfit_job *job, fcfit_matrix **bold_out, size_t *n_bold_out,
                                 double *tr_out)
{
    const fcfit_config *cfg = job->cfg;
    size_t n_fc = fcfit_config_list_len(cfg, "target.fc");
    size_t n_bold = fcfit_config_list_len(cfg, "target.bold");
    int synthetic = fcfit_config_bool(cfg, "target.synthetic");
    fcfit_matrix *fc = NULL, *bold = NULL;
    char **fcl = NULL, **boldl = NULL;
    fcfit_status st = FCFIT_OK;
    char desc[512];
    double tr_target;

    if (synthetic) {
        FCFIT_REQUIRE(n_fc == 0 && n_bold == 0, FCFIT_ERR_CONFIG,
                      "%s: target.synthetic is true but target.fc or target.bold is also given; "
                      "choose one",
                      fcfit_config_where(cfg, "target.synthetic"));
        n_fc = 1;
    }
    *bold_out = NULL;
    *n_bold_out = 0;
    if (n_fc == 0 && n_bold == 0) {
        job->target_desc = fcfit_strdup("none");
        return FCFIT_OK;
    }
    tr_target = fcfit_config_has_value(cfg, "target.bold_tr_s")
                    ? fcfit_config_real(cfg, "target.bold_tr_s")
                    : job->sim.tr_ms / 1000.0;
    *tr_out = tr_target;
    FCFIT_ALLOC_GOTO(fc, n_fc, "target FC list");
    FCFIT_ALLOC_GOTO(fcl, n_fc, "target FC labels");
    FCFIT_ALLOC_GOTO(bold, n_bold, "target BOLD list");
    FCFIT_ALLOC_GOTO(boldl, n_bold, "target BOLD labels");
    if (synthetic) {
        FCFIT_TRY(job_check_synthetic_size(cfg, job->n, 1));
        FCFIT_TRY(fcfit_matrix_alloc(&fc[0], job->n, job->n));
        FCFIT_TRY(fcfit_target_synthetic_fc(job->n, job->conn->weights, fc[0].data));
        fcl[0] = fcfit_strdup("synthetic target FC");
    } else {
        for (size_t k = 0; k < n_fc; k++) {
            FCFIT_TRY(load_matrix(cfg, fcfit_config_list_path(cfg, "target.fc", k), "target.fc", &fc[k],
                                  &fcl[k]));
            FCFIT_TRY(job_check_target_fc(&fc[k], fcl[k]));
            if (fcfit_config_bool(cfg, "target.fc_fisher_z")) {
                for (size_t q = 0; q < fc[k].rows * fc[k].cols; q++) {
                    fc[k].data[q] = tanh(fc[k].data[q]);
                }
            }
            if (fc[k].rows == fc[k].cols) {
                /* The diagonal is not used by any score; some sources store 0 there. */
                for (size_t i = 0; i < fc[k].rows; i++) {
                    fc[k].data[i * fc[k].cols + i] = 1.0;
                }
            }
        }
    }
    for (size_t k = 0; k < n_bold; k++) {
        FCFIT_TRY(load_matrix(cfg, fcfit_config_list_path(cfg, "target.bold", k), "target.bold",
                              &bold[k], &boldl[k]));
        FCFIT_TRY(job_orient_bold(job, &bold[k], boldl[k]));
    }
    if (n_bold > 0) {
        size_t vols = 0;
        for (size_t k = 0; k < n_bold; k++) {
            vols += bold[k].rows * bold[k].cols / (job->n > 0 ? job->n : 1);
        }
        fcfit_log(FCFIT_LOG_INFO, "target: computing the empirical FC%s of %zu BOLD subject(s), "
                  "%zu volumes in all", job->fcs.fcd ? " and FCD" : "", n_bold, vols);
    }
    FCFIT_TRY(fcfit_target_create_ex(&job->target, job->n, n_fc, fc, (const char *const *)fcl,
                                     n_bold, bold, (const char *const *)boldl, tr_target,
                                     &job->fcs,
                                     fcfit_config_enum(cfg, "target.fc_from") == 2 && n_bold > 0));
    if (synthetic) {
        snprintf(desc, sizeof desc, "synthetic group FC (linear process on the connectome)");
    } else {
        snprintf(desc, sizeof desc, "%zu FC subject(s)%s%s, %zu BOLD subject(s)%s",
                 job->target->n_subjects,
                 n_fc == 1 && !job->target->fc_from_bold ? " (group matrix)" : "",
                 n_fc == 0 || job->target->fc_from_bold ? " from BOLD" : "", n_bold,
                 n_bold > 0 ? " (FCD)" : "");
    }
    job->target_desc = fcfit_strdup(desc);
    *bold_out = bold;
    *n_bold_out = n_bold;
    bold = NULL;

cleanup:
    for (size_t k = 0; k < n_fc; k++) {
        if (fc != NULL) {
            fcfit_matrix_free(&fc[k]);
        }
        if (fcl != NULL) {
            free(fcl[k]);
        }
    }
    for (size_t k = 0; k < n_bold; k++) {
        if (bold != NULL) {
            fcfit_matrix_free(&bold[k]);
        }
        if (boldl != NULL) {
            free(boldl[k]);
        }
    }
    free(fc);
    free(fcl);
    free(bold);
    free(boldl);
    return st;
}

/* Hash n doubles with -0 read as +0: the two are the same input and give the same results. */
static uint64_t hash_reals(uint64_t h, const double *x, size_t n)
{
    double block[256];
    for (size_t k = 0; k < n; k += 256) {
        size_t m = n - k < 256 ? n - k : 256;
        for (size_t q = 0; q < m; q++) {
            block[q] = x[k + q] == 0.0 ? 0.0 : x[k + q];
        }
        h = fcfit_hash_bytes(h, block, m * sizeof(double));
    }
    return h;
}

/*
 * validate.target: a second target (e.g. held-out subjects) that the validate
 * stage scores its candidates against, processed exactly like target.* (same
 * Fisher-z setting, BOLD TR and FC settings).
 */
static fcfit_status setup_target2(fcfit_job *job)
{
    const fcfit_config *cfg = job->cfg;
    size_t n_fc = fcfit_config_list_len(cfg, "validate.target.fc");
    size_t n_bold = fcfit_config_list_len(cfg, "validate.target.bold");
    fcfit_matrix *m = NULL;
    char **labels = NULL;
    fcfit_status st = FCFIT_OK;
    size_t n = n_fc + n_bold;
    double tr = fcfit_config_has_value(cfg, "target.bold_tr_s")
                    ? fcfit_config_real(cfg, "target.bold_tr_s")
                    : job->sim.tr_ms / 1000.0;

    if (n == 0) {
        return FCFIT_OK;
    }
    FCFIT_REQUIRE(job->target != NULL, FCFIT_ERR_CONFIG,
                  "%s: validate.target is set but the job has no target to fit",
                  fcfit_config_where(cfg, n_fc > 0 ? "validate.target.fc" : "validate.target.bold"));
    FCFIT_ALLOC_GOTO(m, n, "validation target list");
    FCFIT_ALLOC_GOTO(labels, n, "validation target labels");
    for (size_t k = 0; k < n; k++) {
        const char *key = k < n_fc ? "validate.target.fc" : "validate.target.bold";
        size_t i = k < n_fc ? k : k - n_fc;
        FCFIT_TRY(load_matrix(cfg, fcfit_config_list_path(cfg, key, i), key, &m[k], &labels[k]));
        if (k < n_fc) {
            if (fcfit_config_bool(cfg, "target.fc_fisher_z")) {
                for (size_t q = 0; q < m[k].rows * m[k].cols; q++) {
                    m[k].data[q] = tanh(m[k].data[q]);
                }
            }
            for (size_t r = 0; r < m[k].rows && m[k].rows == m[k].cols; r++) {
                m[k].data[r * m[k].cols + r] = 1.0;
            }
        }
    }
    FCFIT_TRY(fcfit_target_create(&job->target2, job->n, n_fc, m, (const char *const *)labels,
                                  n_bold, m + n_fc, (const char *const *)labels + n_fc, tr,
                                  &job->fcs));

cleanup:
    for (size_t k = 0; k < n; k++) {
        if (m != NULL) {
            fcfit_matrix_free(&m[k]);
        }
        if (labels != NULL) {
            free(labels[k]);
        }
    }
    free(m);
    free(labels);
    return st;
}

static void hash_target(uint64_t *h, const fcfit_target *t)
{
    *h = hash_reals(*h, t->fc_upper, t->n_subjects * t->M);
    if (t->has_fcd) {
        *h = hash_reals(*h, t->fcd_pooled, t->n_fcd_pooled);
    }
}

static void hash_matrix(uint64_t *h, const fcfit_matrix *m)
{
    uint64_t dims[2] = {m->rows, m->cols};
    *h = fcfit_hash_bytes(*h, dims, sizeof dims);
    if (m->data != NULL) {
        *h = hash_reals(*h, m->data, m->rows * m->cols);
    }
}

/* Add "name hex" for one input part to job->input_hashes. */
static void add_input_hash(fcfit_job *job, const char *name, uint64_t h)
{
    char hex[17];
    const size_t used = strlen(job->input_hashes);
    fcfit_hash_hex(h, hex);
    snprintf(job->input_hashes + used, sizeof job->input_hashes - used, "%s %s\n", name, hex);
}

/* The content hash of each input part (the same parts as the job hash, one by one). */
static void input_hashes(fcfit_job *job)
{
    uint64_t h = FCFIT_HASH_INIT;
    job->input_hashes[0] = '\0';
    hash_matrix(&h, &job->weights);
    add_input_hash(job, "connectome.weights", h);
    if (job->conn->delay != NULL) {
        h = FCFIT_HASH_INIT;
        hash_matrix(&h, &job->lengths);
        add_input_hash(job, "connectome.lengths", h);
    }
    add_input_hash(job, "model_parameters",
                   hash_reals(FCFIT_HASH_INIT, job->params, job->model->n_params * job->n));
    if (job->target != NULL) {
        h = FCFIT_HASH_INIT;
        hash_target(&h, job->target);
        add_input_hash(job, "target", h);
    }
    if (job->target2 != NULL) {
        h = FCFIT_HASH_INIT;
        hash_target(&h, job->target2);
        add_input_hash(job, "validate.target", h);
    }
    h = FCFIT_HASH_INIT;
    for (int k = 0; k < FCFIT_STAGE_KIND_COUNT; k++) {
        const fcfit_stage *sg = job->stages[k];
        for (size_t m = 0; sg != NULL && m < sg->n_maps; m++) {
            h = hash_reals(h, sg->maps[m].m, job->n);
        }
    }
    add_input_hash(job, "maps", h);
    if (job->aln_tables != NULL) {
        const struct fcfit_aln_tables *t = job->aln_tables;
        const size_t nt = t->grid.n_mu * t->grid.n_sigma;
        h = fcfit_hash_bytes(FCFIT_HASH_INIT, t->r_ss, nt * sizeof(double));
        h = fcfit_hash_bytes(h, t->V_mean_ss, nt * sizeof(double));
        h = fcfit_hash_bytes(h, t->tau_mu_exp, nt * sizeof(double));
        h = fcfit_hash_bytes(h, t->tau_sigma_exp, nt * sizeof(double));
        add_input_hash(job, "model.aln.tables", h);
    }
}

static fcfit_status finish_identity(fcfit_job *job)
{
    char **skips = fcfit_job_other_model_prefixes(job->model);
    char *hashed;
    uint64_t h = FCFIT_HASH_INIT;

    FCFIT_REQUIRE(skips != NULL, FCFIT_ERR_NOMEM, "out of memory");
    job->canonical = fcfit_config_canonical(job->cfg, 0, (const char *const *)skips);
    hashed = fcfit_config_canonical(job->cfg, 1, (const char *const *)skips);
    fcfit_job_free_skips(skips);
    if (job->canonical == NULL || hashed == NULL) {
        free(hashed);
        FCFIT_FAIL(FCFIT_ERR_NOMEM, "out of memory");
    }
    h = fcfit_hash_str(h, hashed);
    free(hashed);
    /* Inputs by content, not by path: moving a data file does not change the job. */
    hash_matrix(&h, &job->weights);
    if (job->conn->delay != NULL) {
        hash_matrix(&h, &job->lengths);
    }
    h = hash_reals(h, job->params, job->model->n_params * job->n);
    if (job->target != NULL) {
        hash_target(&h, job->target);
    }
    if (job->target2 != NULL) {
        hash_target(&h, job->target2);
    }
    for (size_t k = 0; k < job->n_subjects; k++) {
        hash_matrix(&h, &job->subject_weights[k]);
    }
    for (int k = 0; k < FCFIT_STAGE_KIND_COUNT; k++) {
        const fcfit_stage *sg = job->stages[k];
        if (sg == NULL) {
            continue;
        }
        if (sg->points != NULL) {
            h = hash_reals(h, sg->points, sg->n_points * sg->n_dims);
        }
        for (size_t m = 0; m < sg->n_maps; m++) {
            h = hash_reals(h, sg->maps[m].m, job->n);
        }
    }
    if (job->aln_tables != NULL) {
        /* The tables by content, like the other inputs. */
        const struct fcfit_aln_tables *t = job->aln_tables;
        const size_t nt = t->grid.n_mu * t->grid.n_sigma;
        h = fcfit_hash_bytes(h, &t->grid, sizeof t->grid);
        h = fcfit_hash_bytes(h, &t->neuron, sizeof t->neuron);
        h = fcfit_hash_bytes(h, t->r_ss, nt * sizeof(double));
        h = fcfit_hash_bytes(h, t->V_mean_ss, nt * sizeof(double));
        h = fcfit_hash_bytes(h, t->tau_mu_exp, nt * sizeof(double));
        h = fcfit_hash_bytes(h, t->tau_sigma_exp, nt * sizeof(double));
    }
    job->hash = h;
    fcfit_hash_hex(h, job->hash_hex);
    input_hashes(job);
    return FCFIT_OK;
}

/*
 * Build a one-lane simulation and the feature workspace once: every setting
 * they check (step ratios, volumes kept, band-pass length, FCD windows) is
 * then checked before anything runs.
 */
static fcfit_status validate_workspaces(const fcfit_job *job)
{
    fcfit_sim *sim = NULL;
    fcfit_features *feat = NULL;
    fcfit_status st = FCFIT_OK;
    FCFIT_TRY(fcfit_sim_create(&sim, job->model, job->conn, &job->sim, 1));
    FCFIT_TRY(fcfit_features_create(&feat, job->n, fcfit_sim_n_vols(sim), job->sim.tr_ms / 1000.0,
                                    &job->fcs, FCFIT_SIM_BOLD_LABEL));
cleanup:
    fcfit_features_destroy(&feat);
    fcfit_sim_destroy(&sim);
    if (st != FCFIT_OK && st != FCFIT_ERR_NOMEM) {
        /* These are settings problems: report them as such (exit code 2). */
        fcfit_error_prefix("%s: ", job->path != NULL ? job->path : "job");
        st = fcfit_error_trace(FCFIT_ERR_CONFIG, __FILE__, __LINE__, __func__);
    }
    return st;
}

fcfit_status fcfit_job_load(fcfit_job **out, const char *path, size_t n_sets,
                            const char *const *sets)
{
    return fcfit_job_load_ex(out, path, 0, NULL, n_sets, sets);
}

fcfit_status fcfit_job_load_ex(fcfit_job **out, const char *path, size_t n_extra,
                               const char *const *extra, size_t n_sets, const char *const *sets)
{
    fcfit_status st = FCFIT_OK;
    fcfit_job *job = NULL;
    fcfit_matrix *tbold = NULL;
    size_t n_tbold = 0;
    double tr_tbold = 0.0;

    *out = NULL;
    job = calloc(1, sizeof *job);
    FCFIT_REQUIRE(job != NULL, FCFIT_ERR_NOMEM, "cannot allocate the job");
    FCFIT_TRY(fcfit_config_create(&job->cfg));
    FCFIT_TRY(fcfit_job_register_options(job->cfg));
    if (path != NULL) {
        job->path = fcfit_strdup(path);
        FCFIT_TRY(fcfit_config_load_file(job->cfg, path));
    }
    for (size_t k = 0; k < n_extra; k++) {
        FCFIT_TRY(fcfit_config_load_file(job->cfg, extra[k]));
    }
    for (size_t k = 0; k < n_sets; k++) {
        FCFIT_TRY(fcfit_config_set(job->cfg, sets[k]));
    }
    FCFIT_TRY(fcfit_model_find(fcfit_config_string(job->cfg, "model.name"), &job->model));
    FCFIT_TRY(check_model_sections(job));
    FCFIT_TRY(setup_model_data(job));
    FCFIT_TRY(setup_sim(job));
    FCFIT_TRY(setup_connectome(job));
    FCFIT_TRY(job_setup_labels(job));
    FCFIT_TRY(setup_target(job, &tbold, &n_tbold, &tr_tbold));
    FCFIT_TRY(setup_params(job, tbold, n_tbold, tr_tbold));
    FCFIT_TRY(setup_target2(job));
    FCFIT_TRY(job_setup_stages(job));
    FCFIT_TRY(job_setup_subjects(job));
    job_resolve_save_fc(job);
    FCFIT_TRY(validate_workspaces(job));
    FCFIT_TRY(check_model_binding(job));
    FCFIT_TRY(finish_identity(job));
    FCFIT_TRY(job_collect_warnings(job, tbold, n_tbold, tr_tbold));
    *out = job;
    job = NULL;

cleanup:
    for (size_t k = 0; k < n_tbold; k++) {
        fcfit_matrix_free(&tbold[k]);
    }
    free(tbold);
    fcfit_job_destroy(&job);
    return st;
}

void fcfit_job_apply_params(const fcfit_job *job, fcfit_sim *sim, size_t lane)
{
    const size_t L = fcfit_sim_n_lanes(sim), n = job->n;
    for (size_t j = 0; j < job->model->n_params; j++) {
        double *dst = fcfit_sim_param(sim, j);
        const double *src = job->params + j * n;
        for (size_t i = 0; i < n; i++) {
            dst[i * L + lane] = src[i];
        }
    }
    for (size_t o = 0; o < job->model->n_options; o++) {
        fcfit_sim_options(sim)[o] = job->opt[o];
    }
}

const fcfit_connectome *fcfit_job_conn(const fcfit_job *job, size_t subject)
{
    return job->n_subjects > 0 && subject < job->n_subjects ? job->subject_conns[subject]
                                                             : job->conn;
}

const fcfit_target *fcfit_job_target(const fcfit_job *job, size_t subject)
{
    return job->n_subjects > 0 && subject < job->n_subjects ? job->subject_targets[subject]
                                                             : job->target;
}

/* ---- The plan: a loaded job as bytes, for workers that must not read files ---- */

#define PLAN_MAGIC 0x4e414c5054494643ULL /* "CFITPLAN" */

static void pack_matrix(fcfit_packer *p, const fcfit_matrix *m)
{
    fcfit_pack_u64(p, m->rows);
    fcfit_pack_u64(p, m->cols);
    fcfit_pack_f64s(p, m->data, m->data != NULL ? m->rows * m->cols : 0);
}

static fcfit_status unpack_matrix(fcfit_unpacker *u, fcfit_matrix *m)
{
    uint64_t r = 0, c = 0;
    size_t n = 0;
    FCFIT_CHECK(fcfit_unpack_u64(u, &r));
    FCFIT_CHECK(fcfit_unpack_u64(u, &c));
    FCFIT_CHECK(fcfit_unpack_f64s_alloc(u, &m->data, &n));
    if (n == 0) {
        free(m->data);
        m->data = NULL;
        m->rows = m->cols = 0;
        return FCFIT_OK;
    }
    FCFIT_REQUIRE(n == r * c, FCFIT_ERR_PROTOCOL, "malformed plan: matrix size");
    m->rows = (size_t)r;
    m->cols = (size_t)c;
    return FCFIT_OK;
}

static void pack_target(fcfit_packer *p, const fcfit_target *t)
{
    fcfit_pack_u64(p, t != NULL);
    if (t == NULL) {
        return;
    }
    fcfit_pack_u64(p, t->n_subjects);
    fcfit_pack_f64s(p, t->fc_upper, t->n_subjects * t->M);
    fcfit_pack_f64s(p, t->fc_group, t->n * t->n);
    fcfit_pack_f64s(p, t->fc_group_upper, t->M);
    fcfit_pack_f64(p, t->fc_group_mean);
    fcfit_pack_u64(p, (uint64_t)t->has_fcd);
    if (t->has_fcd) {
        fcfit_pack_f64s(p, t->fcd_pooled, t->n_fcd_pooled);
        for (size_t k = 0; k < t->n_subjects; k++) {
            fcfit_pack_f64s(p, t->fcd_subject[k], t->n_fcd_subject[k]);
        }
    }
}

/*
 * Workers need what a task evaluation needs: settings, connectome,
 * parameters and targets. The stages stay on rank 0: tasks carry their
 * parameter values (fcfit_protocol.h).
 */
fcfit_status fcfit_job_pack(const fcfit_job *job, fcfit_packer *p)
{
    fcfit_pack_reset(p);
    fcfit_pack_u64(p, PLAN_MAGIC);
    fcfit_pack_str(p, job->canonical);
    fcfit_pack_str(p, job->path);
    fcfit_pack_str(p, job->weights_label);
    fcfit_pack_str(p, job->target_desc);
    fcfit_pack_u64(p, job->hash);
    pack_matrix(p, &job->weights);
    pack_matrix(p, &job->lengths);
    fcfit_pack_f64s(p, job->params, job->model->n_params * job->n);
    pack_target(p, job->target);
    pack_target(p, job->target2);
    fcfit_pack_u64(p, job->aln_tables != NULL);
    if (job->aln_tables != NULL) {
        const struct fcfit_aln_tables *at = job->aln_tables;
        const size_t nt = at->grid.n_mu * at->grid.n_sigma;
        const double grid[6] = {at->grid.mu0, at->grid.dmu, (double)at->grid.n_mu,
                                at->grid.sigma0, at->grid.dsigma, (double)at->grid.n_sigma};
        fcfit_aln_neuron nr = at->neuron;
        fcfit_pack_f64s(p, grid, 6);
        for (size_t i = 0; i < FCFIT_ALN_N_NEURON; i++) {
            fcfit_pack_f64(p, *fcfit_aln_neuron_at(&nr, i));
        }
        fcfit_pack_f64s(p, at->r_ss, nt);
        fcfit_pack_f64s(p, at->V_mean_ss, nt);
        fcfit_pack_f64s(p, at->tau_mu_exp, nt);
        fcfit_pack_f64s(p, at->tau_sigma_exp, nt);
    }
    fcfit_pack_u64(p, (uint64_t)job->save_fc);
    fcfit_pack_u64(p, job->n_subjects);
    for (size_t k = 0; k < job->n_subjects; k++) {
        pack_matrix(p, &job->subject_weights[k]);
    }
    return fcfit_pack_status(p);
}

static fcfit_status unpack_target(fcfit_unpacker *u, const fcfit_job *job, fcfit_target **out)
{
    fcfit_target *t = calloc(1, sizeof *t);
    fcfit_status st = FCFIT_OK;
    uint64_t ns = 0, has = 0;
    size_t n = 0;
    FCFIT_REQUIRE(t != NULL, FCFIT_ERR_NOMEM, "out of memory");
    *out = t;
    t->n = job->n;
    t->M = job->n * (job->n - 1) / 2;
    FCFIT_CHECK(fcfit_unpack_u64(u, &ns));
    t->n_subjects = (size_t)ns;
    FCFIT_CHECK(fcfit_unpack_f64s_alloc(u, &t->fc_upper, &n));
    FCFIT_REQUIRE(n == t->n_subjects * t->M, FCFIT_ERR_PROTOCOL, "malformed plan: target FC");
    FCFIT_CHECK(fcfit_unpack_f64s_alloc(u, &t->fc_group, &n));
    FCFIT_REQUIRE(n == t->n * t->n, FCFIT_ERR_PROTOCOL, "malformed plan: group FC");
    FCFIT_CHECK(fcfit_unpack_f64s_alloc(u, &t->fc_group_upper, &n));
    FCFIT_REQUIRE(n == t->M, FCFIT_ERR_PROTOCOL, "malformed plan: group FC upper triangle");
    FCFIT_CHECK(fcfit_unpack_f64(u, &t->fc_group_mean));
    FCFIT_CHECK(fcfit_unpack_u64(u, &has));
    t->has_fcd = (int)has;
    t->n_fcd_subject = calloc(t->n_subjects > 0 ? t->n_subjects : 1, sizeof(size_t));
    t->fcd_subject = calloc(t->n_subjects > 0 ? t->n_subjects : 1, sizeof(double *));
    FCFIT_REQUIRE(t->n_fcd_subject != NULL && t->fcd_subject != NULL, FCFIT_ERR_NOMEM,
                  "out of memory");
    if (t->has_fcd) {
        FCFIT_CHECK(fcfit_unpack_f64s_alloc(u, &t->fcd_pooled, &t->n_fcd_pooled));
        for (size_t k = 0; k < t->n_subjects; k++) {
            FCFIT_CHECK(fcfit_unpack_f64s_alloc(u, &t->fcd_subject[k], &t->n_fcd_subject[k]));
            if (t->n_fcd_subject[k] == 0) {
                free(t->fcd_subject[k]);
                t->fcd_subject[k] = NULL;
            }
        }
    }
    return st;
}

static fcfit_status unpack_aln_tables(fcfit_unpacker *u, fcfit_job *job)
{
    fcfit_status st = FCFIT_OK;
    double *grid = NULL, *arr[4] = {NULL, NULL, NULL, NULL};
    size_t n = 0, na[4] = {0, 0, 0, 0};
    fcfit_aln_grid g;
    fcfit_aln_neuron nr;
    struct fcfit_aln_tables *t = NULL;

    FCFIT_TRY(fcfit_unpack_f64s_alloc(u, &grid, &n));
    FCFIT_REQUIRE_GOTO(n == 6, FCFIT_ERR_PROTOCOL, "malformed plan: ALN table grid");
    for (size_t i = 0; i < FCFIT_ALN_N_NEURON; i++) {
        FCFIT_TRY(fcfit_unpack_f64(u, fcfit_aln_neuron_at(&nr, i)));
    }
    for (int i = 0; i < 4; i++) {
        FCFIT_TRY(fcfit_unpack_f64s_alloc(u, &arr[i], &na[i]));
    }
    g.mu0 = grid[0];
    g.dmu = grid[1];
    g.n_mu = (size_t)grid[2];
    g.sigma0 = grid[3];
    g.dsigma = grid[4];
    g.n_sigma = (size_t)grid[5];
    for (int i = 0; i < 4; i++) {
        FCFIT_REQUIRE_GOTO(na[i] == g.n_mu * g.n_sigma, FCFIT_ERR_PROTOCOL,
                           "malformed plan: ALN table size");
    }
    FCFIT_TRY(fcfit_aln_tables_create(&t, &g, &nr));
    memcpy(t->r_ss, arr[0], na[0] * sizeof(double));
    memcpy(t->V_mean_ss, arr[1], na[1] * sizeof(double));
    memcpy(t->tau_mu_exp, arr[2], na[2] * sizeof(double));
    memcpy(t->tau_sigma_exp, arr[3], na[3] * sizeof(double));
    use_aln_tables(job, t);
cleanup:
    free(grid);
    for (int i = 0; i < 4; i++) {
        free(arr[i]);
    }
    return st;
}

fcfit_status fcfit_job_unpack(const void *buf, size_t len, fcfit_job **out)
{
    fcfit_status st = FCFIT_OK;
    fcfit_job *job = NULL;
    fcfit_unpacker u;
    uint64_t magic = 0, has = 0;
    size_t n = 0;

    *out = NULL;
    fcfit_unpack_init(&u, buf, len);
    FCFIT_CHECK(fcfit_unpack_u64(&u, &magic));
    FCFIT_REQUIRE(magic == PLAN_MAGIC, FCFIT_ERR_PROTOCOL, "malformed plan: bad magic");
    job = calloc(1, sizeof *job);
    FCFIT_REQUIRE(job != NULL, FCFIT_ERR_NOMEM, "cannot allocate the job");
    FCFIT_TRY(fcfit_unpack_str_alloc(&u, &job->canonical));
    FCFIT_TRY(fcfit_unpack_str_alloc(&u, &job->path));
    FCFIT_TRY(fcfit_unpack_str_alloc(&u, &job->weights_label));
    FCFIT_TRY(fcfit_unpack_str_alloc(&u, &job->target_desc));
    FCFIT_TRY(fcfit_unpack_u64(&u, &job->hash));
    fcfit_hash_hex(job->hash, job->hash_hex);
    if (job->path[0] == '\0') {
        free(job->path);
        job->path = NULL;
    }
    FCFIT_TRY(fcfit_config_create(&job->cfg));
    FCFIT_TRY(fcfit_job_register_options(job->cfg));
    FCFIT_TRY(fcfit_config_load_string(job->cfg, job->canonical, "plan", NULL));
    FCFIT_TRY(fcfit_model_find(fcfit_config_string(job->cfg, "model.name"), &job->model));
    FCFIT_TRY(setup_sim(job));
    FCFIT_TRY(unpack_matrix(&u, &job->weights));
    FCFIT_TRY(unpack_matrix(&u, &job->lengths));
    FCFIT_TRY(build_connectome(job, NULL));
    FCFIT_TRY(fcfit_unpack_f64s_alloc(&u, &job->params, &n));
    FCFIT_REQUIRE_GOTO(n == job->model->n_params * job->n, FCFIT_ERR_PROTOCOL,
                       "malformed plan: parameters");
    FCFIT_ALLOC_GOTO(job->opt, job->model->n_options, "model options");
    for (size_t o = 0; o < job->model->n_options; o++) {
        char key[256];
        snprintf(key, sizeof key, "model.%s.%s", job->model->name, job->model->options[o].name);
        job->opt[o] = fcfit_config_enum(job->cfg, key);
    }
    FCFIT_TRY(fcfit_unpack_u64(&u, &has));
    if (has) {
        FCFIT_TRY(unpack_target(&u, job, &job->target));
    }
    FCFIT_TRY(fcfit_unpack_u64(&u, &has));
    if (has) {
        FCFIT_TRY(unpack_target(&u, job, &job->target2));
    }
    FCFIT_TRY(fcfit_unpack_u64(&u, &has));
    if (has) {
        FCFIT_TRY(unpack_aln_tables(&u, job));
    }
    FCFIT_TRY(fcfit_unpack_u64(&u, &has));
    job->save_fc = has != 0;
    FCFIT_TRY(fcfit_unpack_u64(&u, &has));
    FCFIT_REQUIRE_GOTO(has <= 100000 && (has == 0 || job->target != NULL), FCFIT_ERR_PROTOCOL,
                       "malformed plan: %llu subject connectomes", (unsigned long long)has);
    if (has > 0) {
        FCFIT_ALLOC_GOTO(job->subject_weights, has, "subject connectomes");
        job->n_subjects = (size_t)has;
        for (size_t k = 0; k < job->n_subjects; k++) {
            FCFIT_TRY(unpack_matrix(&u, &job->subject_weights[k]));
        }
        FCFIT_TRY(job_build_subjects(job));
    }
    FCFIT_REQUIRE_GOTO(fcfit_unpack_done(&u), FCFIT_ERR_PROTOCOL, "malformed plan: trailing bytes");
    *out = job;
    return FCFIT_OK;

cleanup:
    fcfit_job_destroy(&job);
    return st;
}
