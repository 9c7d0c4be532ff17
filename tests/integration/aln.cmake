# ALN tables from the command line (tests/integration/aln_cli.py): `fcfit tables aln` on 1 and 2
# ranks (bitwise the same), usage errors, jobs whose neuron differs from their tables, a job with
# its own tables, damaged tables files (exit 2 naming the file). About 15 s.
set(_aln_env "OMPI_ALLOW_RUN_AS_ROOT=1" "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"
             "OMPI_MCA_rmaps_base_oversubscribe=1")
set(_aln_mpiexec "")
if(MPIEXEC_EXECUTABLE)
  set(_aln_mpiexec ${MPIEXEC_EXECUTABLE})
endif()
add_test(NAME integration.aln_tables
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/aln_cli.py --fcfit $<TARGET_FILE:fcfit>
                 --mpiexec "${_aln_mpiexec}" --tmp ${CMAKE_CURRENT_BINARY_DIR}/tmp_aln)
set_tests_properties(integration.aln_tables PROPERTIES LABELS "integration" TIMEOUT 300 PROCESSORS 2
                     ENVIRONMENT "${_aln_env}")

# The whole default grid remade by `mpirun -n 2 fcfit tables aln --compact` must equal the shipped
# src/tables/aln_default_tables.bin byte for byte. About 27 CPU minutes, so registered (label
# "slow") only when configured with -DFCFIT_SLOW_TESTS=ON.
option(FCFIT_SLOW_TESTS "Register the tests that take tens of minutes" OFF)
if(FCFIT_SLOW_TESTS AND MPIEXEC_EXECUTABLE)
  add_test(NAME slow.aln_default_tables
           COMMAND sh -c "${MPIEXEC_EXECUTABLE} -n 2 $<TARGET_FILE:fcfit> tables aln --compact aln_full.bin -o aln_full.h5 && cmp aln_full.bin ${PROJECT_SOURCE_DIR}/src/tables/aln_default_tables.bin"
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(slow.aln_default_tables PROPERTIES LABELS "slow" TIMEOUT 5400 PROCESSORS 2
                       ENVIRONMENT "${_aln_env}")
endif()
