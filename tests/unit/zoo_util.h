/*
 * zoo_util.h: helpers shared by the oracle tests of the Hopf, Jansen–Rit and
 * Wilson–Cowan models: a dense connectome without delays, a simulation
 * configuration, parameters by name, and the measurement of a periodic or
 * settled trace (range and frequency).
 */
#ifndef FCFIT_ZOO_UTIL_H
#define FCFIT_ZOO_UTIL_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fcfit/fcfit_connectome.h"
#include "fcfit/fcfit_model.h"
#include "fcfit/fcfit_sim.h"
#include "sim_test_util.h"

/* Connectome from a dense n x n matrix (row = target), no normalisation, no delays. */
static inline fcfit_connectome *zoo_conn(size_t n, const double *w, double dt_ms)
{
    return tu_conn(n, w, NULL, 0.0, dt_ms);
}

/*
 * A run of n_steps steps of dt_ms with the BOLD drive sampled directly (no
 * haemodynamics to integrate), four volumes, no transient.
 */
static inline fcfit_sim_config zoo_cfg(double dt_ms, size_t n_steps, fcfit_integrator integ,
                                       int noise)
{
    fcfit_sim_config c;
    const size_t per_vol = (n_steps + 3) / 4;
    memset(&c, 0, sizeof c);
    c.dt_ms = dt_ms;
    c.duration_ms = dt_ms * (double)(4 * per_vol);
    c.transient_ms = 0.0;
    c.chunk_steps = 0;
    c.integrator = integ;
    c.noise = noise;
    c.bold_dt_ms = dt_ms * (double)per_vol;
    c.tr_ms = c.bold_dt_ms;
    c.drive_mode = FCFIT_DRIVE_FIRST;
    c.bold_kind = FCFIT_BOLD_KIND_DIRECT;
    c.bold_form = FCFIT_BOLD_LOG;
    fcfit_bold_preset(0, &c.bold);
    c.divergence_threshold = 1e12;
    return c;
}

/* Set parameter `name` of every region and lane to v. */
static inline void zoo_set_all(fcfit_sim *sim, const fcfit_model_type *m, const char *name,
                               double v)
{
    size_t j = fcfit_model_param_index(m, name);
    size_t n = fcfit_sim_n_nodes(sim) * fcfit_sim_n_lanes(sim);
    if (j == (size_t)-1) {
        printf("FAIL: model %s has no parameter %s\n", m->name, name);
        return;
    }
    for (size_t k = 0; k < n; k++) {
        fcfit_sim_param(sim, j)[k] = v;
    }
}

/* Set parameter `name` of region i (every lane) to v. */
static inline void zoo_set_region(fcfit_sim *sim, const fcfit_model_type *m, const char *name,
                                  size_t i, double v)
{
    size_t j = fcfit_model_param_index(m, name);
    size_t L = fcfit_sim_n_lanes(sim);
    if (j == (size_t)-1) {
        printf("FAIL: model %s has no parameter %s\n", m->name, name);
        return;
    }
    for (size_t l = 0; l < L; l++) {
        fcfit_sim_param(sim, j)[i * L + l] = v;
    }
}

/* Range and frequency of a sampled trace. */
typedef struct zoo_cycle {
    double lo, hi;    /* extremes, refined by a parabola through the extreme sample and its neighbours */
    double freq_hz;   /* from upward crossings of the mid level, linearly interpolated; 0 if < 2 */
    size_t crossings;
} zoo_cycle;

static inline double zoo_parabola_peak(double l, double c, double r)
{
    double den = l - 2.0 * c + r;
    if (den == 0.0) {
        return c;
    }
    return c - (l - r) * (l - r) / (8.0 * den);
}

static inline zoo_cycle zoo_measure(size_t M, const double *s, double dt_s)
{
    zoo_cycle z = {s[0], s[0], 0.0, 0};
    size_t kmin = 0, kmax = 0;
    double t_first = 0.0, t_last = 0.0, mid;
    for (size_t k = 1; k < M; k++) {
        if (s[k] < s[kmin]) {
            kmin = k;
        }
        if (s[k] > s[kmax]) {
            kmax = k;
        }
    }
    z.lo = s[kmin];
    z.hi = s[kmax];
    if (kmin > 0 && kmin + 1 < M) {
        z.lo = zoo_parabola_peak(s[kmin - 1], s[kmin], s[kmin + 1]);
    }
    if (kmax > 0 && kmax + 1 < M) {
        z.hi = zoo_parabola_peak(s[kmax - 1], s[kmax], s[kmax + 1]);
    }
    mid = 0.5 * (z.lo + z.hi);
    for (size_t k = 1; k < M; k++) {
        if (s[k - 1] < mid && s[k] >= mid) {
            double t = ((double)(k - 1) + (mid - s[k - 1]) / (s[k] - s[k - 1])) * dt_s;
            if (z.crossings == 0) {
                t_first = t;
            }
            t_last = t;
            z.crossings++;
        }
    }
    if (z.crossings >= 2) {
        z.freq_hz = (double)(z.crossings - 1) / (t_last - t_first);
    }
    return z;
}

#endif /* FCFIT_ZOO_UTIL_H */
