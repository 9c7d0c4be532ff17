/*
 * cmaes.c: separable CMA-ES on the unit box (see fcfit_cmaes.h).
 *
 * Notation as in Hansen's tutorial: m mean, sigma step size, C = diag(c)
 * covariance, D = sqrt(c), p_s and p_c evolution paths, w_i positive
 * recombination weights, mu_eff the variance-effective selection mass.
 * With the covariance diagonal, C^(-1/2) y = y / D elementwise and each
 * generation costs O(lambda n).
 */
#include "fcfit/fcfit_cmaes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "fcfit/fcfit_rng.h"

struct fcfit_cmaes {
    size_t n, lambda, mu, gen;
    double *w;            /* [mu] */
    double mueff, cs, ds, cc, c1, cmu, chin;
    double sigma;
    double *m, *c, *ps, *pc;   /* [n] */
    double *X, *Y;        /* [lambda][n]: last sample (mirrored) and its steps (X - m) / sigma */
    double *f;            /* [lambda] */
    size_t *idx;          /* [lambda] ranking */
    double *yw;           /* [n] */
    gsl_rng *rng;
};

void fcfit_cmaes_destroy(fcfit_cmaes **pc)
{
    fcfit_cmaes *c;
    if (pc == NULL || *pc == NULL) {
        return;
    }
    c = *pc;
    free(c->w);
    free(c->m);
    free(c->c);
    free(c->ps);
    free(c->pc);
    free(c->X);
    free(c->Y);
    free(c->f);
    free(c->idx);
    free(c->yw);
    gsl_rng_free(c->rng);
    free(c);
    *pc = NULL;
}

fcfit_status fcfit_cmaes_create(fcfit_cmaes **out, size_t n, size_t lambda, const double *x0,
                                double sigma0, uint64_t seed)
{
    fcfit_status st = FCFIT_OK;
    fcfit_cmaes *c;
    double sw = 0.0, sw2 = 0.0, dn = (double)n, sep;

    *out = NULL;
    FCFIT_REQUIRE(n >= 1, FCFIT_ERR_ARG, "CMA-ES: dimension 0");
    if (lambda == 0) {
        lambda = 4 + (size_t)floor(3.0 * log(dn));
    }
    FCFIT_REQUIRE(lambda >= 2, FCFIT_ERR_ARG, "CMA-ES: population %zu, at least 2 needed", lambda);
    FCFIT_REQUIRE(sigma0 > 0.0 && isfinite(sigma0), FCFIT_ERR_ARG, "CMA-ES: step size %g", sigma0);
    c = calloc(1, sizeof *c);
    FCFIT_REQUIRE(c != NULL, FCFIT_ERR_NOMEM, "cannot allocate CMA-ES");
    c->n = n;
    c->lambda = lambda;
    c->mu = lambda / 2;
    c->sigma = sigma0;
    FCFIT_ALLOC_GOTO(c->w, c->mu, "CMA-ES weights");
    FCFIT_ALLOC_GOTO(c->m, n, "CMA-ES mean");
    FCFIT_ALLOC_GOTO(c->c, n, "CMA-ES covariance");
    FCFIT_ALLOC_GOTO(c->ps, n, "CMA-ES path");
    FCFIT_ALLOC_GOTO(c->pc, n, "CMA-ES path");
    FCFIT_ALLOC_GOTO(c->X, lambda * n, "CMA-ES sample");
    FCFIT_ALLOC_GOTO(c->Y, lambda * n, "CMA-ES steps");
    FCFIT_ALLOC_GOTO(c->f, lambda, "CMA-ES losses");
    FCFIT_ALLOC_GOTO(c->idx, lambda, "CMA-ES ranking");
    FCFIT_ALLOC_GOTO(c->yw, n, "CMA-ES step");
    c->rng = fcfit_rng_alloc(seed);
    FCFIT_REQUIRE_GOTO(c->rng != NULL, FCFIT_ERR_NOMEM, "cannot allocate the CMA-ES stream");
    /* Weights w'_i = ln((lambda + 1) / 2) - ln i, normalised to sum 1. */
    for (size_t i = 0; i < c->mu; i++) {
        c->w[i] = log(((double)lambda + 1.0) / 2.0) - log((double)i + 1.0);
        sw += c->w[i];
    }
    for (size_t i = 0; i < c->mu; i++) {
        c->w[i] /= sw;
        sw2 += c->w[i] * c->w[i];
    }
    c->mueff = 1.0 / sw2;
    c->cs = (c->mueff + 2.0) / (dn + c->mueff + 5.0);
    c->ds = 1.0 + 2.0 * fmax(0.0, sqrt((c->mueff - 1.0) / (dn + 1.0)) - 1.0) + c->cs;
    c->cc = (4.0 + c->mueff / dn) / (dn + 4.0 + 2.0 * c->mueff / dn);
    c->c1 = 2.0 / ((dn + 1.3) * (dn + 1.3) + c->mueff);
    c->cmu = fmin(1.0 - c->c1,
                  2.0 * (c->mueff - 2.0 + 1.0 / c->mueff) / ((dn + 2.0) * (dn + 2.0) + c->mueff));
    /* Separable variant: learning rates (n + 2) / 3 times larger, kept below 1 together. */
    sep = (dn + 2.0) / 3.0;
    c->c1 *= sep;
    c->cmu *= sep;
    if (c->c1 + c->cmu > 1.0) {
        double k = 1.0 / (c->c1 + c->cmu);
        c->c1 *= k;
        c->cmu *= k;
    }
    c->chin = sqrt(dn) * (1.0 - 1.0 / (4.0 * dn) + 1.0 / (21.0 * dn * dn));
    for (size_t i = 0; i < n; i++) {
        double v = x0[i];
        c->m[i] = v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
        c->c[i] = 1.0;
    }
    *out = c;
    return FCFIT_OK;

cleanup:
    fcfit_cmaes_destroy(&c);
    return st;
}

size_t fcfit_cmaes_lambda(const fcfit_cmaes *c) { return c->lambda; }
size_t fcfit_cmaes_generation(const fcfit_cmaes *c) { return c->gen; }
const double *fcfit_cmaes_mean(const fcfit_cmaes *c) { return c->m; }
double fcfit_cmaes_sigma(const fcfit_cmaes *c) { return c->sigma; }

double fcfit_cmaes_max_std(const fcfit_cmaes *c)
{
    double mx = 0.0;
    for (size_t i = 0; i < c->n; i++) {
        mx = fmax(mx, c->c[i]);
    }
    return c->sigma * sqrt(mx);
}

/* Mirror v into [0, 1] (period 2 reflection). */
static double mirror(double v)
{
    double t = fmod(fabs(v), 2.0);
    return t <= 1.0 ? t : 2.0 - t;
}

void fcfit_cmaes_ask(fcfit_cmaes *c, double *X)
{
    const size_t n = c->n;
    for (size_t k = 0; k < c->lambda; k++) {
        for (size_t i = 0; i < n; i++) {
            double z = gsl_ran_gaussian_ziggurat(c->rng, 1.0);
            double x = mirror(c->m[i] + c->sigma * sqrt(c->c[i]) * z);
            c->X[k * n + i] = x;
            c->Y[k * n + i] = (x - c->m[i]) / c->sigma;
        }
    }
    memcpy(X, c->X, c->lambda * n * sizeof(double));
}

/* Rank the samples by loss, ties by sample index (insertion sort: lambda is small, order total). */
static void rank_samples(const double *f, size_t *idx, size_t lambda)
{
    for (size_t k = 0; k < lambda; k++) {
        size_t j = k;
        idx[k] = k;
        while (j > 0 && f[idx[j - 1]] > f[k]) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = k;
    }
}

fcfit_status fcfit_cmaes_tell(fcfit_cmaes *c, const double *f)
{
    const size_t n = c->n;
    double ps2 = 0.0, hs, dh, csn, ccn;

    for (size_t k = 0; k < c->lambda; k++) {
        FCFIT_REQUIRE(!isnan(f[k]), FCFIT_ERR_ARG, "CMA-ES: loss %zu is NaN", k);
        c->f[k] = f[k];
    }
    rank_samples(c->f, c->idx, c->lambda);
    for (size_t i = 0; i < n; i++) {
        double s = 0.0;
        for (size_t j = 0; j < c->mu; j++) {
            s += c->w[j] * c->Y[c->idx[j] * n + i];
        }
        c->yw[i] = s;
        c->m[i] += c->sigma * s;
    }
    csn = sqrt(c->cs * (2.0 - c->cs) * c->mueff);
    for (size_t i = 0; i < n; i++) {
        c->ps[i] = (1.0 - c->cs) * c->ps[i] + csn * c->yw[i] / sqrt(c->c[i]);
        ps2 += c->ps[i] * c->ps[i];
    }
    hs = sqrt(ps2) / sqrt(1.0 - pow(1.0 - c->cs, 2.0 * (double)(c->gen + 1))) <
                 (1.4 + 2.0 / ((double)n + 1.0)) * c->chin
             ? 1.0
             : 0.0;
    ccn = sqrt(c->cc * (2.0 - c->cc) * c->mueff);
    dh = (1.0 - hs) * c->cc * (2.0 - c->cc);
    for (size_t i = 0; i < n; i++) {
        double rmu = 0.0;
        c->pc[i] = (1.0 - c->cc) * c->pc[i] + hs * ccn * c->yw[i];
        for (size_t j = 0; j < c->mu; j++) {
            double y = c->Y[c->idx[j] * n + i];
            rmu += c->w[j] * y * y;
        }
        c->c[i] = (1.0 + c->c1 * dh - c->c1 - c->cmu) * c->c[i] + c->c1 * c->pc[i] * c->pc[i] +
                  c->cmu * rmu;
    }
    c->sigma *= exp((c->cs / c->ds) * (sqrt(ps2) / c->chin - 1.0));
    /*
     * Only sigma^2 C matters; on functions the diagonal cannot fit (Rosenbrock) sigma grows
     * while C shrinks without bound. Rescaling so that max C = 1 (sigma up, C and p_c down by
     * the same factor) changes nothing but keeps both finite.
     */
    {
        double mx = 0.0, k;
        for (size_t i = 0; i < n; i++) {
            mx = fmax(mx, c->c[i]);
        }
        k = sqrt(mx);
        if (k > 0.0 && isfinite(k)) {
            c->sigma *= k;
            for (size_t i = 0; i < n; i++) {
                c->c[i] /= mx;
                c->pc[i] /= k;
            }
        }
    }
    /* Steps wider than half the box only sample its mirror images: cap them. */
    if (fcfit_cmaes_max_std(c) > 0.5) {
        c->sigma *= 0.5 / fcfit_cmaes_max_std(c);
    }
    c->gen++;
    return FCFIT_OK;
}
