/*
 * test_matrix_zip.c: arrays inside zip archives (fcfit_matrix_load on .npz and
 * .zip specs) and TVB connectivity zips (fcfit_tvb_zip_load).
 *
 * Fixtures are built here with libzip from known matrices: a 4 x 3 matrix
 * written as .npy bytes (float64, little endian, C order; and float32 in
 * Fortran order) and as text with 17 significant digits, so every load is
 * compared bitwise with the matrix it came from. Members are stored and
 * deflated. Then the hostile archives: not a zip, every truncation of a valid
 * archive, a corrupted member (CRC), a member claiming more bytes than its
 * compressed size can give, unsupported compression (bzip2), an encrypted
 * member, a container inside the archive, control characters in a name.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcfit/fcfit_matrix_io.h"
#include "fcfit_test.h"
#include "io_test_util.h"

static const double g_m43[12] = {1.5, -2.25, 1e-300, 4.0 / 3.0, 6.02214076e23, -0.0,
                                 0.1,  7.0,   -3e-5,  2.0 / 3.0, 1e10,          42.0};

/* A .npy file of the 4 x 3 matrix: float64 C order, or float32 Fortran order. */
static size_t npy_bytes(unsigned char *out, int f32_fortran)
{
    const char *dict = f32_fortran
                           ? "{'descr': '<f4', 'fortran_order': True, 'shape': (4, 3), }"
                           : "{'descr': '<f8', 'fortran_order': False, 'shape': (4, 3), }";
    size_t hl = 118, n = 0;
    memcpy(out, "\x93NUMPY\x01\x00", 8);
    out[8] = (unsigned char)hl;
    out[9] = 0;
    memset(out + 10, ' ', hl);
    memcpy(out + 10, dict, strlen(dict));
    out[10 + hl - 1] = '\n';
    n = 10 + hl;
    for (size_t k = 0; k < 12; k++) {
        if (f32_fortran) {
            size_t i = k % 4, j = k / 4; /* column-major item k */
            float f = (float)g_m43[i * 3 + j];
            memcpy(out + n, &f, 4);
            n += 4;
        } else {
            memcpy(out + n, &g_m43[k], 8);
            n += 8;
        }
    }
    return n;
}

/* The 4 x 3 matrix as text with the given separator. */
static size_t text_bytes(char *out, size_t cap, char sep)
{
    size_t n = 0;
    for (size_t i = 0; i < 4; i++) {
        for (size_t j = 0; j < 3; j++) {
            if (j > 0) {
                n += (size_t)snprintf(out + n, cap - n, "%c", sep);
            }
            n += (size_t)snprintf(out + n, cap - n, "%.17g", g_m43[i * 3 + j]);
        }
        n += (size_t)snprintf(out + n, cap - n, "\n");
    }
    return n;
}

static void test_npz_and_zip(void)
{
    unsigned char a[256], b[256];
    char csv[512], tsv[512], path[600], spec[700];
    size_t na = npy_bytes(a, 0), nb = npy_bytes(b, 1);
    size_t nc = text_bytes(csv, sizeof csv, ','), nt = text_bytes(tsv, sizeof tsv, '\t');
    double want_f32[12];
    for (size_t k = 0; k < 12; k++) {
        want_f32[k] = (double)(float)g_m43[k];
    }

    {
        const zip_member m[] = {{"sc.npy", a, na, ZIP_CM_STORE}, {"fc.npy", b, nb, ZIP_CM_DEFLATE}};
        CHECK_TRUE(write_zip(tmp_path(path, sizeof path, "two.npz"), m, 2));
    }
    snprintf(spec, sizeof spec, "%s:sc", path);
    CHECK_LOAD_EQUALS(spec, 4, 3, g_m43);
    snprintf(spec, sizeof spec, "%s:fc", path);
    CHECK_LOAD_EQUALS(spec, 4, 3, want_f32);
    snprintf(spec, sizeof spec, "%s:fc.npy", path);
    CHECK_LOAD_EQUALS(spec, 4, 3, want_f32);
    CHECK_LOAD_FAILS(path, "two.npz", "the archive holds 2 files (sc.npy, fc.npy)");
    snprintf(spec, sizeof spec, "%s:lengths", path);
    CHECK_LOAD_FAILS(spec, "two.npz",
                     "no array 'lengths' in the archive; it holds: sc.npy, fc.npy");
    {
        const zip_member m[] = {{"only.npy", a, na, ZIP_CM_DEFLATE}};
        CHECK_TRUE(write_zip(tmp_path(path, sizeof path, "one.npz"), m, 1));
    }
    CHECK_LOAD_EQUALS(path, 4, 3, g_m43);

    /* Members of a .zip by path, or by file name when unique; text parsed by extension. */
    {
        const zip_member m[] = {{"data/sc.csv", csv, nc, ZIP_CM_DEFLATE},
                                {"data/sc.tsv", tsv, nt, ZIP_CM_STORE},
                                {"other/sc.csv", csv, nc, ZIP_CM_STORE},
                                {"data/", "", 0, ZIP_CM_STORE}};
        CHECK_TRUE(write_zip(tmp_path(path, sizeof path, "files.zip"), m, 3));
    }
    snprintf(spec, sizeof spec, "%s:data/sc.csv", path);
    CHECK_LOAD_EQUALS(spec, 4, 3, g_m43);
    snprintf(spec, sizeof spec, "%s:sc.tsv", path);
    CHECK_LOAD_EQUALS(spec, 4, 3, g_m43);
    snprintf(spec, sizeof spec, "%s:sc.csv", path);
    CHECK_LOAD_FAILS(spec, "files.zip", "2 members are named 'sc.csv' in different folders");
    snprintf(spec, sizeof spec, "%s:data/sc.txt", path);
    CHECK_LOAD_FAILS(spec, "files.zip", "no member 'data/sc.txt' in the archive");
    /* A parse error inside a member names archive and member. */
    {
        const zip_member m[] = {{"bad.csv", "1,2\n3,x\n", 8, ZIP_CM_DEFLATE}};
        CHECK_TRUE(write_zip(tmp_path(path, sizeof path, "badtext.zip"), m, 1));
    }
    CHECK_LOAD_FAILS(path, "badtext.zip:bad.csv", "line 2, column 2: expected a number, found 'x'");
}

static void test_tvb(void)
{
    char w[512], l[512], path[600];
    static const char centres[] = "lA -10 0 0\nlB -20 5 1.5\nrA 10 0 0\nrB 20 5 1.5\n";
    static const char labels[] = "ctx-lh-A\nctx-lh-B\nctx-rh-A\nctx-rh-B\n";
    static const double sq_w[16] = {0,    1.5, 0.25, 3, 1.5, 0, 2, 0.125,
                                    0.25, 2,   0,    1, 3,   0.125, 1, 0};
    static const double sq_l[16] = {0, 10, 20, 30, 10, 0, 15, 25, 20, 15, 0, 12, 30, 25, 12, 0};
    size_t nw = 0, nl = 0;
    fcfit_tvb_connectivity c;

    for (size_t i = 0; i < 4; i++) {
        for (size_t j = 0; j < 4; j++) {
            nw += (size_t)snprintf(w + nw, sizeof w - nw, "%s%.17g", j > 0 ? " " : "",
                                   sq_w[i * 4 + j]);
            nl += (size_t)snprintf(l + nl, sizeof l - nl, "%s%.17g", j > 0 ? "\t" : "",
                                   sq_l[i * 4 + j]);
        }
        nw += (size_t)snprintf(w + nw, sizeof w - nw, "\n");
        nl += (size_t)snprintf(l + nl, sizeof l - nl, "\n");
    }
    {
        const zip_member m[] = {{"connectivity_4/weights.txt", w, nw, ZIP_CM_DEFLATE},
                                {"connectivity_4/tract_lengths.txt", l, nl, ZIP_CM_STORE},
                                {"connectivity_4/centres.txt", centres, sizeof centres - 1,
                                 ZIP_CM_DEFLATE}};
        CHECK_TRUE(write_zip(tmp_path(path, sizeof path, "tvb4.zip"), m, 3));
    }
    CHECK_OK(fcfit_tvb_zip_load(path, &c));
    CHECK_TRUE(c.weights.rows == 4 && c.weights.cols == 4 &&
               memcmp(c.weights.data, sq_w, sizeof sq_w) == 0);
    CHECK_TRUE(c.lengths.rows == 4 && memcmp(c.lengths.data, sq_l, sizeof sq_l) == 0);
    CHECK_TRUE(c.centres.rows == 4 && c.centres.cols == 3 && c.centres.data[1 * 3 + 2] == 1.5);
    CHECK_TRUE(c.n_labels == 4 && strcmp(c.labels[0], "lA") == 0 && strcmp(c.labels[3], "rB") == 0);
    fcfit_tvb_connectivity_free(&c);

    /* region_labels.txt gives the labels; no tract lengths, no centres. */
    {
        const zip_member m[] = {{"weights.txt", w, nw, ZIP_CM_DEFLATE},
                                {"region_labels.txt", labels, sizeof labels - 1, ZIP_CM_STORE}};
        CHECK_TRUE(write_zip(tmp_path(path, sizeof path, "tvb_labels.zip"), m, 2));
    }
    CHECK_OK(fcfit_tvb_zip_load(path, &c));
    CHECK_TRUE(c.lengths.data == NULL && c.centres.data == NULL && c.n_labels == 4 &&
               strcmp(c.labels[2], "ctx-rh-A") == 0);
    fcfit_tvb_connectivity_free(&c);

    /* Refusals: no weights, sizes that disagree, a label count that disagrees, bad centres. */
    {
        const zip_member m[] = {{"tract_lengths.txt", l, nl, ZIP_CM_STORE}};
        CHECK_TRUE(write_zip(tmp_path(path, sizeof path, "tvb_noweights.zip"), m, 1));
    }
    CHECK_FAILS(fcfit_tvb_zip_load(path, &c), FCFIT_ERR_INPUT,
                "no weights file in the TVB connectivity zip");
    CHECK_TRUE(c.weights.data == NULL && c.labels == NULL);
    {
        const zip_member m[] = {{"weights.txt", w, nw, ZIP_CM_STORE},
                                {"tract_lengths.txt", "1 2\n3 4\n", 8, ZIP_CM_STORE}};
        CHECK_TRUE(write_zip(tmp_path(path, sizeof path, "tvb_sizes.zip"), m, 2));
    }
    CHECK_FAILS(fcfit_tvb_zip_load(path, &c), FCFIT_ERR_INPUT,
                "tvb_sizes.zip:tract_lengths.txt: matrix is 2 x 2; expected 4 x 4");
    {
        const zip_member m[] = {{"weights.txt", w, nw, ZIP_CM_STORE},
                                {"centres.txt", "a 1 2 3\nb 1 2 3\n", 16, ZIP_CM_STORE}};
        CHECK_TRUE(write_zip(tmp_path(path, sizeof path, "tvb_count.zip"), m, 2));
    }
    CHECK_FAILS(fcfit_tvb_zip_load(path, &c), FCFIT_ERR_INPUT, "lists 2 regions; expected 4");
    {
        const zip_member m[] = {{"weights.txt", w, nw, ZIP_CM_STORE},
                                {"centres.txt", "a 1 2 3\nb 1 x 3\nc 0 0 0\nd 0 0 0\n", 32,
                                 ZIP_CM_STORE}};
        CHECK_TRUE(write_zip(tmp_path(path, sizeof path, "tvb_centres.zip"), m, 2));
    }
    CHECK_FAILS(fcfit_tvb_zip_load(path, &c), FCFIT_ERR_INPUT,
                "centres.txt: line 2: coordinate 2 is 'x'; expected a number");
}

/* Overwrite len bytes at offset off of a file. */
static void patch_file(const char *path, long off, const void *bytes, size_t len)
{
    FILE *fp = fopen(path, "r+b");
    if (fp != NULL) {
        fseek(fp, off, SEEK_SET);
        fwrite(bytes, 1, len, fp);
        fclose(fp);
    }
}

static void test_hostile(void)
{
    unsigned char a[256];
    char path[600], cut[600], spec[700];
    size_t na = npy_bytes(a, 0), full = 0, refused = 0;
    const char *bytes;
    char *copy;

    {
        FILE *fp = fopen(tmp_path(path, sizeof path, "text.npz"), "w");
        if (fp != NULL) {
            fputs("1,2,3\n", fp);
            fclose(fp);
        }
    }
    CHECK_LOAD_FAILS(path, "text.npz", "not a zip archive that libzip can read");

    /* Every truncation of a valid archive is refused as bad input. */
    {
        const zip_member m[] = {{"sc.npy", a, na, ZIP_CM_DEFLATE}};
        CHECK_TRUE(write_zip(tmp_path(path, sizeof path, "whole.npz"), m, 1));
    }
    bytes = read_small_file(path, &full);
    copy = malloc(full);
    memcpy(copy, bytes, full);
    for (size_t len = 0; len < full; len++) {
        fcfit_matrix out = {0, 0, NULL};
        FILE *fp = fopen(tmp_path(cut, sizeof cut, "cut.npz"), "wb");
        if (fp != NULL) {
            fwrite(copy, 1, len, fp);
            fclose(fp);
        }
        if (fcfit_matrix_load(cut, &out) == FCFIT_ERR_INPUT && out.data == NULL) {
            refused++;
        } else {
            printf("     cut at %zu of %zu bytes: %s\n", len, full, fcfit_error_message());
        }
        fcfit_matrix_free(&out);
        fcfit_error_clear();
    }
    fcfit_test_report(refused == full, __FILE__, __LINE__,
                      "%zu of the %zu truncations of a .npz refused as bad input", refused, full);

    /* A corrupted byte inside a stored member: libzip's CRC check refuses it. */
    {
        const zip_member m[] = {{"sc.npy", a, na, ZIP_CM_STORE}};
        CHECK_TRUE(write_zip(tmp_path(path, sizeof path, "crc.npz"), m, 1));
        patch_file(path, 30 + 6 + 140, "\x55", 1);
    }
    CHECK_LOAD_FAILS(path, "crc.npz", "crc.npz:sc.npy: ");

    /* A member whose central directory claims 1 GiB from a few hundred stored bytes. */
    {
        const zip_member m[] = {{"sc.npy", a, na, ZIP_CM_STORE}};
        size_t len = 0;
        const char *z;
        long cd = -1;
        CHECK_TRUE(write_zip(tmp_path(path, sizeof path, "claim.npz"), m, 1));
        z = read_small_file(path, &len);
        for (size_t k = 0; k + 4 <= len; k++) {
            if (memcmp(z + k, "PK\x01\x02", 4) == 0) {
                cd = (long)k;
            }
        }
        CHECK_TRUE(cd > 0);
        patch_file(path, cd + 24, "\x00\x00\x00\x40", 4); /* uncompressed size 1 GiB */
        patch_file(path, 22, "\x00\x00\x00\x40", 4);      /* and in the local header */
    }
    CHECK_LOAD_FAILS(path, "claim.npz", "sc.npy: the member claims 1073741824 bytes from");

    /* Compression methods other than stored and deflated, and encryption, are named. */
    {
        const zip_member m[] = {{"sc.npy", a, na, ZIP_CM_BZIP2}};
        if (zip_compression_method_supported(ZIP_CM_BZIP2, 1) &&
            write_zip(tmp_path(path, sizeof path, "bzip2.npz"), m, 1)) {
            CHECK_LOAD_FAILS(path, "bzip2.npz", "sc.npy: compression method 12");
        }
    }
    if (zip_encryption_method_supported(ZIP_EM_AES_256, 1)) {
        int err = 0;
        zip_t *za = zip_open(tmp_path(path, sizeof path, "secret.npz"), ZIP_CREATE | ZIP_TRUNCATE,
                             &err);
        zip_source_t *src = za != NULL ? zip_source_buffer(za, a, na, 0) : NULL;
        zip_int64_t idx = src != NULL ? zip_file_add(za, "sc.npy", src, 0) : -1;
        if (idx >= 0 && zip_file_set_encryption(za, (zip_uint64_t)idx, ZIP_EM_AES_256, "pw") == 0 &&
            zip_close(za) == 0) {
            CHECK_LOAD_FAILS(path, "secret.npz", "sc.npy: the member is encrypted");
        } else if (za != NULL) {
            zip_discard(za);
        }
    }
    {
        const zip_member m[] = {{"inner.mat", a, na, ZIP_CM_STORE},
                                {"na\x01me.npy", a, na, ZIP_CM_STORE}};
        CHECK_TRUE(write_zip(tmp_path(path, sizeof path, "nested.zip"), m, 2));
    }
    snprintf(spec, sizeof spec, "%s:inner.mat", path);
    CHECK_LOAD_FAILS(spec, "nested.zip:inner.mat", "a .mat file inside an archive is not read");
    CHECK_LOAD_FAILS(path, "nested.zip", "(inner.mat, na?me.npy)");
    free(copy);
}

int main(void)
{
    if (!tmp_init_named("tmp_test_matrix_zip")) {
        return 1;
    }
    test_npz_and_zip();
    test_tvb();
    test_hostile();
    return fcfit_test_finish();
}
