/*
 * sweep_config.c: the sweep stage from the job's `sweep.*` keys.
 *
 * sweep.params is a mapping from model parameter keys to a specification:
 *
 *   model.rww.G:     {linspace: [0.1, 1.5, 8]}      grid values a..b, n points
 *   model.rww.sigma: {values: [0.001, 0.002]}       grid values as listed
 *   model.rww.w:     {logspace: [-1, 0, 4]}         10^a .. 10^b, n points
 *   model.rww.G:     {range: [0, 2], scale: log}    sobol / lhs / random samplers
 *   model.rww.w:     {map: t1t2.csv, offset: 0.9, slope: {linspace: [-0.3, 0.3, 5]},
 *                     normalize: zscore}            p_i = offset + slope * m_i
 *
 * Every value a point can take is checked against the parameter's bounds
 * here, before anything runs, and every message names the job file line.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcfit/fcfit_matrix_io.h"
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
static fcfit_status parse_spec(const fcfit_ynode *y, const char *name, fcfit_sampler sampler,
                               fcfit_dim *d)
{
    static const char *const keys[] = {"values", "linspace", "logspace", "range", "scale", NULL};
    const fcfit_ynode *v;
    char what[300];
    int grid = sampler == FCFIT_SAMPLER_GRID;

    snprintf(what, sizeof what, "sweep.params.%s", name);
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
                      "%s: %s: sweep.sampler is %s, which draws from ranges: give {range: [lo, "
                      "hi]} (and scale: log if wanted)",
                      y->where, what, fcfit_sampler_names[sampler]);
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

static fcfit_status add_dim(fcfit_stage *s, fcfit_dim *d)
{
    fcfit_dim *nd = realloc(s->dims, (s->n_dims + 1) * sizeof *nd);
    FCFIT_REQUIRE(nd != NULL, FCFIT_ERR_NOMEM, "out of memory");
    s->dims = nd;
    s->dims[s->n_dims++] = *d;
    memset(d, 0, sizeof *d);
    return FCFIT_OK;
}

static fcfit_status check_bounds(const fcfit_model_param *p, const char *key, const char *where,
                                 double lo, double hi)
{
    const char *unit = strcmp(p->unit, "1") == 0 ? "" : p->unit;
    FCFIT_REQUIRE(lo >= p->lo && hi <= p->hi, FCFIT_ERR_CONFIG,
                  "%s: sweep.params.%s takes values in [%g, %g], outside the bounds [%g, %g]%s%s "
                  "of %s",
                  where, key, lo, hi, p->lo, p->hi, unit[0] ? " " : "", unit, key);
    return FCFIT_OK;
}

/*
 * The offset or slope of a map entry: absent (keep *fixed), a number (fixed),
 * or a specification (a new dimension "<key>.<part>"). [*lo, *hi] receives its range.
 */
static fcfit_status map_part(fcfit_stage *s, const char *key, const char *part,
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
        st = parse_spec(y, name, s->sampler, &d);
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
        st = add_dim(s, &d);
        if (st != FCFIT_OK) {
            free(d.name);
            free(d.values);
        }
        return st;
    }
    *lo = *hi = *fixed;
    return FCFIT_OK;
}

/* A map-based entry: {map: file, offset: number|spec, slope: number|spec, normalize: ..}. */
static fcfit_status parse_map(fcfit_job *job, fcfit_stage *s, const char *key, size_t param,
                              const fcfit_ynode *y)
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
    double mmin, mmax, olo, ohi, slo, shi;

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
                      "%s: sweep.params.%s: unknown key '%s'; a map entry takes map, offset, "
                      "slope and normalize",
                      y->items[k]->where, key, y->keys[k]);
    }
    FCFIT_REQUIRE(p->flags & FCFIT_PARAM_REGIONAL, FCFIT_ERR_CONFIG,
                  "%s: sweep.params.%s: a map gives one value per region, but %s is not a regional "
                  "parameter",
                  y->where, key, key);
    FCFIT_REQUIRE(mf->kind == FCFIT_Y_SCALAR && mf->text[0] != '\0', FCFIT_ERR_CONFIG,
                  "%s: sweep.params.%s.map: expected a file path", mf->where, key);
    FCFIT_REQUIRE(off != NULL || sl != NULL, FCFIT_ERR_CONFIG,
                  "%s: sweep.params.%s: give offset and/or slope (one of them swept)", y->where,
                  key);
    if (nz != NULL) {
        for (norm = 0; norm_choices[norm] != NULL; norm++) {
            if (nz->kind == FCFIT_Y_SCALAR && strcmp(nz->text, norm_choices[norm]) == 0) {
                break;
            }
        }
        FCFIT_REQUIRE(norm_choices[norm] != NULL, FCFIT_ERR_CONFIG,
                      "%s: sweep.params.%s.normalize: expected none, zscore or minmax", nz->where,
                      key);
    }
    /* Relative to the job file (the location string is "file:line"). */
    dir = job->path != NULL ? fcfit_path_dirname(job->path) : fcfit_strdup(".");
    path = fcfit_path_join(dir, mf->text);
    FCFIT_REQUIRE_GOTO(path != NULL, FCFIT_ERR_NOMEM, "out of memory");
    st = fcfit_matrix_load(path, &m);
    if (st != FCFIT_OK) {
        fcfit_error_prefix("%s: sweep.params.%s.map: ", mf->where, key);
        goto cleanup;
    }
    snprintf(label, sizeof label, "%s: %s (sweep.params.%s.map)", mf->where, path, key);
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
    FCFIT_TRY(map_part(s, key, "offset", FCFIT_DIM_MAP_OFFSET, param, off, &mp.offset,
                       &mp.offset_dim, &olo, &ohi));
    FCFIT_TRY(map_part(s, key, "slope", FCFIT_DIM_MAP_SLOPE, param, sl, &mp.slope,
                       &mp.slope_dim, &slo, &shi));
    FCFIT_REQUIRE_GOTO(mp.offset_dim >= 0 || mp.slope_dim >= 0, FCFIT_ERR_CONFIG,
                       "%s: sweep.params.%s: neither offset nor slope is swept", y->where, key);
    /* p_i is affine in (offset, slope): its extremes are at the corners. */
    {
        double c[4] = {olo + slo * mmin, olo + slo * mmax, ohi + shi * mmin, ohi + shi * mmax};
        double c2[4] = {olo + shi * mmin, olo + shi * mmax, ohi + slo * mmin, ohi + slo * mmax};
        double lo = c[0], hi = c[0];
        for (int k = 0; k < 4; k++) {
            lo = fmin(lo, fmin(c[k], c2[k]));
            hi = fmax(hi, fmax(c[k], c2[k]));
        }
        FCFIT_TRY(check_bounds(p, key, y->where, lo, hi));
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

fcfit_status job_setup_sweep(fcfit_job *job)
{
    const fcfit_config *cfg = job->cfg;
    const fcfit_ynode *tree = fcfit_config_tree(cfg, "sweep.params");
    fcfit_stage *s = NULL;
    fcfit_status st = FCFIT_OK;
    char prefix[128];

    if (tree == NULL) {
        const char *keys[] = {"sweep.sampler", "sweep.n_points", "sweep.seed", NULL};
        for (size_t k = 0; keys[k] != NULL; k++) {
            FCFIT_REQUIRE(!fcfit_config_is_set(cfg, keys[k]), FCFIT_ERR_CONFIG,
                          "%s: %s is set but sweep.params is not; there is nothing to sweep",
                          fcfit_config_where(cfg, keys[k]), keys[k]);
        }
        return FCFIT_OK;
    }
    s = calloc(1, sizeof *s);
    FCFIT_REQUIRE(s != NULL, FCFIT_ERR_NOMEM, "out of memory");
    s->name = fcfit_strdup("sweep");
    s->task_base = 0;
    s->n_regions = job->n;
    s->n_params = job->model->n_params;
    s->sampler = (fcfit_sampler)fcfit_config_enum(cfg, "sweep.sampler");
    s->sampler_seed = fcfit_config_has_value(cfg, "sweep.seed")
                          ? (uint64_t)fcfit_config_int(cfg, "sweep.seed")
                          : job->seed;
    s->objective = (int)fcfit_config_enum(cfg, "sweep.objective");
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
    FCFIT_REQUIRE_GOTO(tree->n > 0, FCFIT_ERR_CONFIG, "%s: sweep.params is empty", tree->where);
    snprintf(prefix, sizeof prefix, "model.%s.", job->model->name);
    for (size_t k = 0; k < tree->n; k++) {
        const char *key = tree->keys[k];
        const fcfit_ynode *y = tree->items[k];
        size_t param;
        if (strncmp(key, prefix, strlen(prefix)) != 0) {
            FCFIT_FAIL_GOTO(FCFIT_ERR_CONFIG,
                            "%s: sweep.params: '%s' is not a parameter of the model; expected "
                            "keys %s<param> (fcfit models %s lists them)",
                            y->where, key, prefix, job->model->name);
        }
        param = fcfit_model_param_index(job->model, key + strlen(prefix));
        if (param == (size_t)-1) {
            for (size_t o = 0; o < job->model->n_options; o++) {
                if (strcmp(job->model->options[o].name, key + strlen(prefix)) == 0) {
                    FCFIT_FAIL_GOTO(FCFIT_ERR_CONFIG,
                                    "%s: sweep.params: %s is an option of model %s, not a "
                                    "parameter; only parameters can be swept (set the option "
                                    "as %s: <choice>)",
                                    y->where, key, job->model->name, key);
                }
            }
            FCFIT_FAIL_GOTO(FCFIT_ERR_CONFIG,
                            "%s: sweep.params: %s: model %s has no parameter '%s' (fcfit models "
                            "%s lists them)",
                            y->where, key, job->model->name, key + strlen(prefix),
                            job->model->name);
        }
        for (size_t q = 0; q < k; q++) {
            FCFIT_REQUIRE_GOTO(strcmp(tree->keys[q], key) != 0, FCFIT_ERR_CONFIG,
                               "%s: sweep.params: %s is given twice", y->where, key);
        }
        if (y->kind == FCFIT_Y_MAP && child(y, "map") != NULL) {
            FCFIT_TRY(parse_map(job, s, key, param, y));
        } else {
            fcfit_dim d;
            memset(&d, 0, sizeof d);
            st = parse_spec(y, key, s->sampler, &d);
            if (st == FCFIT_OK) {
                st = check_bounds(&job->model->params[param], key, y->where, d.lo, d.hi);
            }
            if (st != FCFIT_OK) {
                free(d.values);
                goto cleanup;
            }
            d.name = fcfit_strdup(key);
            d.param = param;
            d.kind = FCFIT_DIM_GLOBAL;
            FCFIT_TRY(add_dim(s, &d));
        }
    }
    st = fcfit_stage_enumerate(s);
    if (st != FCFIT_OK) {
        /* The stage module does not know the job file: name where sweep.params was given. */
        fcfit_error_prefix("%s: ", fcfit_config_where(job->cfg, "sweep.params"));
        goto cleanup;
    }
    job->sweep = s;
    return FCFIT_OK;

cleanup:
    fcfit_stage_destroy(&s);
    return st;
}
