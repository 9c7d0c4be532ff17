/*
 * fuzz_util.h: helpers shared by the fuzz targets in this directory.
 *
 * The matrix loaders take a path (matio and HDF5 only open files by name), so
 * each input is written to a file in a private temporary directory, created
 * once per process under $TMPDIR (default /tmp) and removed at exit. The
 * directory lives as long as the fuzzing process; inputs overwrite one
 * another.
 *
 * Built two ways: by clang with -fsanitize=fuzzer (libFuzzer supplies main;
 * FCFIT_FUZZ=ON), and by any compiler with replay_main.c, which runs the
 * seed corpus and the regression inputs once each as ordinary tests.
 */
#ifndef FCFIT_FUZZ_UTIL_H
#define FCFIT_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "fcfit/fcfit_matrix.h"

/** Path of file `name` in the private directory (static storage, valid until the next call). */
const char *fuzz_path(const char *name);

/** Write data[0..size) to fuzz_path(name); returns that path (NULL on failure). */
const char *fuzz_write(const char *name, const uint8_t *data, size_t size);

/**
 * Load spec with fcfit_matrix_load and check what every successful load must
 * satisfy (rows, cols > 0, data present, the output empty after a failure);
 * a violation aborts, which the fuzzer reports as a crash. Clears the error.
 */
void fuzz_load_check(const char *spec);

/** Abort with a message when cond is false (an invariant of the code under test broke). */
void fuzz_require(int cond, const char *what);

#endif
