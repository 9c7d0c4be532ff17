/*
 * matrix_io_impl.h: declarations shared by the matrix readers of src/io/.
 *
 * fcfit_matrix_load (matrix_load.c) checks that the file exists and is
 * readable, chooses a reader by extension and splits off the object name of
 * container files; each reader below then parses one format. The contract
 * every reader keeps:
 *
 *   - `path` is a readable file (checked by the caller), `out` is empty;
 *   - on success `out` holds a rows x cols row-major matrix with rows, cols > 0
 *     (1-D data are rows x 1);
 *   - on failure `out` is left empty and the recorded message starts with the
 *     path and says what was expected (FCFIT_ERR_INPUT), or names the
 *     allocation that failed (FCFIT_ERR_NOMEM).
 *
 * These names are internal to the fcfit_io library and never appear in
 * include/.
 */
#ifndef FCFIT_MATRIX_IO_IMPL_H
#define FCFIT_MATRIX_IO_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "fcfit/fcfit_matrix.h"
#include "fcfit/fcfit_status.h"

/** How values are separated in a text file (chosen from the extension). */
typedef enum fcfit_text_delim {
    FCFIT_TEXT_DELIM_COMMA, /* .csv: ',' with optional blanks around it */
    FCFIT_TEXT_DELIM_TAB,   /* .tsv: a single tab with optional spaces around it */
    FCFIT_TEXT_DELIM_AUTO   /* others: ',' when the line has one, else runs of blanks */
} fcfit_text_delim;

/** Delimited text (matrix_text.c). */
fcfit_status fcfit_matrix_read_text(const char *path, fcfit_text_delim delim, fcfit_matrix *out);

/**
 * Delimited text already in memory: buf[0..len) plus a writable spare byte at
 * buf[len] (the text is parsed in place). `label` names it in messages.
 */
fcfit_status fcfit_matrix_parse_text(const char *label, char *buf, size_t len,
                                     fcfit_text_delim delim, fcfit_matrix *out);

/** NumPy .npy, format versions 1.0, 2.0 and 3.0 (matrix_npy.c). */
fcfit_status fcfit_matrix_read_npy(const char *path, fcfit_matrix *out);

/** A .npy file already in memory (buf[0..len)); `label` names it in messages. */
fcfit_status fcfit_matrix_parse_npy(const char *label, const unsigned char *buf, size_t len,
                                    fcfit_matrix *out);

/**
 * MATLAB .mat through matio (matrix_mat.c). `name` is the variable, or NULL
 * when the file must hold exactly one.
 */
fcfit_status fcfit_matrix_read_mat(const char *path, const char *name, fcfit_matrix *out);

/**
 * Check the structure of a .mat file before matio reads it (matrix_mat_check.c):
 * level-4 records and level-5 data elements (compressed ones inflated with
 * zlib) must lie inside the file and agree with the sizes their headers
 * claim, recursively through cells and structs. Catches truncated files and
 * headers that would make matio allocate far more than the file holds.
 * Level 7.3 files (HDF5 inside) only get their signature checked.
 */
fcfit_status fcfit_mat_check_file(const char *path);

/**
 * HDF5 dataset (matrix_h5.c). `name` is the dataset path (leading '/'
 * optional), or NULL when the file must hold exactly one dataset.
 */
fcfit_status fcfit_matrix_read_h5(const char *path, const char *name, fcfit_matrix *out);

/**
 * An array from a zip archive (matrix_zip.c): member `name` of a .zip (by
 * exact name, or by its last path component when exactly one member has it),
 * or key `name` of a NumPy .npz (member name.npy); NULL when the archive
 * holds exactly one member. The member is parsed by its extension (.npy, or
 * text); stored and deflated members are read.
 */
fcfit_status fcfit_matrix_read_zip(const char *path, const char *name, int npz,
                                   fcfit_matrix *out);

/** A reader that the guard below can run in a child process. */
typedef fcfit_status (*fcfit_matrix_reader_fn)(const char *path, const char *name,
                                               fcfit_matrix *out);

/**
 * Run `reader` in a forked child process and return its matrix or its error
 * (reader_guard.c). Readers built on libraries that parse untrusted binary
 * formats (matio, libhdf5) can crash on crafted files; in the child, a crash
 * ends only the child, and the parent reports FCFIT_ERR_INPUT naming the
 * file, `library` and the signal. The child also runs under a CPU-time limit
 * and (without AddressSanitizer) an address-space limit derived from
 * `file_size`, so that a hang or a huge allocation ends the same way. With
 * the environment variable FCFIT_LOADER_FORK=0 the reader runs in-process
 * (for debuggers).
 */
fcfit_status fcfit_io_guarded_read(fcfit_matrix_reader_fn reader, const char *path,
                                   const char *name, const char *library, size_t file_size,
                                   fcfit_matrix *out);

/** "a FIFO (named pipe)", "a character device (...)", ... for an st_mode (input_file.c). */
const char *fcfit_io_file_kind(unsigned mode);

/**
 * Open a regular file for reading without blocking on FIFOs or devices:
 * anything but a regular file is FCFIT_ERR_INPUT naming what it is. On
 * success *fd is an open descriptor (close it) and *size the file's size.
 */
fcfit_status fcfit_io_open_regular(const char *path, int *fd, size_t *size);

/** fcfit_io_open_regular, then close: the file is a readable regular file of *size bytes. */
fcfit_status fcfit_io_check_regular(const char *path, size_t *size);

/**
 * Read a whole regular file into *buf (malloc'd, NUL-terminated one byte past
 * *len). A file that changes size while it is read is refused.
 */
fcfit_status fcfit_io_read_regular(const char *path, char **buf, size_t *len);

/**
 * Bytes a decoder may produce from `packed` compressed bytes: deflate cannot
 * expand data by more than 1032:1, so a larger claim is a crafted or corrupt
 * file (the margin covers headers and block overhead).
 */
static inline size_t fcfit_io_max_inflate(uint64_t packed)
{
    return packed > (uint64_t)(SIZE_MAX - 4096) / 1100 ? SIZE_MAX : (size_t)(packed * 1100 + 4096);
}

/**
 * A bounded, comma-separated list of names for error messages ("a, b, c" or
 * "a, b, ... (12 in all)"). Appending never fails: names that do not fit are
 * counted and summarised at the end by fcfit_name_list_text.
 */
typedef struct fcfit_name_list {
    char text[768];     /* the names that fitted, comma-separated */
    char rendered[832]; /* text plus the summary, filled by fcfit_name_list_text */
    size_t count;       /* names appended */
    size_t shown;       /* names that fitted into text */
} fcfit_name_list;

/** Empty the list. */
void fcfit_name_list_init(fcfit_name_list *list);

/** Append one name (borrowed; copied into the list). */
void fcfit_name_list_add(fcfit_name_list *list, const char *name);

/** The list as text ("(none)" when empty); valid until the list changes. */
const char *fcfit_name_list_text(fcfit_name_list *list);

#endif /* FCFIT_MATRIX_IO_IMPL_H */
