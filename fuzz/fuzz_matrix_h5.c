/*
 * fuzz_matrix_h5.c: the HDF5 dataset reader, through fcfit_matrix_load: the
 * only dataset, and dataset /a by name (the seeds name their datasets a, b,
 * g/c, ...).
 */
#include <stdio.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char spec[1200];
    const char *p = fuzz_write("in.h5", data, size);
    if (p != NULL) {
        snprintf(spec, sizeof spec, "%s:/a", p);
        fuzz_load_check(p);
        fuzz_load_check(spec);
    }
    return 0;
}
