/*
 * hash.c: FNV-1a 64-bit (Fowler, Noll, Vo), a public-domain byte hash.
 */
#include "fcfit/fcfit_hash.h"

#include <stdio.h>
#include <string.h>

uint64_t fcfit_hash_bytes(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t k = 0; k < n; k++) {
        h ^= (uint64_t)p[k];
        h *= 0x100000001b3ULL;
    }
    return h;
}

uint64_t fcfit_hash_str(uint64_t h, const char *s) { return fcfit_hash_bytes(h, s, strlen(s) + 1); }

void fcfit_hash_hex(uint64_t h, char *buf) { snprintf(buf, 17, "%016llx", (unsigned long long)h); }
