/*
 * pack.c: growable byte buffers and bounds-checked readers (fcfit_pack.h).
 */
#include "fcfit/fcfit_pack.h"

#include <stdlib.h>
#include <string.h>

void fcfit_pack_init(fcfit_packer *p) { memset(p, 0, sizeof *p); }

void fcfit_pack_free(fcfit_packer *p)
{
    free(p->buf);
    memset(p, 0, sizeof *p);
}

void fcfit_pack_reset(fcfit_packer *p)
{
    p->len = 0;
    p->oom = 0;
}

void fcfit_pack_bytes(fcfit_packer *p, const void *data, size_t n)
{
    if (p->oom || n == 0) {
        return;
    }
    if (p->len + n > p->cap) {
        size_t cap = p->cap > 0 ? p->cap : 256;
        unsigned char *nb;
        while (cap < p->len + n) {
            cap *= 2;
        }
        nb = realloc(p->buf, cap);
        if (nb == NULL) {
            p->oom = 1;
            return;
        }
        p->buf = nb;
        p->cap = cap;
    }
    memcpy(p->buf + p->len, data, n);
    p->len += n;
}

void fcfit_pack_u64(fcfit_packer *p, uint64_t v) { fcfit_pack_bytes(p, &v, sizeof v); }
void fcfit_pack_i64(fcfit_packer *p, int64_t v) { fcfit_pack_bytes(p, &v, sizeof v); }
void fcfit_pack_f64(fcfit_packer *p, double v) { fcfit_pack_bytes(p, &v, sizeof v); }

void fcfit_pack_f64s(fcfit_packer *p, const double *v, size_t n)
{
    fcfit_pack_u64(p, (uint64_t)n);
    fcfit_pack_bytes(p, v, n * sizeof(double));
}

void fcfit_pack_f32s(fcfit_packer *p, const float *v, size_t n)
{
    fcfit_pack_u64(p, (uint64_t)n);
    fcfit_pack_bytes(p, v, n * sizeof(float));
}

void fcfit_pack_str(fcfit_packer *p, const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    fcfit_pack_u64(p, (uint64_t)n);
    fcfit_pack_bytes(p, s, n);
}

fcfit_status fcfit_pack_status(const fcfit_packer *p)
{
    FCFIT_REQUIRE(!p->oom, FCFIT_ERR_NOMEM, "cannot grow a message buffer");
    return FCFIT_OK;
}

void fcfit_unpack_init(fcfit_unpacker *u, const void *buf, size_t len)
{
    u->buf = buf;
    u->len = len;
    u->pos = 0;
}

fcfit_status fcfit_unpack_bytes(fcfit_unpacker *u, void *out, size_t n)
{
    FCFIT_REQUIRE(n <= u->len - u->pos, FCFIT_ERR_PROTOCOL,
                  "malformed message: %zu bytes wanted at offset %zu of %zu", n, u->pos, u->len);
    if (n > 0) {
        memcpy(out, u->buf + u->pos, n);
    }
    u->pos += n;
    return FCFIT_OK;
}

fcfit_status fcfit_unpack_u64(fcfit_unpacker *u, uint64_t *v) { return fcfit_unpack_bytes(u, v, sizeof *v); }
fcfit_status fcfit_unpack_i64(fcfit_unpacker *u, int64_t *v) { return fcfit_unpack_bytes(u, v, sizeof *v); }
fcfit_status fcfit_unpack_f64(fcfit_unpacker *u, double *v) { return fcfit_unpack_bytes(u, v, sizeof *v); }

static fcfit_status unpack_count(fcfit_unpacker *u, size_t elem, size_t *n)
{
    uint64_t c = 0;
    FCFIT_CHECK(fcfit_unpack_u64(u, &c));
    FCFIT_REQUIRE(c <= (u->len - u->pos) / elem, FCFIT_ERR_PROTOCOL,
                  "malformed message: an array of %llu elements does not fit in %zu bytes",
                  (unsigned long long)c, u->len - u->pos);
    *n = (size_t)c;
    return FCFIT_OK;
}

fcfit_status fcfit_unpack_f64s_alloc(fcfit_unpacker *u, double **out, size_t *n)
{
    FCFIT_CHECK(unpack_count(u, sizeof(double), n));
    *out = malloc(*n > 0 ? *n * sizeof(double) : 1);
    FCFIT_REQUIRE(*out != NULL, FCFIT_ERR_NOMEM, "cannot allocate %zu values", *n);
    return fcfit_unpack_bytes(u, *out, *n * sizeof(double));
}

fcfit_status fcfit_unpack_f64s_into(fcfit_unpacker *u, double *out, size_t n)
{
    size_t c = 0;
    FCFIT_CHECK(unpack_count(u, sizeof(double), &c));
    FCFIT_REQUIRE(c == n, FCFIT_ERR_PROTOCOL, "malformed message: %zu values, expected %zu", c,
                  n);
    return fcfit_unpack_bytes(u, out, n * sizeof(double));
}

fcfit_status fcfit_unpack_f32s_into(fcfit_unpacker *u, float *out, size_t n)
{
    size_t c = 0;
    FCFIT_CHECK(unpack_count(u, sizeof(float), &c));
    FCFIT_REQUIRE(c == n, FCFIT_ERR_PROTOCOL, "malformed message: %zu values, expected %zu", c,
                  n);
    return fcfit_unpack_bytes(u, out, n * sizeof(float));
}

fcfit_status fcfit_unpack_str_alloc(fcfit_unpacker *u, char **out)
{
    size_t n = 0;
    FCFIT_CHECK(unpack_count(u, 1, &n));
    *out = malloc(n + 1);
    FCFIT_REQUIRE(*out != NULL, FCFIT_ERR_NOMEM, "cannot allocate a string of %zu bytes", n);
    (*out)[n] = '\0';
    return fcfit_unpack_bytes(u, *out, n);
}

fcfit_status fcfit_unpack_str_into(fcfit_unpacker *u, char *buf, size_t cap)
{
    size_t n = 0, keep;
    FCFIT_CHECK(unpack_count(u, 1, &n));
    keep = n < cap - 1 ? n : cap - 1;
    memcpy(buf, u->buf + u->pos, keep);
    buf[keep] = '\0';
    u->pos += n;
    return FCFIT_OK;
}

int fcfit_unpack_done(const fcfit_unpacker *u) { return u->pos == u->len; }
