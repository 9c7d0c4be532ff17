/*
 * results.c: the parallel HDF5 results file (see fcfit_results.h and
 * docs/output-format.md).
 *
 * Why it survives SIGKILL: all metadata (groups, datasets, attributes) of
 * every stage is written and flushed collectively before the first task;
 * afterwards only raw data of contiguous, early-allocated datasets changes,
 * through independent MPI-IO writes that the kernel holds once the call
 * returns. The HDF5 metadata cache therefore never holds anything a reader
 * needs, at a stage boundary as much as inside a stage. The creation itself
 * happens under a temporary name that is renamed once complete, so a kill
 * during creation leaves no file at the real path.
 *
 * Each group's datasets come from one table (ds_table): name, element type,
 * fill value, shape and the condition under which the stage has it, so
 * creating, checking on resume, writing and reading share one description.
 */
#include "fcfit/fcfit_results.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fcfit/fcfit_diag.h"
#include "fcfit/fcfit_model.h"
#include "fcfit/fcfit_util.h"
#include "io/h5util.h"

#define REASON_LEN 128

typedef enum elem_type { T_F64, T_F32, T_I32, T_I64, T_U64, T_I8, T_STR, T_WSTR } elem_type;
typedef enum fill_kind { FILL_NAN, FILL_ZERO, FILL_MINUS1 } fill_kind;
typedef enum shape_kind {
    SH_ROWS,          /* [rows] */
    SH_ROWS_DIMS,     /* [rows][dims] */
    SH_ROWS_REP,      /* [rows][replicates] */
    SH_ROWS_K,        /* [rows][scores] */
    SH_ROWS_REP_K,    /* [rows][replicates][scores] */
    SH_ROWS_SUBJ,     /* [rows][subjects][subject scores] */
    SH_ROWS_FC,       /* [rows][fc] */
    SH_ROWS_PR,       /* [rows][params][regions] */
    SH_PR,            /* [params][regions] */
    SH_ONE,           /* [1] */
    SH_INST,          /* [instances] */
    SH_ROWS_DIAG,     /* [rows][diagnostics] */
    SH_WARN           /* [FCFIT_RESULTS_WARNINGS] */
} shape_kind;
typedef enum when_kind { W_ALWAYS, W_DIMS, W_SUBJ, W_FC, W_TUNE, W_INST, W_VALIDATE, W_TARGET2 } when_kind;

typedef struct ds_desc {
    const char *name;
    elem_type type;
    fill_kind fill;
    shape_kind shape;
    when_kind when;
} ds_desc;

enum {
    DS_PARAMS, DS_SEEDS, DS_STATUS, DS_REASON, DS_REPSTATUS, DS_OBJECTIVE, DS_SCORES,
    DS_SCORES_REP, DS_SCORES_SUBJ, DS_FC, DS_RANK, DS_WALL, DS_TUNE_IT, DS_TUNE_ERR, DS_TUNE_CONV,
    DS_INSTANCE, DS_EVAL, DS_CAND_STAGE, DS_CAND_ROW, DS_SCORES_SE, DS_OBJECTIVE_SE,
    DS_REGION_PARAMS, DS_SCORES2, DS_SCORES2_SE,
    DS_BASE, DS_STATE, DS_ROWS_USED, DS_N_FAILED, DS_BEST_ROW, DS_BEST_OBJ, DS_BUSY, DS_STAGE_WALL,
    DS_N_WORKERS, DS_INST_CODE, DS_INST_EVALS, DS_INST_BEST_ROW, DS_INST_BEST_OBJ,
    DS_SCORES_SD, DS_DIAG, DS_FLAGS, DS_WARNINGS,
    DS_COUNT
};

static const ds_desc ds_table[DS_COUNT] = {
    [DS_PARAMS] = {"params", T_F64, FILL_NAN, SH_ROWS_DIMS, W_DIMS},
    [DS_SEEDS] = {"seeds", T_U64, FILL_ZERO, SH_ROWS_REP, W_ALWAYS},
    [DS_STATUS] = {"status", T_I32, FILL_ZERO, SH_ROWS, W_ALWAYS},
    [DS_REASON] = {"reason", T_STR, FILL_ZERO, SH_ROWS, W_ALWAYS},
    [DS_REPSTATUS] = {"replicate_status", T_I32, FILL_ZERO, SH_ROWS_REP, W_ALWAYS},
    [DS_OBJECTIVE] = {"objective", T_F64, FILL_NAN, SH_ROWS, W_ALWAYS},
    [DS_SCORES] = {"scores", T_F64, FILL_NAN, SH_ROWS_K, W_ALWAYS},
    [DS_SCORES_REP] = {"scores_replicate", T_F64, FILL_NAN, SH_ROWS_REP_K, W_ALWAYS},
    [DS_SCORES_SUBJ] = {"scores_subject", T_F64, FILL_NAN, SH_ROWS_SUBJ, W_SUBJ},
    [DS_FC] = {"fc", T_F32, FILL_NAN, SH_ROWS_FC, W_FC},
    [DS_RANK] = {"worker_rank", T_I32, FILL_MINUS1, SH_ROWS, W_ALWAYS},
    [DS_WALL] = {"wall_time_s", T_F64, FILL_NAN, SH_ROWS, W_ALWAYS},
    [DS_TUNE_IT] = {"tune_iterations", T_I32, FILL_ZERO, SH_ROWS, W_TUNE},
    [DS_TUNE_ERR] = {"tune_max_error", T_F64, FILL_NAN, SH_ROWS, W_TUNE},
    [DS_TUNE_CONV] = {"tune_converged", T_I8, FILL_ZERO, SH_ROWS, W_TUNE},
    [DS_INSTANCE] = {"instance", T_I32, FILL_MINUS1, SH_ROWS, W_INST},
    [DS_EVAL] = {"eval_index", T_I32, FILL_MINUS1, SH_ROWS, W_INST},
    [DS_CAND_STAGE] = {"candidate_stage", T_I32, FILL_MINUS1, SH_ROWS, W_VALIDATE},
    [DS_CAND_ROW] = {"candidate_row", T_I64, FILL_MINUS1, SH_ROWS, W_VALIDATE},
    [DS_SCORES_SE] = {"scores_se", T_F64, FILL_NAN, SH_ROWS_K, W_VALIDATE},
    [DS_OBJECTIVE_SE] = {"objective_se", T_F64, FILL_NAN, SH_ROWS, W_VALIDATE},
    [DS_REGION_PARAMS] = {"region_params", T_F64, FILL_NAN, SH_ROWS_PR, W_VALIDATE},
    [DS_SCORES2] = {"scores_target2", T_F64, FILL_NAN, SH_ROWS_K, W_TARGET2},
    [DS_SCORES2_SE] = {"scores_target2_se", T_F64, FILL_NAN, SH_ROWS_K, W_TARGET2},
    [DS_BASE] = {"base_params", T_F64, FILL_NAN, SH_PR, W_ALWAYS},
    [DS_STATE] = {"state", T_I32, FILL_ZERO, SH_ONE, W_ALWAYS},
    [DS_ROWS_USED] = {"rows_used", T_I64, FILL_ZERO, SH_ONE, W_ALWAYS},
    [DS_N_FAILED] = {"n_failed", T_I64, FILL_ZERO, SH_ONE, W_ALWAYS},
    [DS_BEST_ROW] = {"best_row", T_I64, FILL_MINUS1, SH_ONE, W_ALWAYS},
    [DS_BEST_OBJ] = {"best_objective", T_F64, FILL_NAN, SH_ONE, W_ALWAYS},
    [DS_BUSY] = {"busy_worker_s", T_F64, FILL_NAN, SH_ONE, W_ALWAYS},
    [DS_STAGE_WALL] = {"stage_wall_s", T_F64, FILL_NAN, SH_ONE, W_ALWAYS},
    [DS_N_WORKERS] = {"n_workers", T_I64, FILL_ZERO, SH_ONE, W_ALWAYS},
    [DS_INST_CODE] = {"instance_code", T_I32, FILL_ZERO, SH_INST, W_INST},
    [DS_INST_EVALS] = {"instance_evaluations", T_I64, FILL_ZERO, SH_INST, W_INST},
    [DS_INST_BEST_ROW] = {"instance_best_row", T_I64, FILL_MINUS1, SH_INST, W_INST},
    [DS_INST_BEST_OBJ] = {"instance_best_objective", T_F64, FILL_NAN, SH_INST, W_INST},
    [DS_SCORES_SD] = {"scores_sd", T_F64, FILL_NAN, SH_ROWS_K, W_ALWAYS},
    [DS_DIAG] = {"diagnostics", T_F64, FILL_NAN, SH_ROWS_DIAG, W_ALWAYS},
    [DS_FLAGS] = {"flags", T_I32, FILL_ZERO, SH_ROWS, W_ALWAYS},
    [DS_WARNINGS] = {"warnings", T_WSTR, FILL_ZERO, SH_WARN, W_ALWAYS},
};

/* The /fit group: the job's answer. */
enum { FIT_STATE, FIT_STAGE, FIT_ROW, FIT_OBJ, FIT_OBJ_SE, FIT_PARAMS, FIT_WARNINGS, FIT_COUNT };
static const ds_desc fit_table[FIT_COUNT] = {
    [FIT_STATE] = {"state", T_I32, FILL_ZERO, SH_ONE, W_ALWAYS},
    [FIT_STAGE] = {"stage", T_I32, FILL_MINUS1, SH_ONE, W_ALWAYS},
    [FIT_ROW] = {"row", T_I64, FILL_MINUS1, SH_ONE, W_ALWAYS},
    [FIT_OBJ] = {"objective", T_F64, FILL_NAN, SH_ONE, W_ALWAYS},
    [FIT_OBJ_SE] = {"objective_se", T_F64, FILL_NAN, SH_ONE, W_ALWAYS},
    [FIT_PARAMS] = {"params", T_F64, FILL_NAN, SH_PR, W_ALWAYS},
    [FIT_WARNINGS] = {"warnings", T_WSTR, FILL_ZERO, SH_WARN, W_ALWAYS},
};

typedef struct stage_handles {
    hid_t group;
    hid_t ds[DS_COUNT];
} stage_handles;

struct fcfit_results {
    MPI_Comm comm;
    int rank;
    hid_t file;
    hid_t fit_group;
    hid_t fit_ds[FIT_COUNT];
    stage_handles st[FCFIT_RESULTS_MAX_STAGES];
    hid_t reason_type;
    hid_t warning_type;
    fcfit_results_layout lay;
    char path[4096];
};

static int h5_stack_says_nospace(void);
static double free_bytes(const char *path);
static fcfit_status nospace_error(const char *path, const char *doing, double need);

static int ds_used(const fcfit_results_layout *lay, const fcfit_results_stage_layout *sl,
                   const ds_desc *d)
{
    switch (d->when) {
    case W_DIMS:
        return sl->n_dims > 0;
    case W_SUBJ:
        return lay->n_subjects > 0;
    case W_FC:
        return sl->save_fc && lay->n_fc > 0;
    case W_TUNE:
        return sl->tuning;
    case W_INST:
        return sl->n_instances > 0;
    case W_VALIDATE:
        return sl->validate;
    case W_TARGET2:
        return sl->validate && sl->target2;
    default:
        return 1;
    }
}

/* Shape of a dataset: rank and dims (sl may be NULL for the /fit group). */
static int ds_shape(const fcfit_results_layout *lay, const fcfit_results_stage_layout *sl,
                    shape_kind sh, hsize_t *dims)
{
    size_t rows = sl != NULL ? sl->n_rows : 1;
    switch (sh) {
    case SH_ROWS:
        dims[0] = rows;
        return 1;
    case SH_ROWS_DIMS:
        dims[0] = rows;
        dims[1] = sl->n_dims;
        return 2;
    case SH_ROWS_REP:
        dims[0] = rows;
        dims[1] = sl->n_replicates;
        return 2;
    case SH_ROWS_K:
        dims[0] = rows;
        dims[1] = lay->n_scores;
        return 2;
    case SH_ROWS_REP_K:
        dims[0] = rows;
        dims[1] = sl->n_replicates;
        dims[2] = lay->n_scores;
        return 3;
    case SH_ROWS_SUBJ:
        dims[0] = rows;
        dims[1] = lay->n_subjects;
        dims[2] = lay->n_subject_scores;
        return 3;
    case SH_ROWS_FC:
        dims[0] = rows;
        dims[1] = lay->n_fc;
        return 2;
    case SH_ROWS_PR:
        dims[0] = rows;
        dims[1] = lay->n_params;
        dims[2] = lay->n_regions;
        return 3;
    case SH_PR:
        dims[0] = lay->n_params;
        dims[1] = lay->n_regions;
        return 2;
    case SH_ONE:
        dims[0] = 1;
        return 1;
    case SH_INST:
        dims[0] = sl->n_instances;
        return 1;
    case SH_ROWS_DIAG:
        dims[0] = rows;
        dims[1] = lay->n_diag;
        return 2;
    case SH_WARN:
        dims[0] = FCFIT_RESULTS_WARNINGS;
        return 1;
    }
    return 0;
}

static hid_t file_type(const fcfit_results *r, elem_type t)
{
    switch (t) {
    case T_F64:
        return H5T_IEEE_F64LE;
    case T_F32:
        return H5T_IEEE_F32LE;
    case T_I32:
        return H5T_STD_I32LE;
    case T_I64:
        return H5T_STD_I64LE;
    case T_U64:
        return H5T_STD_U64LE;
    case T_I8:
        return H5T_STD_I8LE;
    case T_STR:
        return r->reason_type;
    case T_WSTR:
        return r->warning_type;
    }
    return -1;
}

static hid_t mem_type(const fcfit_results *r, elem_type t)
{
    switch (t) {
    case T_F64:
        return H5T_NATIVE_DOUBLE;
    case T_F32:
        return H5T_NATIVE_FLOAT;
    case T_I32:
        return H5T_NATIVE_INT32;
    case T_I64:
        return H5T_NATIVE_INT64;
    case T_U64:
        return H5T_NATIVE_UINT64;
    case T_I8:
        return H5T_NATIVE_INT8;
    case T_STR:
        return r->reason_type;
    case T_WSTR:
        return r->warning_type;
    }
    return -1;
}

static size_t elem_size(elem_type t)
{
    switch (t) {
    case T_F64:
    case T_I64:
    case T_U64:
        return 8;
    case T_F32:
    case T_I32:
        return 4;
    case T_I8:
        return 1;
    case T_STR:
        return REASON_LEN;
    case T_WSTR:
        return FCFIT_RESULTS_WARNING_LEN;
    }
    return 0;
}

static double ds_bytes(const fcfit_results_layout *lay, const fcfit_results_stage_layout *sl,
                       const ds_desc *d)
{
    hsize_t dims[3] = {1, 1, 1};
    int rank = ds_shape(lay, sl, d->shape, dims);
    double b = (double)elem_size(d->type);
    for (int k = 0; k < rank; k++) {
        b *= (double)dims[k];
    }
    /* Object header, names and attributes: a few hundred bytes per dataset. */
    return b + 600.0;
}

double fcfit_results_layout_bytes(const fcfit_results_layout *lay, double *fc_bytes)
{
    double total = 8192.0, fc = 0.0;
    for (size_t s = 0; s < lay->n_stages; s++) {
        const fcfit_results_stage_layout *sl = &lay->stages[s];
        for (int k = 0; k < DS_COUNT; k++) {
            if (ds_used(lay, sl, &ds_table[k])) {
                double b = ds_bytes(lay, sl, &ds_table[k]);
                total += b;
                if (k == DS_FC) {
                    fc += b;
                }
            }
        }
    }
    for (int k = 0; k < FIT_COUNT; k++) {
        total += ds_bytes(lay, NULL, &fit_table[k]);
    }
    if (lay->target_fc != NULL) {
        total += 8.0 * (double)lay->n_regions * (double)lay->n_regions + 1200.0;
    }
    /* Region labels (dimension scale) and the job text among the root attributes. */
    total += 140.0 * (double)lay->n_regions + 65536.0;
    if (fc_bytes != NULL) {
        *fc_bytes = fc;
    }
    return total;
}

fcfit_status fcfit_results_check(const char *path, const char *job_hash, int force, int *resume)
{
    hid_t f;
    char *kind = NULL, *hash = NULL;
    fcfit_status st = FCFIT_OK;

    *resume = 0;
    fcfit_h5_quiet();
    if (access(path, F_OK) != 0) {
        return FCFIT_OK;
    }
    if (force) {
        return FCFIT_OK;
    }
    {
        int is_hdf5 = 0;
        FCFIT_CHECK(fcfit_h5_check_guarded(path, &is_hdf5));
    }
    if (H5Fis_hdf5(path) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        FCFIT_FAIL(FCFIT_ERR_MISMATCH,
                   "%s exists and is not an fcfit results file (not HDF5); refusing to touch it "
                   "(choose another -o, or --force to replace it)",
                   path);
    }
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        H5Eclear2(H5E_DEFAULT);
        FCFIT_FAIL(FCFIT_ERR_MISMATCH, "%s exists but cannot be opened as HDF5; refusing to touch it",
                   path);
    }
    st = fcfit_h5_read_attr_str(f, "fcfit_kind", &kind);
    if (st == FCFIT_OK) {
        st = fcfit_h5_read_attr_str(f, "job_hash", &hash);
    }
    H5Fclose(f);
    if (st != FCFIT_OK) {
        goto done;
    }
    if (kind == NULL || strcmp(kind, "run") != 0) {
        st = fcfit_error_set(FCFIT_ERR_MISMATCH, __FILE__, __LINE__, __func__,
                             "%s exists and is not an fcfit run results file (fcfit_kind = %s); "
                             "refusing to touch it (choose another -o, or --force to replace it)",
                             path, kind != NULL ? kind : "absent");
    } else if (hash == NULL || strcmp(hash, job_hash) != 0) {
        st = fcfit_error_set(FCFIT_ERR_MISMATCH, __FILE__, __LINE__, __func__,
                             "%s was written by a different job (job hash %s, this job %s): the "
                             "job file, an input or a setting that changes results differs; "
                             "refusing to resume (choose another -o, or --force to start over)",
                             path, hash != NULL ? hash : "absent", job_hash);
    } else {
        *resume = 1;
    }
done:
    free(kind);
    free(hash);
    return st;
}

static fcfit_status set_fill(const fcfit_results *r, hid_t dcpl, const ds_desc *d)
{
    double nan_v = NAN;
    float nan_f = NAN;
    int64_t minus1 = -1, zero = 0;
    int32_t minus1_32 = -1;
    char empty[FCFIT_RESULTS_WARNING_LEN];
    const void *fill = &zero;
    hid_t mt = mem_type(r, d->type);
    memset(empty, 0, sizeof empty);
    switch (d->fill) {
    case FILL_NAN:
        fill = d->type == T_F32 ? (const void *)&nan_f : (const void *)&nan_v;
        break;
    case FILL_MINUS1:
        fill = d->type == T_I32 ? (const void *)&minus1_32 : (const void *)&minus1;
        break;
    case FILL_ZERO:
        fill = d->type == T_STR || d->type == T_WSTR ? (const void *)empty : (const void *)&zero;
        break;
    }
    if (H5Pset_fill_value(dcpl, mt, fill) < 0) {
        return FCFIT_H5_FAIL("cannot set a fill value");
    }
    return FCFIT_OK;
}

static fcfit_status create_ds(fcfit_results *r, hid_t group, const fcfit_results_stage_layout *sl,
                              const ds_desc *d, hid_t *out)
{
    hsize_t dims[3];
    int rank = ds_shape(&r->lay, sl, d->shape, dims);
    hid_t sp = H5Screate_simple(rank, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    fcfit_status st = FCFIT_OK;
    *out = -1;
    if (sp < 0 || dcpl < 0 || H5Pset_layout(dcpl, H5D_CONTIGUOUS) < 0 ||
        H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY) < 0 ||
        H5Pset_fill_time(dcpl, H5D_FILL_TIME_ALLOC) < 0) {
        st = FCFIT_H5_FAIL("cannot prepare a dataset");
    }
    if (st == FCFIT_OK) {
        st = set_fill(r, dcpl, d);
    }
    if (st == FCFIT_OK) {
        *out = H5Dcreate2(group, d->name, file_type(r, d->type), sp, H5P_DEFAULT, dcpl,
                          H5P_DEFAULT);
        if (*out < 0) {
            char what[128];
            snprintf(what, sizeof what, "cannot create dataset %s", d->name);
            st = FCFIT_H5_FAIL(what);
        }
    }
    if (dcpl >= 0) {
        H5Pclose(dcpl);
    }
    if (sp >= 0) {
        H5Sclose(sp);
    }
    return st;
}

static fcfit_status attr_i64s(hid_t obj, const char *name, size_t n, const long long *v)
{
    hsize_t dn = n;
    hid_t sp = H5Screate_simple(1, &dn, NULL);
    hid_t a = sp >= 0 ? H5Acreate2(obj, name, H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT) : -1;
    herr_t w = a >= 0 ? H5Awrite(a, H5T_NATIVE_LLONG, v) : -1;
    if (a >= 0) {
        H5Aclose(a);
    }
    if (sp >= 0) {
        H5Sclose(sp);
    }
    if (w < 0) {
        char what[128];
        snprintf(what, sizeof what, "cannot write attribute %s", name);
        return FCFIT_H5_FAIL(what);
    }
    return FCFIT_OK;
}

/* Create one stage's group and datasets, with their labels (collective). */
static fcfit_status create_stage(fcfit_results *r, size_t s)
{
    const fcfit_results_layout *lay = &r->lay;
    const fcfit_results_stage_layout *sl = &lay->stages[s];
    stage_handles *h = &r->st[s];
    long long sense[64];

    h->group = H5Gcreate2(r->file, sl->name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (h->group < 0) {
        return FCFIT_H5_FAIL("cannot create a stage group");
    }
    for (int k = 0; k < DS_COUNT; k++) {
        if (ds_used(lay, sl, &ds_table[k])) {
            FCFIT_CHECK(create_ds(r, h->group, sl, &ds_table[k], &h->ds[k]));
        }
    }
    if (sl->n_dims > 0) {
        FCFIT_CHECK(fcfit_h5_attr_strs(h->ds[DS_PARAMS], "names", sl->n_dims, sl->dim_names));
    }
    FCFIT_CHECK(fcfit_h5_attr_strs(h->ds[DS_SCORES], "names", lay->n_scores, lay->score_names));
    FCFIT_CHECK(
        fcfit_h5_attr_strs(h->ds[DS_SCORES_REP], "names", lay->n_scores, lay->score_names));
    for (size_t k = 0; k < lay->n_scores && k < 64; k++) {
        sense[k] = lay->score_sense[k];
    }
    FCFIT_CHECK(attr_i64s(h->ds[DS_SCORES], "sense", lay->n_scores, sense));
    if (lay->n_subjects > 0) {
        FCFIT_CHECK(fcfit_h5_attr_strs(h->ds[DS_SCORES_SUBJ], "names", lay->n_subject_scores,
                                       lay->subject_score_names));
    }
    if (ds_used(lay, sl, &ds_table[DS_FC])) {
        FCFIT_CHECK(fcfit_h5_attr_str(h->ds[DS_FC], "layout",
                                      "upper triangle without the diagonal, row-major "
                                      "(01, 02, ..., 12, ...), replicate 0"));
        FCFIT_CHECK(fcfit_h5_attr_int(h->ds[DS_FC], "n_regions", (long long)lay->n_regions));
    }
    FCFIT_CHECK(fcfit_h5_attr_str(h->ds[DS_STATUS], "codes",
                                  "0 pending, 1 ok, 2 diverged, 3 out_of_domain, 4 degenerate, "
                                  "5 failed"));
    FCFIT_CHECK(fcfit_h5_attr_str(h->ds[DS_OBJECTIVE], "meaning",
                                  "loss minimised by the stage (the objective; fit.penalty for a "
                                  "failed row)"));
    FCFIT_CHECK(fcfit_h5_attr_strs(h->ds[DS_BASE], "names", lay->n_params, lay->param_names));
    FCFIT_CHECK(fcfit_h5_attr_str(h->ds[DS_STATE], "codes", "0 not started, 1 running, 2 done"));
    if (sl->validate) {
        FCFIT_CHECK(fcfit_h5_attr_strs(h->ds[DS_REGION_PARAMS], "names", lay->n_params,
                                       lay->param_names));
        FCFIT_CHECK(fcfit_h5_attr_strs(h->ds[DS_SCORES_SE], "names", lay->n_scores,
                                       lay->score_names));
        FCFIT_CHECK(fcfit_h5_attr_str(h->ds[DS_CAND_STAGE], "codes",
                                      "0 sweep, 1 optimize, 2 refine"));
    }
    FCFIT_CHECK(fcfit_h5_attr_strs(h->ds[DS_SCORES_SD], "names", lay->n_scores,
                                   lay->score_names));
    FCFIT_CHECK(fcfit_h5_attr_str(h->ds[DS_SCORES_SD], "meaning",
                                  "standard deviation of each score over the row's replicates "
                                  "(NaN with one replicate)"));
    FCFIT_CHECK(fcfit_h5_attr_strs(h->ds[DS_DIAG], "names", lay->n_diag, lay->diag_names));
    FCFIT_CHECK(fcfit_h5_attr_str(h->ds[DS_DIAG], "drive",
                                  lay->drive_desc != NULL ? lay->drive_desc : ""));
    FCFIT_CHECK(fcfit_h5_attr_str(h->ds[DS_DIAG], "meaning",
                                  "mean over the row's replicates of: the mean, smallest and "
                                  "largest over regions of the time mean of the BOLD drive (unit "
                                  "in attribute drive); mean and sd of the FC upper triangle; the "
                                  "correlation of the FCs of the two halves of the scored BOLD and "
                                  "the fc_corr of each half; the median of the simulated FCD"));
    FCFIT_CHECK(fcfit_h5_attr_str(h->ds[DS_FLAGS], "codes", fcfit_flag_codes));
    FCFIT_CHECK(fcfit_h5_attr_str(h->ds[DS_WARNINGS], "meaning",
                                  "warnings about the stage's result, written when it ends "
                                  "(empty strings: none)"));
    FCFIT_CHECK(fcfit_h5_attr_int(h->group, "kind", sl->kind));
    FCFIT_CHECK(fcfit_h5_attr_int(h->group, "order", (long long)s));
    FCFIT_CHECK(fcfit_h5_attr_int(h->group, "n_rows", (long long)sl->n_rows));
    FCFIT_CHECK(fcfit_h5_attr_int(h->group, "n_replicates", (long long)sl->n_replicates));
    FCFIT_CHECK(fcfit_h5_attr_str(h->group, "description",
                                  sl->description != NULL ? sl->description : ""));
    FCFIT_CHECK(fcfit_h5_attr_str(h->group, "objective", lay->objective));
    return FCFIT_OK;
}

/* The unit of a stage dimension, from its name (model.<m>.<p>, .offset, .slope, [i], subject). */
static const char *dim_unit(const fcfit_results_layout *lay, const char *name, char *buf,
                            size_t cap)
{
    const char *p = name;
    buf[0] = '\0';
    if (lay->model_params == NULL || strncmp(name, "model.", 6) != 0) {
        return buf;
    }
    p = strchr(name + 6, '.');
    if (p == NULL) {
        return buf;
    }
    p++;
    for (size_t j = 0; j < lay->n_params; j++) {
        const char *pn = lay->model_params[j].name;
        size_t len = strlen(pn);
        if (strncmp(p, pn, len) == 0 && (p[len] == '\0' || p[len] == '[' || p[len] == '.')) {
            snprintf(buf, cap, "%s%s", lay->model_params[j].unit,
                     strcmp(p + len, ".slope") == 0 ? " per map unit" : "");
            return buf;
        }
    }
    return buf;
}

/* Units of a stage's datasets as attributes (the parameters' own, "s", "1"). */
static fcfit_status stage_units(fcfit_results *r, size_t s)
{
    const fcfit_results_layout *lay = &r->lay;
    const fcfit_results_stage_layout *sl = &lay->stages[s];
    stage_handles *h = &r->st[s];
    fcfit_status st = FCFIT_OK;
    if (sl->n_dims > 0) {
        char (*buf)[64] = calloc(sl->n_dims, sizeof *buf);
        const char **u = calloc(sl->n_dims, sizeof *u);
        if (buf == NULL || u == NULL) {
            free(buf);
            free(u);
            FCFIT_FAIL(FCFIT_ERR_NOMEM, "out of memory");
        }
        for (size_t d = 0; d < sl->n_dims; d++) {
            u[d] = dim_unit(lay, sl->dim_names[d], buf[d], sizeof buf[d]);
        }
        st = fcfit_h5_attr_strs(h->ds[DS_PARAMS], "units", sl->n_dims, u);
        free(buf);
        free(u);
        FCFIT_CHECK(st);
    }
    FCFIT_CHECK(fcfit_h5_attr_str(h->ds[DS_WALL], "units", "s"));
    FCFIT_CHECK(fcfit_h5_attr_str(h->ds[DS_BUSY], "units", "s"));
    FCFIT_CHECK(fcfit_h5_attr_str(h->ds[DS_STAGE_WALL], "units", "s"));
    FCFIT_CHECK(fcfit_h5_attr_str(h->ds[DS_SCORES], "units", "1 (every score is dimensionless)"));
    if (ds_used(lay, sl, &ds_table[DS_FC])) {
        FCFIT_CHECK(fcfit_h5_attr_str(h->ds[DS_FC], "units", "1 (Pearson correlation)"));
    }
    return FCFIT_OK;
}

/* Units of an array of every model parameter ([.. x] params x regions). */
static fcfit_status param_units_attr(const fcfit_results_layout *lay, hid_t ds)
{
    const char **u;
    fcfit_status st;
    if (lay->model_params == NULL) {
        return FCFIT_OK;
    }
    u = calloc(lay->n_params + 1, sizeof *u);
    FCFIT_REQUIRE(u != NULL, FCFIT_ERR_NOMEM, "out of memory");
    for (size_t j = 0; j < lay->n_params; j++) {
        u[j] = lay->model_params[j].unit;
    }
    st = fcfit_h5_attr_strs(ds, "units", lay->n_params, u);
    free(u);
    return st;
}

/*
 * /regions: the region labels as a dimension scale, attached to every axis that runs over
 * regions (target FC, the parameters of /fit, every stage's base parameters and validated
 * candidates), so that xarray and h5py's .dims name them.
 */
static fcfit_status attach_regions(fcfit_results *r)
{
    const fcfit_results_layout *lay = &r->lay;
    char **gen = NULL;
    const char *const *labels = lay->region_labels;
    fcfit_status st = FCFIT_OK;
    if (labels == NULL) {
        FCFIT_ALLOC_GOTO(gen, lay->n_regions, "region labels");
        for (size_t i = 0; i < lay->n_regions; i++) {
            char buf[32];
            snprintf(buf, sizeof buf, "r%zu", i);
            gen[i] = fcfit_strdup(buf);
            FCFIT_REQUIRE_GOTO(gen[i] != NULL, FCFIT_ERR_NOMEM, "out of memory");
        }
        labels = (const char *const *)gen;
    }
    FCFIT_TRY(fcfit_h5_write_strings(r->file, "regions", lay->n_regions, labels));
    FCFIT_TRY(fcfit_h5_make_scale(r->file, "regions", "region"));
    FCFIT_TRY(fcfit_h5_attach_scale(r->file, "regions", r->fit_group, "params", 1));
    FCFIT_TRY(param_units_attr(lay, r->fit_ds[FIT_PARAMS]));
    for (size_t s = 0; s < lay->n_stages; s++) {
        FCFIT_TRY(fcfit_h5_attach_scale(r->file, "regions", r->st[s].group, "base_params", 1));
        FCFIT_TRY(param_units_attr(lay, r->st[s].ds[DS_BASE]));
        if (lay->stages[s].validate) {
            FCFIT_TRY(fcfit_h5_attach_scale(r->file, "regions", r->st[s].group, "region_params",
                                            2));
            FCFIT_TRY(param_units_attr(lay, r->st[s].ds[DS_REGION_PARAMS]));
        }
        FCFIT_TRY(stage_units(r, s));
    }
    if (lay->target_fc != NULL) {
        FCFIT_TRY(fcfit_h5_attach_scale(r->file, "regions", r->file, "target/fc", 0));
        FCFIT_TRY(fcfit_h5_attach_scale(r->file, "regions", r->file, "target/fc", 1));
    }

cleanup:
    for (size_t i = 0; gen != NULL && i < lay->n_regions; i++) {
        free(gen[i]);
    }
    free(gen);
    return st;
}

static fcfit_status create_fit_group(fcfit_results *r)
{
    r->fit_group = H5Gcreate2(r->file, "fit", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (r->fit_group < 0) {
        return FCFIT_H5_FAIL("cannot create the fit group");
    }
    for (int k = 0; k < FIT_COUNT; k++) {
        FCFIT_CHECK(create_ds(r, r->fit_group, NULL, &fit_table[k], &r->fit_ds[k]));
    }
    FCFIT_CHECK(fcfit_h5_attr_strs(r->fit_ds[FIT_PARAMS], "names", r->lay.n_params,
                                   r->lay.param_names));
    FCFIT_CHECK(fcfit_h5_attr_str(r->fit_ds[FIT_STATE], "codes", "0 running, 1 complete"));
    FCFIT_CHECK(fcfit_h5_attr_str(r->fit_ds[FIT_STAGE], "codes",
                                  "0 sweep, 1 optimize, 2 refine, 3 validate"));
    FCFIT_CHECK(fcfit_h5_attr_str(r->fit_ds[FIT_WARNINGS], "meaning",
                                  "warnings about the job (written at creation), then about the "
                                  "answer's row (written with the answer); empty strings: none"));
    return FCFIT_OK;
}

/* Write `count` rows of dataset handle ds from `first` (along the first dimension). */
static fcfit_status write_block(fcfit_results *r, hid_t ds, elem_type t, size_t first,
                                size_t count, const void *data, const char *what)
{
    hsize_t dims[3] = {0, 0, 0}, start[3] = {0, 0, 0}, cnt[3];
    hid_t fs = H5Dget_space(ds), ms = -1;
    int rank = fs >= 0 ? H5Sget_simple_extent_dims(fs, dims, NULL) : -1;
    herr_t w = -1;
    if (rank > 0) {
        start[0] = first;
        cnt[0] = count;
        cnt[1] = rank > 1 ? dims[1] : 1;
        cnt[2] = rank > 2 ? dims[2] : 1;
        ms = H5Screate_simple(rank, cnt, NULL);
    }
    if (ms >= 0 && H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, cnt, NULL) >= 0) {
        w = H5Dwrite(ds, mem_type(r, t), ms, fs, H5P_DEFAULT, data);
    }
    if (ms >= 0) {
        H5Sclose(ms);
    }
    if (fs >= 0) {
        H5Sclose(fs);
    }
    if (w < 0) {
        char msg[320];
        double fb = free_bytes(r->path);
        if (r->path[0] != '\0' && (h5_stack_says_nospace() || (fb >= 0.0 && fb < 65536.0))) {
            /* Rows are written payload first, status last: what is written stays valid. */
            H5Eclear2(H5E_DEFAULT);
            snprintf(msg, sizeof msg, "could not write %s (the rows written before are kept)",
                     what);
            return nospace_error(r->path, msg, 0.0);
        }
        snprintf(msg, sizeof msg, "cannot write %s", what);
        return FCFIT_H5_FAIL(msg);
    }
    return FCFIT_OK;
}

/* Write warning lines first..first+n-1 of a warnings dataset (fixed-length strings). */
static fcfit_status write_warning_lines(fcfit_results *r, hid_t ds, size_t first, size_t n,
                                        const char *const *lines, const char *what)
{
    char buf[FCFIT_RESULTS_WARNINGS][FCFIT_RESULTS_WARNING_LEN];
    if (first >= FCFIT_RESULTS_WARNINGS || n == 0) {
        return FCFIT_OK;
    }
    if (n > FCFIT_RESULTS_WARNINGS - first) {
        n = FCFIT_RESULTS_WARNINGS - first;
    }
    memset(buf, 0, sizeof buf);
    for (size_t k = 0; k < n; k++) {
        snprintf(buf[k], sizeof buf[k], "%s", lines[k] != NULL ? lines[k] : "");
    }
    return write_block(r, ds, T_WSTR, first, n, buf, what);
}

static fcfit_status write_ds(fcfit_results *r, size_t s, int k, size_t first, size_t count,
                             const void *data)
{
    char what[160];
    snprintf(what, sizeof what, "%s/%s", r->lay.stages[s].name, ds_table[k].name);
    return write_block(r, r->st[s].ds[k], ds_table[k].type, first, count, data, what);
}

static fcfit_status read_whole(fcfit_results *r, hid_t ds, elem_type t, void *data,
                               const char *what)
{
    if (H5Dread(ds, mem_type(r, t), H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
        char msg[200];
        snprintf(msg, sizeof msg, "cannot read %s", what);
        return FCFIT_H5_FAIL(msg);
    }
    return FCFIT_OK;
}

static fcfit_status read_ds_all(fcfit_results *r, size_t s, int k, void *data)
{
    char what[160];
    snprintf(what, sizeof what, "%s/%s", r->lay.stages[s].name, ds_table[k].name);
    return read_whole(r, r->st[s].ds[k], ds_table[k].type, data, what);
}

static hid_t mpio_fapl(MPI_Comm comm)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0) {
        return fapl;
    }
    if (H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL) < 0) {
        H5Pclose(fapl);
        return -1;
    }
    return fapl;
}

static void close_handles(fcfit_results *r)
{
    for (size_t s = 0; s < FCFIT_RESULTS_MAX_STAGES; s++) {
        for (int k = 0; k < DS_COUNT; k++) {
            if (r->st[s].ds[k] >= 0) {
                H5Dclose(r->st[s].ds[k]);
                r->st[s].ds[k] = -1;
            }
        }
        if (r->st[s].group >= 0) {
            H5Gclose(r->st[s].group);
            r->st[s].group = -1;
        }
    }
    for (int k = 0; k < FIT_COUNT; k++) {
        if (r->fit_ds[k] >= 0) {
            H5Dclose(r->fit_ds[k]);
            r->fit_ds[k] = -1;
        }
    }
    if (r->fit_group >= 0) {
        H5Gclose(r->fit_group);
        r->fit_group = -1;
    }
    if (r->file >= 0) {
        H5Fclose(r->file);
        r->file = -1;
    }
}

/* Agree on a status across ranks: the worst (largest) code wins. */
static fcfit_status agree(MPI_Comm comm, fcfit_status st)
{
    int mine = (int)st, all = 0;
    MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MAX, comm);
    if (all != 0 && st == FCFIT_OK) {
        return fcfit_error_set((fcfit_status)all, __FILE__, __LINE__, __func__,
                               "another rank failed while opening the results file");
    }
    return (fcfit_status)all == FCFIT_OK ? FCFIT_OK : st;
}

/*
 * Build the whole new file at `tmp` (sec2 driver, this process alone): root attributes, every
 * stage's group and datasets (filled), /fit, /target, the sweep's points and seeds; flush and
 * close. Runs in a child process (create_file).
 */
static fcfit_status build_file(fcfit_results *r, const char *tmp, size_t n_attrs,
                               const char *const *attr_names, const char *const *attr_values)
{
    fcfit_status st = FCFIT_OK;
    const char *pause = getenv("FCFIT_TEST_PAUSE_CREATE");
    const char *names[FCFIT_RESULTS_MAX_STAGES];

    r->file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (r->file < 0) {
        char what[4200];
        snprintf(what, sizeof what, "cannot create %s", tmp);
        return fcfit_h5_fail(__FILE__, __LINE__, __func__, what);
    }
    for (size_t k = 0; k < n_attrs && st == FCFIT_OK; k++) {
        st = fcfit_h5_attr_str(r->file, attr_names[k], attr_values[k]);
    }
    if (st == FCFIT_OK) {
        st = fcfit_h5_attr_str(r->file, "fcfit_kind", "run");
    }
    if (st == FCFIT_OK) {
        st = fcfit_h5_attr_str(r->file, "objective", r->lay.objective);
    }
    if (st == FCFIT_OK) {
        st = fcfit_h5_attr_str(r->file, "objective_better", r->lay.objective_better);
    }
    for (size_t s = 0; s < r->lay.n_stages; s++) {
        names[s] = r->lay.stages[s].name;
    }
    if (st == FCFIT_OK) {
        st = fcfit_h5_attr_strs(r->file, "stages", r->lay.n_stages, names);
    }
    for (size_t s = 0; s < r->lay.n_stages && st == FCFIT_OK; s++) {
        st = create_stage(r, s);
    }
    if (st == FCFIT_OK) {
        st = create_fit_group(r);
    }
    if (st == FCFIT_OK && r->rank == 0) {
        st = write_warning_lines(r, r->fit_ds[FIT_WARNINGS], 0, r->lay.n_job_warnings,
                                 r->lay.job_warnings, "fit/warnings");
    }
    if (st == FCFIT_OK && r->lay.target_fc != NULL) {
        size_t dims[2] = {r->lay.n_regions, r->lay.n_regions};
        hid_t g = H5Gcreate2(r->file, "target", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (g < 0) {
            st = FCFIT_H5_FAIL("cannot create the target group");
        } else {
            st = fcfit_h5_write_doubles(g, "fc", 2, dims, r->lay.target_fc);
            if (st == FCFIT_OK) {
                st = fcfit_h5_attr_str(g, "description",
                                       "the target's group FC (Fisher-z average of its subjects), "
                                       "as every score compares with");
            }
            if (st == FCFIT_OK) {
                st = fcfit_h5_attr_int(g, "n_subjects", (long long)r->lay.target_subjects);
            }
            if (st == FCFIT_OK) {
                size_t one = 1;
                st = fcfit_h5_write_doubles(g, "fcd_median", 1, &one, &r->lay.target_fcd_median);
            }
            H5Gclose(g);
        }
    }
    if (st == FCFIT_OK) {
        st = attach_regions(r);
    }
    if (pause != NULL && st == FCFIT_OK) {
        /* Test hook: widen the creation window so a test can kill the run inside it. */
        usleep((useconds_t)(atof(pause) * 1e6));
    }
    for (size_t s = 0; s < r->lay.n_stages && st == FCFIT_OK; s++) {
        const fcfit_results_stage_layout *sl = &r->lay.stages[s];
        if (sl->points != NULL && sl->n_dims > 0) {
            st = write_ds(r, s, DS_PARAMS, 0, sl->n_rows, sl->points);
        }
        if (st == FCFIT_OK && sl->seeds != NULL) {
            st = write_ds(r, s, DS_SEEDS, 0, sl->n_rows, sl->seeds);
        }
    }
    if (st == FCFIT_OK && H5Fflush(r->file, H5F_SCOPE_GLOBAL) < 0) {
        st = FCFIT_H5_FAIL("cannot flush the new results file");
    }
    for (size_t s = 0; s < FCFIT_RESULTS_MAX_STAGES; s++) {
        for (int k = 0; k < DS_COUNT; k++) {
            if (r->st[s].ds[k] >= 0) {
                H5Dclose(r->st[s].ds[k]);
                r->st[s].ds[k] = -1;
            }
        }
        if (r->st[s].group >= 0) {
            H5Gclose(r->st[s].group);
            r->st[s].group = -1;
        }
    }
    for (int k = 0; k < FIT_COUNT; k++) {
        if (r->fit_ds[k] >= 0) {
            H5Dclose(r->fit_ds[k]);
            r->fit_ds[k] = -1;
        }
    }
    if (r->fit_group >= 0) {
        H5Gclose(r->fit_group);
        r->fit_group = -1;
    }
    if (H5Fclose(r->file) < 0 && st == FCFIT_OK) {
        st = FCFIT_H5_FAIL("cannot close the new results file");
    }
    r->file = -1;
    return st;
}

/*
 * An upper bound of the new file's size: every dataset's raw data (all are allocated at
 * creation), the root attributes, and a generous allowance for HDF5's object headers and
 * attributes (4 KiB per object) and its superblock and heaps (1 MiB).
 */
static double estimate_size(const fcfit_results *r, size_t n_attrs,
                            const char *const *attr_values)
{
    double bytes = 1048576.0;
    const fcfit_results_layout *lay = &r->lay;
    for (size_t k = 0; k < n_attrs; k++) {
        bytes += 2.0 * (double)strlen(attr_values[k]) + 256.0;
    }
    for (size_t s = 0; s < lay->n_stages; s++) {
        const fcfit_results_stage_layout *sl = &lay->stages[s];
        bytes += 4096.0;
        for (int k = 0; k < DS_COUNT; k++) {
            hsize_t dims[3] = {1, 1, 1};
            int rank;
            double n = 1.0;
            if (!ds_used(lay, sl, &ds_table[k])) {
                continue;
            }
            rank = ds_shape(lay, sl, ds_table[k].shape, dims);
            for (int d = 0; d < rank; d++) {
                n *= (double)dims[d];
            }
            bytes += n * (double)elem_size(ds_table[k].type) + 4096.0;
        }
    }
    bytes += (double)FIT_COUNT * 4096.0 +
             2.0 * (double)lay->n_params * (double)lay->n_regions * 8.0;
    if (lay->target_fc != NULL) {
        bytes += (double)lay->n_regions * (double)lay->n_regions * 8.0 + 4096.0;
    }
    return bytes;
}

/* Is the failure that was just recorded (or errno err) a full disk or quota? */
static herr_t nospace_walk(unsigned n, const H5E_error2_t *e, void *data)
{
    int *found = data;
    (void)n;
    if (e != NULL && e->desc != NULL &&
        (strstr(e->desc, "No space left") != NULL || strstr(e->desc, "quota") != NULL ||
         strstr(e->desc, "errno = 28,") != NULL || strstr(e->desc, "errno = 122,") != NULL)) {
        *found = 1;
    }
    return 0;
}

static int h5_stack_says_nospace(void)
{
    int found = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, nospace_walk, &found);
    return found;
}

/* Free bytes for an unprivileged writer in the directory of path (-1 when unknown). */
static double free_bytes(const char *path)
{
    struct statvfs sv;
    char *dir = fcfit_path_dirname(path);
    double b = -1.0;
    if (dir != NULL && statvfs(dir, &sv) == 0) {
        b = (double)sv.f_bavail * (double)sv.f_frsize;
    }
    free(dir);
    return b;
}

static fcfit_status nospace_error(const char *path, const char *doing, double need)
{
    char *dir = fcfit_path_dirname(path);
    double avail = free_bytes(path);
    char extra[160] = "";
    fcfit_status st;
    if (need > 0.0 && avail >= 0.0) {
        snprintf(extra, sizeof extra, " (about %.1f MB needed, %.1f MB free)", need / 1e6,
                 avail / 1e6);
    }
    st = fcfit_error_set(FCFIT_ERR_IO, __FILE__, __LINE__, __func__,
                         "no space left on %s%s: %s; free some space (or raise the quota) and "
                         "run the same command again",
                         dir != NULL ? dir : ".", extra, doing);
    free(dir);
    return st;
}

/*
 * Make sure the new file fits before HDF5 writes a byte: reserve its estimated size in a scratch
 * file next to it (posix_fallocate also sees quotas), then give the space back. A full disk or
 * quota is then reported plainly instead of surfacing from inside HDF5.
 */
static fcfit_status reserve_space(const char *path, const char *tmp, double need)
{
    char res[4200];
    int fd, err;
    snprintf(res, sizeof res, "%s.reserve", tmp);
    fd = open(res, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        err = errno;
        if (err == ENOSPC || err == EDQUOT) {
            return nospace_error(path, "the results file cannot be created", need);
        }
        FCFIT_FAIL(FCFIT_ERR_USAGE, "cannot create %s: %s", res, strerror(err));
    }
    err = posix_fallocate(fd, 0, (off_t)need);
    close(fd);
    unlink(res);
    if (err == ENOSPC || err == EDQUOT || err == EFBIG) {
        return nospace_error(path, "the results file cannot be created", need);
    }
    /* Other failures (a file system without fallocate): the creation itself will tell. */
    return FCFIT_OK;
}

/* The reply of the creating child: status, message length, message. */
typedef struct create_reply {
    int32_t status;
    int32_t nospace;
    uint32_t msg_len;
} create_reply;

/*
 * Create the file under "<path>.creating" in a child process, then rename it to path. HDF5
 * cannot be left in a sane state after a failed write to a new file (its close fails, and the
 * library's own clean-up at MPI_Finalize then crashes in H5F__close_cb), so the creation runs
 * where a failure, or a crash, costs only the child: the parent removes the partial file and
 * reports why. The child makes no MPI call and leaves with _exit.
 */
static fcfit_status create_file(fcfit_results *r, const char *path, size_t n_attrs,
                                const char *const *attr_names, const char *const *attr_values)
{
    char tmp[4096];
    int fds[2] = {-1, -1};
    pid_t pid;
    int ws = 0;
    create_reply rep;
    char msg[2048] = "";
    double need = estimate_size(r, n_attrs, attr_values);
    fcfit_status st = FCFIT_OK;
    ssize_t got;

    snprintf(tmp, sizeof tmp, "%s.creating", path);
    remove(tmp);
    FCFIT_CHECK(reserve_space(path, tmp, need));
    FCFIT_REQUIRE(pipe(fds) == 0, FCFIT_ERR_IO, "cannot create a pipe: %s", strerror(errno));
    pid = fork();
    if (pid < 0) {
        int err = errno;
        close(fds[0]);
        close(fds[1]);
        FCFIT_FAIL(FCFIT_ERR_IO, "cannot start the process that creates %s: %s", tmp,
                   strerror(err));
    }
    if (pid == 0) {
        fcfit_status cs;
        const char *m;
        close(fds[0]);
        cs = build_file(r, tmp, n_attrs, attr_names, attr_values);
        m = cs != FCFIT_OK ? fcfit_error_message() : "";
        memset(&rep, 0, sizeof rep);
        rep.status = (int32_t)cs;
        rep.nospace = cs != FCFIT_OK && h5_stack_says_nospace();
        rep.msg_len = (uint32_t)strnlen(m, sizeof msg - 1);
        if (strstr(m, "No space left") != NULL || strstr(m, "quota") != NULL) {
            rep.nospace = 1;
        }
        if (write(fds[1], &rep, sizeof rep) != (ssize_t)sizeof rep ||
            write(fds[1], m, rep.msg_len) != (ssize_t)rep.msg_len) {
            _exit(1);
        }
        _exit(0);
    }
    close(fds[1]);
    memset(&rep, 0, sizeof rep);
    do {
        got = read(fds[0], &rep, sizeof rep);
    } while (got < 0 && errno == EINTR);
    if (got == (ssize_t)sizeof rep && rep.msg_len < sizeof msg) {
        ssize_t g2;
        do {
            g2 = read(fds[0], msg, rep.msg_len);
        } while (g2 < 0 && errno == EINTR);
        msg[g2 > 0 ? (size_t)g2 : 0] = '\0';
    } else {
        got = 0;
    }
    close(fds[0]);
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
    }
    if (got == 0 || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
        remove(tmp);
        if (WIFSIGNALED(ws)) {
            FCFIT_FAIL(FCFIT_ERR_HDF5, "creating %s: the process writing it died (signal %d)",
                       tmp, WTERMSIG(ws));
        }
        FCFIT_FAIL(FCFIT_ERR_HDF5, "creating %s: the process writing it ended unexpectedly",
                   tmp);
    }
    if (rep.status != FCFIT_OK) {
        remove(tmp);
        if (rep.nospace || (free_bytes(path) >= 0.0 && free_bytes(path) < need)) {
            return nospace_error(path, "the results file could not be created", need);
        }
        st = rep.status > 0 && rep.status < (int32_t)FCFIT_STATUS_COUNT ? (fcfit_status)rep.status
                                                                          : FCFIT_ERR_HDF5;
        FCFIT_FAIL(st, "%s", msg);
    }
    if (rename(tmp, path) != 0) {
        int err = errno;
        remove(tmp);
        FCFIT_FAIL(FCFIT_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(err));
    }
    return FCFIT_OK;
}

/* Open one dataset of an existing file and check its shape. */
static fcfit_status open_ds(fcfit_results *r, hid_t group, const char *gname,
                            const fcfit_results_stage_layout *sl, const ds_desc *d,
                            const char *path, hid_t *out)
{
    hsize_t want[3] = {0, 0, 0}, got[3] = {0, 0, 0};
    int rank = ds_shape(&r->lay, sl, d->shape, want), grank;
    hid_t sp;
    *out = H5Dopen2(group, d->name, H5P_DEFAULT);
    if (*out < 0) {
        H5Eclear2(H5E_DEFAULT);
        FCFIT_FAIL(FCFIT_ERR_MISMATCH,
                   "%s: dataset %s/%s is missing; the file does not match this job", path, gname,
                   d->name);
    }
    sp = H5Dget_space(*out);
    grank = sp >= 0 ? H5Sget_simple_extent_dims(sp, got, NULL) : -1;
    if (sp >= 0) {
        H5Sclose(sp);
    }
    FCFIT_REQUIRE(grank == rank && got[0] == want[0] && (rank < 2 || got[1] == want[1]) &&
                      (rank < 3 || got[2] == want[2]),
                  FCFIT_ERR_MISMATCH,
                  "%s: dataset %s/%s has another shape than this job needs; the file does not "
                  "match this job",
                  path, gname, d->name);
    return FCFIT_OK;
}

static fcfit_status open_all(fcfit_results *r, const char *path)
{
    for (size_t s = 0; s < r->lay.n_stages; s++) {
        const fcfit_results_stage_layout *sl = &r->lay.stages[s];
        stage_handles *h = &r->st[s];
        h->group = H5Gopen2(r->file, sl->name, H5P_DEFAULT);
        if (h->group < 0) {
            H5Eclear2(H5E_DEFAULT);
            FCFIT_FAIL(FCFIT_ERR_MISMATCH, "%s has no %s stage; the file does not match this job",
                       path, sl->name);
        }
        for (int k = 0; k < DS_COUNT; k++) {
            if (ds_used(&r->lay, sl, &ds_table[k])) {
                FCFIT_CHECK(open_ds(r, h->group, sl->name, sl, &ds_table[k], path, &h->ds[k]));
            }
        }
    }
    r->fit_group = H5Gopen2(r->file, "fit", H5P_DEFAULT);
    if (r->fit_group < 0) {
        H5Eclear2(H5E_DEFAULT);
        FCFIT_FAIL(FCFIT_ERR_MISMATCH, "%s has no fit group; the file does not match this job",
                   path);
    }
    for (int k = 0; k < FIT_COUNT; k++) {
        FCFIT_CHECK(open_ds(r, r->fit_group, "fit", NULL, &fit_table[k], path, &r->fit_ds[k]));
    }
    return FCFIT_OK;
}

fcfit_status fcfit_results_open(fcfit_results **out, MPI_Comm comm, const char *path,
                                const fcfit_results_layout *lay, size_t n_attrs,
                                const char *const *attr_names, const char *const *attr_values,
                                int create)
{
    fcfit_results *r;
    fcfit_status st = FCFIT_OK;
    hid_t fapl;

    *out = NULL;
    fcfit_h5_quiet();
    FCFIT_REQUIRE(lay->n_stages <= FCFIT_RESULTS_MAX_STAGES, FCFIT_ERR_INTERNAL,
                  "%zu stages", lay->n_stages);
    r = calloc(1, sizeof *r);
    FCFIT_REQUIRE(r != NULL, FCFIT_ERR_NOMEM, "cannot allocate the results handle");
    r->comm = comm;
    MPI_Comm_rank(comm, &r->rank);
    r->file = -1;
    r->fit_group = -1;
    r->warning_type = -1;
    for (int k = 0; k < FIT_COUNT; k++) {
        r->fit_ds[k] = -1;
    }
    for (size_t s = 0; s < FCFIT_RESULTS_MAX_STAGES; s++) {
        r->st[s].group = -1;
        for (int k = 0; k < DS_COUNT; k++) {
            r->st[s].ds[k] = -1;
        }
    }
    r->lay = *lay;
    snprintf(r->path, sizeof r->path, "%s", path);
    r->reason_type = H5Tcopy(H5T_C_S1);
    if (r->reason_type < 0 || H5Tset_size(r->reason_type, REASON_LEN) < 0 ||
        H5Tset_strpad(r->reason_type, H5T_STR_NULLTERM) < 0) {
        st = FCFIT_H5_FAIL("cannot make the reason string type");
        goto cleanup;
    }
    r->warning_type = H5Tcopy(H5T_C_S1);
    if (r->warning_type < 0 || H5Tset_size(r->warning_type, FCFIT_RESULTS_WARNING_LEN) < 0 ||
        H5Tset_strpad(r->warning_type, H5T_STR_NULLTERM) < 0) {
        st = FCFIT_H5_FAIL("cannot make the warning string type");
        goto cleanup;
    }
    if (create) {
        FCFIT_TRY(create_file(r, path, n_attrs, attr_names, attr_values));
    }
    fapl = mpio_fapl(comm);
    r->file = fapl >= 0 ? H5Fopen(path, H5F_ACC_RDWR, fapl) : -1;
    if (fapl >= 0) {
        H5Pclose(fapl);
    }
    if (r->file < 0) {
        char what[4200];
        snprintf(what, sizeof what, "cannot open %s for writing", path);
        st = fcfit_h5_fail(__FILE__, __LINE__, __func__, what);
    }
    FCFIT_TRY(agree(comm, st));
    st = open_all(r, path);
    FCFIT_TRY(agree(comm, st));
    *out = r;
    return FCFIT_OK;

cleanup:
    close_handles(r);
    if (r->reason_type >= 0) {
        H5Tclose(r->reason_type);
    }
    if (r->warning_type >= 0) {
        H5Tclose(r->warning_type);
    }
    free(r);
    return st;
}

fcfit_status fcfit_results_read_stage(fcfit_results *r, size_t s, int32_t *status, double *x,
                                      double *objective, double *scores, double *region_params,
                                      double *objective_se)
{
    const fcfit_results_stage_layout *sl = &r->lay.stages[s];
    if (status != NULL) {
        FCFIT_CHECK(read_ds_all(r, s, DS_STATUS, status));
    }
    if (x != NULL && sl->n_dims > 0) {
        FCFIT_CHECK(read_ds_all(r, s, DS_PARAMS, x));
    }
    if (objective != NULL) {
        FCFIT_CHECK(read_ds_all(r, s, DS_OBJECTIVE, objective));
    }
    if (scores != NULL) {
        FCFIT_CHECK(read_ds_all(r, s, DS_SCORES, scores));
    }
    if (region_params != NULL && sl->validate) {
        FCFIT_CHECK(read_ds_all(r, s, DS_REGION_PARAMS, region_params));
    }
    if (objective_se != NULL && sl->validate) {
        FCFIT_CHECK(read_ds_all(r, s, DS_OBJECTIVE_SE, objective_se));
    }
    return FCFIT_OK;
}

fcfit_status fcfit_results_read_stage_base(fcfit_results *r, size_t s, int32_t *state,
                                           double *base)
{
    FCFIT_CHECK(read_ds_all(r, s, DS_STATE, state));
    FCFIT_CHECK(read_ds_all(r, s, DS_BASE, base));
    return FCFIT_OK;
}

fcfit_status fcfit_results_write_row(fcfit_results *r, size_t s, size_t row,
                                     const fcfit_results_row *rw)
{
    const fcfit_results_layout *lay = &r->lay;
    const fcfit_results_stage_layout *sl = &lay->stages[s];
    char reason[REASON_LEN];
    FCFIT_REQUIRE(s < lay->n_stages && row < sl->n_rows, FCFIT_ERR_INTERNAL,
                  "row %zu of stage %zu", row, s);
    memset(reason, 0, sizeof reason);
    snprintf(reason, sizeof reason, "%s", rw->reason != NULL ? rw->reason : "");
    if (sl->n_dims > 0 && sl->points == NULL) {
        FCFIT_CHECK(write_ds(r, s, DS_PARAMS, row, 1, rw->x));
    }
    if (sl->seeds == NULL) {
        FCFIT_CHECK(write_ds(r, s, DS_SEEDS, row, 1, rw->seeds));
    }
    FCFIT_CHECK(write_ds(r, s, DS_OBJECTIVE, row, 1, &rw->objective));
    FCFIT_CHECK(write_ds(r, s, DS_SCORES, row, 1, rw->scores));
    FCFIT_CHECK(write_ds(r, s, DS_SCORES_REP, row, 1, rw->scores_replicate));
    FCFIT_CHECK(write_ds(r, s, DS_REPSTATUS, row, 1, rw->replicate_status));
    if (lay->n_subjects > 0) {
        FCFIT_CHECK(write_ds(r, s, DS_SCORES_SUBJ, row, 1, rw->subject_scores));
    }
    if (ds_used(lay, sl, &ds_table[DS_FC]) && rw->fc != NULL) {
        FCFIT_CHECK(write_ds(r, s, DS_FC, row, 1, rw->fc));
    }
    if (sl->tuning) {
        int8_t conv = (int8_t)rw->tune_converged;
        FCFIT_CHECK(write_ds(r, s, DS_TUNE_IT, row, 1, &rw->tune_iterations));
        FCFIT_CHECK(write_ds(r, s, DS_TUNE_ERR, row, 1, &rw->tune_max_error));
        FCFIT_CHECK(write_ds(r, s, DS_TUNE_CONV, row, 1, &conv));
    }
    if (sl->n_instances > 0) {
        FCFIT_CHECK(write_ds(r, s, DS_INSTANCE, row, 1, &rw->instance));
        FCFIT_CHECK(write_ds(r, s, DS_EVAL, row, 1, &rw->eval_index));
    }
    if (sl->validate) {
        FCFIT_CHECK(write_ds(r, s, DS_CAND_STAGE, row, 1, &rw->candidate_stage));
        FCFIT_CHECK(write_ds(r, s, DS_CAND_ROW, row, 1, &rw->candidate_row));
        FCFIT_CHECK(write_ds(r, s, DS_SCORES_SE, row, 1, rw->scores_se));
        FCFIT_CHECK(write_ds(r, s, DS_OBJECTIVE_SE, row, 1, &rw->objective_se));
        FCFIT_CHECK(write_ds(r, s, DS_REGION_PARAMS, row, 1, rw->region_params));
        if (sl->target2) {
            FCFIT_CHECK(write_ds(r, s, DS_SCORES2, row, 1, rw->scores2));
            FCFIT_CHECK(write_ds(r, s, DS_SCORES2_SE, row, 1, rw->scores2_se));
        }
    }
    if (rw->scores_sd != NULL) {
        FCFIT_CHECK(write_ds(r, s, DS_SCORES_SD, row, 1, rw->scores_sd));
    }
    if (rw->diag != NULL) {
        FCFIT_CHECK(write_ds(r, s, DS_DIAG, row, 1, rw->diag));
    }
    FCFIT_CHECK(write_ds(r, s, DS_FLAGS, row, 1, &rw->flags));
    FCFIT_CHECK(write_ds(r, s, DS_REASON, row, 1, reason));
    FCFIT_CHECK(write_ds(r, s, DS_RANK, row, 1, &rw->rank));
    FCFIT_CHECK(write_ds(r, s, DS_WALL, row, 1, &rw->wall_s));
    /* The commit marker, last. */
    FCFIT_CHECK(write_ds(r, s, DS_STATUS, row, 1, &rw->status));
    return FCFIT_OK;
}

fcfit_status fcfit_results_start_stage(fcfit_results *r, size_t s, const double *base)
{
    int32_t running = 1;
    FCFIT_CHECK(write_ds(r, s, DS_BASE, 0, r->lay.n_params, base));
    FCFIT_CHECK(write_ds(r, s, DS_STATE, 0, 1, &running));
    return FCFIT_OK;
}

fcfit_status fcfit_results_write_summary(fcfit_results *r, size_t s,
                                         const fcfit_results_stage_summary *m)
{
    const fcfit_results_stage_layout *sl = &r->lay.stages[s];
    FCFIT_CHECK(write_ds(r, s, DS_ROWS_USED, 0, 1, &m->rows_used));
    FCFIT_CHECK(write_ds(r, s, DS_N_FAILED, 0, 1, &m->n_failed));
    FCFIT_CHECK(write_ds(r, s, DS_BEST_ROW, 0, 1, &m->best_row));
    FCFIT_CHECK(write_ds(r, s, DS_BEST_OBJ, 0, 1, &m->best_objective));
    FCFIT_CHECK(write_ds(r, s, DS_BUSY, 0, 1, &m->busy_worker_s));
    FCFIT_CHECK(write_ds(r, s, DS_STAGE_WALL, 0, 1, &m->wall_s));
    FCFIT_CHECK(write_ds(r, s, DS_N_WORKERS, 0, 1, &m->n_workers));
    if (sl->n_instances > 0 && m->n_instances > 0) {
        size_t n = m->n_instances < sl->n_instances ? m->n_instances : sl->n_instances;
        FCFIT_CHECK(write_ds(r, s, DS_INST_CODE, 0, n, m->instance_code));
        FCFIT_CHECK(write_ds(r, s, DS_INST_EVALS, 0, n, m->instance_evaluations));
        FCFIT_CHECK(write_ds(r, s, DS_INST_BEST_ROW, 0, n, m->instance_best_row));
        FCFIT_CHECK(write_ds(r, s, DS_INST_BEST_OBJ, 0, n, m->instance_best_objective));
    }
    if (m->n_warnings > 0) {
        char what[160];
        snprintf(what, sizeof what, "%s/warnings", sl->name);
        FCFIT_CHECK(write_warning_lines(r, r->st[s].ds[DS_WARNINGS], 0, m->n_warnings,
                                        m->warnings, what));
    }
    /* The state last: a reader that sees "done" sees the summary. */
    FCFIT_CHECK(write_ds(r, s, DS_STATE, 0, 1, &m->state));
    return FCFIT_OK;
}

fcfit_status fcfit_results_read_diag(fcfit_results *r, size_t s, int32_t *flags, double *diag)
{
    if (flags != NULL) {
        FCFIT_CHECK(read_ds_all(r, s, DS_FLAGS, flags));
    }
    if (diag != NULL) {
        FCFIT_CHECK(read_ds_all(r, s, DS_DIAG, diag));
    }
    return FCFIT_OK;
}

/* Read one row of a dataset through an open handle (rank 0). */
static fcfit_status read_row_handle(fcfit_results *r, hid_t ds, elem_type t, size_t row,
                                    void *buf, const char *what)
{
    hsize_t dims[3] = {0, 0, 0}, start[3] = {0, 0, 0}, cnt[3] = {1, 1, 1};
    hid_t fs = H5Dget_space(ds), ms = -1;
    int rank = fs >= 0 ? H5Sget_simple_extent_dims(fs, dims, NULL) : -1;
    herr_t rr = -1;
    if (rank >= 1 && row < dims[0]) {
        start[0] = row;
        for (int k = 1; k < rank; k++) {
            cnt[k] = dims[k];
        }
        ms = H5Screate_simple(rank, cnt, NULL);
        if (ms >= 0 && H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, cnt, NULL) >= 0) {
            rr = H5Dread(ds, mem_type(r, t), ms, fs, H5P_DEFAULT, buf);
        }
    }
    if (ms >= 0) {
        H5Sclose(ms);
    }
    if (fs >= 0) {
        H5Sclose(fs);
    }
    if (rr < 0) {
        char msg[200];
        snprintf(msg, sizeof msg, "cannot read row %zu of %s", row, what);
        return FCFIT_H5_FAIL(msg);
    }
    return FCFIT_OK;
}

/* The answer's row warnings (its flags in words) after the job's warnings in /fit/warnings. */
static fcfit_status write_fit_warnings(fcfit_results *r, const fcfit_results_fit *fit)
{
    size_t s;
    int32_t flags = 0;
    double diag[FCFIT_DIAG_COUNT];
    char line[FCFIT_RESULTS_WARNING_LEN], words[FCFIT_RESULTS_WARNING_LEN];
    const char *lines[1] = {line};
    if (fit->stage < 0 || fit->row < 0 || r->lay.n_diag != FCFIT_DIAG_COUNT) {
        return FCFIT_OK;
    }
    for (s = 0; s < r->lay.n_stages && r->lay.stages[s].kind != fit->stage; s++) {
    }
    if (s == r->lay.n_stages) {
        return FCFIT_OK;
    }
    FCFIT_CHECK(read_row_handle(r, r->st[s].ds[DS_FLAGS], T_I32, (size_t)fit->row, &flags,
                                "flags"));
    FCFIT_CHECK(read_row_handle(r, r->st[s].ds[DS_DIAG], T_F64, (size_t)fit->row, diag,
                                "diagnostics"));
    if (flags == 0) {
        return FCFIT_OK;
    }
    snprintf(line, sizeof line, "the answer (%s row %lld): %s", r->lay.stages[s].name,
             (long long)fit->row, fcfit_diag_describe(flags, diag, words, sizeof words));
    return write_warning_lines(r, r->fit_ds[FIT_WARNINGS], r->lay.n_job_warnings, 1, lines,
                               "fit/warnings");
}

fcfit_status fcfit_results_write_fit(fcfit_results *r, const fcfit_results_fit *fit)
{
    FCFIT_CHECK(write_fit_warnings(r, fit));
    FCFIT_CHECK(write_block(r, r->fit_ds[FIT_STAGE], T_I32, 0, 1, &fit->stage, "fit/stage"));
    FCFIT_CHECK(write_block(r, r->fit_ds[FIT_ROW], T_I64, 0, 1, &fit->row, "fit/row"));
    FCFIT_CHECK(write_block(r, r->fit_ds[FIT_OBJ], T_F64, 0, 1, &fit->objective, "fit/objective"));
    FCFIT_CHECK(write_block(r, r->fit_ds[FIT_OBJ_SE], T_F64, 0, 1, &fit->objective_se,
                            "fit/objective_se"));
    FCFIT_CHECK(write_block(r, r->fit_ds[FIT_PARAMS], T_F64, 0, r->lay.n_params, fit->params,
                            "fit/params"));
    FCFIT_CHECK(write_block(r, r->fit_ds[FIT_STATE], T_I32, 0, 1, &fit->state, "fit/state"));
    return FCFIT_OK;
}

fcfit_status fcfit_results_close(fcfit_results **pr)
{
    fcfit_results *r;
    if (pr == NULL || *pr == NULL) {
        return FCFIT_OK;
    }
    r = *pr;
    close_handles(r);
    if (r->reason_type >= 0) {
        H5Tclose(r->reason_type);
    }
    if (r->warning_type >= 0) {
        H5Tclose(r->warning_type);
    }
    free(r);
    *pr = NULL;
    return FCFIT_OK;
}
static fcfit_status read_strs_attr(hid_t obj, const char *name, size_t n, char ***out)
{
    hid_t a, t;
    char **tmp;
    *out = NULL;
    a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) {
        return FCFIT_H5_FAIL("cannot open a names attribute");
    }
    t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    tmp = calloc(n > 0 ? n : 1, sizeof(char *));
    *out = calloc(n > 0 ? n : 1, sizeof(char *));
    if (tmp == NULL || *out == NULL || H5Aread(a, t, tmp) < 0) {
        free(tmp);
        H5Tclose(t);
        H5Aclose(a);
        return FCFIT_H5_FAIL("cannot read a names attribute");
    }
    for (size_t k = 0; k < n; k++) {
        (*out)[k] = fcfit_strdup(tmp[k] != NULL ? tmp[k] : "");
        H5free_memory(tmp[k]);
    }
    free(tmp);
    H5Tclose(t);
    H5Aclose(a);
    return FCFIT_OK;
}

/* ---- Serial reading ---- */

void fcfit_results_table_free(fcfit_results_table *t)
{
    for (size_t d = 0; t->dim_names != NULL && d < t->n_dims; d++) {
        free(t->dim_names[d]);
    }
    for (size_t k = 0; t->score_names != NULL && k < t->n_scores; k++) {
        free(t->score_names[k]);
    }
    for (size_t p = 0; t->reasons != NULL && p < t->n_points; p++) {
        free(t->reasons[p]);
    }
    free(t->dim_names);
    free(t->score_names);
    free(t->score_sense);
    free(t->reasons);
    free(t->points);
    free(t->status);
    free(t->scores);
    free(t->objective_value);
    free(t->instance);
    free(t->eval_index);
    free(t->scores_se);
    free(t->objective_se);
    free(t->scores2);
    free(t->candidate_stage);
    free(t->candidate_row);
    free(t->rank);
    free(t->wall_s);
    free(t->instance_code);
    free(t->instance_evaluations);
    free(t->instance_best_objective);
    free(t->description);
    free(t->objective);
    free(t->better);
    free(t->job_hash);
    free(t->job);
    free(t->created);
    free(t->model);
    free(t->scores_sd);
    for (size_t k = 0; t->diag_names != NULL && k < t->n_diag; k++) {
        free(t->diag_names[k]);
    }
    free(t->diag_names);
    free(t->diag);
    free(t->flags);
    for (size_t k = 0; t->warnings != NULL && k < t->n_warnings; k++) {
        free(t->warnings[k]);
    }
    free(t->warnings);
    free(t->drive_desc);
    memset(t, 0, sizeof *t);
}

static fcfit_status read_named(hid_t g, const char *name, hid_t memtype, void *buf)
{
    hid_t ds = H5Dopen2(g, name, H5P_DEFAULT);
    herr_t rr = ds >= 0 ? H5Dread(ds, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : -1;
    if (ds >= 0) {
        H5Dclose(ds);
    }
    if (rr < 0) {
        char what[128];
        snprintf(what, sizeof what, "cannot read dataset %s", name);
        return FCFIT_H5_FAIL(what);
    }
    return FCFIT_OK;
}

static int has_ds(hid_t g, const char *name)
{
    htri_t e = H5Lexists(g, name, H5P_DEFAULT);
    H5Eclear2(H5E_DEFAULT);
    return e > 0;
}

/* Dimensions of a dataset; returns its rank (-1 when it cannot be read). */
static int ds_dims(hid_t g, const char *name, hsize_t *dims)
{
    hid_t ds = H5Dopen2(g, name, H5P_DEFAULT);
    hid_t sp = ds >= 0 ? H5Dget_space(ds) : -1;
    int rank = sp >= 0 ? H5Sget_simple_extent_dims(sp, dims, NULL) : -1;
    if (sp >= 0) {
        H5Sclose(sp);
    }
    if (ds >= 0) {
        H5Dclose(ds);
    }
    return rank;
}

static fcfit_status open_run_file(const char *path, hid_t *f)
{
    char *kind = NULL;
    fcfit_status st;
    *f = -1;
    fcfit_h5_quiet();
    FCFIT_REQUIRE(access(path, R_OK) == 0, FCFIT_ERR_INPUT, "%s: cannot read the file: %s", path,
                  strerror(errno));
    {
        int is_hdf5 = 0;
        FCFIT_CHECK(fcfit_h5_check_guarded(path, &is_hdf5));
    }
    if (H5Fis_hdf5(path) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        FCFIT_FAIL(FCFIT_ERR_INPUT, "%s is not an HDF5 file", path);
    }
    *f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (*f < 0) {
        H5Eclear2(H5E_DEFAULT);
        FCFIT_FAIL(FCFIT_ERR_INPUT, "%s cannot be opened as HDF5", path);
    }
    st = fcfit_h5_read_attr_str(*f, "fcfit_kind", &kind);
    if (st == FCFIT_OK && (kind == NULL || strcmp(kind, "run") != 0)) {
        st = fcfit_error_set(FCFIT_ERR_INPUT, __FILE__, __LINE__, __func__,
                             "%s is not an fcfit run results file (fcfit_kind = %s)", path,
                             kind != NULL ? kind : "absent");
    }
    free(kind);
    if (st != FCFIT_OK) {
        H5Fclose(*f);
        *f = -1;
    }
    return st;
}

/* The non-empty lines of a group's `warnings` dataset (none when it has no such dataset). */
static fcfit_status read_warning_lines(hid_t g, char ***out, size_t *n_out)
{
    hsize_t dims[3];
    hid_t t;
    char *buf;
    fcfit_status st = FCFIT_OK;
    *out = NULL;
    *n_out = 0;
    if (!has_ds(g, "warnings") || ds_dims(g, "warnings", dims) != 1) {
        return FCFIT_OK;
    }
    buf = calloc(dims[0] + 1, FCFIT_RESULTS_WARNING_LEN);
    *out = calloc(dims[0] + 1, sizeof(char *));
    t = H5Tcopy(H5T_C_S1);
    if (buf == NULL || *out == NULL || t < 0) {
        free(buf);
        free(*out);
        *out = NULL;
        if (t >= 0) {
            H5Tclose(t);
        }
        FCFIT_FAIL(FCFIT_ERR_NOMEM, "out of memory");
    }
    H5Tset_size(t, FCFIT_RESULTS_WARNING_LEN);
    st = read_named(g, "warnings", t, buf);
    H5Tclose(t);
    for (size_t k = 0; st == FCFIT_OK && k < dims[0]; k++) {
        char *line = buf + k * FCFIT_RESULTS_WARNING_LEN;
        line[FCFIT_RESULTS_WARNING_LEN - 1] = '\0';
        if (line[0] != '\0') {
            (*out)[(*n_out)++] = fcfit_strdup(line);
        }
    }
    free(buf);
    return st;
}

fcfit_status fcfit_results_list_stages(const char *path, char ***names)
{
    hid_t f = -1, a = -1, t = -1, sp = -1;
    hsize_t n = 0;
    char **tmp = NULL;
    fcfit_status st = FCFIT_OK;
    *names = NULL;
    FCFIT_CHECK(open_run_file(path, &f));
    a = H5Aopen(f, "stages", H5P_DEFAULT);
    if (a < 0) {
        H5Eclear2(H5E_DEFAULT);
        FCFIT_FAIL_GOTO(FCFIT_ERR_INPUT,
                        "%s lists no stages: it was written by an older fcfit; re-run the job",
                        path);
    }
    sp = H5Aget_space(a);
    if (sp < 0 || H5Sget_simple_extent_dims(sp, &n, NULL) != 1) {
        st = FCFIT_H5_FAIL("cannot read the stage list");
        goto cleanup;
    }
    t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    tmp = calloc(n + 1, sizeof(char *));
    *names = calloc(n + 1, sizeof(char *));
    FCFIT_REQUIRE_GOTO(tmp != NULL && *names != NULL, FCFIT_ERR_NOMEM, "out of memory");
    if (H5Aread(a, t, tmp) < 0) {
        st = FCFIT_H5_FAIL("cannot read the stage list");
        goto cleanup;
    }
    for (size_t k = 0; k < n; k++) {
        (*names)[k] = fcfit_strdup(tmp[k] != NULL ? tmp[k] : "");
        H5free_memory(tmp[k]);
    }

cleanup:
    free(tmp);
    if (t >= 0) {
        H5Tclose(t);
    }
    if (sp >= 0) {
        H5Sclose(sp);
    }
    if (a >= 0) {
        H5Aclose(a);
    }
    H5Fclose(f);
    if (st != FCFIT_OK && *names != NULL) {
        for (size_t k = 0; (*names)[k] != NULL; k++) {
            free((*names)[k]);
        }
        free(*names);
        *names = NULL;
    }
    return st;
}

fcfit_status fcfit_results_read_table(const char *path, const char *stage,
                                      fcfit_results_table *t)
{
    hid_t f = -1, g = -1, rt = -1;
    hsize_t dims[3];
    char *rbuf = NULL;
    fcfit_status st = FCFIT_OK;
    long long v = 0;

    memset(t, 0, sizeof *t);
    FCFIT_CHECK(open_run_file(path, &f));
    FCFIT_TRY(fcfit_h5_read_attr_str(f, "job_hash", &t->job_hash));
    FCFIT_TRY(fcfit_h5_read_attr_str(f, "job", &t->job));
    FCFIT_TRY(fcfit_h5_read_attr_str(f, "created", &t->created));
    FCFIT_TRY(fcfit_h5_read_attr_str(f, "model", &t->model));
    FCFIT_TRY(fcfit_h5_read_attr_str(f, "objective", &t->objective));
    FCFIT_TRY(fcfit_h5_read_attr_str(f, "objective_better", &t->better));
    g = H5Gopen2(f, stage, H5P_DEFAULT);
    if (g < 0) {
        H5Eclear2(H5E_DEFAULT);
        FCFIT_FAIL_GOTO(FCFIT_ERR_INPUT, "%s has no %s stage", path, stage);
    }
    FCFIT_TRY(fcfit_h5_read_attr_str(g, "description", &t->description));
    {
        hid_t a = H5Aopen(g, "n_replicates", H5P_DEFAULT);
        if (a >= 0) {
            H5Aread(a, H5T_NATIVE_LLONG, &v);
            H5Aclose(a);
        }
        H5Eclear2(H5E_DEFAULT);
        t->n_replicates = (size_t)v;
    }
    FCFIT_REQUIRE_GOTO(ds_dims(g, "status", dims) == 1, FCFIT_ERR_INPUT,
                       "%s: %s/status is missing or malformed", path, stage);
    t->n_points = dims[0];
    if (has_ds(g, "params")) {
        hid_t ds = H5Dopen2(g, "params", H5P_DEFAULT);
        FCFIT_REQUIRE_GOTO(ds_dims(g, "params", dims) == 2, FCFIT_ERR_INPUT,
                           "%s: %s/params is malformed", path, stage);
        t->n_dims = dims[1];
        st = read_strs_attr(ds, "names", t->n_dims, &t->dim_names);
        H5Dclose(ds);
        FCFIT_TRY(st);
    }
    FCFIT_REQUIRE_GOTO(ds_dims(g, "scores", dims) == 2, FCFIT_ERR_INPUT,
                       "%s: %s/scores is missing or malformed", path, stage);
    t->n_scores = dims[1];
    {
        hid_t ds = H5Dopen2(g, "scores", H5P_DEFAULT);
        long long sense[64];
        hid_t a;
        st = read_strs_attr(ds, "names", t->n_scores, &t->score_names);
        if (st != FCFIT_OK) {
            H5Dclose(ds);
            goto cleanup;
        }
        t->score_sense = calloc(t->n_scores + 1, sizeof(int));
        a = H5Aopen(ds, "sense", H5P_DEFAULT);
        if (a >= 0 && t->n_scores <= 64 && H5Aread(a, H5T_NATIVE_LLONG, sense) >= 0) {
            for (size_t k = 0; k < t->n_scores && t->score_sense != NULL; k++) {
                t->score_sense[k] = (int)sense[k];
            }
        }
        if (a >= 0) {
            H5Aclose(a);
        }
        H5Dclose(ds);
        FCFIT_REQUIRE_GOTO(t->score_sense != NULL, FCFIT_ERR_NOMEM, "out of memory");
    }
    FCFIT_ALLOC_GOTO(t->points, t->n_points * t->n_dims, "points");
    FCFIT_ALLOC_GOTO(t->status, t->n_points, "status");
    FCFIT_ALLOC_GOTO(t->scores, t->n_points * t->n_scores, "scores");
    FCFIT_ALLOC_GOTO(t->objective_value, t->n_points, "objective values");
    FCFIT_ALLOC_GOTO(t->rank, t->n_points, "ranks");
    FCFIT_ALLOC_GOTO(t->wall_s, t->n_points, "wall times");
    FCFIT_ALLOC_GOTO(t->reasons, t->n_points, "reasons");
    FCFIT_ALLOC_GOTO(rbuf, t->n_points * REASON_LEN, "reasons");
    if (t->n_dims > 0) {
        FCFIT_TRY(read_named(g, "params", H5T_NATIVE_DOUBLE, t->points));
    }
    FCFIT_TRY(read_named(g, "status", H5T_NATIVE_INT32, t->status));
    FCFIT_TRY(read_named(g, "scores", H5T_NATIVE_DOUBLE, t->scores));
    FCFIT_TRY(read_named(g, "objective", H5T_NATIVE_DOUBLE, t->objective_value));
    FCFIT_TRY(read_named(g, "worker_rank", H5T_NATIVE_INT32, t->rank));
    FCFIT_TRY(read_named(g, "wall_time_s", H5T_NATIVE_DOUBLE, t->wall_s));
    FCFIT_TRY(read_named(g, "state", H5T_NATIVE_INT32, &t->state));
    FCFIT_TRY(read_named(g, "rows_used", H5T_NATIVE_INT64, &t->rows_used));
    FCFIT_TRY(read_named(g, "best_row", H5T_NATIVE_INT64, &t->best_row));
    FCFIT_TRY(read_named(g, "best_objective", H5T_NATIVE_DOUBLE, &t->best_objective));
    FCFIT_TRY(read_named(g, "busy_worker_s", H5T_NATIVE_DOUBLE, &t->busy_worker_s));
    FCFIT_TRY(read_named(g, "stage_wall_s", H5T_NATIVE_DOUBLE, &t->stage_wall_s));
    FCFIT_TRY(read_named(g, "n_workers", H5T_NATIVE_INT64, &t->n_workers));
    if (has_ds(g, "instance")) {
        FCFIT_ALLOC_GOTO(t->instance, t->n_points, "instances");
        FCFIT_ALLOC_GOTO(t->eval_index, t->n_points, "evaluation indices");
        FCFIT_TRY(read_named(g, "instance", H5T_NATIVE_INT32, t->instance));
        FCFIT_TRY(read_named(g, "eval_index", H5T_NATIVE_INT32, t->eval_index));
        FCFIT_REQUIRE_GOTO(ds_dims(g, "instance_code", dims) == 1, FCFIT_ERR_INPUT,
                           "%s: %s/instance_code is malformed", path, stage);
        t->n_instances = dims[0];
        FCFIT_ALLOC_GOTO(t->instance_code, t->n_instances, "instance codes");
        FCFIT_ALLOC_GOTO(t->instance_evaluations, t->n_instances, "instance evaluations");
        FCFIT_ALLOC_GOTO(t->instance_best_objective, t->n_instances, "instance bests");
        FCFIT_TRY(read_named(g, "instance_code", H5T_NATIVE_INT32, t->instance_code));
        FCFIT_TRY(read_named(g, "instance_evaluations", H5T_NATIVE_INT64,
                             t->instance_evaluations));
        FCFIT_TRY(read_named(g, "instance_best_objective", H5T_NATIVE_DOUBLE,
                             t->instance_best_objective));
    }
    if (has_ds(g, "scores_se")) {
        FCFIT_ALLOC_GOTO(t->scores_se, t->n_points * t->n_scores, "standard errors");
        FCFIT_ALLOC_GOTO(t->objective_se, t->n_points, "standard errors");
        FCFIT_ALLOC_GOTO(t->candidate_stage, t->n_points, "candidates");
        FCFIT_ALLOC_GOTO(t->candidate_row, t->n_points, "candidates");
        FCFIT_TRY(read_named(g, "scores_se", H5T_NATIVE_DOUBLE, t->scores_se));
        FCFIT_TRY(read_named(g, "objective_se", H5T_NATIVE_DOUBLE, t->objective_se));
        FCFIT_TRY(read_named(g, "candidate_stage", H5T_NATIVE_INT32, t->candidate_stage));
        FCFIT_TRY(read_named(g, "candidate_row", H5T_NATIVE_INT64, t->candidate_row));
    }
    if (has_ds(g, "scores_target2")) {
        FCFIT_ALLOC_GOTO(t->scores2, t->n_points * t->n_scores, "second-target scores");
        FCFIT_TRY(read_named(g, "scores_target2", H5T_NATIVE_DOUBLE, t->scores2));
    }
    t->target_fcd_median = NAN;
    if (has_ds(g, "scores_sd")) {
        FCFIT_ALLOC_GOTO(t->scores_sd, t->n_points * t->n_scores, "score deviations");
        FCFIT_TRY(read_named(g, "scores_sd", H5T_NATIVE_DOUBLE, t->scores_sd));
    }
    if (has_ds(g, "diagnostics") && ds_dims(g, "diagnostics", dims) == 2 &&
        dims[0] == t->n_points) {
        hid_t ds = H5Dopen2(g, "diagnostics", H5P_DEFAULT);
        t->n_diag = dims[1];
        st = read_strs_attr(ds, "names", t->n_diag, &t->diag_names);
        if (st == FCFIT_OK) {
            st = fcfit_h5_read_attr_str(ds, "drive", &t->drive_desc);
        }
        H5Dclose(ds);
        FCFIT_TRY(st);
        FCFIT_ALLOC_GOTO(t->diag, t->n_points * t->n_diag, "diagnostics");
        FCFIT_TRY(read_named(g, "diagnostics", H5T_NATIVE_DOUBLE, t->diag));
    }
    if (has_ds(g, "flags")) {
        FCFIT_ALLOC_GOTO(t->flags, t->n_points, "flags");
        FCFIT_TRY(read_named(g, "flags", H5T_NATIVE_INT32, t->flags));
    }
    FCFIT_TRY(read_warning_lines(g, &t->warnings, &t->n_warnings));
    if (H5Lexists(f, "target", H5P_DEFAULT) > 0) {
        hid_t tg = H5Gopen2(f, "target", H5P_DEFAULT);
        if (tg >= 0 && has_ds(tg, "fcd_median")) {
            st = read_named(tg, "fcd_median", H5T_NATIVE_DOUBLE, &t->target_fcd_median);
        }
        if (tg >= 0) {
            H5Gclose(tg);
        }
        FCFIT_TRY(st);
    }
    H5Eclear2(H5E_DEFAULT);
    rt = H5Tcopy(H5T_C_S1);
    H5Tset_size(rt, REASON_LEN);
    FCFIT_TRY(read_named(g, "reason", rt, rbuf));
    for (size_t p = 0; p < t->n_points; p++) {
        rbuf[p * REASON_LEN + REASON_LEN - 1] = '\0';
        t->reasons[p] = fcfit_strdup(rbuf + p * REASON_LEN);
    }

cleanup:
    if (rt >= 0) {
        H5Tclose(rt);
    }
    if (g >= 0) {
        H5Gclose(g);
    }
    if (f >= 0) {
        H5Fclose(f);
    }
    free(rbuf);
    if (st != FCFIT_OK) {
        fcfit_results_table_free(t);
    }
    return st;
}

void fcfit_results_fit_info_free(fcfit_results_fit_info *f)
{
    for (size_t j = 0; f->param_names != NULL && j < f->n_params; j++) {
        free(f->param_names[j]);
    }
    free(f->param_names);
    free(f->params);
    for (size_t k = 0; f->warnings != NULL && k < f->n_warnings; k++) {
        free(f->warnings[k]);
    }
    free(f->warnings);
    memset(f, 0, sizeof *f);
}

fcfit_status fcfit_results_read_fit(const char *path, fcfit_results_fit_info *fi)
{
    hid_t f = -1, g = -1, ds = -1;
    hsize_t dims[3];
    fcfit_status st = FCFIT_OK;

    memset(fi, 0, sizeof *fi);
    FCFIT_CHECK(open_run_file(path, &f));
    g = H5Gopen2(f, "fit", H5P_DEFAULT);
    if (g < 0) {
        H5Eclear2(H5E_DEFAULT);
        FCFIT_FAIL_GOTO(FCFIT_ERR_INPUT, "%s has no fit group", path);
    }
    FCFIT_REQUIRE_GOTO(ds_dims(g, "params", dims) == 2, FCFIT_ERR_INPUT,
                       "%s: fit/params is missing or malformed", path);
    fi->n_params = dims[0];
    fi->n_regions = dims[1];
    FCFIT_ALLOC_GOTO(fi->params, fi->n_params * fi->n_regions, "fit parameters");
    FCFIT_TRY(read_named(g, "params", H5T_NATIVE_DOUBLE, fi->params));
    FCFIT_TRY(read_named(g, "state", H5T_NATIVE_INT32, &fi->state));
    FCFIT_TRY(read_named(g, "stage", H5T_NATIVE_INT32, &fi->stage));
    FCFIT_TRY(read_named(g, "row", H5T_NATIVE_INT64, &fi->row));
    FCFIT_TRY(read_named(g, "objective", H5T_NATIVE_DOUBLE, &fi->objective));
    FCFIT_TRY(read_named(g, "objective_se", H5T_NATIVE_DOUBLE, &fi->objective_se));
    ds = H5Dopen2(g, "params", H5P_DEFAULT);
    FCFIT_TRY(read_strs_attr(ds, "names", fi->n_params, &fi->param_names));
    FCFIT_TRY(read_warning_lines(g, &fi->warnings, &fi->n_warnings));

cleanup:
    if (ds >= 0) {
        H5Dclose(ds);
    }
    if (g >= 0) {
        H5Gclose(g);
    }
    H5Fclose(f);
    if (st != FCFIT_OK) {
        fcfit_results_fit_info_free(fi);
    }
    return st;
}

void fcfit_results_row_inputs_free(fcfit_results_row_inputs *in)
{
    free(in->job_hash);
    free(in->x);
    free(in->base);
    free(in->region_params);
    free(in->seeds);
    memset(in, 0, sizeof *in);
}

/* Read one row (first-dimension index) of a dataset into buf. */
static fcfit_status read_named_row(hid_t g, const char *name, hid_t memtype, size_t row,
                                   size_t row_len, void *buf)
{
    hid_t ds = H5Dopen2(g, name, H5P_DEFAULT), fs = -1, ms = -1;
    hsize_t dims[3] = {0, 0, 0}, start[3] = {0, 0, 0}, cnt[3] = {1, 1, 1};
    int rank;
    herr_t rr = -1;
    fs = ds >= 0 ? H5Dget_space(ds) : -1;
    rank = fs >= 0 ? H5Sget_simple_extent_dims(fs, dims, NULL) : -1;
    if (rank >= 1 && row < dims[0]) {
        hsize_t n = 1;
        start[0] = row;
        for (int k = 1; k < rank; k++) {
            cnt[k] = dims[k];
            n *= dims[k];
        }
        if (n == row_len) {
            ms = H5Screate_simple(rank, cnt, NULL);
            if (ms >= 0 && H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, cnt, NULL) >= 0) {
                rr = H5Dread(ds, memtype, ms, fs, H5P_DEFAULT, buf);
            }
        }
    }
    if (ms >= 0) {
        H5Sclose(ms);
    }
    if (fs >= 0) {
        H5Sclose(fs);
    }
    if (ds >= 0) {
        H5Dclose(ds);
    }
    if (rr < 0) {
        char what[160];
        snprintf(what, sizeof what, "cannot read row %zu of %s", row, name);
        return FCFIT_H5_FAIL(what);
    }
    return FCFIT_OK;
}

fcfit_status fcfit_results_read_row_inputs(const char *path, const char *stage, long row,
                                           char **stage_out, long *row_out,
                                           fcfit_results_row_inputs *in)
{
    static const char *const kinds[] = {"sweep", "optimize", "refine", "validate"};
    hid_t f = -1, g = -1;
    hsize_t dims[3];
    fcfit_status st = FCFIT_OK;
    char *name = NULL;
    long long rep = 0;

    memset(in, 0, sizeof *in);
    *stage_out = NULL;
    FCFIT_CHECK(open_run_file(path, &f));
    FCFIT_TRY(fcfit_h5_read_attr_str(f, "job_hash", &in->job_hash));
    if (stage == NULL) {
        int32_t fstate = 0, fstage = -1;
        int64_t frow = -1;
        g = H5Gopen2(f, "fit", H5P_DEFAULT);
        if (g < 0) {
            H5Eclear2(H5E_DEFAULT);
            FCFIT_FAIL_GOTO(FCFIT_ERR_INPUT, "%s has no fit group", path);
        }
        FCFIT_TRY(read_named(g, "state", H5T_NATIVE_INT32, &fstate));
        FCFIT_TRY(read_named(g, "stage", H5T_NATIVE_INT32, &fstage));
        FCFIT_TRY(read_named(g, "row", H5T_NATIVE_INT64, &frow));
        H5Gclose(g);
        g = -1;
        FCFIT_REQUIRE_GOTO(fstate == 1 && fstage >= 0 && fstage < 4 && frow >= 0, FCFIT_ERR_INPUT,
                           "%s: the fit is not complete yet; name a row with --stage NAME --row "
                           "K, or finish the run first",
                           path);
        name = fcfit_strdup(kinds[fstage]);
        row = (long)frow;
    } else {
        name = fcfit_strdup(stage);
    }
    FCFIT_REQUIRE_GOTO(name != NULL, FCFIT_ERR_NOMEM, "out of memory");
    g = H5Gopen2(f, name, H5P_DEFAULT);
    if (g < 0) {
        H5Eclear2(H5E_DEFAULT);
        FCFIT_FAIL_GOTO(FCFIT_ERR_INPUT, "%s has no %s stage", path, name);
    }
    FCFIT_REQUIRE_GOTO(ds_dims(g, "status", dims) == 1, FCFIT_ERR_INPUT,
                       "%s: %s/status is malformed", path, name);
    FCFIT_REQUIRE_GOTO(row >= 0 && (hsize_t)row < dims[0], FCFIT_ERR_INPUT,
                       "%s: the %s stage has rows 0 to %llu, not %ld", path, name,
                       (unsigned long long)dims[0] - 1, row);
    FCFIT_TRY(read_named_row(g, "status", H5T_NATIVE_INT32, (size_t)row, 1, &in->status));
    FCFIT_REQUIRE_GOTO(in->status != 0, FCFIT_ERR_INPUT,
                       "%s: %s row %ld is not done yet (nothing to re-simulate)", path, name, row);
    FCFIT_REQUIRE_GOTO(ds_dims(g, "base_params", dims) == 2, FCFIT_ERR_INPUT,
                       "%s: %s/base_params is malformed", path, name);
    in->n_params = dims[0];
    in->n_regions = dims[1];
    in->base = calloc(in->n_params * in->n_regions, sizeof(double));
    FCFIT_REQUIRE_GOTO(in->base != NULL, FCFIT_ERR_NOMEM, "out of memory");
    FCFIT_TRY(read_named(g, "base_params", H5T_NATIVE_DOUBLE, in->base));
    if (has_ds(g, "params")) {
        FCFIT_REQUIRE_GOTO(ds_dims(g, "params", dims) == 2, FCFIT_ERR_INPUT,
                           "%s: %s/params is malformed", path, name);
        in->n_dims = dims[1];
        in->x = calloc(in->n_dims + 1, sizeof(double));
        FCFIT_REQUIRE_GOTO(in->x != NULL, FCFIT_ERR_NOMEM, "out of memory");
        FCFIT_TRY(read_named_row(g, "params", H5T_NATIVE_DOUBLE, (size_t)row, in->n_dims, in->x));
    }
    if (has_ds(g, "region_params")) {
        in->region_params = calloc(in->n_params * in->n_regions, sizeof(double));
        FCFIT_REQUIRE_GOTO(in->region_params != NULL, FCFIT_ERR_NOMEM, "out of memory");
        FCFIT_TRY(read_named_row(g, "region_params", H5T_NATIVE_DOUBLE, (size_t)row,
                                 in->n_params * in->n_regions, in->region_params));
    }
    {
        hid_t a = H5Aopen(g, "n_replicates", H5P_DEFAULT);
        if (a >= 0) {
            H5Aread(a, H5T_NATIVE_LLONG, &rep);
            H5Aclose(a);
        }
        H5Eclear2(H5E_DEFAULT);
    }
    FCFIT_REQUIRE_GOTO(rep > 0, FCFIT_ERR_INPUT, "%s: %s has no replicate count", path, name);
    in->n_replicates = (size_t)rep;
    in->seeds = calloc(in->n_replicates, sizeof(uint64_t));
    FCFIT_REQUIRE_GOTO(in->seeds != NULL, FCFIT_ERR_NOMEM, "out of memory");
    FCFIT_TRY(read_named_row(g, "seeds", H5T_NATIVE_UINT64, (size_t)row, in->n_replicates,
                             in->seeds));
    *stage_out = name;
    *row_out = row;
    name = NULL;

cleanup:
    if (g >= 0) {
        H5Gclose(g);
    }
    H5Fclose(f);
    free(name);
    if (st != FCFIT_OK) {
        fcfit_results_row_inputs_free(in);
    }
    return st;
}

fcfit_status fcfit_results_progress(const char *path, fcfit_results_progress_info *pi)
{
    char **names = NULL;
    fcfit_status st = FCFIT_OK;
    hid_t f = -1;
    memset(pi, 0, sizeof *pi);
    FCFIT_CHECK(fcfit_results_list_stages(path, &names));
    FCFIT_TRY(open_run_file(path, &f));
    for (size_t k = 0; names[k] != NULL && pi->n_stages < FCFIT_RESULTS_MAX_STAGES; k++) {
        hid_t g = H5Gopen2(f, names[k], H5P_DEFAULT);
        hsize_t dims[3];
        int32_t *status = NULL, state = 0;
        size_t i = pi->n_stages;
        if (g < 0) {
            H5Eclear2(H5E_DEFAULT);
            FCFIT_FAIL_GOTO(FCFIT_ERR_INPUT, "%s has no %s stage", path, names[k]);
        }
        if (ds_dims(g, "status", dims) != 1) {
            H5Gclose(g);
            FCFIT_FAIL_GOTO(FCFIT_ERR_INPUT, "%s: %s/status is missing or malformed", path,
                            names[k]);
        }
        status = calloc(dims[0] + 1, sizeof *status);
        if (status == NULL) {
            H5Gclose(g);
            FCFIT_FAIL_GOTO(FCFIT_ERR_NOMEM, "out of memory");
        }
        st = read_named(g, "status", H5T_NATIVE_INT32, status);
        if (st == FCFIT_OK) {
            st = read_named(g, "state", H5T_NATIVE_INT32, &state);
        }
        H5Gclose(g);
        if (st != FCFIT_OK) {
            free(status);
            goto cleanup;
        }
        snprintf(pi->stage[i], sizeof pi->stage[i], "%s", names[k]);
        pi->rows[i] = (size_t)dims[0];
        pi->state[i] = state;
        for (size_t r = 0; r < dims[0]; r++) {
            pi->done[i] += status[r] != 0;
        }
        free(status);
        pi->n_stages++;
    }

cleanup:
    if (f >= 0) {
        H5Fclose(f);
    }
    for (size_t k = 0; names != NULL && names[k] != NULL; k++) {
        free(names[k]);
    }
    free(names);
    return st;
}
