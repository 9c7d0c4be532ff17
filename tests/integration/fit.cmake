# What a user reads about a fit (fit_quality.py): the target FC rule, warnings from fcfit check,
# diagnostics and warnings in the results file and the report, the results file's size,
# per-subject connectomes, and progress inside long batches.
foreach(case target_rule check_warnings diagnostics results_size subjects progress)
  add_test(NAME fit_${case}
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/fit_quality.py $<TARGET_FILE:fcfit>
                   ${CMAKE_CURRENT_BINARY_DIR}/tmp_fit_${case} ${case})
  set_tests_properties(fit_${case} PROPERTIES LABELS "integration;mpi" TIMEOUT 600
    ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1")
endforeach()
