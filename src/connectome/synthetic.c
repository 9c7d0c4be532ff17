/*
 * synthetic.c: a seeded, plausible-looking synthetic connectome, so that the
 * quickstart and many tests need no data file.
 *
 * The construction mimics three robust features of tractography connectomes:
 * connection probability and weight fall off with fibre length, homotopic
 * (left-right mirror) regions are connected, and weights are heavy-tailed
 * (log-normal). It is not a model of any real brain.
 *
 * Regions 0..n/2-1 form the left hemisphere and the rest the right. Points
 * are drawn uniformly in an ellipsoid (semi-axes 70, 50, 60 mm) per
 * hemisphere, shifted to x < 0 and x > 0. Tract length = 1.2 x Euclidean
 * distance (fibres are not straight). For i < j: connected with probability
 * exp(-L/40 mm) (x 0.35 across hemispheres), always for homotopic pairs; the
 * weight is exp(N(0, 1)) * exp(-L / 60 mm). Every region is then connected to
 * its nearest neighbour if it had no connection at all.
 */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "fcfit/fcfit_connectome.h"
#include "fcfit/fcfit_rng.h"

fcfit_status fcfit_connectome_synthetic(size_t n, uint64_t seed, fcfit_matrix *weights,
                                        fcfit_matrix *lengths)
{
    fcfit_status st = FCFIT_OK;
    gsl_rng *r = NULL;
    double *pos = NULL;
    size_t half = n / 2;

    FCFIT_REQUIRE(n >= 2 && n <= 20000, FCFIT_ERR_ARG,
                  "synthetic connectome with %zu regions; expected 2 to 20000", n);
    r = fcfit_rng_alloc(fcfit_rng_derive(seed, 0x636f6e6eULL, n)); /* "conn" domain */
    FCFIT_REQUIRE_GOTO(r != NULL, FCFIT_ERR_NOMEM, "cannot allocate a random number generator");
    FCFIT_ALLOC_GOTO(pos, 3 * n, "synthetic region positions");
    FCFIT_TRY(fcfit_matrix_alloc(weights, n, n));
    FCFIT_TRY(fcfit_matrix_alloc(lengths, n, n));

    for (size_t i = 0; i < n; i++) {
        double x, y, z;
        do {
            x = 2.0 * gsl_rng_uniform(r) - 1.0;
            y = 2.0 * gsl_rng_uniform(r) - 1.0;
            z = 2.0 * gsl_rng_uniform(r) - 1.0;
        } while (x * x + y * y + z * z > 1.0);
        /* Left hemisphere at negative x, right at positive x, 10 mm apart. */
        double side = i < half ? -1.0 : 1.0;
        pos[3 * i + 0] = side * (5.0 + 35.0 * (x + 1.0));
        pos[3 * i + 1] = 50.0 * y;
        pos[3 * i + 2] = 60.0 * z;
    }
    /* Homotopic partners share y and z, mirrored in x. */
    for (size_t i = 0; i < half && half + i < n; i++) {
        pos[3 * (half + i) + 0] = -pos[3 * i + 0];
        pos[3 * (half + i) + 1] = pos[3 * i + 1];
        pos[3 * (half + i) + 2] = pos[3 * i + 2];
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            double dx = pos[3 * i] - pos[3 * j];
            double dy = pos[3 * i + 1] - pos[3 * j + 1];
            double dz = pos[3 * i + 2] - pos[3 * j + 2];
            lengths->data[i * n + j] = i == j ? 0.0 : 1.2 * sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++) {
            double len = lengths->data[i * n + j];
            int same = (i < half) == (j < half);
            int homotopic = j == i + half && i < half;
            double p = exp(-len / 40.0) * (same ? 1.0 : 0.35);
            double u = gsl_rng_uniform(r);
            double g = gsl_ran_gaussian_ziggurat(r, 1.0);
            if (homotopic || u < p) {
                double w = exp(g) * exp(-len / 60.0);
                weights->data[i * n + j] = w;
                weights->data[j * n + i] = w;
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        double s = 0.0;
        size_t best = i;
        for (size_t j = 0; j < n; j++) {
            s += weights->data[i * n + j];
            if (j != i && (best == i || lengths->data[i * n + j] < lengths->data[i * n + best])) {
                best = j;
            }
        }
        if (s == 0.0) {
            double w = exp(-lengths->data[i * n + best] / 60.0);
            weights->data[i * n + best] = w;
            weights->data[best * n + i] = w;
        }
    }

cleanup:
    if (st != FCFIT_OK) {
        fcfit_matrix_free(weights);
        fcfit_matrix_free(lengths);
    }
    free(pos);
    gsl_rng_free(r);
    return st;
}
