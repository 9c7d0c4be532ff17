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
