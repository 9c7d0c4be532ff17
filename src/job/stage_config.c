/*
 * stage_config.c: the search stages from the job's `stages`, `fit.*`,
 * `sweep.*`, `optimize.*`, `refine.*` and `validate.*` keys.
 *
 * sweep.params (and optimize.params, refine.params) is a mapping from model
 * parameter keys to a specification:
 *
 *   model.rww.G:     {linspace: [0.1, 1.5, 8]}      grid values a..b, n points
 *   model.rww.sigma: {values: [0.001, 0.002]}       grid values as listed
 *   model.rww.w:     {logspace: [-1, 0, 4]}         10^a .. 10^b, n points
 *   model.rww.G:     {range: [0, 2], scale: log}    sobol / lhs / random samplers
 *   model.rww.w:     {map: t1t2.csv, offset: 0.9, slope: {linspace: [-0.3, 0.3, 5]},
 *                     normalize: zscore}            p_i = offset + slope * m_i
 *
 * Optimizer stages take ranges only ({range: [lo, hi], scale: lin|log}; refine
 * also {} for "the parameter's own bounds"), since they choose their points.
 * Every value a point can take is checked against the parameter's bounds
 * here, before anything runs, and every message names the job file line.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcfit/fcfit_matrix_io.h"
#include "fcfit/fcfit_objective.h"
#include "fcfit/fcfit_util.h"
#include "job/job_impl.h"

static const char *const norm_choices[] = {"none", "zscore", "minmax", NULL};

static const fcfit_ynode *child(const fcfit_ynode *map, const char *key)
{
    for (size_t k = 0; k < map->n; k++) {
        if (strcmp(map->keys[k], key) == 0) {
            return map->items[k];
        }
    }
    return NULL;
}

static fcfit_status number(const fcfit_ynode *y, const char *what, double *out)
{
    char *end = NULL;
    FCFIT_REQUIRE(y->kind == FCFIT_Y_SCALAR && y->text[0] != '\0', FCFIT_ERR_CONFIG,
                  "%s: %s: expected a number", y->where, what);
    *out = strtod(y->text, &end);
    FCFIT_REQUIRE(end != NULL && *end == '\0' && isfinite(*out), FCFIT_ERR_CONFIG,
                  "%s: %s: expected a number, found '%s'", y->where, what, y->text);
    if (*out == 0.0) {
        *out = 0.0; /* -0 is 0: one setting, one job hash */
    }
    return FCFIT_OK;
}

static fcfit_status number_list(const fcfit_ynode *y, const char *what, size_t want, double *out)
{
    FCFIT_REQUIRE(y->kind == FCFIT_Y_SEQ && y->n == want, FCFIT_ERR_CONFIG,
                  "%s: %s: expected a list of %zu numbers", y->where, what, want);
    for (size_t k = 0; k < want; k++) {
        FCFIT_CHECK(number(y->items[k], what, &out[k]));
    }
    return FCFIT_OK;
}

/* A dimension spec: values | linspace | logspace | range (+ scale). */
static fcfit_status parse_spec(const fcfit_ynode *y, const char *section, const char *name,
                               fcfit_sampler sampler, fcfit_dim *d)
{
    static const char *const keys[] = {"values", "linspace", "logspace", "range", "scale", NULL};
    const fcfit_ynode *v;
    char what[300];
    int grid = sampler == FCFIT_SAMPLER_GRID;

    snprintf(what, sizeof what, "%s.%s", section, name);
    FCFIT_REQUIRE(y->kind == FCFIT_Y_MAP, FCFIT_ERR_CONFIG,
                  "%s: %s: expected a mapping such as {linspace: [a, b, n]} or {range: [lo, hi]}",
                  y->where, what);
    for (size_t k = 0; k < y->n; k++) {
        int ok = 0;
        for (size_t q = 0; keys[q] != NULL; q++) {
            ok |= strcmp(y->keys[k], keys[q]) == 0;
        }
        FCFIT_REQUIRE(ok, FCFIT_ERR_CONFIG,
                      "%s: %s: unknown key '%s'; expected values, linspace, logspace, range or "
                      "scale",
                      y->items[k]->where, what, y->keys[k]);
    }
    if ((v = child(y, "values")) != NULL || (v = child(y, "linspace")) != NULL ||
        (v = child(y, "logspace")) != NULL) {
        FCFIT_REQUIRE(grid, FCFIT_ERR_CONFIG,
                      "%s: %s: %s draws from ranges: give {range: [lo, hi]} (and scale: log if "
                      "wanted)",
                      y->where, what,
                      strcmp(section, "sweep.params") == 0 ? "this sweep.sampler" : "an optimizer");
        if (child(y, "values") != NULL) {
            FCFIT_REQUIRE(v->kind == FCFIT_Y_SEQ && v->n > 0, FCFIT_ERR_CONFIG,
                          "%s: %s.values: expected a non-empty list of numbers", v->where, what);
            d->n_values = v->n;
            d->values = calloc(v->n, sizeof(double));
            FCFIT_REQUIRE(d->values != NULL, FCFIT_ERR_NOMEM, "out of memory");
            for (size_t k = 0; k < v->n; k++) {
                FCFIT_CHECK(number(v->items[k], what, &d->values[k]));
            }
        } else {
            double abn[3];
            int logsp = child(y, "logspace") != NULL;
            size_t n;
            FCFIT_CHECK(number_list(v, logsp ? "logspace [a, b, n]" : "linspace [a, b, n]", 3,
                                    abn));
            FCFIT_REQUIRE(abn[2] >= 1 && abn[2] <= 1e7 && abn[2] == floor(abn[2]),
                          FCFIT_ERR_CONFIG, "%s: %s: the number of points must be an integer >= 1",
                          v->where, what);
            n = (size_t)abn[2];
            d->n_values = n;
            d->values = calloc(n, sizeof(double));
            FCFIT_REQUIRE(d->values != NULL, FCFIT_ERR_NOMEM, "out of memory");
            for (size_t k = 0; k < n; k++) {
                /* numpy.linspace: a + k*step, the last point exactly b */
                double x = n == 1 ? abn[0]
                           : k + 1 == n ? abn[1]
                                        : abn[0] + (double)k * (abn[1] - abn[0]) / (double)(n - 1);
                d->values[k] = logsp ? pow(10.0, x) : x;
            }
        }
        d->lo = d->values[0];
        d->hi = d->values[0];
        for (size_t k = 1; k < d->n_values; k++) {
            d->lo = fmin(d->lo, d->values[k]);
            d->hi = fmax(d->hi, d->values[k]);
        }
    } else if ((v = child(y, "range")) != NULL) {
        double lh[2];
        const fcfit_ynode *sc = child(y, "scale");
        FCFIT_REQUIRE(!grid, FCFIT_ERR_CONFIG,
                      "%s: %s: the grid sampler needs values, linspace or logspace (a range has "
                      "no points); or set sweep.sampler to sobol, lhs or random",
                      y->where, what);
        FCFIT_CHECK(number_list(v, "range [lo, hi]", 2, lh));
        FCFIT_REQUIRE(lh[0] < lh[1], FCFIT_ERR_CONFIG, "%s: %s: range [%g, %g]: expected lo < hi",
                      v->where, what, lh[0], lh[1]);
        d->lo = lh[0];
        d->hi = lh[1];
        if (sc != NULL) {
            FCFIT_REQUIRE(sc->kind == FCFIT_Y_SCALAR &&
                              (strcmp(sc->text, "lin") == 0 || strcmp(sc->text, "log") == 0),
                          FCFIT_ERR_CONFIG, "%s: %s.scale: expected lin or log", sc->where, what);
            d->log_scale = strcmp(sc->text, "log") == 0;
            FCFIT_REQUIRE(!d->log_scale || d->lo > 0.0, FCFIT_ERR_CONFIG,
                          "%s: %s: a log scale needs a positive range", sc->where, what);
        }
    } else {
        FCFIT_FAIL(FCFIT_ERR_CONFIG,
                   "%s: %s: expected one of values, linspace, logspace (grid) or range", y->where,
                   what);
    }
    return FCFIT_OK;
}

/* Append a dimension; the stage takes its name and values (freed here on failure). */
static fcfit_status add_dim(fcfit_stage *s, fcfit_dim *d)
{
    fcfit_dim *nd = realloc(s->dims, (s->n_dims + 1) * sizeof *nd);
    if (nd == NULL || d->name == NULL) {
        if (nd != NULL) {
            s->dims = nd;
        }
        free(d->name);
        free(d->values);
        memset(d, 0, sizeof *d);
        FCFIT_FAIL(FCFIT_ERR_NOMEM, "out of memory");
    }
    s->dims = nd;
    s->dims[s->n_dims++] = *d;
    memset(d, 0, sizeof *d);
    return FCFIT_OK;
}

static fcfit_status check_bounds(const fcfit_model_param *p, const char *section, const char *key,
                                 const char *where, double lo, double hi)
{
    const char *unit = strcmp(p->unit, "1") == 0 ? "" : p->unit;
    FCFIT_REQUIRE(lo >= p->lo && hi <= p->hi, FCFIT_ERR_CONFIG,
                  "%s: %s.%s takes values in [%g, %g], outside the bounds [%g, %g]%s%s of %s",
                  where, section, key, lo, hi, p->lo, p->hi, unit[0] ? " " : "", unit, key);
    return FCFIT_OK;
}

/*
 * The offset or slope of a map entry: absent (keep *fixed), a number (fixed),
 * or a specification (a new dimension "<key>.<part>"). [*lo, *hi] receives its range.
 */
static fcfit_status map_part(fcfit_stage *s, const char *section, const char *key, const char *part,
                             fcfit_dim_kind kind, size_t param, const fcfit_ynode *y,
                             double *fixed, long *dim, double *lo, double *hi)
{
    fcfit_dim d;
    char name[300];
    fcfit_status st;
    if (y != NULL && y->kind == FCFIT_Y_SCALAR) {
        FCFIT_CHECK(number(y, part, fixed));
    } else if (y != NULL) {
        memset(&d, 0, sizeof d);
        snprintf(name, sizeof name, "%s.%s", key, part);
        st = parse_spec(y, section, name, s->sampler, &d);
        if (st != FCFIT_OK) {
            free(d.values);
            return st;
        }
        d.name = fcfit_strdup(name);
        d.param = param;
        d.kind = kind;
        d.map = s->n_maps;
        *lo = d.lo;
        *hi = d.hi;
        *dim = (long)s->n_dims;
        return add_dim(s, &d);
    }
    *lo = *hi = *fixed;
    return FCFIT_OK;
}

/* A map-based entry: {map: file, offset: number|spec, slope: number|spec, normalize: ..}. */
static fcfit_status parse_map(fcfit_job *job, fcfit_stage *s, const char *section,
                             const char *key, size_t param, const fcfit_ynode *y)
{
    static const char *const keys[] = {"map", "offset", "slope", "normalize", NULL};
    const fcfit_model_param *p = &job->model->params[param];
    const fcfit_ynode *mf = child(y, "map"), *off = child(y, "offset"), *sl = child(y, "slope");
    const fcfit_ynode *nz = child(y, "normalize");
    fcfit_map_param mp;
    fcfit_matrix m = {0, 0, NULL};
    fcfit_status st = FCFIT_OK;
    char *path = NULL, *dir = NULL, label[2048];
    size_t norm = 0;
    double mmin, mmax, olo = 0.0, ohi = 0.0, slo = 0.0, shi = 0.0;

    memset(&mp, 0, sizeof mp);
    mp.param = param;
    mp.offset_dim = -1;
    mp.slope_dim = -1;
    for (size_t k = 0; k < y->n; k++) {
        int ok = 0;
        for (size_t q = 0; keys[q] != NULL; q++) {
            ok |= strcmp(y->keys[k], keys[q]) == 0;
        }
        FCFIT_REQUIRE(ok, FCFIT_ERR_CONFIG,
                      "%s: %s.%s: unknown key '%s'; a map entry takes map, offset, slope and "
                      "normalize",
                      y->items[k]->where, section, key, y->keys[k]);
    }
    FCFIT_REQUIRE(p->flags & FCFIT_PARAM_REGIONAL, FCFIT_ERR_CONFIG,
                  "%s: %s.%s: a map gives one value per region, but %s is not a regional "
                  "parameter",
                  y->where, section, key, key);
    FCFIT_REQUIRE(mf->kind == FCFIT_Y_SCALAR && mf->text[0] != '\0', FCFIT_ERR_CONFIG,
                  "%s: %s.%s.map: expected a file path", mf->where, section, key);
    FCFIT_REQUIRE(off != NULL || sl != NULL, FCFIT_ERR_CONFIG,
                  "%s: %s.%s: give offset and/or slope (one of them free)", y->where, section,
                  key);
    if (nz != NULL) {
        for (norm = 0; norm_choices[norm] != NULL; norm++) {
            if (nz->kind == FCFIT_Y_SCALAR && strcmp(nz->text, norm_choices[norm]) == 0) {
                break;
            }
        }
        FCFIT_REQUIRE(norm_choices[norm] != NULL, FCFIT_ERR_CONFIG,
                      "%s: %s.%s.normalize: expected none, zscore or minmax", nz->where,
                      section, key);
    }
    /* Relative to the job file (the location string is "file:line"). */
    dir = job->path != NULL ? fcfit_path_dirname(job->path) : fcfit_strdup(".");
    path = fcfit_path_join(dir, mf->text);
    FCFIT_REQUIRE_GOTO(path != NULL, FCFIT_ERR_NOMEM, "out of memory");
    st = fcfit_matrix_load(path, &m);
    if (st != FCFIT_OK) {
        fcfit_error_prefix("%s: %s.%s.map: ", mf->where, section, key);
        goto cleanup;
    }
    snprintf(label, sizeof label, "%s: %s (%s.%s.map)", mf->where, path, section, key);
    if (m.rows == 1 && m.cols > 1) {
        m.rows = m.cols;
        m.cols = 1;
    }
    FCFIT_REQUIRE_GOTO(m.cols == 1 && m.rows == job->n, FCFIT_ERR_INPUT,
                       "%s: holds %zu x %zu values; expected a vector of %zu (one per region)",
                       label, m.rows, m.cols, job->n);
    FCFIT_TRY(fcfit_matrix_check_finite(&m, label));
    mp.m = m.data;
    m.data = NULL;
    if (norm == 1 || norm == 2) {
        double mean = 0, var = 0, lo = mp.m[0], hi = mp.m[0];
        for (size_t i = 0; i < job->n; i++) {
            mean += mp.m[i];
            lo = fmin(lo, mp.m[i]);
            hi = fmax(hi, mp.m[i]);
        }
        mean /= (double)job->n;
        for (size_t i = 0; i < job->n; i++) {
            var += (mp.m[i] - mean) * (mp.m[i] - mean);
        }
        var /= (double)job->n;
        FCFIT_REQUIRE_GOTO(hi > lo, FCFIT_ERR_INPUT, "%s: the map is constant; cannot normalise it",
                           label);
        for (size_t i = 0; i < job->n; i++) {
            mp.m[i] = norm == 1 ? (mp.m[i] - mean) / sqrt(var) : (mp.m[i] - lo) / (hi - lo);
        }
    }
    mmin = mp.m[0];
    mmax = mp.m[0];
    for (size_t i = 1; i < job->n; i++) {
        mmin = fmin(mmin, mp.m[i]);
        mmax = fmax(mmax, mp.m[i]);
    }
    /* No offset given: the job's value of the parameter in region 1; no slope: 0. */
    mp.offset = job->params[param * job->n];
    FCFIT_TRY(map_part(s, section, key, "offset", FCFIT_DIM_MAP_OFFSET, param, off, &mp.offset,
                       &mp.offset_dim, &olo, &ohi));
    FCFIT_TRY(map_part(s, section, key, "slope", FCFIT_DIM_MAP_SLOPE, param, sl, &mp.slope,
                       &mp.slope_dim, &slo, &shi));
    FCFIT_REQUIRE_GOTO(mp.offset_dim >= 0 || mp.slope_dim >= 0, FCFIT_ERR_CONFIG,
                       "%s: %s.%s: neither offset nor slope is free", y->where, section, key);
    /* p_i is affine in (offset, slope): its extremes are at the corners. */
    {
        double c[4] = {olo + slo * mmin, olo + slo * mmax, ohi + shi * mmin, ohi + shi * mmax};
        double c2[4] = {olo + shi * mmin, olo + shi * mmax, ohi + slo * mmin, ohi + slo * mmax};
        double lo = c[0], hi = c[0];
        for (int k = 0; k < 4; k++) {
            lo = fmin(lo, fmin(c[k], c2[k]));
            hi = fmax(hi, fmax(c[k], c2[k]));
        }
        FCFIT_TRY(check_bounds(p, section, key, y->where, lo, hi));
    }
    {
        fcfit_map_param *nm = realloc(s->maps, (s->n_maps + 1) * sizeof *nm);
        FCFIT_REQUIRE_GOTO(nm != NULL, FCFIT_ERR_NOMEM, "out of memory");
        s->maps = nm;
        s->maps[s->n_maps++] = mp;
        mp.m = NULL;
    }

cleanup:
    free(mp.m);
    fcfit_matrix_free(&m);
    free(path);
    free(dir);
    return st;
}

/* Resolve "model.<name>.<param>" to a parameter index, with messages naming the section. */
static fcfit_status resolve_param(const fcfit_job *job, const char *section, const char *key,
                                  const fcfit_ynode *y, size_t *param)
{
    char prefix[128];
    snprintf(prefix, sizeof prefix, "model.%s.", job->model->name);
    FCFIT_REQUIRE(strncmp(key, prefix, strlen(prefix)) == 0, FCFIT_ERR_CONFIG,
                  "%s: %s: '%s' is not a parameter of the model; expected keys %s<param> (fcfit "
                  "models %s lists them)",
                  y->where, section, key, prefix, job->model->name);
    *param = fcfit_model_param_index(job->model, key + strlen(prefix));
    if (*param == (size_t)-1) {
        for (size_t o = 0; o < job->model->n_options; o++) {
            FCFIT_REQUIRE(strcmp(job->model->options[o].name, key + strlen(prefix)) != 0,
                          FCFIT_ERR_CONFIG,
                          "%s: %s: %s is an option of model %s, not a parameter; only parameters "
                          "can be searched (set the option as %s: <choice>)",
                          y->where, section, key, job->model->name, key);
        }
        FCFIT_FAIL(FCFIT_ERR_CONFIG,
                   "%s: %s: %s: model %s has no parameter '%s' (fcfit models %s lists them)",
                   y->where, section, key, job->model->name, key + strlen(prefix),
                   job->model->name);
    }
    return FCFIT_OK;
}

typedef enum tree_mode {
    TREE_SWEEP,    /* grid values or ranges, maps */
    TREE_RANGES,   /* optimizer: ranges, maps */
    TREE_REGIONAL, /* refine: one dimension per region of each listed regional parameter */
    TREE_MAPS      /* refine by maps: map entries only */
} tree_mode;

/* One dimension per region of a regional parameter, for the refine stage. */
static fcfit_status add_regional(fcfit_job *job, fcfit_stage *s, const char *key, size_t param,
                                 const fcfit_ynode *y)
{
    const fcfit_model_param *p = &job->model->params[param];
    fcfit_dim proto;
    size_t *nr;

    FCFIT_REQUIRE(p->flags & FCFIT_PARAM_REGIONAL, FCFIT_ERR_CONFIG,
                  "%s: refine.params.%s: %s is not a regional parameter, so it cannot take one "
                  "value per region (fcfit models %s marks the regional ones)",
                  y->where, key, key, job->model->name);
    memset(&proto, 0, sizeof proto);
    proto.lo = p->lo;
    proto.hi = p->hi;
    if (y->kind == FCFIT_Y_MAP && y->n > 0) {
        FCFIT_CHECK(parse_spec(y, "refine.params", key, FCFIT_SAMPLER_RANDOM, &proto));
        FCFIT_CHECK(check_bounds(p, "refine.params", key, y->where, proto.lo, proto.hi));
    } else {
        FCFIT_REQUIRE(y->kind == FCFIT_Y_MAP || (y->kind == FCFIT_Y_SCALAR && y->text[0] == '\0'),
                      FCFIT_ERR_CONFIG,
                      "%s: refine.params.%s: expected {} (the parameter's bounds [%g, %g]) or "
                      "{range: [lo, hi], scale: lin|log}",
                      y->where, key, p->lo, p->hi);
        FCFIT_REQUIRE(isfinite(p->lo) && isfinite(p->hi) && p->hi - p->lo < 1e6, FCFIT_ERR_CONFIG,
                      "%s: refine.params.%s: the parameter's bounds [%g, %g] are too wide to "
                      "search; give {range: [lo, hi]}",
                      y->where, key, p->lo, p->hi);
    }
    for (size_t i = 0; i < job->n; i++) {
        fcfit_dim d = proto;
        char name[300];
        snprintf(name, sizeof name, "%s[%zu]", key, i);
        d.name = fcfit_strdup(name);
        d.param = param;
        d.kind = FCFIT_DIM_REGION;
        d.map = i;
        FCFIT_CHECK(add_dim(s, &d));
    }
    nr = realloc(s->regional, (s->n_regional + 1) * sizeof *nr);
    FCFIT_REQUIRE(nr != NULL, FCFIT_ERR_NOMEM, "out of memory");
    s->regional = nr;
    s->regional[s->n_regional++] = param;
    return FCFIT_OK;
}

/* The entries of a params tree (sweep.params, optimize.params, refine.params) as dimensions. */
static fcfit_status parse_params_tree(fcfit_job *job, fcfit_stage *s, const char *section,
                                      const fcfit_ynode *tree, tree_mode mode)
{
    FCFIT_REQUIRE(tree->kind == FCFIT_Y_MAP, FCFIT_ERR_CONFIG,
                  "%s: %s: expected a mapping of model.%s.<param> keys", tree->where, section,
                  job->model->name);
    FCFIT_REQUIRE(tree->n > 0, FCFIT_ERR_CONFIG, "%s: %s is empty", tree->where, section);
    for (size_t k = 0; k < tree->n; k++) {
        const char *key = tree->keys[k];
        const fcfit_ynode *y = tree->items[k];
        int is_map = y->kind == FCFIT_Y_MAP && child(y, "map") != NULL;
        size_t param;
        FCFIT_CHECK(resolve_param(job, section, key, y, &param));
        for (size_t q = 0; q < k; q++) {
            FCFIT_REQUIRE(strcmp(tree->keys[q], key) != 0, FCFIT_ERR_CONFIG,
                          "%s: %s: %s is given twice", y->where, section, key);
        }
        if (mode == TREE_REGIONAL) {
            FCFIT_REQUIRE(!is_map, FCFIT_ERR_CONFIG,
                          "%s: refine.params.%s: a map entry needs refine.method: map", y->where,
                          key);
            FCFIT_CHECK(add_regional(job, s, key, param, y));
        } else if (is_map) {
            FCFIT_CHECK(parse_map(job, s, section, key, param, y));
        } else {
            fcfit_dim d;
            fcfit_status st;
            FCFIT_REQUIRE(mode != TREE_MAPS, FCFIT_ERR_CONFIG,
                          "%s: refine.params.%s: refine.method map takes map entries {map: file, "
                          "offset: .., slope: ..}",
                          y->where, key);
            memset(&d, 0, sizeof d);
            if (mode == TREE_RANGES && y->kind == FCFIT_Y_MAP && y->n == 0) {
                /* {}: the parameter's own bounds, when they are a searchable range. */
                const fcfit_model_param *mp = &job->model->params[param];
                FCFIT_REQUIRE(mp->hi - mp->lo < 1e6, FCFIT_ERR_CONFIG,
                              "%s: %s.%s: the parameter's bounds [%g, %g] are too wide to "
                              "search; give {range: [lo, hi]}",
                              y->where, section, key, mp->lo, mp->hi);
                d.lo = mp->lo;
                d.hi = mp->hi;
                st = FCFIT_OK;
            } else {
                st = parse_spec(y, section, key, s->sampler, &d);
            }
            if (st == FCFIT_OK) {
                st = check_bounds(&job->model->params[param], section, key, y->where, d.lo, d.hi);
            }
            if (st != FCFIT_OK) {
                free(d.values);
                return st;
            }
            d.name = fcfit_strdup(key);
            d.param = param;
            d.kind = FCFIT_DIM_GLOBAL;
            FCFIT_CHECK(add_dim(s, &d));
        }
    }
    return FCFIT_OK;
}

static fcfit_status new_stage(const fcfit_job *job, fcfit_stage_kind kind, fcfit_stage **out)
{
    fcfit_stage *s = calloc(1, sizeof *s);
    FCFIT_REQUIRE(s != NULL, FCFIT_ERR_NOMEM, "out of memory");
    s->kind = kind;
    s->name = fcfit_strdup(fcfit_stage_kind_names[kind]);
    s->task_base = FCFIT_STAGE_TASK(kind, 0);
    s->n_regions = job->n;
    s->n_params = job->model->n_params;
    s->replicates = job->replicates;
    s->sampler = FCFIT_SAMPLER_RANDOM; /* optimizer stages take ranges */
    if (s->name == NULL) {
        free(s);
        FCFIT_FAIL(FCFIT_ERR_NOMEM, "out of memory");
    }
    *out = s;
    return FCFIT_OK;
}

static fcfit_status setup_sweep(fcfit_job *job, const fcfit_ynode *tree)
{
    const fcfit_config *cfg = job->cfg;
    fcfit_stage *s = NULL;
    fcfit_status st = FCFIT_OK;

    FCFIT_CHECK(new_stage(job, FCFIT_STAGE_SWEEP, &s));
    s->sampler = (fcfit_sampler)fcfit_config_enum(cfg, "sweep.sampler");
    s->sampler_seed = fcfit_config_has_value(cfg, "sweep.seed")
                          ? (uint64_t)fcfit_config_int(cfg, "sweep.seed")
                          : job->seed;
    s->n_points = (size_t)fcfit_config_int(cfg, "sweep.n_points");
    if (s->sampler == FCFIT_SAMPLER_GRID) {
        FCFIT_REQUIRE_GOTO(!fcfit_config_is_set(cfg, "sweep.n_points"), FCFIT_ERR_CONFIG,
                           "%s: sweep.n_points is for the sobol, lhs and random samplers; the "
                           "grid's size follows from its values",
                           fcfit_config_where(cfg, "sweep.n_points"));
    } else {
        FCFIT_REQUIRE_GOTO(s->n_points > 0, FCFIT_ERR_CONFIG,
                           "%s: sweep.sampler %s needs sweep.n_points > 0",
                           fcfit_config_where(cfg, "sweep.sampler"), fcfit_sampler_names[s->sampler]);
    }
    FCFIT_TRY(parse_params_tree(job, s, "sweep.params", tree, TREE_SWEEP));
    st = fcfit_stage_enumerate(s);
    if (st != FCFIT_OK) {
        fcfit_error_prefix("%s: ", tree->where);
        goto cleanup;
    }
    s->capacity = s->n_points;
    job->stages[FCFIT_STAGE_SWEEP] = s;
    return FCFIT_OK;

cleanup:
    fcfit_stage_destroy(&s);
    return st;
}

/* The NLopt settings shared by optimize and refine (blocks, map): <section>.algorithm etc. */
static fcfit_status nlopt_settings(const fcfit_job *job, fcfit_stage *s, const char *section)
{
    const fcfit_config *cfg = job->cfg;
    char key[64];
#define KEY(name) (snprintf(key, sizeof key, "%s.%s", section, name), key)
    snprintf(s->algorithm, sizeof s->algorithm, "%s", fcfit_config_string(cfg, KEY("algorithm")));
    snprintf(s->local_algorithm, sizeof s->local_algorithm, "%s",
             fcfit_config_string(cfg, KEY("local_algorithm")));
    s->maxeval = (size_t)fcfit_config_int(cfg, KEY("maxeval"));
    s->xtol_rel = fcfit_config_real(cfg, KEY("xtol_rel"));
    s->ftol_rel = fcfit_config_real(cfg, KEY("ftol_rel"));
    s->has_stopval = fcfit_config_has_value(cfg, KEY("stopval"));
    s->stopval = s->has_stopval ? fcfit_config_real(cfg, KEY("stopval")) : 0.0;
    s->initial_step = fcfit_config_real(cfg, KEY("initial_step"));
    s->n_starts = (size_t)fcfit_config_int(cfg, KEY("n_starts"));
    s->starts = (fcfit_start_kind)fcfit_config_enum(cfg, KEY("starts"));
    s->common_seeds = fcfit_config_enum(cfg, KEY("seeds")) == 0;
    if (fcfit_config_has_value(cfg, KEY("replicates"))) {
        s->replicates = (size_t)fcfit_config_int(cfg, KEY("replicates"));
    }
    FCFIT_REQUIRE(!fcfit_config_is_set(cfg, KEY("local_algorithm")) ||
                      strcmp(s->algorithm, "G_MLSL_LDS") == 0,
                  FCFIT_ERR_CONFIG,
                  "%s: %s.local_algorithm is used only by G_MLSL_LDS, not by %s",
                  fcfit_config_where(cfg, KEY("local_algorithm")), section, s->algorithm);
#undef KEY
    return FCFIT_OK;
}

/* NLopt's BOBYQA and NEWUOA need at least two dimensions. */
static fcfit_status check_nlopt_dims(const fcfit_job *job, const fcfit_stage *s, const char *section,
                                     size_t n)
{
    char key[64];
    snprintf(key, sizeof key, "%s.algorithm", section);
    FCFIT_REQUIRE(n >= 2 || (strcmp(s->algorithm, "LN_BOBYQA") != 0 &&
                             strcmp(s->algorithm, "LN_NEWUOA_BOUND") != 0),
                  FCFIT_ERR_CONFIG,
                  "%s: %s: %s needs at least 2 free dimensions, and this stage has %zu; choose "
                  "LN_SBPLX or LN_NELDERMEAD",
                  fcfit_config_where(job->cfg, key), key, s->algorithm, n);
    return FCFIT_OK;
}

/* Copy the sweep's dimensions and maps as the optimizer's (ranges from min to max of each dimension). */
static fcfit_status copy_sweep_dims(const fcfit_job *job, fcfit_stage *s)
{
    const fcfit_stage *sw = job->stages[FCFIT_STAGE_SWEEP];
    long *remap = calloc(sw->n_dims + 1, sizeof *remap);
    fcfit_status st = FCFIT_OK;
    FCFIT_REQUIRE(remap != NULL, FCFIT_ERR_NOMEM, "out of memory");
    for (size_t d = 0; d < sw->n_dims; d++) {
        fcfit_dim nd = sw->dims[d];
        remap[d] = -1;
        if (!(nd.hi > nd.lo)) {
            continue; /* a single value is not a free dimension */
        }
        nd.name = fcfit_strdup(nd.name);
        nd.values = NULL;
        nd.n_values = 0;
        nd.log_scale = sw->dims[d].log_scale;
        remap[d] = (long)s->n_dims;
        FCFIT_TRY(add_dim(s, &nd));
    }
    for (size_t k = 0; k < sw->n_maps; k++) {
        fcfit_map_param mp = sw->maps[k];
        fcfit_map_param *nm;
        mp.m = calloc(job->n, sizeof(double));
        FCFIT_REQUIRE_GOTO(mp.m != NULL, FCFIT_ERR_NOMEM, "out of memory");
        memcpy(mp.m, sw->maps[k].m, job->n * sizeof(double));
        if (mp.offset_dim >= 0) {
            if (remap[mp.offset_dim] < 0) {
                mp.offset = sw->dims[mp.offset_dim].lo;
            }
            mp.offset_dim = remap[mp.offset_dim];
        }
        if (mp.slope_dim >= 0) {
            if (remap[mp.slope_dim] < 0) {
                mp.slope = sw->dims[mp.slope_dim].lo;
            }
            mp.slope_dim = remap[mp.slope_dim];
        }
        nm = realloc(s->maps, (s->n_maps + 1) * sizeof *nm);
        if (nm == NULL) {
            free(mp.m);
            FCFIT_FAIL_GOTO(FCFIT_ERR_NOMEM, "out of memory");
        }
        s->maps = nm;
        s->maps[s->n_maps++] = mp;
    }
    for (size_t d = 0; d < s->n_dims; d++) {
        if (s->dims[d].kind != FCFIT_DIM_GLOBAL) {
            s->dims[d].map = s->n_maps; /* fixed below */
        }
    }
    for (size_t k = 0; k < s->n_maps; k++) {
        if (s->maps[k].offset_dim >= 0) {
            s->dims[s->maps[k].offset_dim].map = k;
        }
        if (s->maps[k].slope_dim >= 0) {
            s->dims[s->maps[k].slope_dim].map = k;
        }
    }

cleanup:
    free(remap);
    return st;
}

static fcfit_status setup_optimize(fcfit_job *job)
{
    const fcfit_config *cfg = job->cfg;
    const fcfit_ynode *tree = fcfit_config_tree(cfg, "optimize.params");
    fcfit_stage *s = NULL;
    fcfit_status st = FCFIT_OK;

    FCFIT_CHECK(new_stage(job, FCFIT_STAGE_OPTIMIZE, &s));
    FCFIT_TRY(nlopt_settings(job, s, "optimize"));
    if (tree != NULL) {
        FCFIT_TRY(parse_params_tree(job, s, "optimize.params", tree, TREE_RANGES));
    } else {
        FCFIT_REQUIRE_GOTO(job->stages[FCFIT_STAGE_SWEEP] != NULL, FCFIT_ERR_CONFIG,
                           "%s: the optimize stage needs optimize.params (its free parameters "
                           "with ranges) when there is no sweep to take them from",
                           job->path != NULL ? job->path : "job");
        FCFIT_TRY(copy_sweep_dims(job, s));
        FCFIT_REQUIRE_GOTO(s->n_dims > 0, FCFIT_ERR_CONFIG,
                           "%s: the sweep has no dimension with more than one value for the "
                           "optimize stage to search; give optimize.params",
                           job->path != NULL ? job->path : "job");
    }
    FCFIT_TRY(check_nlopt_dims(job, s, "optimize", s->n_dims));
    s->capacity = s->n_starts * s->maxeval;
    job->stages[FCFIT_STAGE_OPTIMIZE] = s;
    return FCFIT_OK;

cleanup:
    fcfit_stage_destroy(&s);
    return st;
}

/* CMA-ES default population: 4 + floor(3 ln n) (Hansen 2016, "The CMA Evolution Strategy: A Tutorial"). */
static size_t cmaes_default_popsize(size_t n)
{
    return 4 + (size_t)floor(3.0 * log((double)n));
}

static fcfit_status setup_refine(fcfit_job *job)
{
    const fcfit_config *cfg = job->cfg;
    const fcfit_ynode *tree = fcfit_config_tree(cfg, "refine.params");
    fcfit_stage *s = NULL;
    fcfit_status st = FCFIT_OK;

    FCFIT_CHECK(new_stage(job, FCFIT_STAGE_REFINE, &s));
    FCFIT_TRY(nlopt_settings(job, s, "refine"));
    s->method = (fcfit_refine_method)fcfit_config_enum(cfg, "refine.method");
    FCFIT_REQUIRE_GOTO(tree != NULL, FCFIT_ERR_CONFIG,
                       "%s: the refine stage needs refine.params: the regional parameters to free "
                       "per region, e.g. refine.params: {model.%s.<param>: {}}",
                       job->path != NULL ? job->path : "job", job->model->name);
    FCFIT_TRY(parse_params_tree(job, s, "refine.params", tree,
                                s->method == FCFIT_REFINE_MAP ? TREE_MAPS : TREE_REGIONAL));
    switch (s->method) {
    case FCFIT_REFINE_CMAES: {
        size_t gens;
        s->popsize = fcfit_config_int(cfg, "refine.popsize") > 0
                         ? (size_t)fcfit_config_int(cfg, "refine.popsize")
                         : cmaes_default_popsize(s->n_dims);
        s->sigma0 = fcfit_config_real(cfg, "refine.sigma0");
        gens = s->maxeval / s->popsize;
        FCFIT_REQUIRE_GOTO(gens >= 1, FCFIT_ERR_CONFIG,
                           "%s: refine.maxeval %zu is less than one CMA-ES generation of %zu "
                           "evaluations (refine.popsize)",
                           fcfit_config_where(cfg, "refine.maxeval"), s->maxeval, s->popsize);
        s->capacity = gens * s->popsize;
        break;
    }
    case FCFIT_REFINE_BLOCKS:
        s->n_blocks = (size_t)fcfit_config_int(cfg, "refine.blocks");
        s->rounds = (size_t)fcfit_config_int(cfg, "refine.rounds");
        FCFIT_REQUIRE_GOTO(s->n_blocks <= job->n, FCFIT_ERR_CONFIG,
                           "%s: refine.blocks %zu is more than the %zu regions",
                           fcfit_config_where(cfg, "refine.blocks"), s->n_blocks, job->n);
        FCFIT_TRY(check_nlopt_dims(job, s, "refine",
                                   s->n_regional * (job->n / s->n_blocks)));
        s->capacity = s->rounds * (s->n_blocks * s->maxeval + 1);
        break;
    case FCFIT_REFINE_MAP:
        FCFIT_TRY(check_nlopt_dims(job, s, "refine", s->n_dims));
        s->capacity = s->n_starts * s->maxeval;
        break;
    }
    job->stages[FCFIT_STAGE_REFINE] = s;
    return FCFIT_OK;

cleanup:
    fcfit_stage_destroy(&s);
    return st;
}

static fcfit_status setup_validate(fcfit_job *job)
{
    const fcfit_config *cfg = job->cfg;
    fcfit_stage *s = NULL;
    int earlier = 0;

    for (int k = 0; k < FCFIT_STAGE_VALIDATE; k++) {
        earlier |= job->stages[k] != NULL;
    }
    FCFIT_REQUIRE(earlier, FCFIT_ERR_CONFIG,
                  "%s: the validate stage re-evaluates the best candidates of earlier stages, but "
                  "the job has no sweep, optimize or refine stage",
                  fcfit_config_is_set(cfg, "stages") ? fcfit_config_where(cfg, "stages")
                  : job->path != NULL                 ? job->path
                                                      : "job");
    FCFIT_CHECK(new_stage(job, FCFIT_STAGE_VALIDATE, &s));
    s->n_candidates = (size_t)fcfit_config_int(cfg, "validate.candidates");
    s->replicates = (size_t)fcfit_config_int(cfg, "validate.replicates");
    s->has_target2 = job->target2 != NULL;
    s->capacity = s->n_candidates;
    job->stages[FCFIT_STAGE_VALIDATE] = s;
    return FCFIT_OK;
}

/* Is any key of a section given? Returns the first one's name, or NULL. */
static const char *section_key_set(const fcfit_config *cfg, const char *section)
{
    size_t len = strlen(section);
    for (size_t i = 0; i < fcfit_config_count(cfg); i++) {
        const char *k = fcfit_config_key_at(cfg, i);
        if (strncmp(k, section, len) == 0 && k[len] == '.' && fcfit_config_is_set(cfg, k) &&
            strcmp(k, "sweep.objective") != 0) {
            return k;
        }
    }
    return NULL;
}

static fcfit_status setup_objective(fcfit_job *job)
{
    const fcfit_config *cfg = job->cfg;
    const char *key = "fit.objective";
    char where[512];
    if (fcfit_config_is_set(cfg, "sweep.objective")) {
        FCFIT_REQUIRE(!fcfit_config_is_set(cfg, "fit.objective"), FCFIT_ERR_CONFIG,
                      "%s: sweep.objective and fit.objective are both set; fit.objective (used "
                      "by every stage) replaces sweep.objective",
                      fcfit_config_where(cfg, "sweep.objective"));
        key = "sweep.objective";
    }
    snprintf(where, sizeof where, "%s: %s", fcfit_config_where(cfg, key), key);
    FCFIT_CHECK(fcfit_objective_parse(fcfit_config_string(cfg, key), where, &job->objective));
    job->objective.penalty = fcfit_config_real(cfg, "fit.penalty");
    for (int k = 0; k < FCFIT_SCORE_COUNT; k++) {
        FCFIT_REQUIRE(!fcfit_objective_uses(&job->objective, k) || k != FCFIT_SCORE_FCD_KS ||
                          job->target == NULL || job->target->has_fcd,
                      FCFIT_ERR_CONFIG,
                      "%s: the objective uses fcd_ks, which needs empirical BOLD (target.bold)",
                      where);
    }
    return FCFIT_OK;
}

fcfit_status job_setup_stages(fcfit_job *job)
{
    const fcfit_config *cfg = job->cfg;
    const fcfit_ynode *list = fcfit_config_tree(cfg, "stages");
    const fcfit_ynode *sweep_tree = fcfit_config_tree(cfg, "sweep.params");
    int want[FCFIT_STAGE_KIND_COUNT] = {0, 0, 0, 0};
    fcfit_status st = FCFIT_OK;

    FCFIT_CHECK(setup_objective(job));
    if (list != NULL) {
        int last = -1;
        FCFIT_REQUIRE(list->kind == FCFIT_Y_SEQ && list->n > 0, FCFIT_ERR_CONFIG,
                      "%s: stages: expected a list such as [sweep, optimize, refine, validate]",
                      list->where);
        for (size_t i = 0; i < list->n; i++) {
            const fcfit_ynode *y = list->items[i];
            int k = y->kind == FCFIT_Y_SCALAR ? fcfit_name_index(fcfit_stage_kind_names, y->text)
                                              : -1;
            FCFIT_REQUIRE(k >= 0, FCFIT_ERR_CONFIG,
                          "%s: stages: '%s' is not a stage; expected sweep, optimize, refine or "
                          "validate",
                          y->where, y->kind == FCFIT_Y_SCALAR ? y->text : "(not a name)");
            FCFIT_REQUIRE(!want[k], FCFIT_ERR_CONFIG, "%s: stages: %s is listed twice", y->where,
                          y->text);
            FCFIT_REQUIRE(k > last, FCFIT_ERR_CONFIG,
                          "%s: stages: %s comes after %s; stages always run in the order sweep, "
                          "optimize, refine, validate",
                          y->where, y->text, fcfit_stage_kind_names[last]);
            want[k] = 1;
            last = k;
        }
    } else {
        /* Without a list, the stages are those whose section is given. */
        want[FCFIT_STAGE_SWEEP] = sweep_tree != NULL;
        for (int k = FCFIT_STAGE_OPTIMIZE; k < FCFIT_STAGE_KIND_COUNT; k++) {
            want[k] = section_key_set(cfg, fcfit_stage_kind_names[k]) != NULL;
        }
    }
    /* Keys of a stage that does not run are a mistake worth naming. */
    for (int k = 0; k < FCFIT_STAGE_KIND_COUNT; k++) {
        const char *given = section_key_set(cfg, fcfit_stage_kind_names[k]);
        if (k == FCFIT_STAGE_SWEEP && !want[k] && given != NULL && list == NULL) {
            FCFIT_FAIL(FCFIT_ERR_CONFIG, "%s: %s is set but sweep.params is not; there is nothing "
                       "to sweep", fcfit_config_where(cfg, given), given);
        }
        FCFIT_REQUIRE(want[k] || given == NULL, FCFIT_ERR_CONFIG,
                      "%s: %s is set, but the %s stage is not in stages (%s)",
                      fcfit_config_where(cfg, given), given, fcfit_stage_kind_names[k],
                      fcfit_config_where(cfg, "stages"));
    }
    if (want[FCFIT_STAGE_SWEEP]) {
        FCFIT_REQUIRE(sweep_tree != NULL, FCFIT_ERR_CONFIG,
                      "%s: stages lists sweep, but sweep.params (the swept parameters) is not set",
                      fcfit_config_where(cfg, "stages"));
        FCFIT_CHECK(setup_sweep(job, sweep_tree));
    }
    for (int k = FCFIT_STAGE_OPTIMIZE; k < FCFIT_STAGE_KIND_COUNT; k++) {
        if (want[k]) {
            FCFIT_REQUIRE(job->target != NULL, FCFIT_ERR_CONFIG,
                          "%s: the %s stage fits the model to a target, but the job has none "
                          "(set target.fc, target.bold or target.synthetic)",
                          job->path != NULL ? job->path : "job", fcfit_stage_kind_names[k]);
        }
    }
    if (want[FCFIT_STAGE_OPTIMIZE]) {
        FCFIT_TRY(setup_optimize(job));
    }
    if (want[FCFIT_STAGE_REFINE]) {
        FCFIT_TRY(setup_refine(job));
    }
    if (want[FCFIT_STAGE_VALIDATE]) {
        FCFIT_TRY(setup_validate(job));
    } else {
        FCFIT_REQUIRE_GOTO(job->target2 == NULL, FCFIT_ERR_CONFIG,
                           "%s: validate.target is set but there is no validate stage",
                           job->path != NULL ? job->path : "job");
    }
    return FCFIT_OK;

cleanup:
    for (int k = 0; k < FCFIT_STAGE_KIND_COUNT; k++) {
        fcfit_stage_destroy(&job->stages[k]);
    }
    return st;
}
