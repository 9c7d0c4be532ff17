/*
 * registry.c: registered keys, conversion and validation of values, and the
 * outputs generated from the registration (listing, Markdown reference,
 * canonical text).
 *
 * Parsing produces strings (a ynode tree); conversion and checks happen here
 * only, so the job file and --set share every check. Values remember where
 * they came from and every message starts with that place.
 */
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <glob.h>
#include <string.h>
#include <sys/stat.h>

#include "config/config_impl.h"
#include "fcfit/fcfit_config.h"

typedef struct entry {
    fcfit_opt_desc d; /* strings owned */
    int set;          /* given in a file or on the command line */
    int has;          /* has a value */
    int load_gen;     /* generation of the load that set it (duplicate detection) */
    char *where;
    int b;
    int64_t i;
    double r;
    char *s;
    size_t e;
    fcfit_regional reg;
    size_t nlist;
    char **paths;
    double *reals;
    fcfit_ynode *tree;
} entry;

struct fcfit_config {
    entry *e;
    size_t n, cap;
    int load_gen;
};

static void clear_value(entry *en)
{
    free(en->s);
    en->s = NULL;
    free(en->reg.values);
    free(en->reg.path);
    memset(&en->reg, 0, sizeof en->reg);
    for (size_t k = 0; k < en->nlist; k++) {
        free(en->paths != NULL ? en->paths[k] : NULL);
    }
    free(en->paths);
    en->paths = NULL;
    free(en->reals);
    en->reals = NULL;
    en->nlist = 0;
    fcfit_ynode_free(en->tree);
    en->tree = NULL;
    en->has = 0;
}

fcfit_status fcfit_config_create(fcfit_config **cfg)
{
    *cfg = calloc(1, sizeof **cfg);
    FCFIT_REQUIRE(*cfg != NULL, FCFIT_ERR_NOMEM, "cannot allocate the configuration");
    return FCFIT_OK;
}

void fcfit_config_destroy(fcfit_config **pcfg)
{
    fcfit_config *cfg;
    if (pcfg == NULL || *pcfg == NULL) {
        return;
    }
    cfg = *pcfg;
    for (size_t k = 0; k < cfg->n; k++) {
        entry *en = &cfg->e[k];
        clear_value(en);
        free((char *)en->d.key);
        free((char *)en->d.def);
        free((char *)en->d.unit);
        free((char *)en->d.help);
        free(en->where);
    }
    free(cfg->e);
    free(cfg);
    *pcfg = NULL;
}

static entry *find(const fcfit_config *cfg, const char *key)
{
    for (size_t k = 0; k < cfg->n; k++) {
        if (strcmp(cfg->e[k].d.key, key) == 0) {
            return &cfg->e[k];
        }
    }
    return NULL;
}

static int has_prefix(const fcfit_config *cfg, const char *prefix)
{
    size_t np = strlen(prefix);
    for (size_t k = 0; k < cfg->n; k++) {
        if (strncmp(cfg->e[k].d.key, prefix, np) == 0 && cfg->e[k].d.key[np] == '.') {
            return 1;
        }
    }
    return 0;
}

void fcfit_config_describe_type(const fcfit_opt_desc *d, char *buf, size_t cap)
{
    size_t used;
    switch (d->type) {
    case FCFIT_OPT_BOOL:
        snprintf(buf, cap, "true or false");
        break;
    case FCFIT_OPT_INT:
        snprintf(buf, cap, "an integer in [%.0f, %.0f]", d->lo, d->hi);
        break;
    case FCFIT_OPT_REAL:
        snprintf(buf, cap, "a number in [%g, %g]%s%s", d->lo, d->hi, d->unit[0] ? " " : "",
                 d->unit);
        break;
    case FCFIT_OPT_STRING:
        snprintf(buf, cap, "a string");
        break;
    case FCFIT_OPT_PATH:
        snprintf(buf, cap, "a file path");
        break;
    case FCFIT_OPT_ENUM:
        snprintf(buf, cap, "one of: ");
        for (size_t c = 0; d->choices[c] != NULL; c++) {
            used = strlen(buf);
            snprintf(buf + used, cap - used, "%s%s", c > 0 ? ", " : "", d->choices[c]);
        }
        break;
    case FCFIT_OPT_REGIONAL:
        /* Only angular frequencies can come from the BOLD's spectral peak (the job layer
         * refuses {from_bold_peak} for any other unit). */
        snprintf(buf, cap, "a number in [%g, %g]%s%s, a list of one number per region%s",
                 d->lo, d->hi, d->unit[0] ? " " : "", d->unit,
                 strncmp(d->unit, "rad/", 4) == 0
                     ? ", {file: path}, or {from_bold_peak: [lo_hz, hi_hz]}"
                     : ", or {file: path}");
        break;
    case FCFIT_OPT_PATHS:
        snprintf(buf, cap, "a file path, a glob pattern (sorted matches) or a list of them");
        break;
    case FCFIT_OPT_REALS:
        snprintf(buf, cap, "a number or a list of numbers in [%g, %g]%s%s", d->lo, d->hi,
                 d->unit[0] ? " " : "", d->unit);
        break;
    case FCFIT_OPT_TREE:
        snprintf(buf, cap, "a mapping or list (structure in the help; --set %s.NAME=... sets one "
                           "entry of a mapping)", d->key);
        break;
    }
}

/*
 * Text from the user for a message: control characters, which a terminal
 * would hide or act on, are written as escapes (\t, \n, \r, \e, \xNN, and
 * \x7f for DEL), and long text is cut at about cap bytes with "...".
 */
static const char *visible(const char *text, char *buf, size_t cap)
{
    size_t n = 0;
    for (const char *c = text; *c != '\0'; c++) {
        unsigned char u = (unsigned char)*c;
        char esc[8];
        size_t len;
        if (u == '\t' || u == '\n' || u == '\r') {
            snprintf(esc, sizeof esc, "\\%c", u == '\t' ? 't' : u == '\n' ? 'n' : 'r');
        } else if (u == 0x1b) {
            snprintf(esc, sizeof esc, "\\e");
        } else if (u < 0x20 || u == 0x7f) {
            snprintf(esc, sizeof esc, "\\x%02x", (unsigned)u);
        } else {
            esc[0] = (char)u;
            esc[1] = '\0';
        }
        len = strlen(esc);
        if (n + len + 4 > cap) {
            snprintf(buf + n, cap - n, "...");
            return buf;
        }
        memcpy(buf + n, esc, len);
        n += len;
    }
    buf[n] = '\0';
    return buf;
}

/* Start a conversion error that names place, key, expectation and what was found. */
static fcfit_status bad_value(const entry *en, const char *where, const char *found,
                              const char *detail)
{
    char exp[1024];
    char show[512];
    fcfit_config_describe_type(&en->d, exp, sizeof exp);
    return fcfit_error_set(FCFIT_ERR_CONFIG, __FILE__, __LINE__, __func__,
                           "%s: %s: expected %s%s%s; found '%s'", where, en->d.key, exp,
                           detail != NULL ? " " : "", detail != NULL ? detail : "",
                           visible(found, show, sizeof show));
}

static int parse_real(const char *t, double *out)
{
    char *end = NULL;
    if (t == NULL || *t == '\0') {
        return 0;
    }
    errno = 0;
    *out = strtod(t, &end);
    while (end != NULL && isspace((unsigned char)*end)) {
        end++;
    }
    return end != NULL && *end == '\0' && errno != ERANGE && isfinite(*out);
}

static int parse_int(const char *t, int64_t *out)
{
    char *end = NULL;
    long long v;
    if (t == NULL || *t == '\0') {
        return 0;
    }
    errno = 0;
    v = strtoll(t, &end, 10);
    if (end == NULL || *end != '\0' || errno == ERANGE) {
        return 0;
    }
    *out = (int64_t)v;
    return 1;
}

static int parse_bool(const char *t, int *out)
{
    static const char *const yes[] = {"true", "yes", "on", "True", "Yes", "On", "TRUE", "YES", "ON"};
    static const char *const no[] = {"false", "no", "off", "False", "No", "Off", "FALSE", "NO", "OFF"};
    for (size_t k = 0; k < sizeof yes / sizeof yes[0]; k++) {
        if (strcmp(t, yes[k]) == 0) {
            *out = 1;
            return 1;
        }
        if (strcmp(t, no[k]) == 0) {
            *out = 0;
            return 1;
        }
    }
    return 0;
}

static const char *node_text(const fcfit_ynode *y)
{
    if (y->kind == FCFIT_Y_SCALAR) {
        return y->text;
    }
    return y->kind == FCFIT_Y_SEQ ? "a list" : "a mapping";
}

static fcfit_status real_in_bounds(const entry *en, const fcfit_ynode *y, const char *where,
                                   double *out)
{
    if (y->kind != FCFIT_Y_SCALAR || !parse_real(y->text, out)) {
        return bad_value(en, where, node_text(y), NULL);
    }
    if (!(*out >= en->d.lo && *out <= en->d.hi)) {
        return bad_value(en, where, y->text, "(out of bounds)");
    }
    if (*out == 0.0) {
        *out = 0.0; /* -0 and 0 are the same setting: store one of them (the job hash sees bytes) */
    }
    return FCFIT_OK;
}

static fcfit_ynode *ynode_copy(const fcfit_ynode *y)
{
    fcfit_ynode *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return NULL;
    }
    c->kind = y->kind;
    c->quoted = y->quoted;
    c->is_null = y->is_null;
    c->n = y->n;
    c->text = y->text != NULL ? fcfit_strdup(y->text) : NULL;
    c->where = fcfit_strdup(y->where);
    if (y->n > 0 || y->kind != FCFIT_Y_SCALAR) {
        c->items = calloc(y->n > 0 ? y->n : 1, sizeof *c->items);
        if (y->kind == FCFIT_Y_MAP) {
            c->keys = calloc(y->n > 0 ? y->n : 1, sizeof *c->keys);
        }
        if (c->items == NULL || (y->kind == FCFIT_Y_MAP && c->keys == NULL)) {
            c->n = 0;
            fcfit_ynode_free(c);
            return NULL;
        }
        for (size_t k = 0; k < y->n; k++) {
            c->items[k] = ynode_copy(y->items[k]);
            if (y->kind == FCFIT_Y_MAP) {
                c->keys[k] = fcfit_strdup(y->keys[k]);
            }
            if (c->items[k] == NULL) {
                fcfit_ynode_free(c);
                return NULL;
            }
        }
    }
    return c;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * A PATHS entry with a glob character (*, ? or [): the matching files, relative to base_dir,
 * in byte order (strcmp, whatever the locale), appended to *paths. No match is an error that
 * names the pattern: a list of subjects must not silently shrink to nothing.
 */
static fcfit_status expand_glob(const entry *en, const fcfit_ynode *it, const char *base_dir,
                                char ***paths, size_t *n, size_t *cap)
{
    char *pattern = fcfit_path_join(base_dir, it->text);
    glob_t g;
    int rc;
    fcfit_status st = FCFIT_OK;

    FCFIT_REQUIRE(pattern != NULL, FCFIT_ERR_NOMEM, "out of memory");
    memset(&g, 0, sizeof g);
    rc = glob(pattern, GLOB_ERR, NULL, &g);
    if (rc == GLOB_NOMATCH || (rc == 0 && g.gl_pathc == 0)) {
        st = fcfit_error_set(FCFIT_ERR_CONFIG, __FILE__, __LINE__, __func__,
                             "%s: %s: the pattern '%s' matches no file", it->where, en->d.key,
                             pattern);
    } else if (rc != 0) {
        st = fcfit_error_set(FCFIT_ERR_CONFIG, __FILE__, __LINE__, __func__,
                             "%s: %s: cannot expand the pattern '%s' (%s)", it->where, en->d.key,
                             pattern, rc == GLOB_NOSPACE ? "out of memory" : "a directory is not readable");
    } else {
        qsort(g.gl_pathv, g.gl_pathc, sizeof *g.gl_pathv, cmp_str);
        for (size_t k = 0; k < g.gl_pathc && st == FCFIT_OK; k++) {
            if (*n == *cap) {
                size_t nc = 2 * *cap + 8;
                char **np = realloc(*paths, nc * sizeof *np);
                if (np == NULL) {
                    st = fcfit_error_set(FCFIT_ERR_NOMEM, __FILE__, __LINE__, __func__,
                                         "out of memory");
                    break;
                }
                *paths = np;
                *cap = nc;
            }
            (*paths)[*n] = fcfit_strdup(g.gl_pathv[k]);
            if ((*paths)[*n] == NULL) {
                st = fcfit_error_set(FCFIT_ERR_NOMEM, __FILE__, __LINE__, __func__,
                                     "out of memory");
                break;
            }
            (*n)++;
        }
    }
    globfree(&g);
    free(pattern);
    return st;
}

/* Convert node y into the value of en. base_dir resolves relative paths. */
static fcfit_status assign(entry *en, const fcfit_ynode *y, const char *where, const char *base_dir)
{
    entry tmp = *en;
    fcfit_status st = FCFIT_OK;

    /* Convert into a scratch copy first, so that a failure leaves the old value intact. */
    tmp.s = NULL;
    tmp.paths = NULL;
    tmp.reals = NULL;
    tmp.nlist = 0;
    tmp.tree = NULL;
    memset(&tmp.reg, 0, sizeof tmp.reg);
    if (y->kind == FCFIT_Y_SCALAR && y->text[0] == '\0' && !y->quoted &&
        en->d.type != FCFIT_OPT_STRING) {
        return bad_value(en, where, "", "(the value is empty)");
    }
    switch (en->d.type) {
    case FCFIT_OPT_BOOL:
        if (y->kind != FCFIT_Y_SCALAR || !parse_bool(y->text, &tmp.b)) {
            return bad_value(en, where, node_text(y), NULL);
        }
        break;
    case FCFIT_OPT_INT:
        if (y->kind != FCFIT_Y_SCALAR || !parse_int(y->text, &tmp.i)) {
            return bad_value(en, where, node_text(y), NULL);
        }
        if (!((double)tmp.i >= en->d.lo && (double)tmp.i <= en->d.hi)) {
            return bad_value(en, where, y->text, "(out of bounds)");
        }
        break;
    case FCFIT_OPT_REAL:
        FCFIT_CHECK(real_in_bounds(en, y, where, &tmp.r));
        break;
    case FCFIT_OPT_STRING:
        if (y->kind != FCFIT_Y_SCALAR) {
            return bad_value(en, where, node_text(y), NULL);
        }
        tmp.s = fcfit_strdup(y->text);
        FCFIT_REQUIRE(tmp.s != NULL, FCFIT_ERR_NOMEM, "out of memory");
        break;
    case FCFIT_OPT_PATH:
        if (y->kind != FCFIT_Y_SCALAR) {
            return bad_value(en, where, node_text(y), NULL);
        }
        if (y->text[0] == '\0') {
            return bad_value(en, where, "", "(an empty path names no file)");
        }
        tmp.s = fcfit_path_join(base_dir, y->text);
        FCFIT_REQUIRE(tmp.s != NULL, FCFIT_ERR_NOMEM, "out of memory");
        break;
    case FCFIT_OPT_ENUM: {
        size_t c;
        if (y->kind != FCFIT_Y_SCALAR) {
            return bad_value(en, where, node_text(y), NULL);
        }
        for (c = 0; en->d.choices[c] != NULL; c++) {
            if (strcmp(en->d.choices[c], y->text) == 0) {
                break;
            }
        }
        if (en->d.choices[c] == NULL) {
            return bad_value(en, where, y->text, "(unknown name)");
        }
        tmp.e = c;
        break;
    }
    case FCFIT_OPT_REGIONAL:
        if (y->kind == FCFIT_Y_SCALAR) {
            tmp.reg.kind = FCFIT_REGIONAL_SCALAR;
            FCFIT_CHECK(real_in_bounds(en, y, where, &tmp.reg.scalar));
        } else if (y->kind == FCFIT_Y_SEQ) {
            if (y->n == 0) {
                return bad_value(en, where, "[]", "(the list is empty)");
            }
            tmp.reg.kind = FCFIT_REGIONAL_LIST;
            tmp.reg.n = y->n;
            tmp.reg.values = calloc(y->n, sizeof(double));
            FCFIT_REQUIRE(tmp.reg.values != NULL, FCFIT_ERR_NOMEM, "out of memory");
            for (size_t k = 0; k < y->n; k++) {
                st = real_in_bounds(en, y->items[k], y->items[k]->where, &tmp.reg.values[k]);
                if (st != FCFIT_OK) {
                    free(tmp.reg.values);
                    return st;
                }
            }
        } else if (y->n == 1 && strcmp(y->keys[0], "from_bold_peak") == 0) {
            const fcfit_ynode *b = y->items[0];
            double lo = 0.0, hi = 0.0;
            char *end1 = NULL, *end2 = NULL;
            if (b->kind != FCFIT_Y_SEQ || b->n != 2 || b->items[0]->kind != FCFIT_Y_SCALAR ||
                b->items[1]->kind != FCFIT_Y_SCALAR) {
                return bad_value(en, where, "a mapping",
                                 "({from_bold_peak: [lo_hz, hi_hz]} takes a band of two numbers)");
            }
            lo = strtod(b->items[0]->text, &end1);
            hi = strtod(b->items[1]->text, &end2);
            if (*end1 != '\0' || *end2 != '\0' || !(lo > 0.0 && lo < hi)) {
                return bad_value(en, where, "a mapping",
                                 "({from_bold_peak: [lo_hz, hi_hz]} needs 0 < lo_hz < hi_hz)");
            }
            tmp.reg.kind = FCFIT_REGIONAL_BOLD_PEAK;
            tmp.reg.n = 2;
            tmp.reg.values = calloc(2, sizeof(double));
            FCFIT_REQUIRE(tmp.reg.values != NULL, FCFIT_ERR_NOMEM, "out of memory");
            tmp.reg.values[0] = lo;
            tmp.reg.values[1] = hi;
        } else {
            if (y->n != 1 || strcmp(y->keys[0], "file") != 0 ||
                y->items[0]->kind != FCFIT_Y_SCALAR || y->items[0]->text[0] == '\0') {
                return bad_value(en, where, "a mapping",
                                 "(a mapping must be {file: path} or {from_bold_peak: [lo, hi]})");
            }
            tmp.reg.kind = FCFIT_REGIONAL_FILE;
            tmp.reg.path = fcfit_path_join(base_dir, y->items[0]->text);
            FCFIT_REQUIRE(tmp.reg.path != NULL, FCFIT_ERR_NOMEM, "out of memory");
        }
        break;
    case FCFIT_OPT_PATHS:
    case FCFIT_OPT_REALS: {
        const fcfit_ynode *const *items = &y;
        size_t n = 1;
        if (y->kind == FCFIT_Y_SEQ) {
            items = (const fcfit_ynode *const *)y->items;
            n = y->n;
            if (n == 0) {
                return bad_value(en, where, "[]", "(the list is empty)");
            }
        } else if (y->kind != FCFIT_Y_SCALAR) {
            return bad_value(en, where, node_text(y), NULL);
        }
        if (en->d.type == FCFIT_OPT_PATHS) {
            size_t cap = n, used = 0;
            tmp.paths = calloc(cap, sizeof(char *));
            FCFIT_REQUIRE(tmp.paths != NULL, FCFIT_ERR_NOMEM, "out of memory");
            for (size_t k = 0; k < n && st == FCFIT_OK; k++) {
                const fcfit_ynode *it = items[k];
                if (it->kind != FCFIT_Y_SCALAR || it->text[0] == '\0') {
                    st = bad_value(en, it->where, node_text(it), NULL);
                } else if (strpbrk(it->text, "*?[") != NULL) {
                    st = expand_glob(en, it, base_dir, &tmp.paths, &used, &cap);
                } else {
                    if (used == cap) {
                        char **np = realloc(tmp.paths, (2 * cap + 8) * sizeof *np);
                        if (np == NULL) {
                            st = fcfit_error_set(FCFIT_ERR_NOMEM, __FILE__, __LINE__, __func__,
                                                 "out of memory");
                            break;
                        }
                        tmp.paths = np;
                        cap = 2 * cap + 8;
                    }
                    tmp.paths[used] = fcfit_path_join(base_dir, it->text);
                    if (tmp.paths[used] == NULL) {
                        st = fcfit_error_set(FCFIT_ERR_NOMEM, __FILE__, __LINE__, __func__,
                                             "out of memory");
                        break;
                    }
                    used++;
                }
            }
            if (st != FCFIT_OK) {
                for (size_t k = 0; k < used; k++) {
                    free(tmp.paths[k]);
                }
                free(tmp.paths);
                return st;
            }
            tmp.nlist = used;
            break;
        } else {
            tmp.reals = calloc(n, sizeof(double));
            FCFIT_REQUIRE(tmp.reals != NULL, FCFIT_ERR_NOMEM, "out of memory");
        }
        for (size_t k = 0; k < n; k++) {
            st = real_in_bounds(en, items[k], items[k]->where, &tmp.reals[k]);
            if (st != FCFIT_OK) {
                free(tmp.reals);
                return st;
            }
        }
        tmp.nlist = n;
        break;
    }
    case FCFIT_OPT_TREE:
        if (y->kind != FCFIT_Y_MAP && y->kind != FCFIT_Y_SEQ) {
            return bad_value(en, where, node_text(y), NULL);
        }
        tmp.tree = ynode_copy(y);
        FCFIT_REQUIRE(tmp.tree != NULL, FCFIT_ERR_NOMEM, "out of memory");
        break;
    }
    clear_value(en);
    {
        char *w = fcfit_strdup(where);
        free(en->where);
        *en = tmp;
        en->where = w;
    }
    en->has = 1;
    return FCFIT_OK;
}

fcfit_status fcfit_config_register(fcfit_config *cfg, const fcfit_opt_desc *d)
{
    entry *en;
    FCFIT_REQUIRE(d->key != NULL && d->help != NULL, FCFIT_ERR_INTERNAL,
                  "option registration without key or help");
    FCFIT_REQUIRE(find(cfg, d->key) == NULL, FCFIT_ERR_INTERNAL, "option %s registered twice",
                  d->key);
    FCFIT_REQUIRE(d->type != FCFIT_OPT_ENUM || d->choices != NULL, FCFIT_ERR_INTERNAL,
                  "option %s: enum without choices", d->key);
    if (cfg->n == cfg->cap) {
        size_t cap = cfg->cap > 0 ? 2 * cfg->cap : 64;
        entry *ne = realloc(cfg->e, cap * sizeof *ne);
        FCFIT_REQUIRE(ne != NULL, FCFIT_ERR_NOMEM, "cannot grow the option registry");
        cfg->e = ne;
        cfg->cap = cap;
    }
    en = &cfg->e[cfg->n];
    memset(en, 0, sizeof *en);
    en->d = *d;
    en->d.key = fcfit_strdup(d->key);
    en->d.def = d->def != NULL ? fcfit_strdup(d->def) : NULL;
    en->d.unit = fcfit_strdup(d->unit != NULL ? d->unit : "");
    en->d.help = fcfit_strdup(d->help);
    FCFIT_REQUIRE(en->d.key != NULL && en->d.unit != NULL && en->d.help != NULL &&
                      (d->def == NULL || en->d.def != NULL),
                  FCFIT_ERR_NOMEM, "out of memory registering %s", d->key);
    cfg->n++;
    if (d->def != NULL) {
        fcfit_ynode *y = NULL;
        fcfit_status st;
        char label[512];
        snprintf(label, sizeof label, "default of %s", d->key);
        FCFIT_CHECK(fcfit_yaml_parse(d->def, label, &y));
        st = assign(en, y, "default", NULL);
        fcfit_ynode_free(y);
        FCFIT_REQUIRE(st == FCFIT_OK, FCFIT_ERR_INTERNAL, "default of %s is invalid: %s", d->key,
                      fcfit_error_message());
        free(en->where);
        en->where = fcfit_strdup("default");
    } else {
        en->where = fcfit_strdup("unset");
    }
    return FCFIT_OK;
}

/* Back to the registered default, or unset when the key has none (an explicit null). */
static fcfit_status reset_entry(entry *en)
{
    clear_value(en);
    en->set = 0;
    free(en->where);
    en->where = NULL;
    if (en->d.def != NULL) {
        fcfit_ynode *y = NULL;
        fcfit_status st;
        FCFIT_CHECK(fcfit_yaml_parse(en->d.def, en->d.key, &y));
        st = assign(en, y, "default", NULL);
        fcfit_ynode_free(y);
        FCFIT_CHECK(st);
    }
    en->where = fcfit_strdup(en->d.def != NULL ? "default" : "unset");
    FCFIT_REQUIRE(en->where != NULL, FCFIT_ERR_NOMEM, "out of memory");
    return FCFIT_OK;
}

/*
 * Set the entry `sub` of a mapping node to y (a copy), or remove it when y is null. sub may go
 * deeper than one entry: "model.rww.G.linspace" sets linspace inside the entry
 * "model.rww.G" when that entry exists and is a mapping. A new entry is appended.
 */
static fcfit_status tree_set(fcfit_ynode *map, const char *sub, const fcfit_ynode *y)
{
    for (size_t k = 0; k < map->n; k++) {
        size_t len = strlen(map->keys[k]);
        if (strcmp(map->keys[k], sub) == 0) {
            if (y->kind == FCFIT_Y_SCALAR && y->is_null) {
                fcfit_ynode_free(map->items[k]);
                free(map->keys[k]);
                memmove(map->items + k, map->items + k + 1, (map->n - k - 1) * sizeof *map->items);
                memmove(map->keys + k, map->keys + k + 1, (map->n - k - 1) * sizeof *map->keys);
                map->n--;
            } else {
                fcfit_ynode *c = ynode_copy(y);
                FCFIT_REQUIRE(c != NULL, FCFIT_ERR_NOMEM, "out of memory");
                fcfit_ynode_free(map->items[k]);
                map->items[k] = c;
            }
            return FCFIT_OK;
        }
        if (strncmp(map->keys[k], sub, len) == 0 && sub[len] == '.' &&
            map->items[k]->kind == FCFIT_Y_MAP) {
            return tree_set(map->items[k], sub + len + 1, y);
        }
    }
    if (y->kind == FCFIT_Y_SCALAR && y->is_null) {
        return FCFIT_OK; /* nothing to remove */
    }
    {
        fcfit_ynode **items = realloc(map->items, (map->n + 1) * sizeof *items);
        char **keys;
        FCFIT_REQUIRE(items != NULL, FCFIT_ERR_NOMEM, "out of memory");
        map->items = items;
        keys = realloc(map->keys, (map->n + 1) * sizeof *keys);
        FCFIT_REQUIRE(keys != NULL, FCFIT_ERR_NOMEM, "out of memory");
        map->keys = keys;
        map->keys[map->n] = fcfit_strdup(sub);
        map->items[map->n] = ynode_copy(y);
        if (map->keys[map->n] == NULL || map->items[map->n] == NULL) {
            free(map->keys[map->n]);
            fcfit_ynode_free(map->items[map->n]);
            FCFIT_FAIL(FCFIT_ERR_NOMEM, "out of memory");
        }
        map->n++;
    }
    return FCFIT_OK;
}

/* --set below a mapping-valued key: en is that key, sub the rest of the path. */
static fcfit_status set_in_tree(entry *en, const char *sub, const fcfit_ynode *y)
{
    char show[600];
    FCFIT_REQUIRE(sub[0] != '\0', FCFIT_ERR_USAGE, "--set %s.: expected a name after the dot",
                  en->d.key);
    if (!en->has) {
        fcfit_ynode *map = calloc(1, sizeof *map);
        FCFIT_REQUIRE(map != NULL, FCFIT_ERR_NOMEM, "out of memory");
        map->kind = FCFIT_Y_MAP;
        map->text = NULL;
        map->where = fcfit_strdup("--set");
        if (map->where == NULL) {
            fcfit_ynode_free(map);
            FCFIT_FAIL(FCFIT_ERR_NOMEM, "out of memory");
        }
        en->tree = map;
        en->has = 1;
    }
    FCFIT_REQUIRE(en->tree->kind == FCFIT_Y_MAP, FCFIT_ERR_CONFIG,
                  "--set %s.%s: %s (%s) is a list, not a mapping; set it whole with --set %s=[...]",
                  en->d.key, visible(sub, show, sizeof show), en->d.key, en->where, en->d.key);
    FCFIT_CHECK(tree_set(en->tree, sub, y));
    en->set = 1;
    return FCFIT_OK;
}

/* "did you mean" and the valid keys under the deepest known prefix of key. */
static fcfit_status unknown_key(const fcfit_config *cfg, const char *key, const char *where)
{
    char prefix[512], list[1536] = "", best[512] = "", show[600];
    size_t best_d = (size_t)-1, shown = 0, total = 0;
    char *dot;

    snprintf(prefix, sizeof prefix, "%s", key);
    for (;;) {
        dot = strrchr(prefix, '.');
        if (dot == NULL) {
            prefix[0] = '\0';
            break;
        }
        *dot = '\0';
        if (has_prefix(cfg, prefix)) {
            break;
        }
    }
    for (size_t k = 0; k < cfg->n; k++) {
        const char *kk = cfg->e[k].d.key;
        size_t dist = fcfit_edit_distance(key, kk);
        if (dist < best_d) {
            best_d = dist;
            snprintf(best, sizeof best, "%s", kk);
        }
        if (prefix[0] == '\0' || (strncmp(kk, prefix, strlen(prefix)) == 0 &&
                                  kk[strlen(prefix)] == '.')) {
            total++;
            if (shown < 16) {
                size_t used = strlen(list);
                snprintf(list + used, sizeof list - used, "%s%s", shown > 0 ? ", " : "", kk);
                shown++;
            }
        }
    }
    if (prefix[0] == '\0') {
        /* Top level: list the sections rather than every key. */
        list[0] = '\0';
        shown = 0;
        for (size_t k = 0; k < cfg->n; k++) {
            char sect[128];
            const char *kk = cfg->e[k].d.key;
            size_t len = strcspn(kk, ".");
            snprintf(sect, sizeof sect, "%.*s", (int)len, kk);
            if (strstr(list, sect) == NULL) {
                size_t used = strlen(list);
                snprintf(list + used, sizeof list - used, "%s%s", shown > 0 ? ", " : "", sect);
                shown++;
            }
        }
        total = shown;
    }
    FCFIT_FAIL(FCFIT_ERR_CONFIG, "%s: unknown key '%s'%s%s%s; valid %s%s%s: %s%s", where,
               visible(key, show, sizeof show),
               best_d <= 3 ? " (did you mean '" : "", best_d <= 3 ? best : "",
               best_d <= 3 ? "'?)" : "", prefix[0] ? "keys under '" : "sections",
               prefix[0] ? prefix : "", prefix[0] ? "'" : "", list, total > shown ? ", ..." : "");
}

static fcfit_status apply_map(fcfit_config *cfg, const fcfit_ynode *map, const char *prefix,
                              const char *base_dir)
{
    for (size_t k = 0; k < map->n; k++) {
        char key[512];
        const fcfit_ynode *v = map->items[k];
        entry *en;
        if (prefix[0] != '\0') {
            snprintf(key, sizeof key, "%s.%s", prefix, map->keys[k]);
        } else {
            snprintf(key, sizeof key, "%s", map->keys[k]);
        }
        en = find(cfg, key);
        if (en != NULL) {
            if (en->set && en->load_gen == cfg->load_gen) {
                FCFIT_FAIL(FCFIT_ERR_CONFIG, "%s: key '%s' is given twice (also at %s)", v->where,
                           key, en->where);
            }
            if (v->kind == FCFIT_Y_SCALAR && v->is_null) {
                /* An explicit null: the default (or unset), e.g. a --config fragment that
                 * drops a key the job file gives. */
                FCFIT_CHECK(reset_entry(en));
                en->load_gen = cfg->load_gen;
                continue;
            }
            FCFIT_CHECK(assign(en, v, v->where, base_dir));
            en->set = 1;
            en->load_gen = cfg->load_gen;
        } else if (v->kind == FCFIT_Y_MAP && has_prefix(cfg, key)) {
            FCFIT_CHECK(apply_map(cfg, v, key, base_dir));
        } else if (has_prefix(cfg, key)) {
            FCFIT_FAIL(FCFIT_ERR_CONFIG,
                       "%s: '%s' is a section: expected a mapping of its keys (such as %s: {...}), "
                       "found %s",
                       v->where, key, key,
                       v->kind == FCFIT_Y_SCALAR ? "a single value" : "a list");
        } else {
            return unknown_key(cfg, key, v->where);
        }
    }
    return FCFIT_OK;
}

static fcfit_status load_tree(fcfit_config *cfg, fcfit_ynode *root, const char *label,
                              const char *base_dir)
{
    fcfit_status st;
    if (root->kind != FCFIT_Y_MAP) {
        fcfit_ynode_free(root);
        FCFIT_FAIL(FCFIT_ERR_CONFIG, "%s: the job file must be a mapping of keys to values", label);
    }
    cfg->load_gen++;
    st = apply_map(cfg, root, "", base_dir);
    fcfit_ynode_free(root);
    return st;
}

fcfit_status fcfit_config_load_file(fcfit_config *cfg, const char *path)
{
    fcfit_ynode *root = NULL;
    fcfit_status st;
    char *dir;
    /* fcfit_yaml_parse_file refuses what is not a regular file before reading it. */
    FCFIT_CHECK(fcfit_yaml_parse_file(path, &root));
    dir = fcfit_path_dirname(path);
    st = load_tree(cfg, root, path, dir);
    free(dir);
    return st;
}

fcfit_status fcfit_config_load_string(fcfit_config *cfg, const char *text, const char *label,
                                      const char *base_dir)
{
    fcfit_ynode *root = NULL;
    FCFIT_CHECK(fcfit_yaml_parse(text, label, &root));
    return load_tree(cfg, root, label, base_dir);
}

fcfit_status fcfit_config_set(fcfit_config *cfg, const char *assignment)
{
    const char *eq = strchr(assignment, '=');
    char key[512];
    entry *en;
    fcfit_ynode *y = NULL;
    fcfit_status st;
    char show[600];

    FCFIT_REQUIRE(eq != NULL && eq > assignment, FCFIT_ERR_USAGE,
                  "--set %s: expected key.path=value", visible(assignment, show, sizeof show));
    FCFIT_REQUIRE((size_t)(eq - assignment) < sizeof key, FCFIT_ERR_USAGE,
                  "--set: key too long");
    snprintf(key, sizeof key, "%.*s", (int)(eq - assignment), assignment);
    en = find(cfg, key);
    if (en == NULL) {
        /* Below a mapping-valued key (sweep.params.model.rww.G=...): one entry of it. */
        for (size_t k = 0; k < cfg->n; k++) {
            entry *t = &cfg->e[k];
            size_t len = strlen(t->d.key);
            if (t->d.type == FCFIT_OPT_TREE && strncmp(key, t->d.key, len) == 0 &&
                key[len] == '.') {
                FCFIT_REQUIRE(eq[1] != '\0', FCFIT_ERR_CONFIG,
                              "--set %s: the value is empty (null removes the entry)",
                              visible(key, show, sizeof show));
                FCFIT_CHECK(fcfit_yaml_parse(eq + 1, "--set", &y));
                st = set_in_tree(t, key + len + 1, y);
                fcfit_ynode_free(y);
                return st;
            }
        }
        if (has_prefix(cfg, key)) {
            FCFIT_FAIL(FCFIT_ERR_CONFIG,
                       "--set: '%s' is a section; set one of its keys (fcfit keys lists them)",
                       visible(key, show, sizeof show));
        }
        return unknown_key(cfg, key, "--set");
    }
    if (eq[1] == '\0') {
        return bad_value(en, "--set", "", "(the value is empty)");
    }
    FCFIT_CHECK(fcfit_yaml_parse(eq + 1, "--set", &y));
    if (y->kind == FCFIT_Y_SCALAR && y->is_null) {
        /* key=null: the default, or unset (target.fc=null drops a target). */
        fcfit_ynode_free(y);
        return reset_entry(en);
    }
    st = assign(en, y, "--set", ".");
    fcfit_ynode_free(y);
    FCFIT_CHECK(st);
    en->set = 1;
    return FCFIT_OK;
}

int fcfit_config_is_set(const fcfit_config *cfg, const char *key)
{
    const entry *en = find(cfg, key);
    return en != NULL && en->set;
}

int fcfit_config_has_value(const fcfit_config *cfg, const char *key)
{
    const entry *en = find(cfg, key);
    return en != NULL && en->has;
}

int fcfit_config_bool(const fcfit_config *cfg, const char *key)
{
    const entry *en = find(cfg, key);
    return en != NULL && en->has ? en->b : 0;
}

int64_t fcfit_config_int(const fcfit_config *cfg, const char *key)
{
    const entry *en = find(cfg, key);
    return en != NULL && en->has ? en->i : 0;
}

double fcfit_config_real(const fcfit_config *cfg, const char *key)
{
    const entry *en = find(cfg, key);
    return en != NULL && en->has ? en->r : 0.0;
}

const char *fcfit_config_string(const fcfit_config *cfg, const char *key)
{
    const entry *en = find(cfg, key);
    if (en == NULL || !en->has) {
        return NULL;
    }
    if (en->d.type == FCFIT_OPT_ENUM) {
        return en->d.choices[en->e];
    }
    return en->s;
}

size_t fcfit_config_enum(const fcfit_config *cfg, const char *key)
{
    const entry *en = find(cfg, key);
    return en != NULL && en->has ? en->e : 0;
}

const fcfit_regional *fcfit_config_regional(const fcfit_config *cfg, const char *key)
{
    const entry *en = find(cfg, key);
    return en != NULL && en->has && en->d.type == FCFIT_OPT_REGIONAL ? &en->reg : NULL;
}

size_t fcfit_config_list_len(const fcfit_config *cfg, const char *key)
{
    const entry *en = find(cfg, key);
    return en != NULL && en->has ? en->nlist : 0;
}

const char *fcfit_config_list_path(const fcfit_config *cfg, const char *key, size_t i)
{
    const entry *en = find(cfg, key);
    return en != NULL && en->has && en->paths != NULL && i < en->nlist ? en->paths[i] : NULL;
}

double fcfit_config_list_real(const fcfit_config *cfg, const char *key, size_t i)
{
    const entry *en = find(cfg, key);
    return en != NULL && en->has && en->reals != NULL && i < en->nlist ? en->reals[i] : NAN;
}

const fcfit_ynode *fcfit_config_tree(const fcfit_config *cfg, const char *key)
{
    const entry *en = find(cfg, key);
    return en != NULL && en->has ? en->tree : NULL;
}

const char *fcfit_config_where(const fcfit_config *cfg, const char *key)
{
    const entry *en = find(cfg, key);
    return en != NULL && en->where != NULL ? en->where : "unknown";
}

const fcfit_opt_desc *fcfit_config_desc(const fcfit_config *cfg, const char *key)
{
    const entry *en = find(cfg, key);
    return en != NULL ? &en->d : NULL;
}

size_t fcfit_config_count(const fcfit_config *cfg) { return cfg->n; }

const char *fcfit_config_key_at(const fcfit_config *cfg, size_t i)
{
    return i < cfg->n ? cfg->e[i].d.key : NULL;
}

/* ---- Text output ----------------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_add(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_add(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    int need;
    if (b->oom) {
        return;
    }
    va_start(ap, fmt);
    need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (need < 0) {
        return;
    }
    if (b->len + (size_t)need + 1 > b->cap) {
        size_t cap = b->cap > 0 ? b->cap : 1024;
        while (cap < b->len + (size_t)need + 1) {
            cap *= 2;
        }
        char *np = realloc(b->p, cap);
        if (np == NULL) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)need;
}

/* Shortest decimal text that reads back to the identical double. */
static void sb_real(sbuf *b, double v)
{
    char buf[40];
    if (v == floor(v) && fabs(v) < 1e15) {
        sb_add(b, "%.0f", v);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) {
            break;
        }
    }
    sb_add(b, "%s", buf);
}

static void sb_quoted(sbuf *b, const char *s)
{
    sb_add(b, "\"");
    for (const char *c = s; *c != '\0'; c++) {
        if (*c == '"' || *c == '\\') {
            sb_add(b, "\\%c", *c);
        } else if ((unsigned char)*c < 0x20) {
            sb_add(b, "\\x%02x", (unsigned)(unsigned char)*c);
        } else {
            sb_add(b, "%c", *c);
        }
    }
    sb_add(b, "\"");
}

static int plain_safe(const char *s)
{
    if (*s == '\0') {
        return 0;
    }
    for (const char *c = s; *c != '\0'; c++) {
        if (!isalnum((unsigned char)*c) && strchr("._+-/", *c) == NULL) {
            return 0;
        }
    }
    return 1;
}

static void sb_tree(sbuf *b, const fcfit_ynode *y)
{
    if (y->kind == FCFIT_Y_SCALAR) {
        double v;
        if (!y->quoted && parse_real(y->text, &v) &&
            (fabs(v) < 9007199254740992.0 || v != floor(v))) {
            /* Numbers by value: "0.50", "5e-1" and "0.5" (and "-0" and "0") are one setting,
             * so they give one canonical text and one job hash. */
            sb_real(b, v == 0.0 ? 0.0 : v);
        } else if (!y->quoted && plain_safe(y->text)) {
            sb_add(b, "%s", y->text);
        } else {
            sb_quoted(b, y->text);
        }
        return;
    }
    sb_add(b, y->kind == FCFIT_Y_SEQ ? "[" : "{");
    for (size_t k = 0; k < y->n; k++) {
        if (k > 0) {
            sb_add(b, ", ");
        }
        if (y->kind == FCFIT_Y_MAP) {
            if (plain_safe(y->keys[k])) {
                sb_add(b, "%s: ", y->keys[k]);
            } else {
                sb_quoted(b, y->keys[k]);
                sb_add(b, ": ");
            }
        }
        sb_tree(b, y->items[k]);
    }
    sb_add(b, y->kind == FCFIT_Y_SEQ ? "]" : "}");
}

static void sb_value(sbuf *b, const entry *en)
{
    switch (en->d.type) {
    case FCFIT_OPT_BOOL:
        sb_add(b, "%s", en->b ? "true" : "false");
        break;
    case FCFIT_OPT_INT:
        sb_add(b, "%lld", (long long)en->i);
        break;
    case FCFIT_OPT_REAL:
        sb_real(b, en->r);
        break;
    case FCFIT_OPT_STRING:
    case FCFIT_OPT_PATH:
        sb_quoted(b, en->s);
        break;
    case FCFIT_OPT_ENUM:
        sb_add(b, "%s", en->d.choices[en->e]);
        break;
    case FCFIT_OPT_REGIONAL:
        if (en->reg.kind == FCFIT_REGIONAL_SCALAR) {
            sb_real(b, en->reg.scalar);
        } else if (en->reg.kind == FCFIT_REGIONAL_BOLD_PEAK) {
            sb_add(b, "{from_bold_peak: [");
            sb_real(b, en->reg.values[0]);
            sb_add(b, ", ");
            sb_real(b, en->reg.values[1]);
            sb_add(b, "]}");
        } else if (en->reg.kind == FCFIT_REGIONAL_LIST) {
            sb_add(b, "[");
            for (size_t k = 0; k < en->reg.n; k++) {
                sb_add(b, "%s", k > 0 ? ", " : "");
                sb_real(b, en->reg.values[k]);
            }
            sb_add(b, "]");
        } else {
            sb_add(b, "{file: ");
            sb_quoted(b, en->reg.path);
            sb_add(b, "}");
        }
        break;
    case FCFIT_OPT_PATHS:
        sb_add(b, "[");
        for (size_t k = 0; k < en->nlist; k++) {
            if (k > 0) {
                sb_add(b, ", ");
            }
            sb_quoted(b, en->paths[k]);
        }
        sb_add(b, "]");
        break;
    case FCFIT_OPT_REALS:
        sb_add(b, "[");
        for (size_t k = 0; k < en->nlist; k++) {
            sb_add(b, "%s", k > 0 ? ", " : "");
            sb_real(b, en->reals[k]);
        }
        sb_add(b, "]");
        break;
    case FCFIT_OPT_TREE:
        sb_tree(b, en->tree);
        break;
    }
}

static int skipped(const char *key, const char *const *skip)
{
    for (size_t k = 0; skip != NULL && skip[k] != NULL; k++) {
        if (strncmp(key, skip[k], strlen(skip[k])) == 0) {
            return 1;
        }
    }
    return 0;
}

char *fcfit_config_canonical(const fcfit_config *cfg, int hash_only,
                             const char *const *skip_prefixes)
{
    sbuf b = {NULL, 0, 0, 0};
    sb_add(&b, "%s", "");
    for (size_t k = 0; k < cfg->n; k++) {
        const entry *en = &cfg->e[k];
        if (!en->has || skipped(en->d.key, skip_prefixes)) {
            continue;
        }
        if (hash_only && (en->d.flags & FCFIT_OPT_NOHASH)) {
            continue;
        }
        sb_add(&b, "%s: ", en->d.key);
        sb_value(&b, en);
        sb_add(&b, "\n");
    }
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

void fcfit_config_print_reference(const fcfit_config *cfg, FILE *out, int markdown,
                                  const char *const *skip_prefixes)
{
    char section[128] = "";
    for (size_t k = 0; k < cfg->n; k++) {
        const entry *en = &cfg->e[k];
        char type[1024], sect[128];
        sbuf b = {NULL, 0, 0, 0};
        size_t len;
        if (skipped(en->d.key, skip_prefixes)) {
            continue;
        }
        /* Sections: the first component, or the first two under model. */
        len = strcspn(en->d.key, ".");
        if (strncmp(en->d.key, "model.", 6) == 0 && strchr(en->d.key + 6, '.') != NULL) {
            len = (size_t)(strchr(en->d.key + 6, '.') - en->d.key);
        }
        snprintf(sect, sizeof sect, "%.*s", (int)len, en->d.key);
        fcfit_config_describe_type(&en->d, type, sizeof type);
        if (en->has) {
            sb_value(&b, en);
        }
        if (markdown) {
            if (strcmp(sect, section) != 0) {
                fprintf(out, "\n## `%s`\n\n| key | type and bounds | default | help |\n"
                             "| --- | --- | --- | --- |\n",
                        sect);
                snprintf(section, sizeof section, "%s", sect);
            }
            fprintf(out, "| `%s` | %s | %s%s%s | %s%s |\n", en->d.key, type,
                    en->has ? "`" : "", en->has ? b.p : "(unset)", en->has ? "`" : "",
                    en->d.help, (en->d.flags & FCFIT_OPT_NOHASH) ? " (does not change results)" : "");
        } else {
            if (strcmp(sect, section) != 0) {
                fprintf(out, "\n[%s]\n", sect);
                snprintf(section, sizeof section, "%s", sect);
            }
            fprintf(out, "  %s = %s\n      %s; %s\n", en->d.key, en->has ? b.p : "(unset)", type,
                    en->d.help);
        }
        free(b.p);
    }
}
