/*
 * fuzz_matrix_zip.c: zip archives through fcfit_matrix_load, as a NumPy .npz
 * (the only array, and key 'a') and as a .zip (member weights.txt), and as a
 * TVB connectivity zip through fcfit_tvb_zip_load, whose result must be
 * consistent (square weights, lengths and labels of the same size).
 */
#include <stdio.h>

#include "fcfit/fcfit_matrix_io.h"
#include "fcfit/fcfit_status.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char spec[1200];
    fcfit_tvb_connectivity c;
    fcfit_status st;
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
        st = fcfit_tvb_zip_load(p, &c);
        if (st == FCFIT_OK) {
            size_t n = c.weights.rows;
            fuzz_require(n > 0 && c.weights.cols == n, "TVB weights are square");
            fuzz_require(c.lengths.data == NULL || (c.lengths.rows == n && c.lengths.cols == n),
                         "TVB tract lengths match the weights");
            fuzz_require(c.centres.data == NULL || (c.centres.rows == n && c.centres.cols == 3),
                         "TVB centres match the weights");
            fuzz_require(c.labels == NULL || c.n_labels == n, "TVB labels match the weights");
        } else {
            fuzz_require(fcfit_status_exit_code(st) == 2, "a bad zip is bad input (exit code 2)");
            fuzz_require(c.weights.data == NULL && c.labels == NULL,
                         "a refused zip leaves nothing behind");
        }
        fcfit_tvb_connectivity_free(&c);
        fcfit_error_clear();
    }
    return 0;
}
