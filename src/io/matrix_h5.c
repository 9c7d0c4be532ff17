/*
 * matrix_h5.c: one dataset of an HDF5 file as a matrix.
 *
 * The dataset is named by its path ("/group/name"; the leading '/' is
 * optional) or, when no name is given, is the only dataset in the file (found
 * by visiting every object with H5Ovisit2). Any integer or floating-point
 * dataset with one or two dimensions is read; HDF5 converts the values to
 * native double during H5Dread, and applies whatever filters the dataset uses
 * (gzip and shuffle in the shared data). HDF5 stores arrays row-major, as
 * fcfit does, so no reordering is needed.
 *
 * The file is opened read-only with the default (sec2) driver: no MPI call is
 * made, and the loader works in a process that never called MPI_Init even
 * though the library linked is the MPI flavour of HDF5. File locking is
 * requested but a file system without lock support (common on cluster
 * scratch) is tolerated.
 *
 * HDF5 prints its error stack on every failure by default. The reader turns
 * that off for its own duration (saving and restoring the caller's handler),
 * and instead copies the innermost HDF5 description into our message, so a
 * failure produces exactly one message.
 *
 * Hostile files. fcfit_matrix_load runs this reader in a child process
 * (reader_guard.c), because libhdf5 1.10.8 can crash on crafted files (for
 * example in H5F__accum_read, reached from H5Oget_info_by_name2) and only
 * the library could fix that. Inside, the reader checks what it can before
 * the library reads data: H5Fis_accessible (H5Fis_hdf5 in 1.10) before
 * opening, the object type
 * before opening it as a dataset, the type class and rank, and the size the
 * dataspace claims against the file's size (at most the file itself for an
 * unfiltered dataset, at most the deflate limit fcfit_io_max_inflate for a
 * filtered one) before allocating anything for the values.
 */
#include "matrix_io_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <hdf5.h>

/* What H5Ovisit2 collects: every dataset's path, and the first one found. */
typedef struct h5_visit {
    fcfit_name_list names;
    size_t n_datasets;
    char *first;
    int nomem;
} h5_visit;

/* Innermost description on the HDF5 error stack, captured right after a failure. */
typedef struct h5_reason {
    char text[256];
} h5_reason;

static herr_t h5_reason_cb(unsigned n, const H5E_error2_t *err, void *data)
{
    h5_reason *r = data;
    if (n == 0 && err->desc != NULL && err->desc[0] != '\0') {
        snprintf(r->text, sizeof r->text, "%s", err->desc);
    }
    return 0;
}

/* Walk upward: the first entry is the most specific cause. */
static const char *h5_reason_get(h5_reason *r)
{
    snprintf(r->text, sizeof r->text, "no details from HDF5");
    (void)H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, h5_reason_cb, r);
    return r->text;
}

static herr_t h5_visit_cb(hid_t obj, const char *name, const H5O_info_t *info, void *data)
{
    h5_visit *v = data;
    char full[512];
    if (info->type != H5O_TYPE_DATASET) {
        return 0;
    }
    snprintf(full, sizeof full, "/%s", name);
    fcfit_name_list_add(&v->names, full);
    v->n_datasets++;
    if (v->first == NULL) {
        size_t len = strlen(name);
        v->first = malloc(len + 2);
        if (v->first == NULL) {
            v->nomem = 1;
            return -1;
        }
        v->first[0] = '/';
        memcpy(v->first + 1, name, len + 1);
    }
    return 0;
}

static const char *h5_class_name(H5T_class_t cls)
{
    switch (cls) {
    case H5T_INTEGER:
        return "integer";
    case H5T_FLOAT:
        return "float";
    case H5T_TIME:
        return "time";
    case H5T_STRING:
        return "string";
    case H5T_BITFIELD:
        return "bitfield";
    case H5T_OPAQUE:
        return "opaque";
    case H5T_COMPOUND:
        return "compound";
    case H5T_REFERENCE:
        return "reference";
    case H5T_ENUM:
        return "enum";
    case H5T_VLEN:
        return "variable-length";
    case H5T_ARRAY:
        return "array";
    default:
        return "unknown";
    }
}

static const char *h5_object_kind(H5O_type_t type)
{
    switch (type) {
    case H5O_TYPE_GROUP:
        return "a group";
    case H5O_TYPE_NAMED_DATATYPE:
        return "a named datatype";
    case H5O_TYPE_DATASET:
        return "a dataset";
    default:
        return "an object of unknown type";
    }
}

fcfit_status fcfit_matrix_read_h5(const char *path, const char *name, fcfit_matrix *out)
{
    fcfit_status st = FCFIT_OK;
    H5E_auto2_t saved_func = NULL;
    void *saved_data = NULL;
    int restore_auto = 0;
    hid_t fapl = H5I_INVALID_HID;
    hid_t file = H5I_INVALID_HID;
    hid_t dset = H5I_INVALID_HID;
    hid_t type = H5I_INVALID_HID;
    hid_t space = H5I_INVALID_HID;
    hid_t dcpl = H5I_INVALID_HID;
    char *dname = NULL;
    struct stat sb;
    size_t file_size;
    size_t need;
    size_t limit;
    int n_filters;
    htri_t accessible;
    h5_visit visit;
    h5_reason reason;
    H5O_info_t oinfo;
    H5T_class_t cls;
    H5S_class_t sclass;
    int ndims;
    hsize_t dims[H5S_MAX_RANK];
    size_t rows;
    size_t cols;

    memset(&visit, 0, sizeof visit);
    fcfit_name_list_init(&visit.names);
    if (H5Eget_auto2(H5E_DEFAULT, &saved_func, &saved_data) >= 0) {
        restore_auto = 1;
    }
    (void)H5Eset_auto2(H5E_DEFAULT, NULL, NULL);

    fapl = H5Pcreate(H5P_FILE_ACCESS);
    FCFIT_REQUIRE_GOTO(fapl >= 0, FCFIT_ERR_HDF5,
                       "%s: cannot create an HDF5 file access property list (HDF5: %s)", path,
                       h5_reason_get(&reason));
#if H5_VERSION_GE(1, 10, 7)
    /* Lock if the file system supports it; do not fail where it does not. */
    FCFIT_REQUIRE_GOTO(H5Pset_file_locking(fapl, 1, 1) >= 0, FCFIT_ERR_HDF5,
                       "%s: cannot set the HDF5 file locking property (HDF5: %s)", path,
                       h5_reason_get(&reason));
#endif
    FCFIT_REQUIRE_GOTO(stat(path, &sb) == 0, FCFIT_ERR_INPUT, "%s: cannot read the file's status",
                       path);
    file_size = (size_t)sb.st_size;
#if H5_VERSION_GE(1, 12, 0)
    accessible = H5Fis_accessible(path, fapl);
#else
    accessible = H5Fis_hdf5(path); /* the 1.10 name of the same check */
#endif
    FCFIT_REQUIRE_GOTO(accessible > 0, FCFIT_ERR_INPUT,
                       "%s: not an HDF5 file (no valid HDF5 superblock; HDF5: %s)", path,
                       accessible == 0 ? "not an HDF5 file" : h5_reason_get(&reason));
    file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    FCFIT_REQUIRE_GOTO(file >= 0, FCFIT_ERR_INPUT,
                       "%s: not an HDF5 file or cannot be opened as one (HDF5: %s)", path,
                       h5_reason_get(&reason));

    if (name == NULL) {
        herr_t walked = H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_INC, h5_visit_cb, &visit,
                                  H5O_INFO_BASIC);
        FCFIT_REQUIRE_GOTO(!visit.nomem, FCFIT_ERR_NOMEM, "%s: out of memory listing datasets",
                           path);
        FCFIT_REQUIRE_GOTO(walked >= 0, FCFIT_ERR_INPUT,
                           "%s: cannot list the objects in the file (HDF5: %s)", path,
                           h5_reason_get(&reason));
        FCFIT_REQUIRE_GOTO(visit.n_datasets > 0, FCFIT_ERR_INPUT,
                           "%s: the file holds no datasets; expected one numeric dataset", path);
        FCFIT_REQUIRE_GOTO(visit.n_datasets == 1, FCFIT_ERR_INPUT,
                           "%s: the file holds %zu datasets (%s); name the one to load as "
                           "'%s:/path/to/dataset'",
                           path, visit.n_datasets, fcfit_name_list_text(&visit.names), path);
        dname = visit.first;
        visit.first = NULL;
    } else {
        size_t len = strlen(name);
        int slash = name[0] == '/';
        herr_t found;
        FCFIT_ALLOC_GOTO(dname, len + 2, "the dataset name");
        snprintf(dname, len + 2, "%s%s", slash ? "" : "/", name);
        found = H5Oget_info_by_name2(file, dname, &oinfo, H5O_INFO_BASIC, H5P_DEFAULT);
        if (found < 0 || oinfo.type != H5O_TYPE_DATASET) {
            /* Say what is there instead; a failed walk still leaves a partial list. */
            (void)H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_INC, h5_visit_cb, &visit,
                            H5O_INFO_BASIC);
            FCFIT_REQUIRE_GOTO(found >= 0, FCFIT_ERR_INPUT,
                               "%s: no dataset '%s'; the file holds these datasets: %s", path,
                               dname, fcfit_name_list_text(&visit.names));
            FCFIT_FAIL_GOTO(FCFIT_ERR_INPUT,
                            "%s: '%s' is %s, not a dataset; the file holds these datasets: %s",
                            path, dname, h5_object_kind(oinfo.type),
                            fcfit_name_list_text(&visit.names));
        }
    }

    dset = H5Dopen2(file, dname, H5P_DEFAULT);
    FCFIT_REQUIRE_GOTO(dset >= 0, FCFIT_ERR_INPUT, "%s: cannot open dataset '%s' (HDF5: %s)",
                       path, dname, h5_reason_get(&reason));
    type = H5Dget_type(dset);
    FCFIT_REQUIRE_GOTO(type >= 0, FCFIT_ERR_INPUT,
                       "%s: cannot read the type of dataset '%s' (HDF5: %s)", path, dname,
                       h5_reason_get(&reason));
    cls = H5Tget_class(type);
    FCFIT_REQUIRE_GOTO(cls == H5T_INTEGER || cls == H5T_FLOAT, FCFIT_ERR_INPUT,
                       "%s: dataset '%s' has %s type; expected integer or floating-point numbers%s",
                       path, dname, h5_class_name(cls),
                       cls == H5T_ENUM ? " (h5py stores booleans as an enum; save them as uint8)"
                                       : "");

    space = H5Dget_space(dset);
    FCFIT_REQUIRE_GOTO(space >= 0, FCFIT_ERR_INPUT,
                       "%s: cannot read the shape of dataset '%s' (HDF5: %s)", path, dname,
                       h5_reason_get(&reason));
    sclass = H5Sget_simple_extent_type(space);
    FCFIT_REQUIRE_GOTO(sclass == H5S_SIMPLE, FCFIT_ERR_INPUT,
                       "%s: dataset '%s' is %s; expected a 1-D or 2-D array", path, dname,
                       sclass == H5S_SCALAR ? "a scalar" : "empty (null dataspace)");
    ndims = H5Sget_simple_extent_ndims(space);
    FCFIT_REQUIRE_GOTO(ndims == 1 || ndims == 2, FCFIT_ERR_INPUT,
                       "%s: dataset '%s' has %d dimensions; expected a 1-D or 2-D array", path,
                       dname, ndims);
    FCFIT_REQUIRE_GOTO(H5Sget_simple_extent_dims(space, dims, NULL) == ndims, FCFIT_ERR_INPUT,
                       "%s: cannot read the dimensions of dataset '%s' (HDF5: %s)", path, dname,
                       h5_reason_get(&reason));
    FCFIT_REQUIRE_GOTO((hsize_t)(size_t)dims[0] == dims[0] &&
                           (ndims == 1 || (hsize_t)(size_t)dims[1] == dims[1]),
                       FCFIT_ERR_INPUT, "%s: dataset '%s' is too large for this machine", path,
                       dname);
    rows = (size_t)dims[0];
    cols = ndims == 2 ? (size_t)dims[1] : 1;
    FCFIT_REQUIRE_GOTO(rows > 0 && cols > 0, FCFIT_ERR_INPUT,
                       "%s: dataset '%s' is empty (%zu x %zu)", path, dname, rows, cols);
    /* Bytes the values take in the file's type, against what the file can hold. */
    dcpl = H5Dget_create_plist(dset);
    n_filters = dcpl >= 0 ? H5Pget_nfilters(dcpl) : -1;
    FCFIT_REQUIRE_GOTO(n_filters >= 0, FCFIT_ERR_INPUT,
                       "%s: cannot read the storage properties of dataset '%s' (HDF5: %s)", path,
                       dname, h5_reason_get(&reason));
    limit = n_filters == 0 ? file_size : fcfit_io_max_inflate(file_size);
    need = H5Tget_size(type);
    FCFIT_REQUIRE_GOTO(need > 0 && rows <= limit / cols / need, FCFIT_ERR_INPUT,
                       "%s: dataset '%s' claims %zu x %zu values of %zu bytes, more than the "
                       "%zu-byte file can hold%s; the file is truncated, damaged or crafted",
                       path, dname, rows, cols, need, file_size,
                       n_filters > 0 ? " even compressed" : "");
    FCFIT_REQUIRE_GOTO(H5Dget_storage_size(dset) > 0, FCFIT_ERR_INPUT,
                       "%s: dataset '%s' (%zu x %zu) has no stored values (it was created but "
                       "never written)",
                       path, dname, rows, cols);

    FCFIT_TRY(fcfit_matrix_alloc(out, rows, cols));
    FCFIT_REQUIRE_GOTO(H5Dread(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                               out->data) >= 0,
                       FCFIT_ERR_INPUT,
                       "%s: cannot read the values of dataset '%s' (%s type, %zu x %zu) (HDF5: "
                       "%s)",
                       path, dname, h5_class_name(cls), rows, cols, h5_reason_get(&reason));

cleanup:
    if (dcpl >= 0) {
        (void)H5Pclose(dcpl);
    }
    if (space >= 0) {
        (void)H5Sclose(space);
    }
    if (type >= 0) {
        (void)H5Tclose(type);
    }
    if (dset >= 0) {
        (void)H5Dclose(dset);
    }
    if (file >= 0) {
        (void)H5Fclose(file);
    }
    if (fapl >= 0) {
        (void)H5Pclose(fapl);
    }
    if (restore_auto) {
        (void)H5Eset_auto2(H5E_DEFAULT, saved_func, saved_data);
    }
    free(dname);
    free(visit.first);
    if (st != FCFIT_OK) {
        fcfit_matrix_free(out);
    }
    return st;
}
