/*
 * matrix_mat_check.c: check the structure of a .mat file before matio sees it.
 *
 * matio trusts the sizes written in a file: a truncated file is read short
 * without an error (the missing values stay zero), and a few hundred crafted
 * bytes can claim a cell array of 65535 x 65535 elements, which matio then
 * allocates. This check walks the file first, as published in MathWorks'
 * "MAT-File Format" (level 4 and level 5), and refuses it unless
 *
 *   level 4: the file is a sequence of records (a 20-byte header, the name,
 *     then rows x cols values of the stated precision, twice for complex
 *     data) that ends exactly at the end of the file;
 *   level 5: after the 128-byte header, every data element lies inside the
 *     file. Each miMATRIX element (and each one inflated from an
 *     miCOMPRESSED element with zlib) has array flags, dimensions and a name;
 *     a numeric array's real (and imaginary) part holds exactly dims-product
 *     values of its stored type; a character array's data matches its
 *     length; a cell array or struct holds as many nested miMATRIX elements
 *     as its dimensions (times the field count) say, each checked in turn,
 *     at most 32 levels deep. Sparse arrays and function handles, and the
 *     opaque class of MATLAB's newer objects (strings, tables: no dimensions
 *     element), must lie inside their element;
 *   level 7.3: the HDF5 signature is present at offset 512 (the HDF5
 *     library, which matio uses for these files, checks the rest, in the
 *     guarded child of reader_guard.c).
 *
 * A compressed element may claim at most fcfit_io_max_inflate of its
 * compressed size (deflate cannot expand more than 1032:1). Every size is
 * checked against the bytes that contain it before it is used, so what
 * matio then allocates is bounded by the file's size times the decoding
 * factors. Messages name the variable (when its name was read), the byte
 * offset and what was expected.
 */
#include "matrix_io_impl.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

/* Nested cells and structs deeper than this are refused (matio recurses once per level). */
#define MATCK_MAX_DEPTH 32
/* More dimensions than MATLAB allows in practice. */
#define MATCK_MAX_RANK 64

/* Level 5 data types. */
enum {
    MI_INT8 = 1,
    MI_UINT8 = 2,
    MI_INT16 = 3,
    MI_UINT16 = 4,
    MI_INT32 = 5,
    MI_UINT32 = 6,
    MI_SINGLE = 7,
    MI_DOUBLE = 9,
    MI_INT64 = 12,
    MI_UINT64 = 13,
    MI_MATRIX = 14,
    MI_COMPRESSED = 15,
    MI_UTF8 = 16,
    MI_UTF16 = 17,
    MI_UTF32 = 18
};

/* Level 5 array classes. */
enum {
    MX_CELL = 1,
    MX_STRUCT = 2,
    MX_OBJECT = 3,
    MX_CHAR = 4,
    MX_SPARSE = 5,
    MX_DOUBLE = 6,
    MX_UINT64 = 15,
    MX_FUNCTION = 16,
    MX_OPAQUE = 17
};

/* The bytes being checked: the file (through pread) or an inflated element in memory. */
typedef struct matck {
    const char *path;
    int fd;                   /* the file, when mem is NULL */
    const unsigned char *mem; /* an inflated element */
    uint64_t len;             /* bytes available */
    uint64_t base;            /* file offset of mem[0] or of byte 0, for messages */
    int swap;                 /* the file's byte order differs from this machine's */
    char var[72];             /* the top-level variable being checked, for messages */
} matck;

static int matck_host_big(void)
{
    const uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first == 0;
}

static uint32_t matck_u32(const matck *c, const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    if (c->swap) {
        v = ((v & 0xffu) << 24) | ((v & 0xff00u) << 8) | ((v >> 8) & 0xff00u) | (v >> 24);
    }
    return v;
}

/* Read n bytes at offset off of the source, which must lie inside it. */
static int matck_read(const matck *c, uint64_t off, void *buf, size_t n)
{
    if (off > c->len || n > c->len - off) {
        return 0;
    }
    if (c->mem != NULL) {
        memcpy(buf, c->mem + off, n);
        return 1;
    }
    while (n > 0) {
        ssize_t r = pread(c->fd, buf, n, (off_t)off);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return 0;
        }
        buf = (char *)buf + r;
        off += (uint64_t)r;
        n -= (size_t)r;
    }
    return 1;
}

/* Prefix for messages: "path: variable 'x' (offset 1234)" or "path (offset 1234)". */
static const char *matck_where(const matck *c, uint64_t off, char *buf, size_t cap)
{
    if (c->var[0] != '\0') {
        snprintf(buf, cap, "%s: variable '%s' (byte %llu%s)", c->path, c->var,
                 (unsigned long long)(c->mem != NULL ? off : c->base + off),
                 c->mem != NULL ? " of its inflated data" : "");
    } else {
        snprintf(buf, cap, "%s (byte %llu)", c->path, (unsigned long long)(c->base + off));
    }
    return buf;
}

/* Bytes per value of a level-5 numeric data type (0 when not numeric). */
static size_t matck_type_size(uint32_t type)
{
    switch (type) {
    case MI_INT8:
    case MI_UINT8:
    case MI_UTF8:
        return 1;
    case MI_INT16:
    case MI_UINT16:
    case MI_UTF16:
        return 2;
    case MI_INT32:
    case MI_UINT32:
    case MI_SINGLE:
    case MI_UTF32:
        return 4;
    case MI_DOUBLE:
    case MI_INT64:
    case MI_UINT64:
        return 8;
    default:
        return 0;
    }
}

/*
 * One data element tag at off, inside [off, end): its type, its size, where
 * its data starts and where the next element starts. Small elements (1 to 4
 * bytes packed into the tag) are recognised as matio does: a nonzero upper
 * half in the first word.
 */
static fcfit_status matck_tag(const matck *c, uint64_t off, uint64_t end, const char *what,
                              uint32_t *type, uint32_t *nbytes, uint64_t *data, uint64_t *next)
{
    unsigned char b[8];
    char where[700];
    uint32_t w0;
    *type = 0;
    *nbytes = 0;
    *data = end;
    *next = end;
    FCFIT_REQUIRE(off <= end && end - off >= 8 && matck_read(c, off, b, 8), FCFIT_ERR_INPUT,
                  "%s: truncated: the file ends inside the tag of the %s; expected 8 bytes there",
                  matck_where(c, off, where, sizeof where), what);
    w0 = matck_u32(c, b);
    if ((w0 >> 16) != 0) {
        *type = w0 & 0xffffu;
        *nbytes = w0 >> 16;
        FCFIT_REQUIRE(*nbytes <= 4, FCFIT_ERR_INPUT,
                      "%s: the %s is a small data element of %u bytes; expected at most 4",
                      matck_where(c, off, where, sizeof where), what, (unsigned)*nbytes);
        *data = off + 4;
        *next = off + 8;
        return FCFIT_OK;
    }
    *type = w0;
    *nbytes = matck_u32(c, b + 4);
    *data = off + 8;
    FCFIT_REQUIRE(*nbytes <= end - *data, FCFIT_ERR_INPUT,
                  "%s: truncated or corrupt: the %s declares %u bytes, but only %llu remain%s",
                  matck_where(c, off, where, sizeof where), what, (unsigned)*nbytes,
                  (unsigned long long)(end - *data),
                  c->mem == NULL && end == c->len ? " in the file" : " in its parent element");
    /* Elements are padded to 8 bytes; the padding of the last one may be cut by its parent. */
    *next = *data + (((uint64_t)*nbytes + 7) & ~(uint64_t)7);
    if (*next > end) {
        *next = end;
    }
    return FCFIT_OK;
}

static fcfit_status matck_matrix(matck *c, uint64_t off, uint64_t end, int depth, int top);

/* count nested miMATRIX elements, one after the other from *off, inside [*off, end). */
static fcfit_status matck_children(matck *c, uint64_t *off, uint64_t end, uint64_t count,
                                   int depth, const char *what)
{
    char where[700];
    /* Every nested element takes at least its 8-byte tag: check the count before looping. */
    FCFIT_REQUIRE(count <= (end - *off) / 8, FCFIT_ERR_INPUT,
                  "%s: the %s claims %llu nested elements, but its %llu bytes can hold at most "
                  "%llu",
                  matck_where(c, *off, where, sizeof where), what, (unsigned long long)count,
                  (unsigned long long)(end - *off), (unsigned long long)((end - *off) / 8));
    for (uint64_t k = 0; k < count; k++) {
        uint32_t type, nbytes;
        uint64_t data, next;
        FCFIT_CHECK(matck_tag(c, *off, end, what, &type, &nbytes, &data, &next));
        FCFIT_REQUIRE(type == MI_MATRIX, FCFIT_ERR_INPUT,
                      "%s: element %llu of the %s has data type %u; expected a nested array "
                      "(miMATRIX, 14)",
                      matck_where(c, *off, where, sizeof where), (unsigned long long)k + 1, what,
                      (unsigned)type);
        if (nbytes > 0) {
            FCFIT_CHECK(matck_matrix(c, data, data + nbytes, depth + 1, 0));
        }
        *off = next;
    }
    return FCFIT_OK;
}

/*
 * The contents of one miMATRIX element, [off, end). `top` marks a variable
 * of the file, whose name is remembered for messages.
 */
static fcfit_status matck_matrix(matck *c, uint64_t off, uint64_t end, int depth, int top)
{
    char where[700];
    unsigned char b[8 * MATCK_MAX_RANK];
    uint32_t type, nbytes, flags, cls, rank;
    uint64_t data, next, numel = 1;
    int complex_part;

    FCFIT_REQUIRE(depth <= MATCK_MAX_DEPTH, FCFIT_ERR_INPUT,
                  "%s: cells or structs nested more than %d levels deep",
                  matck_where(c, off, where, sizeof where), MATCK_MAX_DEPTH);
    /* Array flags: class in the low byte, complex 0x800, global 0x400, logical 0x200. */
    FCFIT_CHECK(matck_tag(c, off, end, "array flags", &type, &nbytes, &data, &next));
    FCFIT_REQUIRE(type == MI_UINT32 && nbytes == 8 && matck_read(c, data, b, 8), FCFIT_ERR_INPUT,
                  "%s: the array flags have data type %u and %u bytes; expected miUINT32 (6) "
                  "and 8",
                  matck_where(c, off, where, sizeof where), (unsigned)type, (unsigned)nbytes);
    flags = matck_u32(c, b);
    cls = flags & 0xffu;
    complex_part = (flags & 0x800u) != 0;
    off = next;
    if (cls == MX_OPAQUE) {
        /* MATLAB objects such as strings and tables: a name, a type system and a class name
         * (no dimensions), then nested data. Not read by fcfit, and matio only skips them:
         * every element must lie inside. */
        while (off < end && end - off >= 8) {
            FCFIT_CHECK(matck_tag(c, off, end, "element", &type, &nbytes, &data, &next));
            off = next;
        }
        return FCFIT_OK;
    }
    /* Dimensions: at least two int32 values, none negative. */
    FCFIT_CHECK(matck_tag(c, off, end, "dimensions", &type, &nbytes, &data, &next));
    rank = nbytes / 4;
    FCFIT_REQUIRE(type == MI_INT32 && nbytes % 4 == 0 && rank >= 2 && rank <= MATCK_MAX_RANK &&
                      matck_read(c, data, b, nbytes),
                  FCFIT_ERR_INPUT,
                  "%s: the dimensions have data type %u and %u bytes; expected 2 to %d miINT32 "
                  "(5) values",
                  matck_where(c, off, where, sizeof where), (unsigned)type, (unsigned)nbytes,
                  MATCK_MAX_RANK);
    for (uint32_t k = 0; k < rank; k++) {
        uint32_t d = matck_u32(c, b + 4 * k);
        FCFIT_REQUIRE(d <= INT32_MAX, FCFIT_ERR_INPUT, "%s: dimension %u is negative (%d)",
                      matck_where(c, off, where, sizeof where), (unsigned)k + 1, (int)(int32_t)d);
        /* Saturate: any product above 2^62 is refused by the size checks below. */
        numel = (d != 0 && numel > ((uint64_t)1 << 62) / d) ? ((uint64_t)1 << 62) : numel * d;
    }
    off = next;
    /* Name: int8 text (may be empty, or a small element). */
    FCFIT_CHECK(matck_tag(c, off, end, "array name", &type, &nbytes, &data, &next));
    FCFIT_REQUIRE(type == MI_INT8 || type == MI_UINT8 || type == MI_UTF8, FCFIT_ERR_INPUT,
                  "%s: the array name has data type %u; expected miINT8 (1)",
                  matck_where(c, off, where, sizeof where), (unsigned)type);
    if (top) {
        char name[64];
        size_t n = nbytes < sizeof name - 1 ? nbytes : sizeof name - 1;
        if (!matck_read(c, data, name, n)) {
            n = 0;
        }
        name[n] = '\0';
        for (size_t k = 0; k < n; k++) {
            unsigned char ch = (unsigned char)name[k];
            name[k] = (ch < 0x20 || ch >= 0x7f) ? '?' : name[k];
        }
        snprintf(c->var, sizeof c->var, "%s%s", name, nbytes > n ? "..." : "");
    }
    off = next;

    if (cls >= MX_DOUBLE && cls <= MX_UINT64) {
        /* Numeric: real part, then the imaginary part of a complex array. */
        for (int part = 0; part <= complex_part; part++) {
            const char *what = part == 0 ? "real part" : "imaginary part";
            size_t size;
            if (numel == 0 && off >= end) {
                break;
            }
            FCFIT_CHECK(matck_tag(c, off, end, what, &type, &nbytes, &data, &next));
            size = matck_type_size(type);
            FCFIT_REQUIRE(size > 0 && type != MI_UTF8 && type != MI_UTF16 && type != MI_UTF32,
                          FCFIT_ERR_INPUT, "%s: the %s has data type %u; expected a numeric type",
                          matck_where(c, off, where, sizeof where), what, (unsigned)type);
            FCFIT_REQUIRE(numel <= UINT32_MAX / size, FCFIT_ERR_INPUT,
                          "%s: the dimensions claim %llu values of %zu bytes in the %s, more "
                          "than a level-5 element can hold (4 GiB); its data have %u bytes",
                          matck_where(c, off, where, sizeof where), (unsigned long long)numel,
                          size, what, (unsigned)nbytes);
            FCFIT_REQUIRE((uint64_t)nbytes == numel * size, FCFIT_ERR_INPUT,
                          "%s: the %s holds %u bytes, but the dimensions (%llu values) of %zu "
                          "bytes each need %llu",
                          matck_where(c, off, where, sizeof where), what, (unsigned)nbytes,
                          (unsigned long long)numel, size, (unsigned long long)(numel * size));
            off = next;
        }
    } else if (cls == MX_CHAR) {
        size_t size;
        if (numel == 0 && off >= end) {
            return FCFIT_OK;
        }
        FCFIT_CHECK(matck_tag(c, off, end, "character data", &type, &nbytes, &data, &next));
        size = matck_type_size(type);
        FCFIT_REQUIRE(size > 0 && (type == MI_UTF8 ? (uint64_t)nbytes >= numel &&
                                                         (uint64_t)nbytes <= 4 * numel
                                                   : (uint64_t)nbytes == numel * size),
                      FCFIT_ERR_INPUT,
                      "%s: the character data (type %u, %u bytes) do not match the dimensions "
                      "(%llu characters)",
                      matck_where(c, off, where, sizeof where), (unsigned)type, (unsigned)nbytes,
                      (unsigned long long)numel);
    } else if (cls == MX_CELL) {
        FCFIT_CHECK(matck_children(c, &off, end, numel, depth, "cell array"));
    } else if (cls == MX_STRUCT || cls == MX_OBJECT) {
        uint32_t field_len, nfields;
        if (cls == MX_OBJECT) {
            FCFIT_CHECK(matck_tag(c, off, end, "class name", &type, &nbytes, &data, &next));
            off = next;
        }
        FCFIT_CHECK(matck_tag(c, off, end, "field name length", &type, &nbytes, &data, &next));
        FCFIT_REQUIRE(type == MI_INT32 && nbytes == 4 && matck_read(c, data, b, 4),
                      FCFIT_ERR_INPUT,
                      "%s: the field name length has data type %u and %u bytes; expected one "
                      "miINT32 (5)",
                      matck_where(c, off, where, sizeof where), (unsigned)type, (unsigned)nbytes);
        field_len = matck_u32(c, b);
        off = next;
        FCFIT_CHECK(matck_tag(c, off, end, "field names", &type, &nbytes, &data, &next));
        FCFIT_REQUIRE((type == MI_INT8 || type == MI_UINT8) && field_len <= 4096 &&
                          (field_len > 0 ? nbytes % field_len == 0 : nbytes == 0),
                      FCFIT_ERR_INPUT,
                      "%s: the field names (type %u, %u bytes) are not a whole number of "
                      "names of %u bytes",
                      matck_where(c, off, where, sizeof where), (unsigned)type, (unsigned)nbytes,
                      (unsigned)field_len);
        nfields = field_len > 0 ? nbytes / field_len : 0;
        off = next;
        if (nfields > 0 && numel > 0) {
            uint64_t count = numel > UINT64_MAX / nfields ? UINT64_MAX : numel * nfields;
            FCFIT_CHECK(matck_children(c, &off, end, count, depth,
                                       cls == MX_STRUCT ? "struct" : "object"));
        }
    } else if (cls == MX_SPARSE || cls == MX_FUNCTION) {
        /* Not read by fcfit and only described by matio: every element must lie inside. */
        while (off < end) {
            if (end - off < 8) {
                break; /* padding */
            }
            FCFIT_CHECK(matck_tag(c, off, end, "element", &type, &nbytes, &data, &next));
            off = next;
        }
    } else {
        FCFIT_FAIL(FCFIT_ERR_INPUT, "%s: unknown array class %u; expected 1 to 17",
                   matck_where(c, off, where, sizeof where), (unsigned)cls);
    }
    return FCFIT_OK;
}

/* Inflate one miCOMPRESSED element (its data at [data, data + nbytes)) and check it. */
static fcfit_status matck_compressed(matck *c, uint64_t data, uint32_t nbytes)
{
    fcfit_status st = FCFIT_OK;
    char where[700];
    unsigned char *packed = NULL;
    unsigned char *plain = NULL;
    unsigned char head[8];
    z_stream zs;
    int zinit = 0;
    int rc;
    uint32_t type;
    uint64_t inner;
    size_t want;
    matck sub;

    FCFIT_ALLOC_GOTO(packed, nbytes, "a compressed .mat variable");
    FCFIT_REQUIRE_GOTO(matck_read(c, data, packed, nbytes), FCFIT_ERR_INPUT,
                       "%s: cannot read the compressed variable",
                       matck_where(c, data, where, sizeof where));
    memset(&zs, 0, sizeof zs);
    FCFIT_REQUIRE_GOTO(inflateInit(&zs) == Z_OK, FCFIT_ERR_NOMEM, "cannot start zlib");
    zinit = 1;
    zs.next_in = packed;
    zs.avail_in = nbytes;
    zs.next_out = head;
    zs.avail_out = 8;
    rc = inflate(&zs, Z_SYNC_FLUSH);
    FCFIT_REQUIRE_GOTO((rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR) && zs.avail_out == 0,
                       FCFIT_ERR_INPUT,
                       "%s: the compressed variable does not inflate to an array (zlib: %s)",
                       matck_where(c, data, where, sizeof where),
                       zs.msg != NULL ? zs.msg : "the data end too early");
    type = matck_u32(c, head);
    inner = matck_u32(c, head + 4);
    FCFIT_REQUIRE_GOTO(type == MI_MATRIX, FCFIT_ERR_INPUT,
                       "%s: the compressed variable holds data type %u; expected an array "
                       "(miMATRIX, 14)",
                       matck_where(c, data, where, sizeof where), (unsigned)type);
    FCFIT_REQUIRE_GOTO(8 + inner <= fcfit_io_max_inflate(nbytes), FCFIT_ERR_INPUT,
                       "%s: the compressed variable claims %llu bytes from %u compressed bytes, "
                       "more than deflate can produce",
                       matck_where(c, data, where, sizeof where), (unsigned long long)inner,
                       (unsigned)nbytes);
    want = (size_t)inner;
    FCFIT_ALLOC_GOTO(plain, want > 0 ? want : 1, "an inflated .mat variable");
    zs.next_out = plain;
    zs.avail_out = (uInt)want;
    if (want > 0) {
        rc = inflate(&zs, Z_SYNC_FLUSH);
        FCFIT_REQUIRE_GOTO((rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR) &&
                               zs.avail_out == 0,
                           FCFIT_ERR_INPUT,
                           "%s: truncated or corrupt compressed variable: it inflates to %llu of "
                           "the %llu bytes it declares (zlib: %s)",
                           matck_where(c, data, where, sizeof where),
                           (unsigned long long)(want - zs.avail_out), (unsigned long long)want,
                           zs.msg != NULL ? zs.msg : "the data end too early");
    }
    sub = *c;
    sub.mem = plain;
    sub.len = want;
    sub.base = 0;
    sub.var[0] = '\0';
    if (want > 0) {
        st = matck_matrix(&sub, 0, want, 0, 1);
    }
    if (st == FCFIT_OK && sub.var[0] != '\0') {
        snprintf(c->var, sizeof c->var, "%s", sub.var);
    }

cleanup:
    if (zinit) {
        inflateEnd(&zs);
    }
    free(packed);
    free(plain);
    return st;
}

static fcfit_status matck_level5(matck *c)
{
    uint64_t off = 128;
    char where[700];
    while (off < c->len) {
        uint32_t type, nbytes;
        uint64_t data, next;
        c->var[0] = '\0';
        if (c->len - off < 8) {
            unsigned char tail[8] = {0};
            static const unsigned char zeros[8] = {0};
            /* Zero padding after a compressed element, as some writers add, is harmless. */
            if (matck_read(c, off, tail, (size_t)(c->len - off)) &&
                memcmp(tail, zeros, (size_t)(c->len - off)) == 0) {
                break;
            }
        }
        FCFIT_REQUIRE(c->len - off >= 8, FCFIT_ERR_INPUT,
                      "%s: truncated: %llu stray bytes at the end of the file, too few for a "
                      "data element",
                      matck_where(c, off, where, sizeof where),
                      (unsigned long long)(c->len - off));
        {
            unsigned char b[8];
            if (matck_read(c, off, b, 8) && matck_u32(c, b) == MI_MATRIX &&
                matck_u32(c, b + 4) > c->len - off - 8) {
                /* Truncated: read the name from what is left, for the message. */
                (void)matck_matrix(c, off + 8, c->len, 0, 1);
                fcfit_error_clear();
            }
        }
        FCFIT_CHECK(matck_tag(c, off, c->len, "variable", &type, &nbytes, &data, &next));
        if (type == MI_MATRIX) {
            if (nbytes > 0) {
                FCFIT_CHECK(matck_matrix(c, data, data + nbytes, 0, 1));
            }
        } else if (type == MI_COMPRESSED) {
            FCFIT_CHECK(matck_compressed(c, data, nbytes));
            next = data + nbytes; /* compressed elements are not padded */
        }
        /* Other top-level elements are skipped by matio; they only have to lie inside. */
        off = next;
    }
    return FCFIT_OK;
}

static fcfit_status matck_level4(matck *c)
{
    char where[700];
    uint64_t off = 0;
    unsigned char b[20];
    size_t k = 0;
    FCFIT_REQUIRE(c->len > 0, FCFIT_ERR_INPUT,
                  "%s: the file is empty; expected a MATLAB .mat file", c->path);
    while (off < c->len) {
        int32_t h[5];
        int big;
        long mopt, m, o, p, t;
        uint64_t psize, bytes;
        k++;
        c->var[0] = '\0';
        FCFIT_REQUIRE(c->len - off >= 20 && matck_read(c, off, b, 20), FCFIT_ERR_INPUT,
                      "%s: not a MATLAB .mat file, or a truncated level-4 one: %llu bytes at "
                      "record %zu, too few for a 20-byte record header (and no level-5 header "
                      "either)",
                      matck_where(c, off, where, sizeof where), (unsigned long long)(c->len - off),
                      k);
        /* The type word is below 5000 in the writer's byte order; M (thousands) says which. */
        for (big = 0; big <= 1; big++) {
            c->swap = big != matck_host_big();
            for (int q = 0; q < 5; q++) {
                h[q] = (int32_t)matck_u32(c, b + 4 * q);
            }
            if (h[0] >= 0 && h[0] < 5000 && h[0] / 1000 == big) {
                break;
            }
        }
        mopt = h[0];
        m = mopt / 1000;
        o = (mopt / 100) % 10;
        p = (mopt / 10) % 10;
        t = mopt % 10;
        FCFIT_REQUIRE(big <= 1 && o == 0 && p <= 5 && t <= 2 && h[1] >= 0 && h[2] >= 0 &&
                          (h[3] == 0 || h[3] == 1) && h[4] >= 1,
                      FCFIT_ERR_INPUT,
                      "%s: not a MATLAB .mat file: neither a level-5 header nor a valid "
                      "level-4 record header (type %ld, %d x %d, imagf %d, name length %d) at "
                      "record %zu",
                      matck_where(c, off, where, sizeof where), mopt, (int)h[1], (int)h[2],
                      (int)h[3], (int)h[4], k);
        (void)m;
        psize = p == 0 ? 8 : p == 1 ? 4 : p == 2 ? 4 : p == 5 ? 1 : 2;
        bytes = (uint64_t)h[1] * (uint64_t)h[2] * psize * (h[3] ? 2u : 1u);
        FCFIT_REQUIRE((uint64_t)h[4] <= c->len - off - 20, FCFIT_ERR_INPUT,
                      "%s: truncated: level-4 record %zu has a %d-byte name, but only %llu bytes "
                      "remain",
                      matck_where(c, off, where, sizeof where), k, (int)h[4],
                      (unsigned long long)(c->len - off - 20));
        {
            char name[64];
            size_t n = (size_t)h[4] < sizeof name ? (size_t)h[4] : sizeof name - 1;
            if (matck_read(c, off + 20, name, n)) {
                name[n] = '\0';
                for (size_t q = 0; name[q] != '\0'; q++) {
                    unsigned char ch = (unsigned char)name[q];
                    name[q] = (ch < 0x20 || ch >= 0x7f) ? '?' : name[q];
                }
                snprintf(c->var, sizeof c->var, "%s", name);
            }
        }
        FCFIT_REQUIRE(bytes <= c->len - off - 20 - (uint64_t)h[4], FCFIT_ERR_INPUT,
                      "%s: truncated: %d x %d %svalues of %llu bytes need %llu bytes, but the "
                      "file has only %llu more",
                      matck_where(c, off, where, sizeof where), (int)h[1], (int)h[2],
                      h[3] ? "complex " : "", (unsigned long long)psize, (unsigned long long)bytes,
                      (unsigned long long)(c->len - off - 20 - (uint64_t)h[4]));
        off += 20 + (uint64_t)h[4] + bytes;
    }
    return FCFIT_OK;
}

fcfit_status fcfit_mat_check_file(const char *path)
{
    fcfit_status st = FCFIT_OK;
    unsigned char head[128];
    matck c;
    int fd = -1;
    size_t size = 0;

    memset(&c, 0, sizeof c);
    c.path = path;
    FCFIT_CHECK(fcfit_io_open_regular(path, &fd, &size));
    c.fd = fd;
    c.len = size;
    if (size >= 128 && matck_read(&c, 0, head, 128) &&
        ((head[126] == 'I' && head[127] == 'M') || (head[126] == 'M' && head[127] == 'I'))) {
        uint16_t version;
        /* The endian indicator is the 16-bit value 'MI' in the writer's byte order: reading
         * "IM" means the writer's order is ours. */
        c.swap = head[126] == 'M';
        memcpy(&version, head + 124, 2);
        if (c.swap) {
            version = (uint16_t)((version >> 8) | (version << 8));
        }
        if (version == 0x0200) {
            static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
            unsigned char b[8];
            FCFIT_REQUIRE_GOTO(size >= 520 && matck_read(&c, 512, b, 8) &&
                                   memcmp(b, sig, 8) == 0,
                               FCFIT_ERR_INPUT,
                               "%s: a version 7.3 MAT-file header, but no HDF5 data at byte 512; "
                               "the file is truncated or damaged",
                               path);
        } else {
            FCFIT_REQUIRE_GOTO(version == 0x0100, FCFIT_ERR_INPUT,
                               "%s: MAT-file version 0x%04x in the header; expected 0x0100 (level "
                               "5) or 0x0200 (version 7.3)",
                               path, (unsigned)version);
            FCFIT_TRY(matck_level5(&c));
        }
    } else {
        FCFIT_TRY(matck_level4(&c));
    }

cleanup:
    close(fd);
    return st;
}
