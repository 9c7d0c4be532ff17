/*
 * fuzz_util.c: the private temporary directory and the load check of fuzz_util.h.
 */
#include "fuzz_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fcfit/fcfit_matrix_io.h"
#include "fcfit/fcfit_status.h"

/*
 * AddressSanitizer options for every fuzz and replay executable: an allocation above 2 GiB
 * returns NULL, as it would on a machine without that much memory, instead of ending the
 * process. fcfit's own readers must never ask for that much from a small file (the target's
 * checks fail on any "out of memory" status); inside the guarded child processes of
 * reader_guard.c, matio and libhdf5 then see an ordinary failed allocation.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1:max_allocation_size_mb=2048";
}

static char g_dir[512];
static char g_path[sizeof g_dir + 256];
static char g_names[16][64];
static size_t g_n_names;

static void fuzz_cleanup(void)
{
    char p[sizeof g_dir + sizeof g_names[0] + 2];
    for (size_t k = 0; k < g_n_names; k++) {
        snprintf(p, sizeof p, "%.511s/%.63s", g_dir, g_names[k]);
        (void)unlink(p);
    }
    if (g_dir[0] != '\0') {
        (void)rmdir(g_dir);
    }
}

static void fuzz_init(void)
{
    const char *tmp = getenv("TMPDIR");
    if (g_dir[0] != '\0') {
        return;
    }
    snprintf(g_dir, sizeof g_dir, "%.400s/fcfit-fuzz-XXXXXX", tmp != NULL && tmp[0] ? tmp : "/tmp");
    if (mkdtemp(g_dir) == NULL) {
        perror("fuzz: mkdtemp");
        abort();
    }
    atexit(fuzz_cleanup);
}

const char *fuzz_path(const char *name)
{
    fuzz_init();
    snprintf(g_path, sizeof g_path, "%.511s/%.200s", g_dir, name);
    return g_path;
}

const char *fuzz_write(const char *name, const uint8_t *data, size_t size)
{
    const char *p = fuzz_path(name);
    FILE *fp = fopen(p, "wb");
    size_t k;
    if (fp == NULL) {
        return NULL;
    }
    if (size > 0 && fwrite(data, 1, size, fp) != size) {
        fclose(fp);
        return NULL;
    }
    fclose(fp);
    for (k = 0; k < g_n_names && strcmp(g_names[k], name) != 0; k++) {
    }
    if (k == g_n_names && g_n_names < 16) {
        snprintf(g_names[g_n_names++], sizeof g_names[0], "%s", name);
    }
    return p;
}

void fuzz_require(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz: invariant violated: %s\n", what);
        abort();
    }
}

void fuzz_load_check(const char *spec)
{
    fcfit_matrix m = {0, 0, NULL};
    fcfit_status st = fcfit_matrix_load(spec, &m);
    if (st == FCFIT_OK) {
        fuzz_require(m.rows > 0 && m.cols > 0 && m.data != NULL, "a loaded matrix is not empty");
        /* Touch every value so that ASan sees a short allocation. */
        volatile double sink = 0.0;
        for (size_t k = 0; k < m.rows * m.cols; k++) {
            sink += m.data[k];
        }
        (void)sink;
    } else {
        fuzz_require(m.rows == 0 && m.cols == 0 && m.data == NULL,
                     "a failed load leaves the matrix empty");
        fuzz_require(fcfit_error_message()[0] != '\0', "a failed load records a message");
        /* Bad input is exit code 2. Memory is bounded by the file's size, and fuzz inputs are
         * small, so even "out of memory" (exit code 1) would mean an unchecked size claim. */
        fuzz_require(fcfit_status_exit_code(st) == 2,
                     "a bad file is reported as bad input (exit code 2)");
    }
    fcfit_matrix_free(&m);
    fcfit_error_clear();
}
