/*
 * protocol.c: message layouts (see fcfit_protocol.h). Pure functions on byte
 * buffers; compiled into the numerical core so that the unit tests check
 * round trips and malformed input without MPI.
 *
 * Every message starts with the header  magic ("FCFITMSG" as a u64),
 * protocol version, message kind (its tag).
 */
#include "fcfit/fcfit_protocol.h"

#include <string.h>

#define PROTO_MAGIC 0x47534d5449464346ULL /* "FCFITMSG" little-endian */

static void header(fcfit_packer *p, uint64_t kind)
{
    fcfit_pack_reset(p);
    fcfit_pack_u64(p, PROTO_MAGIC);
    fcfit_pack_u64(p, FCFIT_PROTOCOL_VERSION);
    fcfit_pack_u64(p, kind);
}

static fcfit_status check_header(fcfit_unpacker *u, uint64_t kind)
{
    uint64_t magic = 0, version = 0, k = 0;
    FCFIT_CHECK(fcfit_unpack_u64(u, &magic));
    FCFIT_REQUIRE(magic == PROTO_MAGIC, FCFIT_ERR_PROTOCOL, "malformed message: bad magic");
    FCFIT_CHECK(fcfit_unpack_u64(u, &version));
    FCFIT_REQUIRE(version == FCFIT_PROTOCOL_VERSION, FCFIT_ERR_PROTOCOL,
                  "message protocol version %llu, expected %u (ranks run different fcfit builds?)",
                  (unsigned long long)version, FCFIT_PROTOCOL_VERSION);
    FCFIT_CHECK(fcfit_unpack_u64(u, &k));
    FCFIT_REQUIRE(k == kind, FCFIT_ERR_PROTOCOL, "message of kind %llu where %llu was expected",
                  (unsigned long long)k, (unsigned long long)kind);
    return FCFIT_OK;
}

void fcfit_proto_pack_task(fcfit_packer *p, size_t n, size_t n_regions,
                           const fcfit_work_item *items)
{
    header(p, FCFIT_TAG_TASK);
    fcfit_pack_u64(p, (uint64_t)n);
    for (size_t k = 0; k < n; k++) {
        const fcfit_work_item *it = &items[k];
        fcfit_pack_u64(p, it->stage);
        fcfit_pack_u64(p, it->task);
        fcfit_pack_u64(p, it->point);
        fcfit_pack_u64(p, it->replicate);
        fcfit_pack_u64(p, it->seed);
        fcfit_pack_u64(p, it->subject);
        fcfit_pack_u64(p, (uint64_t)it->n_set);
        for (size_t j = 0; j < it->n_set; j++) {
            fcfit_pack_u64(p, it->set_param[j]);
        }
        fcfit_pack_f64s(p, it->set_values, it->n_set * n_regions);
    }
}

fcfit_status fcfit_proto_unpack_task(const void *buf, size_t len, size_t cap, size_t n_regions,
                                     size_t max_set, fcfit_work_item *items, double *arena,
                                     size_t *n)
{
    fcfit_unpacker u;
    uint64_t count = 0;
    fcfit_unpack_init(&u, buf, len);
    FCFIT_CHECK(check_header(&u, FCFIT_TAG_TASK));
    FCFIT_CHECK(fcfit_unpack_u64(&u, &count));
    FCFIT_REQUIRE(count >= 1 && count <= cap, FCFIT_ERR_PROTOCOL,
                  "malformed TASK: %llu items for %zu lanes", (unsigned long long)count, cap);
    FCFIT_REQUIRE(max_set <= FCFIT_PROTOCOL_MAX_SET, FCFIT_ERR_PROTOCOL,
                  "TASK: %zu parameter rows allowed, at most %d", max_set, FCFIT_PROTOCOL_MAX_SET);
    for (size_t k = 0; k < count; k++) {
        fcfit_work_item *it = &items[k];
        uint64_t ns = 0, nv = 0;
        FCFIT_CHECK(fcfit_unpack_u64(&u, &it->stage));
        FCFIT_CHECK(fcfit_unpack_u64(&u, &it->task));
        FCFIT_CHECK(fcfit_unpack_u64(&u, &it->point));
        FCFIT_CHECK(fcfit_unpack_u64(&u, &it->replicate));
        FCFIT_CHECK(fcfit_unpack_u64(&u, &it->seed));
        FCFIT_CHECK(fcfit_unpack_u64(&u, &it->subject));
        FCFIT_CHECK(fcfit_unpack_u64(&u, &ns));
        FCFIT_REQUIRE(ns <= max_set, FCFIT_ERR_PROTOCOL,
                      "malformed TASK: %llu parameter rows, at most %zu",
                      (unsigned long long)ns, max_set);
        it->n_set = (size_t)ns;
        for (size_t j = 0; j < it->n_set; j++) {
            uint64_t pj = 0;
            FCFIT_CHECK(fcfit_unpack_u64(&u, &pj));
            FCFIT_REQUIRE(pj < max_set, FCFIT_ERR_PROTOCOL,
                          "malformed TASK: parameter %llu of at most %zu",
                          (unsigned long long)pj, max_set);
            it->set_param[j] = (uint32_t)pj;
        }
        FCFIT_CHECK(fcfit_unpack_u64(&u, &nv));
        FCFIT_REQUIRE(nv == it->n_set * n_regions, FCFIT_ERR_PROTOCOL,
                      "malformed TASK: %llu parameter values for %zu rows of %zu regions",
                      (unsigned long long)nv, it->n_set, n_regions);
        it->set_values = arena + k * max_set * n_regions;
        FCFIT_CHECK(fcfit_unpack_bytes(&u, it->set_values, (size_t)nv * sizeof(double)));
    }
    FCFIT_REQUIRE(fcfit_unpack_done(&u), FCFIT_ERR_PROTOCOL, "malformed TASK: trailing bytes");
    *n = (size_t)count;
    return FCFIT_OK;
}

void fcfit_proto_pack_result(fcfit_packer *p, size_t n, const fcfit_work_result *res)
{
    header(p, FCFIT_TAG_RESULT);
    fcfit_pack_u64(p, (uint64_t)n);
    for (size_t k = 0; k < n; k++) {
        const fcfit_work_result *r = &res[k];
        fcfit_pack_u64(p, r->stage);
        fcfit_pack_u64(p, r->task);
        fcfit_pack_u64(p, r->point);
        fcfit_pack_u64(p, r->replicate);
        fcfit_pack_i64(p, r->status);
        fcfit_pack_str(p, r->reason);
        fcfit_pack_f64(p, r->wall_s);
        fcfit_pack_f64s(p, r->scores, r->n_scores);
        fcfit_pack_f64s(p, r->scores2, r->n_scores2);
        fcfit_pack_f64s(p, r->subject_scores, r->n_subject_scores);
        fcfit_pack_f32s(p, r->fc, r->n_fc);
        fcfit_pack_i64(p, r->tune_active);
        fcfit_pack_i64(p, r->tune_converged);
        fcfit_pack_i64(p, r->tune_iterations);
        fcfit_pack_f64(p, r->tune_max_error);
        fcfit_pack_f64s(p, r->diag, r->n_diag);
    }
}

fcfit_status fcfit_proto_unpack_result(const void *buf, size_t len, size_t cap,
                                       fcfit_work_result *res, size_t *n)
{
    fcfit_unpacker u;
    uint64_t count = 0;
    fcfit_unpack_init(&u, buf, len);
    FCFIT_CHECK(check_header(&u, FCFIT_TAG_RESULT));
    FCFIT_CHECK(fcfit_unpack_u64(&u, &count));
    FCFIT_REQUIRE(count >= 1 && count <= cap, FCFIT_ERR_PROTOCOL,
                  "malformed RESULT: %llu records for %zu expected", (unsigned long long)count,
                  cap);
    for (size_t k = 0; k < count; k++) {
        fcfit_work_result *r = &res[k];
        FCFIT_CHECK(fcfit_unpack_u64(&u, &r->stage));
        FCFIT_CHECK(fcfit_unpack_u64(&u, &r->task));
        FCFIT_CHECK(fcfit_unpack_u64(&u, &r->point));
        FCFIT_CHECK(fcfit_unpack_u64(&u, &r->replicate));
        FCFIT_CHECK(fcfit_unpack_i64(&u, &r->status));
        FCFIT_CHECK(fcfit_unpack_str_into(&u, r->reason, sizeof r->reason));
        FCFIT_CHECK(fcfit_unpack_f64(&u, &r->wall_s));
        FCFIT_CHECK(fcfit_unpack_f64s_into(&u, r->scores, r->n_scores));
        FCFIT_CHECK(fcfit_unpack_f64s_into(&u, r->scores2, r->n_scores2));
        FCFIT_CHECK(fcfit_unpack_f64s_into(&u, r->subject_scores, r->n_subject_scores));
        FCFIT_CHECK(fcfit_unpack_f32s_into(&u, r->fc, r->n_fc));
        FCFIT_CHECK(fcfit_unpack_i64(&u, &r->tune_active));
        FCFIT_CHECK(fcfit_unpack_i64(&u, &r->tune_converged));
        FCFIT_CHECK(fcfit_unpack_i64(&u, &r->tune_iterations));
        FCFIT_CHECK(fcfit_unpack_f64(&u, &r->tune_max_error));
        FCFIT_CHECK(fcfit_unpack_f64s_into(&u, r->diag, r->n_diag));
    }
    FCFIT_REQUIRE(fcfit_unpack_done(&u), FCFIT_ERR_PROTOCOL, "malformed RESULT: trailing bytes");
    *n = (size_t)count;
    return FCFIT_OK;
}

void fcfit_proto_pack_progress(fcfit_packer *p, const fcfit_work_progress *pr)
{
    header(p, FCFIT_TAG_PROGRESS);
    fcfit_pack_u64(p, pr->n_tasks);
    fcfit_pack_f64(p, pr->simulated_s);
    fcfit_pack_f64(p, pr->total_s);
    fcfit_pack_f64(p, pr->wall_s);
}

fcfit_status fcfit_proto_unpack_progress(const void *buf, size_t len, fcfit_work_progress *pr)
{
    fcfit_unpacker u;
    fcfit_unpack_init(&u, buf, len);
    FCFIT_CHECK(check_header(&u, FCFIT_TAG_PROGRESS));
    FCFIT_CHECK(fcfit_unpack_u64(&u, &pr->n_tasks));
    FCFIT_CHECK(fcfit_unpack_f64(&u, &pr->simulated_s));
    FCFIT_CHECK(fcfit_unpack_f64(&u, &pr->total_s));
    FCFIT_CHECK(fcfit_unpack_f64(&u, &pr->wall_s));
    FCFIT_REQUIRE(fcfit_unpack_done(&u), FCFIT_ERR_PROTOCOL, "malformed PROGRESS: trailing bytes");
    return FCFIT_OK;
}

void fcfit_proto_pack_error(fcfit_packer *p, int64_t status, const char *message)
{
    header(p, FCFIT_TAG_ERROR);
    fcfit_pack_i64(p, status);
    fcfit_pack_str(p, message);
}

fcfit_status fcfit_proto_unpack_error(const void *buf, size_t len, int64_t *status, char *msg,
                                      size_t cap)
{
    fcfit_unpacker u;
    fcfit_unpack_init(&u, buf, len);
    FCFIT_CHECK(check_header(&u, FCFIT_TAG_ERROR));
    FCFIT_CHECK(fcfit_unpack_i64(&u, status));
    FCFIT_CHECK(fcfit_unpack_str_into(&u, msg, cap));
    FCFIT_REQUIRE(fcfit_unpack_done(&u), FCFIT_ERR_PROTOCOL, "malformed ERROR: trailing bytes");
    return FCFIT_OK;
}

void fcfit_proto_pack_stop(fcfit_packer *p, int64_t code)
{
    header(p, FCFIT_TAG_STOP);
    fcfit_pack_i64(p, code);
}

fcfit_status fcfit_proto_unpack_stop(const void *buf, size_t len, int64_t *code)
{
    fcfit_unpacker u;
    fcfit_unpack_init(&u, buf, len);
    FCFIT_CHECK(check_header(&u, FCFIT_TAG_STOP));
    FCFIT_CHECK(fcfit_unpack_i64(&u, code));
    FCFIT_REQUIRE(fcfit_unpack_done(&u), FCFIT_ERR_PROTOCOL, "malformed STOP: trailing bytes");
    return FCFIT_OK;
}

/* ---- suspending, checkpoints, resuming, signals (a point longer than one job segment) ---- */

void fcfit_proto_pack_suspend(fcfit_packer *p) { header(p, FCFIT_TAG_SUSPEND); }

fcfit_status fcfit_proto_unpack_suspend(const void *buf, size_t len)
{
    fcfit_unpacker u;
    fcfit_unpack_init(&u, buf, len);
    FCFIT_CHECK(check_header(&u, FCFIT_TAG_SUSPEND));
    FCFIT_REQUIRE(fcfit_unpack_done(&u), FCFIT_ERR_PROTOCOL, "malformed SUSPEND: trailing bytes");
    return FCFIT_OK;
}

void fcfit_proto_pack_signal(fcfit_packer *p, int64_t sig)
{
    header(p, FCFIT_TAG_SIGNAL);
    fcfit_pack_i64(p, sig);
}

fcfit_status fcfit_proto_unpack_signal(const void *buf, size_t len, int64_t *sig)
{
    fcfit_unpacker u;
    fcfit_unpack_init(&u, buf, len);
    FCFIT_CHECK(check_header(&u, FCFIT_TAG_SIGNAL));
    FCFIT_CHECK(fcfit_unpack_i64(&u, sig));
    FCFIT_REQUIRE(fcfit_unpack_done(&u), FCFIT_ERR_PROTOCOL, "malformed SIGNAL: trailing bytes");
    return FCFIT_OK;
}

static void pack_record(fcfit_packer *p, const fcfit_ckpt_record *r)
{
    fcfit_pack_u64(p, r->stage);
    fcfit_pack_u64(p, r->task);
    fcfit_pack_u64(p, r->point);
    fcfit_pack_u64(p, r->replicate);
    fcfit_pack_u64(p, r->seed);
    fcfit_pack_u64(p, r->step);
    fcfit_pack_u64(p, r->size);
    fcfit_pack_bytes(p, r->data, (size_t)r->size);
}

static fcfit_status unpack_record(fcfit_unpacker *u, fcfit_ckpt_record *r)
{
    FCFIT_CHECK(fcfit_unpack_u64(u, &r->stage));
    FCFIT_CHECK(fcfit_unpack_u64(u, &r->task));
    FCFIT_CHECK(fcfit_unpack_u64(u, &r->point));
    FCFIT_CHECK(fcfit_unpack_u64(u, &r->replicate));
    FCFIT_CHECK(fcfit_unpack_u64(u, &r->seed));
    FCFIT_CHECK(fcfit_unpack_u64(u, &r->step));
    FCFIT_CHECK(fcfit_unpack_u64(u, &r->size));
    FCFIT_REQUIRE(r->size > 0 && r->size <= u->len - u->pos, FCFIT_ERR_PROTOCOL,
                  "malformed checkpoint record: %llu bytes, %zu left",
                  (unsigned long long)r->size, u->len - u->pos);
    r->data = u->buf + u->pos;
    u->pos += (size_t)r->size;
    return FCFIT_OK;
}

void fcfit_proto_pack_checkpoint(fcfit_packer *p, size_t n, const fcfit_ckpt_record *recs)
{
    header(p, FCFIT_TAG_CHECKPOINT);
    fcfit_pack_u64(p, (uint64_t)n);
    for (size_t k = 0; k < n; k++) {
        pack_record(p, &recs[k]);
    }
}

fcfit_status fcfit_proto_unpack_checkpoint(const void *buf, size_t len, size_t cap,
                                           fcfit_ckpt_record *recs, size_t *n)
{
    fcfit_unpacker u;
    uint64_t count = 0;
    fcfit_unpack_init(&u, buf, len);
    FCFIT_CHECK(check_header(&u, FCFIT_TAG_CHECKPOINT));
    FCFIT_CHECK(fcfit_unpack_u64(&u, &count));
    FCFIT_REQUIRE(count <= cap, FCFIT_ERR_PROTOCOL,
                  "malformed CHECKPOINT: %llu records for %zu expected", (unsigned long long)count,
                  cap);
    for (size_t k = 0; k < count; k++) {
        FCFIT_CHECK(unpack_record(&u, &recs[k]));
    }
    FCFIT_REQUIRE(fcfit_unpack_done(&u), FCFIT_ERR_PROTOCOL,
                  "malformed CHECKPOINT: trailing bytes");
    *n = (size_t)count;
    return FCFIT_OK;
}

void fcfit_proto_pack_resume(fcfit_packer *p, size_t n_regions, const fcfit_work_item *item,
                             const fcfit_ckpt_record *rec)
{
    fcfit_packer task;
    fcfit_pack_init(&task);
    fcfit_proto_pack_task(&task, 1, n_regions, item);
    header(p, FCFIT_TAG_RESUME);
    fcfit_pack_u64(p, (uint64_t)task.len);
    fcfit_pack_bytes(p, task.buf, task.len);
    if (task.oom) {
        p->oom = 1;
    }
    fcfit_pack_free(&task);
    pack_record(p, rec);
}

fcfit_status fcfit_proto_unpack_resume(const void *buf, size_t len, size_t n_regions,
                                       size_t max_set, fcfit_work_item *item, double *arena,
                                       fcfit_ckpt_record *rec)
{
    fcfit_unpacker u;
    uint64_t tl = 0;
    size_t n = 0;
    fcfit_unpack_init(&u, buf, len);
    FCFIT_CHECK(check_header(&u, FCFIT_TAG_RESUME));
    FCFIT_CHECK(fcfit_unpack_u64(&u, &tl));
    FCFIT_REQUIRE(tl <= u.len - u.pos, FCFIT_ERR_PROTOCOL, "malformed RESUME: task of %llu bytes",
                  (unsigned long long)tl);
    FCFIT_CHECK(fcfit_proto_unpack_task(u.buf + u.pos, (size_t)tl, 1, n_regions, max_set, item,
                                        arena, &n));
    u.pos += (size_t)tl;
    FCFIT_CHECK(unpack_record(&u, rec));
    FCFIT_REQUIRE(fcfit_unpack_done(&u), FCFIT_ERR_PROTOCOL, "malformed RESUME: trailing bytes");
    FCFIT_REQUIRE(rec->stage == item->stage && rec->task == item->task &&
                      rec->point == item->point && rec->replicate == item->replicate &&
                      rec->seed == item->seed,
                  FCFIT_ERR_PROTOCOL, "malformed RESUME: the checkpoint is not the item's");
    return FCFIT_OK;
}
