/*
 * test_matrix_h5.c: fcfit_matrix_load on HDF5 datasets.
 *
 * Fixtures are written with the HDF5 C API (default sec2 driver, no MPI):
 * contiguous and gzip+shuffle chunked datasets, datasets in nested groups,
 * integer, float32 and big-endian sources, and the non-numeric or wrongly
 * shaped datasets that must be rejected. Comparisons are bitwise: every
 * source value converts exactly to double.
 *
 * The test also checks that the loader leaves HDF5's automatic error printing
 * as it found it, and the hostile cases: a dataspace claiming more values than
 * the file holds, a dataset never written, a file that crashes libhdf5 1.10.8
 * (from fuzz/regressions: the guarded child turns the crash into bad input),
 * and that the guarded read returns bitwise what the in-process read returns
 * (FCFIT_LOADER_FORK=0), for a matrix larger than a pipe's buffer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <hdf5.h>

#include "fcfit/fcfit_matrix_io.h"
#include "fcfit_test.h"
#include "io_test_util.h"



/*
 * Write one dataset at `name` (intermediate groups are created) with file
 * type ftype, memory type mtype, rank 0..3 and dims; gzip+shuffle chunks
 * when chunk is non-NULL. Returns nonzero on success.
 */
static int write_dataset(hid_t file, const char *name, hid_t ftype, hid_t mtype, int rank,
                         const hsize_t *dims, const hsize_t *chunk, const void *data)
{
    int ok = 0;
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t space = rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, dims, NULL);
    hid_t dset = H5I_INVALID_HID;
    if (lcpl >= 0 && dcpl >= 0 && space >= 0 && H5Pset_create_intermediate_group(lcpl, 1) >= 0) {
        if (chunk != NULL) {
            H5Pset_chunk(dcpl, rank, chunk);
            H5Pset_shuffle(dcpl);
            H5Pset_deflate(dcpl, 6);
        }
        dset = H5Dcreate2(file, name, ftype, space, lcpl, dcpl, H5P_DEFAULT);
        ok = dset >= 0 && H5Dwrite(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0;
    }
    if (!ok) {
        printf("cannot write fixture dataset %s\n", name);
    }
    if (dset >= 0) {
        H5Dclose(dset);
    }
    if (space >= 0) {
        H5Sclose(space);
    }
    if (dcpl >= 0) {
        H5Pclose(dcpl);
    }
    if (lcpl >= 0) {
        H5Pclose(lcpl);
    }
    return ok;
}

/* The 3 x 4 test matrix and a 1-D vector. */
static double g_m34[12];
static const int32_t g_i32[5] = {-7, 0, 2147483647, -2147483647 - 1, 12};
static double g_want_i32[5];
static const float g_f32[6] = {0.5f, -1.25f, 3.0e-3f, 1.0e10f, -0.0f, 7.0f};
static double g_want_f32[6];

static void make_values(void)
{
    for (size_t k = 0; k < 12; k++) {
        g_m34[k] = (double)(k + 1) * 2.385 - 10.0 / (double)(k + 3);
    }
    for (size_t k = 0; k < 5; k++) {
        g_want_i32[k] = (double)g_i32[k];
    }
    for (size_t k = 0; k < 6; k++) {
        g_want_f32[k] = (double)g_f32[k];
    }
}

static void test_good_files(void)
{
    char path[600];
    char spec[700];
    const hsize_t d34[2] = {3, 4};
    const hsize_t c34[2] = {2, 3}; /* chunks that do not divide the shape evenly */
    const hsize_t d5[1] = {5};
    const hsize_t d23[2] = {2, 3};
    double bold[5 * 7];
    hid_t file;

    for (size_t k = 0; k < 35; k++) {
        bold[k] = 1.0 / (double)(k + 1) - 0.25 * (double)(k % 3);
    }
    file = H5Fcreate(tmp_path(path, sizeof path, "good.h5"), H5F_ACC_TRUNC, H5P_DEFAULT,
                     H5P_DEFAULT);
    if (file < 0) {
        CHECK_TRUE(!"fixture good.h5 created");
        return;
    }
    {
        const hsize_t d57[2] = {5, 7};
        const hsize_t c57[2] = {2, 4};
        write_dataset(file, "/sc", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, d34, NULL, g_m34);
        write_dataset(file, "/bold_gz", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, d57, c57, bold);
        write_dataset(file, "/grp/sub/w_big", H5T_IEEE_F64BE, H5T_NATIVE_DOUBLE, 2, d34, c34,
                      g_m34);
        write_dataset(file, "/ints", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, d5, NULL, g_i32);
        write_dataset(file, "/grp/f32", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, d23, NULL, g_f32);
        H5Fclose(file);
    }

    snprintf(spec, sizeof spec, "%s:/sc", path);
    CHECK_LOAD_EQUALS(spec, 3, 4, g_m34);
    snprintf(spec, sizeof spec, "%s:sc", path); /* the leading slash is optional */
    CHECK_LOAD_EQUALS(spec, 3, 4, g_m34);
    snprintf(spec, sizeof spec, "%s:/bold_gz", path);
    CHECK_LOAD_EQUALS(spec, 5, 7, bold);
    snprintf(spec, sizeof spec, "%s:/grp/sub/w_big", path);
    CHECK_LOAD_EQUALS(spec, 3, 4, g_m34);
    snprintf(spec, sizeof spec, "%s:grp/sub/w_big", path);
    CHECK_LOAD_EQUALS(spec, 3, 4, g_m34);
    snprintf(spec, sizeof spec, "%s:/ints", path);
    CHECK_LOAD_EQUALS(spec, 5, 1, g_want_i32);
    snprintf(spec, sizeof spec, "%s:/grp/f32", path);
    CHECK_LOAD_EQUALS(spec, 2, 3, g_want_f32);

    /* Several datasets and no name: the message lists every one, groups included. */
    CHECK_LOAD_FAILS(path, "good.h5",
                     "holds 5 datasets (/bold_gz, /grp/f32, /grp/sub/w_big, /ints, /sc)");

    /* Exactly one dataset, inside a group: no name needed. */
    file = H5Fcreate(tmp_path(path, sizeof path, "only.h5"), H5F_ACC_TRUNC, H5P_DEFAULT,
                     H5P_DEFAULT);
    if (file >= 0) {
        write_dataset(file, "/deep/inside/sc", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, d34, c34,
                      g_m34);
        H5Fclose(file);
    }
    CHECK_LOAD_EQUALS(path, 3, 4, g_m34);
}

static void test_bad_files(void)
{
    char path[600];
    char spec[700];
    const hsize_t d3[3] = {2, 2, 2};
    const hsize_t d2[1] = {2};
    const hsize_t d0[2] = {0, 3};
    double cube[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    double scalar = 2.5;
    const char *labels[2] = {"left", "right"};
    typedef struct pair {
        double a;
        int32_t b;
    } pair;
    pair pairs[2] = {{1.0, 2}, {3.0, 4}};
    hid_t file;
    hid_t str_type;
    hid_t cmp_type;
    FILE *fp;

    file = H5Fcreate(tmp_path(path, sizeof path, "bad.h5"), H5F_ACC_TRUNC, H5P_DEFAULT,
                     H5P_DEFAULT);
    if (file < 0) {
        CHECK_TRUE(!"fixture bad.h5 created");
        return;
    }
    str_type = H5Tcopy(H5T_C_S1);
    H5Tset_size(str_type, H5T_VARIABLE);
    cmp_type = H5Tcreate(H5T_COMPOUND, sizeof(pair));
    H5Tinsert(cmp_type, "a", HOFFSET(pair, a), H5T_NATIVE_DOUBLE);
    H5Tinsert(cmp_type, "b", HOFFSET(pair, b), H5T_NATIVE_INT32);
    write_dataset(file, "/cube", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 3, d3, NULL, cube);
    write_dataset(file, "/scalar", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0, NULL, NULL, &scalar);
    write_dataset(file, "/labels", str_type, str_type, 1, d2, NULL, labels);
    write_dataset(file, "/pairs", cmp_type, cmp_type, 1, d2, NULL, pairs);
    write_dataset(file, "/grp/empty", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, d0, NULL, cube);
    H5Tclose(cmp_type);
    H5Tclose(str_type);
    H5Fclose(file);

    snprintf(spec, sizeof spec, "%s:/cube", path);
    CHECK_LOAD_FAILS(spec, "bad.h5", "dataset '/cube' has 3 dimensions; expected a 1-D or 2-D");
    snprintf(spec, sizeof spec, "%s:/scalar", path);
    CHECK_LOAD_FAILS(spec, "bad.h5", "dataset '/scalar' is a scalar");
    snprintf(spec, sizeof spec, "%s:/labels", path);
    CHECK_LOAD_FAILS(spec, "bad.h5", "dataset '/labels' has string type");
    snprintf(spec, sizeof spec, "%s:/pairs", path);
    CHECK_LOAD_FAILS(spec, "bad.h5", "dataset '/pairs' has compound type");
    snprintf(spec, sizeof spec, "%s:/grp/empty", path);
    CHECK_LOAD_FAILS(spec, "bad.h5", "dataset '/grp/empty' is empty (0 x 3)");
    snprintf(spec, sizeof spec, "%s:/grp", path);
    CHECK_LOAD_FAILS(spec, "bad.h5", "'/grp' is a group, not a dataset");
    snprintf(spec, sizeof spec, "%s:/nope/sc", path);
    CHECK_LOAD_FAILS(spec, "bad.h5",
                     "no dataset '/nope/sc'; the file holds these datasets: /cube, /grp/empty, "
                     "/labels, /pairs, /scalar");
    CHECK_LOAD_FAILS(path, "bad.h5", "the file holds 5 datasets");

    file = H5Fcreate(tmp_path(path, sizeof path, "groups_only.h5"), H5F_ACC_TRUNC, H5P_DEFAULT,
                     H5P_DEFAULT);
    if (file >= 0) {
        hid_t grp = H5Gcreate2(file, "/g", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (grp >= 0) {
            H5Gclose(grp);
        }
        H5Fclose(file);
    }
    CHECK_LOAD_FAILS(path, "groups_only.h5", "the file holds no datasets");

    fp = fopen(tmp_path(path, sizeof path, "text.h5"), "w");
    if (fp != NULL) {
        fputs("1,2,3\n", fp);
        fclose(fp);
    }
    CHECK_LOAD_FAILS(path, "text.h5", "not an HDF5 file");
}

/* Create dataset `name` of rows x cols doubles, allocated late and never written. */
static void unwritten_dataset(hid_t file, const char *name, hsize_t rows, hsize_t cols)
{
    hsize_t dims[2] = {rows, cols};
    hid_t space = H5Screate_simple(2, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t dset;
    H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_LATE);
    dset = H5Dcreate2(file, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (dset < 0) {
        printf("cannot create fixture dataset %s\n", name);
    } else {
        H5Dclose(dset);
    }
    H5Pclose(dcpl);
    H5Sclose(space);
}

static void test_hostile_files(void)
{
    char path[600], spec[700];
    hid_t file, fcpl;
    double *big;
    const hsize_t dbig[2] = {300, 400};
    fcfit_matrix guarded = {0, 0, NULL}, direct = {0, 0, NULL};

    file = H5Fcreate(tmp_path(path, sizeof path, "claims.h5"), H5F_ACC_TRUNC, H5P_DEFAULT,
                     H5P_DEFAULT);
    if (file >= 0) {
        unwritten_dataset(file, "/huge", 100000, 100000);
        unwritten_dataset(file, "/never", 3, 3);
        H5Fclose(file);
    }
    snprintf(spec, sizeof spec, "%s:/huge", path);
    CHECK_LOAD_FAILS(spec, "claims.h5",
                     "dataset '/huge' claims 100000 x 100000 values of 8 bytes, more than the");
    snprintf(spec, sizeof spec, "%s:/never", path);
    CHECK_LOAD_FAILS(spec, "claims.h5", "dataset '/never' (3 x 3) has no stored values");

    /* A crafted file on which libhdf5 1.10.8 segfaults in H5F__accum_read. */
    snprintf(spec, sizeof spec, "%s/fuzz/regressions/matrix_h5/segv-H5F__accum_read-1",
             FCFIT_SOURCE_DIR);
    {
        size_t len = 0;
        const char *bytes = read_small_file(spec, &len);
        FILE *fp = fopen(tmp_path(path, sizeof path, "crafted.h5"), "wb");
        if (fp != NULL) {
            fwrite(bytes, 1, len, fp);
            fclose(fp);
        }
        CHECK_TRUE(len > 0);
    }
    CHECK_LOAD_FAILS(path, "crafted.h5", "the HDF5 library crashed while reading the file");

    /* An HDF5 signature behind a 512-byte user block (as MATLAB 7.3 files have) is found. */
    fcpl = H5Pcreate(H5P_FILE_CREATE);
    H5Pset_userblock(fcpl, 512);
    file = H5Fcreate(tmp_path(path, sizeof path, "userblock.h5"), H5F_ACC_TRUNC, fcpl,
                     H5P_DEFAULT);
    H5Pclose(fcpl);
    big = malloc(300 * 400 * sizeof(double));
    for (size_t k = 0; big != NULL && k < 300 * 400; k++) {
        big[k] = (double)k * 1.0000001 - 3.5e4;
    }
    if (file >= 0 && big != NULL) {
        write_dataset(file, "/m", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dbig, NULL, big);
        H5Fclose(file);
    }
    CHECK_LOAD_EQUALS(path, 300, 400, big);
    /* 960 kB through the pipe from the child, bitwise what the in-process reader gives. */
    CHECK_TRUE(fcfit_matrix_load(path, &guarded) == FCFIT_OK);
    setenv("FCFIT_LOADER_FORK", "0", 1);
    CHECK_TRUE(fcfit_matrix_load(path, &direct) == FCFIT_OK);
    unsetenv("FCFIT_LOADER_FORK");
    CHECK_TRUE(guarded.rows == 300 && direct.rows == 300 && guarded.cols == 400 &&
               direct.cols == 400 &&
               memcmp(guarded.data, direct.data, 300 * 400 * sizeof(double)) == 0);
    fcfit_matrix_free(&guarded);
    fcfit_matrix_free(&direct);
    free(big);
}

/* The loader must restore whatever automatic error handler the caller had (in-process). */
static void test_error_printing_restored(void)
{
    char path[600];
    H5E_auto2_t before = NULL;
    H5E_auto2_t after = NULL;
    void *before_data = NULL;
    void *after_data = NULL;
    fcfit_matrix m = {0, 0, NULL};

    H5Eget_auto2(H5E_DEFAULT, &before, &before_data);
    /* Read in this process (not in the guarded child), where the handler matters. */
    setenv("FCFIT_LOADER_FORK", "0", 1);
    (void)fcfit_matrix_load(tmp_path(path, sizeof path, "bad.h5"), &m);
    unsetenv("FCFIT_LOADER_FORK");
    fcfit_error_clear();
    H5Eget_auto2(H5E_DEFAULT, &after, &after_data);
    CHECK_TRUE(before != NULL);
    CHECK_TRUE(before == after && before_data == after_data);
}

int main(void)
{
    if (!tmp_init_named("tmp_test_matrix")) {
        return 1;
    }
    make_values();
    test_good_files();
    test_bad_files();
    test_hostile_files();
    test_error_printing_restored();
    return fcfit_test_finish();
}
