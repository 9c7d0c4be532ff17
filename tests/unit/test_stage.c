/*
 * test_stage.c: the sweep stage (include/fcfit/fcfit_stage.h): point enumeration and the
 * mapping of a point to per-region parameters.
 *
 *  - grid: the full product, last dimension fastest, n_points = product of the value counts;
 *  - Sobol: inside the ranges and equal to GSL's gsl_qrng_sobol scaled to each range (the
 *    same expression, so bitwise);
 *  - Latin hypercube: per dimension exactly one point in each of the n equal strata (in
 *    log10 for log-scaled ranges);
 *  - random and LHS: reproducible for a seed, different for another;
 *  - log-scaled ranges stay inside [lo, hi], with bounds whose log10 round trip is inexact;
 *  - fcfit_stage_point_params: global dimensions set every region, map dimensions give
 *    p_i = offset + slope * m_i, every other parameter keeps its base values (bitwise).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_qrng.h>

#include "fcfit/fcfit_stage.h"
#include "fcfit/fcfit_util.h"
#include "fcfit_test.h"

typedef struct dimspec {
    double lo, hi;
    int log_scale;
    size_t n_values;
    const double *values;
} dimspec;

/* A heap-allocated stage as the job loader would build it (freed by fcfit_stage_destroy). */
static fcfit_stage *make_stage(fcfit_sampler sampler, size_t n_points, uint64_t seed, size_t D,
                               const dimspec *spec)
{
    fcfit_stage *s = calloc(1, sizeof *s);
    s->name = fcfit_strdup("sweep");
    s->sampler = sampler;
    s->sampler_seed = seed;
    s->n_points = n_points;
    s->n_regions = 4;
    s->n_params = 3;
    s->n_dims = D;
    s->dims = calloc(D, sizeof *s->dims);
    for (size_t d = 0; d < D; d++) {
        char name[48];
        snprintf(name, sizeof name, "model.test.p%zu", d);
        s->dims[d].name = fcfit_strdup(name);
        s->dims[d].param = d % 3;
        s->dims[d].kind = FCFIT_DIM_GLOBAL;
        s->dims[d].lo = spec[d].lo;
        s->dims[d].hi = spec[d].hi;
        s->dims[d].log_scale = spec[d].log_scale;
        s->dims[d].n_values = spec[d].n_values;
        if (spec[d].n_values > 0) {
            s->dims[d].values = malloc(spec[d].n_values * sizeof(double));
            memcpy(s->dims[d].values, spec[d].values, spec[d].n_values * sizeof(double));
        }
    }
    return s;
}

static void test_grid(void)
{
    static const double a[] = {0.1, 0.2};
    static const double b[] = {-1.0, 0.0, 1.0};
    static const double c[] = {10, 20, 30, 40};
    dimspec spec[3] = {{0.1, 0.2, 0, 2, a}, {-1, 1, 0, 3, b}, {10, 40, 0, 4, c}};
    fcfit_stage *s = make_stage(FCFIT_SAMPLER_GRID, 0, 1, 3, spec);
    int order_ok = 1;

    CHECK_OK(fcfit_stage_enumerate(s));
    CHECK_INT(s->n_points, 2 * 3 * 4);
    for (size_t k = 0; k < s->n_points; k++) {
        /* Last dimension fastest: k = ((i0 * 3) + i1) * 4 + i2. */
        size_t i0 = k / 12, i1 = (k / 4) % 3, i2 = k % 4;
        const double *p = s->points + k * 3;
        if (p[0] != a[i0] || p[1] != b[i1] || p[2] != c[i2]) {
            printf("     grid point %zu: (%g, %g, %g), expected (%g, %g, %g)\n", k, p[0], p[1],
                   p[2], a[i0], b[i1], c[i2]);
            order_ok = 0;
        }
    }
    CHECK_TRUE(order_ok);
    /* Enumerating again gives the same points (n_points is recomputed, not accumulated). */
    {
        double first[72];
        memcpy(first, s->points, sizeof first);
        CHECK_OK(fcfit_stage_enumerate(s));
        CHECK_INT(s->n_points, 24);
        CHECK_BITWISE(first, s->points, 72);
    }
    fcfit_stage_destroy(&s);
    CHECK_TRUE(s == NULL);

    /* One dimension: the values in order. */
    s = make_stage(FCFIT_SAMPLER_GRID, 0, 1, 1, &spec[2]);
    CHECK_OK(fcfit_stage_enumerate(s));
    CHECK_INT(s->n_points, 4);
    CHECK_BITWISE(s->points, c, 4);
    fcfit_stage_destroy(&s);

    /* A dimension without values, and no dimension at all, are configuration errors. */
    {
        dimspec empty[2] = {{0.1, 0.2, 0, 2, a}, {0, 1, 0, 0, NULL}};
        s = make_stage(FCFIT_SAMPLER_GRID, 0, 1, 2, empty);
        CHECK_FAILS(fcfit_stage_enumerate(s), FCFIT_ERR_CONFIG, "no values");
        fcfit_stage_destroy(&s);
        s = make_stage(FCFIT_SAMPLER_GRID, 0, 1, 0, NULL);
        CHECK_FAILS(fcfit_stage_enumerate(s), FCFIT_ERR_CONFIG, "no parameter");
        fcfit_stage_destroy(&s);
    }
    fcfit_stage_destroy(&s); /* safe on NULL */
}

static void test_sobol(void)
{
    enum { D = 4, NP = 100 };
    dimspec spec[D] = {{0.0, 2.0, 0, 0, NULL},
                       {-5.0, 5.0, 0, 0, NULL},
                       {0.3, 5.0, 1, 0, NULL},
                       {1e-4, 1e-1, 1, 0, NULL}};
    fcfit_stage *s = make_stage(FCFIT_SAMPLER_SOBOL, NP, 123, D, spec);
    gsl_qrng *q = gsl_qrng_alloc(gsl_qrng_sobol, D);
    double u[D], want[NP * D];
    int inside = 1;

    CHECK_OK(fcfit_stage_enumerate(s));
    CHECK_INT(s->n_points, NP);
    for (size_t k = 0; k < NP; k++) {
        gsl_qrng_get(q, u);
        for (size_t d = 0; d < D; d++) {
            const fcfit_dim *dm = &s->dims[d];
            double x;
            if (dm->log_scale) {
                double la = log10(dm->lo), lb = log10(dm->hi);
                x = pow(10.0, la + u[d] * (lb - la));
            } else {
                x = dm->lo + u[d] * (dm->hi - dm->lo);
            }
            want[k * D + d] = x;
            if (!(s->points[k * D + d] >= dm->lo && s->points[k * D + d] <= dm->hi)) {
                printf("     Sobol point %zu dim %zu: %.17g outside [%g, %g]\n", k, d,
                       s->points[k * D + d], dm->lo, dm->hi);
                inside = 0;
            }
        }
    }
    gsl_qrng_free(q);
    CHECK_TRUE(inside);
    CHECK_BITWISE(s->points, want, NP * D);
    /* The seed plays no role in a Sobol sequence. */
    {
        fcfit_stage *s2 = make_stage(FCFIT_SAMPLER_SOBOL, NP, 999, D, spec);
        CHECK_OK(fcfit_stage_enumerate(s2));
        CHECK_BITWISE(s->points, s2->points, NP * D);
        fcfit_stage_destroy(&s2);
    }
    fcfit_stage_destroy(&s);

    /* GSL's Sobol generator stops at 40 dimensions; more is a configuration error. */
    {
        dimspec many[41];
        for (size_t d = 0; d < 41; d++) {
            many[d] = (dimspec){0.0, 1.0, 0, 0, NULL};
        }
        s = make_stage(FCFIT_SAMPLER_SOBOL, 8, 1, 41, many);
        CHECK_FAILS(fcfit_stage_enumerate(s), FCFIT_ERR_CONFIG, "40 dimensions");
        fcfit_stage_destroy(&s);
        s = make_stage(FCFIT_SAMPLER_SOBOL, 8, 1, 40, many);
        CHECK_OK(fcfit_stage_enumerate(s));
        fcfit_stage_destroy(&s);
        s = make_stage(FCFIT_SAMPLER_SOBOL, 0, 1, 2, many);
        CHECK_FAILS(fcfit_stage_enumerate(s), FCFIT_ERR_CONFIG, "zero points");
        fcfit_stage_destroy(&s);
    }
}

/* The stratum (0..n-1) of x in [lo, hi], in log10 when log_scale. */
static long stratum(const fcfit_dim *d, double x, size_t n)
{
    double v = d->log_scale ? (log10(x) - log10(d->lo)) / (log10(d->hi) - log10(d->lo))
                            : (x - d->lo) / (d->hi - d->lo);
    return (long)floor(v * (double)n);
}

static void test_lhs(void)
{
    enum { D = 3, NP = 37 };
    dimspec spec[D] = {{0.0, 1.0, 0, 0, NULL}, {-2.0, 6.0, 0, 0, NULL}, {0.2, 5.0, 1, 0, NULL}};
    fcfit_stage *s = make_stage(FCFIT_SAMPLER_LHS, NP, 42, D, spec);
    int one_per_stratum = 1;

    CHECK_OK(fcfit_stage_enumerate(s));
    CHECK_INT(s->n_points, NP);
    for (size_t d = 0; d < D; d++) {
        int count[NP];
        memset(count, 0, sizeof count);
        for (size_t k = 0; k < NP; k++) {
            long st = stratum(&s->dims[d], s->points[k * D + d], NP);
            if (st < 0 || st >= NP) {
                printf("     LHS point %zu dim %zu: %.17g outside the range\n", k, d,
                       s->points[k * D + d]);
                one_per_stratum = 0;
                continue;
            }
            count[st]++;
        }
        for (size_t k = 0; k < NP; k++) {
            if (count[k] != 1) {
                printf("     LHS dim %zu: stratum %zu holds %d points\n", d, k, count[k]);
                one_per_stratum = 0;
            }
        }
    }
    CHECK_TRUE(one_per_stratum);
    /* The dimensions are permuted independently: dimension 0's order differs from 1's. */
    {
        int same_order = 1;
        for (size_t k = 0; k < NP; k++) {
            same_order &= stratum(&s->dims[0], s->points[k * D], NP) ==
                          stratum(&s->dims[1], s->points[k * D + 1], NP);
        }
        CHECK_TRUE(!same_order);
    }
    fcfit_stage_destroy(&s);
}

/* Enumerate the same sampler with two seeds (and one twice). */
static void test_reproducible(fcfit_sampler smp, const char *label)
{
    enum { D = 2, NP = 25 };
    dimspec spec[D] = {{0.5, 1.5, 0, 0, NULL}, {1e-3, 1.0, 1, 0, NULL}};
    fcfit_stage *a = make_stage(smp, NP, 7, D, spec);
    fcfit_stage *b = make_stage(smp, NP, 7, D, spec);
    fcfit_stage *c = make_stage(smp, NP, 8, D, spec);
    int differ = 0;

    printf("---- %s\n", label);
    CHECK_OK(fcfit_stage_enumerate(a));
    CHECK_OK(fcfit_stage_enumerate(b));
    CHECK_OK(fcfit_stage_enumerate(c));
    CHECK_BITWISE(a->points, b->points, NP * D);
    for (size_t k = 0; k < NP * D; k++) {
        differ |= a->points[k] != c->points[k];
    }
    CHECK_TRUE(differ);
    /* Every coordinate differs, not only a few: the whole stream depends on the seed. */
    {
        size_t same = 0;
        for (size_t k = 0; k < NP * D; k++) {
            same += a->points[k] == c->points[k];
        }
        CHECK_INT(same, 0);
    }
    fcfit_stage_destroy(&a);
    fcfit_stage_destroy(&b);
    fcfit_stage_destroy(&c);
}

/* Log-scaled ranges whose bounds do not survive pow(10, log10(x)) exactly (0.3 -> below,
 * 5 -> above, 0.2 -> above, 0.05 -> below): every point must still lie in [lo, hi]. */
static void test_log_inside(void)
{
    static const double los[] = {0.3, 0.2, 0.05, 1e-6};
    static const double his[] = {5.0, 0.3, 0.2, 0.05};
    const fcfit_sampler smp[] = {FCFIT_SAMPLER_SOBOL, FCFIT_SAMPLER_LHS, FCFIT_SAMPLER_RANDOM};
    int inside = 1, spans = 1;
    for (size_t k = 0; k < 3; k++) {
        dimspec spec[4];
        fcfit_stage *s;
        for (size_t d = 0; d < 4; d++) {
            spec[d] = (dimspec){los[d], his[d], 1, 0, NULL};
        }
        s = make_stage(smp[k], 2000, 11, 4, spec);
        CHECK_OK(fcfit_stage_enumerate(s));
        for (size_t d = 0; d < 4; d++) {
            double mn = INFINITY, mx = -INFINITY, gm = 0.0;
            for (size_t p = 0; p < s->n_points; p++) {
                double x = s->points[p * 4 + d];
                if (!(x >= los[d] && x <= his[d])) {
                    printf("     %s point %zu dim %zu: %.17g outside [%.17g, %.17g]\n",
                           fcfit_sampler_names[smp[k]], p, d, x, los[d], his[d]);
                    inside = 0;
                }
                mn = fmin(mn, x);
                mx = fmax(mx, x);
                gm += log10(x);
            }
            gm /= (double)s->n_points;
            /* Log-uniform: the points fill the range and the mean of log10 is its midpoint
             * (2000 points: standard error of the mean about 0.3/sqrt(2000*3) of the span;
             * 0.05 of the span is > 5 sigma for the random samplers, exact-ish for the others). */
            {
                double la = log10(los[d]), lb = log10(his[d]);
                if (log10(mn) > la + 0.01 * (lb - la) || log10(mx) < lb - 0.01 * (lb - la) ||
                    fabs(gm - 0.5 * (la + lb)) > 0.05 * (lb - la)) {
                    printf("     %s dim %zu: min %g, max %g, mean log10 %g for [%g, %g]\n",
                           fcfit_sampler_names[smp[k]], d, mn, mx, gm, los[d], his[d]);
                    spans = 0;
                }
            }
        }
        fcfit_stage_destroy(&s);
    }
    CHECK_TRUE(inside);
    CHECK_TRUE(spans);
}

static void test_point_params(void)
{
    enum { N = 5, NPAR = 5, D = 3 };
    fcfit_stage *s = calloc(1, sizeof *s);
    double base[NPAR * N], out[NPAR * N], want[NPAR * N];
    const double m1[N] = {-1.0, 0.5, 0.0, 2.0, -0.25};
    const double m2[N] = {0.1, 0.2, 0.3, 0.4, 0.5};
    const double point[D] = {0.77, 1.25, -0.4};

    s->name = fcfit_strdup("sweep");
    s->n_regions = N;
    s->n_params = NPAR;
    s->n_dims = D;
    s->dims = calloc(D, sizeof *s->dims);
    /* dim 0: parameter 1, global; dim 1: offset of the map on parameter 3 (slope fixed 0.3);
     * dim 2: slope of the map on parameter 4 (offset fixed 2.0). Parameters 0 and 2 untouched. */
    s->dims[0] = (fcfit_dim){fcfit_strdup("model.t.g"), 1, FCFIT_DIM_GLOBAL, 0, 0, 2, 0, 0, NULL};
    s->dims[1] = (fcfit_dim){fcfit_strdup("model.t.m.offset"), 3, FCFIT_DIM_MAP_OFFSET, 0, 0, 2,
                             0, 0, NULL};
    s->dims[2] = (fcfit_dim){fcfit_strdup("model.t.n.slope"), 4, FCFIT_DIM_MAP_SLOPE, 1, -1, 1,
                             0, 0, NULL};
    s->n_maps = 2;
    s->maps = calloc(2, sizeof *s->maps);
    s->maps[0].param = 3;
    s->maps[0].m = malloc(sizeof m1);
    memcpy(s->maps[0].m, m1, sizeof m1);
    s->maps[0].offset = 99.0; /* ignored: the offset is dimension 1 */
    s->maps[0].slope = 0.3;
    s->maps[0].offset_dim = 1;
    s->maps[0].slope_dim = -1;
    s->maps[1].param = 4;
    s->maps[1].m = malloc(sizeof m2);
    memcpy(s->maps[1].m, m2, sizeof m2);
    s->maps[1].offset = 2.0;
    s->maps[1].slope = -99.0; /* ignored: the slope is dimension 2 */
    s->maps[1].offset_dim = -1;
    s->maps[1].slope_dim = 2;

    for (size_t j = 0; j < NPAR; j++) {
        for (size_t i = 0; i < N; i++) {
            base[j * N + i] = 10.0 * (double)j + 0.1 * (double)i + 1.0 / 3.0;
        }
    }
    memcpy(want, base, sizeof want);
    for (size_t i = 0; i < N; i++) {
        want[1 * N + i] = point[0];
        want[3 * N + i] = point[1] + 0.3 * m1[i];
        want[4 * N + i] = 2.0 + point[2] * m2[i];
    }
    memset(out, 0xff, sizeof out);
    fcfit_stage_point_params(s, base, point, out);
    CHECK_BITWISE(out, want, NPAR * N);
    /* Untouched parameters keep the base values, region by region. */
    CHECK_BITWISE(out + 0 * N, base + 0 * N, N);
    CHECK_BITWISE(out + 2 * N, base + 2 * N, N);
    /* base is not modified. */
    CHECK_TRUE(base[1 * N] == 10.0 + 1.0 / 3.0);
    /* A second point overwrites everything it owns (no state kept between calls). */
    {
        const double p2[D] = {0.0, 0.0, 0.0};
        fcfit_stage_point_params(s, base, p2, out);
        CHECK_TRUE(out[1 * N + 2] == 0.0 && out[3 * N + 2] == 0.0 && out[4 * N + 4] == 2.0);
        CHECK_BITWISE(out + 0 * N, base + 0 * N, N);
    }
    fcfit_stage_destroy(&s);
}

int main(void)
{
    test_grid();
    test_sobol();
    test_lhs();
    test_reproducible(FCFIT_SAMPLER_RANDOM, "random");
    test_reproducible(FCFIT_SAMPLER_LHS, "lhs");
    test_log_inside();
    test_point_params();
    return fcfit_test_finish();
}
