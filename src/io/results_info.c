/*
 * results_info.c: small serial reads of a results file's root attributes that
 * other layers need without opening the file through MPI-IO (why a resume is
 * refused: the job text the file was created with).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fcfit/fcfit_results.h"
#include "fcfit/fcfit_util.h"
#include "io/h5util.h"

fcfit_status fcfit_results_read_job_text(const char *path, char **kind, char **job_text,
                                          char **input_hashes)
{
    hid_t f;
    fcfit_status st;

    *kind = NULL;
    *job_text = NULL;
    if (input_hashes != NULL) {
        *input_hashes = NULL;
    }
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
    st = fcfit_h5_read_attr_str(f, "fcfit_kind", kind);
    if (st == FCFIT_OK) {
        st = fcfit_h5_read_attr_str(f, "job", job_text);
    }
    if (st == FCFIT_OK && input_hashes != NULL) {
        st = fcfit_h5_read_attr_str(f, "input_hashes", input_hashes);
    }
    H5Fclose(f);
    return st;
}

/* A 1-D attribute of strings (variable or fixed length) as malloc'd strings. */
static fcfit_status read_names(hid_t obj, const char *name, size_t want, char ***out)
{
    hid_t a = -1, t = -1, sp = -1, mt = -1;
    hssize_t n;
    char **tmp = NULL;
    fcfit_status st = FCFIT_OK;

    *out = NULL;
    if (H5Aexists(obj, name) <= 0) {
        return FCFIT_OK;
    }
    a = H5Aopen(obj, name, H5P_DEFAULT);
    sp = a >= 0 ? H5Aget_space(a) : -1;
    n = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    t = a >= 0 ? H5Aget_type(a) : -1;
    if (a < 0 || sp < 0 || t < 0 || n != (hssize_t)want || H5Tget_class(t) != H5T_STRING ||
        H5Tis_variable_str(t) <= 0) {
        st = fcfit_error_set(FCFIT_ERR_INPUT, __FILE__, __LINE__, __func__,
                             "attribute %s: expected %zu variable-length strings", name, want);
        goto done;
    }
    tmp = calloc(want + 1, sizeof *tmp);
    mt = H5Tcopy(H5T_C_S1);
    if (tmp == NULL || mt < 0 || H5Tset_size(mt, H5T_VARIABLE) < 0 ||
        H5Aread(a, mt, tmp) < 0) {
        st = FCFIT_H5_FAIL("cannot read a names attribute");
        goto done;
    }
    for (size_t k = 0; k < want; k++) {
        char *c = fcfit_strdup(tmp[k] != NULL ? tmp[k] : "");
        H5free_memory(tmp[k]);
        tmp[k] = c;
    }
    *out = tmp;
    tmp = NULL;
done:
    free(tmp);
    if (mt >= 0) {
        H5Tclose(mt);
    }
    if (t >= 0) {
        H5Tclose(t);
    }
    if (sp >= 0) {
        H5Sclose(sp);
    }
    if (a >= 0) {
        H5Aclose(a);
    }
    H5Eclear2(H5E_DEFAULT);
    return st;
}

fcfit_status fcfit_results_read_subjects(const char *path, const char *stage,
                                         fcfit_results_subjects *s)
{
    hid_t f = -1, g = -1, ds = -1, sp = -1;
    hsize_t dims[3];
    char *kind = NULL;
    fcfit_status st = FCFIT_OK;

    memset(s, 0, sizeof *s);
    fcfit_h5_quiet();
    FCFIT_REQUIRE(access(path, R_OK) == 0, FCFIT_ERR_INPUT, "%s: cannot read the file: %s", path,
                  strerror(errno));
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        H5Eclear2(H5E_DEFAULT);
        FCFIT_FAIL(FCFIT_ERR_INPUT, "%s cannot be opened as HDF5", path);
    }
    FCFIT_TRY(fcfit_h5_read_attr_str(f, "fcfit_kind", &kind));
    FCFIT_REQUIRE_GOTO(kind != NULL && strcmp(kind, "run") == 0, FCFIT_ERR_INPUT,
                       "%s is not an fcfit run results file", path);
    s->has_target = H5Lexists(f, "target", H5P_DEFAULT) > 0;
    FCFIT_REQUIRE_GOTO(H5Lexists(f, stage, H5P_DEFAULT) > 0, FCFIT_ERR_INPUT,
                       "%s has no stage '%s'", path, stage);
    g = H5Gopen2(f, stage, H5P_DEFAULT);
    FCFIT_REQUIRE_GOTO(g >= 0, FCFIT_ERR_INPUT, "%s: cannot open the group %s", path, stage);
    if (H5Lexists(g, "scores_subject", H5P_DEFAULT) <= 0) {
        goto cleanup; /* no target: no per-subject scores */
    }
    ds = H5Dopen2(g, "scores_subject", H5P_DEFAULT);
    sp = ds >= 0 ? H5Dget_space(ds) : -1;
    FCFIT_REQUIRE_GOTO(sp >= 0 && H5Sget_simple_extent_ndims(sp) == 3 &&
                           H5Sget_simple_extent_dims(sp, dims, NULL) == 3,
                       FCFIT_ERR_INPUT, "%s: %s/scores_subject is not rows x subjects x metrics",
                       path, stage);
    s->n_rows = (size_t)dims[0];
    s->n_subjects = (size_t)dims[1];
    s->n_metrics = (size_t)dims[2];
    s->values = malloc((s->n_rows * s->n_subjects * s->n_metrics + 1) * sizeof(double));
    FCFIT_REQUIRE_GOTO(s->values != NULL, FCFIT_ERR_NOMEM, "out of memory");
    if (H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, s->values) < 0) {
        FCFIT_TRY(FCFIT_H5_FAIL("cannot read scores_subject"));
    }
    FCFIT_TRY(read_names(ds, "names", s->n_metrics, &s->metric_names));
cleanup:
    if (sp >= 0) {
        H5Sclose(sp);
    }
    if (ds >= 0) {
        H5Dclose(ds);
    }
    if (g >= 0) {
        H5Gclose(g);
    }
    H5Fclose(f);
    H5Eclear2(H5E_DEFAULT);
    free(kind);
    if (st != FCFIT_OK) {
        fcfit_results_subjects_free(s);
    }
    return st;
}

void fcfit_results_subjects_free(fcfit_results_subjects *s)
{
    for (size_t k = 0; s->metric_names != NULL && k < s->n_metrics; k++) {
        free(s->metric_names[k]);
    }
    free(s->metric_names);
    free(s->values);
    memset(s, 0, sizeof *s);
}
