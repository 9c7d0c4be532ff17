/*
 * h5util.c: checked HDF5 helpers (see h5util.h).
 */
#include "io/h5util.h"

#include <hdf5_hl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fcfit_h5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

static herr_t walk_cb(unsigned n, const H5E_error2_t *err, void *data)
{
    char *buf = data;
    if (n == 0 && err != NULL && err->desc != NULL) {
        snprintf(buf, 512, "%s", err->desc);
    }
    return 0;
}

fcfit_status fcfit_h5_fail(const char *file, int line, const char *func, const char *what)
{
    char msg[512] = "";
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, walk_cb, msg);
    H5Eclear2(H5E_DEFAULT);
    return fcfit_error_set(FCFIT_ERR_HDF5, file, line, func, "%s%s%s", what, msg[0] ? ": " : "",
                           msg);
}

static hid_t vlen_str_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0) {
        return t;
    }
    if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

fcfit_status fcfit_h5_attr_str(hid_t obj, const char *name, const char *value)
{
    hid_t t = vlen_str_type(), s = H5Screate(H5S_SCALAR), a = -1;
    fcfit_status st = FCFIT_OK;
    char what[256];
    snprintf(what, sizeof what, "cannot write attribute %s", name);
    if (t < 0 || s < 0) {
        st = FCFIT_H5_FAIL(what);
        goto done;
    }
    if (H5Aexists(obj, name) > 0) {
        H5Adelete(obj, name);
    }
    a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0 || H5Awrite(a, t, &value) < 0) {
        st = FCFIT_H5_FAIL(what);
    }
done:
    if (a >= 0) {
        H5Aclose(a);
    }
    if (s >= 0) {
        H5Sclose(s);
    }
    if (t >= 0) {
        H5Tclose(t);
    }
    return st;
}

static fcfit_status attr_scalar(hid_t obj, const char *name, hid_t type, const void *value)
{
    hid_t s = H5Screate(H5S_SCALAR), a = -1;
    fcfit_status st = FCFIT_OK;
    char what[256];
    snprintf(what, sizeof what, "cannot write attribute %s", name);
    if (s < 0) {
        return FCFIT_H5_FAIL(what);
    }
    if (H5Aexists(obj, name) > 0) {
        H5Adelete(obj, name);
    }
    a = H5Acreate2(obj, name, type, s, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0 || H5Awrite(a, type, value) < 0) {
        st = FCFIT_H5_FAIL(what);
    }
    if (a >= 0) {
        H5Aclose(a);
    }
    H5Sclose(s);
    return st;
}

fcfit_status fcfit_h5_attr_double(hid_t obj, const char *name, double value)
{
    return attr_scalar(obj, name, H5T_NATIVE_DOUBLE, &value);
}

fcfit_status fcfit_h5_attr_int(hid_t obj, const char *name, long long value)
{
    return attr_scalar(obj, name, H5T_NATIVE_LLONG, &value);
}

fcfit_status fcfit_h5_attr_strs(hid_t obj, const char *name, size_t n, const char *const *values)
{
    hsize_t dim = n;
    hid_t t = vlen_str_type(), s = H5Screate_simple(1, &dim, NULL), a = -1;
    fcfit_status st = FCFIT_OK;
    char what[256];
    snprintf(what, sizeof what, "cannot write attribute %s", name);
    if (t < 0 || s < 0) {
        st = FCFIT_H5_FAIL(what);
        goto done;
    }
    if (H5Aexists(obj, name) > 0) {
        H5Adelete(obj, name);
    }
    a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0 || H5Awrite(a, t, values) < 0) {
        st = FCFIT_H5_FAIL(what);
    }
done:
    if (a >= 0) {
        H5Aclose(a);
    }
    if (s >= 0) {
        H5Sclose(s);
    }
    if (t >= 0) {
        H5Tclose(t);
    }
    return st;
}

fcfit_status fcfit_h5_read_attr_str(hid_t obj, const char *name, char **out)
{
    hid_t a, t, ft;
    fcfit_status st = FCFIT_OK;
    *out = NULL;
    if (H5Aexists(obj, name) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return FCFIT_OK;
    }
    a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) {
        return FCFIT_H5_FAIL("cannot open a string attribute");
    }
    ft = H5Aget_type(a);
    if (ft >= 0 && H5Tget_class(ft) == H5T_STRING && H5Tis_variable_str(ft) > 0) {
        char *v = NULL;
        t = vlen_str_type();
        if (t >= 0 && H5Aread(a, t, &v) >= 0 && v != NULL) {
            *out = malloc(strlen(v) + 1);
            if (*out != NULL) {
                memcpy(*out, v, strlen(v) + 1);
            }
            H5free_memory(v);
        } else {
            st = FCFIT_H5_FAIL("cannot read a string attribute");
        }
        if (t >= 0) {
            H5Tclose(t);
        }
    } else if (ft >= 0 && H5Tget_class(ft) == H5T_STRING) {
        size_t sz = H5Tget_size(ft);
        *out = calloc(sz + 1, 1);
        if (*out != NULL && H5Aread(a, ft, *out) < 0) {
            free(*out);
            *out = NULL;
            st = FCFIT_H5_FAIL("cannot read a string attribute");
        }
    }
    if (ft >= 0) {
        H5Tclose(ft);
    }
    H5Aclose(a);
    return st;
}

fcfit_status fcfit_h5_write_doubles(hid_t loc, const char *name, int rank, const size_t *dims,
                                    const double *data)
{
    hsize_t d[2] = {dims[0], rank > 1 ? dims[1] : 1};
    hid_t s = H5Screate_simple(rank, d, NULL), ds = -1;
    fcfit_status st = FCFIT_OK;
    char what[256];
    snprintf(what, sizeof what, "cannot write dataset %s", name);
    if (s < 0) {
        return FCFIT_H5_FAIL(what);
    }
    ds = H5Dcreate2(loc, name, H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (ds < 0 || H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
        st = FCFIT_H5_FAIL(what);
    }
    if (ds >= 0) {
        H5Dclose(ds);
    }
    H5Sclose(s);
    return st;
}

fcfit_status fcfit_h5_write_strings(hid_t loc, const char *name, size_t n,
                                    const char *const *values)
{
    /* Fixed-length strings: variable-length data cannot be written through MPI-IO (the run
     * results), and one kind of label dataset in both outputs keeps readers simple. */
    size_t width = 1;
    hsize_t dim = n;
    hid_t t = -1, sp = -1, ds = -1;
    char *buf = NULL, what[256];
    fcfit_status st = FCFIT_OK;
    snprintf(what, sizeof what, "cannot write dataset %s", name);
    for (size_t k = 0; k < n; k++) {
        size_t len = strlen(values[k]);
        width = len + 1 > width ? len + 1 : width;
    }
    buf = calloc(n > 0 ? n : 1, width);
    if (buf == NULL) {
        FCFIT_FAIL(FCFIT_ERR_NOMEM, "cannot allocate %s", name);
    }
    for (size_t k = 0; k < n; k++) {
        memcpy(buf + k * width, values[k], strlen(values[k]));
    }
    t = H5Tcopy(H5T_C_S1);
    sp = H5Screate_simple(1, &dim, NULL);
    if (t < 0 || sp < 0 || H5Tset_size(t, width) < 0 || H5Tset_strpad(t, H5T_STR_NULLTERM) < 0 ||
        H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        st = FCFIT_H5_FAIL(what);
        goto done;
    }
    ds = H5Dcreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (ds < 0 || H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        st = FCFIT_H5_FAIL(what);
    }
done:
    if (ds >= 0) {
        H5Dclose(ds);
    }
    if (sp >= 0) {
        H5Sclose(sp);
    }
    if (t >= 0) {
        H5Tclose(t);
    }
    free(buf);
    return st;
}

fcfit_status fcfit_h5_make_scale(hid_t loc, const char *name, const char *scale_name)
{
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    herr_t r = ds >= 0 ? H5DSset_scale(ds, scale_name) : -1;
    char what[256];
    if (ds >= 0) {
        H5Dclose(ds);
    }
    if (r < 0) {
        snprintf(what, sizeof what, "cannot make %s a dimension scale", name);
        return FCFIT_H5_FAIL(what);
    }
    return FCFIT_OK;
}

fcfit_status fcfit_h5_attach_scale(hid_t loc, const char *scale, hid_t loc2, const char *name,
                                   unsigned dim)
{
    hid_t sc = H5Dopen2(loc, scale, H5P_DEFAULT);
    hid_t ds = H5Dopen2(loc2, name, H5P_DEFAULT);
    herr_t r = sc >= 0 && ds >= 0 ? H5DSattach_scale(ds, sc, dim) : -1;
    char what[256];
    if (sc >= 0) {
        H5Dclose(sc);
    }
    if (ds >= 0) {
        H5Dclose(ds);
    }
    if (r < 0) {
        snprintf(what, sizeof what, "cannot attach the %s scale to dimension %u of %s", scale,
                 dim, name);
        return FCFIT_H5_FAIL(what);
    }
    return FCFIT_OK;
}

void fcfit_h5_version(char *buf, size_t cap)
{
    unsigned maj = 0, min = 0, rel = 0;
    H5get_libversion(&maj, &min, &rel);
    snprintf(buf, cap, "%u.%u.%u", maj, min, rel);
}
