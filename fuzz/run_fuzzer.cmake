# One short fuzzing run (ctest fuzz.<name>): copy the seed corpus and the regression inputs into a
# fresh working corpus, fuzz for SECONDS, and fail when libFuzzer reports a crash, a leak, a
# timeout or an out-of-memory. Crashing inputs are left in WORK/artifacts/ with the log.
# cmake -DFUZZER=exe -DNAME=name -DSECONDS=s -DSRC=fuzz-source-dir -DWORK=dir -P run_fuzzer.cmake
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/corpus ${WORK}/artifacts)
foreach(d corpus regressions)
  if(EXISTS ${SRC}/${d}/${NAME})
    file(GLOB _seeds ${SRC}/${d}/${NAME}/*)
    if(_seeds)
      file(COPY ${_seeds} DESTINATION ${WORK}/corpus)
    endif()
  endif()
endforeach()
# -rss_limit_mb: the loaders must bound their memory by the size of the file; -timeout: no input
# of a few kilobytes may take long (above the 10 s CPU limit of the guarded reader processes in
# fuzzing builds, so that a hanging library is reported as the file's fault, not as a timeout).
execute_process(COMMAND ${FUZZER} -max_total_time=${SECONDS} -timeout=30 -rss_limit_mb=2048
                        -max_len=65536 -print_final_stats=1 -artifact_prefix=${WORK}/artifacts/
                        ${WORK}/corpus
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
file(WRITE ${WORK}/fuzz.log "${out}${err}")
string(REGEX MATCH "stat::number_of_executed_units: *([0-9]+)" _m "${err}")
set(execs ${CMAKE_MATCH_1})
if(NOT rc EQUAL 0)
  string(LENGTH "${err}" _len)
  if(_len GREATER 6000)
    math(EXPR _from "${_len} - 6000")
    string(SUBSTRING "${err}" ${_from} 6000 err)
  endif()
  message(FATAL_ERROR "fuzz ${NAME}: libFuzzer exited with ${rc} after ${execs} executions; "
                      "inputs in ${WORK}/artifacts, log in ${WORK}/fuzz.log\n${err}")
endif()
message("fuzz ${NAME}: ${execs} executions in ${SECONDS} s without a crash, leak or timeout")
