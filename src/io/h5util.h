/*
 * h5util.h: small checked wrappers around the HDF5 C API used by the result
 * writers (the only files besides the matrix reader that include hdf5.h).
 *
 * Strings are written as variable-length UTF-8 (h5py reads them as str).
 * Every function returns an fcfit_status and records the HDF5 error stack's
 * innermost message on failure.
 */
#ifndef FCFIT_H5UTIL_H
#define FCFIT_H5UTIL_H

#include <hdf5.h>
#include <stddef.h>

#include "fcfit/fcfit_status.h"

/** Turn off HDF5's automatic error printing for this process (idempotent). */
void fcfit_h5_quiet(void);

/** Record an HDF5 failure: "what: <innermost HDF5 message>". */
fcfit_status fcfit_h5_fail(const char *file, int line, const char *func, const char *what);
#define FCFIT_H5_FAIL(what) fcfit_h5_fail(__FILE__, __LINE__, __func__, (what))

fcfit_status fcfit_h5_attr_str(hid_t obj, const char *name, const char *value);
fcfit_status fcfit_h5_attr_double(hid_t obj, const char *name, double value);
fcfit_status fcfit_h5_attr_int(hid_t obj, const char *name, long long value);
/** A 1-D attribute of n strings. */
fcfit_status fcfit_h5_attr_strs(hid_t obj, const char *name, size_t n, const char *const *values);
/** Read a string attribute into a malloc'd string (*out = NULL when absent). */
fcfit_status fcfit_h5_read_attr_str(hid_t obj, const char *name, char **out);

/** Write a whole double dataset of rank 1 or 2 (dims[1] ignored for rank 1). */
fcfit_status fcfit_h5_write_doubles(hid_t loc, const char *name, int rank, const size_t *dims,
                                    const double *data);

/** Write a 1-D dataset of n variable-length UTF-8 strings. */
fcfit_status fcfit_h5_write_strings(hid_t loc, const char *name, size_t n,
                                    const char *const *values);

/** Make dataset `name` of loc a dimension scale named `scale_name` (H5DS). */
fcfit_status fcfit_h5_make_scale(hid_t loc, const char *name, const char *scale_name);

/** Attach the scale at path `scale` (from loc) to dimension dim of dataset `name` of loc2. */
fcfit_status fcfit_h5_attach_scale(hid_t loc, const char *scale, hid_t loc2, const char *name,
                                   unsigned dim);
/**
 * Read all of an existing file in a guarded child process first (h5check.c): a file that
 * crashes libhdf5 is FCFIT_ERR_INPUT naming it, anything but a regular file too. *is_hdf5
 * receives whether it is an HDF5 file at all; a missing file is not an error (*is_hdf5 = 0).
 */
fcfit_status fcfit_h5_check_guarded(const char *path, int *is_hdf5);

/** Library version string of the HDF5 in use ("1.10.8"). */
void fcfit_h5_version(char *buf, size_t cap);

#endif
