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
