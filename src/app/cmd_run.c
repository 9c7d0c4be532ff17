/*
 * cmd_run.c: `mpirun -n P fcfit run JOB [-o results.h5] [--set ...] [--force]`.
 *
 * MPI is initialised here (the other commands never need it). Rank 0 reads
 * and checks the job; every rank learns the verdict before anything else
 * happens, so a bad job ends on all ranks with exit code 2 and one message.
 * Signals: every rank catches SIGINT, SIGTERM, SIGUSR1 and SIGUSR2 from
 * the start of main() on, before MPI_Init (mpirun forwards SIGUSR1 and
 * SIGUSR2 to the ranks; SIGTERM and SIGINT make mpirun itself abort the job,
 * docs/slurm.md). A signal before the job is read stops the run with exit
 * code 3 before anything is written; later ones stop the dispatch (run.c);
 * a worker that is signalled tells rank 0, which stops everyone.
 */
#include <mpi.h>
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "fcfit/fcfit_log.h"
#include "fcfit/fcfit_run.h"
#include "fcfit/fcfit_util.h"

int app_silent_error = 0;

fcfit_status app_cmd_run(const app_args *a)
{
    fcfit_status st = FCFIT_OK;
    fcfit_job *job = NULL;
    MPI_Comm comm = MPI_COMM_NULL;
    int rank = 0, size = 1, code, provided = 0;
    fcfit_run_opts opts;
    double t0 = fcfit_wtime();

    FCFIT_REQUIRE(a->point < 0, FCFIT_ERR_USAGE, "--point is an option of fcfit simulate");
    /* Optimizer instances run in threads of rank 0, but only the main thread calls MPI. */
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        FCFIT_FAIL(FCFIT_ERR_MPI, "MPI_Init_thread failed");
    }
    MPI_Comm_dup(MPI_COMM_WORLD, &comm);
    MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    fcfit_log_set_rank(size > 1 ? rank : -1, 0);
    /* Again after MPI_Init, in case the MPI library changed a disposition. */
    app_install_signal_handlers();
    fcfit_test_pause("init");

    if (rank == 0) {
        st = app_load_job(a, &job);
        fcfit_test_pause("load");
        if (st == FCFIT_OK && app_stop_signal != 0) {
            st = fcfit_error_set(FCFIT_ERR_INTERRUPTED, __FILE__, __LINE__, __func__,
                                 "stopped by signal %d while reading the job, before anything "
                                 "was written; run the same command again",
                                 (int)app_stop_signal);
        }
    }
    code = (int)st;
    MPI_Bcast(&code, 1, MPI_INT, 0, comm);
    if (code == 0) {
        const char **names = NULL, **values = NULL;
        memset(&opts, 0, sizeof opts);
        opts.stop = &app_stop_signal;
        opts.force = a->force;
        if (rank == 0) {
            opts.output = app_output_path(a, job);
            opts.n_attrs = app_provenance(job, a, &names, &values);
            opts.attr_names = names;
            opts.attr_values = values;
            fcfit_log(FCFIT_LOG_INFO, "job %s: %s on %zu regions, %zu ranks", job->hash_hex,
                      job->model->name, job->n, (size_t)size);
        }
        st = fcfit_run(comm, job, &opts);
        if (rank == 0 && (st == FCFIT_OK || st == FCFIT_ERR_INTERRUPTED)) {
            fcfit_log(FCFIT_LOG_INFO, "%s %s in %.1f s (fcfit report %s)",
                      st == FCFIT_OK ? "finished" : "stopped", opts.output, fcfit_wtime() - t0,
                      opts.output);
        }
    } else if (rank != 0) {
        st = (fcfit_status)code;
    }
    if (rank != 0) {
        /* Rank 0 reports; the other ranks only share its exit code. */
        app_silent_error = 1;
    }
    fcfit_job_destroy(&job);
    MPI_Comm_free(&comm);
    MPI_Finalize();
    return st;
}
