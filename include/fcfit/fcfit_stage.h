/**
 * @file fcfit_stage.h
 * Search stages as plain data: which stages a job runs, their free
 * dimensions, how a point (one value per dimension) becomes per-region model
 * parameters, and each stage's settings. The stages always run in the order
 *
 *   sweep → optimize → refine → validate
 *
 * (any subset). Each stage is one group of rows in the results file with a
 * capacity fixed before anything runs (its evaluation budget).
 *
 * Dimensions. A dimension sets one model parameter either globally (every
 * region gets the value), through a regional map p_i = offset + slope * m_i
 * (the offset and/or slope are dimensions), or for one region only
 * (the refine stage's heterogeneous parameters). A point is applied on top of
 * the stage's base parameters: the job's values for sweep and optimize, the
 * best point found so far for refine.
 *
 * Task identity (docs/determinism.md): row r of the stage of kind k is task
 * (k << 40) + r, so the sweep's point p is task p. Replicate i of a task uses
 * the noise seed derive(sim.seed, seed task, i), where the seed task is the
 * task itself ("fresh" seeds), or, with common random numbers, the task of the
 * first row of the optimizer instance (every evaluation of an instance sees
 * the same noise).
 */
#ifndef FCFIT_STAGE_H
#define FCFIT_STAGE_H

#include <stddef.h>
#include <stdint.h>

#include "fcfit/fcfit_status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fcfit_stage_kind {
    FCFIT_STAGE_SWEEP = 0,
    FCFIT_STAGE_OPTIMIZE = 1,
    FCFIT_STAGE_REFINE = 2,
    FCFIT_STAGE_VALIDATE = 3,
    FCFIT_STAGE_KIND_COUNT = 4
} fcfit_stage_kind;

/** "sweep", "optimize", "refine", "validate", NULL. */
extern const char *const fcfit_stage_kind_names[];

/** Task id of row `row` of a stage of kind `kind`. */
#define FCFIT_STAGE_TASK(kind, row) (((uint64_t)(kind) << 40) + (uint64_t)(row))

typedef enum fcfit_dim_kind {
    FCFIT_DIM_GLOBAL = 0,     /**< p_i = value for every region */
    FCFIT_DIM_MAP_OFFSET = 1, /**< the offset of a map-based parameter */
    FCFIT_DIM_MAP_SLOPE = 2,  /**< the slope of a map-based parameter */
    FCFIT_DIM_REGION = 3,     /**< p_region = value (other regions untouched) */
    FCFIT_DIM_SUBJECT = 4     /**< per-subject connectomes: the subject (0, 1, ...) whose SC
                                   and target the row uses; sets no parameter */
} fcfit_dim_kind;

/** One free dimension of a stage. */
typedef struct fcfit_dim {
    char *name;        /**< "model.rww.G", "model.rww.w.offset", "model.rww.w[12]" */
    size_t param;      /**< model parameter index */
    fcfit_dim_kind kind;
    size_t map;        /**< MAP kinds: index into the stage's maps; REGION: the region */
    double lo, hi;     /**< range (grid: min and max of the values) */
    int log_scale;     /**< sampled / optimised in log10 */
    size_t n_values;   /**< grid values (0 for ranges) */
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

/** Where an optimizer's starting points come from. */
typedef enum fcfit_start_kind {
    FCFIT_START_PREVIOUS = 0, /**< the best K points of the earlier stages (Sobol fills the rest) */
    FCFIT_START_SOBOL = 1     /**< a Sobol design over the bounds */
} fcfit_start_kind;
extern const char *const fcfit_start_names[];

/** Refine methods. */
typedef enum fcfit_refine_method {
    FCFIT_REFINE_CMAES = 0,  /**< separable CMA-ES, one generation = lambda parallel evaluations */
    FCFIT_REFINE_BLOCKS = 1, /**< block-coordinate: regions in blocks, one NLopt instance per block */
    FCFIT_REFINE_MAP = 2     /**< NLopt over the offset/slope of regional maps */
} fcfit_refine_method;
extern const char *const fcfit_refine_method_names[];

/**
 * NLopt algorithms fcfit offers (names as NLopt spells them). PRAXIS is left
 * out: NLopt 2.7.1's PRAXIS does not respect bounds.
 */
extern const char *const fcfit_nlopt_local_names[];
extern const char *const fcfit_nlopt_all_names[];

/** A stage: dimensions, maps and the settings of its kind. Plain data. */
typedef struct fcfit_stage {
    char *name;              /**< the kind's name */
    fcfit_stage_kind kind;
    uint64_t task_base;      /**< FCFIT_STAGE_TASK(kind, 0) */
    size_t n_regions;
    size_t n_params;         /**< model parameters */
    size_t n_dims;
    fcfit_dim *dims;
    size_t n_maps;
    fcfit_map_param *maps;
    size_t replicates;       /**< noise replicates per evaluation (validate: fresh seeds) */
    size_t capacity;         /**< rows (evaluation budget) */
    /* sweep */
    fcfit_sampler sampler;
    uint64_t sampler_seed;
    size_t n_points;
    double *points;          /**< [n_points][n_dims] */
    /* optimize, and refine by blocks or maps: NLopt */
    char algorithm[32];      /**< e.g. "LN_SBPLX" */
    char local_algorithm[32];/**< subsidiary of G_MLSL_LDS */
    size_t maxeval;          /**< evaluations per instance (blocks: per block and round) */
    double xtol_rel, ftol_rel;
    int has_stopval;
    double stopval;          /**< loss at which an instance stops */
    double initial_step;     /**< first step as a fraction of each dimension's range */
    size_t n_starts;         /**< concurrent instances (multi-start) */
    fcfit_start_kind starts;
    int common_seeds;        /**< 1: common random numbers per instance; 0: fresh per evaluation */
    /* refine */
    fcfit_refine_method method;
    size_t n_regional;       /**< heterogeneous parameters (CMA-ES and blocks) */
    size_t *regional;        /**< their model parameter indices */
    size_t popsize;          /**< CMA-ES lambda */
    double sigma0;           /**< CMA-ES initial step, fraction of each range */
    size_t n_blocks, rounds; /**< block-coordinate layout */
    /* validate */
    size_t n_candidates;     /**< best M candidates re-evaluated */
    int has_target2;         /**< also scored against validate.target */
    /* per-subject connectomes (sweep): rows are subject-major, row = subject * P + point */
    int has_subjects;
    size_t subject_dim;      /**< the FCFIT_DIM_SUBJECT dimension (the last one) */
} fcfit_stage;

/**
 * Per-subject sweep: repeat every point of an enumerated sweep for subjects
 * 0..n_subjects-1 (subject-major: row = subject * P + point) and add the
 * subject as its last dimension, named "subject".
 */
fcfit_status fcfit_stage_add_subjects(fcfit_stage *s, size_t n_subjects);

/** The subject of a row's point (0 without per-subject connectomes or without a point). */
size_t fcfit_stage_point_subject(const fcfit_stage *s, const double *point);

/** Free a stage; safe on NULL; sets *s to NULL. */
void fcfit_stage_destroy(fcfit_stage **s);

/**
 * Per-region parameters of a point: start from base ([n_params][n_regions])
 * and apply every dimension and map.
 * @param out  [n_params][n_regions]; may not alias base
 */
void fcfit_stage_point_params(const fcfit_stage *s, const double *base, const double *point,
                              double *out);

/** Enumerate the points of a sweep stage (fills s->points; called once by the job loader). */
fcfit_status fcfit_stage_enumerate(fcfit_stage *s);

/** Map a value of dimension d to [0, 1] (linear or log10 within [lo, hi]) and back. */
double fcfit_dim_to_unit(const fcfit_dim *d, double v);
double fcfit_dim_from_unit(const fcfit_dim *d, double u);

/**
 * Does a point lie on the edge of the stage's searched range? A dimension is
 * at an edge when its value is the first or last of its grid values (grids of
 * at least 3 values) or lies within 1% of its range (in the unit box) of a
 * bound. Regional dimensions (refine) are counted per parameter ("12 of 80
 * values of model.rww.w at a bound"). Writes a description of every such
 * dimension to buf ("" when none) and returns their number.
 */
size_t fcfit_stage_edge(const fcfit_stage *s, const double *point, char *buf, size_t cap);

/** Index of `name` in a NULL-terminated list, or -1. */
int fcfit_name_index(const char *const *names, const char *name);

#ifdef __cplusplus
}
#endif
#endif /* FCFIT_STAGE_H */
