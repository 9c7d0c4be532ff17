/**
 * @file fcfit_model.h
 * The model plugin interface and the registry (docs/adding-a-model.md).
 *
 * A model is one constant descriptor, fcfit_model_type, exported from one
 * file under src/models/ and listed once in src/models/registry.c. The
 * integrator, coupling, delays, BOLD and FC know no model: they see only this
 * descriptor.
 *
 * Memory layout (docs/architecture.md). A simulation advances L lanes (tasks or noise
 * replicates) of an N-region network at once. Every per-node quantity is laid
 * out [node][lane] with lanes contiguous, and a flat index k = node*L + lane
 * runs over the n = N*L "points":
 *
 *   state x        [variable][node][lane]   x + v*n is variable v
 *   parameters     [parameter][node][lane]  ctx->p[j][k]
 *   coupling in    [output][node][lane]     c + o*n, raw sums
 *                                           sum_j W[i][j] * y_o,j(t - d_ij)
 *   BOLD drive     [node][lane]
 *
 * Most model kernels are therefore one flat, vectorisable loop over k. The
 * global coupling strength, diffusive subtraction and any transform belong to
 * the model (it reads G from its parameters); the framework only forms the raw
 * weighted sums of the model's coupling outputs y (by default copies of
 * state variables, or any function of the state through coupling_out).
 *
 * Time: the model's drift is per model time unit; ms_per_unit converts
 * (1 for models written in ms, 10 for MPR's tau-units, 1000 for models in s).
 * Noise is additive: x += dt*f + g*sqrt(dt)*xi with dt in model units and g
 * from noise(); xi is drawn only for the variables listed in noise_vars.
 *
 * All kernel functions are pure: they touch only the memory they are given,
 * never allocate, never print.
 *
 * Speed: write a kernel as flat loops over k with branch-free bodies (x > a ?
 * u : v selects, no early exits) and take exp, expm1 and log from
 * fcfit_vmath.h, so that the loops vectorise; put FCFIT_VM_CLONES before
 * the drift so it runs on the CPU's widest vector unit. Lanes stay bitwise
 * independent because the vector and scalar code of such a loop compute the
 * same operations.
 */
#ifndef FCFIT_MODEL_H
#define FCFIT_MODEL_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "fcfit/fcfit_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Parameter may take one value per region (regional heterogeneity). */
#define FCFIT_PARAM_REGIONAL 0x1u
/** Parameter is a noise amplitude (set to zero when sim.noise is false). */
#define FCFIT_PARAM_NOISE 0x2u
/** Parameter is set by a model option at bind time (e.g. FIC-tuned J); user values are a start or override. */
#define FCFIT_PARAM_DERIVED 0x4u

/** One model parameter: the registration that drives validation, listings and docs. */
typedef struct fcfit_model_param {
    const char *name; /**< key below model.<model>. */
    const char *unit; /**< physical unit ("nA", "ms", "1" for dimensionless) */
    double def;       /**< default value */
    double lo;        /**< lower bound (inclusive) */
    double hi;        /**< upper bound (inclusive) */
    unsigned flags;   /**< FCFIT_PARAM_* */
    const char *help; /**< one line */
} fcfit_model_param;

/** One model option: a named choice (e.g. the FIC variant), not a number. */
typedef struct fcfit_model_option {
    const char *name;                 /**< key below model.<model>. */
    const char *const *choices;       /**< NULL-terminated list of valid names */
    size_t def;                       /**< index of the default choice */
    const char *help;                 /**< one line */
} fcfit_model_option;

/** Read-only view passed to every kernel. */
typedef struct fcfit_model_ctx {
    size_t n_nodes;        /**< N */
    size_t n_lanes;        /**< L */
    size_t n;              /**< N*L points */
    const double *const *p;/**< p[j] = values of parameter j, [node][lane] */
    const size_t *opt;     /**< chosen option indices, one per option */
    const double *strength;/**< row sums of the coupling weights, [node][lane] (expanded) */
    const void *priv;      /**< model-private data made by bind (may be NULL) */
    /*
     * History of the model's own coupling outputs (read with fcfit_model_history): per output
     * and node a line of slots of n_lanes values; the current step's outputs are at slot
     * hist_pos, and d steps earlier at hist_pos - d (valid for d < hist_len).
     */
    const double *hist;    /**< NULL when the run keeps no history */
    size_t hist_len;       /**< steps readable back: >= max(network delay, history_ms/dt) + 1 */
    size_t hist_pos;       /**< slot of the step being advanced */
    size_t hist_line;      /**< elements between two nodes' lines */
    size_t hist_output;    /**< elements between two outputs */
} fcfit_model_ctx;

/**
 * The n_lanes values of coupling output o of node i, d steps before the step
 * being advanced (d = 0: its current value). Valid for d < ctx->hist_len;
 * models that read their own past declare how far back with
 * fcfit_model_type.history_ms.
 */
static inline const double *fcfit_model_history(const fcfit_model_ctx *ctx, size_t o, size_t i,
                                                 size_t d)
{
    return ctx->hist + o * ctx->hist_output + i * ctx->hist_line +
           (ctx->hist_pos - d) * ctx->n_lanes;
}

/**
 * Arguments of bind: what a model may need to validate and precompute.
 * p is writable so that bind can fill derived parameters (FCFIT_PARAM_DERIVED).
 */
typedef struct fcfit_model_bind_args {
    size_t n_nodes, n_lanes, n;
    double *const *p;        /**< p[j], [node][lane], writable */
    const size_t *opt;       /**< option indices */
    const double *weights;   /**< N x N coupling weights, row = target (borrowed) */
    const double *strength;  /**< N row sums of weights */
    double dt_ms;            /**< integration step */
    int integrator;          /**< fcfit_integrator of the run (0 Euler-Maruyama, 1 Heun) */
    const void *data;        /**< the descriptor's data (fcfit_model_type.data) */
    /** Per-lane outcome: a model sets lane_fail[l] = 1 and lane_reason[l] to a static string
     *  when lane l's parameters are valid but unusable (e.g. FIC has no solution); the lane
     *  is then reported out of domain without failing the other lanes. */
    int *lane_fail;
    const char **lane_reason;
} fcfit_model_bind_args;

typedef fcfit_status (*fcfit_model_bind_fn)(const fcfit_model_bind_args *args, void **priv);
typedef void (*fcfit_model_free_fn)(void *priv);
/** Initial state of every lane; rngs[l] is lane l's stream (use it only for random starts). */
typedef void (*fcfit_model_init_fn)(const fcfit_model_ctx *ctx, double *x, gsl_rng *const *rngs);
/** dx = f(x, c) for all points; c is the raw coupling input [output][node][lane]. */
typedef void (*fcfit_model_drift_fn)(const fcfit_model_ctx *ctx, const double *restrict x,
                                     const double *restrict c, double *restrict dx);
/** Noise amplitudes g[m][node][lane] for the m-th entry of noise_vars (per sqrt(model time unit)). */
typedef void (*fcfit_model_noise_fn)(const fcfit_model_ctx *ctx, double *g);
/** Clamp the state after each (sub)step (may be NULL). */
typedef void (*fcfit_model_clamp_fn)(const fcfit_model_ctx *ctx, double *x);
/** Coupling outputs y[o][node][lane] from the state (NULL: copies of coupling_vars). */
typedef void (*fcfit_model_cout_fn)(const fcfit_model_ctx *ctx, const double *restrict x,
                                    double *restrict y);
/**
 * BOLD drive z[node][lane] from the state and the raw coupling input c of the
 * same step (as the drift sees it; NULL: copy of state variable bold_var).
 */
typedef void (*fcfit_model_drive_fn)(const fcfit_model_ctx *ctx, const double *restrict x,
                                     const double *restrict c, double *restrict z);
/**
 * Drift and BOLD drive of the same state in one pass (optional): must give
 * bitwise what drift and bold_drive give separately. The simulation calls it
 * at the steps whose drive it needs, so a model whose drive is an
 * intermediate of its drift (DMF's r_E) evaluates it once.
 */
typedef void (*fcfit_model_drift_drive_fn)(const fcfit_model_ctx *ctx, const double *restrict x,
                                           const double *restrict c, double *restrict dx,
                                           double *restrict z);
/**
 * Whether coupling output o is read by the drift under the options opt
 * (optional; NULL: all are). Unused sums are not formed and read as 0.
 */
typedef int (*fcfit_model_cused_fn)(const size_t *opt, size_t o);
/**
 * Domain check of lane l (may be NULL). Return 0 when fine, otherwise non-zero
 * and set *reason to a static string naming the violated condition.
 */
typedef int (*fcfit_model_check_fn)(const fcfit_model_ctx *ctx, const double *x, size_t lane,
                                    const char **reason);

/**
 * Optional homeostatic tuning of one regional parameter before each run
 * (DMF's iterative feedback inhibition control is the example): while the
 * option `option` has the value `choice`, fcfit_sim_tune repeatedly
 * simulates (noise as configured, seeds derived from the task's) and moves
 * the parameter of every region and lane by gain x (time-mean drive - target)
 * until every region's time-mean BOLD drive is within the tolerance of the
 * target. Target, tolerance, iteration limit and simulated time per
 * iteration are themselves model parameters, so they are registered,
 * validated and recorded like any other.
 */
typedef struct fcfit_model_tuning {
    size_t option;          /**< tuning is active when opt[option] == choice */
    size_t choice;
    size_t init_choice;     /**< option value bound once before tuning to initialise the
                                 parameter (e.g. a closed form); == choice: no initialisation */
    size_t param;           /**< regional parameter adjusted */
    size_t target_param;    /**< parameter holding the target of the drive's time mean */
    size_t tol_param;       /**< parameter holding the tolerance (unit of the drive) */
    size_t max_iter_param;  /**< parameter holding the maximum number of iterations */
    size_t duration_param;  /**< parameter holding the simulated ms per iteration (after a
                                 settling period of the same length) */
    double gain;            /**< parameter change per unit of drive error, sign included */
} fcfit_model_tuning;

/** The model descriptor. One constant instance per model. */
typedef struct fcfit_model_type {
    const char *name;       /**< registry key ("rww") */
    const char *long_name;  /**< "Reduced Wong-Wang, one population" */
    const char *citation;   /**< paper(s) */
    const char *doc;        /**< docs/models/<name>.md */
    double ms_per_unit;     /**< model time unit in ms (1 = ms) */
    int default_integrator; /**< what sim.integrator = auto picks: 0 Euler-Maruyama, 1 Heun */
    double default_dt_ms;   /**< the step an unset sim.dt_ms picks (the model page's reference) */

    size_t n_state;
    const char *const *state_names;
    const char *const *state_units;

    size_t n_params;
    const fcfit_model_param *params;
    size_t n_options;
    const fcfit_model_option *options;

    size_t n_coupling;           /**< number of coupling outputs (0: uncoupled) */
    const size_t *coupling_vars; /**< state variables copied when coupling_out is NULL */
    const char *coupling_desc;   /**< what travels along the connectome, in words */
    /** Per coupling output: 1 (or NULL for all) the framework sums W_ij y_j(t - d_ij); 2 it
     *  sums W_ij^2 y_j(t - d_ij); 0 it keeps only the history (no sum, c stays 0). */
    const unsigned char *coupling_power;
    /** How far back (ms) the model reads its own outputs through fcfit_model_history;
     *  0: not at all. */
    double history_ms;
    /** Data for bind (e.g. lookup tables); NULL in the registered descriptor. A caller
     *  that needs other data uses a copy of the descriptor with this set. */
    const void *data;

    size_t n_noise;              /**< number of noisy variables */
    const size_t *noise_vars;    /**< their state indices, in draw order */

    size_t bold_var;             /**< state variable behind the BOLD drive */
    const char *bold_desc;       /**< the drive in words, with its unit */

    fcfit_model_bind_fn bind;    /**< may be NULL */
    fcfit_model_free_fn free_priv; /**< may be NULL */
    fcfit_model_init_fn init;
    fcfit_model_drift_fn drift;
    fcfit_model_noise_fn noise;  /**< may be NULL only when n_noise == 0 */
    fcfit_model_clamp_fn clamp;  /**< may be NULL */
    fcfit_model_cout_fn coupling_out; /**< may be NULL */
    fcfit_model_drive_fn bold_drive;  /**< may be NULL */
    fcfit_model_check_fn check;  /**< may be NULL */
    const fcfit_model_tuning *tuning; /**< may be NULL */
    fcfit_model_drift_drive_fn drift_drive; /**< may be NULL (drift, then bold_drive) */
    fcfit_model_cused_fn coupling_used;     /**< may be NULL (every output is used) */
    /** The drive in words under the given options, when an option chooses it (may be NULL:
     *  bold_desc). */
    const char *(*bold_desc_for)(const size_t *opt);
} fcfit_model_type;

/** Number of registered models. */
size_t fcfit_model_count(void);

/** The i-th registered model (NULL when i is out of range). */
const fcfit_model_type *fcfit_model_at(size_t i);

/**
 * Find a model by name.
 * @return FCFIT_OK, or FCFIT_ERR_UNKNOWN_NAME with a message listing every valid name.
 */
fcfit_status fcfit_model_find(const char *name, const fcfit_model_type **type);

/** The BOLD drive in words, with its unit, under the options opt (NULL: the defaults). */
const char *fcfit_model_drive_desc(const fcfit_model_type *m, const size_t *opt);

/** Index of parameter `name` in the model, or (size_t)-1. */
size_t fcfit_model_param_index(const fcfit_model_type *m, const char *name);

/** Index of option `name` in the model, or (size_t)-1. */
size_t fcfit_model_option_index(const fcfit_model_type *m, const char *name);

/** Index of choice `value` of option o, or (size_t)-1. */
size_t fcfit_model_choice_index(const fcfit_model_option *o, const char *value);

/**
 * Check every value of every parameter against its bounds.
 * @return FCFIT_ERR_ARG naming model, parameter, region and lane of the first violation.
 */
fcfit_status fcfit_model_check_params(const fcfit_model_type *m, size_t n_nodes, size_t n_lanes,
                                      const double *const *p);

#ifdef __cplusplus
}
#endif
#endif /* FCFIT_MODEL_H */
