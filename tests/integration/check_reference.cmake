# Fails when the committed job reference differs from what the registry generates.
execute_process(COMMAND ${FCFIT} keys --markdown OUTPUT_VARIABLE generated RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "fcfit keys --markdown failed (${rc})")
endif()
file(READ ${REF} committed)
if(NOT generated STREQUAL committed)
  message(FATAL_ERROR "${REF} is out of date; regenerate it with: fcfit keys --markdown > docs/job-reference.md")
endif()
