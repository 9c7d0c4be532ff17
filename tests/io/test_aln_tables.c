/*
 * test_aln_tables.c: the ALN tables against neurolib's reference file, and
 * their HDF5 form.
 *
 *   - every entry of the built-in tables (made by fcfit's generator) against
 *     ../shared/data/neurolib_aln_tables/quantities_cascade.h5: r_ss and
 *     V_mean_ss to 1e-9 relative, tau_mu_exp and tau_sigma_exp to the fit's
 *     grid value (|difference| < 0.0005 ms); the axes equal;
 *   - a sample of grid points spread over the whole grid (200 in a release
 *     build, 6 in a debug or sanitizer build) recomputed by the generator here
 *     and compared with the reference at the same tolerances;
 *   - write + read round trip is bitwise; files with a missing dataset, a
 *     table whose shape does not match the axes, uneven axes, a missing or
 *     invalid neuron parameter, or invalid entries are refused with
 *     FCFIT_ERR_INPUT naming the file.
 *
 * The reference part is skipped (with a message) when the shared data are
 * absent (FCFIT_SHARED_DATA, default: ../shared/data beside the project).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "fcfit/fcfit_aln_io.h"
#include "fcfit/fcfit_aln_tables.h"
#include "fcfit/fcfit_matrix_io.h"
#include "fcfit_test.h"

#ifndef FCFIT_SOURCE_DIR
#error "FCFIT_SOURCE_DIR must be defined by the build"
#endif

/* Sanitizer builds (gcc's Debug one and clang's RelWithDebInfo fuzzing one) take the short sample. */
#if defined(__SANITIZE_ADDRESS__)
#define FCFIT_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FCFIT_TEST_SANITIZED 1
#endif
#endif

#if defined(NDEBUG) && !defined(FCFIT_TEST_SANITIZED)
#define N_SAMPLE 200
#else
#define N_SAMPLE 6
#endif

static const char *const names[4] = {"r_ss", "V_mean_ss", "tau_mu_exp", "tau_sigma_exp"};

/* Entry k of table i of t. */
static double entry(const fcfit_aln_tables *t, int i, size_t k)
{
    const double *p[4] = {t->r_ss, t->V_mean_ss, t->tau_mu_exp, t->tau_sigma_exp};
    return p[i][k];
}

static int close_enough(int i, double got, double want)
{
    if (i < 2) {
        return fabs(got - want) <= 1e-9 * fabs(want);
    }
    return fabs(got - want) < 5e-4;
}

static int reference(const fcfit_aln_tables *t, const char *dir)
{
    char path[2048], spec[2200];
    fcfit_matrix ref[4] = {{0}}, mu = {0}, sg = {0};
    const size_t ns = t->grid.n_sigma, nt = t->grid.n_mu * ns;
    int ok = 1;

    snprintf(path, sizeof path, "%s/neurolib_aln_tables/quantities_cascade.h5", dir);
    if (access(path, R_OK) != 0) {
        printf("SKIP: %s is absent; the reference comparison did not run\n", path);
        return 0;
    }
    for (int i = 0; i < 4; i++) {
        snprintf(spec, sizeof spec, "%s:%s", path, names[i]);
        CHECK_OK(fcfit_matrix_load(spec, &ref[i]));
        ok &= ref[i].rows == t->grid.n_mu && ref[i].cols == ns;
    }
    snprintf(spec, sizeof spec, "%s:mu_vals", path);
    CHECK_OK(fcfit_matrix_load(spec, &mu));
    snprintf(spec, sizeof spec, "%s:sigma_vals", path);
    CHECK_OK(fcfit_matrix_load(spec, &sg));
    CHECK_TRUE(ok && mu.rows == t->grid.n_mu && sg.rows == ns);
    if (!ok || mu.rows != t->grid.n_mu || sg.rows != ns) {
        goto done;
    }
    for (size_t m = 0; m < mu.rows; m++) {
        ok &= fabs(mu.data[m] - (t->grid.mu0 + (double)m * t->grid.dmu)) < 1e-12;
    }
    for (size_t s = 0; s < sg.rows; s++) {
        ok &= fabs(sg.data[s] - (t->grid.sigma0 + (double)s * t->grid.dsigma)) < 1e-12;
    }
    CHECK_TRUE(ok);

    /* Every entry of the built-in tables. */
    for (int i = 0; i < 4; i++) {
        size_t bad = 0, worst = 0;
        double wmax = 0.0;
        for (size_t k = 0; k < nt; k++) {
            const double got = entry(t, i, k), want = ref[i].data[k];
            const double err = i < 2 ? fabs(got - want) / fabs(want) : fabs(got - want);
            bad += !close_enough(i, got, want);
            if (err > wmax) {
                wmax = err;
                worst = k;
            }
        }
        printf("     %s: %zu entries, %zu outside the tolerance, largest %s difference %.3g at "
               "(%zu, %zu)\n",
               names[i], nt, bad, i < 2 ? "relative" : "absolute", wmax, worst / ns, worst % ns);
        CHECK_INT(bad, 0);
    }

    /* A sample recomputed here: a lattice over the grid plus the four corners. */
    {
        fcfit_aln_gen *gen = NULL;
        size_t bad = 0, done = 0;
        CHECK_OK(fcfit_aln_gen_create(&gen, &t->neuron));
        for (size_t q = 0; gen != NULL && q < N_SAMPLE; q++) {
            size_t m, s;
            if (q < 4) {
                m = (q & 1) ? t->grid.n_mu - 1 : 0;
                s = (q & 2) ? ns - 1 : 0;
            } else {
                /* A golden-ratio lattice: spread evenly over the whole grid. */
                const double u = fmod((double)q * 0.6180339887498949, 1.0);
                m = (size_t)((double)q / N_SAMPLE * (double)t->grid.n_mu);
                s = (size_t)(u * (double)ns);
            }
            fcfit_aln_point p;
            const size_t k = m * ns + s;
            if (fcfit_aln_gen_point(gen, t->grid.mu0 + (double)m * t->grid.dmu,
                                    t->grid.sigma0 + (double)s * t->grid.dsigma, &p) != FCFIT_OK) {
                bad++;
                continue;
            }
            const double got[4] = {p.r_ss, p.V_mean_ss, p.tau_mu_exp, p.tau_sigma_exp};
            for (int i = 0; i < 4; i++) {
                if (!close_enough(i, got[i], ref[i].data[k])) {
                    bad++;
                    printf("     (%zu, %zu) %s: %.17g vs reference %.17g\n", m, s, names[i],
                           got[i], ref[i].data[k]);
                }
            }
            done++;
        }
        fcfit_aln_gen_destroy(&gen);
        printf("     %zu grid points recomputed, %zu values outside the tolerance\n", done, bad);
        CHECK_INT(done, N_SAMPLE);
        CHECK_INT(bad, 0);
    }
done:
    for (int i = 0; i < 4; i++) {
        fcfit_matrix_free(&ref[i]);
    }
    fcfit_matrix_free(&mu);
    fcfit_matrix_free(&sg);
    return 1;
}

/* Write a small valid file and then damage it in one way (what: which damage). */
static void write_damaged(const char *path, const fcfit_aln_tables *t, const char *what)
{
    hid_t f;
    CHECK_OK(fcfit_aln_tables_write(path, t, "test"));
    if (strcmp(what, "none") == 0) {
        return;
    }
    f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    CHECK_TRUE(f >= 0);
    if (f < 0) {
        return;
    }
    if (strcmp(what, "missing") == 0) {
        H5Ldelete(f, "tau_mu_exp", H5P_DEFAULT);
    } else if (strcmp(what, "param") == 0) {
        H5Ldelete(f, "params/Tref", H5P_DEFAULT);
    } else if (strcmp(what, "shape") == 0 || strcmp(what, "uneven") == 0 ||
               strcmp(what, "entry") == 0) {
        /* Replace a dataset by one of another shape or with other values. */
        const char *ds = strcmp(what, "shape") == 0 ? "r_ss"
                         : strcmp(what, "uneven") == 0 ? "mu_vals"
                                                       : "tau_mu_exp";
        const size_t nm = t->grid.n_mu, ns = t->grid.n_sigma;
        double *buf = calloc(nm * ns + nm, sizeof(double));
        hsize_t dims[2] = {nm, ns - 1};
        int rank = 2;
        H5Ldelete(f, ds, H5P_DEFAULT);
        if (strcmp(what, "uneven") == 0) {
            rank = 1;
            dims[0] = nm;
            for (size_t m = 0; m < nm; m++) {
                buf[m] = (double)(m * m);
            }
        } else if (strcmp(what, "entry") == 0) {
            dims[1] = ns;
            for (size_t k = 0; k < nm * ns; k++) {
                buf[k] = 1.0;
            }
            buf[3] = -1.0; /* a negative time constant */
        }
        hid_t sp = H5Screate_simple(rank, dims, NULL);
        hid_t d = H5Dcreate2(f, ds, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        CHECK_TRUE(d >= 0 && H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
        H5Dclose(d);
        H5Sclose(sp);
        free(buf);
    }
    H5Fclose(f);
}

static void file_form(void)
{
    fcfit_aln_grid g = {0.0, 0.5, 5, 1.0, 0.25, 4};
    fcfit_aln_neuron nr;
    fcfit_aln_tables *t = NULL, *u = NULL;
    char path[512];
    const size_t nt = g.n_mu * g.n_sigma;

    fcfit_aln_neuron_default(&nr);
    nr.C = 250.0;
    CHECK_OK(fcfit_aln_tables_create(&t, &g, &nr));
    if (t == NULL) {
        return;
    }
    for (size_t k = 0; k < nt; k++) {
        t->r_ss[k] = 1e-3 * (double)k;
        t->V_mean_ss[k] = -60.0 + 0.1 * (double)k;
        t->tau_mu_exp[k] = 0.001 + 0.01 * (double)(k + 1);
        t->tau_sigma_exp[k] = k % 3 == 0 ? 0.0 : 0.5;
    }
    snprintf(path, sizeof path, "aln_tables_test_%ld.h5", (long)getpid());
    write_damaged(path, t, "none");
    CHECK_OK(fcfit_aln_tables_read(path, &u));
    if (u != NULL) {
        CHECK_BITWISE(u->r_ss, t->r_ss, nt);
        CHECK_BITWISE(u->V_mean_ss, t->V_mean_ss, nt);
        CHECK_BITWISE(u->tau_mu_exp, t->tau_mu_exp, nt);
        CHECK_BITWISE(u->tau_sigma_exp, t->tau_sigma_exp, nt);
        CHECK_REL(u->neuron.C, 250.0, 0.0);
        CHECK_REL(u->grid.dmu, 0.5, 1e-15);
        CHECK_INT(u->grid.n_sigma, 4);
    }
    fcfit_aln_tables_destroy(&u);

    write_damaged(path, t, "missing");
    CHECK_FAILS(fcfit_aln_tables_read(path, &u), FCFIT_ERR_INPUT, path);
    CHECK_FAILS(fcfit_aln_tables_read(path, &u), FCFIT_ERR_INPUT, "tau_mu_exp");
    write_damaged(path, t, "shape");
    CHECK_FAILS(fcfit_aln_tables_read(path, &u), FCFIT_ERR_INPUT, "expected 5 x 4");
    write_damaged(path, t, "uneven");
    CHECK_FAILS(fcfit_aln_tables_read(path, &u), FCFIT_ERR_INPUT, "evenly spaced");
    write_damaged(path, t, "param");
    CHECK_FAILS(fcfit_aln_tables_read(path, &u), FCFIT_ERR_INPUT, "params/Tref");
    write_damaged(path, t, "entry");
    CHECK_FAILS(fcfit_aln_tables_read(path, &u), FCFIT_ERR_INPUT, "tau_mu > 0");
    CHECK_FAILS(fcfit_aln_tables_read("no_such_tables.h5", &u), FCFIT_ERR_INPUT,
                "no_such_tables.h5");
    CHECK_TRUE(u == NULL);
    remove(path);
    fcfit_aln_tables_destroy(&t);
}

int main(void)
{
    fcfit_aln_tables *t = NULL;
    const char *env = getenv("FCFIT_SHARED_DATA");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", env != NULL ? env : FCFIT_SOURCE_DIR "/../shared/data");
    file_form();
    CHECK_OK(fcfit_aln_tables_builtin(&t));
    if (t != NULL) {
        reference(t, dir);
    }
    fcfit_aln_tables_destroy(&t);
    return fcfit_test_finish();
}
