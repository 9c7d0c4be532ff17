/**
 * @file fcfit_matrix.h
 * A plain dense matrix of doubles (row-major) and the checks every input
 * matrix goes through before any simulation starts.
 *
 * Vectors are matrices with one column (rows = length). The checks name the
 * matrix by a caller-given label (typically "file.csv" or the job key), so
 * that the message a user sees points at the offending input.
 */
#ifndef FCFIT_MATRIX_H
#define FCFIT_MATRIX_H

#include <stddef.h>

#include "fcfit/fcfit_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Row-major dense matrix; data[i*cols + j]. Owned by whoever created it. */
typedef struct fcfit_matrix {
    size_t rows;
    size_t cols;
    double *data;
} fcfit_matrix;

/** Allocate a zero-filled rows x cols matrix into *m (which must be empty). */
fcfit_status fcfit_matrix_alloc(fcfit_matrix *m, size_t rows, size_t cols);

/** Free the data of m and reset it to the empty matrix. Safe on empty matrices. */
void fcfit_matrix_free(fcfit_matrix *m);

/** Deep copy src into *dst (which must be empty). */
fcfit_status fcfit_matrix_copy(fcfit_matrix *dst, const fcfit_matrix *src);

/** Every entry finite; the message names label, row and column of the first offender. */
fcfit_status fcfit_matrix_check_finite(const fcfit_matrix *m, const char *label);

/** rows == cols; FCFIT_ERR_INPUT naming label otherwise. */
fcfit_status fcfit_matrix_check_square(const fcfit_matrix *m, const char *label);

/** rows == n (and cols == n when square is nonzero). */
fcfit_status fcfit_matrix_check_size(const fcfit_matrix *m, size_t n, int square, const char *label,
                                     const char *against);

/** Every entry >= 0. */
fcfit_status fcfit_matrix_check_nonnegative(const fcfit_matrix *m, const char *label);

/** |a_ij - a_ji| <= tol * max|a| for all i, j. */
fcfit_status fcfit_matrix_check_symmetric(const fcfit_matrix *m, double tol, const char *label);

#ifdef __cplusplus
}
#endif
#endif /* FCFIT_MATRIX_H */
