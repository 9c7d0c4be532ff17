/*
 * stage.c: points → parameters, and the sweep's point enumeration.
 *
 * Grid: the full product of every dimension's values; the last dimension
 * listed varies fastest (C order). Sobol: GSL's Sobol sequence (up to 40
 * dimensions) scaled to each range. Latin hypercube: per dimension a random
 * permutation of n strata with a uniform offset inside each stratum. Random:
 * independent uniform draws. Log-scaled ranges are sampled uniformly in
 * log10. The random samplers draw from one stream seeded with the sweep
 * seed, in point-major order, so the points depend only on the job.
 */
#include "fcfit/fcfit_stage.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_qrng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "fcfit/fcfit_rng.h"

const char *const fcfit_sampler_names[] = {"grid", "sobol", "lhs", "random", NULL};
const char *const fcfit_stage_kind_names[] = {"sweep", "optimize", "refine", "validate", NULL};
const char *const fcfit_start_names[] = {"previous", "sobol", NULL};
const char *const fcfit_refine_method_names[] = {"cmaes", "blocks", "map", NULL};
const char *const fcfit_nlopt_local_names[] = {"LN_SBPLX",   "LN_NELDERMEAD",   "LN_BOBYQA",
                                               "LN_COBYLA",  "LN_NEWUOA_BOUND", NULL};
const char *const fcfit_nlopt_all_names[] = {
    "LN_SBPLX",  "LN_NELDERMEAD", "LN_BOBYQA",   "LN_COBYLA",  "LN_NEWUOA_BOUND",
    "GN_CRS2_LM", "GN_ISRES",     "GN_ESCH",     "GN_DIRECT_L", "G_MLSL_LDS",      NULL};

int fcfit_name_index(const char *const *names, const char *name)
{
    for (int k = 0; names[k] != NULL; k++) {
        if (strcmp(names[k], name) == 0) {
            return k;
        }
    }
    return -1;
}

void fcfit_stage_destroy(fcfit_stage **ps)
{
    fcfit_stage *s;
    if (ps == NULL || *ps == NULL) {
        return;
    }
    s = *ps;
    for (size_t d = 0; d < s->n_dims; d++) {
        free(s->dims[d].name);
        free(s->dims[d].values);
    }
    for (size_t k = 0; k < s->n_maps; k++) {
        free(s->maps[k].m);
    }
    free(s->dims);
    free(s->maps);
    free(s->regional);
    free(s->points);
    free(s->name);
    free(s);
    *ps = NULL;
}

void fcfit_stage_point_params(const fcfit_stage *s, const double *base, const double *point,
                              double *out)
{
    const size_t N = s->n_regions;
    memcpy(out, base, s->n_params * N * sizeof(double));
    for (size_t d = 0; d < s->n_dims; d++) {
        if (s->dims[d].kind == FCFIT_DIM_GLOBAL) {
            double *p = out + s->dims[d].param * N;
            for (size_t i = 0; i < N; i++) {
                p[i] = point[d];
            }
        } else if (s->dims[d].kind == FCFIT_DIM_REGION) {
            out[s->dims[d].param * N + s->dims[d].map] = point[d];
        }
    }
    for (size_t k = 0; k < s->n_maps; k++) {
        const fcfit_map_param *mp = &s->maps[k];
        double off = mp->offset_dim >= 0 ? point[mp->offset_dim] : mp->offset;
        double slope = mp->slope_dim >= 0 ? point[mp->slope_dim] : mp->slope;
        double *p = out + mp->param * N;
        for (size_t i = 0; i < N; i++) {
            p[i] = off + slope * mp->m[i];
        }
    }
}

double fcfit_dim_from_unit(const fcfit_dim *d, double u)
{
    if (d->log_scale) {
        double a = log10(d->lo), b = log10(d->hi);
        return pow(10.0, a + u * (b - a));
    }
    return d->lo + u * (d->hi - d->lo);
}

double fcfit_dim_to_unit(const fcfit_dim *d, double v)
{
    if (d->hi <= d->lo) {
        return 0.5;
    }
    if (d->log_scale) {
        double a = log10(d->lo), b = log10(d->hi);
        return (log10(v) - a) / (b - a);
    }
    return (v - d->lo) / (d->hi - d->lo);
}

static double scale_unit(const fcfit_dim *d, double u) { return fcfit_dim_from_unit(d, u); }

fcfit_status fcfit_stage_enumerate(fcfit_stage *s)
{
    const size_t D = s->n_dims;
    fcfit_status st = FCFIT_OK;
    gsl_rng *r = NULL;
    gsl_qrng *q = NULL;
    size_t *perm = NULL;
    double *u = NULL;

    FCFIT_REQUIRE(D > 0, FCFIT_ERR_CONFIG, "sweep: no parameter to sweep");
    if (s->sampler == FCFIT_SAMPLER_GRID) {
        size_t total = 1;
        for (size_t d = 0; d < D; d++) {
            FCFIT_REQUIRE(s->dims[d].n_values > 0, FCFIT_ERR_CONFIG,
                          "sweep: %s has no values for the grid", s->dims[d].name);
            FCFIT_REQUIRE(total <= 100000000 / s->dims[d].n_values, FCFIT_ERR_CONFIG,
                          "sweep: the grid has more than 1e8 points");
            total *= s->dims[d].n_values;
        }
        s->n_points = total;
    }
    FCFIT_REQUIRE(s->n_points > 0, FCFIT_ERR_CONFIG, "sweep: zero points");
    free(s->points);
    s->points = calloc(s->n_points * D, sizeof(double));
    FCFIT_REQUIRE(s->points != NULL, FCFIT_ERR_NOMEM, "cannot allocate %zu sweep points",
                  s->n_points);
    switch (s->sampler) {
    case FCFIT_SAMPLER_GRID:
        for (size_t k = 0; k < s->n_points; k++) {
            size_t rem = k;
            for (size_t dd = D; dd-- > 0;) {
                const fcfit_dim *d = &s->dims[dd];
                s->points[k * D + dd] = d->values[rem % d->n_values];
                rem /= d->n_values;
            }
        }
        break;
    case FCFIT_SAMPLER_SOBOL:
        FCFIT_REQUIRE(D <= 40, FCFIT_ERR_CONFIG,
                      "sweep: the Sobol sampler supports up to 40 dimensions, not %zu", D);
        q = gsl_qrng_alloc(gsl_qrng_sobol, (unsigned)D);
        FCFIT_ALLOC_GOTO(u, D, "Sobol point");
        FCFIT_REQUIRE_GOTO(q != NULL, FCFIT_ERR_NOMEM, "cannot allocate the Sobol generator");
        for (size_t k = 0; k < s->n_points; k++) {
            gsl_qrng_get(q, u);
            for (size_t d = 0; d < D; d++) {
                s->points[k * D + d] = scale_unit(&s->dims[d], u[d]);
            }
        }
        break;
    case FCFIT_SAMPLER_LHS:
    case FCFIT_SAMPLER_RANDOM:
        r = fcfit_rng_alloc(fcfit_rng_derive(s->sampler_seed, 0x73776565ULL, s->sampler));
        FCFIT_REQUIRE_GOTO(r != NULL, FCFIT_ERR_NOMEM, "cannot allocate a random generator");
        if (s->sampler == FCFIT_SAMPLER_RANDOM) {
            for (size_t k = 0; k < s->n_points; k++) {
                for (size_t d = 0; d < D; d++) {
                    s->points[k * D + d] = scale_unit(&s->dims[d], gsl_rng_uniform(r));
                }
            }
        } else {
            FCFIT_ALLOC_GOTO(perm, s->n_points, "Latin hypercube strata");
            for (size_t d = 0; d < D; d++) {
                for (size_t k = 0; k < s->n_points; k++) {
                    perm[k] = k;
                }
                gsl_ran_shuffle(r, perm, s->n_points, sizeof(size_t));
                for (size_t k = 0; k < s->n_points; k++) {
                    double v = ((double)perm[k] + gsl_rng_uniform(r)) / (double)s->n_points;
                    s->points[k * D + d] = scale_unit(&s->dims[d], v);
                }
            }
        }
        break;
    }

cleanup:
    if (q != NULL) {
        gsl_qrng_free(q);
    }
    gsl_rng_free(r);
    free(perm);
    free(u);
    return st;
}
