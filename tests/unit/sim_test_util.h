/*
 * sim_test_util.h: the small connectomes and simulation settings that the
 * simulation and model tests build again and again.
 */
#ifndef FCFIT_SIM_TEST_UTIL_H
#define FCFIT_SIM_TEST_UTIL_H

#include <stdio.h>
#include <string.h>

#include "fcfit/fcfit_connectome.h"
#include "fcfit/fcfit_sim.h"

/*
 * Connectome from a dense n x n matrix (row = target; NULL: all zeros), no
 * normalisation; with lengths (mm) and a velocity > 0, delays for step dt.
 */
static inline fcfit_connectome *tu_conn(size_t n, const double *w, const double *len, double v,
                                        double dt_ms)
{
    fcfit_matrix W = {0, 0, NULL}, Lm = {0, 0, NULL};
    fcfit_connectome *c = NULL;
    fcfit_connectome_opts o = {FCFIT_NORM_NONE, 1.0, 0, v, dt_ms, 0};
    fcfit_matrix_alloc(&W, n, n);
    if (w != NULL) {
        memcpy(W.data, w, n * n * sizeof(double));
    }
    if (len != NULL) {
        fcfit_matrix_alloc(&Lm, n, n);
        memcpy(Lm.data, len, n * n * sizeof(double));
    }
    if (fcfit_connectome_create(&c, &W, "W", len != NULL ? &Lm : NULL, "L", &o) != FCFIT_OK) {
        printf("connectome: %s\n", fcfit_error_message());
    }
    fcfit_matrix_free(&W);
    fcfit_matrix_free(&Lm);
    return c;
}

/*
 * Simulation settings: no transient, one chunk, Balloon-Windkessel (Friston
 * 2003, log space) with the given step and drive mode, four volumes over the
 * duration, divergence threshold 1e12.
 */
static inline fcfit_sim_config tu_cfg(double dt_ms, double duration_ms, fcfit_integrator integ,
                                      int noise, double bold_dt_ms, fcfit_drive_mode drive)
{
    fcfit_sim_config c;
    memset(&c, 0, sizeof c);
    c.dt_ms = dt_ms;
    c.duration_ms = duration_ms;
    c.transient_ms = 0.0;
    c.chunk_steps = 0;
    c.integrator = integ;
    c.noise = noise;
    c.bold_dt_ms = bold_dt_ms;
    c.tr_ms = duration_ms / 4.0;
    c.drive_mode = drive;
    c.bold_kind = FCFIT_BOLD_KIND_BALLOON;
    c.bold_form = FCFIT_BOLD_LOG;
    fcfit_bold_preset(0, &c.bold);
    c.divergence_threshold = 1e12;
    return c;
}

#endif
