/*
 * test_protocol.c: the coordinator/worker messages (include/fcfit/fcfit_protocol.h) without
 * MPI. Round trips must be bitwise (NaN payloads, -0.0, infinities and subnormals included),
 * and every malformed buffer must be FCFIT_ERR_PROTOCOL, never a read past its end: truncated
 * at every length, bad magic, wrong version, wrong kind, counts larger than the buffer, more
 * items than lanes, zero items, trailing bytes, more parameter rows than the receiver allows,
 * parameter indices out of range, value counts that disagree with rows x regions.
 * Truncated copies are made in exactly-sized heap buffers, so that an over-read shows under
 * AddressSanitizer (FCFIT_ENABLE_SANITIZERS).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcfit/fcfit_pack.h"
#include "fcfit/fcfit_protocol.h"
#include "fcfit/fcfit_sim.h"
#include "fcfit_test.h"

/* Byte offsets of the fixed header: magic, version, kind (u64 each), then the item count. */
#define OFF_MAGIC 0
#define OFF_VERSION 8
#define OFF_KIND 16
#define OFF_COUNT 24
#define OFF_ITEMS 32

static double special(size_t k)
{
    /* Values whose bits a careless conversion would change. */
    uint64_t nan_payload = 0x7ff80000deadbeefULL;
    double v;
    switch (k % 8) {
    case 0:
        memcpy(&v, &nan_payload, sizeof v);
        return v;
    case 1:
        return -0.0;
    case 2:
        return INFINITY;
    case 3:
        return -INFINITY;
    case 4:
        return 4.9406564584124654e-324; /* smallest subnormal */
    case 5:
        return 0.1 * (double)k;
    case 6:
        return -1.7976931348623157e308;
    default:
        return (double)k / 3.0;
    }
}

static void put_u64(unsigned char *buf, size_t off, uint64_t v) { memcpy(buf + off, &v, 8); }

/* A heap copy of exactly len bytes (malloc(0) avoided). */
static unsigned char *copy_of(const unsigned char *src, size_t len)
{
    unsigned char *b = malloc(len > 0 ? len : 1);
    if (b != NULL && len > 0) {
        memcpy(b, src, len);
    }
    return b;
}

/* ---- TASK ---- */

enum { TN = 4, TMAX = 12 }; /* regions, parameter rows an item may set */

static double g_values[8][TMAX * TN];

static void fill_items(fcfit_work_item *it, size_t n)
{
    memset(it, 0, n * sizeof *it);
    for (size_t k = 0; k < n; k++) {
        it[k].stage = k;
        it[k].task = 1000 + 7 * k;
        it[k].point = 3 * k + 1;
        it[k].replicate = k % 2;
        it[k].seed = 0x9e3779b97f4a7c15ULL * (k + 1);
        it[k].subject = 11 * k + 2;
        it[k].n_set = k == 0 ? 0 : k == 1 ? TMAX : 2 + k;
        for (size_t j = 0; j < it[k].n_set; j++) {
            it[k].set_param[j] = (uint32_t)((j * 5 + k) % TMAX);
        }
        for (size_t v = 0; v < it[k].n_set * TN; v++) {
            g_values[k][v] = special(v + k);
        }
        it[k].set_values = g_values[k];
    }
}

static int items_equal(const fcfit_work_item *a, const fcfit_work_item *b)
{
    return a->stage == b->stage && a->task == b->task && a->point == b->point &&
           a->replicate == b->replicate && a->seed == b->seed && a->subject == b->subject &&
           a->n_set == b->n_set &&
           memcmp(a->set_param, b->set_param, a->n_set * sizeof(uint32_t)) == 0 &&
           memcmp(a->set_values, b->set_values, a->n_set * TN * sizeof(double)) == 0;
}

static void test_task(void)
{
    enum { N = 3 };
    fcfit_work_item in[N], out[N + 1];
    static double arena[(N + 1) * TMAX * TN];
    fcfit_packer p;
    size_t n = 0, full;
    int all_truncated_rejected = 1;
    unsigned char *b;

    fill_items(in, N);
    fcfit_pack_init(&p);
    fcfit_proto_pack_task(&p, N, TN, in);
    CHECK_OK(fcfit_pack_status(&p));
    full = p.len;
    /* Round trip, with exactly as many lanes as items and with more. */
    CHECK_OK(fcfit_proto_unpack_task(p.buf, p.len, N, TN, TMAX, out, arena, &n));
    CHECK_INT(n, N);
    for (size_t k = 0; k < N; k++) {
        CHECK_TRUE(items_equal(&in[k], &out[k]));
    }
    CHECK_OK(fcfit_proto_unpack_task(p.buf, p.len, N + 1, TN, TMAX, out, arena, &n));
    CHECK_INT(n, N);
    CHECK_TRUE(items_equal(&in[1], &out[1]));
    CHECK_INT(out[1].n_set, TMAX); /* the maximum travels */
    /* Each item's values land in its own slice of the arena. */
    CHECK_TRUE(out[2].set_values == arena + 2 * TMAX * TN);

    /* Truncated at every length. */
    for (size_t len = 0; len < full; len++) {
        fcfit_status st;
        b = copy_of(p.buf, len);
        st = fcfit_proto_unpack_task(b, len, N, TN, TMAX, out, arena, &n);
        fcfit_error_clear();
        if (st != FCFIT_ERR_PROTOCOL) {
            printf("     TASK truncated to %zu of %zu bytes: %s\n", len, full,
                   fcfit_status_name(st));
            all_truncated_rejected = 0;
        }
        free(b);
    }
    CHECK_TRUE(all_truncated_rejected);

    /* More items than lanes; more rows than the receiver allows. */
    CHECK_FAILS(fcfit_proto_unpack_task(p.buf, p.len, N - 1, TN, TMAX, out, arena, &n),
                FCFIT_ERR_PROTOCOL, "lanes");
    CHECK_FAILS(fcfit_proto_unpack_task(p.buf, p.len, N, TN, TMAX - 1, out, arena, &n),
                FCFIT_ERR_PROTOCOL, "parameter");
    /* Values for another number of regions. */
    CHECK_FAILS(fcfit_proto_unpack_task(p.buf, p.len, N, TN + 1, TMAX, out, arena, &n),
                FCFIT_ERR_PROTOCOL, "values");
    /* Trailing bytes. */
    b = calloc(full + 1, 1);
    memcpy(b, p.buf, full);
    CHECK_FAILS(fcfit_proto_unpack_task(b, full + 1, N, TN, TMAX, out, arena, &n),
                FCFIT_ERR_PROTOCOL, "trailing");
    free(b);
    /* Header corruptions. */
    b = copy_of(p.buf, full);
    b[OFF_MAGIC] ^= 0x01;
    CHECK_FAILS(fcfit_proto_unpack_task(b, full, N, TN, TMAX, out, arena, &n), FCFIT_ERR_PROTOCOL,
                "magic");
    free(b);
    b = copy_of(p.buf, full);
    put_u64(b, OFF_VERSION, FCFIT_PROTOCOL_VERSION + 1);
    CHECK_FAILS(fcfit_proto_unpack_task(b, full, N, TN, TMAX, out, arena, &n), FCFIT_ERR_PROTOCOL,
                "version");
    free(b);
    b = copy_of(p.buf, full);
    put_u64(b, OFF_KIND, FCFIT_TAG_RESULT);
    CHECK_FAILS(fcfit_proto_unpack_task(b, full, N, TN, TMAX, out, arena, &n), FCFIT_ERR_PROTOCOL,
                "kind");
    free(b);
    /* Item counts: zero, huge, and one more than the buffer holds. */
    b = copy_of(p.buf, full);
    put_u64(b, OFF_COUNT, 0);
    CHECK_FAILS(fcfit_proto_unpack_task(b, full, N, TN, TMAX, out, arena, &n), FCFIT_ERR_PROTOCOL,
                "items");
    put_u64(b, OFF_COUNT, UINT64_MAX);
    CHECK_FAILS(fcfit_proto_unpack_task(b, full, N, TN, TMAX, out, arena, &n), FCFIT_ERR_PROTOCOL,
                "items");
    put_u64(b, OFF_COUNT, N + 1);
    CHECK_FAILS(fcfit_proto_unpack_task(b, full, N + 1, TN, TMAX, out, arena, &n),
                FCFIT_ERR_PROTOCOL, "malformed");
    free(b);
    fcfit_pack_free(&p);

    /* One item setting 2 rows, with its fields patched: row count, a parameter index, value count. */
    {
        fcfit_work_item one;
        double vals[2 * TN] = {1, 2, 3, 4, 5, 6, 7, 8};
        size_t off_ns = OFF_ITEMS + 6 * 8, off_p0 = off_ns + 8, off_nv = off_ns + 3 * 8;
        memset(&one, 0, sizeof one);
        one.n_set = 2;
        one.set_param[0] = 3;
        one.set_param[1] = 7;
        one.set_values = vals;
        fcfit_pack_init(&p);
        fcfit_proto_pack_task(&p, 1, TN, &one);
        full = p.len;
        CHECK_INT(full, off_nv + 8 + 2 * TN * 8);
        b = copy_of(p.buf, full);
        put_u64(b, off_ns, TMAX + 1); /* more rows than allowed: refused before any copy */
        CHECK_FAILS(fcfit_proto_unpack_task(b, full, 1, TN, TMAX, out, arena, &n),
                    FCFIT_ERR_PROTOCOL, "parameter rows");
        put_u64(b, off_ns, 2);
        put_u64(b, off_p0, TMAX); /* a parameter the model does not have */
        CHECK_FAILS(fcfit_proto_unpack_task(b, full, 1, TN, TMAX, out, arena, &n),
                    FCFIT_ERR_PROTOCOL, "parameter");
        put_u64(b, off_p0, 3);
        put_u64(b, off_nv, 2 * TN + 1); /* value count disagrees with rows x regions */
        CHECK_FAILS(fcfit_proto_unpack_task(b, full, 1, TN, TMAX, out, arena, &n),
                    FCFIT_ERR_PROTOCOL, "values");
        put_u64(b, off_nv, UINT64_MAX / 4); /* count * 8 wraps around */
        CHECK_FAILS(fcfit_proto_unpack_task(b, full, 1, TN, TMAX, out, arena, &n),
                    FCFIT_ERR_PROTOCOL, "values");
        free(b);
        fcfit_pack_free(&p);
    }
}

/* ---- RESULT ---- */

enum { RN = 2, RK = 5, RS = 6, RF = 10, RD = 9 };

typedef struct rstore {
    fcfit_work_result r[RN + 1];
    double scores[RN + 1][RK];
    double scores2[RN + 1][RK];
    double sub[RN + 1][RS];
    float fc[RN + 1][RF];
    double diag[RN + 1][RD];
} rstore;

static void rstore_init(rstore *s, size_t k_scores, size_t n_sub, size_t n_fc)
{
    memset(s, 0, sizeof *s);
    for (size_t k = 0; k < RN + 1; k++) {
        s->r[k].n_scores = k_scores;
        s->r[k].scores = s->scores[k];
        s->r[k].n_scores2 = k_scores;
        s->r[k].scores2 = s->scores2[k];
        s->r[k].n_subject_scores = n_sub;
        s->r[k].subject_scores = s->sub[k];
        s->r[k].n_fc = n_fc;
        s->r[k].fc = n_fc > 0 ? s->fc[k] : NULL;
        s->r[k].n_diag = RD;
        s->r[k].diag = s->diag[k];
    }
}

static void rstore_fill(rstore *s)
{
    for (size_t k = 0; k < RN; k++) {
        fcfit_work_result *r = &s->r[k];
        r->stage = 0;
        r->task = 77 + k;
        r->point = 70 + k;
        r->replicate = k;
        r->status = k == 0 ? FCFIT_TASK_OK : FCFIT_TASK_DIVERGED;
        snprintf(r->reason, sizeof r->reason, "%s", k == 0 ? "" : "state became NaN, \"r\"");
        r->wall_s = 0.125 * (double)(k + 1);
        for (size_t j = 0; j < r->n_scores; j++) {
            r->scores[j] = special(j + 3 * k);
            r->scores2[j] = special(j + 3 * k + 7);
        }
        for (size_t j = 0; j < r->n_subject_scores; j++) {
            r->subject_scores[j] = special(j + 5 * k + 1);
        }
        for (size_t j = 0; j < r->n_fc; j++) {
            r->fc[j] = (float)special(j + k + 2);
        }
        r->tune_active = (int64_t)k;
        r->tune_converged = 1 - (int64_t)k;
        r->tune_iterations = 12345 + (int64_t)k;
        r->tune_max_error = special(k + 4);
        for (size_t j = 0; j < r->n_diag; j++) {
            r->diag[j] = special(j + 2 * k + 3);
        }
    }
}

static int results_equal(const fcfit_work_result *a, const fcfit_work_result *b)
{
    return a->stage == b->stage && a->task == b->task && a->point == b->point &&
           a->replicate == b->replicate && a->status == b->status &&
           strcmp(a->reason, b->reason) == 0 &&
           memcmp(&a->wall_s, &b->wall_s, sizeof(double)) == 0 &&
           memcmp(a->scores, b->scores, a->n_scores * sizeof(double)) == 0 &&
           memcmp(a->scores2, b->scores2, a->n_scores2 * sizeof(double)) == 0 &&
           memcmp(a->subject_scores, b->subject_scores, a->n_subject_scores * sizeof(double)) ==
               0 &&
           (a->n_fc == 0 || memcmp(a->fc, b->fc, a->n_fc * sizeof(float)) == 0) &&
           a->tune_active == b->tune_active && a->tune_converged == b->tune_converged &&
           a->tune_iterations == b->tune_iterations &&
           memcmp(&a->tune_max_error, &b->tune_max_error, sizeof(double)) == 0 &&
           a->n_diag == b->n_diag && memcmp(a->diag, b->diag, a->n_diag * sizeof(double)) == 0;
}

static void test_result(void)
{
    static rstore in, out;
    fcfit_packer p;
    size_t n = 0, full;
    int all_truncated_rejected = 1;
    unsigned char *b;

    rstore_init(&in, RK, RS, RF);
    rstore_fill(&in);
    rstore_init(&out, RK, RS, RF);
    fcfit_pack_init(&p);
    fcfit_proto_pack_result(&p, RN, in.r);
    CHECK_OK(fcfit_pack_status(&p));
    full = p.len;
    CHECK_OK(fcfit_proto_unpack_result(p.buf, p.len, RN, out.r, &n));
    CHECK_INT(n, RN);
    for (size_t k = 0; k < RN; k++) {
        CHECK_TRUE(results_equal(&in.r[k], &out.r[k]));
    }
    CHECK_TRUE(strcmp(out.r[1].reason, "state became NaN, \"r\"") == 0);

    for (size_t len = 0; len < full; len++) {
        fcfit_status st;
        b = copy_of(p.buf, len);
        st = fcfit_proto_unpack_result(b, len, RN, out.r, &n);
        fcfit_error_clear();
        if (st != FCFIT_ERR_PROTOCOL) {
            printf("     RESULT truncated to %zu of %zu bytes: %s\n", len, full,
                   fcfit_status_name(st));
            all_truncated_rejected = 0;
        }
        free(b);
    }
    CHECK_TRUE(all_truncated_rejected);

    CHECK_FAILS(fcfit_proto_unpack_result(p.buf, p.len, RN - 1, out.r, &n), FCFIT_ERR_PROTOCOL,
                "records");
    b = calloc(full + 1, 1);
    memcpy(b, p.buf, full);
    CHECK_FAILS(fcfit_proto_unpack_result(b, full + 1, RN, out.r, &n), FCFIT_ERR_PROTOCOL,
                "trailing");
    free(b);
    b = copy_of(p.buf, full);
    b[OFF_MAGIC + 7] ^= 0x80;
    CHECK_FAILS(fcfit_proto_unpack_result(b, full, RN, out.r, &n), FCFIT_ERR_PROTOCOL, "magic");
    free(b);
    b = copy_of(p.buf, full);
    put_u64(b, OFF_VERSION, 0);
    CHECK_FAILS(fcfit_proto_unpack_result(b, full, RN, out.r, &n), FCFIT_ERR_PROTOCOL,
                "version");
    free(b);
    b = copy_of(p.buf, full);
    put_u64(b, OFF_KIND, FCFIT_TAG_TASK);
    CHECK_FAILS(fcfit_proto_unpack_result(b, full, RN, out.r, &n), FCFIT_ERR_PROTOCOL, "kind");
    free(b);
    b = copy_of(p.buf, full);
    put_u64(b, OFF_COUNT, 0);
    CHECK_FAILS(fcfit_proto_unpack_result(b, full, RN, out.r, &n), FCFIT_ERR_PROTOCOL,
                "records");
    put_u64(b, OFF_COUNT, RN + 1); /* one more record than the buffer holds */
    CHECK_FAILS(fcfit_proto_unpack_result(b, full, RN + 1, out.r, &n), FCFIT_ERR_PROTOCOL,
                "malformed");
    free(b);
    /* Array counts: the first record's reason length and score count, patched. The reason is
     * "" in record 0, so its length field sits right after the status. */
    {
        size_t off_reason = OFF_ITEMS + 5 * 8;
        size_t off_nscores = off_reason + 8 + 8; /* length 0, then wall_s */
        b = copy_of(p.buf, full);
        put_u64(b, off_reason, (uint64_t)full); /* a string longer than the buffer */
        CHECK_FAILS(fcfit_proto_unpack_result(b, full, RN, out.r, &n), FCFIT_ERR_PROTOCOL,
                    "malformed");
        free(b);
        b = copy_of(p.buf, full);
        put_u64(b, off_nscores, UINT64_MAX / 8 + 2); /* count * 8 would wrap around */
        CHECK_FAILS(fcfit_proto_unpack_result(b, full, RN, out.r, &n), FCFIT_ERR_PROTOCOL,
                    "malformed");
        put_u64(b, off_nscores, RK - 1); /* fits the buffer, but not the expected size */
        CHECK_FAILS(fcfit_proto_unpack_result(b, full, RN, out.r, &n), FCFIT_ERR_PROTOCOL,
                    "expected");
        free(b);
    }
    /* The receiver's expected sizes must match the message: second-target scores too. */
    {
        static rstore other;
        rstore_init(&other, RK, RS, RF);
        for (size_t k = 0; k < RN + 1; k++) {
            other.r[k].n_scores2 = 0;
        }
        CHECK_FAILS(fcfit_proto_unpack_result(p.buf, p.len, RN, other.r, &n), FCFIT_ERR_PROTOCOL,
                    "expected");
    }
    {
        static rstore other;
        rstore_init(&other, RK, RS, RF - 1);
        CHECK_FAILS(fcfit_proto_unpack_result(p.buf, p.len, RN, other.r, &n), FCFIT_ERR_PROTOCOL,
                    "expected");
        rstore_init(&other, RK, RS, 0);
        CHECK_FAILS(fcfit_proto_unpack_result(p.buf, p.len, RN, other.r, &n), FCFIT_ERR_PROTOCOL,
                    "expected");
        /* Diagnostics of another length (a worker of another fcfit build). */
        rstore_init(&other, RK, RS, RF);
        for (size_t k = 0; k < RN + 1; k++) {
            other.r[k].n_diag = RD - 1;
        }
        CHECK_FAILS(fcfit_proto_unpack_result(p.buf, p.len, RN, other.r, &n), FCFIT_ERR_PROTOCOL,
                    "expected");
    }
    fcfit_pack_free(&p);

    /* Without FC and subject scores (output.save_fc false, no subjects). */
    {
        static rstore a, c;
        rstore_init(&a, RK, 0, 0);
        rstore_fill(&a);
        rstore_init(&c, RK, 0, 0);
        fcfit_pack_init(&p);
        fcfit_proto_pack_result(&p, 1, a.r);
        CHECK_OK(fcfit_proto_unpack_result(p.buf, p.len, 1, c.r, &n));
        CHECK_TRUE(n == 1 && results_equal(&a.r[0], &c.r[0]));
        fcfit_pack_free(&p);
    }
}

/* ---- ERROR and STOP ---- */

static void test_error_stop(void)
{
    fcfit_packer p;
    int64_t status = 0, code = 0;
    char msg[64];
    const char *text = "worker rank 3 failed: cannot allocate 1e12 bytes";
    size_t full;
    int all_truncated_rejected = 1;
    unsigned char *b;

    fcfit_pack_init(&p);
    fcfit_proto_pack_error(&p, (int64_t)FCFIT_ERR_NOMEM, text);
    full = p.len;
    CHECK_OK(fcfit_proto_unpack_error(p.buf, p.len, &status, msg, sizeof msg));
    CHECK_INT(status, FCFIT_ERR_NOMEM);
    CHECK_TRUE(strcmp(msg, text) == 0);
    /* A message longer than the receiver's buffer is cut, not overrun. */
    {
        char small[8];
        memset(small, 'x', sizeof small);
        CHECK_OK(fcfit_proto_unpack_error(p.buf, p.len, &status, small, sizeof small));
        CHECK_TRUE(strcmp(small, "worker ") == 0);
    }
    for (size_t len = 0; len < full; len++) {
        fcfit_status st;
        b = copy_of(p.buf, len);
        st = fcfit_proto_unpack_error(b, len, &status, msg, sizeof msg);
        fcfit_error_clear();
        if (st != FCFIT_ERR_PROTOCOL) {
            printf("     ERROR truncated to %zu of %zu bytes: %s\n", len, full,
                   fcfit_status_name(st));
            all_truncated_rejected = 0;
        }
        free(b);
    }
    CHECK_TRUE(all_truncated_rejected);
    b = calloc(full + 1, 1);
    memcpy(b, p.buf, full);
    CHECK_FAILS(fcfit_proto_unpack_error(b, full + 1, &status, msg, sizeof msg),
                FCFIT_ERR_PROTOCOL, "trailing");
    free(b);
    b = copy_of(p.buf, full);
    put_u64(b, OFF_KIND, FCFIT_TAG_STOP);
    CHECK_FAILS(fcfit_proto_unpack_error(b, full, &status, msg, sizeof msg), FCFIT_ERR_PROTOCOL,
                "kind");
    put_u64(b, OFF_KIND, FCFIT_TAG_ERROR);
    put_u64(b, OFF_VERSION, 99);
    CHECK_FAILS(fcfit_proto_unpack_error(b, full, &status, msg, sizeof msg), FCFIT_ERR_PROTOCOL,
                "version");
    free(b);
    /* A NULL message packs as the empty string. */
    fcfit_proto_pack_error(&p, 5, NULL);
    CHECK_OK(fcfit_proto_unpack_error(p.buf, p.len, &status, msg, sizeof msg));
    CHECK_TRUE(status == 5 && msg[0] == '\0');

    fcfit_proto_pack_stop(&p, -3);
    full = p.len;
    CHECK_OK(fcfit_proto_unpack_stop(p.buf, p.len, &code));
    CHECK_INT(code, -3);
    for (size_t len = 0; len < full; len++) {
        fcfit_status st;
        b = copy_of(p.buf, len);
        st = fcfit_proto_unpack_stop(b, len, &code);
        fcfit_error_clear();
        if (st != FCFIT_ERR_PROTOCOL) {
            printf("     STOP truncated to %zu of %zu bytes: %s\n", len, full,
                   fcfit_status_name(st));
            all_truncated_rejected = 0;
        }
        free(b);
    }
    CHECK_TRUE(all_truncated_rejected);
    b = calloc(full + 1, 1);
    memcpy(b, p.buf, full);
    CHECK_FAILS(fcfit_proto_unpack_stop(b, full + 1, &code), FCFIT_ERR_PROTOCOL, "trailing");
    free(b);
    b = copy_of(p.buf, full);
    b[OFF_MAGIC + 3] ^= 0x10;
    CHECK_FAILS(fcfit_proto_unpack_stop(b, full, &code), FCFIT_ERR_PROTOCOL, "magic");
    free(b);
    b = copy_of(p.buf, full);
    put_u64(b, OFF_KIND, FCFIT_TAG_READY);
    CHECK_FAILS(fcfit_proto_unpack_stop(b, full, &code), FCFIT_ERR_PROTOCOL, "kind");
    free(b);
    /* A TASK is not a STOP, even with a plausible length. */
    {
        fcfit_work_item one;
        memset(&one, 0, sizeof one);
        fcfit_proto_pack_task(&p, 1, TN, &one);
        CHECK_FAILS(fcfit_proto_unpack_stop(p.buf, p.len, &code), FCFIT_ERR_PROTOCOL, "kind");
    }
    fcfit_pack_free(&p);
}

/* ---- PROGRESS ---- */

static void test_progress(void)
{
    fcfit_packer p;
    fcfit_work_progress in = {3, 123.25, 600.0, 41.5}, out;
    size_t full;
    int all_truncated_rejected = 1;
    unsigned char *b;

    fcfit_pack_init(&p);
    fcfit_proto_pack_progress(&p, &in);
    CHECK_OK(fcfit_pack_status(&p));
    full = p.len;
    memset(&out, 0, sizeof out);
    CHECK_OK(fcfit_proto_unpack_progress(p.buf, p.len, &out));
    CHECK_TRUE(out.n_tasks == 3 && out.simulated_s == 123.25 && out.total_s == 600.0 &&
               out.wall_s == 41.5);
    for (size_t len = 0; len < full; len++) {
        fcfit_status st;
        b = copy_of(p.buf, len);
        st = fcfit_proto_unpack_progress(b, len, &out);
        fcfit_error_clear();
        if (st != FCFIT_ERR_PROTOCOL) {
            all_truncated_rejected = 0;
        }
        free(b);
    }
    CHECK_TRUE(all_truncated_rejected);
    b = calloc(full + 1, 1);
    memcpy(b, p.buf, full);
    CHECK_FAILS(fcfit_proto_unpack_progress(b, full + 1, &out), FCFIT_ERR_PROTOCOL, "trailing");
    free(b);
    b = copy_of(p.buf, full);
    put_u64(b, OFF_KIND, FCFIT_TAG_RESULT);
    CHECK_FAILS(fcfit_proto_unpack_progress(b, full, &out), FCFIT_ERR_PROTOCOL, "kind");
    free(b);
    fcfit_pack_free(&p);
}

int main(void)
{
    test_task();
    test_result();
    test_error_stop();
    test_progress();
    return fcfit_test_finish();
}
