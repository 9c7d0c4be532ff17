/*
 * fuzz_matrix_npy.c: the NumPy .npy reader, through fcfit_matrix_load.
 */
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = fuzz_write("in.npy", data, size);
    if (p != NULL) {
        fuzz_load_check(p);
    }
    return 0;
}
