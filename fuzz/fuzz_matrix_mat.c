/*
 * fuzz_matrix_mat.c: the MATLAB .mat reader (fcfit's structure check, then
 * matio), through fcfit_matrix_load: the only variable, and variable 'a' by
 * name (the seeds name their variables a, b, ...).
 */
#include <stdio.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char spec[1200];
    const char *p = fuzz_write("in.mat", data, size);
    if (p != NULL) {
        snprintf(spec, sizeof spec, "%s:a", p);
        fuzz_load_check(p);
        fuzz_load_check(spec);
    }
    return 0;
}
