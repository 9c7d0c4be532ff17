/*
 * yaml.c: YAML text → fcfit_ynode tree, through libfyaml.
 *
 * libfyaml was chosen over libcyaml because fcfit's keys are not known at
 * compile time (model parameters are registered from the model registry):
 * libfyaml gives a plain document tree with source marks (line, column) for
 * every node, which we convert once into our own small tree so that the rest
 * of fcfit never depends on the YAML library. libcyaml maps YAML onto C
 * structs described by static schemas, which fits fixed layouts, not an open
 * registry. libfyaml also rejects duplicate keys and reports syntax errors
 * with positions, which we collect (FYPCF_COLLECT_DIAG) instead of letting
 * the library print them.
 */
#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_impl.h"
#include "fcfit/fcfit_config.h"

void fcfit_ynode_free(fcfit_ynode *node)
{
    if (node == NULL) {
        return;
    }
    for (size_t k = 0; k < node->n; k++) {
        if (node->keys != NULL) {
            free(node->keys[k]);
        }
        fcfit_ynode_free(node->items[k]);
    }
    free(node->keys);
    free(node->items);
    free(node->text);
    free(node->where);
    free(node);
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/*
 * Line (0-based) where a node starts: the mark of its token for scalars, the
 * first scalar inside for collections (-1 when there is none).
 */
static int node_line(struct fy_node *fyn)
{
    void *iter = NULL;
    if (fyn == NULL) {
        return -1;
    }
    if (fy_node_get_type(fyn) == FYNT_SCALAR) {
        struct fy_token *t = fy_node_get_scalar_token(fyn);
        const struct fy_mark *m = t != NULL ? fy_token_start_mark(t) : NULL;
        return m != NULL ? m->line : -1;
    }
    if (fy_node_get_type(fyn) == FYNT_SEQUENCE) {
        struct fy_node *item = fy_node_sequence_iterate(fyn, &iter);
        return node_line(item);
    }
    if (fy_node_get_type(fyn) == FYNT_MAPPING) {
        struct fy_node_pair *pair = fy_node_mapping_iterate(fyn, &iter);
        return pair != NULL ? node_line(fy_node_pair_key(pair)) : -1;
    }
    return -1;
}

/* "label:line" of a node; collections that are mapping values use their key's line. */
static char *where_of(struct fy_node *fyn, const char *label, int key_line)
{
    char buf[1024];
    int line = fy_node_get_type(fyn) == FYNT_SCALAR || key_line < 0 ? node_line(fyn) : key_line;
    if (line < 0) {
        line = key_line;
    }
    if (line >= 0) {
        snprintf(buf, sizeof buf, "%s:%d", label, line + 1);
    } else {
        snprintf(buf, sizeof buf, "%s", label);
    }
    return fcfit_strdup(buf);
}

static fcfit_status convert(struct fy_node *fyn, const char *label, int key_line,
                            fcfit_ynode **out)
{
    fcfit_status st = FCFIT_OK;
    fcfit_ynode *y = calloc(1, sizeof *y);
    void *iter = NULL;

    *out = NULL;
    FCFIT_REQUIRE(y != NULL, FCFIT_ERR_NOMEM, "out of memory reading %s", label);
    y->where = where_of(fyn, label, key_line);
    FCFIT_REQUIRE_GOTO(y->where != NULL, FCFIT_ERR_NOMEM, "out of memory reading %s", label);
    switch (fy_node_get_type(fyn)) {
    case FYNT_SCALAR: {
        size_t len = 0;
        const char *t = fy_node_get_scalar(fyn, &len);
        enum fy_node_style style = fy_node_get_style(fyn);
        y->kind = FCFIT_Y_SCALAR;
        y->quoted = style == FYNS_SINGLE_QUOTED || style == FYNS_DOUBLE_QUOTED;
        y->text = dup_n(t != NULL ? t : "", t != NULL ? len : 0);
        FCFIT_REQUIRE_GOTO(y->text != NULL, FCFIT_ERR_NOMEM, "out of memory reading %s", label);
        /* YAML nulls read as the empty scalar. */
        if (!y->quoted && (strcmp(y->text, "~") == 0 || strcmp(y->text, "null") == 0 ||
                           strcmp(y->text, "Null") == 0 || strcmp(y->text, "NULL") == 0)) {
            y->text[0] = '\0';
        }
        break;
    }
    case FYNT_SEQUENCE: {
        struct fy_node *item;
        size_t n = (size_t)fy_node_sequence_item_count(fyn);
        y->kind = FCFIT_Y_SEQ;
        y->items = calloc(n > 0 ? n : 1, sizeof *y->items);
        FCFIT_REQUIRE_GOTO(y->items != NULL, FCFIT_ERR_NOMEM, "out of memory reading %s", label);
        while ((item = fy_node_sequence_iterate(fyn, &iter)) != NULL) {
            FCFIT_TRY(convert(item, label, -1, &y->items[y->n]));
            y->n++;
        }
        break;
    }
    case FYNT_MAPPING: {
        struct fy_node_pair *pair;
        size_t n = (size_t)fy_node_mapping_item_count(fyn);
        y->kind = FCFIT_Y_MAP;
        y->items = calloc(n > 0 ? n : 1, sizeof *y->items);
        y->keys = calloc(n > 0 ? n : 1, sizeof *y->keys);
        FCFIT_REQUIRE_GOTO(y->items != NULL && y->keys != NULL, FCFIT_ERR_NOMEM,
                           "out of memory reading %s", label);
        while ((pair = fy_node_mapping_iterate(fyn, &iter)) != NULL) {
            struct fy_node *k = fy_node_pair_key(pair);
            struct fy_node *v = fy_node_pair_value(pair);
            size_t klen = 0;
            const char *kt;
            if (k == NULL || fy_node_get_type(k) != FYNT_SCALAR) {
                char *w = k != NULL ? where_of(k, label, -1) : fcfit_strdup(label);
                st = fcfit_error_set(FCFIT_ERR_CONFIG, __FILE__, __LINE__, __func__,
                                     "%s: mapping keys must be plain names", w ? w : label);
                free(w);
                goto cleanup;
            }
            kt = fy_node_get_scalar(k, &klen);
            y->keys[y->n] = dup_n(kt != NULL ? kt : "", kt != NULL ? klen : 0);
            FCFIT_REQUIRE_GOTO(y->keys[y->n] != NULL, FCFIT_ERR_NOMEM, "out of memory");
            for (size_t q = 0; q < y->n; q++) {
                if (strcmp(y->keys[q], y->keys[y->n]) == 0) {
                    char *w = where_of(k, label, -1);
                    st = fcfit_error_set(FCFIT_ERR_CONFIG, __FILE__, __LINE__, __func__,
                                         "%s: key '%s' is given twice in the same mapping (also "
                                         "at %s)",
                                         w != NULL ? w : label, y->keys[y->n], y->items[q]->where);
                    free(w);
                    free(y->keys[y->n]);
                    y->keys[y->n] = NULL;
                    goto cleanup;
                }
            }
            if (v == NULL) {
                /* "key:" with nothing after it: an empty scalar at the key's line. */
                fcfit_ynode *e = calloc(1, sizeof *e);
                FCFIT_REQUIRE_GOTO(e != NULL, FCFIT_ERR_NOMEM, "out of memory");
                e->kind = FCFIT_Y_SCALAR;
                e->text = fcfit_strdup("");
                e->where = where_of(k, label, -1);
                y->items[y->n] = e;
                y->n++;
                FCFIT_REQUIRE_GOTO(e->text != NULL && e->where != NULL, FCFIT_ERR_NOMEM,
                                   "out of memory");
                continue;
            }
            y->n++;
            FCFIT_TRY(convert(v, label, node_line(k), &y->items[y->n - 1]));
        }
        break;
    }
    default:
        FCFIT_FAIL_GOTO(FCFIT_ERR_CONFIG, "%s: unsupported YAML node", y->where);
    }
    *out = y;
    return FCFIT_OK;

cleanup:
    fcfit_ynode_free(y);
    return st;
}

/* Parse from text or (when text is NULL) from the file `label`. */
static fcfit_status parse_any(const char *text, const char *label, fcfit_ynode **out)
{
    fcfit_status st = FCFIT_OK;
    struct fy_diag_cfg dcfg;
    struct fy_diag *diag = NULL;
    struct fy_parse_cfg pcfg;
    struct fy_document *doc = NULL;
    struct fy_node *root;

    *out = NULL;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = NULL;
    dcfg.level = FYET_ERROR;
    diag = fy_diag_create(&dcfg);
    FCFIT_REQUIRE(diag != NULL, FCFIT_ERR_NOMEM, "cannot create the YAML diagnostics object");
    fy_diag_set_collect_errors(diag, true);
    memset(&pcfg, 0, sizeof pcfg);
    /* Duplicate keys are accepted by the parser and reported by convert(), which names them. */
    pcfg.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG | FYPCF_JSON_NONE | FYPCF_ALLOW_DUPLICATE_KEYS;
    pcfg.diag = diag;
    doc = text != NULL ? fy_document_build_from_string(&pcfg, text, FY_NT)
                       : fy_document_build_from_file(&pcfg, label);
    if (doc == NULL || fy_diag_got_error(diag)) {
        void *it = NULL;
        struct fy_diag_error *e = fy_diag_errors_iterate(diag, &it);
        if (e != NULL) {
            /* libfyaml reports 1-based lines and columns. */
            FCFIT_FAIL_GOTO(FCFIT_ERR_CONFIG, "%s:%d:%d: invalid YAML: %s", label, e->line,
                            e->column, e->msg != NULL ? e->msg : "syntax error");
        }
        FCFIT_FAIL_GOTO(FCFIT_ERR_CONFIG, "%s: cannot be read as YAML", label);
    }
    root = fy_document_root(doc);
    if (root == NULL) {
        fcfit_ynode *y = calloc(1, sizeof *y);
        FCFIT_REQUIRE_GOTO(y != NULL, FCFIT_ERR_NOMEM, "out of memory");
        y->kind = FCFIT_Y_MAP;
        y->where = fcfit_strdup(label);
        *out = y;
    } else {
        FCFIT_TRY(convert(root, label, -1, out));
    }

cleanup:
    if (doc != NULL) {
        fy_document_destroy(doc);
    }
    fy_diag_destroy(diag);
    return st;
}

fcfit_status fcfit_yaml_parse(const char *text, const char *label, fcfit_ynode **out)
{
    return parse_any(text, label, out);
}

/* Nothing but blanks, comments and document markers: an empty job (all defaults). */
static int only_comments(const char *t)
{
    while (*t != '\0') {
        while (*t == ' ' || *t == '\t' || *t == '\r') {
            t++;
        }
        if (*t == '#' || strncmp(t, "---", 3) == 0 || strncmp(t, "...", 3) == 0) {
            while (*t != '\0' && *t != '\n') {
                t++;
            }
        } else if (*t != '\n' && *t != '\0') {
            return 0;
        }
        if (*t == '\n') {
            t++;
        }
    }
    return 1;
}

fcfit_status fcfit_yaml_parse_file(const char *path, fcfit_ynode **out)
{
    FILE *fp = fopen(path, "rb");
    char *text = NULL;
    size_t len = 0, cap = 0;
    fcfit_status st;
    FCFIT_REQUIRE(fp != NULL, FCFIT_ERR_INPUT, "%s: cannot open the job file", path);
    for (;;) {
        size_t got;
        if (len + 4096 + 1 > cap) {
            char *nt;
            cap = cap > 0 ? 2 * cap : 8192;
            nt = realloc(text, cap);
            if (nt == NULL) {
                free(text);
                fclose(fp);
                FCFIT_FAIL(FCFIT_ERR_NOMEM, "%s: out of memory reading the job file", path);
            }
            text = nt;
        }
        got = fread(text + len, 1, 4096, fp);
        len += got;
        if (got < 4096) {
            break;
        }
    }
    fclose(fp);
    text[len] = '\0';
    FCFIT_REQUIRE(strlen(text) == len, FCFIT_ERR_CONFIG,
                  "%s: contains a NUL byte; expected a YAML text file", path);
    if (only_comments(text)) {
        fcfit_ynode *y = calloc(1, sizeof *y);
        free(text);
        FCFIT_REQUIRE(y != NULL, FCFIT_ERR_NOMEM, "out of memory");
        y->kind = FCFIT_Y_MAP;
        y->where = fcfit_strdup(path);
        *out = y;
        return FCFIT_OK;
    }
    st = parse_any(text, path, out);
    free(text);
    return st;
}
