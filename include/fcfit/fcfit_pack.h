/**
 * @file fcfit_pack.h
 * A byte buffer for messages and plans: little-endian-agnostic native
 * packing (all ranks of one MPI job run the same binary on the same kind of
 * machine), with bounds-checked reading, so a truncated or malformed buffer
 * is reported as FCFIT_ERR_PROTOCOL instead of read past its end.
 */
#ifndef FCFIT_PACK_H
#define FCFIT_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "fcfit/fcfit_status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fcfit_packer {
    unsigned char *buf;
    size_t len, cap;
    int oom;            /**< set when a growth failed; every later append is ignored */
} fcfit_packer;

void fcfit_pack_init(fcfit_packer *p);
void fcfit_pack_free(fcfit_packer *p);
/** Forget the contents, keep the memory. */
void fcfit_pack_reset(fcfit_packer *p);
void fcfit_pack_bytes(fcfit_packer *p, const void *data, size_t n);
void fcfit_pack_u64(fcfit_packer *p, uint64_t v);
void fcfit_pack_i64(fcfit_packer *p, int64_t v);
void fcfit_pack_f64(fcfit_packer *p, double v);
/** A count followed by the values. */
void fcfit_pack_f64s(fcfit_packer *p, const double *v, size_t n);
void fcfit_pack_f32s(fcfit_packer *p, const float *v, size_t n);
/** Length-prefixed string (NULL packs as the empty string). */
void fcfit_pack_str(fcfit_packer *p, const char *s);
/** FCFIT_ERR_NOMEM when any append failed. */
fcfit_status fcfit_pack_status(const fcfit_packer *p);

typedef struct fcfit_unpacker {
    const unsigned char *buf;
    size_t len, pos;
} fcfit_unpacker;

void fcfit_unpack_init(fcfit_unpacker *u, const void *buf, size_t len);
fcfit_status fcfit_unpack_bytes(fcfit_unpacker *u, void *out, size_t n);
fcfit_status fcfit_unpack_u64(fcfit_unpacker *u, uint64_t *v);
fcfit_status fcfit_unpack_i64(fcfit_unpacker *u, int64_t *v);
fcfit_status fcfit_unpack_f64(fcfit_unpacker *u, double *v);
/** Read a count and that many doubles into a new array (*out malloc'd; *n = count). */
fcfit_status fcfit_unpack_f64s_alloc(fcfit_unpacker *u, double **out, size_t *n);
/** Read a count (which must equal n) and n doubles into out. */
fcfit_status fcfit_unpack_f64s_into(fcfit_unpacker *u, double *out, size_t n);
fcfit_status fcfit_unpack_f32s_into(fcfit_unpacker *u, float *out, size_t n);
/** Read a string into a new malloc'd buffer. */
fcfit_status fcfit_unpack_str_alloc(fcfit_unpacker *u, char **out);
/** Read a string into buf (truncated to cap - 1 bytes). */
fcfit_status fcfit_unpack_str_into(fcfit_unpacker *u, char *buf, size_t cap);
/** Nonzero when everything was consumed. */
int fcfit_unpack_done(const fcfit_unpacker *u);

#ifdef __cplusplus
}
#endif
#endif
