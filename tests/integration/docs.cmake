# docs/job-reference.md is generated from the key registry: it must match `fcfit keys --markdown`.
add_test(NAME job_reference_current
         COMMAND ${CMAKE_COMMAND} -DFCFIT=$<TARGET_FILE:fcfit>
                 -DREF=${CMAKE_SOURCE_DIR}/docs/job-reference.md
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/check_reference.cmake)
set_tests_properties(job_reference_current PROPERTIES LABELS integration)
add_test(NAME source_lint COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/lint.sh ${CMAKE_SOURCE_DIR})
set_tests_properties(source_lint PROPERTIES LABELS integration)
add_test(NAME feature_bold_peak
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/features.py $<TARGET_FILE:fcfit>
                 ${CMAKE_CURRENT_BINARY_DIR}/tmp_feature_bold_peak bold_peak)
set_tests_properties(feature_bold_peak PROPERTIES LABELS integration TIMEOUT 300)
add_test(NAME feature_config_precedence
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/features.py $<TARGET_FILE:fcfit>
                 ${CMAKE_CURRENT_BINARY_DIR}/tmp_feature_config config_precedence)
set_tests_properties(feature_config_precedence PROPERTIES LABELS integration TIMEOUT 300)
add_test(NAME feature_sbatch_script
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/features.py $<TARGET_FILE:fcfit>
                 ${CMAKE_CURRENT_BINARY_DIR}/tmp_feature_sbatch sbatch_script)
set_tests_properties(feature_sbatch_script PROPERTIES LABELS "integration;mpi" TIMEOUT 600
  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1")
# Every relative link of the Markdown files (README, docs/, ...) resolves, anchors included.
add_test(NAME doc_links
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/doc_links.py ${CMAKE_SOURCE_DIR})
set_tests_properties(doc_links PROPERTIES LABELS integration)
