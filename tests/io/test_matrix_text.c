/*
 * test_matrix_text.c: fcfit_matrix_load on delimited text (.csv, .tsv, .txt,
 * .dat, no extension).
 *
 * Fixtures are written at run time into $FCFIT_TEST_TMP. Values are written
 * with "%.17g" or as short decimals, so every comparison is exact (bitwise):
 * strtod is correctly rounded, and text -> double is what is under test.
 * Every error case checks FCFIT_ERR_INPUT, an empty output, and that the
 * message names the file, the line and the problem.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fcfit/fcfit_matrix_io.h"
#include "fcfit_test.h"
#include "io_test_util.h"


/* Write bytes verbatim (so that NUL bytes and CRLF survive). */
static void write_bytes(const char *path, const char *bytes, size_t n)
{
    FILE *fp = fopen(path, "wb");
    if (fp == NULL || fwrite(bytes, 1, n, fp) != n) {
        printf("cannot write fixture %s\n", path);
    }
    if (fp != NULL) {
        fclose(fp);
    }
}

static void write_text(const char *path, const char *text)
{
    write_bytes(path, text, strlen(text));
}


static void test_good_files(void)
{
    char path[600];
    const double want23[6] = {1.5, 2.25, -3.0, 4e-3, 5.0, 6.0};
    const double col[4] = {0.1, -2.0, 3.75e-300, 42.0};

    write_text(tmp_path(path, sizeof path, "plain.csv"), "1.5,2.25,-3\n0.004,5,6\n");
    CHECK_LOAD_EQUALS(path, 2, 3, want23);

    /* Comments, blank lines, CRLF, blanks around commas, trailing delimiter, no final newline. */
    write_text(tmp_path(path, sizeof path, "messy.csv"),
               "# regions x regions, written by hand\r\n\r\n   \r\n1.5 , 2.25,-3,\r\n"
               "  0.004,5 ,6 # second row\r\n# done");
    CHECK_LOAD_EQUALS(path, 2, 3, want23);

    write_text(tmp_path(path, sizeof path, "tabs.tsv"), "1.5\t2.25\t-3\n0.004 \t 5\t6\t\n");
    CHECK_LOAD_EQUALS(path, 2, 3, want23);

    write_text(tmp_path(path, sizeof path, "blanks.txt"), "  1.5  2.25\t-3\n\t0.004 5   6  \n");
    CHECK_LOAD_EQUALS(path, 2, 3, want23);

    write_text(tmp_path(path, sizeof path, "commas.dat"), "1.5, 2.25, -3\n0.004, 5, 6\n");
    CHECK_LOAD_EQUALS(path, 2, 3, want23);

    write_text(tmp_path(path, sizeof path, "no_extension"), "1.5 2.25 -3\n0.004 5 6\n");
    CHECK_LOAD_EQUALS(path, 2, 3, want23);

    write_text(tmp_path(path, sizeof path, "bom.csv"), "\xEF\xBB\xBF" "1.5,2.25,-3\n0.004,5,6\n");
    CHECK_LOAD_EQUALS(path, 2, 3, want23);

    /* A column vector (the shared data write vectors one value per line). */
    write_text(tmp_path(path, sizeof path, "vector.csv"), "0.1\n-2\n3.75e-300\n42\n");
    CHECK_LOAD_EQUALS(path, 4, 1, col);

    /* A row vector stays a 1 x n matrix. */
    write_text(tmp_path(path, sizeof path, "row.csv"), "0.1,-2,3.75e-300,42\n");
    CHECK_LOAD_EQUALS(path, 1, 4, col);
}

/* Non-finite values are read as such; rejecting them is fcfit_matrix_check_finite's job. */
static void test_nonfinite(void)
{
    char path[600];
    fcfit_matrix m = {0, 0, NULL};
    write_text(tmp_path(path, sizeof path, "nonfinite.csv"), "nan,inf,-inf\n1,NaN,-Infinity\n");
    CHECK_OK(fcfit_matrix_load(path, &m));
    if (m.data != NULL) {
        CHECK_TRUE(isnan(m.data[0]) && isnan(m.data[4]));
        CHECK_TRUE(isinf(m.data[1]) && m.data[1] > 0);
        CHECK_TRUE(isinf(m.data[2]) && m.data[2] < 0 && isinf(m.data[5]) && m.data[5] < 0);
        CHECK_FAILS(fcfit_matrix_check_finite(&m, "nonfinite.csv"), FCFIT_ERR_INPUT,
                    "row 1, column 1");
    }
    fcfit_matrix_free(&m);
}

/*
 * Rows far longer than the first read chunk (64 KiB) and many rows: no line
 * length limit, geometric growth of both buffers, full-precision values.
 */
static void test_large(void)
{
    char path[600];
    const size_t rows = 3;
    const size_t cols = 20000;
    double *want = malloc(rows * cols * sizeof(double));
    FILE *fp = fopen(tmp_path(path, sizeof path, "wide.csv"), "w");
    if (want == NULL || fp == NULL) {
        CHECK_TRUE(want != NULL && fp != NULL);
        free(want);
        if (fp != NULL) {
            fclose(fp);
        }
        return;
    }
    for (size_t i = 0; i < rows; i++) {
        for (size_t j = 0; j < cols; j++) {
            double v =
                sin(2.385 * (double)(i * cols + j) + 0.5) * pow(10.0, (double)(j % 11) - 5.0);
            want[i * cols + j] = v;
            fprintf(fp, j > 0 ? ",%.17g" : "%.17g", v);
        }
        fputc('\n', fp);
    }
    fclose(fp);
    CHECK_LOAD_EQUALS(path, rows, cols, want);
    free(want);
}

static void test_bad_files(void)
{
    char path[600];

    write_text(tmp_path(path, sizeof path, "header.csv"), "foo,bar,baz\n1,2,3\n");
    CHECK_LOAD_FAILS(path, "header.csv", "line 1, column 1: expected a number, found 'foo'");

    write_text(tmp_path(path, sizeof path, "token.csv"), "# comment\n1,2,3\n4,5x,6\n");
    CHECK_LOAD_FAILS(path, "token.csv", "line 3, column 2: expected a number, found '5x'");

    write_text(tmp_path(path, sizeof path, "ragged.csv"), "1,2,3\n4,5,6\n\n7,8\n");
    CHECK_LOAD_FAILS(path, "ragged.csv", "line 4 has 2 values; expected 3");

    write_text(tmp_path(path, sizeof path, "ragged_long.txt"), "1 2\n3 4 5\n");
    CHECK_LOAD_FAILS(path, "ragged_long.txt", "line 2 has 3 values; expected 2");

    write_text(tmp_path(path, sizeof path, "empty.csv"), "");
    CHECK_LOAD_FAILS(path, "empty.csv", "the file is empty");

    write_text(tmp_path(path, sizeof path, "comments_only.csv"), "# nothing here\n\n   \n");
    CHECK_LOAD_FAILS(path, "comments_only.csv", "empty apart from comments");

    write_text(tmp_path(path, sizeof path, "empty_field.csv"), "1,2,3\n4,,6\n");
    CHECK_LOAD_FAILS(path, "empty_field.csv", "line 2, column 2: empty field");

    write_text(tmp_path(path, sizeof path, "two_trailing.csv"), "1,2,3,,\n");
    CHECK_LOAD_FAILS(path, "two_trailing.csv", "line 1, column 4: empty field");

    write_text(tmp_path(path, sizeof path, "spaces.csv"), "1 2,3\n");
    CHECK_LOAD_FAILS(path, "spaces.csv", "line 1, after column 1: expected ','");

    write_text(tmp_path(path, sizeof path, "spaces.tsv"), "1 2\t3\n");
    CHECK_LOAD_FAILS(path, "spaces.tsv", "line 1, after column 1: expected '\\t'");

    write_text(tmp_path(path, sizeof path, "overflow.csv"), "1,2\n3,1e999\n");
    CHECK_LOAD_FAILS(path, "overflow.csv", "line 2, column 2: '1e999' is too large");

    write_bytes(tmp_path(path, sizeof path, "binary.dat"), "1 2\n3 \0 4\n", 10);
    CHECK_LOAD_FAILS(path, "binary.dat", "line 2 contains a NUL byte");

    write_text(tmp_path(path, sizeof path, "sign_only.txt"), "1 -\n");
    CHECK_LOAD_FAILS(path, "sign_only.txt", "line 1, column 2: expected a number, found '-'");
}

int main(void)
{
    if (!tmp_init_named("tmp_test_matrix")) {
        return 1;
    }
    test_good_files();
    test_nonfinite();
    test_large();
    test_bad_files();
    return fcfit_test_finish();
}
