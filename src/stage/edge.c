/*
 * edge.c: is the best point of a stage on the edge of what the stage
 * searched (fcfit_stage_edge)? A best point at a bound usually means that the
 * optimum lies outside the range: a warning, never an error. Also the
 * per-subject sweep (fcfit_stage_add_subjects): the subject as one more,
 * outermost, dimension of the sweep's rows.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcfit/fcfit_stage.h"

/* -1: at the lower end, +1: at the upper end, 0: inside (or the dimension is not searched). */
static int dim_edge(const fcfit_dim *d, double v)
{
    if (!(d->hi > d->lo) || !isfinite(v)) {
        return 0;
    }
    if (d->n_values > 0) {
        if (d->n_values < 3) {
            return 0; /* two listed values: every point is at an end */
        }
        return v <= d->lo ? -1 : v >= d->hi ? 1 : 0;
    }
    {
        double u = fcfit_dim_to_unit(d, v);
        return u <= 0.01 ? -1 : u >= 0.99 ? 1 : 0;
    }
}

static void append(char *buf, size_t cap, size_t *len, const char *text)
{
    int w = snprintf(buf + *len, cap - *len, "%s%s", *len > 0 ? "; " : "", text);
    if (w > 0) {
        *len = (size_t)w < cap - *len ? *len + (size_t)w : cap - 1;
    }
}

size_t fcfit_stage_edge(const fcfit_stage *s, const double *x, char *buf, size_t cap)
{
    size_t found = 0, len = 0;
    char item[256];
    if (cap == 0) {
        return 0;
    }
    buf[0] = '\0';
    for (size_t d = 0; d < s->n_dims; d++) {
        const fcfit_dim *dm = &s->dims[d];
        int e;
        if (dm->kind == FCFIT_DIM_REGION || dm->kind == FCFIT_DIM_SUBJECT) {
            continue;
        }
        e = dim_edge(dm, x[d]);
        if (e != 0) {
            snprintf(item, sizeof item, "%s = %.6g at the %s end of [%.6g, %.6g]", dm->name, x[d],
                     e < 0 ? "lower" : "upper", dm->lo, dm->hi);
            append(buf, cap, &len, item);
            found++;
        }
    }
    /* Regional dimensions: one count per parameter. */
    for (size_t d = 0; d < s->n_dims; d++) {
        const fcfit_dim *dm = &s->dims[d];
        size_t at = 0, total = 0, first = d;
        int seen = 0;
        if (dm->kind != FCFIT_DIM_REGION) {
            continue;
        }
        for (size_t q = 0; q < d; q++) {
            seen |= s->dims[q].kind == FCFIT_DIM_REGION && s->dims[q].param == dm->param;
        }
        if (seen) {
            continue;
        }
        for (size_t q = first; q < s->n_dims; q++) {
            if (s->dims[q].kind == FCFIT_DIM_REGION && s->dims[q].param == dm->param) {
                total++;
                at += dim_edge(&s->dims[q], x[q]) != 0;
            }
        }
        if (at > 0) {
            const char *br = strchr(dm->name, '[');
            int nlen = br != NULL ? (int)(br - dm->name) : (int)strlen(dm->name);
            snprintf(item, sizeof item, "%zu of %zu regional values of %.*s at a bound", at, total,
                     nlen, dm->name);
            append(buf, cap, &len, item);
            found++;
        }
    }
    return found;
}

fcfit_status fcfit_stage_add_subjects(fcfit_stage *s, size_t S)
{
    const size_t P = s->n_points, D = s->n_dims;
    double *pts, *vals;
    fcfit_dim *nd;
    FCFIT_REQUIRE(S >= 1 && P > 0 && P <= 100000000 / S, FCFIT_ERR_CONFIG,
                  "sweep: %zu points x %zu subjects is more than 1e8 rows", P, S);
    pts = calloc(S * P * (D + 1), sizeof(double));
    vals = calloc(S, sizeof(double));
    nd = realloc(s->dims, (D + 1) * sizeof *nd);
    if (nd != NULL) {
        s->dims = nd;
    }
    if (pts == NULL || vals == NULL || nd == NULL) {
        free(pts);
        free(vals);
        FCFIT_FAIL(FCFIT_ERR_NOMEM, "out of memory for %zu subjects' sweep points", S);
    }
    for (size_t j = 0; j < S; j++) {
        vals[j] = (double)j;
        for (size_t p = 0; p < P; p++) {
            memcpy(pts + (j * P + p) * (D + 1), s->points + p * D, D * sizeof(double));
            pts[(j * P + p) * (D + 1) + D] = (double)j;
        }
    }
    memset(&s->dims[D], 0, sizeof s->dims[D]);
    s->dims[D].name = malloc(8);
    if (s->dims[D].name == NULL) {
        free(pts);
        free(vals);
        FCFIT_FAIL(FCFIT_ERR_NOMEM, "out of memory");
    }
    memcpy(s->dims[D].name, "subject", 8);
    s->dims[D].kind = FCFIT_DIM_SUBJECT;
    s->dims[D].lo = 0.0;
    s->dims[D].hi = (double)(S - 1);
    s->dims[D].n_values = S;
    s->dims[D].values = vals;
    s->n_dims = D + 1;
    free(s->points);
    s->points = pts;
    s->n_points = S * P;
    s->capacity = s->n_points;
    s->has_subjects = 1;
    s->subject_dim = D;
    return FCFIT_OK;
}

size_t fcfit_stage_point_subject(const fcfit_stage *s, const double *x)
{
    if (s == NULL || !s->has_subjects || x == NULL) {
        return 0;
    }
    return (size_t)x[s->subject_dim];
}
