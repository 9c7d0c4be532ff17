/*
 * matrix.c: allocation and validation of plain dense matrices.
 *
 * Validation runs once on every input before any work starts (docs/inputs.md);
 * the messages name the input and the first offending entry (1-based row and
 * column, as a user reading the file counts them).
 */
#include "fcfit/fcfit_matrix.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

fcfit_status fcfit_matrix_alloc(fcfit_matrix *m, size_t rows, size_t cols)
{
    FCFIT_REQUIRE(m != NULL, FCFIT_ERR_ARG, "matrix is NULL");
    FCFIT_REQUIRE(rows > 0 && cols > 0, FCFIT_ERR_ARG, "matrix of size %zu x %zu", rows, cols);
    FCFIT_REQUIRE(rows <= ((size_t)-1) / sizeof(double) / cols, FCFIT_ERR_NOMEM,
                  "matrix of size %zu x %zu is too large", rows, cols);
    m->data = calloc(rows * cols, sizeof(double));
    FCFIT_REQUIRE(m->data != NULL, FCFIT_ERR_NOMEM, "cannot allocate a %zu x %zu matrix", rows,
                  cols);
    m->rows = rows;
    m->cols = cols;
    return FCFIT_OK;
}

void fcfit_matrix_free(fcfit_matrix *m)
{
    if (m == NULL) {
        return;
    }
    free(m->data);
    m->data = NULL;
    m->rows = 0;
    m->cols = 0;
}

fcfit_status fcfit_matrix_copy(fcfit_matrix *dst, const fcfit_matrix *src)
{
    FCFIT_CHECK(fcfit_matrix_alloc(dst, src->rows, src->cols));
    memcpy(dst->data, src->data, src->rows * src->cols * sizeof(double));
    return FCFIT_OK;
}

fcfit_status fcfit_matrix_check_finite(const fcfit_matrix *m, const char *label)
{
    for (size_t i = 0; i < m->rows; i++) {
        for (size_t j = 0; j < m->cols; j++) {
            double v = m->data[i * m->cols + j];
            FCFIT_REQUIRE(isfinite(v), FCFIT_ERR_INPUT,
                          "%s: entry at row %zu, column %zu is %g; expected a finite number",
                          label, i + 1, j + 1, v);
        }
    }
    return FCFIT_OK;
}

fcfit_status fcfit_matrix_check_square(const fcfit_matrix *m, const char *label)
{
    FCFIT_REQUIRE(m->rows == m->cols, FCFIT_ERR_INPUT,
                  "%s: matrix is %zu x %zu; expected a square matrix", label, m->rows, m->cols);
    return FCFIT_OK;
}

fcfit_status fcfit_matrix_check_size(const fcfit_matrix *m, size_t n, int square, const char *label,
                                     const char *against)
{
    if (square) {
        FCFIT_REQUIRE(m->rows == n && m->cols == n, FCFIT_ERR_INPUT,
                      "%s: matrix is %zu x %zu; expected %zu x %zu to match %s", label, m->rows,
                      m->cols, n, n, against);
    } else {
        FCFIT_REQUIRE(m->rows == n, FCFIT_ERR_INPUT,
                      "%s: has %zu rows; expected %zu (one per region) to match %s", label,
                      m->rows, n, against);
    }
    return FCFIT_OK;
}

fcfit_status fcfit_matrix_check_nonnegative(const fcfit_matrix *m, const char *label)
{
    for (size_t i = 0; i < m->rows; i++) {
        for (size_t j = 0; j < m->cols; j++) {
            double v = m->data[i * m->cols + j];
            FCFIT_REQUIRE(v >= 0.0, FCFIT_ERR_INPUT,
                          "%s: entry at row %zu, column %zu is %g; expected a non-negative value",
                          label, i + 1, j + 1, v);
        }
    }
    return FCFIT_OK;
}

fcfit_status fcfit_matrix_check_symmetric(const fcfit_matrix *m, double tol, const char *label)
{
    double amax = 0.0;
    FCFIT_CHECK(fcfit_matrix_check_square(m, label));
    for (size_t k = 0; k < m->rows * m->cols; k++) {
        amax = fmax(amax, fabs(m->data[k]));
    }
    for (size_t i = 0; i < m->rows; i++) {
        for (size_t j = i + 1; j < m->cols; j++) {
            double a = m->data[i * m->cols + j];
            double b = m->data[j * m->cols + i];
            FCFIT_REQUIRE(fabs(a - b) <= tol * amax, FCFIT_ERR_INPUT,
                          "%s: not symmetric: entry (%zu,%zu) = %g but (%zu,%zu) = %g", label,
                          i + 1, j + 1, a, j + 1, i + 1, b);
        }
    }
    return FCFIT_OK;
}
