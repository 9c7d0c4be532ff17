/*
 * test_matrix_mat.c: fcfit_matrix_load on MATLAB .mat files.
 *
 * Fixtures are written with matio's own write API in the v5 format
 * (MAT_FT_MAT5, uncompressed and zlib-compressed), the v7.3 format
 * (MAT_FT_MAT73, HDF5-based) and the v4 format. matio takes data
 * column-major, as MATLAB stores it, so the expected row-major matrices are
 * transposed by hand here; a non-square matrix makes a missing transpose
 * visible. Comparisons are bitwise. Hostile files (truncated at every
 * length, crafted headers that made matio allocate gigabytes or recurse) are
 * built byte by byte from the published MAT-file layout.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <matio.h>
#include <zlib.h>

#include "fcfit/fcfit_matrix_io.h"
#include "fcfit_test.h"
#include "io_test_util.h"



/* One variable to write: matio class and type, rank, dims, column-major data. */
typedef struct mat_fixture {
    const char *name;
    enum matio_classes cls;
    enum matio_types type;
    int rank;
    size_t dims[3];
    void *data;
    int flags;
} mat_fixture;

/* Write the variables into a new file of the given version; returns 1 on success. */
static int write_mat(const char *path, enum mat_ft version, const mat_fixture *vars, size_t n,
                     enum matio_compression compress)
{
    int ok = 1;
    mat_t *mat = Mat_CreateVer(path, NULL, version);
    if (mat == NULL) {
        printf("matio cannot create %s\n", path);
        return 0;
    }
    for (size_t k = 0; k < n; k++) {
        size_t dims[3] = {vars[k].dims[0], vars[k].dims[1], vars[k].dims[2]};
        matvar_t *var = Mat_VarCreate(vars[k].name, vars[k].cls, vars[k].type, vars[k].rank, dims,
                                      vars[k].data, vars[k].flags | MAT_F_DONT_COPY_DATA);
        if (var == NULL || Mat_VarWrite(mat, var, compress) != 0) {
            printf("matio cannot write variable %s to %s\n", vars[k].name, path);
            ok = 0;
        }
        Mat_VarFree(var);
    }
    Mat_Close(mat);
    return ok;
}

/* A 3 x 2 matrix (row-major want) and its column-major storage. */
static const double g_want32[6] = {1.5, -2.25, 1e-300, 4.0 / 3.0, 6.02214076e23, -0.0};
static double g_cm32[6];

static void make_column_major(void)
{
    for (size_t i = 0; i < 3; i++) {
        for (size_t j = 0; j < 2; j++) {
            g_cm32[j * 3 + i] = g_want32[i * 2 + j];
        }
    }
}

static void test_numeric(enum mat_ft version, const char *tag)
{
    char path[600];
    char spec[700];
    char file[64];
    char list[128];
    const char *names = version == MAT_FT_MAT73 ? "W, counts, mask, row, single"
                                                : "W, counts, single, mask, row";
    int16_t i16[6] = {-32768, 7, 12, 32767, -1, 0};
    double want_i16[6];
    float f32[4] = {0.5f, -1.25f, 3.0e-3f, 1.0e10f};
    double want_f32[4];
    uint8_t logical[4] = {1, 0, 1, 1};
    const double want_logical[4] = {1.0, 1.0, 0.0, 1.0}; /* 2 x 2, column-major {1,0,1,1} */
    double row[5] = {0.1, 0.2, 0.3, 0.4, 0.5};
    mat_fixture vars[5] = {
        {"W", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, {3, 2, 0}, g_cm32, 0},
        {"counts", MAT_C_INT16, MAT_T_INT16, 2, {2, 3, 0}, i16, 0},
        {"single", MAT_C_SINGLE, MAT_T_SINGLE, 2, {4, 1, 0}, f32, 0},
        {"mask", MAT_C_UINT8, MAT_T_UINT8, 2, {2, 2, 0}, logical, MAT_F_LOGICAL},
        {"row", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, {1, 5, 0}, row, 0},
    };
    /* counts is 2 x 3 column-major: column j holds i16[2j], i16[2j+1]. */
    for (size_t i = 0; i < 2; i++) {
        for (size_t j = 0; j < 3; j++) {
            want_i16[i * 3 + j] = (double)i16[j * 2 + i];
        }
    }
    for (size_t k = 0; k < 4; k++) {
        want_f32[k] = (double)f32[k];
    }

    snprintf(file, sizeof file, "numeric_%s.mat", tag);
    tmp_path(path, sizeof path, file);
    if (!write_mat(path, version, vars, 5, MAT_COMPRESSION_NONE)) {
        CHECK_TRUE(!"fixture written");
        return;
    }
    snprintf(spec, sizeof spec, "%s:W", path);
    CHECK_LOAD_EQUALS(spec, 3, 2, g_want32);
    snprintf(spec, sizeof spec, "%s:counts", path);
    CHECK_LOAD_EQUALS(spec, 2, 3, want_i16);
    snprintf(spec, sizeof spec, "%s:single", path);
    CHECK_LOAD_EQUALS(spec, 4, 1, want_f32);
    snprintf(spec, sizeof spec, "%s:row", path);
    CHECK_LOAD_EQUALS(spec, 1, 5, row);
    if (version != MAT_FT_MAT4) {
        snprintf(spec, sizeof spec, "%s:mask", path);
        CHECK_LOAD_EQUALS(spec, 2, 2, want_logical);
    }

    /*
     * Several variables and no name: the message lists them, in file order for
     * v4/v5 and in HDF5 name order for v7.3.
     */
    snprintf(list, sizeof list, "holds 5 variables (%s)", names);
    CHECK_LOAD_FAILS(path, file, list);
    snprintf(spec, sizeof spec, "%s:w", path);
    snprintf(list, sizeof list, "no variable 'w'; the file holds: %s", names);
    CHECK_LOAD_FAILS(spec, file, list);

    /* A file with a single variable needs no name. */
    snprintf(file, sizeof file, "single_%s.mat", tag);
    tmp_path(path, sizeof path, file);
    if (write_mat(path, version, vars, 1, MAT_COMPRESSION_NONE)) {
        CHECK_LOAD_EQUALS(path, 3, 2, g_want32);
    }
}

/* zlib-compressed v5 (the v7 default in MATLAB). */
static void test_compressed(void)
{
    char path[600];
    mat_fixture var = {"W", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, {3, 2, 0}, g_cm32, 0};
    if (write_mat(tmp_path(path, sizeof path, "compressed.mat"), MAT_FT_MAT5, &var, 1,
                  MAT_COMPRESSION_ZLIB)) {
        CHECK_LOAD_EQUALS(path, 3, 2, g_want32);
    }
}

static void test_bad_variables(enum mat_ft version, const char *tag)
{
    char path[600];
    char spec[700];
    char file[64];
    double re[4] = {1, 2, 3, 4};
    double im[4] = {0, 1, 0, -1};
    mat_complex_split_t z = {re, im};
    double cube[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    char text[5] = {'h', 'e', 'l', 'l', 'o'};
    mat_uint32_t ir[2] = {0, 1};
    mat_uint32_t jc[3] = {0, 1, 2};
    double sp_data[2] = {2.5, -1.0};
    mat_sparse_t sparse = {2, ir, 2, jc, 3, 2, sp_data};
    mat_fixture vars[4] = {
        {"z", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, {2, 2, 0}, &z, MAT_F_COMPLEX},
        {"cube", MAT_C_DOUBLE, MAT_T_DOUBLE, 3, {2, 2, 2}, cube, 0},
        {"label", MAT_C_CHAR, MAT_T_UINT8, 2, {1, 5, 0}, text, 0},
        {"S", MAT_C_SPARSE, MAT_T_DOUBLE, 2, {2, 2, 0}, &sparse, 0},
    };
    size_t dims[2] = {1, 1};
    const char *fields[1] = {"a"};
    mat_t *mat;
    matvar_t *st;
    matvar_t *cell;

    snprintf(file, sizeof file, "bad_%s.mat", tag);
    tmp_path(path, sizeof path, file);
    if (!write_mat(path, version, vars, 4, MAT_COMPRESSION_NONE)) {
        CHECK_TRUE(!"fixture written");
        return;
    }
    /* A struct and a cell, appended to the same file. */
    mat = Mat_Open(path, MAT_ACC_RDWR);
    if (mat != NULL) {
        double one = 1.0;
        matvar_t *field = Mat_VarCreate("a", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, dims, &one,
                                        MAT_F_DONT_COPY_DATA);
        matvar_t *elem = Mat_VarCreate("", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, dims, &one, 0);
        st = Mat_VarCreateStruct("st", 2, dims, fields, 1);
        Mat_VarSetStructFieldByName(st, "a", 0, field);
        Mat_VarWrite(mat, st, MAT_COMPRESSION_NONE);
        Mat_VarFree(st);
        cell = Mat_VarCreate("c", MAT_C_CELL, MAT_T_CELL, 2, dims, NULL, 0);
        Mat_VarSetCell(cell, 0, elem);
        Mat_VarWrite(mat, cell, MAT_COMPRESSION_NONE);
        Mat_VarFree(cell);
        Mat_Close(mat);
    }

    snprintf(spec, sizeof spec, "%s:z", path);
    CHECK_LOAD_FAILS(spec, file, "variable 'z' is complex (class double)");
    snprintf(spec, sizeof spec, "%s:cube", path);
    CHECK_LOAD_FAILS(spec, file, "variable 'cube' (class double) has 3 dimensions");
    snprintf(spec, sizeof spec, "%s:label", path);
    CHECK_LOAD_FAILS(spec, file, "variable 'label' has class char");
    snprintf(spec, sizeof spec, "%s:S", path);
    CHECK_LOAD_FAILS(spec, file, "variable 'S' is a sparse matrix (class sparse)");
    snprintf(spec, sizeof spec, "%s:st", path);
    CHECK_LOAD_FAILS(spec, file, "variable 'st' has class struct");
    snprintf(spec, sizeof spec, "%s:c", path);
    CHECK_LOAD_FAILS(spec, file, "variable 'c' has class cell");
    snprintf(spec, sizeof spec, "%s:missing", path);
    CHECK_LOAD_FAILS(spec, file,
                     version == MAT_FT_MAT73
                         ? "no variable 'missing'; the file holds: S, c, cube, label, st, z"
                         : "no variable 'missing'; the file holds: z, cube, label, S, st, c");
}

static void test_bad_files(void)
{
    char path[600];
    FILE *fp = fopen(tmp_path(path, sizeof path, "text.mat"), "w");
    mat_t *mat;
    if (fp != NULL) {
        fputs("1,2,3\n4,5,6\n", fp);
        fclose(fp);
    }
    CHECK_LOAD_FAILS(path, "text.mat", "not a MATLAB .mat file");

    mat = Mat_CreateVer(tmp_path(path, sizeof path, "no_vars.mat"), NULL, MAT_FT_MAT5);
    if (mat != NULL) {
        Mat_Close(mat);
    }
    CHECK_LOAD_FAILS(path, "no_vars.mat", "the file holds no variables");
}

/* Bytes of a crafted file, built element by element (little endian, level 5). */
typedef struct mat_bytes {
    unsigned char b[4096];
    size_t n;
} mat_bytes;

static void mb_u32(mat_bytes *m, uint32_t v)
{
    for (int k = 0; k < 4; k++) {
        m->b[m->n++] = (unsigned char)(v >> (8 * k));
    }
}

static void mb_header(mat_bytes *m)
{
    memset(m->b, ' ', 116);
    memcpy(m->b, "MATLAB 5.0 MAT-file, crafted by test_matrix_mat", 47);
    memset(m->b + 116, 0, 8);
    m->b[124] = 0x00;
    m->b[125] = 0x01;
    m->b[126] = 'I';
    m->b[127] = 'M';
    m->n = 128;
}

/* Array flags, dimensions rows x cols and the one-letter name 'a' (40 bytes). */
static void mb_array_head(mat_bytes *m, uint32_t cls, uint32_t rows, uint32_t cols)
{
    mb_u32(m, 6);
    mb_u32(m, 8);
    mb_u32(m, cls);
    mb_u32(m, 0);
    mb_u32(m, 5);
    mb_u32(m, 8);
    mb_u32(m, rows);
    mb_u32(m, cols);
    mb_u32(m, 1 | (1u << 16)); /* small element: int8, 1 byte */
    mb_u32(m, 'a');
}

static int mb_write(const char *path, const mat_bytes *m, size_t len)
{
    FILE *fp = fopen(path, "wb");
    int ok = fp != NULL && fwrite(m->b, 1, len, fp) == len;
    if (fp != NULL) {
        fclose(fp);
    }
    return ok;
}

/*
 * Files that once made matio read short without an error, allocate gigabytes or recurse
 * without bound: each must be refused as bad input naming the file and the problem.
 */
static void test_hostile_files(void)
{
    char path[600], cut[700];
    mat_bytes m;
    FILE *fp;
    size_t full = 0, refused = 0;
    unsigned char *buf;

    /* Every truncation of a valid level-5 file (the case: 300 of 480 bytes loaded as
     * a connectome with a third of its entries zero) and of a level-4 file is refused. */
    {
        static const enum mat_ft versions[] = {MAT_FT_MAT5, MAT_FT_MAT4};
        static const char *const names[] = {"whole_v5.mat", "whole_v4.mat"};
        for (size_t v = 0; v < 2; v++) {
            mat_fixture var = {"W", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, {3, 2, 0}, g_cm32, 0};
            if (!write_mat(tmp_path(path, sizeof path, names[v]), versions[v], &var, 1,
                           MAT_COMPRESSION_NONE)) {
                continue;
            }
            fp = fopen(path, "rb");
            buf = malloc(8192);
            full = fp != NULL && buf != NULL ? fread(buf, 1, 8192, fp) : 0;
            if (fp != NULL) {
                fclose(fp);
            }
            refused = 0;
            for (size_t len = 1; len < full; len++) {
                fcfit_matrix out = {0, 0, NULL};
                FILE *w = fopen(tmp_path(cut, sizeof cut, "cut.mat"), "wb");
                if (w != NULL) {
                    fwrite(buf, 1, len, w);
                    fclose(w);
                }
                if (fcfit_matrix_load(cut, &out) == FCFIT_ERR_INPUT && out.data == NULL) {
                    refused++;
                } else {
                    printf("     %s cut at %zu of %zu bytes: %s\n", names[v], len, full,
                           fcfit_error_message());
                }
                fcfit_matrix_free(&out);
                fcfit_error_clear();
            }
            fcfit_test_report(full > 0 && refused == full - 1, __FILE__, __LINE__,
                              "%s: %zu of its %zu truncations refused as bad input", names[v],
                              refused, full > 0 ? full - 1 : 0);
            free(buf);
        }
        CHECK_LOAD_FAILS(cut, "cut.mat", "truncated");
    }

    /* A 65535 x 65535 cell array in 176 bytes (matio would allocate 34 GB of pointers). */
    mb_header(&m);
    mb_u32(&m, 14);
    mb_u32(&m, 40);
    mb_array_head(&m, 1, 65535, 65535);
    mb_write(tmp_path(path, sizeof path, "huge_cell.mat"), &m, m.n);
    CHECK_LOAD_FAILS(path, "huge_cell.mat",
                     "variable 'a' (byte 176): the cell array claims 4294836225 nested elements");

    /* A double array whose dimensions claim far more than its data. */
    mb_header(&m);
    mb_u32(&m, 14);
    mb_u32(&m, 56);
    mb_array_head(&m, 6, 100000, 100000);
    mb_u32(&m, 9);
    mb_u32(&m, 8);
    mb_u32(&m, 0);
    mb_u32(&m, 0x3ff00000);
    mb_write(tmp_path(path, sizeof path, "dims_exceed.mat"), &m, m.n);
    CHECK_LOAD_FAILS(path, "dims_exceed.mat",
                     "variable 'a' (byte 176): the dimensions claim 10000000000 values");
    mb_header(&m);
    mb_u32(&m, 14);
    mb_u32(&m, 56);
    mb_array_head(&m, 6, 2, 2);
    mb_u32(&m, 9);
    mb_u32(&m, 8);
    mb_u32(&m, 0);
    mb_u32(&m, 0x3ff00000);
    mb_write(tmp_path(path, sizeof path, "short_data.mat"), &m, m.n);
    CHECK_LOAD_FAILS(path, "short_data.mat",
                     "the real part holds 8 bytes, but the dimensions (4 values) of 8 bytes each "
                     "need 32");

    /* Cells nested 40 deep (matio recurses once per level). */
    {
        size_t depth = 40;
        mb_header(&m);
        for (size_t d = 0; d < depth; d++) {
            uint32_t inner = (uint32_t)(48 * (depth - 1 - d) + 8);
            mb_u32(&m, 14);
            mb_u32(&m, 40 + inner);
            mb_array_head(&m, 1, 1, 1);
        }
        mb_u32(&m, 14);
        mb_u32(&m, 0);
        mb_write(tmp_path(path, sizeof path, "deep.mat"), &m, m.n);
        CHECK_LOAD_FAILS(path, "deep.mat", "cells or structs nested more than 32 levels deep");
    }

    /* A compressed variable whose inflated tag claims 4 GB from a few bytes. */
    {
        unsigned char plain[72], packed[128];
        uLongf plen = sizeof packed;
        memset(plain, 0, sizeof plain);
        plain[0] = 14;
        plain[4] = 0xf0;
        plain[5] = plain[6] = plain[7] = 0xff;
        if (compress(packed, &plen, plain, sizeof plain) == Z_OK) {
            mb_header(&m);
            mb_u32(&m, 15);
            mb_u32(&m, (uint32_t)plen);
            memcpy(m.b + m.n, packed, plen);
            m.n += plen;
            mb_write(tmp_path(path, sizeof path, "bomb.mat"), &m, m.n);
            CHECK_LOAD_FAILS(path, "bomb.mat",
                             "the compressed variable claims 4294967280 bytes from");
        }
    }

    /* A level-4 header claiming a 1.3 GB name (matio allocated it). */
    {
        int32_t h[5] = {0, 2, 2, 0, 1342177280};
        fp = fopen(tmp_path(path, sizeof path, "v4_name.mat"), "wb");
        if (fp != NULL) {
            fwrite(h, sizeof h, 1, fp);
            fclose(fp);
        }
        CHECK_LOAD_FAILS(path, "v4_name.mat", "level-4 record 1 has a 1342177280-byte name");
    }

    /* A MATLAB object of the opaque class (a string: name, type system and class name, no
     * dimensions, then nested data) next to a matrix: the matrix still loads. */
    {
        size_t at;
        mb_header(&m);
        mb_u32(&m, 14);
        at = m.n;
        mb_u32(&m, 0); /* size, patched below */
        mb_u32(&m, 6);
        mb_u32(&m, 8);
        mb_u32(&m, 17);
        mb_u32(&m, 0);
        mb_u32(&m, 1 | (1u << 16)); /* name 's' */
        mb_u32(&m, 's');
        mb_u32(&m, 1 | (4u << 16)); /* type system "MCOS" */
        memcpy(m.b + m.n, "MCOS", 4);
        m.n += 4;
        mb_u32(&m, 1);
        mb_u32(&m, 6); /* class name "string", padded */
        memcpy(m.b + m.n, "string\0\0", 8);
        m.n += 8;
        mb_u32(&m, 14); /* nested uint32 array 1 x 2 */
        mb_u32(&m, 56);
        mb_u32(&m, 6);
        mb_u32(&m, 8);
        mb_u32(&m, 13);
        mb_u32(&m, 0);
        mb_u32(&m, 5);
        mb_u32(&m, 8);
        mb_u32(&m, 1);
        mb_u32(&m, 2);
        mb_u32(&m, 1);
        mb_u32(&m, 0);
        mb_u32(&m, 6);
        mb_u32(&m, 8);
        mb_u32(&m, 0xdd000000u);
        mb_u32(&m, 2);
        {
            uint32_t len = (uint32_t)(m.n - at - 4);
            for (int k = 0; k < 4; k++) {
                m.b[at + (size_t)k] = (unsigned char)(len >> (8 * k));
            }
        }
        mb_u32(&m, 14); /* then a 1 x 1 double 'a' = 2.5 */
        mb_u32(&m, 56);
        mb_array_head(&m, 6, 1, 1);
        mb_u32(&m, 9);
        mb_u32(&m, 8);
        mb_u32(&m, 0);
        mb_u32(&m, 0x40040000);
        mb_write(tmp_path(path, sizeof path, "opaque.mat"), &m, m.n);
        snprintf(cut, sizeof cut, "%s:a", path);
        {
            static const double want = 2.5;
            CHECK_LOAD_EQUALS(cut, 1, 1, &want);
        }
    }

    /* A version 7.3 header without the HDF5 data behind it. */
    mb_header(&m);
    m.b[124] = 0x00;
    m.b[125] = 0x02;
    memset(m.b + 128, 0, 512);
    mb_write(tmp_path(path, sizeof path, "v73_empty.mat"), &m, 640);
    CHECK_LOAD_FAILS(path, "v73_empty.mat", "a version 7.3 MAT-file header, but no HDF5 data");
}

int main(void)
{
    if (!tmp_init_named("tmp_test_matrix")) {
        return 1;
    }
    make_column_major();
    test_numeric(MAT_FT_MAT5, "v5");
    test_numeric(MAT_FT_MAT73, "v73");
    test_numeric(MAT_FT_MAT4, "v4");
    test_compressed();
    test_bad_variables(MAT_FT_MAT5, "v5");
    test_bad_variables(MAT_FT_MAT73, "v73");
    test_bad_files();
    test_hostile_files();
    return fcfit_test_finish();
}
