/*
 * matrix_npy.c: NumPy .npy files, format versions 1.0, 2.0 and 3.0.
 *
 * File layout (as documented by NumPy in numpy/lib/format.py):
 *   6 bytes   magic "\x93NUMPY"
 *   2 bytes   major and minor format version
 *   2 bytes   (1.0) or 4 bytes (2.0, 3.0): header length H, little endian
 *   H bytes   a Python dict literal, e.g.
 *             {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }
 *             padded with spaces to an aligned length and ended by '\n'
 *             (3.0 only differs in allowing UTF-8 in the header, which plain
 *             numeric dtypes never need)
 *   data      prod(shape) items of the dtype, in C (row-major) or Fortran
 *             (column-major) order, nothing after them
 *
 * The header is parsed by a small scanner for exactly that dict grammar
 * (quoted strings, True/False, tuples of integers); anything else is an error
 * naming the field. Items are decoded byte by byte with the byte order the
 * dtype states, so the reader works the same on little- and big-endian hosts.
 * Supported dtypes: f8 f4 i8 i4 i2 i1 u8 u4 u2 u1 b1 with byte order '<', '>',
 * '|' or '='. 64-bit integers beyond 2^53 are rounded to the nearest double.
 * 1-D arrays become rows x 1; 0-D, empty and 3-D or higher arrays are errors.
 *
 * The whole file (or zip member) is in memory before the header is parsed,
 * so the size the header claims is compared with the bytes actually present
 * before anything is allocated for the data: an absurd shape is reported as
 * a truncated file, never as an allocation failure.
 */
#include "matrix_io_impl.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Headers are a few hundred bytes; anything far larger is not a plain array. */
#define NPY_MAX_HEADER ((size_t)1 << 20)

/* NumPy itself allows at most 64 dimensions; more cannot be a valid file. */
#define NPY_MAX_DIMS 64

typedef struct npy_header {
    char descr[32];
    int fortran_order;
    size_t ndim;
    size_t dims[NPY_MAX_DIMS];
    int have_descr;
    int have_order;
    int have_shape;
} npy_header;

/* Scanner over the header text. */
typedef struct npy_scan {
    const char *path;
    const char *s;
    size_t pos;
} npy_scan;

typedef struct npy_dtype {
    char kind;   /* 'f', 'i', 'u' or 'b' */
    size_t size; /* bytes per item */
    int big;     /* nonzero when items are big endian */
} npy_dtype;

static int npy_host_is_big_endian(void)
{
    const uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first == 0;
}

static void npy_skip_ws(npy_scan *sc)
{
    while (sc->s[sc->pos] == ' ' || sc->s[sc->pos] == '\t' || sc->s[sc->pos] == '\n' ||
           sc->s[sc->pos] == '\r') {
        sc->pos++;
    }
}

/* A printable rendering of the character at the scan position, for messages. */
static const char *npy_here(const npy_scan *sc, char *buf, size_t cap)
{
    unsigned char c = (unsigned char)sc->s[sc->pos];
    if (c == '\0') {
        snprintf(buf, cap, "the end of the header");
    } else if (c < 0x20 || c >= 0x7f) {
        snprintf(buf, cap, "byte 0x%02x", (unsigned)c);
    } else {
        snprintf(buf, cap, "'%c'", (char)c);
    }
    return buf;
}

static fcfit_status npy_expect(npy_scan *sc, char want, const char *where)
{
    char here[32];
    npy_skip_ws(sc);
    FCFIT_REQUIRE(sc->s[sc->pos] == want, FCFIT_ERR_INPUT,
                  "%s: malformed .npy header at offset %zu (%s): expected '%c', found %s",
                  sc->path, sc->pos, where, want, npy_here(sc, here, sizeof here));
    sc->pos++;
    return FCFIT_OK;
}

/* A quoted string without escapes ('...' or "..."), copied into dst. */
static fcfit_status npy_string(npy_scan *sc, char *dst, size_t cap, const char *where)
{
    char here[32];
    char quote;
    size_t n = 0;
    npy_skip_ws(sc);
    quote = sc->s[sc->pos];
    FCFIT_REQUIRE(quote == '\'' || quote == '"', FCFIT_ERR_INPUT,
                  "%s: malformed .npy header at offset %zu (%s): expected a quoted string, "
                  "found %s",
                  sc->path, sc->pos, where, npy_here(sc, here, sizeof here));
    sc->pos++;
    while (sc->s[sc->pos] != quote) {
        FCFIT_REQUIRE(sc->s[sc->pos] != '\0' && sc->s[sc->pos] != '\\', FCFIT_ERR_INPUT,
                      "%s: malformed .npy header at offset %zu (%s): unterminated or escaped "
                      "string",
                      sc->path, sc->pos, where);
        FCFIT_REQUIRE(n + 1 < cap, FCFIT_ERR_INPUT,
                      "%s: .npy header %s is longer than %zu characters; expected a short "
                      "name such as '<f8'",
                      sc->path, where, cap - 1);
        dst[n++] = sc->s[sc->pos++];
    }
    dst[n] = '\0';
    sc->pos++;
    return FCFIT_OK;
}

static fcfit_status npy_bool(npy_scan *sc, int *value)
{
    char here[32];
    npy_skip_ws(sc);
    if (strncmp(sc->s + sc->pos, "True", 4) == 0) {
        *value = 1;
        sc->pos += 4;
    } else if (strncmp(sc->s + sc->pos, "False", 5) == 0) {
        *value = 0;
        sc->pos += 5;
    } else {
        FCFIT_FAIL(FCFIT_ERR_INPUT,
                   "%s: .npy header field 'fortran_order' at offset %zu: expected True or False, "
                   "found %s",
                   sc->path, sc->pos, npy_here(sc, here, sizeof here));
    }
    return FCFIT_OK;
}

/* A tuple of non-negative integers: "()", "(5,)", "(3, 4)", "(3L, 4L)". */
static fcfit_status npy_shape(npy_scan *sc, npy_header *h)
{
    char here[32];
    FCFIT_CHECK(npy_expect(sc, '(', "field 'shape'"));
    h->ndim = 0;
    for (;;) {
        unsigned long long v;
        char *end = NULL;
        npy_skip_ws(sc);
        if (sc->s[sc->pos] == ')') {
            sc->pos++;
            break;
        }
        FCFIT_REQUIRE(sc->s[sc->pos] >= '0' && sc->s[sc->pos] <= '9', FCFIT_ERR_INPUT,
                      "%s: .npy header field 'shape' at offset %zu: expected a non-negative "
                      "integer, found %s",
                      sc->path, sc->pos, npy_here(sc, here, sizeof here));
        errno = 0;
        v = strtoull(sc->s + sc->pos, &end, 10);
        FCFIT_REQUIRE(errno == 0 && (unsigned long long)(size_t)v == v, FCFIT_ERR_INPUT,
                      "%s: .npy header field 'shape' has a dimension too large for this machine",
                      sc->path);
        FCFIT_REQUIRE(h->ndim < NPY_MAX_DIMS, FCFIT_ERR_INPUT,
                      "%s: .npy header field 'shape' has more than %d dimensions; expected 1 or 2",
                      sc->path, NPY_MAX_DIMS);
        h->dims[h->ndim++] = (size_t)v;
        sc->pos = (size_t)(end - sc->s);
        if (sc->s[sc->pos] == 'L') {
            sc->pos++; /* Python 2 long literal */
        }
        npy_skip_ws(sc);
        if (sc->s[sc->pos] == ',') {
            sc->pos++;
        } else {
            FCFIT_CHECK(npy_expect(sc, ')', "field 'shape'"));
            break;
        }
    }
    return FCFIT_OK;
}

static fcfit_status npy_parse_header(const char *path, const char *text, npy_header *h)
{
    npy_scan sc = {path, text, 0};
    char key[32];

    memset(h, 0, sizeof *h);
    FCFIT_CHECK(npy_expect(&sc, '{', "start of the header dict"));
    for (;;) {
        npy_skip_ws(&sc);
        if (sc.s[sc.pos] == '}') {
            sc.pos++;
            break;
        }
        FCFIT_CHECK(npy_string(&sc, key, sizeof key, "a field name"));
        FCFIT_CHECK(npy_expect(&sc, ':', "after a field name"));
        npy_skip_ws(&sc);
        if (strcmp(key, "descr") == 0) {
            FCFIT_REQUIRE(sc.s[sc.pos] != '[', FCFIT_ERR_INPUT,
                          "%s: .npy header field 'descr' is a structured dtype (a list of "
                          "fields); expected a plain numeric dtype such as '<f8'",
                          path);
            FCFIT_CHECK(npy_string(&sc, h->descr, sizeof h->descr, "field 'descr'"));
            h->have_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0) {
            FCFIT_CHECK(npy_bool(&sc, &h->fortran_order));
            h->have_order = 1;
        } else if (strcmp(key, "shape") == 0) {
            FCFIT_CHECK(npy_shape(&sc, h));
            h->have_shape = 1;
        } else {
            FCFIT_FAIL(FCFIT_ERR_INPUT,
                       "%s: .npy header has an unknown field '%s'; expected only 'descr', "
                       "'fortran_order' and 'shape'",
                       path, key);
        }
        npy_skip_ws(&sc);
        if (sc.s[sc.pos] == ',') {
            sc.pos++;
        } else {
            FCFIT_CHECK(npy_expect(&sc, '}', "end of the header dict"));
            break;
        }
    }
    FCFIT_REQUIRE(h->have_descr, FCFIT_ERR_INPUT, "%s: .npy header has no 'descr' field", path);
    FCFIT_REQUIRE(h->have_order, FCFIT_ERR_INPUT, "%s: .npy header has no 'fortran_order' field",
                  path);
    FCFIT_REQUIRE(h->have_shape, FCFIT_ERR_INPUT, "%s: .npy header has no 'shape' field", path);
    return FCFIT_OK;
}

/* "(3, 4)", "(5,)" or "()" for messages. */
static void npy_shape_text(const npy_header *h, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    used += (size_t)snprintf(buf, cap, "(");
    for (size_t k = 0; k < h->ndim && used < cap; k++) {
        used += (size_t)snprintf(buf + used, cap - used, "%s%zu", k > 0 ? ", " : "", h->dims[k]);
    }
    if (used < cap) {
        snprintf(buf + used, cap - used, "%s)", h->ndim == 1 ? "," : "");
    }
}

static fcfit_status npy_decode_descr(const char *path, const char *descr, npy_dtype *dt)
{
    static const char expected[] =
        "expected a real numeric dtype: f8, f4, i8, i4, i2, i1, u8, u4, u2, u1 or b1 with byte "
        "order '<', '>' or '|'";
    char order = descr[0];
    char kind = order != '\0' ? descr[1] : '\0';
    char *end = NULL;
    unsigned long size = 0;

    FCFIT_REQUIRE(kind != 'c', FCFIT_ERR_INPUT,
                  "%s: .npy header field 'descr' is '%s' (complex numbers); %s", path, descr,
                  expected);
    if (kind != '\0' && descr[2] >= '0' && descr[2] <= '9') {
        size = strtoul(descr + 2, &end, 10);
    }
    FCFIT_REQUIRE(end != NULL && *end == '\0' && (order == '<' || order == '>' || order == '|' ||
                                                  order == '='),
                  FCFIT_ERR_INPUT, "%s: .npy header field 'descr' is '%s'; %s", path, descr,
                  expected);
    dt->kind = kind;
    dt->size = (size_t)size;
    dt->big = order == '>' || (order == '=' && npy_host_is_big_endian());
    switch (kind) {
    case 'f':
        FCFIT_REQUIRE(size == 4 || size == 8, FCFIT_ERR_INPUT,
                      "%s: .npy header field 'descr' is '%s' (float%lu is not supported); %s", path,
                      descr, size * 8, expected);
        break;
    case 'i':
    case 'u':
        FCFIT_REQUIRE(size == 1 || size == 2 || size == 4 || size == 8, FCFIT_ERR_INPUT,
                      "%s: .npy header field 'descr' is '%s'; %s", path, descr, expected);
        break;
    case 'b':
        FCFIT_REQUIRE(size == 1, FCFIT_ERR_INPUT, "%s: .npy header field 'descr' is '%s'; %s",
                      path, descr, expected);
        break;
    default:
        FCFIT_FAIL(FCFIT_ERR_INPUT, "%s: .npy header field 'descr' is '%s'; %s", path, descr,
                   expected);
    }
    FCFIT_REQUIRE(order != '|' || size == 1, FCFIT_ERR_INPUT,
                  "%s: .npy header field 'descr' is '%s': byte order '|' needs a one-byte type; %s",
                  path, descr, expected);
    return FCFIT_OK;
}

/* Decode one item stored at p. */
static double npy_item(const unsigned char *p, const npy_dtype *dt)
{
    uint64_t bits = 0;
    for (size_t k = 0; k < dt->size; k++) {
        size_t idx = dt->big ? k : dt->size - 1 - k;
        bits = (bits << 8) | p[idx];
    }
    switch (dt->kind) {
    case 'f':
        if (dt->size == 8) {
            double d;
            memcpy(&d, &bits, sizeof d);
            return d;
        } else {
            uint32_t b32 = (uint32_t)bits;
            float f;
            memcpy(&f, &b32, sizeof f);
            return (double)f;
        }
    case 'i': {
        int64_t v;
        if (dt->size < 8 && (bits >> (8 * dt->size - 1)) != 0) {
            bits |= ~(uint64_t)0 << (8 * dt->size); /* sign-extend */
        }
        memcpy(&v, &bits, sizeof v);
        return (double)v;
    }
    case 'u':
        return (double)bits;
    default: /* 'b' */
        return bits != 0 ? 1.0 : 0.0;
    }
}

static uint64_t npy_le(const unsigned char *p, size_t n)
{
    uint64_t v = 0;
    for (size_t k = n; k-- > 0;) {
        v = (v << 8) | p[k];
    }
    return v;
}

fcfit_status fcfit_matrix_parse_npy(const char *path, const unsigned char *buf, size_t len,
                                    fcfit_matrix *out)
{
    static const unsigned char magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
    fcfit_status st = FCFIT_OK;
    char *header = NULL;
    const unsigned char *raw;
    size_t len_bytes;
    size_t header_len;
    size_t data_at;
    size_t have;
    size_t rows;
    size_t cols;
    size_t n_items;
    size_t n_bytes;
    char shape[96];
    npy_header h;
    npy_dtype dt = {0, 0, 0};

    FCFIT_REQUIRE(len >= 8 && memcmp(buf, magic, sizeof magic) == 0, FCFIT_ERR_INPUT,
                  "%s: not a NumPy .npy file: bad magic (the file must start with the 6 bytes "
                  "\\x93NUMPY)",
                  path);
    FCFIT_REQUIRE((buf[6] == 1 || buf[6] == 2 || buf[6] == 3) && buf[7] == 0, FCFIT_ERR_INPUT,
                  "%s: .npy format version %u.%u is not supported; expected 1.0, 2.0 or 3.0", path,
                  (unsigned)buf[6], (unsigned)buf[7]);
    len_bytes = buf[6] == 1 ? 2 : 4;
    FCFIT_REQUIRE(len >= 8 + len_bytes, FCFIT_ERR_INPUT,
                  "%s: truncated .npy file: it ends inside the header length field", path);
    header_len = (size_t)npy_le(buf + 8, len_bytes);
    FCFIT_REQUIRE(header_len > 0 && header_len <= NPY_MAX_HEADER, FCFIT_ERR_INPUT,
                  "%s: .npy header length is %zu bytes; expected 1 to %zu", path, header_len,
                  NPY_MAX_HEADER);
    data_at = 8 + len_bytes + header_len;
    FCFIT_REQUIRE(data_at <= len, FCFIT_ERR_INPUT,
                  "%s: truncated .npy file: the header should have %zu bytes, the file has only "
                  "%zu",
                  path, header_len, len - 8 - len_bytes);
    FCFIT_ALLOC_GOTO(header, header_len + 1, "the .npy header");
    memcpy(header, buf + 8 + len_bytes, header_len);
    header[header_len] = '\0';
    FCFIT_TRY(npy_parse_header(path, header, &h));
    FCFIT_TRY(npy_decode_descr(path, h.descr, &dt));

    npy_shape_text(&h, shape, sizeof shape);
    FCFIT_REQUIRE_GOTO(h.ndim == 1 || h.ndim == 2, FCFIT_ERR_INPUT,
                       "%s: .npy header field 'shape' is %s with %zu dimensions; expected a 1-D "
                       "or 2-D array",
                       path, shape, h.ndim);
    rows = h.dims[0];
    cols = h.ndim == 2 ? h.dims[1] : 1;
    FCFIT_REQUIRE_GOTO(rows > 0 && cols > 0, FCFIT_ERR_INPUT,
                       "%s: .npy header field 'shape' is %s: the array is empty", path, shape);
    /* Compare with what the file holds before allocating anything for the data. */
    have = len - data_at;
    FCFIT_REQUIRE_GOTO(rows <= ((size_t)-1) / cols / dt.size, FCFIT_ERR_INPUT,
                       "%s: truncated .npy data: header fields 'shape' %s and 'descr' '%s' "
                       "describe more data than this machine can address; the file has %zu "
                       "bytes of data",
                       path, shape, h.descr, have);
    FCFIT_REQUIRE_GOTO(rows <= have / cols / dt.size, FCFIT_ERR_INPUT,
                       "%s: truncated .npy data: header fields 'shape' %s and 'descr' '%s' need "
                       "%zu bytes of data, the file has only %zu",
                       path, shape, h.descr, rows * cols * dt.size, have);
    n_items = rows * cols;
    n_bytes = n_items * dt.size;
    FCFIT_REQUIRE_GOTO(have == n_bytes, FCFIT_ERR_INPUT,
                       "%s: the file is longer than header fields 'shape' %s and 'descr' '%s' "
                       "describe (%zu bytes of data, %zu more follow); expected a plain .npy array",
                       path, shape, h.descr, n_bytes, have - n_bytes);
    raw = buf + data_at;

    FCFIT_TRY(fcfit_matrix_alloc(out, rows, cols));
    for (size_t k = 0; k < n_items; k++) {
        size_t dst = k;
        if (h.fortran_order) {
            size_t i = k % rows; /* item k of a column-major array is (k % rows, k / rows) */
            size_t j = k / rows;
            dst = i * cols + j;
        }
        out->data[dst] = npy_item(raw + k * dt.size, &dt);
    }

cleanup:
    free(header);
    if (st != FCFIT_OK) {
        fcfit_matrix_free(out);
    }
    return st;
}

fcfit_status fcfit_matrix_read_npy(const char *path, fcfit_matrix *out)
{
    fcfit_status st = FCFIT_OK;
    char *buf = NULL;
    size_t len = 0;

    FCFIT_TRY(fcfit_io_read_regular(path, &buf, &len));
    FCFIT_TRY(fcfit_matrix_parse_npy(path, (const unsigned char *)buf, len, out));

cleanup:
    free(buf);
    return st;
}
