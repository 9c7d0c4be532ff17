/**
 * @file fcfit_stage.h
 * Search stages: the free dimensions of a stage, how a point (one value per
 * dimension) becomes per-region model parameters, and the sweep stage's
 * point enumeration (grid, Sobol, Latin hypercube, uniform random).
 *
 * A dimension sets one model parameter, either globally (every region gets
 * the value) or through a regional map: p_i = offset + slope * m_i, where the
 * offset and/or the slope are dimensions (the other one fixed). Points are
 * plain vectors of dimension values, so optimizer stages can produce them
 * too and feed the same task queue (DESIGN.md §5).
 *
 * Task identity: a stage's task ids are stage_base + index; the sweep's
 * base is 0, so sweep point k is task k. Replicate r of task t uses the noise
 * seed derive(sim.seed, t, r) (docs/determinism.md).
 */
#ifndef FCFIT_STAGE_H
#define FCFIT_STAGE_H

#include <stddef.h>
#include <stdint.h>

#include "fcfit/fcfit_status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fcfit_dim_kind {
    FCFIT_DIM_GLOBAL = 0,     /**< p_i = value for every region */
    FCFIT_DIM_MAP_OFFSET = 1, /**< the offset of a map-based parameter */
    FCFIT_DIM_MAP_SLOPE = 2   /**< the slope of a map-based parameter */
} fcfit_dim_kind;

/** One free dimension of a stage. */
typedef struct fcfit_dim {
    char *name;        /**< "model.rww.G", or "model.rww.w.offset" / ".slope" */
    size_t param;      /**< model parameter index */
    fcfit_dim_kind kind;
    size_t map;        /**< index into the stage's maps (MAP kinds) */
    double lo, hi;     /**< range (random samplers; grid: min and max of the values) */
    int log_scale;     /**< random samplers draw log-uniformly */
    size_t n_values;   /**< grid values (0 for random samplers) */
    double *values;
} fcfit_dim;

/** A map-based regional parameter p_i = offset + slope * m_i. */
typedef struct fcfit_map_param {
    size_t param;      /**< model parameter index */
    double *m;         /**< the map, one value per region (after normalisation) */
    double offset;     /**< fixed offset (when no dimension sets it) */
    double slope;      /**< fixed slope (when no dimension sets it) */
    long offset_dim;   /**< dimension setting the offset, or -1 */
    long slope_dim;    /**< dimension setting the slope, or -1 */
} fcfit_map_param;

typedef enum fcfit_sampler {
    FCFIT_SAMPLER_GRID = 0,
    FCFIT_SAMPLER_SOBOL = 1,
    FCFIT_SAMPLER_LHS = 2,
    FCFIT_SAMPLER_RANDOM = 3
} fcfit_sampler;

extern const char *const fcfit_sampler_names[];

/** A stage's dimensions, maps and (for the sweep) its points. Plain data. */
typedef struct fcfit_stage {
    char *name;          /**< "sweep" */
    uint64_t task_base;  /**< first task id */
    size_t n_regions;
    size_t n_params;     /**< model parameters */
    size_t n_dims;
    fcfit_dim *dims;
    size_t n_maps;
    fcfit_map_param *maps;
    fcfit_sampler sampler;
    uint64_t sampler_seed;
    size_t n_points;
    double *points;      /**< [n_points][n_dims] */
    int objective;       /**< score index ranking the points */
} fcfit_stage;

/** Free a stage; safe on NULL; sets *s to NULL. */
void fcfit_stage_destroy(fcfit_stage **s);

/**
 * Per-region parameters of a point: start from base ([n_params][n_regions],
 * the job's values) and apply every dimension and map.
 * @param out  [n_params][n_regions]; may not alias base
 */
void fcfit_stage_point_params(const fcfit_stage *s, const double *base, const double *point,
                              double *out);

/** Enumerate the points of a sweep stage (fills s->points; called once by the job loader). */
fcfit_status fcfit_stage_enumerate(fcfit_stage *s);

#ifdef __cplusplus
}
#endif
#endif /* FCFIT_STAGE_H */
