/*
 * matrix_text.c: matrices stored as delimited text (.csv, .tsv, .txt, .dat and
 * any extension fcfit does not recognise).
 *
 * What a file may contain:
 *   - one matrix row per line; every data line must have as many values as
 *     the first one;
 *   - values separated by ',' (.csv), by a tab (.tsv) or, for other
 *     extensions, by ',' when the line contains one and by runs of blanks
 *     otherwise; blanks around a ',' or tab are ignored, and one delimiter at
 *     the end of a line is tolerated ("1,2,3,"), but an empty field (",,") is
 *     an error;
 *   - '#' starts a comment that runs to the end of the line; blank and
 *     comment-only lines are skipped; CRLF and LF line ends are both accepted,
 *     and a UTF-8 byte-order mark at the start is skipped;
 *   - numbers in any form strtod accepts, including "nan" and "inf" (the
 *     caller rejects non-finite values with fcfit_matrix_check_finite). A value
 *     too large for a double ("1e999") is an error rather than a silent inf.
 *
 * The file (a regular file: see input_file.c) is read whole into one buffer
 * of its size, so lines have no length limit, and parsed in place; members of
 * zip archives are parsed the same way from memory. Line numbers in messages
 * count every physical line (1-based, as an editor shows them); column
 * numbers count values. A file that starts with the signature of a binary
 * format (zip, NumPy, HDF5, MATLAB, gzip) is named as such rather than
 * reported as a text line with a NUL byte.
 *
 * strtod follows LC_NUMERIC; fcfit never calls setlocale, so the C locale
 * (decimal point '.') is in effect.
 */
#include "matrix_io_impl.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* At most this many characters of an offending token are quoted in a message. */
#define TEXT_TOKEN_SHOWN 40

/* Parser state for one file. values grows geometrically as rows are added. */
typedef struct text_parser {
    const char *path;
    fcfit_text_delim delim;
    double *values;
    size_t count;
    size_t cap;
    size_t rows;
    size_t cols;
    size_t first_line; /* line number of the first data line (defines cols) */
} text_parser;

/* Blanks separate values; the active delimiter itself is never a blank. */
static int text_is_blank(char c, char sep)
{
    return (c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f') && c != sep;
}

static char *text_skip_blanks(char *q, char sep)
{
    while (text_is_blank(*q, sep)) {
        q++;
    }
    return q;
}

/*
 * Copy the token starting at q (up to the next delimiter, blank or end of
 * line) into shown, at most TEXT_TOKEN_SHOWN characters, with control
 * characters replaced by '?' so that messages stay printable.
 */
static void text_token(const char *q, char sep, char *shown, size_t cap)
{
    size_t n = 0;
    while (q[n] != '\0' && q[n] != sep && !text_is_blank(q[n], sep) && n < TEXT_TOKEN_SHOWN &&
           n + 1 < cap) {
        unsigned char c = (unsigned char)q[n];
        shown[n] = (c < 0x20 || c == 0x7f) ? '?' : q[n];
        n++;
    }
    shown[n] = '\0';
}

static fcfit_status text_push(text_parser *tp, double v)
{
    if (tp->count == tp->cap) {
        size_t new_cap = tp->cap == 0 ? 1024 : 2 * tp->cap;
        double *grown;
        FCFIT_REQUIRE(new_cap > tp->cap && new_cap <= ((size_t)-1) / sizeof(double),
                      FCFIT_ERR_NOMEM, "%s: too many values", tp->path);
        grown = realloc(tp->values, new_cap * sizeof(double));
        FCFIT_REQUIRE(grown != NULL, FCFIT_ERR_NOMEM, "%s: cannot allocate room for %zu values",
                      tp->path, new_cap);
        tp->values = grown;
        tp->cap = new_cap;
    }
    tp->values[tp->count++] = v;
    return FCFIT_OK;
}

/* Parse one line (NUL-terminated, without its '\n') and append its values. */
static fcfit_status text_parse_line(text_parser *tp, char *line, size_t line_no)
{
    char token[TEXT_TOKEN_SHOWN + 1];
    char sep = 0;
    char *hash = strchr(line, '#');
    char *q;
    size_t n = 0;

    if (hash != NULL) {
        *hash = '\0';
    }
    switch (tp->delim) {
    case FCFIT_TEXT_DELIM_COMMA:
        sep = ',';
        break;
    case FCFIT_TEXT_DELIM_TAB:
        sep = '\t';
        break;
    case FCFIT_TEXT_DELIM_AUTO:
        sep = strchr(line, ',') != NULL ? ',' : 0;
        break;
    }

    q = text_skip_blanks(line, sep);
    if (*q == '\0') {
        return FCFIT_OK; /* blank or comment-only line */
    }
    for (;;) {
        char *end = NULL;
        double v;
        n++;
        FCFIT_REQUIRE(sep == 0 || *q != sep, FCFIT_ERR_INPUT,
                      "%s: line %zu, column %zu: empty field; expected a number", tp->path,
                      line_no, n);
        errno = 0;
        v = strtod(q, &end);
        if (end == q || (*end != '\0' && *end != sep && !text_is_blank(*end, sep))) {
            text_token(q, sep, token, sizeof token);
            FCFIT_FAIL(FCFIT_ERR_INPUT, "%s: line %zu, column %zu: expected a number, found '%s'",
                       tp->path, line_no, n, token);
        }
        if (errno == ERANGE && isinf(v)) {
            text_token(q, sep, token, sizeof token);
            FCFIT_FAIL(FCFIT_ERR_INPUT,
                       "%s: line %zu, column %zu: '%s' is too large for a double (magnitude above "
                       "%g)",
                       tp->path, line_no, n, token, 1.7976931348623157e308);
        }
        FCFIT_CHECK(text_push(tp, v));
        q = text_skip_blanks(end, sep);
        if (*q == '\0') {
            break;
        }
        if (sep != 0) {
            if (*q != sep) {
                text_token(q, sep, token, sizeof token);
                FCFIT_FAIL(FCFIT_ERR_INPUT,
                           "%s: line %zu, after column %zu: expected '%s' between values, found "
                           "'%s'",
                           tp->path, line_no, n, sep == '\t' ? "\\t" : ",", token);
            }
            q = text_skip_blanks(q + 1, sep);
            if (*q == '\0') {
                break; /* one trailing delimiter is tolerated */
            }
        }
    }

    if (tp->rows == 0) {
        tp->cols = n;
        tp->first_line = line_no;
    } else {
        FCFIT_REQUIRE(n == tp->cols, FCFIT_ERR_INPUT,
                      "%s: line %zu has %zu values; expected %zu like line %zu (the first data "
                      "line): rows must all have the same length",
                      tp->path, line_no, n, tp->cols, tp->first_line);
    }
    tp->rows++;
    return FCFIT_OK;
}

/* The binary format whose signature starts buf, with what to do about it; NULL for none. */
static const char *text_binary_format(const char *buf, size_t len)
{
    static const struct {
        const char *magic;
        size_t n;
        const char *what;
    } sigs[] = {
        {"PK\x03\x04", 4,
         "a zip archive: name it .zip (file.zip:member) or .npz (file.npz:key); a TVB "
         "connectivity zip goes in connectome.tvb_zip"},
        {"PK\x05\x06", 4, "an empty zip archive"},
        {"\x93NUMPY", 6, "a NumPy .npy array: give it the .npy extension"},
        {"\x89HDF\r\n\x1a\n", 8, "an HDF5 file: give it the .h5 extension"},
        {"MATLAB 5.0 MAT-file", 19, "a MATLAB .mat file: give it the .mat extension"},
        {"MATLAB 7.3 MAT-file", 19, "a MATLAB .mat file: give it the .mat extension"},
        {"\x1f\x8b", 2, "a gzip-compressed file: decompress it first"},
    };
    for (size_t k = 0; k < sizeof sigs / sizeof sigs[0]; k++) {
        if (len >= sigs[k].n && memcmp(buf, sigs[k].magic, sigs[k].n) == 0) {
            return sigs[k].what;
        }
    }
    return NULL;
}

fcfit_status fcfit_matrix_parse_text(const char *label, char *buf, size_t len,
                                     fcfit_text_delim delim, fcfit_matrix *out)
{
    fcfit_status st = FCFIT_OK;
    size_t line_no = 0;
    char *p = buf;
    char *end = buf + len;
    const char *binary = text_binary_format(buf, len);
    text_parser tp = {label, delim, NULL, 0, 0, 0, 0, 0};

    FCFIT_REQUIRE(binary == NULL, FCFIT_ERR_INPUT,
                  "%s: expected a text file of numbers, but the file is %s", label, binary);
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
        p += 3; /* UTF-8 byte-order mark, as spreadsheet programs write it */
    }
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *line_end = nl != NULL ? nl : end;
        line_no++;
        FCFIT_REQUIRE_GOTO(memchr(p, '\0', (size_t)(line_end - p)) == NULL, FCFIT_ERR_INPUT,
                           "%s: line %zu contains a NUL byte; expected a text file of numbers "
                           "(is this a binary file with an unrecognised extension?)",
                           label, line_no);
        *line_end = '\0'; /* buf has a spare byte past len, so this is safe at the end too */
        FCFIT_TRY(text_parse_line(&tp, p, line_no));
        p = line_end + 1;
    }
    if (tp.rows == 0) {
        if (len == 0) {
            FCFIT_FAIL_GOTO(FCFIT_ERR_INPUT, "%s: the file is empty; expected rows of numbers",
                            label);
        }
        FCFIT_FAIL_GOTO(FCFIT_ERR_INPUT,
                        "%s: the file is empty apart from comments and blank lines (%zu lines); "
                        "expected rows of numbers",
                        label, line_no);
    }
    FCFIT_TRY(fcfit_matrix_alloc(out, tp.rows, tp.cols));
    memcpy(out->data, tp.values, tp.count * sizeof(double));

cleanup:
    free(tp.values);
    return st;
}

fcfit_status fcfit_matrix_read_text(const char *path, fcfit_text_delim delim, fcfit_matrix *out)
{
    fcfit_status st = FCFIT_OK;
    char *buf = NULL;
    size_t len = 0;

    FCFIT_TRY(fcfit_io_read_regular(path, &buf, &len));
    FCFIT_TRY(fcfit_matrix_parse_text(path, buf, len, delim, out));

cleanup:
    free(buf);
    return st;
}
