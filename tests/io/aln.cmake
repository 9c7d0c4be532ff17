# ALN tables (src/io/aln_tables_h5.c, src/tables/): the built-in tables and a sample recomputed by
# the generator against neurolib's reference file (skipped with a message when the shared data
# are absent), the HDF5 round trip and damaged files. About 15 s in a release build.
fcfit_add_io_test(test_aln_tables SOURCES test_aln_tables.c)
target_compile_definitions(test_aln_tables PRIVATE FCFIT_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
