/*
 * matrix_load.c: the entry points of the matrix I/O module. Turns a spec
 * ("path" or "path:object") into a file and a reader, checks that the file
 * can be read, and writes matrices back out as CSV.
 *
 * Splitting a spec. Paths may themselves contain colons (run directories
 * such as "sweep:3/" are common), so a colon only separates the object name
 * when the text before it ends in a container extension (.mat, .h5, .hdf5,
 * .he5, .npz, .zip). When several colons qualify, the rightmost one whose prefix names an
 * existing file wins, and failing that the rightmost one. A spec that names
 * an existing file as a whole is never split.
 *
 * Choosing a reader. The extension of the path (case-insensitive) decides:
 * .csv comma, .tsv tab, .npy NumPy, .mat MATLAB, .h5/.hdf5/.he5 HDF5, .npz
 * and .zip archives, a few known formats we do not read get a hint, and
 * everything else (.txt, .dat, no extension) is text with the delimiter
 * detected per line.
 *
 * Every path must be a regular file (input_file.c). .mat files get their
 * structure checked (matrix_mat_check.c) before matio reads them; HDF5 files
 * must carry the HDF5 signature; then matio and libhdf5 run in a child
 * process (reader_guard.c), so that a crash inside them ends as bad input.
 */
#include "fcfit/fcfit_matrix_io.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "matrix_io_impl.h"

typedef enum load_format {
    LOAD_TEXT_COMMA,
    LOAD_TEXT_TAB,
    LOAD_TEXT_AUTO,
    LOAD_NPY,
    LOAD_MAT,
    LOAD_H5,
    LOAD_NPZ,
    LOAD_ZIP,
    LOAD_UNSUPPORTED
} load_format;

typedef struct load_ext {
    const char *ext;
    load_format format;
    const char *hint; /* for LOAD_UNSUPPORTED: what to do instead */
} load_ext;

static const load_ext load_exts[] = {
    {".csv", LOAD_TEXT_COMMA, NULL},
    {".tsv", LOAD_TEXT_TAB, NULL},
    {".txt", LOAD_TEXT_AUTO, NULL},
    {".dat", LOAD_TEXT_AUTO, NULL},
    {".npy", LOAD_NPY, NULL},
    {".mat", LOAD_MAT, NULL},
    {".h5", LOAD_H5, NULL},
    {".hdf5", LOAD_H5, NULL},
    {".he5", LOAD_H5, NULL},
    {".npz", LOAD_NPZ, NULL},
    {".zip", LOAD_ZIP, NULL},
    {".xlsx", LOAD_UNSUPPORTED, "spreadsheets are not read; export the sheet as .csv"},
    {".xls", LOAD_UNSUPPORTED, "spreadsheets are not read; export the sheet as .csv"},
    {".gz", LOAD_UNSUPPORTED, "compressed files are not read; decompress it first"},
};

static int load_lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/* The table entry for the extension of path[0..len), or NULL (plain text). */
static const load_ext *load_find_ext(const char *path, size_t len)
{
    size_t dot = len;
    for (size_t k = len; k-- > 0;) {
        if (path[k] == '/') {
            break;
        }
        if (path[k] == '.') {
            dot = k;
            break;
        }
    }
    if (dot == len) {
        return NULL;
    }
    for (size_t e = 0; e < sizeof load_exts / sizeof load_exts[0]; e++) {
        const char *ext = load_exts[e].ext;
        size_t n = strlen(ext);
        size_t k = 0;
        if (len - dot != n) {
            continue;
        }
        while (k < n && load_lower((unsigned char)path[dot + k]) == ext[k]) {
            k++;
        }
        if (k == n) {
            return &load_exts[e];
        }
    }
    return NULL;
}

static int load_is_container(const load_ext *e)
{
    return e != NULL && (e->format == LOAD_MAT || e->format == LOAD_H5 || e->format == LOAD_NPZ ||
                         e->format == LOAD_ZIP);
}

static int load_file_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/*
 * Split spec into a newly allocated *path and a pointer *object into spec
 * (NULL when there is none). See the file comment for the rule.
 */
static fcfit_status load_split(const char *spec, char **path, const char **object)
{
    fcfit_status st = FCFIT_OK;
    size_t len = strlen(spec);
    size_t split = len;
    size_t rightmost = len;
    char *prefix = NULL;

    *path = NULL;
    *object = NULL;
    if (strchr(spec, ':') != NULL && !load_file_exists(spec)) {
        FCFIT_ALLOC_GOTO(prefix, len + 1, "a copy of the matrix spec");
        for (size_t k = len; k-- > 0;) {
            if (spec[k] != ':' || !load_is_container(load_find_ext(spec, k))) {
                continue;
            }
            if (rightmost == len) {
                rightmost = k;
            }
            memcpy(prefix, spec, k);
            prefix[k] = '\0';
            if (load_file_exists(prefix)) {
                split = k;
                break;
            }
        }
        if (split == len) {
            split = rightmost;
        }
        if (split == len) {
            /* "sc.csv:x": an object name given to a format that has none. */
            const char *colon = strrchr(spec, ':');
            size_t at = (size_t)(colon - spec);
            const load_ext *e = load_find_ext(spec, at);
            FCFIT_REQUIRE_GOTO(e == NULL || e->format == LOAD_UNSUPPORTED, FCFIT_ERR_INPUT,
                               "%.*s: '%s' names an object inside the file, but %s files hold a "
                               "single matrix; only .mat, .h5, .npz and .zip files take ':name'",
                               (int)at, spec, colon + 1, e != NULL ? e->ext : "these");
        }
    }
    if (split > len) {
        split = len; /* cannot happen; keeps the copy below provably in bounds */
    }
    FCFIT_ALLOC_GOTO(*path, split + 1, "the file name");
    memcpy(*path, spec, split);
    (*path)[split] = '\0';
    if (split < len) {
        *object = spec + split + 1;
        FCFIT_REQUIRE_GOTO(**object != '\0', FCFIT_ERR_INPUT,
                           "%s: empty object name after ':'; write '%s' to load the only "
                           "variable or dataset, or name one after the colon",
                           *path, *path);
    }

cleanup:
    free(prefix);
    if (st != FCFIT_OK) {
        free(*path);
        *path = NULL;
        *object = NULL;
    }
    return st;
}

/*
 * An HDF5 file starts with its signature at byte 0, 512, 1024, 2048, ... (a
 * user block may come first, as in MATLAB 7.3 files). Checked before any
 * HDF5 code sees the file.
 */
static fcfit_status load_check_h5_signature(const char *path)
{
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    fcfit_status st = FCFIT_OK;
    unsigned char b[8];
    int fd = -1;
    size_t size = 0;
    int found = 0;

    FCFIT_CHECK(fcfit_io_open_regular(path, &fd, &size));
    for (size_t off = 0; off + 8 <= size && !found; off = off == 0 ? 512 : 2 * off) {
        found = pread(fd, b, 8, (off_t)off) == 8 && memcmp(b, sig, 8) == 0;
        if (off > ((size_t)-1) / 4) {
            break;
        }
    }
    FCFIT_REQUIRE_GOTO(found, FCFIT_ERR_INPUT,
                       "%s: not an HDF5 file (no HDF5 signature at byte 0, 512, 1024, ...)%s",
                       path, size == 0 ? "; the file is empty" : "");

cleanup:
    close(fd);
    return st;
}

fcfit_status fcfit_matrix_load(const char *spec, fcfit_matrix *out)
{
    fcfit_status st = FCFIT_OK;
    char *path = NULL;
    const char *object = NULL;
    const load_ext *ext;
    size_t size = 0;

    FCFIT_REQUIRE(spec != NULL && out != NULL, FCFIT_ERR_ARG,
                  "fcfit_matrix_load: spec and out must not be NULL");
    FCFIT_REQUIRE(out->rows == 0 && out->cols == 0 && out->data == NULL, FCFIT_ERR_ARG,
                  "fcfit_matrix_load(%s): the output matrix must be empty (it is %zu x %zu)", spec,
                  out->rows, out->cols);
    FCFIT_REQUIRE(spec[0] != '\0', FCFIT_ERR_INPUT,
                  "empty matrix file name; expected a path such as sc.csv or data.h5:/sc");

    FCFIT_TRY(load_split(spec, &path, &object));
    FCFIT_TRY(fcfit_io_check_regular(path, &size));
    ext = load_find_ext(path, strlen(path));
    switch (ext != NULL ? ext->format : LOAD_TEXT_AUTO) {
    case LOAD_TEXT_COMMA:
        FCFIT_TRY(fcfit_matrix_read_text(path, FCFIT_TEXT_DELIM_COMMA, out));
        break;
    case LOAD_TEXT_TAB:
        FCFIT_TRY(fcfit_matrix_read_text(path, FCFIT_TEXT_DELIM_TAB, out));
        break;
    case LOAD_TEXT_AUTO:
        FCFIT_TRY(fcfit_matrix_read_text(path, FCFIT_TEXT_DELIM_AUTO, out));
        break;
    case LOAD_NPY:
        FCFIT_TRY(fcfit_matrix_read_npy(path, out));
        break;
    case LOAD_MAT:
        FCFIT_TRY(fcfit_mat_check_file(path));
        FCFIT_TRY(fcfit_io_guarded_read(fcfit_matrix_read_mat, path, object, "matio", size, out));
        break;
    case LOAD_H5:
        FCFIT_TRY(load_check_h5_signature(path));
        FCFIT_TRY(fcfit_io_guarded_read(fcfit_matrix_read_h5, path, object, "the HDF5 library",
                                        size, out));
        break;
    case LOAD_NPZ:
        FCFIT_TRY(fcfit_matrix_read_zip(path, object, 1, out));
        break;
    case LOAD_ZIP:
        FCFIT_TRY(fcfit_matrix_read_zip(path, object, 0, out));
        break;
    case LOAD_UNSUPPORTED:
        FCFIT_FAIL_GOTO(FCFIT_ERR_INPUT, "%s: unsupported file type '%s': %s", path, ext->ext,
                        ext->hint);
    }

cleanup:
    free(path);
    if (st != FCFIT_OK) {
        fcfit_matrix_free(out);
    }
    return st;
}

fcfit_status fcfit_matrix_save_csv(const char *path, const fcfit_matrix *m)
{
    fcfit_status st = FCFIT_OK;
    FILE *fp = NULL;
    int rc;

    FCFIT_REQUIRE(path != NULL && m != NULL, FCFIT_ERR_ARG,
                  "fcfit_matrix_save_csv: path and matrix must not be NULL");
    FCFIT_REQUIRE(m->rows > 0 && m->cols > 0 && m->data != NULL, FCFIT_ERR_ARG,
                  "%s: cannot write an empty matrix (%zu x %zu)", path, m->rows, m->cols);
    fp = fopen(path, "w");
    FCFIT_REQUIRE_GOTO(fp != NULL, FCFIT_ERR_IO, "%s: cannot open for writing: %s", path,
                       strerror(errno));
    for (size_t i = 0; i < m->rows; i++) {
        for (size_t j = 0; j < m->cols; j++) {
            rc = fprintf(fp, j > 0 ? ",%.17g" : "%.17g", m->data[i * m->cols + j]);
            FCFIT_REQUIRE_GOTO(rc > 0, FCFIT_ERR_IO, "%s: write failed at row %zu: %s", path,
                               i + 1, strerror(errno));
        }
        FCFIT_REQUIRE_GOTO(fputc('\n', fp) != EOF, FCFIT_ERR_IO,
                           "%s: write failed at row %zu: %s", path, i + 1, strerror(errno));
    }
    rc = fclose(fp);
    fp = NULL;
    FCFIT_REQUIRE_GOTO(rc == 0, FCFIT_ERR_IO, "%s: write failed when closing the file: %s", path,
                       strerror(errno));

cleanup:
    if (fp != NULL) {
        fclose(fp);
    }
    return st;
}

void fcfit_name_list_init(fcfit_name_list *list)
{
    list->text[0] = '\0';
    list->rendered[0] = '\0';
    list->count = 0;
    list->shown = 0;
}

void fcfit_name_list_add(fcfit_name_list *list, const char *name)
{
    size_t used = strlen(list->text);
    size_t need = strlen(name) + (used > 0 ? 2 : 0);
    list->count++;
    /* Keep the shown names a prefix of the list: once one does not fit, stop. */
    if (list->shown + 1 == list->count && used + need < sizeof list->text) {
        snprintf(list->text + used, sizeof list->text - used, "%s%s", used > 0 ? ", " : "", name);
        list->shown++;
    }
}

const char *fcfit_name_list_text(fcfit_name_list *list)
{
    if (list->count == 0) {
        snprintf(list->rendered, sizeof list->rendered, "(none)");
    } else if (list->shown == list->count) {
        snprintf(list->rendered, sizeof list->rendered, "%s", list->text);
    } else {
        snprintf(list->rendered, sizeof list->rendered, "%s%s... (%zu in all)", list->text,
                 list->shown > 0 ? ", " : "", list->count);
    }
    return list->rendered;
}
