/*
 * matrix_mat.c: MATLAB .mat files (v4, v5/v7 and v7.3) read through matio.
 *
 * The variable is chosen by name, or is the only variable in the file. Its
 * header is read first (Mat_VarReadInfo) so that a cell array, struct or other
 * non-numeric variable is rejected before any data is loaded; only then are
 * the data read (Mat_VarRead). Accepted: real double, single, int8..int64,
 * uint8..uint64 and logical arrays with at most two dimensions (MATLAB stores
 * vectors as 1 x n or n x 1, and both are kept as they are). MATLAB stores
 * arrays column-major; the result is converted to fcfit's row-major layout.
 * 64-bit integers beyond 2^53 are rounded to the nearest double.
 *
 * matio's own logging is off unless someone calls Mat_LogInit, which fcfit
 * never does, so failures reach the user only through our message. matio
 * reads v7.3 files with its own (serial) HDF5 library; that is independent of
 * the HDF5 library fcfit links, and nothing here depends on which one it is.
 */
#include "matrix_io_impl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <matio.h>

static const char *mat_class_name(const matvar_t *var)
{
    if (var->isLogical) {
        return "logical";
    }
    switch (var->class_type) {
    case MAT_C_EMPTY:
        return "empty";
    case MAT_C_CELL:
        return "cell";
    case MAT_C_STRUCT:
        return "struct";
    case MAT_C_OBJECT:
        return "object";
    case MAT_C_CHAR:
        return "char";
    case MAT_C_SPARSE:
        return "sparse";
    case MAT_C_DOUBLE:
        return "double";
    case MAT_C_SINGLE:
        return "single";
    case MAT_C_INT8:
        return "int8";
    case MAT_C_UINT8:
        return "uint8";
    case MAT_C_INT16:
        return "int16";
    case MAT_C_UINT16:
        return "uint16";
    case MAT_C_INT32:
        return "int32";
    case MAT_C_UINT32:
        return "uint32";
    case MAT_C_INT64:
        return "int64";
    case MAT_C_UINT64:
        return "uint64";
    case MAT_C_FUNCTION:
        return "function_handle";
    case MAT_C_OPAQUE:
        return "opaque";
    }
    return "unknown";
}

/* Bytes per element that matio holds in memory for a numeric class (0: not numeric). */
static size_t mat_class_size(enum matio_classes cls)
{
    switch (cls) {
    case MAT_C_DOUBLE:
        return sizeof(double);
    case MAT_C_SINGLE:
        return sizeof(float);
    case MAT_C_INT8:
    case MAT_C_UINT8:
        return 1;
    case MAT_C_INT16:
    case MAT_C_UINT16:
        return 2;
    case MAT_C_INT32:
    case MAT_C_UINT32:
        return 4;
    case MAT_C_INT64:
    case MAT_C_UINT64:
        return 8;
    default:
        return 0;
    }
}

/* Element k of matio's data array, converted to double. */
static double mat_element(const void *data, enum matio_classes cls, size_t k)
{
    switch (cls) {
    case MAT_C_DOUBLE:
        return ((const double *)data)[k];
    case MAT_C_SINGLE:
        return (double)((const float *)data)[k];
    case MAT_C_INT8:
        return (double)((const int8_t *)data)[k];
    case MAT_C_UINT8:
        return (double)((const uint8_t *)data)[k];
    case MAT_C_INT16:
        return (double)((const int16_t *)data)[k];
    case MAT_C_UINT16:
        return (double)((const uint16_t *)data)[k];
    case MAT_C_INT32:
        return (double)((const int32_t *)data)[k];
    case MAT_C_UINT32:
        return (double)((const uint32_t *)data)[k];
    case MAT_C_INT64:
        return (double)((const int64_t *)data)[k];
    case MAT_C_UINT64:
        return (double)((const uint64_t *)data)[k];
    default:
        return 0.0; /* unreachable: the class was checked before */
    }
}

/*
 * Check the header of a variable: real, numeric, at most 2-D, not empty.
 * Fills rows and cols (a rank-1 variable becomes rows x 1).
 */
static fcfit_status mat_check_info(const char *path, const matvar_t *info, size_t *rows,
                                   size_t *cols)
{
    static const char expected[] =
        "expected a real numeric array (double, single, int8-64, uint8-64 or logical)";
    const char *name = info->name != NULL ? info->name : "?";

    FCFIT_REQUIRE(info->class_type != MAT_C_SPARSE, FCFIT_ERR_INPUT,
                  "%s: variable '%s' is a sparse matrix (class sparse); %s; convert it with "
                  "full() before saving",
                  path, name, expected);
    FCFIT_REQUIRE(mat_class_size(info->class_type) > 0, FCFIT_ERR_INPUT,
                  "%s: variable '%s' has class %s; %s", path, name, mat_class_name(info), expected);
    FCFIT_REQUIRE(!info->isComplex, FCFIT_ERR_INPUT,
                  "%s: variable '%s' is complex (class %s); %s", path, name, mat_class_name(info),
                  expected);
    FCFIT_REQUIRE(info->rank >= 1 && info->rank <= 2 && info->dims != NULL, FCFIT_ERR_INPUT,
                  "%s: variable '%s' (class %s) has %d dimensions; expected a vector or a 2-D "
                  "matrix",
                  path, name, mat_class_name(info), info->rank);
    *rows = info->dims[0];
    *cols = info->rank == 2 ? info->dims[1] : 1;
    FCFIT_REQUIRE(*rows > 0 && *cols > 0, FCFIT_ERR_INPUT,
                  "%s: variable '%s' (class %s) is empty (%zu x %zu)", path, name,
                  mat_class_name(info), *rows, *cols);
    return FCFIT_OK;
}

fcfit_status fcfit_matrix_read_mat(const char *path, const char *name, fcfit_matrix *out)
{
    fcfit_status st = FCFIT_OK;
    mat_t *mat = NULL;
    matvar_t *info = NULL;
    matvar_t *var = NULL;
    char **dir = NULL;
    size_t n_vars = 0;
    size_t rows = 0;
    size_t cols = 0;
    size_t elem;
    fcfit_name_list names;

    fcfit_name_list_init(&names);
    mat = Mat_Open(path, MAT_ACC_RDONLY);
    FCFIT_REQUIRE_GOTO(mat != NULL, FCFIT_ERR_INPUT,
                       "%s: not a MATLAB .mat file that matio can read (expected a v4, v5/v7 or "
                       "v7.3 MAT-file)",
                       path);
    /* The directory belongs to mat and is freed by Mat_Close. */
    dir = Mat_GetDir(mat, &n_vars);
    for (size_t k = 0; dir != NULL && k < n_vars; k++) {
        fcfit_name_list_add(&names, dir[k] != NULL ? dir[k] : "?");
    }
    if (name == NULL) {
        FCFIT_REQUIRE_GOTO(n_vars > 0 && dir != NULL, FCFIT_ERR_INPUT,
                           "%s: the file holds no variables; expected one numeric matrix", path);
        FCFIT_REQUIRE_GOTO(n_vars == 1, FCFIT_ERR_INPUT,
                           "%s: the file holds %zu variables (%s); name the one to load as "
                           "'%s:<variable>'",
                           path, n_vars, fcfit_name_list_text(&names), path);
        name = dir[0];
        FCFIT_REQUIRE_GOTO(name != NULL, FCFIT_ERR_INPUT,
                           "%s: matio cannot read the name of the only variable", path);
    }

    info = Mat_VarReadInfo(mat, name);
    FCFIT_REQUIRE_GOTO(info != NULL, FCFIT_ERR_INPUT,
                       "%s: no variable '%s'; the file holds: %s", path, name,
                       fcfit_name_list_text(&names));
    FCFIT_TRY(mat_check_info(path, info, &rows, &cols));

    var = Mat_VarRead(mat, name);
    FCFIT_REQUIRE_GOTO(var != NULL && var->data != NULL, FCFIT_ERR_INPUT,
                       "%s: cannot read the data of variable '%s' (class %s, %zu x %zu); the file "
                       "may be truncated or corrupt",
                       path, name, mat_class_name(info), rows, cols);
    elem = mat_class_size(var->class_type);
    FCFIT_REQUIRE_GOTO(var->class_type == info->class_type && elem > 0 &&
                           var->data_size >= 0 && (size_t)var->data_size == elem &&
                           var->nbytes / elem >= rows * cols,
                       FCFIT_ERR_INPUT,
                       "%s: variable '%s': matio returned %zu bytes of class %s (%d bytes each) "
                       "for a %zu x %zu %s array",
                       path, name, var->nbytes, mat_class_name(var), var->data_size, rows, cols,
                       mat_class_name(info));

    FCFIT_TRY(fcfit_matrix_alloc(out, rows, cols));
    for (size_t j = 0; j < cols; j++) {
        for (size_t i = 0; i < rows; i++) {
            out->data[i * cols + j] = mat_element(var->data, var->class_type, j * rows + i);
        }
    }

cleanup:
    Mat_VarFree(var);
    Mat_VarFree(info);
    if (mat != NULL) {
        Mat_Close(mat);
    }
    if (st != FCFIT_OK) {
        fcfit_matrix_free(out);
    }
    return st;
}
