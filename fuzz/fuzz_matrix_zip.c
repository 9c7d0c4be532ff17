/*
 * fuzz_matrix_zip.c: zip archives through fcfit_matrix_load, as a NumPy .npz
 * (the only array, and key 'a') and as a .zip (member weights.txt).
 */
#include <stdio.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char spec[1200];
    const char *p = fuzz_write("in.npz", data, size);
    if (p != NULL) {
        snprintf(spec, sizeof spec, "%s:a", p);
        fuzz_load_check(p);
        fuzz_load_check(spec);
    }
    p = fuzz_write("in.zip", data, size);
    if (p != NULL) {
        snprintf(spec, sizeof spec, "%s:weights.txt", p);
        fuzz_load_check(spec);
    }
    return 0;
}
