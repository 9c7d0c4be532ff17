/*
 * test_core.c: status list, error record, RNG and seed derivation, hashing,
 * matrix checks, small utilities.
 */
#include <math.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "fcfit/fcfit_hash.h"
#include "fcfit/fcfit_matrix.h"
#include "fcfit/fcfit_rng.h"
#include "fcfit/fcfit_status.h"
#include "fcfit/fcfit_util.h"
#include "fcfit_test.h"

static fcfit_status inner_fail(void)
{
    FCFIT_FAIL(FCFIT_ERR_CONFIG, "bad key %s", "sim.dt_ms");
}

static fcfit_status outer_call(void)
{
    FCFIT_CHECK(inner_fail());
    return FCFIT_OK;
}

static void test_status(void)
{
    /* Every code has a name, a message and one of the documented exit codes. */
    for (int s = 0; s < FCFIT_STATUS_COUNT; s++) {
        int code = fcfit_status_exit_code((fcfit_status)s);
        CHECK_TRUE(strlen(fcfit_status_str((fcfit_status)s)) > 0);
        CHECK_TRUE(strncmp(fcfit_status_name((fcfit_status)s), "FCFIT_", 6) == 0);
        CHECK_TRUE(code >= 0 && code <= 3);
        CHECK_TRUE((s == FCFIT_OK) == (code == 0));
    }
    CHECK_INT(fcfit_status_exit_code(FCFIT_ERR_CONFIG), 2);
    CHECK_INT(fcfit_status_exit_code(FCFIT_ERR_INPUT), 2);
    CHECK_INT(fcfit_status_exit_code(FCFIT_ERR_USAGE), 2);
    CHECK_INT(fcfit_status_exit_code(FCFIT_ERR_MISMATCH), 2);
    CHECK_INT(fcfit_status_exit_code(FCFIT_ERR_HDF5), 1);
    CHECK_INT(fcfit_status_exit_code(FCFIT_ERR_INTERRUPTED), 3);
    CHECK_INT(fcfit_status_exit_code((fcfit_status)999), 1);

    /* The first error writes the message; callers only add traceback frames. */
    fcfit_error_clear();
    CHECK_INT(outer_call(), FCFIT_ERR_CONFIG);
    CHECK_TRUE(strcmp(fcfit_error_message(), "bad key sim.dt_ms") == 0);
    CHECK_TRUE(strstr(fcfit_error_traceback(), "inner_fail") != NULL);
    CHECK_TRUE(strstr(fcfit_error_traceback(), "outer_call") != NULL);
    CHECK_INT(fcfit_error_status(), FCFIT_ERR_CONFIG);
    fcfit_error_clear();
    CHECK_INT(fcfit_error_status(), FCFIT_OK);
    CHECK_TRUE(fcfit_error_message()[0] == '\0');
}

static void test_rng(void)
{
    gsl_rng *a = fcfit_rng_alloc(12345), *b = fcfit_rng_alloc(12345), *c = fcfit_rng_alloc(12346);
    int same = 1, differ = 0;
    double sum = 0, sum2 = 0, sum4 = 0, umin = 1, umax = 0;
    const int n = 400000;

    for (int k = 0; k < 1000; k++) {
        unsigned long x = gsl_rng_get(a), y = gsl_rng_get(b), z = gsl_rng_get(c);
        same &= x == y;
        differ |= x != z;
    }
    CHECK_TRUE(same);
    CHECK_TRUE(differ);
    /* Full 64-bit seeds matter: seeds differing only in the high bits give different streams. */
    {
        gsl_rng *h1 = fcfit_rng_alloc(0x1ULL << 40), *h2 = fcfit_rng_alloc(0x2ULL << 40);
        CHECK_TRUE(gsl_rng_get(h1) != gsl_rng_get(h2));
        gsl_rng_free(h1);
        gsl_rng_free(h2);
    }
    for (int k = 0; k < n; k++) {
        double u = gsl_rng_uniform(a);
        umin = fmin(umin, u);
        umax = fmax(umax, u);
        double g = gsl_ran_gaussian_ziggurat(a, 1.0);
        sum += g;
        sum2 += g * g;
        sum4 += g * g * g * g;
    }
    CHECK_TRUE(umin >= 0.0 && umax < 1.0);
    /* Standard normal moments with n = 4e5: s.e. of the mean 1.6e-3, of the variance 2.2e-3,
     * of the fourth moment ~5e-3 (var of x^4 is 96): 5 sigma bands. */
    CHECK_ABS(sum / n, 0.0, 0.008);
    CHECK_ABS(sum2 / n, 1.0, 0.011);
    CHECK_ABS(sum4 / n, 3.0, 0.08);
    /* A bulk fill equals sequential draws in the documented order. */
    {
        gsl_rng *r1 = fcfit_rng_alloc(7), *r2 = fcfit_rng_alloc(7);
        double buf[30], seq[10];
        fcfit_rng_gaussian_fill(r1, buf, 10, 3);
        for (int k = 0; k < 10; k++) {
            seq[k] = gsl_ran_gaussian_ziggurat(r2, 1.0);
            CHECK_TRUE(memcmp(&seq[k], &buf[3 * k], sizeof(double)) == 0);
        }
        gsl_rng_free(r1);
        gsl_rng_free(r2);
    }
    gsl_rng_free(a);
    gsl_rng_free(b);
    gsl_rng_free(c);
}

static void test_seed_derivation(void)
{
    /* The documented formula, computed independently here. */
    uint64_t s = 42, t = 7, r = 3;
    uint64_t want = fcfit_rng_mix64(fcfit_rng_mix64(fcfit_rng_mix64(s ^ 0x6663666974ULL) ^ t) ^ r);
    CHECK_TRUE(fcfit_rng_derive(s, t, r) == want);
    /* splitmix64 reference value: the first output of splitmix64 seeded with 0 is
     * 0xE220A8397B1DCDAF. */
    CHECK_TRUE(fcfit_rng_mix64(0) == 0xE220A8397B1DCDAFULL);
    /* Distinct (task, replicate) pairs give distinct seeds over a grid. */
    {
        int dup = 0;
        uint64_t seen[64 * 8];
        size_t k = 0;
        for (uint64_t task = 0; task < 64; task++) {
            for (uint64_t rep = 0; rep < 8; rep++) {
                uint64_t v = fcfit_rng_derive(1, task, rep);
                for (size_t q = 0; q < k; q++) {
                    dup |= seen[q] == v;
                }
                seen[k++] = v;
            }
        }
        CHECK_TRUE(!dup);
    }
    /* Task and replicate are not interchangeable. */
    CHECK_TRUE(fcfit_rng_derive(1, 2, 3) != fcfit_rng_derive(1, 3, 2));
}

static void test_hash(void)
{
    char hex[17];
    /* FNV-1a 64 reference values: "" -> cbf29ce484222325, "a" -> af63dc4c8601ec8c. */
    CHECK_TRUE(fcfit_hash_bytes(FCFIT_HASH_INIT, "", 0) == 0xcbf29ce484222325ULL);
    CHECK_TRUE(fcfit_hash_bytes(FCFIT_HASH_INIT, "a", 1) == 0xaf63dc4c8601ec8cULL);
    fcfit_hash_hex(0xaf63dc4c8601ec8cULL, hex);
    CHECK_TRUE(strcmp(hex, "af63dc4c8601ec8c") == 0);
    CHECK_TRUE(fcfit_hash_str(FCFIT_HASH_INIT, "ab") != fcfit_hash_str(FCFIT_HASH_INIT, "ba"));
}

static void test_matrix_checks(void)
{
    fcfit_matrix m = {0, 0, NULL};
    CHECK_OK(fcfit_matrix_alloc(&m, 2, 3));
    CHECK_FAILS(fcfit_matrix_check_square(&m, "w.csv"), FCFIT_ERR_INPUT, "w.csv: matrix is 2 x 3");
    CHECK_FAILS(fcfit_matrix_check_size(&m, 3, 0, "fc.csv", "the connectome"), FCFIT_ERR_INPUT,
                "expected 3");
    m.data[4] = NAN;
    CHECK_FAILS(fcfit_matrix_check_finite(&m, "w.csv"), FCFIT_ERR_INPUT, "row 2, column 2");
    m.data[4] = -1.0;
    CHECK_FAILS(fcfit_matrix_check_nonnegative(&m, "w.csv"), FCFIT_ERR_INPUT, "non-negative");
    fcfit_matrix_free(&m);
    CHECK_TRUE(m.data == NULL && m.rows == 0);
    CHECK_OK(fcfit_matrix_alloc(&m, 2, 2));
    m.data[1] = 1.0;
    m.data[2] = 2.0;
    CHECK_FAILS(fcfit_matrix_check_symmetric(&m, 1e-9, "w.csv"), FCFIT_ERR_INPUT, "not symmetric");
    m.data[2] = 1.0;
    CHECK_OK(fcfit_matrix_check_symmetric(&m, 1e-9, "w.csv"));
    fcfit_matrix_free(&m);
    CHECK_FAILS(fcfit_matrix_alloc(&m, 0, 3), FCFIT_ERR_ARG, "0 x 3");
}

static void test_util(void)
{
    char *d = fcfit_path_dirname("/a/b/job.yaml");
    char *j = fcfit_path_join("/a/b", "sc.csv");
    char *k = fcfit_path_join("/a/b", "/abs/sc.csv");
    char *e = fcfit_path_dirname("job.yaml");
    CHECK_TRUE(strcmp(d, "/a/b") == 0);
    CHECK_TRUE(strcmp(j, "/a/b/sc.csv") == 0);
    CHECK_TRUE(strcmp(k, "/abs/sc.csv") == 0);
    CHECK_TRUE(strcmp(e, ".") == 0);
    CHECK_INT(fcfit_edit_distance("sim.dtms", "sim.dt_ms"), 1);
    CHECK_INT(fcfit_edit_distance("kitten", "sitting"), 3);
    free(d);
    free(j);
    free(k);
    free(e);
}

int main(void)
{
    test_status();
    test_rng();
    test_seed_derivation();
    test_hash();
    test_matrix_checks();
    test_util();
    return fcfit_test_finish();
}
