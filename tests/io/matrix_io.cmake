# Tests of the matrix loaders (include/fcfit/fcfit_matrix_io.h): one executable per format plus the
# spec/dispatch/CSV-export test, which also compares the shared datasets when they are present.
# Fixtures are written at run time into $FCFIT_TEST_TMP.
fcfit_add_io_test(test_matrix_text SOURCES test_matrix_text.c)
fcfit_add_io_test(test_matrix_npy SOURCES test_matrix_npy.c)
fcfit_add_io_test(test_matrix_mat SOURCES test_matrix_mat.c)
fcfit_add_io_test(test_matrix_h5 SOURCES test_matrix_h5.c)
target_compile_definitions(test_matrix_h5 PRIVATE FCFIT_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
fcfit_add_io_test(test_matrix_load SOURCES test_matrix_load.c)
fcfit_add_io_test(test_matrix_zip SOURCES test_matrix_zip.c)
