/*
 * fuzz_matrix_text.c: the delimited-text reader, through fcfit_matrix_load,
 * with each of its three delimiter rules (.csv, .tsv, and .txt's per-line
 * detection).
 */
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"in.csv", "in.tsv", "in.txt"};
    for (size_t k = 0; k < 3; k++) {
        const char *p = fuzz_write(names[k], data, size);
        if (p != NULL) {
            fuzz_load_check(p);
        }
    }
    return 0;
}
