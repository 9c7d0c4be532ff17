/**
 * @file fcfit_hash.h
 * A 64-bit non-cryptographic content hash (FNV-1a) used to identify a job:
 * its canonical effective configuration plus the bytes of every input matrix.
 * It detects "this results file was written by a different job"; it is not a
 * defence against deliberate collisions.
 */
#ifndef FCFIT_HASH_H
#define FCFIT_HASH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FCFIT_HASH_INIT 0xcbf29ce484222325ULL

/** Continue an FNV-1a 64 hash h over n bytes. Start with FCFIT_HASH_INIT. */
uint64_t fcfit_hash_bytes(uint64_t h, const void *data, size_t n);

/** Continue a hash over a NUL-terminated string (its bytes, then one 0 byte). */
uint64_t fcfit_hash_str(uint64_t h, const char *s);

/** Format h as 16 lower-case hex digits into buf (at least 17 bytes). */
void fcfit_hash_hex(uint64_t h, char *buf);

#ifdef __cplusplus
}
#endif
#endif /* FCFIT_HASH_H */
