/*
 * labels.c: region labels from a text file (connectome.labels): one label
 * per line, as TVB's region_labels.txt and most atlas look-up lists hold
 * them. Leading and trailing blanks (and a Windows line end) are dropped,
 * blank lines at the end are ignored; a label is 1 to 127 bytes of
 * printable UTF-8.
 */
#include <stdlib.h>
#include <string.h>

#include "fcfit/fcfit_matrix_io.h"
#include "fcfit/fcfit_util.h"
#include "io/matrix_io_impl.h"

/* Length of the valid UTF-8 sequence at p (1 to 4 bytes), 0 when invalid. */
static size_t utf8_seq(const unsigned char *p, size_t left)
{
    size_t n;
    unsigned cp;
    if (p[0] < 0x80) {
        return 1;
    }
    if ((p[0] & 0xe0) == 0xc0) {
        n = 2;
        cp = p[0] & 0x1fu;
    } else if ((p[0] & 0xf0) == 0xe0) {
        n = 3;
        cp = p[0] & 0x0fu;
    } else if ((p[0] & 0xf8) == 0xf0) {
        n = 4;
        cp = p[0] & 0x07u;
    } else {
        return 0;
    }
    if (n > left) {
        return 0;
    }
    for (size_t k = 1; k < n; k++) {
        if ((p[k] & 0xc0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (p[k] & 0x3fu);
    }
    /* Overlong forms, surrogates and values beyond Unicode are not text. */
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        return 0;
    }
    return n;
}

void fcfit_labels_free(char **labels, size_t n)
{
    for (size_t k = 0; labels != NULL && k < n; k++) {
        free(labels[k]);
    }
    free(labels);
}

fcfit_status fcfit_labels_load(const char *path, char ***out, size_t *n_out)
{
    fcfit_status st = FCFIT_OK;
    char *buf = NULL, **labels = NULL;
    size_t len = 0, n = 0, cap = 0, line_no = 0, pending_blank = 0;
    char *p, *end;

    *out = NULL;
    *n_out = 0;
    FCFIT_CHECK(fcfit_io_read_regular(path, &buf, &len));
    FCFIT_REQUIRE_GOTO(memchr(buf, '\0', len) == NULL, FCFIT_ERR_INPUT,
                       "%s: contains a NUL byte; expected a text file with one region label per "
                       "line",
                       path);
    p = buf;
    end = buf + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p)), *a = p, *b = nl != NULL ? nl : end;
        line_no++;
        p = nl != NULL ? nl + 1 : end;
        while (a < b && (*a == ' ' || *a == '\t')) {
            a++;
        }
        while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r')) {
            b--;
        }
        if (a == b) {
            pending_blank = line_no;
            continue;
        }
        FCFIT_REQUIRE_GOTO(pending_blank == 0, FCFIT_ERR_INPUT,
                           "%s: line %zu is empty; expected one region label per line", path,
                           pending_blank);
        FCFIT_REQUIRE_GOTO(b - a < 128, FCFIT_ERR_INPUT,
                           "%s: line %zu: a region label of %zu bytes; expected 1 to 127", path,
                           line_no, (size_t)(b - a));
        for (char *q = a; q < b;) {
            size_t k = utf8_seq((const unsigned char *)q, (size_t)(b - q));
            FCFIT_REQUIRE_GOTO(k > 0 && !(k == 1 && ((unsigned char)*q < 0x20 || *q == 0x7f)),
                               FCFIT_ERR_INPUT,
                               "%s: line %zu: byte 0x%02x is not printable UTF-8 text", path,
                               line_no, (unsigned)(unsigned char)*q);
            q += k;
        }
        if (n == cap) {
            size_t ncap = cap > 0 ? 2 * cap : 64;
            char **nl2 = realloc(labels, ncap * sizeof *nl2);
            FCFIT_REQUIRE_GOTO(nl2 != NULL, FCFIT_ERR_NOMEM, "out of memory reading %s", path);
            labels = nl2;
            cap = ncap;
        }
        labels[n] = malloc((size_t)(b - a) + 1);
        FCFIT_REQUIRE_GOTO(labels[n] != NULL, FCFIT_ERR_NOMEM, "out of memory reading %s", path);
        memcpy(labels[n], a, (size_t)(b - a));
        labels[n][b - a] = '\0';
        n++;
    }
    FCFIT_REQUIRE_GOTO(n > 0, FCFIT_ERR_INPUT, "%s: no region label in the file", path);
    *out = labels;
    *n_out = n;
    labels = NULL;

cleanup:
    fcfit_labels_free(labels, n);
    free(buf);
    return st;
}
