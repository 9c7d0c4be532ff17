/*
 * job_options.c: every job key, registered once.
 *
 * This table is the single source of the job file's schema: validation,
 * `fcfit keys`, docs/job-reference.md and the canonical job text all come
 * from it. Model keys (model.<name>.<param>) are generated from the model
 * registry, so a new model brings its keys with it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcfit/fcfit_bold.h"
#include "fcfit/fcfit_connectome.h"
#include "fcfit/fcfit_job.h"
#include "fcfit/fcfit_sim.h"
#include "fcfit/fcfit_stage.h"
#include "fcfit/fcfit_eval.h"
#include "fcfit/fcfit_util.h"
#include "job/job_impl.h"

static const char *const integrator_choices[] = {"auto", "euler", "heun", NULL};
static const char *const form_choices[] = {"log", "linear", NULL};
static const char *const log_choices[] = {"error", "warning", "info", "debug", NULL};
static const char *const seed_choices[] = {"common", "fresh", NULL};
static const char *const bold_layout_choices[] = {"auto", "regions_by_time", "time_by_regions",
                                                  NULL};
static const char *const fc_from_choices[] = {"auto", "files", "bold", NULL};

#define NOH FCFIT_OPT_NOHASH
#define OPTNL FCFIT_OPT_OPTIONAL

static const fcfit_opt_desc job_options[] = {
    /* model data */
    {"model.aln.tables.file", FCFIT_OPT_PATH, NULL, 0, 0, NULL, "", OPTNL | NOH,
     "ALN transfer-function tables made by `fcfit tables aln` (HDF5) for the job's neuron "
     "parameters; unset: the built-in tables (neurolib's neuron)"},
    /* connectome */
    {"connectome.weights", FCFIT_OPT_PATH, NULL, 0, 0, NULL, "", OPTNL | NOH,
     "structural connectivity, row = target region (csv/tsv/txt, .npy, .mat[:var], .h5[:/dataset], "
     ".npz[:key], .zip[:member]); unset: a synthetic connectome"},
    {"connectome.tvb_zip", FCFIT_OPT_PATH, NULL, 0, 0, NULL, "", OPTNL | NOH,
     "TVB connectivity zip (weights, tract lengths, centres with region labels) instead of "
     "connectome.weights; its tract lengths give delays when connectome.velocity_mm_per_ms > 0"},
    {"connectome.labels", FCFIT_OPT_PATH, NULL, 0, 0, NULL, "", OPTNL | NOH,
     "region labels, one per line, written to every output (default: the TVB zip's labels, "
     "else r0, r1, ...)"},
    {"connectome.subjects", FCFIT_OPT_PATHS, NULL, 0, 0, NULL, "", OPTNL | NOH,
     "per-subject connectomes: one weight matrix per target subject, in the order of target.fc "
     "(or target.bold); each sweep point is then fitted to every subject with its own SC "
     "(docs/stages.md)"},
    {"connectome.lengths", FCFIT_OPT_PATH, NULL, 0, 0, NULL, "mm", OPTNL | NOH,
     "tract lengths in mm, same shape as the weights (delays = length / velocity)"},
    {"connectome.velocity_mm_per_ms", FCFIT_OPT_REAL, "0", 0, 1e6, NULL, "mm/ms", 0,
     "conduction velocity (= m/s); 0: no delays"},
    {"connectome.normalize", FCFIT_OPT_ENUM, "max", 0, 0, fcfit_norm_names, "", 0,
     "weight normalisation after zeroing the diagonal"},
    {"connectome.scale", FCFIT_OPT_REAL, "1", 1e-12, 1e12, NULL, "", 0,
     "factor applied after normalisation (e.g. 0.2 as in some Deco-lab scripts)"},
    {"connectome.keep_diagonal", FCFIT_OPT_BOOL, "false", 0, 0, NULL, "", 0,
     "keep self-connections (default: zeroed; local recurrence lives in the model)"},
    {"connectome.require_symmetric", FCFIT_OPT_BOOL, "false", 0, 0, NULL, "", 0,
     "reject weights that are not symmetric (relative tolerance 1e-9)"},
    {"connectome.synthetic.n_regions", FCFIT_OPT_INT, "20", 2, 20000, NULL, "", 0,
     "regions of the built-in synthetic connectome (used when connectome.weights is unset)"},
    {"connectome.synthetic.seed", FCFIT_OPT_INT, "1", 0, 9007199254740992.0, NULL, "", 0,
     "seed of the synthetic connectome"},
    {"connectome.synthetic.delays", FCFIT_OPT_BOOL, "false", 0, 0, NULL, "", 0,
     "use the synthetic tract lengths (with connectome.velocity_mm_per_ms) for delays"},
    /* target */
    {"target.fc", FCFIT_OPT_PATHS, NULL, 0, 0, NULL, "", OPTNL | NOH,
     "empirical FC: one group matrix or one file per subject"},
    {"target.fc_from", FCFIT_OPT_ENUM, "auto", 0, 0, fc_from_choices, "", 0,
     "with target.fc and target.bold: files (auto): the target.fc matrices, taken to be "
     "processed as the fc.* settings say (fcfit check compares them with the FC of "
     "target.bold); bold: the FC of target.bold, the files only compared"},
    {"target.fc_fisher_z", FCFIT_OPT_BOOL, "false", 0, 0, NULL, "", 0,
     "target.fc files hold Fisher z values (tanh is applied on loading)"},
    {"target.bold", FCFIT_OPT_PATHS, NULL, 0, 0, NULL, "", OPTNL | NOH,
     "empirical BOLD, one file per subject, regions x time (see target.bold_layout); FC and "
     "FCD are computed as for simulations"},
    {"target.bold_layout", FCFIT_OPT_ENUM, NULL, 0, 0, bold_layout_choices, "", OPTNL | NOH,
     "orientation of target.bold files; unset or auto: regions x time, or time x regions (as "
     "fcfit simulate writes bold) when only the columns match the connectome; a square file "
     "needs an explicit layout"},
    {"target.bold_tr_s", FCFIT_OPT_REAL, NULL, 1e-3, 1e3, NULL, "s", OPTNL,
     "TR of target.bold (default: bold.tr_s)"},
    {"target.synthetic", FCFIT_OPT_BOOL, "false", 0, 0, NULL, "", 0,
     "use a synthetic group FC (stationary linear process on the connectome) as the target"},
    /* simulation */
    {"sim.dt_ms", FCFIT_OPT_REAL, NULL, 1e-6, 1000.0, NULL, "ms", OPTNL,
     "integration step (default: the model's reference step)"},
    {"sim.duration_s", FCFIT_OPT_REAL, "300", 1e-3, 1e7, NULL, "s", 0,
     "simulated time, transient included"},
    {"sim.transient_s", FCFIT_OPT_REAL, "20", 0, 1e7, NULL, "s", 0,
     "initial time whose BOLD volumes are discarded"},
    {"sim.chunk_ms", FCFIT_OPT_REAL, "10000", 1e-3, 1e9, NULL, "ms", NOH,
     "simulated time per chunk (divergence checks, interruption points); results do not depend "
     "on it"},
    {"sim.integrator", FCFIT_OPT_ENUM, "auto", 0, 0, integrator_choices, "", 0,
     "euler (Euler-Maruyama), heun (stochastic Heun) or auto (the model's reference)"},
    {"sim.noise", FCFIT_OPT_BOOL, "true", 0, 0, NULL, "", 0,
     "false: deterministic run (noise parameters ignored)"},
    {"sim.seed", FCFIT_OPT_INT, "42", 0, 9007199254740992.0, NULL, "", 0,
     "job seed; each task's noise derives from (seed, task id, replicate)"},
    {"sim.replicates", FCFIT_OPT_INT, "1", 1, 10000, NULL, "", 0,
     "noise replicates per parameter point (scores are averaged in replicate order)"},
    {"sim.divergence_threshold", FCFIT_OPT_REAL, "1e12", 1, 1e300, NULL, "", 0,
     "a state variable above this magnitude marks the run as diverged"},
    /* BOLD */
    {"bold.model", FCFIT_OPT_ENUM, "balloon", 0, 0, fcfit_bold_kind_names, "", 0,
     "balloon: Balloon-Windkessel on the model's drive; direct: the drive itself is the BOLD "
     "signal (Hopf at BOLD level)"},
    {"bold.params", FCFIT_OPT_ENUM, "friston2003", 0, 0, fcfit_bold_preset_names, "", 0,
     "Balloon-Windkessel parameter set (docs/bold.md lists their values and sources)"},
    {"bold.form", FCFIT_OPT_ENUM, "log", 0, 0, form_choices, "", 0,
     "integrate in log space (positivity preserving) or linear space (FastDMF/neurolib parity)"},
    {"bold.dt_ms", FCFIT_OPT_REAL, "1", 1e-6, 1e4, NULL, "ms", 0,
     "Balloon-Windkessel step, an integer multiple of sim.dt_ms"},
    {"bold.drive", FCFIT_OPT_ENUM, "mean", 0, 0, fcfit_drive_mode_names, "", 0,
     "drive over one BOLD step: mean of the neural steps, the first, or the last (FastDMF)"},
    {"bold.tr_s", FCFIT_OPT_REAL, "2", 1e-4, 1e3, NULL, "s", 0,
     "repetition time: BOLD is sampled at k * TR"},
    {"bold.kappa", FCFIT_OPT_REAL, NULL, 0, 1e3, NULL, "1/s", OPTNL,
     "override: signal decay rate"},
    {"bold.gamma", FCFIT_OPT_REAL, NULL, 0, 1e3, NULL, "1/s", OPTNL,
     "override: flow-dependent elimination rate"},
    {"bold.tau", FCFIT_OPT_REAL, NULL, 1e-6, 1e3, NULL, "s", OPTNL, "override: transit time"},
    {"bold.alpha", FCFIT_OPT_REAL, NULL, 1e-6, 10, NULL, "", OPTNL, "override: Grubb's exponent"},
    {"bold.E0", FCFIT_OPT_REAL, NULL, 1e-6, 0.999999, NULL, "", OPTNL,
     "override: resting oxygen extraction"},
    {"bold.V0", FCFIT_OPT_REAL, NULL, 0, 100, NULL, "", OPTNL, "override: resting blood volume"},
    {"bold.k1", FCFIT_OPT_REAL, NULL, -1e3, 1e3, NULL, "", OPTNL, "override: coefficient k1"},
    {"bold.k2", FCFIT_OPT_REAL, NULL, -1e3, 1e3, NULL, "", OPTNL, "override: coefficient k2"},
    {"bold.k3", FCFIT_OPT_REAL, NULL, -1e3, 1e3, NULL, "", OPTNL, "override: coefficient k3"},
    /* FC and scores */
    {"fc.bandpass", FCFIT_OPT_BOOL, "true", 0, 0, NULL, "", 0,
     "zero-phase Butterworth band-pass of simulated and empirical BOLD"},
    {"fc.bandpass_low_hz", FCFIT_OPT_REAL, "0.01", 1e-9, 1e3, NULL, "Hz", 0, "lower band edge"},
    {"fc.bandpass_high_hz", FCFIT_OPT_REAL, "0.1", 1e-9, 1e3, NULL, "Hz", 0, "upper band edge"},
    {"fc.bandpass_order", FCFIT_OPT_INT, "2", 1, 8, NULL, "", 0,
     "Butterworth prototype order (scipy's N)"},
    {"fc.detrend", FCFIT_OPT_BOOL, "false", 0, 0, NULL, "", 0,
     "remove a linear trend before filtering (the mean is always removed)"},
    {"fc.fcd_window_s", FCFIT_OPT_REAL, "60", 1e-3, 1e6, NULL, "s", 0,
     "FCD sliding-window length (used when target.bold is given)"},
    {"fc.fcd_step_s", FCFIT_OPT_REAL, "0", 0, 1e6, NULL, "s", 0,
     "FCD window step (0: one TR)"},
    {"fc.fcd_skip_overlap", FCFIT_OPT_BOOL, "false", 0, 0, NULL, "", 0,
     "FCD distribution from pairs of non-overlapping windows only"},
    /* output and logging */
    {"output.path", FCFIT_OPT_PATH, "fcfit-results.h5", 0, 0, NULL, "", NOH,
     "results file (-o overrides)"},
    {"output.save_fc", FCFIT_OPT_BOOL, NULL, 0, 0, NULL, "", OPTNL,
     "store each point's simulated FC (upper triangle, float32) of the sweep and validate "
     "stages in run results; unset: only when that takes at most output.save_fc_max_mb"},
    {"output.save_fc_max_mb", FCFIT_OPT_REAL, "100", 0, 1e9, NULL, "MB", 0,
     "size limit of the stored FC rows when output.save_fc is unset"},
    /* search stages */
    {"sweep.params", FCFIT_OPT_TREE, NULL, 0, 0, NULL, "", OPTNL,
     "parameters to sweep, model.<model>.<param>: {values: [..]} | {linspace: [a, b, n]} | "
     "{logspace: [a, b, n]} | {range: [lo, hi], scale: lin|log} | {map: file, offset: .., "
     "slope: .., normalize: none|zscore|minmax} (docs/stages.md)"},
    {"sweep.sampler", FCFIT_OPT_ENUM, "grid", 0, 0, fcfit_sampler_names, "", 0,
     "grid (full product of the values), sobol, lhs (Latin hypercube) or random over the ranges"},
    {"sweep.n_points", FCFIT_OPT_INT, "0", 0, 1e8, NULL, "", 0,
     "number of points for sobol, lhs and random (the grid's count follows from its values)"},
    {"sweep.seed", FCFIT_OPT_INT, NULL, 0, 9007199254740992.0, NULL, "", OPTNL,
     "seed of the lhs and random samplers (default: sim.seed)"},
    {"sweep.objective", FCFIT_OPT_STRING, NULL, 0, 0, NULL, "", OPTNL,
     "older spelling of fit.objective (use fit.objective)"},
    {"stages", FCFIT_OPT_TREE, NULL, 0, 0, NULL, "", OPTNL,
     "the stages to run, in this order: any of [sweep, optimize, refine, validate] (default: "
     "those whose section is given) (docs/stages.md)"},
    {"fit.objective", FCFIT_OPT_STRING, "fc_corr", 0, 0, NULL, "", 0,
     "what every stage ranks and minimises: one score (fc_corr, fc_corr_group, fc_rmse, "
     "fc_mean_diff, fcd_ks; each in its own sense) or a linear expression to minimise such as "
     "'1 - fc_corr + fcd_ks'"},
    {"fit.penalty", FCFIT_OPT_REAL, "100", -1e12, 1e12, NULL, "", 0,
     "loss an optimizer sees for a failed evaluation (diverged, out of domain, degenerate FC)"},
    {"refine.method", FCFIT_OPT_ENUM, "cmaes", 0, 0, fcfit_refine_method_names, "", 0,
     "cmaes (separable CMA-ES; a generation is evaluated in parallel), blocks (regions in "
     "blocks, one NLopt instance per block, rounds of block-coordinate descent) or map (NLopt "
     "over the offset and slope of regional maps)"},
    {"refine.params", FCFIT_OPT_TREE, NULL, 0, 0, NULL, "", OPTNL,
     "regional parameters freed per region, model.<model>.<param>: {} (the parameter's bounds) | "
     "{range: [lo, hi], scale: lin|log}; with refine.method map: {map: file, offset: {range: "
     "..}, slope: {range: ..}}"},
    {"refine.popsize", FCFIT_OPT_INT, "0", 0, 100000, NULL, "", 0,
     "CMA-ES population (evaluations per generation); 0: 4 + floor(3 ln n)"},
    {"refine.sigma0", FCFIT_OPT_REAL, "0.15", 1e-6, 1, NULL, "", 0,
     "CMA-ES initial step size as a fraction of each parameter's range"},
    {"refine.blocks", FCFIT_OPT_INT, "4", 1, 100000, NULL, "", 0,
     "refine.method blocks: number of region blocks (one NLopt instance each, run concurrently)"},
    {"refine.rounds", FCFIT_OPT_INT, "2", 1, 10000, NULL, "", 0,
     "refine.method blocks: rounds over all blocks"},
    {"validate.candidates", FCFIT_OPT_INT, "5", 1, 100000, NULL, "", 0,
     "best distinct points of the earlier stages that are re-evaluated"},
    {"validate.replicates", FCFIT_OPT_INT, "10", 2, 100000, NULL, "", 0,
     "fresh noise seeds per candidate (never used while fitting); gives mean and standard error"},
    {"validate.target.fc", FCFIT_OPT_PATHS, NULL, 0, 0, NULL, "", OPTNL | NOH,
     "a second target (e.g. held-out subjects' FC) that validation also scores against"},
    {"validate.target.bold", FCFIT_OPT_PATHS, NULL, 0, 0, NULL, "", OPTNL | NOH,
     "BOLD of the second target (its FC and FCD, processed like target.bold)"},
    {"test.function", FCFIT_OPT_ENUM, "none", 0, 0, fcfit_test_function_names, "", 0,
     "testing aid: replace the simulation by an analytic noisy function of the parameters "
     "(docs/stages.md)"},
    {"test.noise", FCFIT_OPT_REAL, "0", 0, 1e6, NULL, "", 0,
     "testing aid: noise amplitude of test.function"},
    {"test.delay_s", FCFIT_OPT_REAL, "0", 0, 1e3, NULL, "s", NOH,
     "testing aid: wall time each test.function evaluation takes (so that tests can interrupt "
     "runs)"},
    {"run.batch_lanes", FCFIT_OPT_INT, "0", 0, 64, NULL, "", NOH,
     "tasks a worker simulates side by side as SIMD lanes (0: chosen from the CPU's vector width, "
     "8 with AVX-512); results do not depend on it"},
    {"run.stop_timeout_s", FCFIT_OPT_REAL, "60", 0, 1e6, NULL, "s", NOH,
     "after a stop signal, how long to wait for running tasks that cannot be checkpointed "
     "(test functions) before stopping them; simulations are checkpointed at once"},
    {"log.level", FCFIT_OPT_ENUM, "info", 0, 0, log_choices, "", NOH, "messages on stderr"},
    {"log.progress_s", FCFIT_OPT_REAL, "10", 0, 1e6, NULL, "s", NOH,
     "seconds between progress lines (0: none)"},
};

/*
 * The NLopt settings of a stage (optimize; refine by blocks or maps), one
 * table for both sections so that they cannot drift apart.
 */
static fcfit_status register_nlopt_keys(fcfit_config *cfg, const char *section,
                                        const char *maxeval_def)
{
    const fcfit_opt_desc keys[] = {
        {"params", FCFIT_OPT_TREE, NULL, 0, 0, NULL, "", OPTNL,
         "free parameters with ranges, model.<model>.<param>: {range: [lo, hi], scale: lin|log} "
         "| {map: file, offset: {range: ..}, slope: {range: ..}} (default: the sweep's "
         "parameters and ranges)"},
        {"algorithm", FCFIT_OPT_ENUM, "LN_SBPLX", 0, 0, fcfit_nlopt_all_names, "", 0,
         "NLopt algorithm (gradient-free): local LN_*, global GN_* or G_MLSL_LDS"},
        {"local_algorithm", FCFIT_OPT_ENUM, "LN_SBPLX", 0, 0, fcfit_nlopt_local_names, "", 0,
         "local optimizer inside G_MLSL_LDS"},
        {"maxeval", FCFIT_OPT_INT, maxeval_def, 1, 1e7, NULL, "", 0,
         "evaluations per optimizer instance (refine: CMA-ES total; blocks: per block and "
         "round); the stage's rows are preallocated from it"},
        {"xtol_rel", FCFIT_OPT_REAL, "1e-3", 0, 1, NULL, "", 0,
         "stop when a step changes every parameter by less than this fraction (0: off)"},
        {"ftol_rel", FCFIT_OPT_REAL, "0", 0, 1, NULL, "", 0,
         "stop when the loss changes by less than this fraction (0: off)"},
        {"stopval", FCFIT_OPT_REAL, NULL, -1e300, 1e300, NULL, "", OPTNL,
         "stop an instance once its loss is at or below this value"},
        {"initial_step", FCFIT_OPT_REAL, "0.1", 1e-9, 1, NULL, "", 0,
         "first step of local algorithms as a fraction of each parameter's range"},
        {"n_starts", FCFIT_OPT_INT, "2", 1, 10000, NULL, "", 0,
         "concurrent optimizer instances (multi-start)"},
        {"starts", FCFIT_OPT_ENUM, "previous", 0, 0, fcfit_start_names, "", 0,
         "previous: the best points of the earlier stages (a Sobol design fills up); sobol: a "
         "Sobol design over the ranges"},
        {"seeds", FCFIT_OPT_ENUM, "common", 0, 0, seed_choices, "", 0,
         "common: the same noise seeds for every evaluation of an instance (common random "
         "numbers: a smooth objective); fresh: new seeds per evaluation"},
        {"replicates", FCFIT_OPT_INT, NULL, 1, 10000, NULL, "", OPTNL,
         "noise replicates per evaluation (default: sim.replicates)"},
    };
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        fcfit_opt_desc d = keys[k];
        char key[64];
        snprintf(key, sizeof key, "%s.%s", section, keys[k].key);
        d.key = key;
        if (strcmp(section, "refine") == 0 && strcmp(keys[k].key, "params") == 0) {
            continue; /* refine.params has its own entry */
        }
        FCFIT_CHECK(fcfit_config_register(cfg, &d));
    }
    return FCFIT_OK;
}

fcfit_status fcfit_job_register_options(fcfit_config *cfg)
{
    const char *model_names[64];
    size_t nm = fcfit_model_count();
    static char model_choices_storage[64][32];
    static const char *model_choices[65];
    fcfit_opt_desc d;

    FCFIT_REQUIRE(nm < 64, FCFIT_ERR_INTERNAL, "too many models");
    for (size_t i = 0; i < nm; i++) {
        snprintf(model_choices_storage[i], sizeof model_choices_storage[i], "%s",
                 fcfit_model_at(i)->name);
        model_choices[i] = model_choices_storage[i];
        model_names[i] = model_choices[i];
    }
    model_choices[nm] = NULL;
    (void)model_names;
    memset(&d, 0, sizeof d);
    d.key = "model.name";
    d.type = FCFIT_OPT_ENUM;
    d.def = "rww";
    d.choices = model_choices;
    d.unit = "";
    d.help = "neural mass model (fcfit models lists them)";
    FCFIT_CHECK(fcfit_config_register(cfg, &d));

    for (size_t i = 0; i < nm; i++) {
        const fcfit_model_type *m = fcfit_model_at(i);
        for (size_t j = 0; j < m->n_params; j++) {
            const fcfit_model_param *p = &m->params[j];
            char key[256], def[64], help[512];
            snprintf(key, sizeof key, "model.%s.%s", m->name, p->name);
            snprintf(def, sizeof def, "%.17g", p->def);
            snprintf(help, sizeof help, "%s%s%s", p->help,
                     (p->flags & FCFIT_PARAM_NOISE) ? " (noise amplitude)" : "",
                     (p->flags & FCFIT_PARAM_DERIVED) ? " (set by the model's options unless given)"
                                                      : "");
            memset(&d, 0, sizeof d);
            d.key = key;
            d.type = (p->flags & FCFIT_PARAM_REGIONAL) ? FCFIT_OPT_REGIONAL : FCFIT_OPT_REAL;
            d.def = def;
            d.lo = p->lo;
            d.hi = p->hi;
            d.unit = p->unit;
            d.help = help;
            FCFIT_CHECK(fcfit_config_register(cfg, &d));
        }
        for (size_t o = 0; o < m->n_options; o++) {
            const fcfit_model_option *op = &m->options[o];
            char key[256];
            memset(&d, 0, sizeof d);
            snprintf(key, sizeof key, "model.%s.%s", m->name, op->name);
            d.key = key;
            d.type = FCFIT_OPT_ENUM;
            d.def = op->choices[op->def];
            d.choices = op->choices;
            d.unit = "";
            d.help = op->help;
            FCFIT_CHECK(fcfit_config_register(cfg, &d));
        }
    }
    for (size_t k = 0; k < sizeof job_options / sizeof job_options[0]; k++) {
        FCFIT_CHECK(fcfit_config_register(cfg, &job_options[k]));
    }
    FCFIT_CHECK(register_nlopt_keys(cfg, "optimize", "100"));
    FCFIT_CHECK(register_nlopt_keys(cfg, "refine", "200"));
    return FCFIT_OK;
}

char **fcfit_job_other_model_prefixes(const fcfit_model_type *keep)
{
    size_t nm = fcfit_model_count(), k = 0;
    char **out = calloc(nm + 1, sizeof *out);
    if (out == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < nm; i++) {
        const fcfit_model_type *m = fcfit_model_at(i);
        char buf[128];
        if (keep != NULL && strcmp(m->name, keep->name) == 0) {
            continue;
        }
        snprintf(buf, sizeof buf, "model.%s.", m->name);
        out[k] = fcfit_strdup(buf);
        if (out[k] == NULL) {
            fcfit_job_free_skips(out);
            return NULL;
        }
        k++;
    }
    return out;
}

void fcfit_job_free_skips(char **skips)
{
    if (skips == NULL) {
        return;
    }
    for (size_t k = 0; skips[k] != NULL; k++) {
        free(skips[k]);
    }
    free(skips);
}
