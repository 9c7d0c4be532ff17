/*
 * connectome.c: from raw matrices to simulation-ready weights, strengths,
 * delays and CSR.
 *
 * Order of operations (recorded with every result): zero the diagonal
 * (unless kept), normalise, multiply by the scale; delays are
 * round(L_ij / v / dt) with ties to even, as numpy.around does
 * (docs/inputs.md). The CSR keeps only nonzero weights, so a dense matrix and its CSR
 * form give the same coupling sums in the same column order.
 */
#include "fcfit/fcfit_connectome.h"

#include <fenv.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const fcfit_norm_names[] = {"none", "max", "mean", "rowsum", "log1p", "log1p_max", NULL};

static fcfit_status normalise(double *w, size_t n, fcfit_norm norm, const char *label)
{
    double m = 0.0;
    size_t cnt = 0;
    switch (norm) {
    case FCFIT_NORM_NONE:
        break;
    case FCFIT_NORM_MAX:
    case FCFIT_NORM_LOG1P_MAX:
        if (norm == FCFIT_NORM_LOG1P_MAX) {
            for (size_t k = 0; k < n * n; k++) {
                w[k] = log1p(w[k]);
            }
        }
        for (size_t k = 0; k < n * n; k++) {
            m = fmax(m, w[k]);
        }
        FCFIT_REQUIRE(m > 0.0, FCFIT_ERR_INPUT,
                      "%s: all weights are zero; cannot normalise by the maximum", label);
        for (size_t k = 0; k < n * n; k++) {
            w[k] /= m;
        }
        break;
    case FCFIT_NORM_MEAN:
        for (size_t i = 0; i < n; i++) {
            for (size_t j = 0; j < n; j++) {
                if (i != j) {
                    m += w[i * n + j];
                    cnt++;
                }
            }
        }
        m = cnt > 0 ? m / (double)cnt : 0.0;
        FCFIT_REQUIRE(m > 0.0, FCFIT_ERR_INPUT,
                      "%s: all off-diagonal weights are zero; cannot normalise by the mean", label);
        for (size_t k = 0; k < n * n; k++) {
            w[k] /= m;
        }
        break;
    case FCFIT_NORM_ROWSUM:
        for (size_t i = 0; i < n; i++) {
            double s = 0.0;
            for (size_t j = 0; j < n; j++) {
                s += w[i * n + j];
            }
            if (s > 0.0) {
                for (size_t j = 0; j < n; j++) {
                    w[i * n + j] /= s;
                }
            }
        }
        break;
    case FCFIT_NORM_LOG1P:
        for (size_t k = 0; k < n * n; k++) {
            w[k] = log1p(w[k]);
        }
        break;
    default:
        FCFIT_FAIL(FCFIT_ERR_ARG, "unknown normalisation %d", (int)norm);
    }
    return FCFIT_OK;
}

void fcfit_connectome_destroy(fcfit_connectome **c)
{
    if (c == NULL || *c == NULL) {
        return;
    }
    free((*c)->weights);
    free((*c)->strength);
    free((*c)->delay);
    free((*c)->row_ptr);
    free((*c)->col);
    free((*c)->val);
    free((*c)->cdelay);
    free(*c);
    *c = NULL;
}

fcfit_status fcfit_connectome_create(fcfit_connectome **out, const fcfit_matrix *weights,
                                     const char *wlabel, const fcfit_matrix *lengths,
                                     const char *llabel, const fcfit_connectome_opts *opts)
{
    fcfit_status st = FCFIT_OK;
    fcfit_connectome *c = NULL;
    size_t n, limit;
    int use_delays;

    *out = NULL;
    FCFIT_CHECK(fcfit_matrix_check_square(weights, wlabel));
    FCFIT_CHECK(fcfit_matrix_check_finite(weights, wlabel));
    FCFIT_CHECK(fcfit_matrix_check_nonnegative(weights, wlabel));
    n = weights->rows;
    FCFIT_REQUIRE(n >= 2, FCFIT_ERR_INPUT, "%s: %zu region(s); expected at least 2", wlabel, n);
    FCFIT_REQUIRE(isfinite(opts->scale) && opts->scale > 0.0, FCFIT_ERR_ARG,
                  "connectome scale %g; expected a positive number", opts->scale);
    use_delays = lengths != NULL && opts->velocity_mm_per_ms > 0.0;
    if (lengths != NULL) {
        FCFIT_CHECK(fcfit_matrix_check_size(lengths, n, 1, llabel, wlabel));
        FCFIT_CHECK(fcfit_matrix_check_finite(lengths, llabel));
        FCFIT_CHECK(fcfit_matrix_check_nonnegative(lengths, llabel));
    }
    if (use_delays) {
        FCFIT_REQUIRE(opts->dt_ms > 0.0, FCFIT_ERR_ARG, "dt_ms %g; expected > 0", opts->dt_ms);
    }
    limit = opts->max_delay_steps_limit > 0 ? opts->max_delay_steps_limit : 100000;

    c = calloc(1, sizeof *c);
    FCFIT_REQUIRE(c != NULL, FCFIT_ERR_NOMEM, "cannot allocate the connectome");
    c->n = n;
    c->norm = opts->norm;
    c->scale = opts->scale;
    c->velocity_mm_per_ms = use_delays ? opts->velocity_mm_per_ms : 0.0;
    c->dt_ms = opts->dt_ms;
    FCFIT_ALLOC_GOTO(c->weights, n * n, "connectome weights");
    FCFIT_ALLOC_GOTO(c->strength, n, "connectome strengths");
    memcpy(c->weights, weights->data, n * n * sizeof(double));
    if (!opts->keep_diagonal) {
        for (size_t i = 0; i < n; i++) {
            c->weights[i * n + i] = 0.0;
        }
    }
    FCFIT_TRY(normalise(c->weights, n, opts->norm, wlabel));
    if (opts->scale != 1.0) {
        for (size_t k = 0; k < n * n; k++) {
            c->weights[k] *= opts->scale;
        }
    }
    for (size_t i = 0; i < n; i++) {
        double s = 0.0;
        for (size_t j = 0; j < n; j++) {
            s += c->weights[i * n + j];
        }
        c->strength[i] = s;
    }

    if (use_delays) {
        int old_round = fegetround();
        FCFIT_ALLOC_GOTO(c->delay, n * n, "delay matrix");
        fesetround(FE_TONEAREST);
        for (size_t i = 0; i < n; i++) {
            for (size_t j = 0; j < n; j++) {
                double steps = nearbyint(lengths->data[i * n + j] / opts->velocity_mm_per_ms /
                                         opts->dt_ms);
                if (!(steps <= (double)limit)) {
                    fesetround(old_round);
                    FCFIT_FAIL_GOTO(FCFIT_ERR_INPUT,
                                    "%s: tract length %g mm at row %zu, column %zu gives a delay "
                                    "of %.0f steps at %g mm/ms and dt %g ms; the limit is %zu "
                                    "steps (check the length units and the velocity)",
                                    llabel, lengths->data[i * n + j], i + 1, j + 1, steps,
                                    opts->velocity_mm_per_ms, opts->dt_ms, limit);
                }
                c->delay[i * n + j] = (size_t)steps;
                if (c->weights[i * n + j] != 0.0 && c->delay[i * n + j] > c->max_delay) {
                    c->max_delay = c->delay[i * n + j];
                }
            }
        }
        fesetround(old_round);
    }

    for (size_t k = 0; k < n * n; k++) {
        if (c->weights[k] != 0.0) {
            c->nnz++;
        }
    }
    FCFIT_ALLOC_GOTO(c->row_ptr, n + 1, "CSR row pointers");
    FCFIT_ALLOC_GOTO(c->col, c->nnz, "CSR columns");
    FCFIT_ALLOC_GOTO(c->val, c->nnz, "CSR values");
    if (use_delays) {
        FCFIT_ALLOC_GOTO(c->cdelay, c->nnz, "CSR delays");
    }
    {
        size_t e = 0;
        for (size_t i = 0; i < n; i++) {
            c->row_ptr[i] = e;
            for (size_t j = 0; j < n; j++) {
                double w = c->weights[i * n + j];
                if (w != 0.0) {
                    c->col[e] = j;
                    c->val[e] = w;
                    if (use_delays) {
                        c->cdelay[e] = c->delay[i * n + j];
                    }
                    e++;
                }
            }
        }
        c->row_ptr[n] = e;
    }
    *out = c;
    return FCFIT_OK;

cleanup:
    fcfit_connectome_destroy(&c);
    return st;
}

double fcfit_connectome_density(const fcfit_connectome *c)
{
    size_t off = 0;
    for (size_t i = 0; i < c->n; i++) {
        for (size_t e = c->row_ptr[i]; e < c->row_ptr[i + 1]; e++) {
            if (c->col[e] != i) {
                off++;
            }
        }
    }
    return (double)off / (double)(c->n * (c->n - 1));
}
