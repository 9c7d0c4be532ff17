/*
 * registry.c: the table of model descriptors and lookups by name.
 *
 * Adding a model: one file in this directory exporting its descriptor, one
 * line in the table below, one line in CMakeLists.txt, its page under
 * docs/models/ and its oracle test. The conformance test walks this table.
 */
#include "fcfit/fcfit_model.h"

#include <stdio.h>
#include <string.h>

#include "models/models_impl.h"

static const fcfit_model_type *const model_table[] = {
    &fcfit_model_rww,
    &fcfit_model_mpr,
    &fcfit_model_dmf,
    &fcfit_model_hopf,
    &fcfit_model_jr,
    &fcfit_model_wc,
    &fcfit_model_aln,
    NULL,
};

size_t fcfit_model_count(void) { return sizeof model_table / sizeof model_table[0] - 1; }

const fcfit_model_type *fcfit_model_at(size_t i)
{
    return i < fcfit_model_count() ? model_table[i] : NULL;
}

fcfit_status fcfit_model_find(const char *name, const fcfit_model_type **type)
{
    char list[512] = "";
    for (size_t i = 0; i < fcfit_model_count(); i++) {
        if (strcmp(model_table[i]->name, name) == 0) {
            *type = model_table[i];
            return FCFIT_OK;
        }
    }
    for (size_t i = 0; i < fcfit_model_count(); i++) {
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", i > 0 ? ", " : "", model_table[i]->name);
    }
    *type = NULL;
    FCFIT_FAIL(FCFIT_ERR_UNKNOWN_NAME, "unknown model '%s'; valid models: %s", name, list);
}

const char *fcfit_model_drive_desc(const fcfit_model_type *m, const size_t *opt)
{
    if (m->bold_desc_for != NULL && opt != NULL) {
        return m->bold_desc_for(opt);
    }
    return m->bold_desc;
}

size_t fcfit_model_param_index(const fcfit_model_type *m, const char *name)
{
    for (size_t j = 0; j < m->n_params; j++) {
        if (strcmp(m->params[j].name, name) == 0) {
            return j;
        }
    }
    return (size_t)-1;
}

size_t fcfit_model_option_index(const fcfit_model_type *m, const char *name)
{
    for (size_t j = 0; j < m->n_options; j++) {
        if (strcmp(m->options[j].name, name) == 0) {
            return j;
        }
    }
    return (size_t)-1;
}

size_t fcfit_model_choice_index(const fcfit_model_option *o, const char *value)
{
    for (size_t c = 0; o->choices[c] != NULL; c++) {
        if (strcmp(o->choices[c], value) == 0) {
            return c;
        }
    }
    return (size_t)-1;
}

fcfit_status fcfit_model_check_params(const fcfit_model_type *m, size_t n_nodes, size_t n_lanes,
                                      const double *const *p)
{
    for (size_t j = 0; j < m->n_params; j++) {
        const fcfit_model_param *d = &m->params[j];
        for (size_t i = 0; i < n_nodes; i++) {
            for (size_t l = 0; l < n_lanes; l++) {
                double v = p[j][i * n_lanes + l];
                if (!(v >= d->lo && v <= d->hi)) {
                    const char *unit = strcmp(d->unit, "1") == 0 ? "" : d->unit;
                    if (n_lanes > 1) {
                        FCFIT_FAIL(FCFIT_ERR_ARG,
                                   "model.%s.%s = %.12g (region %zu, lane %zu) is outside its bounds "
                                   "[%g, %g]%s%s",
                                   m->name, d->name, v, i + 1, l, d->lo, d->hi, unit[0] ? " " : "",
                                   unit);
                    }
                    FCFIT_FAIL(FCFIT_ERR_ARG,
                               "model.%s.%s = %.12g (region %zu) is outside its bounds [%g, %g]%s%s",
                               m->name, d->name, v, i + 1, d->lo, d->hi, unit[0] ? " " : "", unit);
                }
            }
        }
    }
    return FCFIT_OK;
}

