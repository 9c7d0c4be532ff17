/**
 * @file fcfit_sim.h
 * The chunkwise simulation object: neural mass network → Balloon–Windkessel
 * BOLD sampled at TR, for L lanes at once (docs/architecture.md).
 *
 * Life cycle (the caller owns the loop, GSL style):
 *
 *   fcfit_sim_create(&sim, model, conn, &cfg, n_lanes);   once per worker
 *   per task batch:
 *       write parameters: fcfit_sim_param(sim, j)[node*L + lane] = value;
 *       set options:      fcfit_sim_options(sim)[o] = choice;
 *       fcfit_sim_reset(sim, seeds);                     validate, bind, initial state
 *       while (!fcfit_sim_done(sim)) fcfit_sim_advance(sim, chunk);
 *       fcfit_sim_lane_status / fcfit_sim_bold / fcfit_sim_drive_mean ...
 *   fcfit_sim_destroy(&sim);
 *
 * Invariants (each has a test): the trajectory, BOLD and every output are
 * bitwise identical whatever the chunk sizes passed to advance (noise stream
 * position, delay history and BOLD state carry across calls) and whatever the
 * number of lanes (each lane's arithmetic is that of a batch of one).
 *
 * Step semantics. Step n advances the state from t_n = n*dt to t_{n+1}. The
 * coupling input is formed once per step from the history: source j enters
 * target i with its value at step n - D_ij (D_ij = 0: the current state). The
 * BOLD integrator runs every `steps_per_bold` neural steps; its drive for the
 * interval [t_n0, t_n0 + bold_dt) is the model's drive evaluated at the start
 * of each neural step inside it: the mean of them ("mean", default), the
 * first one ("first", plain Euler) or the last one ("last", FastDMF's
 * sampling). BOLD is sampled at t = k*TR, k = 1, 2, ...; samples with
 * t <= transient are discarded.
 *
 * Noise (documented for reproducibility in docs/determinism.md and
 * fcfit_rng.h): step n of a lane uses the standard normal numbers of the
 * counter-based stream of its seed for that step, one per noisy variable (in
 * the model's noise_vars order) and node (ascending); nothing carries over
 * from step to step, so any chunking draws the same numbers. Heun uses the
 * same numbers in both stages. Random initial states come from the lane's
 * xoshiro256** stream (the rngs passed to the model's init).
 */
#ifndef FCFIT_SIM_H
#define FCFIT_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "fcfit/fcfit_bold.h"
#include "fcfit/fcfit_connectome.h"
#include "fcfit/fcfit_model.h"
#include "fcfit/fcfit_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Integrators (docs/architecture.md). */
typedef enum fcfit_integrator {
    FCFIT_INTEGRATOR_EULER = 0, /**< Euler–Maruyama */
    FCFIT_INTEGRATOR_HEUN = 1   /**< stochastic Heun (one noise draw per step, both stages) */
} fcfit_integrator;

/** Names in enum order, NULL-terminated. */
extern const char *const fcfit_integrator_names[];

/** How the BOLD drive over one BOLD step is formed from the neural steps inside it. */
typedef enum fcfit_drive_mode {
    FCFIT_DRIVE_MEAN = 0,
    FCFIT_DRIVE_FIRST = 1,
    FCFIT_DRIVE_LAST = 2
} fcfit_drive_mode;

extern const char *const fcfit_drive_mode_names[];

/** What produces the BOLD signal. */
typedef enum fcfit_bold_kind {
    FCFIT_BOLD_KIND_BALLOON = 0, /**< Balloon–Windkessel on the drive */
    FCFIT_BOLD_KIND_DIRECT = 1   /**< the drive itself, sampled at TR (Hopf at BOLD level) */
} fcfit_bold_kind;

extern const char *const fcfit_bold_kind_names[];

/** Outcome of one lane (one task replicate). Stored in result files; values are stable. */
typedef enum fcfit_task_status {
    FCFIT_TASK_PENDING = 0,       /**< not computed */
    FCFIT_TASK_OK = 1,
    FCFIT_TASK_DIVERGED = 2,      /**< state or BOLD became non-finite or exceeded the threshold */
    FCFIT_TASK_OUT_OF_DOMAIN = 3, /**< the model's domain check failed */
    FCFIT_TASK_DEGENERATE = 4,    /**< BOLD constant in some region: FC undefined */
    FCFIT_TASK_FAILED = 5         /**< any other per-task failure (message in the reason) */
} fcfit_task_status;

/** Name of a task status ("ok", "diverged", ...). */
const char *fcfit_task_status_name(int s);

/** Simulation settings (validated by fcfit_sim_create). Times in the units their names say. */
typedef struct fcfit_sim_config {
    double dt_ms;            /**< neural integration step */
    double duration_ms;      /**< total simulated time, transient included */
    double transient_ms;     /**< BOLD samples at t <= transient are discarded */
    size_t chunk_steps;      /**< steps per fcfit_sim_run chunk (divergence-check period) */
    fcfit_integrator integrator;
    int noise;               /**< 0: deterministic (noise parameters ignored) */
    double bold_dt_ms;       /**< BOLD integration step, an integer multiple of dt_ms */
    double tr_ms;            /**< BOLD sampling period, an integer multiple of bold_dt_ms */
    fcfit_drive_mode drive_mode;
    fcfit_bold_kind bold_kind;
    fcfit_bold_form bold_form;
    fcfit_bold_params bold;
    double divergence_threshold; /**< |state| above this counts as diverged (e.g. 1e12) */
} fcfit_sim_config;

typedef struct fcfit_sim fcfit_sim;

/**
 * Create a simulation workspace: every buffer is allocated here, once, from
 * the sizes (regions, lanes, state size, delay history, number of volumes).
 *
 * @param model  in, borrowed (static descriptor)
 * @param conn   in, borrowed; must outlive the simulation
 * @param cfg    in, copied
 * @return FCFIT_ERR_ARG naming the setting for invalid configurations
 *         (non-integer step ratios, no volume kept, ...), FCFIT_ERR_NOMEM.
 */
fcfit_status fcfit_sim_create(fcfit_sim **sim, const fcfit_model_type *model,
                              const fcfit_connectome *conn, const fcfit_sim_config *cfg,
                              size_t n_lanes);

/** Free everything; safe on NULL; sets *sim to NULL. */
void fcfit_sim_destroy(fcfit_sim **sim);

/** Number of lanes, regions, total steps, kept volumes. */
size_t fcfit_sim_n_lanes(const fcfit_sim *sim);
size_t fcfit_sim_n_nodes(const fcfit_sim *sim);
size_t fcfit_sim_n_steps(const fcfit_sim *sim);
size_t fcfit_sim_n_vols(const fcfit_sim *sim);

/** Writable parameter array j ([node][lane]); filled with defaults at create. */
double *fcfit_sim_param(fcfit_sim *sim, size_t j);

/** Parameter array j as the last run used it (derived values such as a tuned J included). */
const double *fcfit_sim_param_values(const fcfit_sim *sim, size_t j);

/** Writable option indices (one per model option); defaults at create. */
size_t *fcfit_sim_options(fcfit_sim *sim);

/**
 * Start a new run of all lanes: check parameter bounds, bind the model
 * (derived parameters), seed lane l's noise stream with seeds[l], set the
 * initial state, fill the delay history with it, reset BOLD.
 * @return FCFIT_ERR_ARG naming the first out-of-bounds parameter.
 */
fcfit_status fcfit_sim_reset(fcfit_sim *sim, const uint64_t *seeds);

/**
 * Advance by up to n_steps (stops at the configured duration), then check
 * every lane for divergence and domain violations.
 */
fcfit_status fcfit_sim_advance(fcfit_sim *sim, size_t n_steps);

/** Advance to the end in chunks of cfg.chunk_steps; stops early when every lane has failed. */
fcfit_status fcfit_sim_run(fcfit_sim *sim);

/** Steps done since reset. */
size_t fcfit_sim_steps_done(const fcfit_sim *sim);

/** Nonzero when the duration is reached or every lane has failed. */
int fcfit_sim_done(const fcfit_sim *sim);

/** Status of lane l; *reason (may be NULL) receives a static or internal string. */
fcfit_task_status fcfit_sim_lane_status(const fcfit_sim *sim, size_t lane, const char **reason);

/** Kept BOLD volumes recorded so far (== n_vols at the end). */
size_t fcfit_sim_vols_done(const fcfit_sim *sim);

/** Copy lane l's BOLD, regions x volumes row-major (out[i*n_vols + t]). */
void fcfit_sim_get_bold(const fcfit_sim *sim, size_t lane, double *out);

/** Time of kept volume t in seconds. */
double fcfit_sim_vol_time_s(const fcfit_sim *sim, size_t t);

/** Per-region time mean of the BOLD drive over the BOLD steps after the transient. */
void fcfit_sim_get_drive_mean(const fcfit_sim *sim, size_t lane, double *out);

/** Per-region drive of the last completed BOLD step. */
void fcfit_sim_get_drive_last(const fcfit_sim *sim, size_t lane, double *out);

/** The current state, [variable][node][lane] (read-only). */
const double *fcfit_sim_state(const fcfit_sim *sim);

/**
 * Replace the initial state right after reset (before any advance), e.g. to
 * start from a chosen point in an oracle test; the delay history is refilled
 * with it. x is [variable][node][lane].
 */
fcfit_status fcfit_sim_set_state(fcfit_sim *sim, const double *x);

/** The BOLD signal of the current haemodynamic state, [node][lane] (for tests and parity checks). */
void fcfit_sim_bold_now(fcfit_sim *sim, double *y);

/** Outcome of fcfit_sim_tune for one lane. */
typedef struct fcfit_tune_report {
    int active;          /**< tuning ran for this lane */
    int converged;       /**< every region within tolerance */
    size_t iterations;   /**< simulations run */
    double max_error;    /**< largest |mean drive - target| over regions at the end */
    int failed;          /**< the lane could not be tuned (its start failed or it diverged) */
    const char *reason;  /**< why, when failed (static string) */
} fcfit_tune_report;

/**
 * Run the model's homeostatic tuning (fcfit_model_type.tuning) when its
 * option selects it; otherwise only mark every report inactive. The tuned
 * parameter arrays are left in the simulation (fcfit_sim_param) for the run
 * that follows; the caller then calls fcfit_sim_reset for that run. A lane
 * whose initialisation fails (e.g. no closed-form start) or whose tuning run
 * diverges is reported `failed` with a reason; the caller must treat the
 * lane as out of domain (the reset that follows clears the lane statuses).
 * Tuning run k of lane l uses the seed derive(seeds[l], 0x74756e65, k).
 * @param report  out, n_lanes entries
 */
fcfit_status fcfit_sim_tune(fcfit_sim *sim, const uint64_t *seeds, fcfit_tune_report *report);

/** Number of BOLD steps done since reset. */
size_t fcfit_sim_bold_steps_done(const fcfit_sim *sim);

/**
 * How the coupling sums are formed, in words ("none", "dense", "sliced",
 * "sliced, delays in blocks of B steps"): for logs, benchmarks and tests.
 * Chosen from the connectome alone (never from the number of lanes).
 */
const char *fcfit_sim_coupling_engine(const fcfit_sim *sim);

/** Model-private data of the current binding (NULL before reset or for models without). */
const void *fcfit_sim_model_priv(const fcfit_sim *sim);

/** Longest lane reason a checkpoint keeps (bytes, with the terminating NUL). */
#define FCFIT_SIM_REASON_LEN 160

/**
 * Checkpoints: one lane's complete dynamic state between two advance calls (parameters as
 * the run uses them, tuned values included; model state; coupling inputs; delay history; the
 * current block's far sums; BOLD state, drive accumulators, BOLD samples so far; the lane's
 * status; the step, which is also the noise stream's position). A simulation resumed from
 * checkpoints continues bitwise as the one they were taken from (test_sim checks it), whatever
 * the lane the state is restored into.
 *
 * fcfit_sim_checkpoint_size: an upper bound of one lane's checkpoint, in bytes.
 * fcfit_sim_checkpoint_save: write lane `lane`'s state into buf (cap bytes); *len receives the
 *   bytes used. Only between advance calls after a reset.
 * fcfit_sim_checkpoint_step: the step a checkpoint was taken at (0 when buf is not one).
 * fcfit_sim_checkpoint_resume: instead of reset: every lane l takes the state in bufs[l]
 *   (lens[l] bytes; the same buffer may serve several lanes), with noise seed seeds[l] (the
 *   seed of the run it was taken from). All must be at the same step and come from a
 *   simulation of the same shape (regions, model, delays, duration, BOLD settings), else
 *   FCFIT_ERR_INPUT and nothing is used.
 */
size_t fcfit_sim_checkpoint_size(const fcfit_sim *sim);
fcfit_status fcfit_sim_checkpoint_save(const fcfit_sim *sim, size_t lane, void *buf, size_t cap,
                                       size_t *len);
uint64_t fcfit_sim_checkpoint_step(const void *buf, size_t len);
fcfit_status fcfit_sim_checkpoint_resume(fcfit_sim *sim, const uint64_t *seeds,
                                         const void *const *bufs, const size_t *lens);

#ifdef __cplusplus
}
#endif
#endif /* FCFIT_SIM_H */
