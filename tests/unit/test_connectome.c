/*
 * test_connectome.c: normalisations, diagonal, strengths, delay rounding,
 * CSR form, input checks, and the synthetic connectome.
 */
#include <math.h>
#include <string.h>

#include "fcfit/fcfit_connectome.h"
#include "fcfit_test.h"

static fcfit_connectome *build(const double *w, const double *len, size_t n, fcfit_norm norm,
                               double scale, int keep_diag, double v, double dt)
{
    fcfit_matrix W = {0, 0, NULL}, L = {0, 0, NULL};
    fcfit_connectome *c = NULL;
    fcfit_connectome_opts o = {norm, scale, keep_diag, v, dt, 0};
    fcfit_matrix_alloc(&W, n, n);
    memcpy(W.data, w, n * n * sizeof(double));
    if (len != NULL) {
        fcfit_matrix_alloc(&L, n, n);
        memcpy(L.data, len, n * n * sizeof(double));
    }
    CHECK_OK(fcfit_connectome_create(&c, &W, "W", len != NULL ? &L : NULL, "L", &o));
    fcfit_matrix_free(&W);
    fcfit_matrix_free(&L);
    return c;
}

static void test_normalisations(void)
{
    const double w[9] = {5, 2, 4, 1, 7, 3, 8, 6, 9};
    fcfit_connectome *c;
    /* max: diagonal zeroed first, so the max is 8 */
    c = build(w, NULL, 3, FCFIT_NORM_MAX, 1.0, 0, 0, 0.1);
    CHECK_ABS(c->weights[0], 0.0, 0.0);
    CHECK_REL(c->weights[2 * 3 + 0], 1.0, 1e-15);
    CHECK_REL(c->weights[0 * 3 + 1], 0.25, 1e-15);
    CHECK_REL(c->strength[0], (2.0 + 4.0) / 8.0, 1e-15);
    CHECK_INT(c->nnz, 6);
    fcfit_connectome_destroy(&c);
    CHECK_TRUE(c == NULL);
    /* keep the diagonal: max 9 */
    c = build(w, NULL, 3, FCFIT_NORM_MAX, 1.0, 1, 0, 0.1);
    CHECK_REL(c->weights[8], 1.0, 1e-15);
    CHECK_INT(c->nnz, 9);
    fcfit_connectome_destroy(&c);
    /* mean of the off-diagonal entries = (2+4+1+3+8+6)/6 = 4 */
    c = build(w, NULL, 3, FCFIT_NORM_MEAN, 1.0, 0, 0, 0.1);
    CHECK_REL(c->weights[0 * 3 + 2], 1.0, 1e-15);
    fcfit_connectome_destroy(&c);
    /* row sums equal one */
    c = build(w, NULL, 3, FCFIT_NORM_ROWSUM, 1.0, 0, 0, 0.1);
    for (size_t i = 0; i < 3; i++) {
        CHECK_REL(c->strength[i], 1.0, 1e-15);
    }
    fcfit_connectome_destroy(&c);
    /* log1p, then scale */
    c = build(w, NULL, 3, FCFIT_NORM_LOG1P, 0.5, 0, 0, 0.1);
    CHECK_REL(c->weights[1], 0.5 * log1p(2.0), 1e-15);
    fcfit_connectome_destroy(&c);
    c = build(w, NULL, 3, FCFIT_NORM_LOG1P_MAX, 1.0, 0, 0, 0.1);
    CHECK_REL(c->weights[6], 1.0, 1e-15);
    CHECK_REL(c->weights[1], log1p(2.0) / log1p(8.0), 1e-15);
    fcfit_connectome_destroy(&c);
    c = build(w, NULL, 3, FCFIT_NORM_NONE, 1.0, 0, 0, 0.1);
    CHECK_REL(c->weights[7], 6.0, 0);
    CHECK_ABS(c->weights[4], 0.0, 0);
    fcfit_connectome_destroy(&c);
}

static void test_delays_and_csr(void)
{
    /* Row 0 has lengths giving 0.5, 1.5, 2.5 steps: numpy rounds half to even: 0, 2, 2. */
    const double w[16] = {0, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0};
    const double len[16] = {0, 0.25, 0.75, 1.25, 0.25, 0, 9, 2.0, 0.75, 9, 0, 9, 1.25, 2.0, 9, 0};
    fcfit_connectome *c = build(w, len, 4, FCFIT_NORM_NONE, 1.0, 0, 1.0, 0.5);
    CHECK_TRUE(c->delay != NULL);
    CHECK_INT(c->delay[0 * 4 + 1], 0);
    CHECK_INT(c->delay[0 * 4 + 2], 2);
    CHECK_INT(c->delay[0 * 4 + 3], 2);
    CHECK_INT(c->delay[1 * 4 + 3], 4);
    /* max over present connections only: the length 9 entries have zero weight */
    CHECK_INT(c->max_delay, 4);
    /* CSR: rows in order, columns ascending, delays aligned */
    CHECK_INT(c->row_ptr[0], 0);
    CHECK_INT(c->row_ptr[1], 3);
    CHECK_INT(c->col[0], 1);
    CHECK_INT(c->col[2], 3);
    CHECK_INT(c->cdelay[1], 2);
    CHECK_INT(c->row_ptr[4], c->nnz);
    CHECK_REL(fcfit_connectome_density(c), 8.0 / 12.0, 1e-15);
    fcfit_connectome_destroy(&c);
    /* velocity 0: no delays even with lengths */
    c = build(w, len, 4, FCFIT_NORM_NONE, 1.0, 0, 0.0, 0.5);
    CHECK_TRUE(c->delay == NULL && c->cdelay == NULL && c->max_delay == 0);
    fcfit_connectome_destroy(&c);
}

static void test_bad_inputs(void)
{
    fcfit_matrix W = {0, 0, NULL}, L = {0, 0, NULL};
    fcfit_connectome *c = NULL;
    fcfit_connectome_opts o = {FCFIT_NORM_MAX, 1.0, 0, 1.0, 0.1, 0};
    fcfit_matrix_alloc(&W, 2, 3);
    CHECK_FAILS(fcfit_connectome_create(&c, &W, "sc.csv", NULL, "L", &o), FCFIT_ERR_INPUT,
                "sc.csv: matrix is 2 x 3");
    fcfit_matrix_free(&W);
    fcfit_matrix_alloc(&W, 3, 3);
    W.data[1] = NAN;
    CHECK_FAILS(fcfit_connectome_create(&c, &W, "sc.csv", NULL, "L", &o), FCFIT_ERR_INPUT,
                "row 1, column 2");
    W.data[1] = -0.5;
    CHECK_FAILS(fcfit_connectome_create(&c, &W, "sc.csv", NULL, "L", &o), FCFIT_ERR_INPUT,
                "non-negative");
    W.data[1] = 0.0;
    CHECK_FAILS(fcfit_connectome_create(&c, &W, "sc.csv", NULL, "L", &o), FCFIT_ERR_INPUT,
                "all weights are zero");
    W.data[1] = 1.0;
    fcfit_matrix_alloc(&L, 2, 2);
    CHECK_FAILS(fcfit_connectome_create(&c, &W, "sc.csv", &L, "len.csv", &o), FCFIT_ERR_INPUT,
                "len.csv: matrix is 2 x 2; expected 3 x 3");
    fcfit_matrix_free(&L);
    fcfit_matrix_alloc(&L, 3, 3);
    L.data[1] = 1e9; /* 1e10 steps */
    CHECK_FAILS(fcfit_connectome_create(&c, &W, "sc.csv", &L, "len.csv", &o), FCFIT_ERR_INPUT,
                "len.csv: tract length");
    CHECK_TRUE(c == NULL);
    fcfit_matrix_free(&L);
    fcfit_matrix_free(&W);
}

static void test_synthetic(void)
{
    fcfit_matrix w1 = {0, 0, NULL}, l1 = {0, 0, NULL}, w2 = {0, 0, NULL}, l2 = {0, 0, NULL};
    fcfit_matrix w3 = {0, 0, NULL}, l3 = {0, 0, NULL};
    const size_t n = 40;
    int sym = 1, diag0 = 1, connected = 1, lens_ok = 1;
    CHECK_OK(fcfit_connectome_synthetic(n, 7, &w1, &l1));
    CHECK_OK(fcfit_connectome_synthetic(n, 7, &w2, &l2));
    CHECK_OK(fcfit_connectome_synthetic(n, 8, &w3, &l3));
    CHECK_BITWISE(w1.data, w2.data, n * n);
    CHECK_BITWISE(l1.data, l2.data, n * n);
    CHECK_TRUE(memcmp(w1.data, w3.data, n * n * sizeof(double)) != 0);
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        diag0 &= w1.data[i * n + i] == 0.0 && l1.data[i * n + i] == 0.0;
        for (size_t j = 0; j < n; j++) {
            sym &= w1.data[i * n + j] == w1.data[j * n + i];
            sym &= l1.data[i * n + j] == l1.data[j * n + i];
            lens_ok &= i == j || (l1.data[i * n + j] > 0.0 && l1.data[i * n + j] < 500.0);
            s += w1.data[i * n + j];
        }
        connected &= s > 0.0;
    }
    CHECK_TRUE(sym);
    CHECK_TRUE(diag0);
    CHECK_TRUE(connected);
    CHECK_TRUE(lens_ok);
    /* homotopic pairs (i, i + n/2) are always connected */
    CHECK_TRUE(w1.data[0 * n + n / 2] > 0.0);
    CHECK_FAILS(fcfit_connectome_synthetic(1, 7, &w2, &l2), FCFIT_ERR_ARG, "2 to 20000");
    fcfit_matrix_free(&w1);
    fcfit_matrix_free(&l1);
    fcfit_matrix_free(&w2);
    fcfit_matrix_free(&l2);
    fcfit_matrix_free(&w3);
    fcfit_matrix_free(&l3);
}

int main(void)
{
    test_normalisations();
    test_delays_and_csr();
    test_bad_inputs();
    test_synthetic();
    return fcfit_test_finish();
}
