/*
 * objective.c: parse and evaluate the fit objective (see fcfit_objective.h).
 *
 * Grammar (whitespace ignored):
 *   expr := ['+'|'-'] term (('+'|'-') term)*
 *   term := number ['*'] name | number | name
 * where name is a score name. A lone name keeps that score's sense; anything
 * else is a loss to minimise. Composite losses of this shape are the ones used
 * in the literature, e.g. 1 - r(FC) + KS(FCD) (Deco et al.; Kringelbach et al.).
 */
#include "fcfit/fcfit_objective.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcfit/fcfit_sim.h"

static void skip_space(const char **p)
{
    while (**p != '\0' && isspace((unsigned char)**p)) {
        (*p)++;
    }
}

static int read_name(const char **p, char *buf, size_t cap)
{
    size_t n = 0;
    if (!(isalpha((unsigned char)**p) || **p == '_')) {
        return 0;
    }
    while (isalnum((unsigned char)**p) || **p == '_') {
        if (n + 1 < cap) {
            buf[n++] = **p;
        }
        (*p)++;
    }
    buf[n] = '\0';
    return 1;
}

static fcfit_status bad(const char *where, const char *text, const char *what)
{
    char names[256] = "";
    for (size_t k = 0; fcfit_score_names[k] != NULL; k++) {
        strncat(names, fcfit_score_names[k], sizeof names - strlen(names) - 3);
        if (fcfit_score_names[k + 1] != NULL) {
            strncat(names, ", ", sizeof names - strlen(names) - 1);
        }
    }
    FCFIT_FAIL(FCFIT_ERR_CONFIG,
               "%s: '%s': %s; expected a score name (%s) or a linear expression of them such as "
               "'1 - fc_corr + fcd_ks'",
               where, text, what, names);
}

fcfit_status fcfit_objective_parse(const char *text, const char *where, fcfit_objective *obj)
{
    const char *p = text;
    int n_terms = 0, n_names = 0, plain_name = 0;

    memset(obj, 0, sizeof *obj);
    obj->single = -1;
    obj->penalty = 100.0;
    snprintf(obj->text, sizeof obj->text, "%s", text);
    skip_space(&p);
    if (*p == '\0') {
        return bad(where, text, "empty");
    }
    for (;;) {
        double sign = 1.0, coef = 1.0;
        int have_num = 0, have_name = 0, k = -1;
        char name[64];
        skip_space(&p);
        if (*p == '+' || *p == '-') {
            sign = *p == '-' ? -1.0 : 1.0;
            p++;
            skip_space(&p);
        } else if (n_terms > 0) {
            return bad(where, text, "expected '+' or '-' between terms");
        }
        if (isdigit((unsigned char)*p) || *p == '.') {
            char *end = NULL;
            coef = strtod(p, &end);
            if (end == p || !isfinite(coef)) {
                return bad(where, text, "unreadable number");
            }
            p = end;
            have_num = 1;
            skip_space(&p);
            if (*p == '*') {
                p++;
                skip_space(&p);
                if (!(isalpha((unsigned char)*p) || *p == '_')) {
                    return bad(where, text, "expected a score name after '*'");
                }
            }
        }
        if (read_name(&p, name, sizeof name)) {
            k = fcfit_score_index(name);
            if (k < 0) {
                char msg[128];
                snprintf(msg, sizeof msg, "unknown score '%s'", name);
                return bad(where, text, msg);
            }
            have_name = 1;
        }
        if (!have_num && !have_name) {
            return bad(where, text, "expected a number or a score name");
        }
        if (have_name) {
            obj->w[k] += sign * coef;
            n_names++;
            plain_name = !have_num && sign > 0.0 && n_terms == 0;
        } else {
            obj->c += sign * coef;
        }
        n_terms++;
        skip_space(&p);
        if (*p == '\0') {
            break;
        }
        if (*p != '+' && *p != '-') {
            char msg[64];
            snprintf(msg, sizeof msg, "unexpected '%c'", *p);
            return bad(where, text, msg);
        }
    }
    if (n_names == 0) {
        return bad(where, text, "no score in the expression");
    }
    if (n_terms == 1 && plain_name) {
        for (int k = 0; k < FCFIT_SCORE_COUNT; k++) {
            if (obj->w[k] != 0.0) {
                obj->single = k;
                /* A lone score is optimised in its own sense. */
                obj->w[k] = fcfit_score_sense[k] > 0 ? -1.0 : 1.0;
            }
        }
    }
    return FCFIT_OK;
}

int fcfit_objective_uses(const fcfit_objective *obj, int k)
{
    return k >= 0 && k < FCFIT_SCORE_COUNT && obj->w[k] != 0.0;
}

double fcfit_objective_loss(const fcfit_objective *obj, const double *scores)
{
    double v = obj->c;
    for (int k = 0; k < FCFIT_SCORE_COUNT; k++) {
        if (obj->w[k] != 0.0) {
            if (isnan(scores[k])) {
                return NAN;
            }
            v += obj->w[k] * scores[k];
        }
    }
    return v;
}

double fcfit_objective_loss_or_penalty(const fcfit_objective *obj, int status,
                                       const double *scores)
{
    double v;
    if (status != FCFIT_TASK_OK) {
        return obj->penalty;
    }
    v = fcfit_objective_loss(obj, scores);
    return isfinite(v) ? v : obj->penalty;
}

double fcfit_objective_display(const fcfit_objective *obj, double loss)
{
    if (obj->single >= 0) {
        return obj->w[obj->single] < 0.0 ? -loss : loss;
    }
    return loss;
}

const char *fcfit_objective_better(const fcfit_objective *obj)
{
    return obj->single >= 0 && obj->w[obj->single] < 0.0 ? "higher" : "lower";
}
