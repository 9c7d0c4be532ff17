/*
 * app.h: the command-line front end shared by the subcommands.
 *
 * Each subcommand is a function taking the parsed common options and
 * returning an fcfit_status; main() prints the recorded error once and
 * turns the status into the documented exit code (fcfit_status.h).
 */
#ifndef FCFIT_APP_H
#define FCFIT_APP_H

#include <signal.h>
#include <stddef.h>

#include "fcfit/fcfit_job.h"
#include "fcfit/fcfit_status.h"

typedef struct app_args {
    const char *command;   /* subcommand name */
    const char *job_path;  /* first positional argument (JOB or results file) */
    const char *name;      /* second positional (e.g. models NAME) */
    const char *output;    /* -o / --output */
    const char **sets;     /* --set key=value, in order */
    size_t n_sets;
    const char **configs;  /* --config FILE, in order */
    size_t n_configs;
    int force;             /* --force */
    int markdown;          /* --markdown */
    int csv;               /* --csv */
    int subjects;          /* --subjects (report) */
    const char *sort;      /* --sort SCORE (report) */
    int help;              /* --help / -h */
    long top;              /* --top K */
    long point;            /* --point K (task id), -1 when absent */
    long replicate;        /* --replicate R */
    const char *log_level; /* --log-level */
    const char *stage;     /* --stage NAME (report, simulate --from) */
    const char *from;      /* --from RESULTS.h5 (simulate a row of a run) */
    long row;              /* --row K (simulate --from), -1 when absent */
    const char *compact;   /* --compact FILE (fcfit tables) */
    const char *data_dir;  /* --data DIR (bench) */
    const char *only;      /* --only NAME[,NAME] (bench) */
    int quick;             /* --quick (bench) */
    int list;              /* --list (bench) */
    char *command_line;    /* the whole command line, for provenance */
} app_args;

/* Set by the signal handler; the long-running loops poll it between chunks. */
extern volatile sig_atomic_t app_stop_signal;

/** "SIGUSR1" for SIGUSR1 and so on ("signal N" for the others); static storage. */
const char *app_signal_name(int sig);

/** Install handlers for SIGINT, SIGTERM and SIGUSR1 that set app_stop_signal. */
void app_install_signal_handlers(void);

fcfit_status app_cmd_simulate(const app_args *a);
fcfit_status app_cmd_check(const app_args *a);
fcfit_status app_cmd_models(const app_args *a);
fcfit_status app_cmd_keys(const app_args *a);
fcfit_status app_cmd_run(const app_args *a);
fcfit_status app_cmd_report(const app_args *a);
fcfit_status app_cmd_tables(const app_args *a);
fcfit_status app_cmd_bench(const app_args *a);

/* Set on MPI ranks other than 0, which leave error reporting to rank 0. */
extern int app_silent_error;

/** Load the job named by the arguments (JOB + --set), applying --log-level / log.level. */
fcfit_status app_load_job(const app_args *a, fcfit_job **job);

/** The output path: -o, else output.path. */
const char *app_output_path(const app_args *a, const fcfit_job *job);

/** Print the "what would run" summary of a job to stdout. */
void app_print_job_summary(const fcfit_job *job, const char *output_path);

/** Provenance attributes (names and values, static storage until the next call). */
size_t app_provenance(const fcfit_job *job, const app_args *a, const char ***names,
                      const char ***values);

/** "fcfit 0.1.0 (git abc123, RelWithDebInfo)" */
const char *app_version_line(void);

#endif
