/*
 * job_diff.c: why a results file belongs to another job, in words.
 *
 * A results file stores the effective job text it was created with (root
 * attribute `job`: one "key: value" line per key, reals to 17 digits, see
 * fcfit_config_canonical). When a resume is refused because the job hash
 * differs, the stored text is compared with the current one key by key; keys
 * that do not change results (paths, output, logging) are left out, because
 * the hash covers the inputs' contents instead. When no key differs, the
 * difference is in an input's content (a data file changed in place).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcfit/fcfit_job.h"
#include "fcfit/fcfit_results.h"
#include "fcfit/fcfit_util.h"

typedef struct kv {
    const char *key, *val;
    size_t klen, vlen;
} kv;

/* Split "key: value" lines (the text is not modified). */
static size_t split_lines(const char *text, kv *out, size_t cap)
{
    size_t n = 0;
    const char *p = text;
    while (p != NULL && *p != '\0' && n < cap) {
        const char *end = strchr(p, '\n');
        const char *sep = strstr(p, ": ");
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        if (sep != NULL && (size_t)(sep - p) < len) {
            out[n].key = p;
            out[n].klen = (size_t)(sep - p);
            out[n].val = sep + 2;
            out[n].vlen = len - out[n].klen - 2;
            n++;
        }
        p = end != NULL ? end + 1 : NULL;
    }
    return n;
}

static const kv *lookup(const kv *list, size_t n, const kv *want)
{
    for (size_t k = 0; k < n; k++) {
        if (list[k].klen == want->klen && memcmp(list[k].key, want->key, want->klen) == 0) {
            return &list[k];
        }
    }
    return NULL;
}

/* Keys that do not change results are not reasons: the hash covers what they point at. */
static int counts(const fcfit_job *job, const kv *e)
{
    char key[256];
    const fcfit_opt_desc *d;
    snprintf(key, sizeof key, "%.*s", (int)e->klen, e->key);
    d = fcfit_config_desc(job->cfg, key);
    return d == NULL || !(d->flags & FCFIT_OPT_NOHASH);
}

static void add_value(char *buf, size_t cap, const kv *e)
{
    size_t used = strlen(buf);
    if (e == NULL) {
        snprintf(buf + used, cap - used, "unset");
    } else if (e->vlen > 60) {
        snprintf(buf + used, cap - used, "%.57s...", e->val);
    } else {
        snprintf(buf + used, cap - used, "%.*s", (int)e->vlen, e->val);
    }
}

char *fcfit_job_describe_changes(const fcfit_job *job, const char *stored)
{
    enum { MAX_KEYS = 4096, SHOWN = 8 };
    kv *old = calloc(MAX_KEYS, sizeof *old), *cur = calloc(MAX_KEYS, sizeof *cur);
    size_t n_old, n_cur, n_diff = 0, cap = 4096;
    char *out = calloc(cap, 1);

    if (old == NULL || cur == NULL || out == NULL || job->canonical == NULL) {
        free(old);
        free(cur);
        free(out);
        return NULL;
    }
    n_old = split_lines(stored, old, MAX_KEYS);
    n_cur = split_lines(job->canonical, cur, MAX_KEYS);
    /* Keys of the current job that differ or are new, then keys only the file has. */
    for (int pass = 0; pass < 2; pass++) {
        const kv *list = pass == 0 ? cur : old;
        size_t n = pass == 0 ? n_cur : n_old;
        for (size_t k = 0; k < n; k++) {
            const kv *o = pass == 0 ? lookup(old, n_old, &list[k]) : &list[k];
            const kv *c = pass == 0 ? &list[k] : lookup(cur, n_cur, &list[k]);
            size_t used;
            if (!counts(job, &list[k]) || (pass == 1 && c != NULL)) {
                continue;
            }
            if (o != NULL && c != NULL && o->vlen == c->vlen &&
                memcmp(o->val, c->val, o->vlen) == 0) {
                continue;
            }
            n_diff++;
            if (n_diff > SHOWN) {
                continue;
            }
            used = strlen(out);
            snprintf(out + used, cap - used, "%s%.*s (", n_diff > 1 ? "; " : "",
                     (int)list[k].klen, list[k].key);
            add_value(out, cap, o);
            used = strlen(out);
            snprintf(out + used, cap - used, " in the file, ");
            add_value(out, cap, c);
            used = strlen(out);
            snprintf(out + used, cap - used, " now)");
        }
    }
    if (n_diff > SHOWN) {
        size_t used = strlen(out);
        snprintf(out + used, cap - used, "; and %zu more key(s)", n_diff - SHOWN);
    }
    if (n_diff == 0) {
        snprintf(out, cap,
                 "no job key that changes results differs, so the content of an input does (the "
                 "connectome, a target file, a regional or map file, the ALN tables), or the file "
                 "was written by another fcfit version");
    }
    free(old);
    free(cur);
    return out;
}

/* The hash of input `name` in an input_hashes text ("name hex" lines), or NULL. */
static const char *input_hash(const char *text, const char *name, size_t *len)
{
    const size_t n = strlen(name);
    for (const char *p = text; p != NULL && *p != '\0';) {
        const char *end = strchr(p, '\n');
        if (strncmp(p, name, n) == 0 && p[n] == ' ') {
            *len = (end != NULL ? (size_t)(end - p) : strlen(p)) - n - 1;
            return p + n + 1;
        }
        p = end != NULL ? end + 1 : NULL;
    }
    return NULL;
}

/* Inputs whose content hash differs between the file's input_hashes and the job's, as
 * "connectome.weights, target" in out ("" when none or when the file has no hashes). */
static void describe_inputs(const fcfit_job *job, const char *stored, char *out, size_t cap)
{
    out[0] = '\0';
    if (stored == NULL) {
        return;
    }
    for (const char *p = job->input_hashes; *p != '\0';) {
        const char *sp = strchr(p, ' '), *end = strchr(p, '\n');
        char name[64];
        size_t la = 0, lb = 0;
        const char *a, *b;
        if (sp == NULL || end == NULL || (size_t)(sp - p) >= sizeof name) {
            break;
        }
        memcpy(name, p, (size_t)(sp - p));
        name[sp - p] = '\0';
        a = input_hash(stored, name, &la);
        b = input_hash(job->input_hashes, name, &lb);
        if (a == NULL || la != lb || strncmp(a, b, la) != 0) {
            const size_t used = strlen(out);
            snprintf(out + used, cap - used, "%s%s%s", used > 0 ? ", " : "", name,
                     a == NULL ? " (not in the file)" : "");
        }
        p = end + 1;
    }
}

fcfit_status fcfit_job_explain_mismatch(const fcfit_job *job, const char *results_path)
{
    char *stored = NULL, *kind = NULL, *what = NULL, *hashes = NULL, *msg;
    char inputs[512];
    fcfit_status code = fcfit_error_status();

    if (code == FCFIT_OK) {
        return FCFIT_OK;
    }
    msg = fcfit_strdup(fcfit_error_message());
    if (msg == NULL ||
        fcfit_results_read_job_text(results_path, &kind, &stored, &hashes) != FCFIT_OK ||
        kind == NULL || strcmp(kind, "run") != 0 || stored == NULL ||
        (what = fcfit_job_describe_changes(job, stored)) == NULL) {
        /* Not a results file of fcfit, or unreadable: the original message stands. */
        if (msg != NULL) {
            fcfit_error_set(code, __FILE__, __LINE__, __func__, "%s", msg);
        }
        free(msg);
        free(kind);
        free(stored);
        free(hashes);
        return code;
    }
    describe_inputs(job, hashes, inputs, sizeof inputs);
    if (inputs[0] != '\0' && strncmp(what, "no job key", 10) == 0) {
        fcfit_error_set(code, __FILE__, __LINE__, __func__,
                        "%s. What changed: no job key that changes results, but the content of "
                        "these inputs: %s", msg, inputs);
    } else if (inputs[0] != '\0') {
        fcfit_error_set(code, __FILE__, __LINE__, __func__,
                        "%s. What changed: %s; and the content of these inputs: %s", msg, what,
                        inputs);
    } else {
        fcfit_error_set(code, __FILE__, __LINE__, __func__, "%s. What changed: %s", msg, what);
    }
    free(msg);
    free(kind);
    free(stored);
    free(hashes);
    free(what);
    return code;
}
