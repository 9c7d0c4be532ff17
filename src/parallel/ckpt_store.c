/*
 * ckpt_store.c: rank 0's store of simulation checkpoints and its side file
 * `<results>.ckpt` (see parallel_impl.h and docs/protocol.md).
 *
 * When a run is stopped, workers checkpoint the simulations they are in the
 * middle of and send the checkpoints to rank 0 (workers never write files);
 * rank 0 keeps them here and, when the run ends, writes them to the side
 * file next to the results file (a temporary name, fsync, rename: the file is
 * either the old one or the new one, never half written). The next run reads
 * it and hands each checkpoint back with its work item, so a simulation
 * longer than a job segment advances across segments and still finishes
 * bitwise as it would have uninterrupted.
 *
 * A checkpoint is used only for the very work item it was taken from:
 *  - the side file names the fcfit build (version and git hash) and the job
 *    hash; a file of another build or job is ignored (with a warning);
 *  - every entry carries its item's stage, task, replicate and seed, a hash
 *    of the item's parameter values, and a checksum of its bytes; an entry
 *    that does not match the item asking for it, or whose checksum fails, is
 *    dropped, never used;
 *  - the evaluator checks the seed and parameters once more
 *    (fcfit_eval_run_resume).
 * Entries whose row is done, or whose item finished, are dropped; a kill -9
 * leaves the previous side file, whose entries are still exact states of
 * their items.
 *
 * File layout (native byte order, as the results file's MPI messages):
 *   u64 magic "FCFITCKP", u64 format 1, u64 n, build string (u64 length +
 *   bytes), job hash (16 bytes), then n entries: u64 stage, task, point,
 *   replicate, seed, params_hash, step, size, checksum, then size bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fcfit/fcfit_build_info.h"
#include "fcfit/fcfit_hash.h"
#include "fcfit/fcfit_log.h"
#include "fcfit/fcfit_run.h"
#include "parallel/parallel_impl.h"

#define CKPT_MAGIC 0x504b435449464346ULL /* "FCFITCKP" */
#define CKPT_FORMAT 1u

struct ckpt_store {
    char *path;
    char job_hash[17];
    ckpt_entry *e;
    size_t n, cap;
    int dirty;
};

static const char *build_id(void) { return FCFIT_VERSION " " FCFIT_GIT_HASH; }

static uint64_t entry_checksum(const ckpt_entry *e)
{
    uint64_t h = fcfit_hash_bytes(0x636b7074, &e->stage, sizeof e->stage);
    h = fcfit_hash_bytes(h, &e->task, sizeof e->task);
    h = fcfit_hash_bytes(h, &e->point, sizeof e->point);
    h = fcfit_hash_bytes(h, &e->replicate, sizeof e->replicate);
    h = fcfit_hash_bytes(h, &e->seed, sizeof e->seed);
    h = fcfit_hash_bytes(h, &e->params_hash, sizeof e->params_hash);
    h = fcfit_hash_bytes(h, &e->step, sizeof e->step);
    return fcfit_hash_bytes(h, e->data, e->size);
}

static void entry_free(ckpt_entry *e)
{
    free(e->data);
    memset(e, 0, sizeof *e);
}

void ckpt_store_destroy(ckpt_store **ps)
{
    ckpt_store *s;
    if (ps == NULL || *ps == NULL) {
        return;
    }
    s = *ps;
    for (size_t k = 0; k < s->n; k++) {
        entry_free(&s->e[k]);
    }
    free(s->e);
    free(s->path);
    free(s);
    *ps = NULL;
}

static fcfit_status grow(ckpt_store *s)
{
    if (s->n == s->cap) {
        size_t nc = s->cap > 0 ? 2 * s->cap : 16;
        ckpt_entry *ne = realloc(s->e, nc * sizeof *ne);
        FCFIT_REQUIRE(ne != NULL, FCFIT_ERR_NOMEM, "cannot grow the checkpoint store");
        s->e = ne;
        s->cap = nc;
    }
    return FCFIT_OK;
}

static int read_u64(FILE *f, uint64_t *v) { return fread(v, sizeof *v, 1, f) == 1; }

/* Read the side file; anything that is not exactly right is ignored with a warning. */
static void load(ckpt_store *s)
{
    FILE *f = fopen(s->path, "rb");
    uint64_t magic = 0, format = 0, n = 0, blen = 0;
    char build[256], hash[17];
    size_t kept = 0, dropped = 0;
    if (f == NULL) {
        return;
    }
    memset(build, 0, sizeof build);
    memset(hash, 0, sizeof hash);
    if (!read_u64(f, &magic) || magic != CKPT_MAGIC || !read_u64(f, &format) ||
        format != CKPT_FORMAT || !read_u64(f, &n) || !read_u64(f, &blen) ||
        blen >= sizeof build || fread(build, 1, (size_t)blen, f) != blen ||
        fread(hash, 1, 16, f) != 16) {
        fcfit_log(FCFIT_LOG_WARN, "%s is not a checkpoint file of this fcfit; ignoring it",
                  s->path);
        fclose(f);
        return;
    }
    if (strcmp(build, build_id()) != 0) {
        fcfit_log(FCFIT_LOG_WARN,
                  "%s was written by another fcfit build (%s, this is %s); its simulations start "
                  "over",
                  s->path, build, build_id());
        fclose(f);
        return;
    }
    if (strcmp(hash, s->job_hash) != 0) {
        fcfit_log(FCFIT_LOG_WARN, "%s belongs to another job (hash %s, this job %s); ignoring it",
                  s->path, hash, s->job_hash);
        fclose(f);
        return;
    }
    for (uint64_t k = 0; k < n; k++) {
        ckpt_entry e;
        uint64_t sum = 0;
        memset(&e, 0, sizeof e);
        if (!read_u64(f, &e.stage) || !read_u64(f, &e.task) || !read_u64(f, &e.point) ||
            !read_u64(f, &e.replicate) || !read_u64(f, &e.seed) || !read_u64(f, &e.params_hash) ||
            !read_u64(f, &e.step) || !read_u64(f, &e.size) || !read_u64(f, &sum) ||
            e.size == 0 || e.size > ((uint64_t)1 << 40)) {
            dropped += (size_t)(n - k);
            break;
        }
        e.data = malloc((size_t)e.size);
        if (e.data == NULL || fread(e.data, 1, (size_t)e.size, f) != e.size) {
            entry_free(&e);
            dropped += (size_t)(n - k);
            break;
        }
        if (entry_checksum(&e) != sum || grow(s) != FCFIT_OK) {
            fcfit_error_clear();
            entry_free(&e);
            dropped++;
            continue;
        }
        s->e[s->n++] = e;
        kept++;
    }
    fclose(f);
    if (dropped > 0) {
        fcfit_log(FCFIT_LOG_WARN, "%s: %zu damaged checkpoint(s) ignored", s->path, dropped);
    }
    if (kept > 0) {
        fcfit_log(FCFIT_LOG_INFO, "%s: %zu simulation checkpoint(s) to resume", s->path, kept);
    }
}

fcfit_status ckpt_store_open(ckpt_store **out, const char *results_path, const char *job_hash,
                             int fresh)
{
    ckpt_store *s = calloc(1, sizeof *s);
    size_t n = strlen(results_path) + 8;
    *out = NULL;
    FCFIT_REQUIRE(s != NULL, FCFIT_ERR_NOMEM, "out of memory");
    s->path = malloc(n);
    if (s->path == NULL) {
        free(s);
        FCFIT_FAIL(FCFIT_ERR_NOMEM, "out of memory");
    }
    snprintf(s->path, n, "%s.ckpt", results_path);
    snprintf(s->job_hash, sizeof s->job_hash, "%s", job_hash);
    if (fresh) {
        /* A new results file: checkpoints of an earlier file at this path mean nothing now. */
        if (unlink(s->path) == 0) {
            s->dirty = 0;
        }
    } else {
        load(s);
    }
    *out = s;
    return FCFIT_OK;
}

size_t ckpt_store_count(const ckpt_store *s) { return s != NULL ? s->n : 0; }

static ckpt_entry *find(ckpt_store *s, uint64_t stage, uint64_t task, uint64_t replicate)
{
    for (size_t k = 0; s != NULL && k < s->n; k++) {
        if (s->e[k].stage == stage && s->e[k].task == task && s->e[k].replicate == replicate) {
            return &s->e[k];
        }
    }
    return NULL;
}

void ckpt_store_drop(ckpt_store *s, uint64_t stage, uint64_t task, uint64_t replicate)
{
    ckpt_entry *e = find(s, stage, task, replicate);
    if (e != NULL) {
        entry_free(e);
        *e = s->e[--s->n];
        s->dirty = 1;
    }
}

const ckpt_entry *ckpt_store_match(ckpt_store *s, uint64_t stage, uint64_t task,
                                   uint64_t replicate, uint64_t seed, uint64_t params_hash)
{
    ckpt_entry *e = find(s, stage, task, replicate);
    if (e == NULL) {
        return NULL;
    }
    if (e->seed != seed || e->params_hash != params_hash) {
        fcfit_log(FCFIT_LOG_WARN,
                  "checkpoint of stage %llu task %llu replicate %llu belongs to another "
                  "evaluation (seed or parameters differ); not used",
                  (unsigned long long)stage, (unsigned long long)task,
                  (unsigned long long)replicate);
        ckpt_store_drop(s, stage, task, replicate);
        return NULL;
    }
    return e;
}

fcfit_status ckpt_store_put(ckpt_store *s, const fcfit_ckpt_record *r, uint64_t params_hash)
{
    ckpt_entry e;
    memset(&e, 0, sizeof e);
    e.stage = r->stage;
    e.task = r->task;
    e.point = r->point;
    e.replicate = r->replicate;
    e.seed = r->seed;
    e.params_hash = params_hash;
    e.step = r->step;
    e.size = r->size;
    e.data = malloc((size_t)r->size);
    FCFIT_REQUIRE(e.data != NULL, FCFIT_ERR_NOMEM, "cannot keep a checkpoint of %llu bytes",
                  (unsigned long long)r->size);
    memcpy(e.data, r->data, (size_t)r->size);
    ckpt_store_drop(s, r->stage, r->task, r->replicate);
    if (grow(s) != FCFIT_OK) {
        entry_free(&e);
        return fcfit_error_status();
    }
    s->e[s->n++] = e;
    s->dirty = 1;
    return FCFIT_OK;
}

void ckpt_store_drop_done(ckpt_store *s, uint64_t stage, const int32_t *status, size_t rows)
{
    for (size_t k = 0; s != NULL && k < s->n;) {
        if (s->e[k].stage == stage && s->e[k].point < rows && status[s->e[k].point] != 0) {
            entry_free(&s->e[k]);
            s->e[k] = s->e[--s->n];
            s->dirty = 1;
        } else {
            k++;
        }
    }
}

static int write_u64(FILE *f, uint64_t v) { return fwrite(&v, sizeof v, 1, f) == 1; }

fcfit_status ckpt_store_save(ckpt_store *s)
{
    char *tmp;
    FILE *f;
    int ok;
    size_t n;
    const char *b = build_id();
    if (s == NULL) {
        return FCFIT_OK;
    }
    if (s->n == 0) {
        if (unlink(s->path) != 0 && errno != ENOENT) {
            fcfit_log(FCFIT_LOG_WARN, "cannot remove %s: %s", s->path, strerror(errno));
        }
        s->dirty = 0;
        return FCFIT_OK;
    }
    if (!s->dirty) {
        return FCFIT_OK;
    }
    n = strlen(s->path) + 8;
    tmp = malloc(n);
    FCFIT_REQUIRE(tmp != NULL, FCFIT_ERR_NOMEM, "out of memory");
    snprintf(tmp, n, "%s.tmp", s->path);
    f = fopen(tmp, "wb");
    if (f == NULL) {
        fcfit_status st = fcfit_error_set(FCFIT_ERR_IO, __FILE__, __LINE__, __func__,
                                          "cannot write %s: %s", tmp, strerror(errno));
        free(tmp);
        return st;
    }
    ok = write_u64(f, CKPT_MAGIC) && write_u64(f, CKPT_FORMAT) && write_u64(f, s->n) &&
         write_u64(f, strlen(b)) && fwrite(b, 1, strlen(b), f) == strlen(b) &&
         fwrite(s->job_hash, 1, 16, f) == 16;
    for (size_t k = 0; ok && k < s->n; k++) {
        const ckpt_entry *e = &s->e[k];
        ok = write_u64(f, e->stage) && write_u64(f, e->task) && write_u64(f, e->point) &&
             write_u64(f, e->replicate) && write_u64(f, e->seed) &&
             write_u64(f, e->params_hash) && write_u64(f, e->step) && write_u64(f, e->size) &&
             write_u64(f, entry_checksum(e)) && fwrite(e->data, 1, e->size, f) == e->size;
    }
    ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
    {
        int err = errno;
        if (fclose(f) != 0) {
            ok = 0;
            err = errno;
        }
        if (!ok || rename(tmp, s->path) != 0) {
            fcfit_status st;
            if (ok) {
                err = errno;
            }
            unlink(tmp);
            st = fcfit_error_set(FCFIT_ERR_IO, __FILE__, __LINE__, __func__,
                                 "%s %s: %s; the running simulations will start over",
                                 err == ENOSPC || err == EDQUOT ? "no space left for"
                                                                : "cannot write",
                                 s->path, strerror(err));
            free(tmp);
            return st;
        }
    }
    free(tmp);
    s->dirty = 0;
    return FCFIT_OK;
}

int fcfit_run_checkpoint_summary(const char *results_path, const char *job_hash, size_t *n,
                                 uint64_t *steps)
{
    ckpt_store *s = NULL;
    int usable;
    *n = 0;
    *steps = 0;
    if (ckpt_store_open(&s, results_path, job_hash, 0) != FCFIT_OK) {
        fcfit_error_clear();
        return 0;
    }
    usable = 1;
    *n = s->n;
    for (size_t k = 0; k < s->n; k++) {
        *steps += s->e[k].step;
    }
    ckpt_store_destroy(&s);
    return usable;
}
