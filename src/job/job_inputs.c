/*
 * job_inputs.c: checks and conversions of a job's input data that go beyond
 * reading a matrix (job.c calls them while it loads the connectome and the
 * target).
 *
 *   - TVB connectivity zips as the connectome (connectome.tvb_zip);
 *   - the orientation of target BOLD (target.bold_layout): fcfit works with
 *     regions x time, `fcfit simulate` writes time x regions (as most tools
 *     do), and "auto" tells them apart by which side matches the connectome;
 *   - supplied target FC matrices must be symmetric and must not be constant
 *     off the diagonal: every score correlates the upper triangle, so the
 *     lower one of an asymmetric matrix would be silently ignored, and a
 *     constant one would make fc_corr undefined (0) at every point;
 *   - the synthetic target's size limit: it needs an eigendecomposition of
 *     the connectome, O(N^3) time.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcfit/fcfit_log.h"
#include "fcfit/fcfit_matrix_io.h"
#include "fcfit/fcfit_util.h"
#include "job/job_impl.h"

/* Largest |a_ij - a_ji| accepted in a target FC (its values lie in [-1, 1]). */
#define JOB_FC_SYMMETRY_TOL 1e-6

fcfit_status job_load_tvb_zip(fcfit_job *job, const char *path, char **llabel, int *use_lengths)
{
    const fcfit_config *cfg = job->cfg;
    fcfit_tvb_connectivity tvb;
    fcfit_status st;
    double vel = fcfit_config_real(cfg, "connectome.velocity_mm_per_ms");
    char buf[2048];

    *use_lengths = 0;
    FCFIT_REQUIRE(!fcfit_config_has_value(cfg, "connectome.lengths"), FCFIT_ERR_CONFIG,
                  "%s: connectome.lengths is given together with connectome.tvb_zip (%s), whose "
                  "tract lengths are used; give one of them",
                  fcfit_config_where(cfg, "connectome.lengths"),
                  fcfit_config_where(cfg, "connectome.tvb_zip"));
    st = fcfit_tvb_zip_load(path, &tvb);
    if (st != FCFIT_OK) {
        fcfit_error_prefix("%s: connectome.tvb_zip: ",
                           fcfit_config_where(cfg, "connectome.tvb_zip"));
        return fcfit_error_trace(st, __FILE__, __LINE__, __func__);
    }
    if (vel > 0.0 && tvb.lengths.data == NULL) {
        fcfit_tvb_connectivity_free(&tvb);
        FCFIT_FAIL(FCFIT_ERR_INPUT,
                   "%s: connectome.velocity_mm_per_ms is %g but %s has no tract lengths file "
                   "(tract_lengths.txt); set the velocity to 0 for no delays",
                   fcfit_config_where(cfg, "connectome.velocity_mm_per_ms"), vel, path);
    }
    job->weights = tvb.weights;
    memset(&tvb.weights, 0, sizeof tvb.weights);
    /* The zip always carries lengths; they become delays only with a conduction velocity. */
    if (vel > 0.0) {
        job->lengths = tvb.lengths;
        memset(&tvb.lengths, 0, sizeof tvb.lengths);
        *use_lengths = 1;
    }
    job->labels = tvb.labels;
    job->n_labels = tvb.n_labels;
    tvb.labels = NULL;
    tvb.n_labels = 0;
    fcfit_tvb_connectivity_free(&tvb);
    snprintf(buf, sizeof buf, "%s (connectome.tvb_zip)", path);
    job->weights_label = fcfit_strdup(buf);
    snprintf(buf, sizeof buf, "%s tract lengths (connectome.tvb_zip)", path);
    *llabel = fcfit_strdup(buf);
    FCFIT_REQUIRE(job->weights_label != NULL && *llabel != NULL, FCFIT_ERR_NOMEM, "out of memory");
    return FCFIT_OK;
}

fcfit_status job_orient_bold(const fcfit_job *job, fcfit_matrix *bold, const char *label)
{
    static const char *const layouts[] = {"auto", "regions_by_time", "time_by_regions"};
    const fcfit_config *cfg = job->cfg;
    const char *where = fcfit_config_where(cfg, "target.bold_layout");
    size_t layout = fcfit_config_enum(cfg, "target.bold_layout");
    size_t n = job->n;
    int transpose = 0;

    if (layout == 0) {
        FCFIT_REQUIRE(bold->rows != n || bold->cols != n, FCFIT_ERR_INPUT,
                      "%s: matrix is %zu x %zu, square like the %zu-region connectome: regions x "
                      "time and time x regions cannot be told apart; set target.bold_layout to "
                      "regions_by_time or time_by_regions",
                      label, bold->rows, bold->cols, n);
        FCFIT_REQUIRE(bold->rows == n || bold->cols == n, FCFIT_ERR_INPUT,
                      "%s: matrix is %zu x %zu; expected %zu regions along one side (regions x "
                      "time, or time x regions as fcfit simulate writes it) to match the "
                      "connectome",
                      label, bold->rows, bold->cols, n);
        transpose = bold->rows != n;
        if (transpose) {
            fcfit_log(FCFIT_LOG_INFO,
                      "%s: read as time x regions (%zu volumes of %zu regions); "
                      "target.bold_layout: time_by_regions says so explicitly",
                      label, bold->rows, bold->cols);
        }
    } else {
        int tbr = layout == 2;
        size_t regions = tbr ? bold->cols : bold->rows;
        FCFIT_REQUIRE(regions == n, FCFIT_ERR_INPUT,
                      "%s: matrix is %zu x %zu; with target.bold_layout: %s (%s) expected %zu "
                      "%s to match the connectome%s",
                      label, bold->rows, bold->cols, layouts[layout], where, n,
                      tbr ? "columns" : "rows",
                      (tbr ? bold->rows : bold->cols) == n ? " (the other side matches: is the "
                                                             "layout the other one?)"
                                                           : "");
        transpose = tbr;
    }
    if (transpose) {
        fcfit_matrix t = {0, 0, NULL};
        FCFIT_CHECK(fcfit_matrix_alloc(&t, bold->cols, bold->rows));
        for (size_t i = 0; i < bold->rows; i++) {
            for (size_t j = 0; j < bold->cols; j++) {
                t.data[j * bold->rows + i] = bold->data[i * bold->cols + j];
            }
        }
        fcfit_matrix_free(bold);
        *bold = t;
    }
    return FCFIT_OK;
}

fcfit_status job_check_target_fc(const fcfit_matrix *fc, const char *label)
{
    size_t n = fc->rows;
    double worst = 0.0;
    size_t wi = 0, wj = 0;
    int constant = 1;
    double first = 0.0;

    if (fc->rows != fc->cols || n == 0) {
        return FCFIT_OK; /* the size check (fcfit_target_create) names the problem */
    }
    FCFIT_REQUIRE(n >= 3, FCFIT_ERR_INPUT,
                  "%s: a %zu x %zu FC has a single pair of regions; fc_corr correlates the pairs "
                  "and needs at least 3 regions",
                  label, n, n);
    first = fc->data[1];
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++) {
            double a = fc->data[i * n + j], b = fc->data[j * n + i];
            double d = fabs(a - b);
            if (d > worst) {
                worst = d;
                wi = i;
                wj = j;
            }
            if (a != first) {
                constant = 0;
            }
        }
    }
    FCFIT_REQUIRE(!(worst > JOB_FC_SYMMETRY_TOL), FCFIT_ERR_INPUT,
                  "%s: not symmetric: entry (%zu,%zu) = %.9g but (%zu,%zu) = %.9g (tolerance %g); "
                  "an FC matrix is symmetric, and the scores use only its upper triangle. If the "
                  "file stores one triangle, mirror it (numpy: fc = np.triu(fc) + np.triu(fc, "
                  "1).T)",
                  label, wi + 1, wj + 1, fc->data[wi * n + wj], wj + 1, wi + 1,
                  fc->data[wj * n + wi], JOB_FC_SYMMETRY_TOL);
    FCFIT_REQUIRE(!constant || !isfinite(first), FCFIT_ERR_INPUT,
                  "%s: every entry off the diagonal is %g: a constant FC has no pattern to "
                  "correlate with, so fc_corr would be 0 at every point; expected an empirical FC",
                  label, first);
    return FCFIT_OK;
}

/* Eigendecomposition time measured on an AMD EPYC (Zen 5) core: about 7.5 s at 1000 regions. */
#define JOB_SYNTH_WARN_REGIONS 1000
#define JOB_SYNTH_MAX_REGIONS 5000

fcfit_status job_check_synthetic_size(const fcfit_config *cfg, size_t regions, int warn)
{
    double n = (double)regions;
    double est_s = 7.5 * (n / 1000.0) * (n / 1000.0) * (n / 1000.0);
    FCFIT_REQUIRE(regions <= JOB_SYNTH_MAX_REGIONS, FCFIT_ERR_CONFIG,
                  "%s: target.synthetic with %zu regions: the synthetic FC needs an "
                  "eigendecomposition of the connectome, O(N^3) time (about %.0f hours here; "
                  "7.5 s at 1000 regions); the limit is %d regions. Give an empirical target "
                  "(target.fc or target.bold) for larger connectomes",
                  fcfit_config_where(cfg, "target.synthetic"), regions, est_s / 3600.0,
                  JOB_SYNTH_MAX_REGIONS);
    if (warn && regions > JOB_SYNTH_WARN_REGIONS) {
        fcfit_log(FCFIT_LOG_WARN,
                  "target.synthetic with %zu regions: computing the synthetic FC takes O(N^3) "
                  "time, roughly %.0f s (7.5 s at 1000 regions on one core)",
                  regions, est_s);
    }
    return FCFIT_OK;
}
