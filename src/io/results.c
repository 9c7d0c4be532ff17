/*
 * results.c: the parallel HDF5 results file (see fcfit_results.h and
 * docs/output-format.md).
 *
 * Why it survives SIGKILL: all metadata (groups, datasets, attributes) is
 * written and flushed collectively before the first task; afterwards only
 * raw data of contiguous, early-allocated datasets changes, through
 * independent MPI-IO writes that the kernel holds once the call returns. The
 * HDF5 metadata cache therefore never holds anything a reader needs. The
 * creation itself happens under a temporary name that is renamed once
 * complete, so a kill during creation leaves no file at the real path.
 */
#include "fcfit/fcfit_results.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fcfit/fcfit_util.h"
#include "io/h5util.h"

#define REASON_LEN 128

enum {
    DS_PARAMS,
    DS_SEEDS,
    DS_STATUS,
    DS_REASON,
    DS_REPSTATUS,
    DS_SCORES,
    DS_SCORES_REP,
    DS_SCORES_SUBJ,
    DS_FC,
    DS_RANK,
    DS_WALL,
    DS_TUNE_IT,
    DS_TUNE_ERR,
    DS_TUNE_CONV,
    DS_COUNT
};

static const char *const ds_names[DS_COUNT] = {
    "params",      "seeds",          "status",         "reason",          "replicate_status",
    "scores",      "scores_replicate", "scores_subject", "fc",            "worker_rank",
    "wall_time_s", "tune_iterations", "tune_max_error", "tune_converged"};

struct fcfit_results {
    MPI_Comm comm;
    int rank;
    hid_t file, group;
    hid_t ds[DS_COUNT];
    hid_t reason_type;
    fcfit_results_layout lay;
    char *stage;
};

static int ds_used(const fcfit_results_layout *lay, int k)
{
    switch (k) {
    case DS_SCORES_SUBJ:
        return lay->n_subjects > 0;
    case DS_FC:
        return lay->n_fc > 0;
    case DS_TUNE_IT:
    case DS_TUNE_ERR:
    case DS_TUNE_CONV:
        return lay->tuning;
    default:
        return 1;
    }
}

/* Shape of dataset k: rank and dims. */
static int ds_shape(const fcfit_results_layout *lay, int k, hsize_t *dims)
{
    dims[0] = lay->n_points;
    dims[1] = 1;
    dims[2] = 1;
    switch (k) {
    case DS_PARAMS:
        dims[1] = lay->n_dims;
        return 2;
    case DS_SEEDS:
    case DS_REPSTATUS:
        dims[1] = lay->n_replicates;
        return 2;
    case DS_SCORES:
        dims[1] = lay->n_scores;
        return 2;
    case DS_SCORES_REP:
        dims[1] = lay->n_replicates;
        dims[2] = lay->n_scores;
        return 3;
    case DS_SCORES_SUBJ:
        dims[1] = lay->n_subjects;
        dims[2] = lay->n_subject_scores;
        return 3;
    case DS_FC:
        dims[1] = lay->n_fc;
        return 2;
    default:
        return 1;
    }
}

static hid_t ds_file_type(const fcfit_results *r, int k)
{
    switch (k) {
    case DS_SEEDS:
        return H5T_STD_U64LE;
    case DS_STATUS:
    case DS_REPSTATUS:
    case DS_RANK:
    case DS_TUNE_IT:
        return H5T_STD_I32LE;
    case DS_TUNE_CONV:
        return H5T_STD_I8LE;
    case DS_REASON:
        return r->reason_type;
    case DS_FC:
        return H5T_IEEE_F32LE;
    default:
        return H5T_IEEE_F64LE;
    }
}

static hid_t ds_mem_type(const fcfit_results *r, int k)
{
    switch (k) {
    case DS_SEEDS:
        return H5T_NATIVE_UINT64;
    case DS_STATUS:
    case DS_REPSTATUS:
    case DS_RANK:
    case DS_TUNE_IT:
        return H5T_NATIVE_INT32;
    case DS_TUNE_CONV:
        return H5T_NATIVE_INT8;
    case DS_REASON:
        return r->reason_type;
    case DS_FC:
        return H5T_NATIVE_FLOAT;
    default:
        return H5T_NATIVE_DOUBLE;
    }
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

static fcfit_status set_fill(hid_t dcpl, int k, hid_t type)
{
    double nan_v = NAN;
    int32_t zero_i = 0, minus1 = -1;
    uint64_t zero_u = 0;
    int8_t zero_c = 0;
    char empty[REASON_LEN];
    const void *fill;
    memset(empty, 0, sizeof empty);
    switch (k) {
    case DS_SEEDS:
        fill = &zero_u;
        break;
    case DS_STATUS:
    case DS_REPSTATUS:
    case DS_TUNE_IT:
        fill = &zero_i;
        break;
    case DS_RANK:
        fill = &minus1;
        break;
    case DS_TUNE_CONV:
        fill = &zero_c;
        break;
    case DS_REASON:
        fill = empty;
        break;
    case DS_FC: {
        static const float nan_f = NAN;
        fill = &nan_f;
        break;
    }
    default:
        fill = &nan_v;
        break;
    }
    if (H5Pset_fill_value(dcpl, type, fill) < 0) {
        return FCFIT_H5_FAIL("cannot set a fill value");
    }
    return FCFIT_OK;
}

/* Create every dataset of the stage (collective). */
static fcfit_status create_datasets(fcfit_results *r)
{
    const fcfit_results_layout *lay = &r->lay;
    for (int k = 0; k < DS_COUNT; k++) {
        hsize_t dims[3];
        int rank;
        hid_t sp, dcpl, type;
        fcfit_status st = FCFIT_OK;
        r->ds[k] = -1;
        if (!ds_used(lay, k)) {
            continue;
        }
        rank = ds_shape(lay, k, dims);
        type = ds_file_type(r, k);
        sp = H5Screate_simple(rank, dims, NULL);
        dcpl = H5Pcreate(H5P_DATASET_CREATE);
        if (sp < 0 || dcpl < 0 || H5Pset_layout(dcpl, H5D_CONTIGUOUS) < 0 ||
            H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY) < 0 ||
            H5Pset_fill_time(dcpl, H5D_FILL_TIME_ALLOC) < 0) {
            st = FCFIT_H5_FAIL("cannot prepare a dataset");
        }
        if (st == FCFIT_OK) {
            st = set_fill(dcpl, k, type);
        }
        if (st == FCFIT_OK) {
            r->ds[k] = H5Dcreate2(r->group, ds_names[k], type, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
            if (r->ds[k] < 0) {
                char what[128];
                snprintf(what, sizeof what, "cannot create dataset %s", ds_names[k]);
                st = FCFIT_H5_FAIL(what);
            }
        }
        if (dcpl >= 0) {
            H5Pclose(dcpl);
        }
        if (sp >= 0) {
            H5Sclose(sp);
        }
        FCFIT_CHECK(st);
    }
    FCFIT_CHECK(fcfit_h5_attr_strs(r->ds[DS_PARAMS], "names", lay->n_dims, lay->dim_names));
    FCFIT_CHECK(fcfit_h5_attr_strs(r->ds[DS_SCORES], "names", lay->n_scores, lay->score_names));
    FCFIT_CHECK(fcfit_h5_attr_strs(r->ds[DS_SCORES_REP], "names", lay->n_scores, lay->score_names));
    {
        long long sense[64];
        hsize_t n = lay->n_scores;
        hid_t sp = H5Screate_simple(1, &n, NULL);
        hid_t a = sp >= 0 ? H5Acreate2(r->ds[DS_SCORES], "sense", H5T_STD_I64LE, sp, H5P_DEFAULT,
                                       H5P_DEFAULT)
                          : -1;
        herr_t w;
        for (size_t k = 0; k < lay->n_scores && k < 64; k++) {
            sense[k] = lay->score_sense[k];
        }
        w = a >= 0 ? H5Awrite(a, H5T_NATIVE_LLONG, sense) : -1;
        if (a >= 0) {
            H5Aclose(a);
        }
        if (sp >= 0) {
            H5Sclose(sp);
        }
        if (w < 0) {
            return FCFIT_H5_FAIL("cannot write the score senses");
        }
    }
    if (lay->n_subjects > 0) {
        FCFIT_CHECK(fcfit_h5_attr_strs(r->ds[DS_SCORES_SUBJ], "names", lay->n_subject_scores,
                                       lay->subject_score_names));
    }
    if (lay->n_fc > 0) {
        FCFIT_CHECK(fcfit_h5_attr_str(r->ds[DS_FC], "layout",
                                      "upper triangle without the diagonal, row-major "
                                      "(01, 02, ..., 12, ...), replicate 0"));
        FCFIT_CHECK(fcfit_h5_attr_int(r->ds[DS_FC], "n_regions", (long long)lay->n_regions));
    }
    FCFIT_CHECK(fcfit_h5_attr_str(r->ds[DS_STATUS], "codes",
                                  "0 pending, 1 ok, 2 diverged, 3 out_of_domain, 4 degenerate, "
                                  "5 failed"));
    FCFIT_CHECK(fcfit_h5_attr_str(r->group, "sampler", lay->sampler));
    FCFIT_CHECK(fcfit_h5_attr_str(r->group, "objective", lay->objective));
    FCFIT_CHECK(fcfit_h5_attr_int(r->group, "n_points", (long long)lay->n_points));
    FCFIT_CHECK(fcfit_h5_attr_int(r->group, "n_replicates", (long long)lay->n_replicates));
    return FCFIT_OK;
}

/* Open the stage's datasets of an existing file and check their shapes. */
static fcfit_status open_datasets(fcfit_results *r, const char *path)
{
    const fcfit_results_layout *lay = &r->lay;
    for (int k = 0; k < DS_COUNT; k++) {
        hsize_t want[3] = {0, 0, 0}, got[3] = {0, 0, 0};
        int rank, grank;
        hid_t sp;
        r->ds[k] = -1;
        if (!ds_used(lay, k)) {
            continue;
        }
        rank = ds_shape(lay, k, want);
        r->ds[k] = H5Dopen2(r->group, ds_names[k], H5P_DEFAULT);
        if (r->ds[k] < 0) {
            H5Eclear2(H5E_DEFAULT);
            FCFIT_FAIL(FCFIT_ERR_MISMATCH, "%s: dataset %s/%s is missing; the file does not match "
                                           "this job",
                       path, r->stage, ds_names[k]);
        }
        sp = H5Dget_space(r->ds[k]);
        grank = sp >= 0 ? H5Sget_simple_extent_dims(sp, got, NULL) : -1;
        if (sp >= 0) {
            H5Sclose(sp);
        }
        FCFIT_REQUIRE(grank == rank && got[0] == want[0] && (rank < 2 || got[1] == want[1]) &&
                          (rank < 3 || got[2] == want[2]),
                      FCFIT_ERR_MISMATCH,
                      "%s: dataset %s/%s has another shape than this job needs; the file does "
                      "not match this job",
                      path, r->stage, ds_names[k]);
    }
    return FCFIT_OK;
}

static fcfit_status write_rows(fcfit_results *r, int k, size_t first, size_t count,
                               const void *data)
{
    hsize_t dims[3], start[3] = {0, 0, 0}, cnt[3];
    int rank = ds_shape(&r->lay, k, dims);
    hid_t fs, ms;
    herr_t w = -1;
    start[0] = first;
    cnt[0] = count;
    cnt[1] = rank > 1 ? dims[1] : 1;
    cnt[2] = rank > 2 ? dims[2] : 1;
    fs = H5Dget_space(r->ds[k]);
    ms = H5Screate_simple(rank, cnt, NULL);
    if (fs >= 0 && ms >= 0 &&
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, cnt, NULL) >= 0) {
        w = H5Dwrite(r->ds[k], ds_mem_type(r, k), ms, fs, H5P_DEFAULT, data);
    }
    if (ms >= 0) {
        H5Sclose(ms);
    }
    if (fs >= 0) {
        H5Sclose(fs);
    }
    if (w < 0) {
        char what[160];
        snprintf(what, sizeof what, "cannot write rows of %s/%s", r->stage, ds_names[k]);
        return FCFIT_H5_FAIL(what);
    }
    return FCFIT_OK;
}

static fcfit_status read_all(fcfit_results *r, int k, void *data)
{
    if (H5Dread(r->ds[k], ds_mem_type(r, k), H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
        char what[160];
        snprintf(what, sizeof what, "cannot read %s/%s", r->stage, ds_names[k]);
        return FCFIT_H5_FAIL(what);
    }
    return FCFIT_OK;
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
    for (int k = 0; k < DS_COUNT; k++) {
        if (r->ds[k] >= 0) {
            H5Dclose(r->ds[k]);
            r->ds[k] = -1;
        }
    }
    if (r->group >= 0) {
        H5Gclose(r->group);
        r->group = -1;
    }
    if (r->file >= 0) {
        H5Fclose(r->file);
        r->file = -1;
    }
}

/* Agree on a status across ranks: the worst (largest) code wins, message from rank 0 side. */
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

static fcfit_status create_file(fcfit_results *r, const char *path, size_t n_attrs,
                                const char *const *attr_names, const char *const *attr_values)
{
    char tmp[4096];
    hid_t fapl;
    fcfit_status st = FCFIT_OK;
    const char *pause = getenv("FCFIT_TEST_PAUSE_CREATE");

    snprintf(tmp, sizeof tmp, "%s.creating", path);
    if (r->rank == 0) {
        remove(tmp);
    }
    MPI_Barrier(r->comm);
    fapl = mpio_fapl(r->comm);
    r->file = fapl >= 0 ? H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl) : -1;
    if (fapl >= 0) {
        H5Pclose(fapl);
    }
    if (r->file < 0) {
        char what[4200];
        snprintf(what, sizeof what, "cannot create %s", tmp);
        st = fcfit_h5_fail(__FILE__, __LINE__, __func__, what);
    }
    FCFIT_CHECK(agree(r->comm, st));
    for (size_t k = 0; k < n_attrs && st == FCFIT_OK; k++) {
        st = fcfit_h5_attr_str(r->file, attr_names[k], attr_values[k]);
    }
    if (st == FCFIT_OK) {
        st = fcfit_h5_attr_str(r->file, "fcfit_kind", "run");
    }
    if (st == FCFIT_OK) {
        r->group = H5Gcreate2(r->file, r->stage, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (r->group < 0) {
            st = FCFIT_H5_FAIL("cannot create the stage group");
        }
    }
    if (st == FCFIT_OK) {
        st = create_datasets(r);
    }
    if (pause != NULL && st == FCFIT_OK) {
        /* Test hook: widen the creation window so a test can kill the run inside it. */
        usleep((useconds_t)(atof(pause) * 1e6));
    }
    if (st == FCFIT_OK && r->rank == 0) {
        st = write_rows(r, DS_PARAMS, 0, r->lay.n_points, r->lay.points);
        if (st == FCFIT_OK) {
            st = write_rows(r, DS_SEEDS, 0, r->lay.n_points, r->lay.seeds);
        }
    }
    st = agree(r->comm, st);
    if (st == FCFIT_OK && H5Fflush(r->file, H5F_SCOPE_GLOBAL) < 0) {
        st = FCFIT_H5_FAIL("cannot flush the new results file");
    }
    close_handles(r);
    FCFIT_CHECK(agree(r->comm, st));
    if (r->rank == 0 && rename(tmp, path) != 0) {
        st = fcfit_error_set(FCFIT_ERR_IO, __FILE__, __LINE__, __func__,
                             "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    }
    return agree(r->comm, st);
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
    r = calloc(1, sizeof *r);
    FCFIT_REQUIRE(r != NULL, FCFIT_ERR_NOMEM, "cannot allocate the results handle");
    r->comm = comm;
    MPI_Comm_rank(comm, &r->rank);
    r->file = -1;
    r->group = -1;
    for (int k = 0; k < DS_COUNT; k++) {
        r->ds[k] = -1;
    }
    r->lay = *lay;
    r->stage = fcfit_strdup(lay->stage);
    r->reason_type = H5Tcopy(H5T_C_S1);
    if (r->reason_type < 0 || H5Tset_size(r->reason_type, REASON_LEN) < 0 ||
        H5Tset_strpad(r->reason_type, H5T_STR_NULLTERM) < 0) {
        st = FCFIT_H5_FAIL("cannot make the reason string type");
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
    r->group = H5Gopen2(r->file, r->stage, H5P_DEFAULT);
    if (r->group < 0) {
        H5Eclear2(H5E_DEFAULT);
        st = fcfit_error_set(FCFIT_ERR_MISMATCH, __FILE__, __LINE__, __func__,
                             "%s has no %s stage; the file does not match this job", path,
                             r->stage);
    }
    if (st == FCFIT_OK) {
        st = open_datasets(r, path);
    }
    FCFIT_TRY(agree(comm, st));
    *out = r;
    return FCFIT_OK;

cleanup:
    close_handles(r);
    if (r->reason_type >= 0) {
        H5Tclose(r->reason_type);
    }
    free(r->stage);
    free(r);
    return st;
}

fcfit_status fcfit_results_read_status(fcfit_results *r, int32_t *status)
{
    return read_all(r, DS_STATUS, status);
}

fcfit_status fcfit_results_read_scores(fcfit_results *r, double *scores)
{
    return read_all(r, DS_SCORES, scores);
}

fcfit_status fcfit_results_write_row(fcfit_results *r, size_t point, const fcfit_results_row *row)
{
    const fcfit_results_layout *lay = &r->lay;
    char reason[REASON_LEN];
    FCFIT_REQUIRE(point < lay->n_points, FCFIT_ERR_INTERNAL, "row %zu of %zu", point,
                  lay->n_points);
    memset(reason, 0, sizeof reason);
    snprintf(reason, sizeof reason, "%s", row->reason != NULL ? row->reason : "");
    FCFIT_CHECK(write_rows(r, DS_SCORES, point, 1, row->scores));
    FCFIT_CHECK(write_rows(r, DS_SCORES_REP, point, 1, row->scores_replicate));
    FCFIT_CHECK(write_rows(r, DS_REPSTATUS, point, 1, row->replicate_status));
    if (lay->n_subjects > 0) {
        FCFIT_CHECK(write_rows(r, DS_SCORES_SUBJ, point, 1, row->subject_scores));
    }
    if (lay->n_fc > 0 && row->fc != NULL) {
        FCFIT_CHECK(write_rows(r, DS_FC, point, 1, row->fc));
    }
    if (lay->tuning) {
        int8_t conv = (int8_t)row->tune_converged;
        FCFIT_CHECK(write_rows(r, DS_TUNE_IT, point, 1, &row->tune_iterations));
        FCFIT_CHECK(write_rows(r, DS_TUNE_ERR, point, 1, &row->tune_max_error));
        FCFIT_CHECK(write_rows(r, DS_TUNE_CONV, point, 1, &conv));
    }
    FCFIT_CHECK(write_rows(r, DS_REASON, point, 1, reason));
    FCFIT_CHECK(write_rows(r, DS_RANK, point, 1, &row->rank));
    FCFIT_CHECK(write_rows(r, DS_WALL, point, 1, &row->wall_s));
    /* The commit marker, last. */
    FCFIT_CHECK(write_rows(r, DS_STATUS, point, 1, &row->status));
    return FCFIT_OK;
}

fcfit_status fcfit_results_finish_stage(fcfit_results *r, size_t n_done, size_t n_failed,
                                        long best_point, double best_score,
                                        const double *best_dims)
{
    fcfit_status st = FCFIT_OK;
    st = fcfit_h5_attr_int(r->group, "completed", n_done == r->lay.n_points);
    if (st == FCFIT_OK) {
        st = fcfit_h5_attr_int(r->group, "n_done", (long long)n_done);
    }
    if (st == FCFIT_OK) {
        st = fcfit_h5_attr_int(r->group, "n_failed", (long long)n_failed);
    }
    if (st == FCFIT_OK) {
        st = fcfit_h5_attr_int(r->group, "best_point", best_point);
    }
    if (st == FCFIT_OK) {
        st = fcfit_h5_attr_double(r->group, "best_score", best_score);
    }
    if (st == FCFIT_OK && best_point >= 0) {
        hsize_t n = r->lay.n_dims;
        hid_t sp = H5Screate_simple(1, &n, NULL);
        hid_t a;
        if (H5Aexists(r->group, "best_params") > 0) {
            H5Adelete(r->group, "best_params");
        }
        a = sp >= 0 ? H5Acreate2(r->group, "best_params", H5T_IEEE_F64LE, sp, H5P_DEFAULT,
                                 H5P_DEFAULT)
                    : -1;
        if (a < 0 || H5Awrite(a, H5T_NATIVE_DOUBLE, best_dims) < 0) {
            st = FCFIT_H5_FAIL("cannot write best_params");
        }
        if (a >= 0) {
            H5Aclose(a);
        }
        if (sp >= 0) {
            H5Sclose(sp);
        }
    }
    if (st == FCFIT_OK && H5Fflush(r->file, H5F_SCOPE_GLOBAL) < 0) {
        st = FCFIT_H5_FAIL("cannot flush the results file");
    }
    return agree(r->comm, st);
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
    free(r->stage);
    free(r);
    *pr = NULL;
    return FCFIT_OK;
}

/* ---- Serial reading ---- */

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
    free(t->rank);
    free(t->wall_s);
    free(t->objective);
    free(t->job_hash);
    free(t->job);
    free(t->created);
    free(t->model);
    memset(t, 0, sizeof *t);
}

static fcfit_status read_ds(hid_t g, const char *name, hid_t memtype, void *buf)
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

fcfit_status fcfit_results_read_table(const char *path, const char *stage,
                                      fcfit_results_table *t)
{
    hid_t f = -1, g = -1, ds = -1, sp = -1, rt = -1;
    hsize_t dims[3];
    char *kind = NULL, *rbuf = NULL;
    fcfit_status st = FCFIT_OK;
    long long nrep = 0;

    memset(t, 0, sizeof *t);
    fcfit_h5_quiet();
    FCFIT_REQUIRE(access(path, R_OK) == 0, FCFIT_ERR_INPUT, "%s: cannot read the file: %s", path,
                  strerror(errno));
    if (H5Fis_hdf5(path) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        FCFIT_FAIL(FCFIT_ERR_INPUT, "%s is not an HDF5 file", path);
    }
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        H5Eclear2(H5E_DEFAULT);
        FCFIT_FAIL(FCFIT_ERR_INPUT, "%s cannot be opened as HDF5", path);
    }
    FCFIT_TRY(fcfit_h5_read_attr_str(f, "fcfit_kind", &kind));
    FCFIT_REQUIRE_GOTO(kind != NULL && strcmp(kind, "run") == 0, FCFIT_ERR_INPUT,
                       "%s is not an fcfit run results file (fcfit_kind = %s)", path,
                       kind != NULL ? kind : "absent");
    FCFIT_TRY(fcfit_h5_read_attr_str(f, "job_hash", &t->job_hash));
    FCFIT_TRY(fcfit_h5_read_attr_str(f, "job", &t->job));
    FCFIT_TRY(fcfit_h5_read_attr_str(f, "created", &t->created));
    FCFIT_TRY(fcfit_h5_read_attr_str(f, "model", &t->model));
    g = H5Gopen2(f, stage, H5P_DEFAULT);
    if (g < 0) {
        H5Eclear2(H5E_DEFAULT);
        FCFIT_FAIL_GOTO(FCFIT_ERR_INPUT, "%s has no %s stage", path, stage);
    }
    FCFIT_TRY(fcfit_h5_read_attr_str(g, "objective", &t->objective));
    {
        hid_t a = H5Aopen(g, "n_replicates", H5P_DEFAULT);
        if (a >= 0) {
            H5Aread(a, H5T_NATIVE_LLONG, &nrep);
            H5Aclose(a);
        }
        t->n_replicates = (size_t)nrep;
    }
    ds = H5Dopen2(g, "params", H5P_DEFAULT);
    sp = ds >= 0 ? H5Dget_space(ds) : -1;
    if (sp < 0 || H5Sget_simple_extent_dims(sp, dims, NULL) != 2) {
        st = FCFIT_H5_FAIL("cannot read the parameter table");
        goto cleanup;
    }
    t->n_points = dims[0];
    t->n_dims = dims[1];
    FCFIT_TRY(read_strs_attr(ds, "names", t->n_dims, &t->dim_names));
    H5Sclose(sp);
    sp = -1;
    H5Dclose(ds);
    ds = H5Dopen2(g, "scores", H5P_DEFAULT);
    sp = ds >= 0 ? H5Dget_space(ds) : -1;
    if (sp < 0 || H5Sget_simple_extent_dims(sp, dims, NULL) != 2) {
        st = FCFIT_H5_FAIL("cannot read the score table");
        goto cleanup;
    }
    t->n_scores = dims[1];
    FCFIT_TRY(read_strs_attr(ds, "names", t->n_scores, &t->score_names));
    FCFIT_ALLOC_GOTO(t->score_sense, t->n_scores, "score senses");
    {
        long long sense[64];
        hid_t a = H5Aopen(ds, "sense", H5P_DEFAULT);
        if (a >= 0 && t->n_scores <= 64 && H5Aread(a, H5T_NATIVE_LLONG, sense) >= 0) {
            for (size_t k = 0; k < t->n_scores; k++) {
                t->score_sense[k] = (int)sense[k];
            }
        }
        if (a >= 0) {
            H5Aclose(a);
        }
    }
    FCFIT_ALLOC_GOTO(t->points, t->n_points * t->n_dims, "points");
    FCFIT_ALLOC_GOTO(t->status, t->n_points, "status");
    FCFIT_ALLOC_GOTO(t->scores, t->n_points * t->n_scores, "scores");
    FCFIT_ALLOC_GOTO(t->rank, t->n_points, "ranks");
    FCFIT_ALLOC_GOTO(t->wall_s, t->n_points, "wall times");
    FCFIT_ALLOC_GOTO(t->reasons, t->n_points, "reasons");
    FCFIT_ALLOC_GOTO(rbuf, t->n_points * REASON_LEN, "reasons");
    FCFIT_TRY(read_ds(g, "params", H5T_NATIVE_DOUBLE, t->points));
    FCFIT_TRY(read_ds(g, "status", H5T_NATIVE_INT32, t->status));
    FCFIT_TRY(read_ds(g, "scores", H5T_NATIVE_DOUBLE, t->scores));
    FCFIT_TRY(read_ds(g, "worker_rank", H5T_NATIVE_INT32, t->rank));
    FCFIT_TRY(read_ds(g, "wall_time_s", H5T_NATIVE_DOUBLE, t->wall_s));
    rt = H5Tcopy(H5T_C_S1);
    H5Tset_size(rt, REASON_LEN);
    FCFIT_TRY(read_ds(g, "reason", rt, rbuf));
    for (size_t p = 0; p < t->n_points; p++) {
        rbuf[p * REASON_LEN + REASON_LEN - 1] = '\0';
        t->reasons[p] = fcfit_strdup(rbuf + p * REASON_LEN);
    }

cleanup:
    if (rt >= 0) {
        H5Tclose(rt);
    }
    if (sp >= 0) {
        H5Sclose(sp);
    }
    if (ds >= 0) {
        H5Dclose(ds);
    }
    if (g >= 0) {
        H5Gclose(g);
    }
    if (f >= 0) {
        H5Fclose(f);
    }
    free(kind);
    free(rbuf);
    if (st != FCFIT_OK) {
        fcfit_results_table_free(t);
    }
    return st;
}
