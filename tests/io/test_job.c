/*
 * test_job.c: jobs loaded from YAML files (include/fcfit/fcfit_job.h) and the plan that
 * carries them to the workers.
 *
 *  - fcfit_job_pack + fcfit_job_unpack give the same job: canonical text, hash, resolved
 *    parameters and options, raw connectome matrices and the bound connectome (weights,
 *    delays), target arrays (FC subjects, group FC, FCD), and no stages (they stay on rank 0),
 *    simulation and FC settings; and one task evaluated through fcfit_eval.h (one lane) gives
 *    bitwise identical status, scores and FC for the loaded and the unpacked job;
 *  - a corrupted or truncated plan is refused (FCFIT_ERR_PROTOCOL), never read past;
 *  - the job hash ignores the NOHASH keys (output.path, sim.chunk_ms, log.level,
 *    run.batch_lanes) and where input files live (a copy of the CSV connectome under another
 *    name gives the same hash), but changes with sim.seed, a swept value, or one weight;
 *    -0 and 0 (in a parameter, a swept value, a weight file) give the same hash;
 *  - inputs in other shapes give the same job: target BOLD stored time x regions (read by
 *    target.bold_layout auto or time_by_regions), the connectome as a TVB zip (with its
 *    region labels kept on the job); and the refusals: a layout that does not fit, square BOLD
 *    under auto, a TVB zip together with connectome.weights, an asymmetric or constant target
 *    FC, a synthetic target beyond its size limit.
 *
 * Fixtures (CSV connectome, tract lengths, BOLD, FC, a regional map, job files) are written
 * at run time into $FCFIT_TEST_TMP.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fcfit/fcfit_eval.h"
#include "fcfit/fcfit_job.h"
#include "fcfit/fcfit_pack.h"
#include "fcfit/fcfit_rng.h"
#include "fcfit_test.h"
#include "io_test_util.h"

#define NREG 6
#define NVOL 60


static void write_text(const char *name, const char *text)
{
    char p[1024];
    FILE *fp = fopen(tmp_path(p, sizeof p, name), "w");
    if (fp == NULL) {
        printf("cannot write %s\n", p);
        exit(1);
    }
    fputs(text, fp);
    fclose(fp);
}

static void write_matrix(const char *name, size_t rows, size_t cols, const double *m)
{
    char p[1024];
    FILE *fp = fopen(tmp_path(p, sizeof p, name), "w");
    if (fp == NULL) {
        printf("cannot write %s\n", p);
        exit(1);
    }
    for (size_t i = 0; i < rows; i++) {
        for (size_t j = 0; j < cols; j++) {
            fprintf(fp, "%s%.17g", j > 0 ? "," : "", m[i * cols + j]);
        }
        fputc('\n', fp);
    }
    fclose(fp);
}

/* Deterministic uniform numbers in [0, 1) (a 64-bit LCG; the fixtures only need variety). */
static double lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0;
}

static void write_fixtures(void)
{
    double w[NREG * NREG], len[NREG * NREG], bold[NREG * NVOL], fc[NREG * NREG];
    double mean[NREG], sd[NREG];
    uint64_t s = 12345;
    for (size_t i = 0; i < NREG; i++) {
        for (size_t j = 0; j <= i; j++) {
            double v = i == j ? 0.0 : 0.1 + lcg(&s);
            double l = i == j ? 0.0 : 20.0 + 80.0 * lcg(&s);
            w[i * NREG + j] = w[j * NREG + i] = v;
            len[i * NREG + j] = len[j * NREG + i] = l;
        }
    }
    write_matrix("sc.csv", NREG, NREG, w);
    write_matrix("sc_copy.csv", NREG, NREG, w); /* the same bytes under another name */
    w[1 * NREG + 4] += 0.001;                   /* one weight changed (the matrix stays valid) */
    write_matrix("sc_one_changed.csv", NREG, NREG, w);
    w[1 * NREG + 4] -= 0.001;
    {
        /* The same weights with the zero diagonal written as -0. */
        char p[1024];
        FILE *fp = fopen(tmp_path(p, sizeof p, "sc_negzero.csv"), "w");
        for (size_t i = 0; fp != NULL && i < NREG; i++) {
            for (size_t j = 0; j < NREG; j++) {
                fprintf(fp, "%s%s", j > 0 ? "," : "", "");
                if (i == j) {
                    fprintf(fp, "-0");
                } else {
                    fprintf(fp, "%.17g", w[i * NREG + j]);
                }
            }
            fputc('\n', fp);
        }
        if (fp != NULL) {
            fclose(fp);
        }
    }
    write_matrix("len.csv", NREG, NREG, len);
    /* BOLD of a common signal plus noise, and its FC (a valid correlation matrix). */
    for (size_t t = 0; t < NVOL; t++) {
        double common = sin(0.3 * (double)t) + lcg(&s);
        for (size_t i = 0; i < NREG; i++) {
            bold[i * NVOL + t] = (0.3 + 0.1 * (double)i) * common + lcg(&s);
        }
    }
    for (size_t i = 0; i < NREG; i++) {
        mean[i] = 0.0;
        for (size_t t = 0; t < NVOL; t++) {
            mean[i] += bold[i * NVOL + t] / NVOL;
        }
        sd[i] = 0.0;
        for (size_t t = 0; t < NVOL; t++) {
            sd[i] += (bold[i * NVOL + t] - mean[i]) * (bold[i * NVOL + t] - mean[i]);
        }
        sd[i] = sqrt(sd[i]);
    }
    for (size_t i = 0; i < NREG; i++) {
        for (size_t j = 0; j < NREG; j++) {
            double c = 0.0;
            for (size_t t = 0; t < NVOL; t++) {
                c += (bold[i * NVOL + t] - mean[i]) * (bold[j * NVOL + t] - mean[j]);
            }
            fc[i * NREG + j] = i == j ? 1.0 : c / (sd[i] * sd[j]);
        }
    }
    write_matrix("bold.csv", NREG, NVOL, bold);
    {
        double bt[NREG * NVOL];
        for (size_t i = 0; i < NREG; i++) {
            for (size_t t = 0; t < NVOL; t++) {
                bt[t * NREG + i] = bold[i * NVOL + t];
            }
        }
        write_matrix("bold_t.csv", NVOL, NREG, bt); /* time x regions, as simulate writes it */
        write_matrix("bold_square.csv", NREG, NREG, bold);
    }
    write_matrix("fc.csv", NREG, NREG, fc);
    write_text("map.csv", "0.3\n1.2\n-0.4\n0.8\n2.0\n0.1\n");
}

/* A reduced Wong-Wang job on the CSV files: delays, two targets (FC file and BOLD with FCD),
 * a grid sweep of G and of a map slope. */
static const char *const RWW_JOB =
    "model:\n"
    "  name: rww\n"
    "  rww:\n"
    "    G: 0.6\n"
    "    w: [0.9, 0.85, 0.95, 0.9, 0.8, 1.0]\n"
    "connectome:\n"
    "  weights: sc.csv\n"
    "  lengths: len.csv\n"
    "  velocity_mm_per_ms: 5\n"
    "target:\n"
    "  fc: [fc.csv]\n"
    "  bold: [bold.csv]\n"
    "sim:\n"
    "  duration_s: 100\n"
    "  transient_s: 10\n"
    "  seed: 42\n"
    "  replicates: 2\n"
    "fc:\n"
    "  bandpass: false\n"
    "  fcd_window_s: 30\n"
    "sweep:\n"
    "  params:\n"
    "    model.rww.G: {linspace: [0.2, 1.0, 3]}\n"
    "    model.rww.I0: {map: map.csv, offset: 0.3, slope: {values: [-0.02, 0.02]}, "
    "normalize: zscore}\n"
    "output:\n"
    "  path: results.h5\n";

/* A Hopf job with a non-default option, a synthetic connectome and target, and a Sobol
 * sweep with a log-scaled range. */
static const char *const HOPF_JOB =
    "model:\n"
    "  name: hopf\n"
    "  hopf:\n"
    "    a: -0.02\n"
    "    coupling: diffusive_x\n"
    "connectome:\n"
    "  synthetic:\n"
    "    n_regions: 7\n"
    "    seed: 3\n"
    "target:\n"
    "  synthetic: true\n"
    "sim:\n"
    "  duration_s: 300\n"
    "  transient_s: 20\n"
    "  seed: 9\n"
    "bold:\n"
    "  model: direct\n"
    "  dt_ms: 100\n"
    "  tr_s: 2\n"
    "fc:\n"
    "  bandpass: false\n"
    "sweep:\n"
    "  sampler: sobol\n"
    "  n_points: 5\n"
    "  params:\n"
    "    model.hopf.G: {range: [0.01, 1.0], scale: log}\n"
    "    model.hopf.a: {range: [-0.5, -0.01]}\n";

static fcfit_job *load(const char *name, size_t n_sets, const char *const *sets)
{
    char p[1024];
    fcfit_job *job = NULL;
    fcfit_status st = fcfit_job_load(&job, tmp_path(p, sizeof p, name), n_sets, sets);
    if (st != FCFIT_OK) {
        printf("     loading %s: %s\n", name, fcfit_error_message());
        fcfit_error_clear();
    }
    return job;
}

static int same_bytes(const void *a, const void *b, size_t n)
{
    if (n == 0) {
        return 1;
    }
    return a != NULL && b != NULL && memcmp(a, b, n) == 0;
}

static int same_matrix(const fcfit_matrix *a, const fcfit_matrix *b)
{
    return a->rows == b->rows && a->cols == b->cols &&
           same_bytes(a->data, b->data, a->rows * a->cols * sizeof(double));
}

/* Evaluate sweep point `point`, replicate 0, through a one-lane evaluator. */
static fcfit_status eval_point(const fcfit_job *job, const fcfit_stage *sweep, size_t point,
                               fcfit_eval_result *res, float *fc, size_t M)
{
    fcfit_eval *ev = NULL;
    fcfit_eval_setup s;
    fcfit_status st = FCFIT_OK;
    uint64_t seed = fcfit_rng_derive(job->seed, sweep->task_base + point, 0);
    int stopped = 0;
    memset(&s, 0, sizeof s);
    s.model = job->model;
    s.conn = job->conn;
    s.sim = &job->sim;
    s.opt = job->opt;
    s.fcs = &job->fcs;
    s.target = job->target;
    FCFIT_TRY(fcfit_eval_create(&ev, &s, 1));
    fcfit_stage_point_params(sweep, job->params, sweep->points + point * sweep->n_dims,
                             fcfit_eval_params(ev, 0));
    FCFIT_TRY(fcfit_eval_run(ev, 1, &seed, NULL, NULL, &stopped));
    *res = *fcfit_eval_result_at(ev, 0);
    memcpy(fc, res->fc_upper, M * sizeof(float));
    res->fc_upper = NULL;
    res->subject_scores = NULL;
cleanup:
    fcfit_eval_destroy(&ev);
    return st;
}

static void check_round_trip(const char *name)
{
    fcfit_job *a = load(name, 0, NULL), *b = NULL;
    fcfit_packer p;
    size_t n;

    printf("---- plan round trip: %s\n", name);
    CHECK_TRUE(a != NULL && a->stages[FCFIT_STAGE_SWEEP] != NULL);
    if (a == NULL || a->stages[FCFIT_STAGE_SWEEP] == NULL) {
        return;
    }
    n = a->n;
    /* The fixtures exercise what the plan must carry: delays, FCD, a map; an option. */
    if (strcmp(name, "rww.yaml") == 0) {
        CHECK_TRUE(a->conn->delay != NULL && a->conn->max_delay > 0);
        CHECK_TRUE(a->target != NULL && a->target->has_fcd && a->target->n_subjects == 1);
        CHECK_TRUE(a->stages[FCFIT_STAGE_SWEEP]->n_maps == 1 && a->stages[FCFIT_STAGE_SWEEP]->n_points == 6);
    } else {
        CHECK_TRUE(a->stages[FCFIT_STAGE_SWEEP]->sampler == FCFIT_SAMPLER_SOBOL && a->stages[FCFIT_STAGE_SWEEP]->dims[0].log_scale);
        CHECK_TRUE(strstr(a->canonical, "diffusive_x") != NULL);
    }
    fcfit_pack_init(&p);
    CHECK_OK(fcfit_job_pack(a, &p));
    CHECK_OK(fcfit_job_unpack(p.buf, p.len, &b));
    CHECK_TRUE(b != NULL);
    if (b == NULL) {
        fcfit_pack_free(&p);
        fcfit_job_destroy(&a);
        return;
    }
    /* Identity and configuration. */
    CHECK_TRUE(strcmp(a->canonical, b->canonical) == 0);
    CHECK_TRUE(a->hash == b->hash && strcmp(a->hash_hex, b->hash_hex) == 0);
    CHECK_TRUE(a->model == b->model);
    CHECK_INT(b->n, n);
    CHECK_INT(b->replicates, a->replicates);
    CHECK_TRUE(b->seed == a->seed);
    CHECK_TRUE(same_bytes(a->params, b->params, a->model->n_params * n * sizeof(double)));
    CHECK_TRUE(same_bytes(a->opt, b->opt, a->model->n_options * sizeof(size_t)));
    /* The settings every evaluation uses. */
    CHECK_TRUE(a->sim.dt_ms == b->sim.dt_ms && a->sim.duration_ms == b->sim.duration_ms &&
               a->sim.transient_ms == b->sim.transient_ms &&
               a->sim.chunk_steps == b->sim.chunk_steps &&
               a->sim.integrator == b->sim.integrator && a->sim.noise == b->sim.noise &&
               a->sim.bold_dt_ms == b->sim.bold_dt_ms && a->sim.tr_ms == b->sim.tr_ms &&
               a->sim.bold_kind == b->sim.bold_kind && a->sim.bold_form == b->sim.bold_form &&
               a->sim.drive_mode == b->sim.drive_mode &&
               same_bytes(&a->sim.bold, &b->sim.bold, sizeof a->sim.bold) &&
               a->sim.divergence_threshold == b->sim.divergence_threshold);
    CHECK_TRUE(a->fcs.bandpass == b->fcs.bandpass && a->fcs.bp_order == b->fcs.bp_order &&
               a->fcs.bp_lo_hz == b->fcs.bp_lo_hz && a->fcs.bp_hi_hz == b->fcs.bp_hi_hz &&
               a->fcs.detrend == b->fcs.detrend && a->fcs.fcd == b->fcs.fcd &&
               a->fcs.fcd_window_s == b->fcs.fcd_window_s &&
               a->fcs.fcd_step_s == b->fcs.fcd_step_s &&
               a->fcs.fcd_skip_overlap == b->fcs.fcd_skip_overlap);
    /* Connectome: the raw matrices and the bound form. */
    CHECK_TRUE(same_matrix(&a->weights, &b->weights));
    CHECK_TRUE(same_matrix(&a->lengths, &b->lengths));
    CHECK_TRUE(a->conn->n == b->conn->n && a->conn->nnz == b->conn->nnz &&
               a->conn->max_delay == b->conn->max_delay);
    CHECK_TRUE(same_bytes(a->conn->weights, b->conn->weights, n * n * sizeof(double)));
    CHECK_TRUE(same_bytes(a->conn->strength, b->conn->strength, n * sizeof(double)));
    CHECK_TRUE((a->conn->delay == NULL) == (b->conn->delay == NULL));
    if (a->conn->delay != NULL && b->conn->delay != NULL) {
        CHECK_TRUE(same_bytes(a->conn->delay, b->conn->delay, n * n * sizeof(size_t)));
    }
    CHECK_TRUE(same_bytes(a->conn->val, b->conn->val, a->conn->nnz * sizeof(double)) &&
               same_bytes(a->conn->col, b->conn->col, a->conn->nnz * sizeof(size_t)) &&
               same_bytes(a->conn->row_ptr, b->conn->row_ptr, (n + 1) * sizeof(size_t)));
    /* Target. */
    CHECK_TRUE((a->target == NULL) == (b->target == NULL));
    if (a->target != NULL && b->target != NULL) {
        const fcfit_target *ta = a->target, *tb = b->target;
        CHECK_TRUE(ta->n == tb->n && ta->M == tb->M && ta->n_subjects == tb->n_subjects);
        CHECK_TRUE(same_bytes(ta->fc_upper, tb->fc_upper,
                              ta->n_subjects * ta->M * sizeof(double)));
        CHECK_TRUE(same_bytes(ta->fc_group, tb->fc_group, ta->n * ta->n * sizeof(double)));
        CHECK_TRUE(same_bytes(ta->fc_group_upper, tb->fc_group_upper, ta->M * sizeof(double)));
        CHECK_TRUE(same_bytes(&ta->fc_group_mean, &tb->fc_group_mean, sizeof(double)));
        CHECK_TRUE(ta->has_fcd == tb->has_fcd);
        if (ta->has_fcd && tb->has_fcd) {
            CHECK_TRUE(ta->n_fcd_pooled == tb->n_fcd_pooled &&
                       same_bytes(ta->fcd_pooled, tb->fcd_pooled,
                                  ta->n_fcd_pooled * sizeof(double)));
            for (size_t k = 0; k < ta->n_subjects; k++) {
                CHECK_TRUE(ta->n_fcd_subject[k] == tb->n_fcd_subject[k] &&
                           same_bytes(ta->fcd_subject[k], tb->fcd_subject[k],
                                      ta->n_fcd_subject[k] * sizeof(double)));
            }
        }
    }
    /* The stages stay on rank 0: tasks carry their parameters, so the plan has none. */
    for (int k = 0; k < FCFIT_STAGE_KIND_COUNT; k++) {
        CHECK_TRUE(b->stages[k] == NULL);
    }
    CHECK_TRUE(b->target2 == NULL && a->target2 == NULL);
    /* The plan of the unpacked job is the same bytes again. */
    {
        fcfit_packer q;
        fcfit_pack_init(&q);
        CHECK_OK(fcfit_job_pack(b, &q));
        CHECK_TRUE(q.len == p.len && memcmp(q.buf, p.buf, p.len) == 0);
        fcfit_pack_free(&q);
    }
    /* One task through the evaluator: the same bits from either job. */
    {
        size_t M = n * (n - 1) / 2, point = a->stages[FCFIT_STAGE_SWEEP]->n_points - 1;
        float *fa = calloc(M, sizeof(float)), *fb = calloc(M, sizeof(float));
        fcfit_eval_result ra, rb;
        memset(&ra, 0, sizeof ra);
        memset(&rb, 0, sizeof rb);
        CHECK_OK(eval_point(a, a->stages[FCFIT_STAGE_SWEEP], point, &ra, fa, M));
        CHECK_OK(eval_point(b, a->stages[FCFIT_STAGE_SWEEP], point, &rb, fb, M));
        CHECK_INT(ra.status, FCFIT_TASK_OK);
        CHECK_INT(rb.status, ra.status);
        CHECK_TRUE(strcmp(ra.reason, rb.reason) == 0);
        CHECK_TRUE(isfinite(ra.scores[0]));
        CHECK_BITWISE(ra.scores, rb.scores, FCFIT_SCORE_COUNT);
        CHECK_TRUE(memcmp(fa, fb, M * sizeof(float)) == 0);
        free(fa);
        free(fb);
    }
    /* Truncated or corrupted plans are refused. */
    {
        fcfit_job *c = NULL;
        int all_refused = 1;
        /* Every length would take long for a big plan; every 7th byte and the last 64. */
        for (size_t len = 0; len < p.len; len += (len + 64 < p.len ? 7 : 1)) {
            unsigned char *t = malloc(len > 0 ? len : 1);
            fcfit_status st;
            memcpy(t, p.buf, len);
            st = fcfit_job_unpack(t, len, &c);
            fcfit_error_clear();
            if (st == FCFIT_OK) {
                printf("     plan truncated to %zu of %zu bytes was accepted\n", len, p.len);
                all_refused = 0;
                fcfit_job_destroy(&c);
            }
            free(t);
        }
        CHECK_TRUE(all_refused);
        p.buf[0] ^= 1;
        CHECK_FAILS(fcfit_job_unpack(p.buf, p.len, &c), FCFIT_ERR_PROTOCOL, "magic");
        p.buf[0] ^= 1;
        {
            unsigned char *t = calloc(p.len + 8, 1);
            memcpy(t, p.buf, p.len);
            CHECK_FAILS(fcfit_job_unpack(t, p.len + 8, &c), FCFIT_ERR_PROTOCOL, "trailing");
            free(t);
        }
    }
    fcfit_pack_free(&p);
    fcfit_job_destroy(&a);
    fcfit_job_destroy(&b);
    CHECK_TRUE(a == NULL && b == NULL);
}

/* Hash of a job file with overrides; 0 when it does not load. */
static uint64_t hash_of(const char *name, size_t n_sets, const char *const *sets,
                        char **canonical)
{
    fcfit_job *job = load(name, n_sets, sets);
    uint64_t h = 0;
    if (job != NULL) {
        h = job->hash;
        if (canonical != NULL) {
            *canonical = strdup(job->canonical);
        }
    }
    fcfit_job_destroy(&job);
    return h;
}

static void check_hash(void)
{
    char *base_text = NULL, *other_text = NULL, p1[1024], set_w[1200];
    uint64_t base = hash_of("rww.yaml", 0, NULL, &base_text);

    printf("---- job hash\n");
    CHECK_TRUE(base != 0);
    /* NOHASH keys: the job text changes, the hash does not. */
    {
        const char *const sets[] = {"output.path=elsewhere/other.h5", "sim.chunk_ms=1234",
                                    "log.level=debug", "run.batch_lanes=4"};
        for (size_t k = 0; k < 4; k++) {
            uint64_t h = hash_of("rww.yaml", 1, &sets[k], &other_text);
            printf("     --set %s\n", sets[k]);
            CHECK_TRUE(h == base);
            CHECK_TRUE(other_text != NULL && strcmp(other_text, base_text) != 0);
            free(other_text);
            other_text = NULL;
        }
        CHECK_TRUE(hash_of("rww.yaml", 4, sets, NULL) == base);
    }
    /* Input files by content, not by path. */
    snprintf(set_w, sizeof set_w, "connectome.weights=%s", tmp_path(p1, sizeof p1, "sc_copy.csv"));
    {
        const char *const sets[] = {set_w};
        CHECK_TRUE(hash_of("rww.yaml", 1, sets, NULL) == base);
    }
    CHECK_TRUE(hash_of("rww_copy.yaml", 0, NULL, NULL) == base); /* the same, in the file */
    /* What changes results changes the hash. */
    {
        const char *const seed[] = {"sim.seed=43"};
        CHECK_TRUE(hash_of("rww.yaml", 1, seed, NULL) != base);
    }
    CHECK_TRUE(hash_of("rww_swept_value.yaml", 0, NULL, NULL) != base);
    snprintf(set_w, sizeof set_w, "connectome.weights=%s",
             tmp_path(p1, sizeof p1, "sc_one_changed.csv"));
    {
        const char *const sets[] = {set_w};
        uint64_t h = hash_of("rww.yaml", 1, sets, NULL);
        CHECK_TRUE(h != 0 && h != base);
    }
    free(base_text);
}

/* text with the first occurrence of `from` replaced by `to` (static buffer). */
static const char *replaced(const char *text, const char *from, const char *to)
{
    static char buf[8192];
    const char *at = strstr(text, from);
    if (at == NULL) {
        printf("FAIL: '%s' not in the job text\n", from);
        exit(1);
    }
    snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    return buf;
}

static void check_negative_zero(void)
{
    uint64_t base = hash_of("rww.yaml", 0, NULL, NULL);
    char p1[1024], set_w[1200];
    printf("---- -0 and 0 are the same job\n");
    {
        const char *const zero[] = {"model.rww.G=0"}, *const negzero[] = {"model.rww.G=-0"};
        uint64_t hz = hash_of("rww.yaml", 1, zero, NULL);
        CHECK_TRUE(hz != 0 && hz == hash_of("rww.yaml", 1, negzero, NULL));
    }
    {
        const char *const zero[] = {"sweep.params={model.rww.G: {values: [0, 0.5]}}"};
        const char *const negzero[] = {"sweep.params={model.rww.G: {values: [-0.0, 0.5]}}"};
        uint64_t hz = hash_of("rww.yaml", 1, zero, NULL);
        CHECK_TRUE(hz != 0 && hz == hash_of("rww.yaml", 1, negzero, NULL));
    }
    snprintf(set_w, sizeof set_w, "connectome.weights=%s",
             tmp_path(p1, sizeof p1, "sc_negzero.csv"));
    {
        const char *const sets[] = {set_w};
        CHECK_TRUE(hash_of("rww.yaml", 1, sets, NULL) == base);
    }
}

/* Load must fail with status `want` and a message containing `needle`. */
static void check_refused(const char *name, size_t n_sets, const char *const *sets,
                          fcfit_status want, const char *needle)
{
    char p[1024];
    fcfit_job *job = NULL;
    fcfit_status st = fcfit_job_load(&job, tmp_path(p, sizeof p, name), n_sets, sets);
    const char *msg = fcfit_error_message();
    fcfit_test_report(st == want && job == NULL && strstr(msg, needle) != NULL, __FILE__, __LINE__,
                      "load(%s, %s) -> %s \"%s\", want %s containing \"%s\"", name,
                      n_sets > 0 ? sets[0] : "", fcfit_status_name(st), msg,
                      fcfit_status_name(want), needle);
    fcfit_job_destroy(&job);
    fcfit_error_clear();
}

static void check_input_forms(void)
{
    uint64_t base = hash_of("rww.yaml", 0, NULL, NULL);
    char p1[1024], p2[1024], set_b[1200], zip_path[1024];
    fcfit_job *job;

    printf("---- target BOLD layouts\n");
    snprintf(set_b, sizeof set_b, "target.bold=%s", tmp_path(p1, sizeof p1, "bold_t.csv"));
    {
        const char *const auto_t[] = {set_b};
        const char *const tbr[] = {set_b, "target.bold_layout=time_by_regions"};
        const char *const rbt[] = {set_b, "target.bold_layout=regions_by_time"};
        const char *const given_rbt[] = {"target.bold_layout=regions_by_time"};
        CHECK_TRUE(hash_of("rww.yaml", 1, auto_t, NULL) == base);
        CHECK_TRUE(hash_of("rww.yaml", 2, tbr, NULL) == base);
        check_refused("rww.yaml", 2, rbt, FCFIT_ERR_INPUT,
                      "bold_t.csv (target.bold): matrix is 60 x 6; with target.bold_layout: "
                      "regions_by_time (--set) expected 6 rows");
        check_refused("rww.yaml", 2, rbt, FCFIT_ERR_INPUT, "is the layout the other one?");
        /* Explicitly the layout the file has: the same job, listed in the canonical text. */
        CHECK_TRUE(hash_of("rww.yaml", 1, given_rbt, NULL) != 0);
    }
    snprintf(set_b, sizeof set_b, "target.bold=%s", tmp_path(p1, sizeof p1, "bold_square.csv"));
    {
        const char *const sq[] = {set_b};
        check_refused("rww.yaml", 1, sq, FCFIT_ERR_INPUT,
                      "matrix is 6 x 6, square like the 6-region connectome");
    }

    printf("---- target FC checks\n");
    write_text("fc_asym.csv", "1,0.2,0.3\n0.2,1,0.4\n0.3,0.5,1\n");
    write_text("fc_const.csv", "1,0.2,0.2\n0.2,1,0.2\n0.2,0.2,1\n");
    write_text("sc3.csv", "0,1,2\n1,0,3\n2,3,0\n");
    write_text("fc3.yaml", "connectome: {weights: sc3.csv}\ntarget: {fc: fc_asym.csv}\n");
    check_refused("fc3.yaml", 0, NULL, FCFIT_ERR_INPUT,
                  "fc_asym.csv (target.fc): not symmetric: entry (2,3) = 0.4 but (3,2) = 0.5");
    {
        const char *const c[] = {"target.fc=fc_const.csv"};
        write_text("fc3c.yaml", "connectome: {weights: sc3.csv}\ntarget: {fc: fc_const.csv}\n");
        check_refused("fc3c.yaml", 0, NULL, FCFIT_ERR_INPUT,
                      "fc_const.csv (target.fc): every entry off the diagonal is 0.2");
        (void)c;
    }
    {
        const char *const big[] = {"connectome.synthetic.n_regions=5001"};
        check_refused("hopf.yaml", 1, big, FCFIT_ERR_CONFIG, "the limit is 5000 regions");
    }

    printf("---- TVB connectivity zip\n");
    {
        size_t lw = 0, ll = 0;
        char *wtext = strdup(read_small_file(tmp_path(p1, sizeof p1, "sc.csv"), &lw));
        char *ltext = strdup(read_small_file(tmp_path(p2, sizeof p2, "len.csv"), &ll));
        static const char centres[] = "lA -10 0 0\nlB -20 5 1\nlC -30 1 2\nrA 10 0 0\n"
                                      "rB 20 5 1\nrC 30 1 2\n";
        const zip_member m[] = {{"conn76/weights.txt", wtext, lw, ZIP_CM_DEFLATE},
                                {"conn76/tract_lengths.txt", ltext, ll, ZIP_CM_STORE},
                                {"conn76/centres.txt", centres, sizeof centres - 1,
                                 ZIP_CM_DEFLATE}};
        CHECK_TRUE(write_zip(tmp_path(zip_path, sizeof zip_path, "conn76.zip"), m, 3));
        free(wtext);
        free(ltext);
    }
    write_text("rww_tvb.yaml", replaced(RWW_JOB, "weights: sc.csv\n  lengths: len.csv",
                                        "tvb_zip: conn76.zip"));
    job = load("rww_tvb.yaml", 0, NULL);
    CHECK_TRUE(job != NULL && job->hash == base);
    CHECK_TRUE(job != NULL && job->conn->delay != NULL);
    CHECK_TRUE(job != NULL && job->n_labels == NREG && job->labels != NULL &&
               strcmp(job->labels[0], "lA") == 0 && strcmp(job->labels[5], "rC") == 0);
    CHECK_TRUE(job != NULL && strstr(job->weights_label, "conn76.zip") != NULL);
    fcfit_job_destroy(&job);
    {
        /* Without a conduction velocity the zip's tract lengths give no delays. */
        const char *const v0[] = {"connectome.velocity_mm_per_ms=0"};
        job = load("rww_tvb.yaml", 1, v0);
        CHECK_TRUE(job != NULL && job->conn->delay == NULL && job->n_labels == NREG);
        fcfit_job_destroy(&job);
    }
    {
        char set_w[1200];
        const char *sets[1];
        snprintf(set_w, sizeof set_w, "connectome.weights=%s", tmp_path(p1, sizeof p1, "sc.csv"));
        sets[0] = set_w;
        check_refused("rww_tvb.yaml", 1, sets, FCFIT_ERR_CONFIG,
                      "connectome.weights and connectome.tvb_zip");
        snprintf(set_w, sizeof set_w, "connectome.lengths=%s", tmp_path(p1, sizeof p1, "len.csv"));
        check_refused("rww_tvb.yaml", 1, sets, FCFIT_ERR_CONFIG,
                      "connectome.lengths is given together with connectome.tvb_zip");
        snprintf(set_w, sizeof set_w, "connectome.tvb_zip=%s", tmp_path(p1, sizeof p1, "sc.csv"));
        check_refused("rww_tvb.yaml", 1, sets, FCFIT_ERR_INPUT, "not a zip archive");
    }
}

int main(void)
{
    if (!tmp_init_named("tmp_test_job")) {
        return 1;
    }
    write_fixtures();
    write_text("rww.yaml", RWW_JOB);
    write_text("rww_copy.yaml", replaced(RWW_JOB, "weights: sc.csv", "weights: sc_copy.csv"));
    write_text("rww_swept_value.yaml",
               replaced(RWW_JOB, "{linspace: [0.2, 1.0, 3]}", "{linspace: [0.2, 1.1, 3]}"));
    write_text("hopf.yaml", HOPF_JOB);
    check_round_trip("rww.yaml");
    check_round_trip("hopf.yaml");
    check_hash();
    check_negative_zero();
    check_input_forms();
    return fcfit_test_finish();
}
