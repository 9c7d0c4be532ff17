/*
 * simfile.c: the HDF5 output of `fcfit simulate` (docs/output-format.md).
 *
 * Layout: datasets bold (time x region), time_s, fc, drive_mean,
 * drive_last, optional target_fc and fcd, a group scores with one scalar per
 * metric, scores_subject (subject x metric, names in an attribute); root
 * attributes fcfit_kind = "simulate", status, reason and the provenance
 * strings the caller passes (job text, job hash, versions, command line).
 */
#include "fcfit/fcfit_simfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fcfit/fcfit_util.h"
#include "io/h5util.h"

void fcfit_io_hdf5_version(char *buf, size_t cap) { fcfit_h5_version(buf, cap); }

/* Refuse to replace something that is not a simulate output. */
static fcfit_status check_existing(const char *path, int force)
{
    hid_t f;
    char *kind = NULL;
    fcfit_status st = FCFIT_OK;
    if (access(path, F_OK) != 0 || force) {
        return FCFIT_OK;
    }
    {
        int is_hdf5 = 0;
        FCFIT_CHECK(fcfit_h5_check_guarded(path, &is_hdf5));
    }
    if (H5Fis_hdf5(path) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        FCFIT_FAIL(FCFIT_ERR_MISMATCH,
                   "%s exists and is not an fcfit simulate output (not HDF5); refusing to replace "
                   "it (choose another -o or pass --force)",
                   path);
    }
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f >= 0) {
        st = fcfit_h5_read_attr_str(f, "fcfit_kind", &kind);
        H5Fclose(f);
    }
    H5Eclear2(H5E_DEFAULT);
    if (st != FCFIT_OK || kind == NULL || strcmp(kind, "simulate") != 0) {
        fcfit_error_clear();
        st = fcfit_error_set(FCFIT_ERR_MISMATCH, __FILE__, __LINE__, __func__,
                             "%s exists and is not an fcfit simulate output (fcfit_kind = %s); "
                             "refusing to replace it (choose another -o or pass --force)",
                             path, kind != NULL ? kind : "absent");
    }
    free(kind);
    return st;
}

fcfit_status fcfit_simfile_check_target(const char *path, int force)
{
    char *dir = NULL;
    int ok;
    fcfit_h5_quiet();
    FCFIT_CHECK(check_existing(path, force));
    dir = fcfit_path_dirname(path);
    FCFIT_REQUIRE(dir != NULL, FCFIT_ERR_NOMEM, "out of memory");
    ok = access(dir, W_OK) == 0;
    if (!ok) {
        int e = errno;
        fcfit_status st = fcfit_error_set(FCFIT_ERR_USAGE, __FILE__, __LINE__, __func__,
                                          "cannot write %s: directory %s: %s", path, dir,
                                          strerror(e));
        free(dir);
        return st;
    }
    free(dir);
    return FCFIT_OK;
}

/* Set a string attribute on dataset `name` of loc when it exists. */
static fcfit_status ds_attr(hid_t loc, const char *name, const char *attr, const char *value)
{
    fcfit_status st = FCFIT_OK;
    hid_t ds;
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return FCFIT_OK;
    }
    ds = H5Dopen2(loc, name, H5P_DEFAULT);
    st = ds >= 0 ? fcfit_h5_attr_str(ds, attr, value) : FCFIT_H5_FAIL("cannot open a dataset");
    if (ds >= 0) {
        H5Dclose(ds);
    }
    return st;
}

/*
 * Region labels and volume times as HDF5 dimension scales on the datasets' axes (xarray and
 * h5py's dims read them), units as attributes, and the run's diagnostics and warnings.
 */
static fcfit_status write_axes(hid_t f, const fcfit_simfile_data *d)
{
    static const char *const by_region[] = {"drive_mean", "drive_last"};
    static const char *const square[] = {"fc", "target_fc"};
    char **gen = NULL;
    const char *const *labels = d->labels;
    fcfit_status st = FCFIT_OK;

    if (labels == NULL) {
        FCFIT_ALLOC_GOTO(gen, d->n, "region labels");
        for (size_t i = 0; i < d->n; i++) {
            char buf[32];
            snprintf(buf, sizeof buf, "r%zu", i);
            gen[i] = fcfit_strdup(buf);
            FCFIT_REQUIRE_GOTO(gen[i] != NULL, FCFIT_ERR_NOMEM, "out of memory");
        }
        labels = (const char *const *)gen;
    }
    FCFIT_TRY(fcfit_h5_write_strings(f, "regions", d->n, labels));
    FCFIT_TRY(fcfit_h5_make_scale(f, "regions", "region"));
    FCFIT_TRY(fcfit_h5_make_scale(f, "time_s", "time"));
    FCFIT_TRY(fcfit_h5_attach_scale(f, "time_s", f, "bold", 0));
    FCFIT_TRY(fcfit_h5_attach_scale(f, "regions", f, "bold", 1));
    for (size_t k = 0; k < 2; k++) {
        if (H5Lexists(f, square[k], H5P_DEFAULT) > 0) {
            FCFIT_TRY(fcfit_h5_attach_scale(f, "regions", f, square[k], 0));
            FCFIT_TRY(fcfit_h5_attach_scale(f, "regions", f, square[k], 1));
            FCFIT_TRY(ds_attr(f, square[k], "units", "1 (Pearson correlation)"));
        }
        FCFIT_TRY(fcfit_h5_attach_scale(f, "regions", f, by_region[k], 0));
        FCFIT_TRY(ds_attr(f, by_region[k], "units", d->drive_desc != NULL ? d->drive_desc : ""));
    }
    H5Eclear2(H5E_DEFAULT);
    FCFIT_TRY(ds_attr(f, "time_s", "units", "s"));
    FCFIT_TRY(ds_attr(f, "bold", "units", d->bold_units != NULL ? d->bold_units : ""));
    FCFIT_TRY(ds_attr(f, "fcd", "units", "1 (Pearson correlation of window FCs)"));
    if (d->n_params > 0) {
        hid_t pg = H5Gopen2(f, "params", H5P_DEFAULT);
        FCFIT_REQUIRE_GOTO(pg >= 0, FCFIT_ERR_HDF5, "cannot open /params");
        for (size_t j = 0; j < d->n_params && st == FCFIT_OK; j++) {
            st = fcfit_h5_attach_scale(f, "regions", pg, d->param_names[j], 0);
            if (st == FCFIT_OK && d->param_units != NULL) {
                st = ds_attr(pg, d->param_names[j], "units", d->param_units[j]);
            }
        }
        H5Gclose(pg);
        FCFIT_TRY(st);
    }
    if (d->n_diag > 0) {
        size_t one = d->n_diag;
        hid_t ds;
        FCFIT_TRY(fcfit_h5_write_doubles(f, "diagnostics", 1, &one, d->diag));
        ds = H5Dopen2(f, "diagnostics", H5P_DEFAULT);
        FCFIT_REQUIRE_GOTO(ds >= 0, FCFIT_ERR_HDF5, "cannot open /diagnostics");
        st = fcfit_h5_attr_strs(ds, "names", d->n_diag, d->diag_names);
        if (st == FCFIT_OK) {
            st = fcfit_h5_attr_str(ds, "drive", d->drive_desc != NULL ? d->drive_desc : "");
        }
        H5Dclose(ds);
        FCFIT_TRY(st);
        FCFIT_TRY(fcfit_h5_attr_int(f, "flags", d->flags));
    }
    if (d->n_warnings > 0) {
        FCFIT_TRY(fcfit_h5_attr_strs(f, "warnings", d->n_warnings, d->warnings));
    }

cleanup:
    for (size_t i = 0; gen != NULL && i < d->n; i++) {
        free(gen[i]);
    }
    free(gen);
    return st;
}

static fcfit_status write_body(hid_t f, const fcfit_simfile_data *d)
{
    size_t dims[2];
    double *bt = NULL;
    hid_t g = -1;
    fcfit_status st = FCFIT_OK;

    bt = malloc(d->n * d->T * sizeof(double) + 1);
    FCFIT_REQUIRE(bt != NULL, FCFIT_ERR_NOMEM, "cannot allocate the BOLD output buffer");
    for (size_t i = 0; i < d->n; i++) {
        for (size_t t = 0; t < d->T; t++) {
            bt[t * d->n + i] = d->bold[i * d->T + t];
        }
    }
    dims[0] = d->T;
    dims[1] = d->n;
    FCFIT_TRY(fcfit_h5_write_doubles(f, "bold", 2, dims, bt));
    FCFIT_TRY(fcfit_h5_write_doubles(f, "time_s", 1, dims, d->time_s));
    dims[0] = d->n;
    dims[1] = d->n;
    FCFIT_TRY(fcfit_h5_write_doubles(f, "fc", 2, dims, d->fc));
    FCFIT_TRY(fcfit_h5_write_doubles(f, "drive_mean", 1, dims, d->drive_mean));
    FCFIT_TRY(fcfit_h5_write_doubles(f, "drive_last", 1, dims, d->drive_last));
    if (d->target_fc != NULL) {
        FCFIT_TRY(fcfit_h5_write_doubles(f, "target_fc", 2, dims, d->target_fc));
    }
    if (d->fcd != NULL && d->n_windows > 0) {
        dims[0] = d->n_windows;
        dims[1] = d->n_windows;
        FCFIT_TRY(fcfit_h5_write_doubles(f, "fcd", 2, dims, d->fcd));
    }
    {
        hid_t ds = H5Dopen2(f, "drive_mean", H5P_DEFAULT);
        if (ds >= 0) {
            st = fcfit_h5_attr_str(ds, "description", d->drive_desc);
            H5Dclose(ds);
            FCFIT_TRY(st);
        }
        ds = H5Dopen2(f, "bold", H5P_DEFAULT);
        if (ds >= 0) {
            st = fcfit_h5_attr_str(ds, "dimensions", "time x region");
            H5Dclose(ds);
            FCFIT_TRY(st);
        }
    }
    if (d->n_params > 0) {
        hid_t pg = H5Gcreate2(f, "params", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (pg < 0) {
            st = FCFIT_H5_FAIL("cannot create /params");
            goto cleanup;
        }
        dims[0] = d->n;
        for (size_t j = 0; j < d->n_params && st == FCFIT_OK; j++) {
            st = fcfit_h5_write_doubles(pg, d->param_names[j], 1, dims, d->params + j * d->n);
        }
        H5Gclose(pg);
        FCFIT_TRY(st);
    }
    if (d->n_scores > 0) {
        g = H5Gcreate2(f, "scores", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (g < 0) {
            st = FCFIT_H5_FAIL("cannot create /scores");
            goto cleanup;
        }
        for (size_t k = 0; k < d->n_scores; k++) {
            hid_t s = H5Screate(H5S_SCALAR);
            hid_t ds = H5Dcreate2(g, d->score_names[k], H5T_IEEE_F64LE, s, H5P_DEFAULT,
                                  H5P_DEFAULT, H5P_DEFAULT);
            herr_t w = ds >= 0 ? H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                          &d->scores[k])
                               : -1;
            if (ds >= 0) {
                H5Dclose(ds);
            }
            H5Sclose(s);
            if (w < 0) {
                st = FCFIT_H5_FAIL("cannot write a score");
                goto cleanup;
            }
        }
        dims[0] = d->n_subjects;
        dims[1] = d->n_subject_scores;
        FCFIT_TRY(fcfit_h5_write_doubles(f, "scores_subject", 2, dims, d->subject_scores));
        {
            hid_t ds = H5Dopen2(f, "scores_subject", H5P_DEFAULT);
            st = ds >= 0 ? fcfit_h5_attr_strs(ds, "metrics", d->n_subject_scores,
                                              d->subject_score_names)
                         : FCFIT_H5_FAIL("cannot open scores_subject");
            if (ds >= 0) {
                H5Dclose(ds);
            }
            FCFIT_TRY(st);
        }
    }
    if (d->tune_active) {
        FCFIT_TRY(fcfit_h5_attr_int(f, "tune_converged", d->tune_converged));
        FCFIT_TRY(fcfit_h5_attr_int(f, "tune_iterations", (long long)d->tune_iterations));
        FCFIT_TRY(fcfit_h5_attr_double(f, "tune_max_error", d->tune_max_error));
        if (d->tuned != NULL) {
            char name[128];
            snprintf(name, sizeof name, "tuned_%s", d->tuned_name);
            dims[0] = d->n;
            FCFIT_TRY(fcfit_h5_write_doubles(f, name, 1, dims, d->tuned));
        }
    }
    FCFIT_TRY(fcfit_h5_attr_str(f, "fcfit_kind", "simulate"));
    FCFIT_TRY(fcfit_h5_attr_str(f, "status", d->status_name));
    FCFIT_TRY(fcfit_h5_attr_int(f, "status_code", d->status));
    FCFIT_TRY(fcfit_h5_attr_str(f, "reason", d->reason != NULL ? d->reason : ""));
    FCFIT_TRY(fcfit_h5_attr_int(f, "n_degenerate_regions", (long long)d->n_degenerate));
    for (size_t k = 0; k < d->n_attrs; k++) {
        FCFIT_TRY(fcfit_h5_attr_str(f, d->attr_names[k], d->attr_values[k]));
    }
    FCFIT_TRY(write_axes(f, d));

cleanup:
    if (g >= 0) {
        H5Gclose(g);
    }
    free(bt);
    return st;
}

fcfit_status fcfit_simfile_write(const char *path, const fcfit_simfile_data *d, int force)
{
    char tmp[4096];
    hid_t f;
    fcfit_status st;

    fcfit_h5_quiet();
    FCFIT_CHECK(check_existing(path, force));
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
    f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) {
        char what[4200];
        snprintf(what, sizeof what, "cannot create %s", tmp);
        return fcfit_h5_fail(__FILE__, __LINE__, __func__, what);
    }
    st = write_body(f, d);
    if (H5Fclose(f) < 0 && st == FCFIT_OK) {
        st = FCFIT_H5_FAIL("cannot close the output file");
    }
    if (st != FCFIT_OK) {
        remove(tmp);
        return fcfit_error_trace(st, __FILE__, __LINE__, __func__);
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        FCFIT_FAIL(FCFIT_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(e));
    }
    return FCFIT_OK;
}
