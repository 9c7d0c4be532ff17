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
 *
 * A job is one YAML document: text with a second document ('---') is
 * refused, naming the line where it starts. Job files must be regular files
 * (not FIFOs or devices) of UTF-8 text without NUL bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <libfyaml.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
            y->is_null = 1;
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

/* The first diagnostic libfyaml collected, as an error naming label:line:column. */
static fcfit_status yaml_diag_error(struct fy_diag *diag, const char *label)
{
    void *it = NULL;
    struct fy_diag_error *e = fy_diag_errors_iterate(diag, &it);
    if (e != NULL) {
        /* libfyaml reports 1-based lines and columns. */
        FCFIT_FAIL(FCFIT_ERR_CONFIG, "%s:%d:%d: invalid YAML: %s", label, e->line, e->column,
                   e->msg != NULL ? e->msg : "syntax error");
    }
    FCFIT_FAIL(FCFIT_ERR_CONFIG, "%s: cannot be read as YAML", label);
}

/*
 * Length of the valid UTF-8 sequence at p (1 to 4), or 0 when the bytes there
 * are not one (stray continuation byte, overlong form, surrogate, beyond
 * U+10FFFF, or cut short by the end of the text).
 */
static size_t utf8_length(const unsigned char *p)
{
    unsigned c = p[0];
    size_t n;
    unsigned cp;
    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    for (size_t k = 1; k < n; k++) {
        if ((p[k] & 0xc0) != 0x80) {
            return 0; /* also stops at the terminating NUL */
        }
        cp = (cp << 6) | (p[k] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
        return 0;
    }
    return n;
}

/*
 * YAML text is Unicode, and fcfit reads job files as UTF-8. Invalid UTF-8 is
 * refused before libfyaml sees it: libfyaml 0.7.12 loops forever on some of
 * it (a directive line such as "%0" followed by the byte 0xec, found by
 * fuzzing).
 */
static fcfit_status yaml_check_utf8(const char *text, const char *label)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t line = 1;
    while (*p != '\0') {
        size_t n = utf8_length(p);
        if (n == 0 && strcmp(label, "--set") == 0) {
            FCFIT_FAIL(FCFIT_ERR_CONFIG, "--set: invalid UTF-8 (byte 0x%02x) in the value",
                       (unsigned)*p);
        }
        FCFIT_REQUIRE(n > 0, FCFIT_ERR_CONFIG,
                      "%s:%zu: invalid UTF-8 (byte 0x%02x); expected a UTF-8 text file", label,
                      line, (unsigned)*p);
        line += *p == '\n';
        p += n;
    }
    return FCFIT_OK;
}

/*
 * Parse text (labelled `label` in messages). The text must hold exactly one
 * YAML document: a job split by '---' into several would otherwise lose
 * every document after the first without a word.
 */
static fcfit_status parse_any(const char *text, const char *label, fcfit_ynode **out)
{
    fcfit_status st = FCFIT_OK;
    struct fy_diag_cfg dcfg;
    struct fy_diag *diag = NULL;
    struct fy_parse_cfg pcfg;
    struct fy_parser *fyp = NULL;
    struct fy_document *doc = NULL;
    struct fy_document *second = NULL;
    struct fy_node *root;

    *out = NULL;
    FCFIT_CHECK(yaml_check_utf8(text, label));
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
    fyp = fy_parser_create(&pcfg);
    FCFIT_REQUIRE_GOTO(fyp != NULL, FCFIT_ERR_NOMEM, "cannot create the YAML parser");
    FCFIT_REQUIRE_GOTO(fy_parser_set_string(fyp, text, strlen(text)) == 0, FCFIT_ERR_NOMEM,
                       "cannot give the YAML text of %s to the parser", label);
    doc = fy_parse_load_document(fyp);
    if (doc == NULL || fy_diag_got_error(diag)) {
        FCFIT_TRY(yaml_diag_error(diag, label));
    }
    second = fy_parse_load_document(fyp);
    if (fy_diag_got_error(diag)) {
        FCFIT_TRY(yaml_diag_error(diag, label));
    }
    if (second != NULL) {
        const struct fy_mark *m =
            fy_document_state_start_mark(fy_document_get_document_state(second));
        if (m != NULL) {
            FCFIT_FAIL_GOTO(FCFIT_ERR_CONFIG,
                            "%s:%d: a second YAML document starts here; a job file holds one "
                            "document (remove the '---' line, or merge the documents into one "
                            "mapping)",
                            label, m->line + 1);
        }
        FCFIT_FAIL_GOTO(FCFIT_ERR_CONFIG,
                        "%s: holds more than one YAML document; a job file holds one document "
                        "(remove the '---' line, or merge the documents into one mapping)",
                        label);
    }
    root = fy_document_root(doc);
    if (root == NULL) {
        fcfit_ynode *y = calloc(1, sizeof *y);
        FCFIT_REQUIRE_GOTO(y != NULL, FCFIT_ERR_NOMEM, "out of memory");
        y->kind = FCFIT_Y_MAP;
        y->where = fcfit_strdup(label);
        *out = y;
        FCFIT_REQUIRE_GOTO(y->where != NULL, FCFIT_ERR_NOMEM, "out of memory");
    } else {
        FCFIT_TRY(convert(root, label, -1, out));
    }

cleanup:
    if (second != NULL) {
        fy_parse_document_destroy(fyp, second);
    }
    if (doc != NULL) {
        fy_parse_document_destroy(fyp, doc);
    }
    if (fyp != NULL) {
        fy_parser_destroy(fyp);
    }
    fy_diag_destroy(diag);
    if (st != FCFIT_OK) {
        fcfit_ynode_free(*out);
        *out = NULL;
    }
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

/* A job file larger than this is not a job file (a sweep of 10^6 inline values is ~20 MB). */
#define YAML_MAX_FILE ((size_t)64 << 20)

/* "a FIFO (named pipe)" etc. for an st_mode that is not a regular file. */
static const char *yaml_file_kind(mode_t mode)
{
    if (S_ISDIR(mode)) {
        return "a directory";
    }
    if (S_ISFIFO(mode)) {
        return "a FIFO (named pipe)";
    }
    if (S_ISCHR(mode)) {
        return "a character device (such as /dev/zero or /dev/urandom)";
    }
    if (S_ISBLK(mode)) {
        return "a block device";
    }
    return "not a regular file";
}

/*
 * Read a job file whole. It is opened without blocking (a FIFO would block
 * open() until a writer appears) and must be a regular file of at most
 * YAML_MAX_FILE bytes, so /dev/zero or a pipe is refused before any read.
 */
static fcfit_status yaml_read_file(const char *path, char **text_out, size_t *len_out)
{
    fcfit_status st = FCFIT_OK;
    struct stat sb;
    char *text = NULL;
    size_t len = 0;
    int fd;

    *text_out = NULL;
    fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    FCFIT_REQUIRE(fd >= 0, FCFIT_ERR_INPUT, "%s: cannot open the job file: %s", path,
                  strerror(errno));
    FCFIT_REQUIRE_GOTO(fstat(fd, &sb) == 0, FCFIT_ERR_INPUT,
                       "%s: cannot read the job file's status: %s", path, strerror(errno));
    FCFIT_REQUIRE_GOTO(S_ISREG(sb.st_mode), FCFIT_ERR_INPUT,
                       "%s: is %s; expected a YAML job file (a regular file)", path,
                       yaml_file_kind(sb.st_mode));
    FCFIT_REQUIRE_GOTO((uint64_t)sb.st_size <= YAML_MAX_FILE, FCFIT_ERR_INPUT,
                       "%s: the job file has %lld bytes; expected a YAML text file of at most "
                       "%zu MB",
                       path, (long long)sb.st_size, YAML_MAX_FILE >> 20);
    text = malloc((size_t)sb.st_size + 1);
    FCFIT_REQUIRE_GOTO(text != NULL, FCFIT_ERR_NOMEM, "%s: out of memory reading the job file",
                       path);
    while (len < (size_t)sb.st_size) {
        ssize_t r = read(fd, text + len, (size_t)sb.st_size - len);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        FCFIT_REQUIRE_GOTO(r >= 0, FCFIT_ERR_INPUT, "%s: read error: %s", path, strerror(errno));
        if (r == 0) {
            break; /* the file shrank: parse what is there */
        }
        len += (size_t)r;
    }
    text[len] = '\0';
    *text_out = text;
    *len_out = len;
    text = NULL;

cleanup:
    close(fd);
    free(text);
    return st;
}

fcfit_status fcfit_yaml_parse_file(const char *path, fcfit_ynode **out)
{
    char *text = NULL;
    size_t len = 0;
    fcfit_status st;

    FCFIT_CHECK(yaml_read_file(path, &text, &len));
    if (strlen(text) != len) {
        size_t line = 1;
        for (size_t k = 0; text[k] != '\0'; k++) {
            line += text[k] == '\n';
        }
        free(text);
        FCFIT_FAIL(FCFIT_ERR_CONFIG, "%s:%zu: contains a NUL byte; expected a YAML text file",
                   path, line);
    }
    if (only_comments(text)) {
        fcfit_ynode *y = calloc(1, sizeof *y);
        free(text);
        FCFIT_REQUIRE(y != NULL, FCFIT_ERR_NOMEM, "out of memory");
        y->kind = FCFIT_Y_MAP;
        y->where = fcfit_strdup(path);
        *out = y;
        if (y->where == NULL) {
            fcfit_ynode_free(y);
            *out = NULL;
            FCFIT_FAIL(FCFIT_ERR_NOMEM, "out of memory");
        }
        return FCFIT_OK;
    }
    st = parse_any(text, path, out);
    free(text);
    return st;
}
