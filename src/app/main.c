/*
 * main.c: argument parsing, dispatch to the subcommands, exit codes.
 *
 * Exit codes (also in README.md and docs/exit-codes.md):
 *   0  success
 *   1  runtime failure
 *   2  bad command line, job file or input data (nothing was run)
 *   3  stopped early by a signal (SIGINT, SIGTERM, SIGUSR1, SIGUSR2); resumable
 *
 * Foreign libraries are set up here, once: GSL's abort-on-error handler is
 * turned off (we check return codes), OpenBLAS is pinned to one thread
 * (ranks are the parallelism; a thread count must not change results),
 * HDF5's automatic error printing is turned off by the io module before it
 * works.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "app/app.h"
#include "fcfit/fcfit_build_info.h"
#include "fcfit/fcfit_fc.h"
#include "fcfit/fcfit_log.h"
#include "fcfit/fcfit_util.h"

volatile sig_atomic_t app_stop_signal = 0;

static void on_signal(int sig)
{
    if (app_stop_signal == 0) {
        app_stop_signal = sig;
    }
}

/*
 * The handler only records the first signal; the long-running loops poll it. SA_RESTART keeps
 * a signal from failing a read or write that happens to be in progress (MPI-IO, HDF5 and the
 * pipes of the reader processes do not all retry on EINTR). Safe to call more than once.
 */
void app_install_signal_handlers(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGUSR1, SIGUSR2};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (size_t k = 0; k < sizeof sigs / sizeof sigs[0]; k++) {
        sigaddset(&sa.sa_mask, sigs[k]);
    }
    for (size_t k = 0; k < sizeof sigs / sizeof sigs[0]; k++) {
        sigaction(sigs[k], &sa, NULL);
    }
}

const char *app_version_line(void)
{
    static char line[256];
    snprintf(line, sizeof line, "fcfit %s (git %s, %s)", FCFIT_VERSION, FCFIT_GIT_HASH,
             FCFIT_BUILD_FLAGS);
    return line;
}

/* One entry per command: synopsis, what it does, its options. `fcfit CMD --help` prints it. */
static const struct cmd_help {
    const char *name, *synopsis, *what, *options;
} cmd_helps[] = {
    {"run", "mpirun -n P fcfit run JOB [-o results.h5] [--set key=value ...] [--config FILE ...] "
            "[--force]",
     "Run the job's search stages (sweep, optimize, refine, validate) on P MPI ranks: rank 0\n"
     "coordinates, the others simulate (with one rank, rank 0 does both). The results file is\n"
     "resumable: after a signal, a time limit or kill -9, run the same command again. Under\n"
     "mpirun, -q keeps Open MPI from printing its abort banner when fcfit exits 3.",
     "  -o, --output PATH    results file (default: the job's output.path)\n"
     "  --force              replace a results file written by another job\n"},
    {"simulate", "fcfit simulate JOB [-o out.h5] [--point K] [--replicate R]\n"
                 "       [--from RESULTS.h5 [--stage NAME --row K]] [--set ...] [--force]",
     "Simulate once: the job's parameters, sweep point K, or the fit's answer (or any row) of a\n"
     "results file with its noise seed; write BOLD, FC, the BOLD drive's regional means and the\n"
     "scores to HDF5 (docs/output-format.md).",
     "  -o, --output PATH    output file (default: the job's output.path)\n"
     "  --point K            sweep point K (its task id and seed)\n"
     "  --replicate R        noise replicate R (0 .. sim.replicates - 1)\n"
     "  --from RESULTS.h5    take parameters and seed from a results file of this job\n"
     "  --stage NAME --row K with --from: that row instead of the fit's answer\n"
     "  --force              replace an existing file that is not a simulate output\n"},
    {"report", "fcfit report RESULTS.h5 [--top K] [--stage NAME] [--sort SCORE] [--subjects] "
               "[--csv]",
     "Each stage's progress, failures by reason, best rows and optimizer traces, the validation\n"
     "and the fit's answer.",
     "  --top K              rows shown per stage (default 10)\n"
     "  --stage NAME         one stage only (sweep, optimize, refine, validate)\n"
     "  --sort SCORE         rank the rows by this score (in its own sense) instead of the\n"
     "                       objective\n"
     "  --subjects           the per-subject scores of the best rows\n"
     "  --csv                one stage's rows as CSV on stdout (with --stage when several)\n"},
    {"check", "fcfit check JOB [--set key=value ...] [--config FILE ...]",
     "Validate the job (keys, input files, sizes, bounds) and print what would run, without\n"
     "running anything.",
     ""},
    {"models", "fcfit models [NAME]",
     "List the models, or one model's state variables and parameters (default, bounds, unit,\n"
     "help).",
     ""},
    {"keys", "fcfit keys [--markdown]",
     "List every job key with its type, bounds, default and help.",
     "  --markdown           the Markdown reference (docs/job-reference.md)\n"},
    {"tables", "mpirun -n P fcfit tables aln [--set model.aln.C=200 ...] -o tables.h5 "
               "[--compact FILE]",
     "Compute the ALN transfer-function tables for other neuron parameters (docs/models/aln.md).",
     "  -o, --output PATH    the tables file (HDF5)\n"
     "  --compact FILE       also write the compact binary form\n"},
    {"bench", "fcfit bench [--data DIR] [--only NAME,...] [--quick] [--list] [--markdown]",
     "Standard workloads: node-steps per CPU-second and memory, each in a child process\n"
     "(docs/performance.md).",
     "  --data DIR           the real-data workloads' directory\n"
     "  --only NAME,...      these workloads only (--list names them)\n"
     "  --quick              shorter runs\n"
     "  --markdown           a Markdown table\n"},
};

static const char common_options[] =
    "common options:\n"
    "  --set key.path=value  override a job key (value read as YAML; null: back to the default\n"
    "                        or unset; sweep.params.model.rww.G=... sets one swept parameter)\n"
    "  --config FILE         apply a YAML fragment (e.g. configs/*.yaml) after the job file\n"
    "  --log-level LEVEL     error, warning, info or debug\n"
    "  -h, --help            this command's usage\n";

/* `fcfit CMD --help`: that command's usage only. Returns 0 when CMD is not a command. */
static int command_usage(const char *cmd, FILE *out)
{
    for (size_t k = 0; k < sizeof cmd_helps / sizeof cmd_helps[0]; k++) {
        const struct cmd_help *h = &cmd_helps[k];
        if (strcmp(cmd, h->name) == 0) {
            fprintf(out, "usage: %s\n\n%s\n\n", h->synopsis, h->what);
            if (h->options[0] != '\0') {
                fprintf(out, "options:\n%s\n", h->options);
            }
            fprintf(out, "%s\nexit codes: 0 success, 1 runtime failure, 2 bad command line, job "
                         "file or input data,\n            3 stopped early by a signal "
                         "(resumable)\n",
                    common_options);
            return 1;
        }
    }
    return 0;
}

const char *app_signal_name(int sig)
{
    static char other[32];
    switch (sig) {
    case SIGINT:
        return "SIGINT";
    case SIGTERM:
        return "SIGTERM";
    case SIGUSR1:
        return "SIGUSR1";
    case SIGUSR2:
        return "SIGUSR2";
    case SIGHUP:
        return "SIGHUP";
    case SIGQUIT:
        return "SIGQUIT";
    default:
        snprintf(other, sizeof other, "signal %d", sig);
        return other;
    }
}

static void usage(FILE *out)
{
    fprintf(out,
            "fcfit: fit whole-brain neural mass models to empirical functional connectivity\n"
            "\n"
            "usage:\n"
            "  mpirun -n P fcfit run JOB [-o results.h5] [--set key=value ...] [--force]\n"
            "                                  run the job's search stages; resumable: run the same "
            "command again\n"
            "  fcfit report RESULTS.h5 [--top K] [--stage NAME] [--sort SCORE] [--subjects] "
            "[--csv]\n"
            "                                  each stage's progress, failures, best points and "
            "traces,\n"
            "                                  and the fit; --stage NAME --csv exports one stage\n"
            "  fcfit simulate JOB [-o out.h5] [--set key=value ...] [--force] [--point K] "
            "[--replicate R]\n"
            "                 [--from RESULTS.h5 [--stage NAME --row K]]\n"
            "                                  run the job's parameters (or sweep point K, or the "
            "fit's answer or\n"
            "                                  any row of a results file) once; write BOLD, FC, "
            "scores\n"
            "  fcfit check JOB [--set key=value ...]\n"
            "                                  validate the job and print what would run\n"
            "  fcfit models [NAME]             list the models, or one model's parameters\n"
            "  fcfit keys [--markdown]         list every job key (type, default, bounds, help)\n"
            "  mpirun -n P fcfit tables aln [--set model.aln.C=200 ...] -o tables.h5\n"
            "                                  compute ALN transfer-function tables for other "
            "neuron parameters\n"
            "  fcfit bench [--data DIR] [--only NAME,...] [--quick] [--list] [--markdown]\n"
            "                                  standard workloads: node-steps per CPU-second, "
            "memory\n"
            "  fcfit --version                 version and git hash\n"
            "\n"
            "options:\n"
            "  --set key.path=value            override a job key (value read as YAML)\n"
            "  --config FILE                   apply a YAML fragment (e.g. configs/*.yaml) after "
            "the job file\n"
            "  -o, --output PATH               output file (default: output.path)\n"
            "  --force                         replace an output that is not from this command\n"
            "  --log-level LEVEL               error, warning, info or debug\n"
            "  -h, --help                      with a command: that command's usage\n"
            "\n"
            "exit codes: 0 success, 1 runtime failure, 2 bad command line, job file or input "
            "data,\n"
            "            3 stopped early by a signal (resumable)\n");
}

static fcfit_status parse_args(int argc, char **argv, app_args *a)
{
    size_t total = 0;
    a->sets = calloc((size_t)argc + 1, sizeof *a->sets);
    a->configs = calloc((size_t)argc + 1, sizeof *a->configs);
    FCFIT_REQUIRE(a->sets != NULL && a->configs != NULL, FCFIT_ERR_NOMEM, "out of memory");
    a->point = -1;
    a->row = -1;
    a->top = 10;
    for (int k = 0; k < argc; k++) {
        total += strlen(argv[k]) + 3;
    }
    a->command_line = calloc(total + 1, 1);
    FCFIT_REQUIRE(a->command_line != NULL, FCFIT_ERR_NOMEM, "out of memory");
    for (int k = 0; k < argc; k++) {
        strcat(a->command_line, k > 0 ? " " : "");
        strcat(a->command_line, argv[k]);
    }
    for (int k = 1; k < argc; k++) {
        const char *s = argv[k];
        const char *next = k + 1 < argc ? argv[k + 1] : NULL;
#define NEED_VALUE(opt)                                                                            \
    do {                                                                                           \
        FCFIT_REQUIRE(next != NULL, FCFIT_ERR_USAGE, "%s needs a value", (opt));                   \
        k++;                                                                                       \
    } while (0)
        if (strcmp(s, "--set") == 0) {
            NEED_VALUE(s);
            a->sets[a->n_sets++] = next;
        } else if (strncmp(s, "--set=", 6) == 0) {
            a->sets[a->n_sets++] = s + 6;
        } else if (strcmp(s, "--config") == 0 || strncmp(s, "--config=", 9) == 0) {
            const char *file = s[8] == '=' ? s + 9 : next;
            if (s[8] != '=') {
                NEED_VALUE(s);
            }
            FCFIT_REQUIRE(access(file, R_OK) == 0, FCFIT_ERR_USAGE,
                          "--config %s: cannot read the configuration file: %s", file,
                          strerror(errno));
            a->configs[a->n_configs++] = file;
        } else if (strcmp(s, "-o") == 0 || strcmp(s, "--output") == 0 ||
                   strncmp(s, "--output=", 9) == 0) {
            if (s[1] == 'o' || s[8] != '=') {
                NEED_VALUE(s);
                a->output = next;
            } else {
                a->output = s + 9;
            }
            FCFIT_REQUIRE(a->output[0] != '\0', FCFIT_ERR_USAGE,
                          "%s: the output path is empty; expected a file name such as out.h5", s);
        } else if (strcmp(s, "--force") == 0) {
            a->force = 1;
        } else if (strcmp(s, "--markdown") == 0) {
            a->markdown = 1;
        } else if (strcmp(s, "--csv") == 0) {
            a->csv = 1;
        } else if (strcmp(s, "--subjects") == 0) {
            a->subjects = 1;
        } else if (strcmp(s, "--sort") == 0) {
            NEED_VALUE(s);
            a->sort = next;
        } else if (strcmp(s, "--compact") == 0) {
            NEED_VALUE(s);
            a->compact = next;
        } else if (strcmp(s, "--log-level") == 0) {
            NEED_VALUE(s);
            a->log_level = next;
        } else if (strcmp(s, "--stage") == 0) {
            NEED_VALUE(s);
            a->stage = next;
        } else if (strcmp(s, "--from") == 0) {
            NEED_VALUE(s);
            a->from = next;
        } else if (strcmp(s, "--data") == 0) {
            NEED_VALUE(s);
            a->data_dir = next;
        } else if (strcmp(s, "--only") == 0) {
            NEED_VALUE(s);
            a->only = next;
        } else if (strcmp(s, "--quick") == 0) {
            a->quick = 1;
        } else if (strcmp(s, "--list") == 0) {
            a->list = 1;
        } else if (strcmp(s, "--top") == 0 || strcmp(s, "--point") == 0 ||
                   strcmp(s, "--replicate") == 0 || strcmp(s, "--row") == 0) {
            char *end = NULL;
            long v;
            NEED_VALUE(s);
            v = strtol(next, &end, 10);
            FCFIT_REQUIRE(end != NULL && *end == '\0' && v >= 0, FCFIT_ERR_USAGE,
                          "%s %s: expected a non-negative integer", s, next);
            if (strcmp(s, "--top") == 0) {
                a->top = v;
            } else if (strcmp(s, "--point") == 0) {
                a->point = v;
            } else if (strcmp(s, "--row") == 0) {
                a->row = v;
            } else {
                a->replicate = v;
            }
        } else if (strcmp(s, "--version") == 0 || strcmp(s, "-V") == 0) {
            a->command = "version";
        } else if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
            a->help = 1;
        } else if (s[0] == '-' && s[1] != '\0') {
            FCFIT_FAIL(FCFIT_ERR_USAGE, "unknown option '%s' (fcfit --help lists the options)", s);
        } else if (a->command == NULL) {
            a->command = s;
        } else if (a->job_path == NULL) {
            a->job_path = s;
        } else if (a->name == NULL) {
            a->name = s;
        } else {
            FCFIT_FAIL(FCFIT_ERR_USAGE, "unexpected argument '%s'", s);
        }
#undef NEED_VALUE
    }
    return FCFIT_OK;
}

static fcfit_status cmd_version(void)
{
    printf("%s\n", app_version_line());
    return FCFIT_OK;
}

int main(int argc, char **argv)
{
    app_args a;
    fcfit_status st;

    memset(&a, 0, sizeof a);
    fcfit_log_start_clock();
    gsl_set_error_handler_off();
    fcfit_fc_blas_single_thread();
    st = parse_args(argc, argv, &a);
    if (st == FCFIT_OK && a.command != NULL && strcmp(a.command, "run") == 0) {
        /* `run` stops cleanly on a signal at any moment: the handlers exist before MPI_Init and
         * before the job is read (cmd_run.c checks the flag at every step). */
        app_install_signal_handlers();
        fcfit_test_pause("start");
    }
    if (st == FCFIT_OK && a.log_level != NULL) {
        static const char *const lv[] = {"error", "warning", "info", "debug"};
        int found = 0;
        for (int k = 0; k < 4; k++) {
            if (strcmp(a.log_level, lv[k]) == 0) {
                fcfit_log_set_level((fcfit_log_level)k);
                found = 1;
            }
        }
        if (!found) {
            st = fcfit_error_set(FCFIT_ERR_USAGE, __FILE__, __LINE__, __func__,
                                 "--log-level %s: expected error, warning, info or debug",
                                 a.log_level);
        }
    }
    if (st == FCFIT_OK && a.command != NULL) {
        /* Positional arguments each command takes: JOB / RESULTS, or a model NAME. */
        static const struct {
            const char *cmd;
            int max_pos;
        } arity[] = {{"simulate", 1}, {"check", 1}, {"run", 1}, {"report", 1}, {"models", 1},
                     {"tables", 1},   {"keys", 0},     {"version", 0}, {"help", 1},
                     {"bench", 0}};
        int npos = (a.job_path != NULL) + (a.name != NULL);
        for (size_t k = 0; k < sizeof arity / sizeof arity[0]; k++) {
            if (strcmp(a.command, arity[k].cmd) == 0 && npos > arity[k].max_pos) {
                st = fcfit_error_set(FCFIT_ERR_USAGE, __FILE__, __LINE__, __func__,
                                     "unexpected argument '%s' for %s (use -o for the output "
                                     "file; fcfit --help)",
                                     npos == 2 ? a.name : a.job_path, a.command);
            }
        }
    }
    if (st == FCFIT_OK && (a.help || (a.command != NULL && strcmp(a.command, "help") == 0))) {
        /* fcfit --help, fcfit CMD --help, fcfit help [CMD] */
        const char *cmd = a.command != NULL && strcmp(a.command, "help") != 0 ? a.command
                                                                               : a.job_path;
        if (cmd == NULL || !command_usage(cmd, stdout)) {
            usage(stdout);
        }
        a.command = "help-done";
    }
    if (st == FCFIT_OK && strcmp(a.command != NULL ? a.command : "", "help-done") == 0) {
        /* usage printed */
    } else if (st == FCFIT_OK) {
        if (a.command == NULL || strcmp(a.command, "help") == 0) {
            usage(a.command == NULL ? stderr : stdout);
            st = a.command == NULL ? fcfit_error_set(FCFIT_ERR_USAGE, __FILE__, __LINE__,
                                                     __func__, "no command given")
                                   : FCFIT_OK;
        } else if (strcmp(a.command, "version") == 0) {
            st = cmd_version();
        } else if (strcmp(a.command, "simulate") == 0) {
            st = app_cmd_simulate(&a);
        } else if (strcmp(a.command, "check") == 0) {
            st = app_cmd_check(&a);
        } else if (strcmp(a.command, "models") == 0) {
            st = app_cmd_models(&a);
        } else if (strcmp(a.command, "keys") == 0) {
            st = app_cmd_keys(&a);
        } else if (strcmp(a.command, "run") == 0) {
            st = app_cmd_run(&a);
        } else if (strcmp(a.command, "report") == 0) {
            st = app_cmd_report(&a);
        } else if (strcmp(a.command, "tables") == 0) {
            st = app_cmd_tables(&a);
        } else if (strcmp(a.command, "bench") == 0) {
            st = app_cmd_bench(&a);
        } else {
            st = fcfit_error_set(FCFIT_ERR_USAGE, __FILE__, __LINE__, __func__,
                                 "unknown command '%s'; commands: run, simulate, check, report, models, "
                                 "keys, tables, bench, --version (fcfit --help)",
                                 a.command);
        }
    }
    if (app_silent_error) {
        /* Another rank reported. */
    } else if (st != FCFIT_OK && st != FCFIT_ERR_INTERRUPTED) {
        fcfit_log_error_record();
    } else if (st == FCFIT_ERR_INTERRUPTED) {
        fcfit_log(FCFIT_LOG_WARN, "%s", fcfit_error_message());
    }
    free(a.sets);
    free(a.configs);
    free(a.command_line);
    if (app_silent_error) {
        /* MPI ranks other than 0: rank 0 carries the exit code (mpirun returns the first
         * non-zero one, and aborts the others when a rank exits non-zero first). */
        return 0;
    }
    return fcfit_status_exit_code(st);
}
