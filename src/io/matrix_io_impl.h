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

/** NumPy .npy, format versions 1.0, 2.0 and 3.0 (matrix_npy.c). */
fcfit_status fcfit_matrix_read_npy(const char *path, fcfit_matrix *out);

/**
 * MATLAB .mat through matio (matrix_mat.c). `name` is the variable, or NULL
 * when the file must hold exactly one.
 */
fcfit_status fcfit_matrix_read_mat(const char *path, const char *name, fcfit_matrix *out);

/**
 * HDF5 dataset (matrix_h5.c). `name` is the dataset path (leading '/'
 * optional), or NULL when the file must hold exactly one dataset.
 */
fcfit_status fcfit_matrix_read_h5(const char *path, const char *name, fcfit_matrix *out);

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
