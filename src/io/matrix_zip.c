/*
 * matrix_zip.c: arrays inside zip archives, through libzip: NumPy .npz files
 * (file.npz:key), members of any .zip (file.zip:member), and TVB connectivity
 * zips (weights, tract lengths, centres with region labels).
 *
 * An archive is first checked as a regular file, then opened by libzip with
 * its stricter consistency checks (ZIP_CHECKCONS). A member is read only when
 *   - it is stored or deflated (the two methods numpy.savez and TVB's zips
 *     use; bzip2, xz, zstd and encrypted members are refused by name),
 *   - its size is known, fits in memory, and is no more than deflate can
 *     produce from its compressed size (fcfit_io_max_inflate, against zip
 *     bombs), and its compressed size lies inside the archive;
 * then exactly `size` bytes are read (libzip checks the CRC at the end) and
 * parsed from memory by the member's extension: .npy with the NumPy reader,
 * anything else as delimited text. Containers inside the archive (.mat, .h5,
 * .zip, .npz) are refused: extract them first.
 *
 * Member names. In a .npz, key "sc" is member "sc.npy" (as numpy.savez
 * names them); "sc.npy" works too. In a .zip, a name matches a member
 * exactly, or else the last path component of exactly one member (so
 * "weights.txt" finds "connectivity_76/weights.txt"). Without a name the
 * archive must hold exactly one file. Messages list the members (names are
 * shown with control characters replaced by '?').
 */
#include "fcfit/fcfit_matrix_io.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zip.h>

#include "matrix_io_impl.h"

/* Printable copy of an archive member name, for messages. */
static const char *zipr_show(const char *name, char *buf, size_t cap)
{
    size_t n = 0;
    for (; name[n] != '\0' && n + 1 < cap; n++) {
        unsigned char c = (unsigned char)name[n];
        buf[n] = (c < 0x20 || c == 0x7f) ? '?' : name[n];
    }
    buf[n] = '\0';
    return buf;
}

/* The raw name of member index (NULL when it cannot be read). */
static const char *zipr_name(zip_t *za, zip_int64_t index)
{
    return zip_get_name(za, (zip_uint64_t)index, ZIP_FL_ENC_RAW);
}

static int zipr_is_dir(const char *name)
{
    size_t n = strlen(name);
    return n > 0 && name[n - 1] == '/';
}

static const char *zipr_base(const char *name)
{
    const char *slash = strrchr(name, '/');
    return slash != NULL ? slash + 1 : name;
}

static int zipr_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    if (m > n) {
        return 0;
    }
    for (size_t k = 0; k < m; k++) {
        if (tolower((unsigned char)s[n - m + k]) != suffix[k]) {
            return 0;
        }
    }
    return 1;
}

static fcfit_status zipr_open(const char *path, zip_t **za)
{
    int err = 0;
    zip_error_t ze;
    FCFIT_CHECK(fcfit_io_check_regular(path, NULL));
    *za = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &err);
    if (*za == NULL) {
        fcfit_status st;
        zip_error_init_with_code(&ze, err);
        st = fcfit_error_set(FCFIT_ERR_INPUT, __FILE__, __LINE__, __func__,
                             "%s: not a zip archive that libzip can read (%s)", path,
                             zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return st;
    }
    return FCFIT_OK;
}

/* The names of the archive's files (not directories), for messages. */
static void zipr_list(zip_t *za, fcfit_name_list *names)
{
    zip_int64_t n = zip_get_num_entries(za, 0);
    char shown[256];
    fcfit_name_list_init(names);
    for (zip_int64_t k = 0; k < n; k++) {
        const char *name = zipr_name(za, k);
        if (name != NULL && !zipr_is_dir(name)) {
            fcfit_name_list_add(names, zipr_show(name, shown, sizeof shown));
        }
    }
}

/*
 * Find the member `want` (see the file comment; npz: key rules), or the only
 * file when want is NULL. *index is -1 when nothing matched and the caller
 * decides whether that is an error (optional TVB members).
 */
static fcfit_status zipr_find(const char *path, zip_t *za, const char *want, int npz,
                              zip_int64_t *index)
{
    zip_int64_t n = zip_get_num_entries(za, 0);
    zip_int64_t found = -1;
    size_t files = 0, by_base = 0;
    char shown[256];
    fcfit_name_list names;

    *index = -1;
    FCFIT_REQUIRE(n >= 0, FCFIT_ERR_INPUT, "%s: cannot list the zip archive", path);
    for (zip_int64_t k = 0; k < n; k++) {
        const char *name = zipr_name(za, k);
        if (name == NULL || zipr_is_dir(name)) {
            continue;
        }
        files++;
        if (want == NULL) {
            found = k;
        } else if (npz) {
            size_t wl = strlen(want);
            if (strcmp(name, want) == 0 ||
                (strncmp(name, want, wl) == 0 && strcmp(name + wl, ".npy") == 0)) {
                *index = k;
                return FCFIT_OK;
            }
        } else if (strcmp(name, want) == 0) {
            *index = k;
            return FCFIT_OK;
        } else if (strcmp(zipr_base(name), want) == 0) {
            found = k;
            by_base++;
        }
    }
    if (want == NULL) {
        zipr_list(za, &names);
        FCFIT_REQUIRE(files > 0, FCFIT_ERR_INPUT,
                      "%s: the archive holds no files; expected one array", path);
        FCFIT_REQUIRE(files == 1, FCFIT_ERR_INPUT,
                      "%s: the archive holds %zu files (%s); name the one to load as '%s:<%s>'",
                      path, files, fcfit_name_list_text(&names), path, npz ? "key" : "member");
        *index = found;
        return FCFIT_OK;
    }
    if (by_base > 1) {
        zipr_list(za, &names);
        FCFIT_FAIL(FCFIT_ERR_INPUT,
                   "%s: %zu members are named '%s' in different folders (%s); give the full "
                   "member path",
                   path, by_base, zipr_show(want, shown, sizeof shown),
                   fcfit_name_list_text(&names));
    }
    *index = by_base == 1 ? found : -1;
    return FCFIT_OK;
}

/* Read member `index` whole into *buf (malloc'd, NUL-terminated one byte past *len). */
static fcfit_status zipr_read(const char *path, zip_t *za, zip_int64_t index, char **buf,
                              size_t *len)
{
    fcfit_status st = FCFIT_OK;
    zip_stat_t sb;
    zip_file_t *zf = NULL;
    char shown[256];
    char *data = NULL;
    zip_int64_t got;
    char probe;

    *buf = NULL;
    *len = 0;
    zip_stat_init(&sb);
    FCFIT_REQUIRE(zip_stat_index(za, (zip_uint64_t)index, ZIP_FL_ENC_RAW, &sb) == 0 &&
                      (sb.valid & ZIP_STAT_NAME) != 0,
                  FCFIT_ERR_INPUT, "%s: cannot read the directory entry of member %lld (%s)", path,
                  (long long)index, zip_error_strerror(zip_get_error(za)));
    zipr_show(sb.name, shown, sizeof shown);
    FCFIT_REQUIRE((sb.valid & ZIP_STAT_ENCRYPTION_METHOD) == 0 ||
                      sb.encryption_method == ZIP_EM_NONE,
                  FCFIT_ERR_INPUT, "%s:%s: the member is encrypted; expected a plain zip archive",
                  path, shown);
    FCFIT_REQUIRE((sb.valid & ZIP_STAT_COMP_METHOD) != 0 &&
                      (sb.comp_method == ZIP_CM_STORE || sb.comp_method == ZIP_CM_DEFLATE),
                  FCFIT_ERR_INPUT,
                  "%s:%s: compression method %d; expected stored (0) or deflated (8) members, as "
                  "numpy.savez and zip tools write by default",
                  path, shown, (int)sb.comp_method);
    FCFIT_REQUIRE((sb.valid & ZIP_STAT_SIZE) != 0 && (sb.valid & ZIP_STAT_COMP_SIZE) != 0,
                  FCFIT_ERR_INPUT, "%s:%s: the member's size is not recorded", path, shown);
    FCFIT_REQUIRE(sb.size < (zip_uint64_t)(SIZE_MAX / 2) &&
                      (size_t)sb.size <= fcfit_io_max_inflate(sb.comp_size) &&
                      (sb.comp_method != ZIP_CM_STORE || sb.size == sb.comp_size),
                  FCFIT_ERR_INPUT,
                  "%s:%s: the member claims %llu bytes from %llu stored bytes, more than its "
                  "compression can produce; the archive is damaged or crafted",
                  path, shown, (unsigned long long)sb.size, (unsigned long long)sb.comp_size);
    zf = zip_fopen_index(za, (zip_uint64_t)index, 0);
    FCFIT_REQUIRE(zf != NULL, FCFIT_ERR_INPUT, "%s:%s: cannot open the member (%s)", path, shown,
                  zip_error_strerror(zip_get_error(za)));
    data = malloc((size_t)sb.size + 1);
    FCFIT_REQUIRE_GOTO(data != NULL, FCFIT_ERR_NOMEM, "%s:%s: cannot allocate %llu bytes", path,
                       shown, (unsigned long long)sb.size + 1);
    got = sb.size > 0 ? zip_fread(zf, data, sb.size) : 0;
    FCFIT_REQUIRE_GOTO(got >= 0 && (zip_uint64_t)got == sb.size, FCFIT_ERR_INPUT,
                       "%s:%s: truncated or corrupt member: read %lld of %llu bytes (%s)", path,
                       shown, (long long)got, (unsigned long long)sb.size,
                       got < 0 ? zip_error_strerror(zip_file_get_error(zf)) : "short read");
    /* Reading to the end makes libzip compare the CRC. */
    got = zip_fread(zf, &probe, 1);
    FCFIT_REQUIRE_GOTO(got == 0, FCFIT_ERR_INPUT,
                       "%s:%s: corrupt member: %s", path, shown,
                       got < 0 ? zip_error_strerror(zip_file_get_error(zf))
                               : "more data than its recorded size");
    data[sb.size] = '\0';
    *buf = data;
    *len = (size_t)sb.size;
    data = NULL;

cleanup:
    free(data);
    if (zf != NULL) {
        zip_fclose(zf);
    }
    return st;
}

/* Parse a member by its extension; label names it ("archive:member"). */
static fcfit_status zipr_parse(const char *label, const char *member, char *buf, size_t len,
                               fcfit_matrix *out)
{
    static const char *const containers[] = {".mat", ".h5", ".hdf5", ".he5", ".zip", ".npz"};
    for (size_t k = 0; k < sizeof containers / sizeof containers[0]; k++) {
        FCFIT_REQUIRE(!zipr_ends_with(member, containers[k]), FCFIT_ERR_INPUT,
                      "%s: a %s file inside an archive is not read; extract it first", label,
                      containers[k]);
    }
    if (zipr_ends_with(member, ".npy")) {
        return fcfit_matrix_parse_npy(label, (const unsigned char *)buf, len, out);
    }
    if (zipr_ends_with(member, ".csv")) {
        return fcfit_matrix_parse_text(label, buf, len, FCFIT_TEXT_DELIM_COMMA, out);
    }
    if (zipr_ends_with(member, ".tsv")) {
        return fcfit_matrix_parse_text(label, buf, len, FCFIT_TEXT_DELIM_TAB, out);
    }
    return fcfit_matrix_parse_text(label, buf, len, FCFIT_TEXT_DELIM_AUTO, out);
}

/* Load member index of an open archive as a matrix. */
static fcfit_status zipr_load_member(const char *path, zip_t *za, zip_int64_t index,
                                     fcfit_matrix *out)
{
    fcfit_status st = FCFIT_OK;
    char *buf = NULL;
    size_t len = 0;
    char label[1400];
    char shown[256];
    const char *name = zipr_name(za, index);

    FCFIT_REQUIRE(name != NULL, FCFIT_ERR_INPUT, "%s: cannot read the name of member %lld", path,
                  (long long)index);
    snprintf(label, sizeof label, "%s:%s", path, zipr_show(name, shown, sizeof shown));
    FCFIT_TRY(zipr_read(path, za, index, &buf, &len));
    FCFIT_TRY(zipr_parse(label, name, buf, len, out));

cleanup:
    free(buf);
    if (st != FCFIT_OK) {
        fcfit_matrix_free(out);
    }
    return st;
}

fcfit_status fcfit_matrix_read_zip(const char *path, const char *name, int npz, fcfit_matrix *out)
{
    fcfit_status st = FCFIT_OK;
    zip_t *za = NULL;
    zip_int64_t index = -1;
    fcfit_name_list names;
    char shown[256];

    FCFIT_CHECK(zipr_open(path, &za));
    FCFIT_TRY(zipr_find(path, za, name, npz, &index));
    if (index < 0) {
        zipr_list(za, &names);
        FCFIT_FAIL_GOTO(FCFIT_ERR_INPUT, "%s: no %s '%s' in the archive; it holds: %s", path,
                        npz ? "array" : "member", zipr_show(name, shown, sizeof shown),
                        fcfit_name_list_text(&names));
    }
    FCFIT_TRY(zipr_load_member(path, za, index, out));

cleanup:
    zip_discard(za);
    return st;
}

/* ---- TVB connectivity zips ------------------------------------------------------------ */

/*
 * The member whose last path component contains one of the keys (case-
 * insensitive); -1 when none. Two candidates are an error naming both.
 */
static fcfit_status tvb_find(const char *path, zip_t *za, const char *const *keys,
                             zip_int64_t *index)
{
    zip_int64_t n = zip_get_num_entries(za, 0);
    char shown[256], shown2[256];
    *index = -1;
    for (zip_int64_t k = 0; k < n; k++) {
        const char *name = zipr_name(za, k);
        char low[256];
        size_t q = 0;
        int hit = 0;
        if (name == NULL || zipr_is_dir(name)) {
            continue;
        }
        for (const char *b = zipr_base(name); *b != '\0' && q + 1 < sizeof low; b++) {
            low[q++] = (char)tolower((unsigned char)*b);
        }
        low[q] = '\0';
        for (size_t j = 0; keys[j] != NULL; j++) {
            hit |= strstr(low, keys[j]) != NULL;
        }
        if (!hit) {
            continue;
        }
        FCFIT_REQUIRE(*index < 0, FCFIT_ERR_INPUT,
                      "%s: two members could be the %s file: '%s' and '%s'; keep one", path,
                      keys[0], zipr_show(zipr_name(za, *index), shown,
                                         sizeof shown),
                      zipr_show(name, shown2, sizeof shown2));
        *index = k;
    }
    return FCFIT_OK;
}

/* One label: printable, at most 127 bytes. */
static fcfit_status tvb_label(const char *label, size_t line, const char *text, size_t len,
                              char **out)
{
    FCFIT_REQUIRE(len > 0 && len < 128, FCFIT_ERR_INPUT,
                  "%s: line %zu: a region label of %zu characters; expected 1 to 127", label, line,
                  len);
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)text[k];
        FCFIT_REQUIRE(c >= 0x20 && c != 0x7f, FCFIT_ERR_INPUT,
                      "%s: line %zu: the region label contains the control character 0x%02x",
                      label, line, (unsigned)c);
    }
    *out = malloc(len + 1);
    FCFIT_REQUIRE(*out != NULL, FCFIT_ERR_NOMEM, "out of memory reading region labels");
    memcpy(*out, text, len);
    (*out)[len] = '\0';
    return FCFIT_OK;
}

/*
 * Parse centres ("label x y z" per line, or "x y z") or region labels (one per
 * line): labels into c->labels, coordinates into c->centres when present.
 */
static fcfit_status tvb_parse_regions(const char *label, char *buf, size_t len, int centres,
                                      fcfit_tvb_connectivity *c)
{
    fcfit_status st = FCFIT_OK;
    size_t lines = 0, cap = 0, n = 0, line_no = 0;
    char **labels = NULL;
    double *xyz = NULL;
    int with_labels = -1;
    char *p = buf, *end = buf + len;

    FCFIT_REQUIRE(memchr(buf, '\0', len) == NULL, FCFIT_ERR_INPUT,
                  "%s: contains a NUL byte; expected a text file", label);
    for (size_t k = 0; k < len; k++) {
        lines += buf[k] == '\n';
    }
    cap = lines + 1;
    FCFIT_ALLOC_GOTO(labels, cap, "region labels");
    if (centres) {
        FCFIT_ALLOC_GOTO(xyz, 3 * cap, "region centres");
    }
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *le = nl != NULL ? nl : end;
        char *tok[5];
        size_t ntok = 0;
        line_no++;
        while (le > p && (le[-1] == '\r' || le[-1] == ' ' || le[-1] == '\t')) {
            le--;
        }
        *le = '\0';
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        if (*p == '\0' || *p == '#') {
            p = (nl != NULL ? nl : end) + 1;
            continue;
        }
        if (!centres) {
            FCFIT_TRY(tvb_label(label, line_no, p, strlen(p), &labels[n]));
        } else {
            char *q = p;
            while (*q != '\0' && ntok < 5) {
                tok[ntok++] = q;
                while (*q != '\0' && *q != ' ' && *q != '\t') {
                    q++;
                }
                if (*q != '\0') {
                    *q++ = '\0';
                    while (*q == ' ' || *q == '\t') {
                        q++;
                    }
                }
            }
            FCFIT_REQUIRE_GOTO((ntok == 4 || ntok == 3) && *q == '\0', FCFIT_ERR_INPUT,
                               "%s: line %zu has %s fields; expected 'label x y z' (or 'x y z')",
                               label, line_no, *q != '\0' ? "more than 4" : ntok < 3 ? "too few"
                                                                                     : "4");
            if (with_labels < 0) {
                with_labels = ntok == 4;
            }
            FCFIT_REQUIRE_GOTO((size_t)(with_labels ? 4 : 3) == ntok, FCFIT_ERR_INPUT,
                               "%s: line %zu has %zu fields; expected %d like the first line",
                               label, line_no, ntok, with_labels ? 4 : 3);
            for (size_t k = 0; k < 3; k++) {
                char *e = NULL;
                const char *t = tok[ntok - 3 + k];
                xyz[3 * n + k] = strtod(t, &e);
                FCFIT_REQUIRE_GOTO(e != t && *e == '\0' && isfinite(xyz[3 * n + k]),
                                   FCFIT_ERR_INPUT,
                                   "%s: line %zu: coordinate %zu is '%.40s'; expected a number",
                                   label, line_no, k + 1, t);
            }
            if (with_labels) {
                FCFIT_TRY(tvb_label(label, line_no, tok[0], strlen(tok[0]), &labels[n]));
            }
        }
        n++;
        p = (nl != NULL ? nl : end) + 1;
    }
    FCFIT_REQUIRE_GOTO(n > 0, FCFIT_ERR_INPUT, "%s: no regions listed", label);
    if (centres) {
        FCFIT_TRY(fcfit_matrix_alloc(&c->centres, n, 3));
        memcpy(c->centres.data, xyz, 3 * n * sizeof(double));
    }
    if (!centres || with_labels) {
        for (size_t k = 0; k < c->n_labels; k++) {
            free(c->labels[k]);
        }
        free(c->labels);
        c->labels = labels;
        c->n_labels = n;
        labels = NULL;
    }

cleanup:
    for (size_t k = 0; labels != NULL && k < n; k++) {
        free(labels[k]);
    }
    free(labels);
    free(xyz);
    return st;
}

void fcfit_tvb_connectivity_free(fcfit_tvb_connectivity *c)
{
    if (c == NULL) {
        return;
    }
    fcfit_matrix_free(&c->weights);
    fcfit_matrix_free(&c->lengths);
    fcfit_matrix_free(&c->centres);
    for (size_t k = 0; k < c->n_labels; k++) {
        free(c->labels[k]);
    }
    free(c->labels);
    c->labels = NULL;
    c->n_labels = 0;
}

fcfit_status fcfit_tvb_zip_load(const char *path, fcfit_tvb_connectivity *out)
{
    static const char *const k_weights[] = {"weight", NULL};
    static const char *const k_lengths[] = {"tract_length", "tract-length", "tract length", NULL};
    static const char *const k_centres[] = {"centres", "centers", NULL};
    static const char *const k_labels[] = {"region_labels", "region-labels", "labels", NULL};
    fcfit_status st = FCFIT_OK;
    zip_t *za = NULL;
    zip_int64_t iw, il, ic, ir;
    fcfit_name_list names;
    char *buf = NULL;
    size_t len = 0;
    char label[1400];
    char shown[256];
    size_t n;

    memset(out, 0, sizeof *out);
    FCFIT_CHECK(zipr_open(path, &za));
    FCFIT_TRY(tvb_find(path, za, k_weights, &iw));
    FCFIT_TRY(tvb_find(path, za, k_lengths, &il));
    FCFIT_TRY(tvb_find(path, za, k_centres, &ic));
    FCFIT_TRY(tvb_find(path, za, k_labels, &ir));
    if (iw < 0) {
        zipr_list(za, &names);
        FCFIT_FAIL_GOTO(FCFIT_ERR_INPUT,
                        "%s: no weights file in the TVB connectivity zip (expected a member such "
                        "as weights.txt); it holds: %s",
                        path, fcfit_name_list_text(&names));
    }
    FCFIT_TRY(zipr_load_member(path, za, iw, &out->weights));
    n = out->weights.rows;
    snprintf(label, sizeof label, "%s:%s", path,
             zipr_show(zipr_name(za, iw), shown, sizeof shown));
    FCFIT_REQUIRE_GOTO(out->weights.cols == n, FCFIT_ERR_INPUT,
                       "%s: matrix is %zu x %zu; expected a square matrix of weights", label, n,
                       out->weights.cols);
    if (il >= 0) {
        FCFIT_TRY(zipr_load_member(path, za, il, &out->lengths));
        snprintf(label, sizeof label, "%s:%s", path,
                 zipr_show(zipr_name(za, il), shown, sizeof shown));
        FCFIT_REQUIRE_GOTO(out->lengths.rows == n && out->lengths.cols == n, FCFIT_ERR_INPUT,
                           "%s: matrix is %zu x %zu; expected %zu x %zu like the weights", label,
                           out->lengths.rows, out->lengths.cols, n, n);
    }
    if (ic >= 0) {
        snprintf(label, sizeof label, "%s:%s", path,
                 zipr_show(zipr_name(za, ic), shown, sizeof shown));
        FCFIT_TRY(zipr_read(path, za, ic, &buf, &len));
        FCFIT_TRY(tvb_parse_regions(label, buf, len, 1, out));
        free(buf);
        buf = NULL;
        FCFIT_REQUIRE_GOTO(out->centres.rows == n, FCFIT_ERR_INPUT,
                           "%s: lists %zu regions; expected %zu like the weights", label,
                           out->centres.rows, n);
    }
    if (ir >= 0 && ir != ic) {
        snprintf(label, sizeof label, "%s:%s", path,
                 zipr_show(zipr_name(za, ir), shown, sizeof shown));
        FCFIT_TRY(zipr_read(path, za, ir, &buf, &len));
        FCFIT_TRY(tvb_parse_regions(label, buf, len, 0, out));
        FCFIT_REQUIRE_GOTO(out->n_labels == n, FCFIT_ERR_INPUT,
                           "%s: lists %zu region labels; expected %zu like the weights", label,
                           out->n_labels, n);
    }

cleanup:
    free(buf);
    zip_discard(za);
    if (st != FCFIT_OK) {
        fcfit_tvb_connectivity_free(out);
    }
    return st;
}
