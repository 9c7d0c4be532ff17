/*
 * aln_tables_h5.c: ALN tables to and from HDF5 (see fcfit_aln_io.h). The
 * reader goes through the matrix loader, so a missing or malformed dataset
 * is reported with the file and dataset names like any other input.
 */
#include "fcfit/fcfit_aln_io.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fcfit/fcfit_matrix_io.h"
#include "io/h5util.h"

static const char *const table_names[4] = {"r_ss", "V_mean_ss", "tau_mu_exp", "tau_sigma_exp"};

static double *table_ptr(const fcfit_aln_tables *t, int i)
{
    double *const p[4] = {t->r_ss, t->V_mean_ss, t->tau_mu_exp, t->tau_sigma_exp};
    return p[i];
}

static fcfit_status write_body(hid_t f, const fcfit_aln_tables *t, const char *provenance)
{
    const fcfit_aln_grid *g = &t->grid;
    const size_t dims[2] = {g->n_mu, g->n_sigma};
    size_t d1[2] = {g->n_mu, 0};
    fcfit_status st = FCFIT_OK;
    double *ax = NULL;
    hid_t grp = -1;
    fcfit_aln_neuron nr = t->neuron;

    FCFIT_CHECK(fcfit_h5_attr_str(f, "fcfit_kind", "aln_tables"));
    if (provenance != NULL) {
        FCFIT_CHECK(fcfit_h5_attr_str(f, "command", provenance));
    }
    for (int i = 0; i < 4; i++) {
        FCFIT_CHECK(fcfit_h5_write_doubles(f, table_names[i], 2, dims, table_ptr(t, i)));
    }
    ax = malloc((g->n_mu > g->n_sigma ? g->n_mu : g->n_sigma) * sizeof *ax);
    FCFIT_REQUIRE(ax != NULL, FCFIT_ERR_NOMEM, "out of memory");
    for (size_t m = 0; m < g->n_mu; m++) {
        ax[m] = g->mu0 + (double)m * g->dmu;
    }
    FCFIT_TRY(fcfit_h5_write_doubles(f, "mu_vals", 1, d1, ax));
    for (size_t s = 0; s < g->n_sigma; s++) {
        ax[s] = g->sigma0 + (double)s * g->dsigma;
    }
    d1[0] = g->n_sigma;
    FCFIT_TRY(fcfit_h5_write_doubles(f, "sigma_vals", 1, d1, ax));
    grp = H5Gcreate2(f, "params", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (grp < 0) {
        st = FCFIT_H5_FAIL("cannot create group params");
        goto cleanup;
    }
    d1[0] = 1;
    for (size_t i = 0; i < FCFIT_ALN_N_NEURON; i++) {
        FCFIT_TRY(fcfit_h5_write_doubles(grp, fcfit_aln_neuron_names[i], 1, d1,
                                         fcfit_aln_neuron_at(&nr, i)));
    }
cleanup:
    if (grp >= 0) {
        H5Gclose(grp);
    }
    free(ax);
    return st;
}

fcfit_status fcfit_aln_tables_write(const char *path, const fcfit_aln_tables *t,
                                     const char *provenance)
{
    char tmp[4096];
    hid_t f;
    fcfit_status st;

    fcfit_h5_quiet();
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
    f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) {
        char what[4200];
        snprintf(what, sizeof what, "cannot create %s", tmp);
        return fcfit_h5_fail(__FILE__, __LINE__, __func__, what);
    }
    st = write_body(f, t, provenance);
    if (H5Fclose(f) < 0 && st == FCFIT_OK) {
        st = FCFIT_H5_FAIL("cannot close the tables file");
    }
    if (st != FCFIT_OK) {
        remove(tmp);
        return fcfit_error_trace(st, __FILE__, __LINE__, __func__);
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        FCFIT_FAIL(FCFIT_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(e));
    }
    return FCFIT_OK;
}

/* Load path:name as a matrix of the given shape (cols 1: a vector). */
static fcfit_status load(const char *path, const char *name, size_t rows, size_t cols,
                         fcfit_matrix *m)
{
    char spec[4200];
    snprintf(spec, sizeof spec, "%s:%s", path, name);
    FCFIT_CHECK(fcfit_matrix_load(spec, m));
    if ((rows != 0 && m->rows != rows) || (cols != 0 && m->cols != cols)) {
        const size_t r = m->rows, c = m->cols;
        fcfit_matrix_free(m);
        FCFIT_FAIL(FCFIT_ERR_INPUT,
                   "%s: dataset %s is %zu x %zu; expected %zu x %zu (rows: mu_vals, columns: "
                   "sigma_vals)",
                   path, name, r, c, rows, cols);
    }
    return FCFIT_OK;
}

/* A uniform axis: first value and step. */
static fcfit_status axis(const char *path, const char *name, const fcfit_matrix *m, double *x0,
                         double *dx)
{
    const size_t n = m->rows;
    FCFIT_REQUIRE(m->cols == 1 && n >= 2, FCFIT_ERR_INPUT,
                  "%s: %s must be a vector of at least 2 values", path, name);
    *x0 = m->data[0];
    *dx = (m->data[n - 1] - m->data[0]) / (double)(n - 1);
    FCFIT_REQUIRE(isfinite(*x0) && isfinite(*dx) && *dx > 0.0, FCFIT_ERR_INPUT,
                  "%s: %s must be finite and increasing", path, name);
    for (size_t i = 0; i < n; i++) {
        FCFIT_REQUIRE(fabs(m->data[i] - (*x0 + (double)i * *dx)) <= 1e-9 * (fabs(*dx) + fabs(*x0)),
                      FCFIT_ERR_INPUT,
                      "%s: %s must be evenly spaced (value %zu is %.17g, expected %.17g)", path,
                      name, i, m->data[i], *x0 + (double)i * *dx);
    }
    return FCFIT_OK;
}

fcfit_status fcfit_aln_tables_read(const char *path, fcfit_aln_tables **out)
{
    fcfit_status st = FCFIT_OK;
    fcfit_matrix mu = {0}, sg = {0}, m = {0};
    fcfit_aln_grid g;
    fcfit_aln_neuron nr;
    fcfit_aln_tables *t = NULL;

    *out = NULL;
    FCFIT_TRY(load(path, "mu_vals", 0, 1, &mu));
    FCFIT_TRY(load(path, "sigma_vals", 0, 1, &sg));
    FCFIT_TRY(axis(path, "mu_vals", &mu, &g.mu0, &g.dmu));
    FCFIT_TRY(axis(path, "sigma_vals", &sg, &g.sigma0, &g.dsigma));
    g.n_mu = mu.rows;
    g.n_sigma = sg.rows;
    for (size_t i = 0; i < FCFIT_ALN_N_NEURON; i++) {
        char name[64];
        snprintf(name, sizeof name, "params/%s", fcfit_aln_neuron_names[i]);
        FCFIT_TRY(load(path, name, 1, 1, &m));
        *fcfit_aln_neuron_at(&nr, i) = m.data[0];
        fcfit_matrix_free(&m);
    }
    {
        fcfit_status ns = fcfit_aln_neuron_check(&nr);
        if (ns != FCFIT_OK) {
            fcfit_error_clear();
            FCFIT_FAIL_GOTO(FCFIT_ERR_INPUT, "%s: the neuron parameters under params/ are invalid",
                            path);
        }
    }
    FCFIT_TRY(fcfit_aln_tables_create(&t, &g, &nr));
    for (int i = 0; i < 4; i++) {
        FCFIT_TRY(load(path, table_names[i], g.n_mu, g.n_sigma, &m));
        memcpy(table_ptr(t, i), m.data, g.n_mu * g.n_sigma * sizeof(double));
        fcfit_matrix_free(&m);
    }
    FCFIT_TRY(fcfit_aln_tables_validate(t, path));
    *out = t;
    t = NULL;
cleanup:
    fcfit_matrix_free(&mu);
    fcfit_matrix_free(&sg);
    fcfit_matrix_free(&m);
    fcfit_aln_tables_destroy(&t);
    return st;
}
