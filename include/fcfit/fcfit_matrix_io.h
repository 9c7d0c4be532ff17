/**
 * @file fcfit_matrix_io.h
 * Reading matrices and vectors from the file formats users have.
 *
 * A matrix is named by a "spec": a path, optionally followed by a colon and
 * the name of the object inside a container file:
 *
 *   sc.csv, sc.tsv, sc.txt, sc.dat   delimited text (comma, tab or whitespace;
 *                                    '#' starts a comment; blank lines skipped)
 *   sc.npy                           NumPy .npy (float64/float32/int64/int32,
 *                                    little or big endian, C or Fortran order)
 *   data.mat[:variable]              MATLAB .mat (v4, v5, v7.3) via matio; the
 *                                    variable may be omitted when there is one
 *   data.h5[:/group/dataset]         HDF5 dataset (any numeric type, 1-D or 2-D);
 *                                    the dataset may be omitted when the file
 *                                    holds exactly one
 *   data.npz[:key]                   NumPy .npz archive (numpy.savez, stored or
 *                                    compressed): the array `key`
 *   data.zip[:member]                a .npy or text member of a zip archive (by
 *                                    path, or by file name when unique)
 *
 * The format is chosen by the file extension (case-insensitive; .hdf5 and .he5
 * are HDF5, .tsv is tab, .csv comma, anything else whitespace/comma/tab
 * autodetected per line). 1-D data become a rows x 1 matrix.
 *
 * Every failure returns FCFIT_ERR_INPUT with one message naming the file (and
 * line and column for text, the variable or dataset for containers) and what
 * was expected: missing file, unreadable file, ragged rows, a token that is not
 * a number, an empty file, a variable that is not a numeric 2-D array, a
 * missing dataset (listing the ones that exist), unsupported dtypes.
 * Non-finite numbers ("nan", "inf") are read as such; rejecting them is the
 * job of fcfit_matrix_check_finite, which the caller runs.
 *
 * Only regular files are read: a FIFO, a device (/dev/zero, /dev/urandom) or
 * a directory is FCFIT_ERR_INPUT before anything is read. No reader
 * allocates more than its file can hold (the data size a header claims is
 * compared with the file's size first), so a truncated or crafted file is
 * refused as such. matio and libhdf5 run in a child process, so that a crash
 * inside them on a crafted file is reported as bad input naming the file
 * (docs/inputs.md lists what is checked and what is left to the libraries).
 *
 * Links matio, libzip and HDF5 (serial API; the parallel HDF5 library works
 * without MPI for this), so this module lives in the fcfit_io library.
 */
#ifndef FCFIT_MATRIX_IO_H
#define FCFIT_MATRIX_IO_H

#include "fcfit/fcfit_matrix.h"
#include "fcfit/fcfit_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Load the matrix named by spec into *out (which must be empty: rows = cols = 0,
 * data = NULL). On failure *out stays empty.
 *
 * @param spec  in, borrowed: "path" or "path:object" as described above
 * @param out   out, owned by the caller (free with fcfit_matrix_free)
 * @return FCFIT_OK, FCFIT_ERR_INPUT (message names file and problem), FCFIT_ERR_NOMEM
 */
fcfit_status fcfit_matrix_load(const char *spec, fcfit_matrix *out);

/** A TVB connectivity zip, as fcfit_tvb_zip_load reads it. */
typedef struct fcfit_tvb_connectivity {
    fcfit_matrix weights; /**< n x n, row = target region as TVB stores it */
    fcfit_matrix lengths; /**< n x n tract lengths (mm); empty when the zip has none */
    fcfit_matrix centres; /**< n x 3 region centres (mm); empty when the zip has none */
    char **labels;        /**< n region labels, or NULL when the zip has none */
    size_t n_labels;
} fcfit_tvb_connectivity;

/**
 * Read a TVB connectivity zip: the member whose file name contains "weight"
 * (required, square), "tract_length" (optional, same shape), "centres" or
 * "centers" (optional: "label x y z" lines give the labels and centres) and
 * "region_labels" or "labels" (optional: one label per line, overriding the
 * centres' labels). Each member may sit in a folder of the zip.
 *
 * @param path in: the .zip file
 * @param out  out: filled on success (free with fcfit_tvb_connectivity_free); zeroed on failure
 * @return FCFIT_OK, FCFIT_ERR_INPUT naming the archive, member and problem, FCFIT_ERR_NOMEM
 */
fcfit_status fcfit_tvb_zip_load(const char *path, fcfit_tvb_connectivity *out);

/** Free what fcfit_tvb_zip_load filled; safe on a zeroed struct. */
void fcfit_tvb_connectivity_free(fcfit_tvb_connectivity *c);

/**
 * Region labels from a text file, one per line (surrounding blanks and a
 * trailing "\r" removed, blank lines at the end ignored); each 1 to 127
 * bytes of printable UTF-8.
 * @param labels  out, n malloc'd strings (free with fcfit_labels_free)
 * @return FCFIT_ERR_INPUT naming the file and line, FCFIT_ERR_NOMEM
 */
fcfit_status fcfit_labels_load(const char *path, char ***labels, size_t *n);
void fcfit_labels_free(char **labels, size_t n);

/**
 * Write m as comma-separated text with full round-trip precision ("%.17g"),
 * one row per line. Used by `fcfit report --csv` style exports and by tests.
 */
fcfit_status fcfit_matrix_save_csv(const char *path, const fcfit_matrix *m);

#ifdef __cplusplus
}
#endif
#endif /* FCFIT_MATRIX_IO_H */
