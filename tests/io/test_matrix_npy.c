/*
 * test_matrix_npy.c: fcfit_matrix_load on NumPy .npy files.
 *
 * The fixtures are built byte by byte here (magic, version, header length,
 * the header dict padded to a multiple of 64 bytes, then the data) with an
 * explicit byte order for every item, so the test does not depend on NumPy
 * or on the host's endianness. Comparisons are bitwise: every source value is
 * exactly representable in the stored type.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fcfit/fcfit_matrix_io.h"
#include "fcfit_test.h"
#include "io_test_util.h"



/* Store the low `size` bytes of bits at p in the given byte order. */
static void put_bits(unsigned char *p, uint64_t bits, size_t size, int big)
{
    for (size_t k = 0; k < size; k++) {
        unsigned char byte = (unsigned char)(bits >> (8 * k));
        p[big ? size - 1 - k : k] = byte;
    }
}

static void put_f64(unsigned char *p, double v, int big)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    put_bits(p, bits, 8, big);
}

static void put_f32(unsigned char *p, float v, int big)
{
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    put_bits(p, bits, 4, big);
}

static void put_int(unsigned char *p, int64_t v, size_t size, int big)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    put_bits(p, bits, size, big);
}

/*
 * Write an .npy file: magic, version major.0, header length (2 bytes for 1.0,
 * 4 for 2.0/3.0), the dict padded with spaces and a final '\n' to a multiple
 * of 64 bytes, then nbytes of data.
 */
static void write_npy(const char *path, unsigned major, const char *dict, const unsigned char *data,
                      size_t nbytes)
{
    unsigned char pre[12] = {0x93, 'N', 'U', 'M', 'P', 'Y', 0, 0, 0, 0, 0, 0};
    size_t len_bytes = major == 1 ? 2 : 4;
    size_t fixed = 8 + len_bytes;
    size_t hlen = strlen(dict) + 1;
    FILE *fp = fopen(path, "wb");
    if (fp == NULL) {
        printf("cannot write fixture %s\n", path);
        return;
    }
    while ((fixed + hlen) % 64 != 0) {
        hlen++;
    }
    pre[6] = (unsigned char)major;
    put_bits(pre + 8, hlen, len_bytes, 0);
    fwrite(pre, 1, fixed, fp);
    fputs(dict, fp);
    for (size_t k = strlen(dict) + 1; k < hlen; k++) {
        fputc(' ', fp);
    }
    fputc('\n', fp);
    if (nbytes > 0) {
        fwrite(data, 1, nbytes, fp);
    }
    fclose(fp);
}

/* The 2 x 3 test matrix, row-major; every value is exact in float32 too. */
static const double g_m23[6] = {1.5, -2.25, 3.0e3, 0.125, -7.0, 1.0 / 1024.0};

static void test_float64(void)
{
    char path[600];
    unsigned char data[6 * 8];

    for (size_t k = 0; k < 6; k++) {
        put_f64(data + 8 * k, g_m23[k], 0);
    }
    write_npy(tmp_path(path, sizeof path, "f8_c.npy"), 1,
              "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", data, sizeof data);
    CHECK_LOAD_EQUALS(path, 2, 3, g_m23);

    /* Versions 2.0 and 3.0 differ only in the width of the header length. */
    write_npy(tmp_path(path, sizeof path, "f8_v2.npy"), 2,
              "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", data, sizeof data);
    CHECK_LOAD_EQUALS(path, 2, 3, g_m23);
    write_npy(tmp_path(path, sizeof path, "f8_v3.npy"), 3,
              "{\"descr\": \"<f8\", \"shape\": (2, 3), \"fortran_order\": False}", data,
              sizeof data);
    CHECK_LOAD_EQUALS(path, 2, 3, g_m23);

    /* Fortran order: the file holds the columns one after the other. */
    for (size_t j = 0; j < 3; j++) {
        for (size_t i = 0; i < 2; i++) {
            put_f64(data + 8 * (j * 2 + i), g_m23[i * 3 + j], 0);
        }
    }
    write_npy(tmp_path(path, sizeof path, "f8_fortran.npy"), 1,
              "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", data, sizeof data);
    CHECK_LOAD_EQUALS(path, 2, 3, g_m23);

    /* Big endian, plus the Python 2 long suffix in the shape. */
    for (size_t k = 0; k < 6; k++) {
        put_f64(data + 8 * k, g_m23[k], 1);
    }
    write_npy(tmp_path(path, sizeof path, "f8_big.npy"), 1,
              "{'descr': '>f8', 'fortran_order': False, 'shape': (2L, 3L), }", data, sizeof data);
    CHECK_LOAD_EQUALS(path, 2, 3, g_m23);

    /* 1-D becomes rows x 1. */
    for (size_t k = 0; k < 6; k++) {
        put_f64(data + 8 * k, g_m23[k], 0);
    }
    write_npy(tmp_path(path, sizeof path, "f8_1d.npy"), 1,
              "{'descr': '<f8', 'fortran_order': False, 'shape': (6,), }", data, sizeof data);
    CHECK_LOAD_EQUALS(path, 6, 1, g_m23);
}

static void test_other_dtypes(void)
{
    char path[600];
    unsigned char data[6 * 8];
    const double ints[6] = {-3.0, 0.0, 7.0, 2147483647.0, -2147483648.0, 12.0};
    const double i64[4] = {-9007199254740992.0, 9007199254740992.0, -1.0, 5.0};
    const double bytes[4] = {0.0, 1.0, 200.0, 255.0};
    const double bools[4] = {1.0, 0.0, 0.0, 1.0};
    const double shorts[4] = {-32768.0, 32767.0, -1.0, 0.0};

    for (int big = 0; big <= 1; big++) {
        char dict[128];
        for (size_t k = 0; k < 6; k++) {
            put_f32(data + 4 * k, (float)g_m23[k], big);
        }
        snprintf(dict, sizeof dict, "{'descr': '%cf4', 'fortran_order': False, 'shape': (2, 3), }",
                 big ? '>' : '<');
        write_npy(tmp_path(path, sizeof path, big ? "f4_big.npy" : "f4.npy"), 1, dict, data, 24);
        CHECK_LOAD_EQUALS(path, 2, 3, g_m23);

        for (size_t k = 0; k < 6; k++) {
            put_int(data + 4 * k, (int64_t)ints[k], 4, big);
        }
        snprintf(dict, sizeof dict, "{'descr': '%ci4', 'fortran_order': False, 'shape': (3, 2), }",
                 big ? '>' : '<');
        write_npy(tmp_path(path, sizeof path, big ? "i4_big.npy" : "i4.npy"), 1, dict, data, 24);
        CHECK_LOAD_EQUALS(path, 3, 2, ints);

        for (size_t k = 0; k < 4; k++) {
            put_int(data + 8 * k, (int64_t)i64[k], 8, big);
        }
        snprintf(dict, sizeof dict, "{'descr': '%ci8', 'fortran_order': False, 'shape': (2, 2), }",
                 big ? '>' : '<');
        write_npy(tmp_path(path, sizeof path, big ? "i8_big.npy" : "i8.npy"), 1, dict, data, 32);
        CHECK_LOAD_EQUALS(path, 2, 2, i64);

        for (size_t k = 0; k < 4; k++) {
            put_int(data + 2 * k, (int64_t)shorts[k], 2, big);
        }
        snprintf(dict, sizeof dict, "{'descr': '%ci2', 'fortran_order': False, 'shape': (4,), }",
                 big ? '>' : '<');
        write_npy(tmp_path(path, sizeof path, big ? "i2_big.npy" : "i2.npy"), 1, dict, data, 8);
        CHECK_LOAD_EQUALS(path, 4, 1, shorts);
    }

    for (size_t k = 0; k < 4; k++) {
        data[k] = (unsigned char)bytes[k];
    }
    write_npy(tmp_path(path, sizeof path, "u1.npy"), 1,
              "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }", data, 4);
    CHECK_LOAD_EQUALS(path, 2, 2, bytes);

    data[0] = 1;
    data[1] = 0;
    data[2] = 0;
    data[3] = 1;
    write_npy(tmp_path(path, sizeof path, "b1.npy"), 1,
              "{'descr': '|b1', 'fortran_order': True, 'shape': (2, 2), }", data, 4);
    CHECK_LOAD_EQUALS(path, 2, 2, bools);
}

static void test_bad_files(void)
{
    char path[600];
    unsigned char data[64];
    FILE *fp;

    memset(data, 0, sizeof data);
    fp = fopen(tmp_path(path, sizeof path, "magic.npy"), "wb");
    if (fp != NULL) {
        fputs("PK\003\004 this is a zip archive, not an array", fp);
        fclose(fp);
    }
    CHECK_LOAD_FAILS(path, "magic.npy", "bad magic");

    fp = fopen(tmp_path(path, sizeof path, "short.npy"), "wb");
    if (fp != NULL) {
        fputs("\x93NUM", fp);
        fclose(fp);
    }
    CHECK_LOAD_FAILS(path, "short.npy", "bad magic");

    write_npy(tmp_path(path, sizeof path, "version.npy"), 4,
              "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", data, 48);
    CHECK_LOAD_FAILS(path, "version.npy", "format version 4.0 is not supported");

    write_npy(tmp_path(path, sizeof path, "truncated.npy"), 1,
              "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", data, 40);
    CHECK_LOAD_FAILS(path, "truncated.npy", "truncated .npy data: header fields 'shape' (2, 3)");

    write_npy(tmp_path(path, sizeof path, "longer.npy"), 1,
              "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", data, 56);
    CHECK_LOAD_FAILS(path, "longer.npy", "longer than header fields 'shape' (2, 3)");

    fp = fopen(tmp_path(path, sizeof path, "cut_header.npy"), "wb");
    if (fp != NULL) {
        fwrite("\x93NUMPY\x01\x00\x76\x00{'descr': '<f8', ", 1, 27, fp);
        fclose(fp);
    }
    CHECK_LOAD_FAILS(path, "cut_header.npy", "header should have 118 bytes");

    write_npy(tmp_path(path, sizeof path, "complex.npy"), 1,
              "{'descr': '<c16', 'fortran_order': False, 'shape': (2,), }", data, 32);
    CHECK_LOAD_FAILS(path, "complex.npy", "header field 'descr' is '<c16' (complex numbers)");

    write_npy(tmp_path(path, sizeof path, "half.npy"), 1,
              "{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", data, 4);
    CHECK_LOAD_FAILS(path, "half.npy", "header field 'descr' is '<f2'");

    write_npy(tmp_path(path, sizeof path, "unicode.npy"), 1,
              "{'descr': '<U5', 'fortran_order': False, 'shape': (2,), }", data, 40);
    CHECK_LOAD_FAILS(path, "unicode.npy", "header field 'descr' is '<U5'");

    write_npy(tmp_path(path, sizeof path, "object.npy"), 1,
              "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", data, 16);
    CHECK_LOAD_FAILS(path, "object.npy", "header field 'descr' is '|O'");

    write_npy(tmp_path(path, sizeof path, "structured.npy"), 1,
              "{'descr': [('a', '<f8'), ('b', '<i4')], 'fortran_order': False, 'shape': (2,), }",
              data, 24);
    CHECK_LOAD_FAILS(path, "structured.npy", "header field 'descr' is a structured dtype");

    write_npy(tmp_path(path, sizeof path, "cube.npy"), 1,
              "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2, 2), }", data, 64);
    CHECK_LOAD_FAILS(path, "cube.npy", "header field 'shape' is (2, 2, 2) with 3 dimensions");

    write_npy(tmp_path(path, sizeof path, "scalar.npy"), 1,
              "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", data, 8);
    CHECK_LOAD_FAILS(path, "scalar.npy", "header field 'shape' is () with 0 dimensions");

    write_npy(tmp_path(path, sizeof path, "zero.npy"), 1,
              "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 3), }", data, 0);
    CHECK_LOAD_FAILS(path, "zero.npy", "header field 'shape' is (0, 3): the array is empty");

    write_npy(tmp_path(path, sizeof path, "no_shape.npy"), 1,
              "{'descr': '<f8', 'fortran_order': False, }", data, 8);
    CHECK_LOAD_FAILS(path, "no_shape.npy", "header has no 'shape' field");

    write_npy(tmp_path(path, sizeof path, "bad_order.npy"), 1,
              "{'descr': '<f8', 'fortran_order': maybe, 'shape': (2,), }", data, 16);
    CHECK_LOAD_FAILS(path, "bad_order.npy", "header field 'fortran_order'");

    write_npy(tmp_path(path, sizeof path, "extra_key.npy"), 1,
              "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'units': 'mm'}", data, 16);
    CHECK_LOAD_FAILS(path, "extra_key.npy", "unknown field 'units'");

    write_npy(tmp_path(path, sizeof path, "not_dict.npy"), 1, "['descr', '<f8']", data, 16);
    CHECK_LOAD_FAILS(path, "not_dict.npy", "malformed .npy header at offset 0");

    /* An absurd shape is compared with the file's size before anything is allocated: bad
     * input (a truncated file), not an allocation failure. */
    write_npy(tmp_path(path, sizeof path, "absurd.npy"), 1,
              "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }", data, 64);
    CHECK_LOAD_FAILS(path, "absurd.npy",
                     "truncated .npy data: header fields 'shape' (1000000, 1000000) and 'descr' "
                     "'<f8' need 8000000000000 bytes of data, the file has only 64");
    write_npy(tmp_path(path, sizeof path, "overflow.npy"), 2,
              "{'descr': '<i8', 'fortran_order': True, 'shape': (4611686018427387904, 4), }",
              data, 8);
    CHECK_LOAD_FAILS(path, "overflow.npy", "describe more data than this machine can address");
    write_npy(tmp_path(path, sizeof path, "huge_1d.npy"), 1,
              "{'descr': '|u1', 'fortran_order': False, 'shape': (18446744073709551615,), }", data,
              64);
    CHECK_LOAD_FAILS(path, "huge_1d.npy", "need 18446744073709551615 bytes of data, the file has "
                                          "only 64");
}

int main(void)
{
    if (!tmp_init_named("tmp_test_matrix")) {
        return 1;
    }
    test_float64();
    test_other_dtypes();
    test_bad_files();
    return fcfit_test_finish();
}
