# The fuzz targets of fuzz/ built with the ordinary compiler and replay_main.c: each runs its seed
# corpus (fuzz/corpus/<name>) and its regression inputs (fuzz/regressions/<name>, inputs that once
# crashed a loader, leaked or hung) once, so that every build, gcc included, checks that none of
# them crashes, leaks under ASan, or breaks the target's invariants.
set(_fuzz_dir ${CMAKE_SOURCE_DIR}/fuzz)
add_library(fcfit_fuzz_replay_util STATIC ${_fuzz_dir}/fuzz_util.c ${_fuzz_dir}/replay_main.c)
target_link_libraries(fcfit_fuzz_replay_util PUBLIC fcfit_io)
fcfit_target_warnings(fcfit_fuzz_replay_util)
foreach(t job_text matrix_text matrix_npy matrix_mat matrix_h5 matrix_zip)
  add_executable(fuzz_replay_${t} ${_fuzz_dir}/fuzz_${t}.c)
  target_include_directories(fuzz_replay_${t} PRIVATE ${_fuzz_dir} ${CMAKE_SOURCE_DIR}/src)
  target_link_libraries(fuzz_replay_${t} PRIVATE fcfit_fuzz_replay_util fcfit_io fcfit_core)
  fcfit_target_warnings(fuzz_replay_${t})
  set(_inputs ${_fuzz_dir}/corpus/${t})
  if(EXISTS ${_fuzz_dir}/regressions/${t})
    list(APPEND _inputs ${_fuzz_dir}/regressions/${t})
  endif()
  add_test(NAME fuzz_replay.${t} COMMAND fuzz_replay_${t} ${_inputs})
  set_tests_properties(fuzz_replay.${t} PROPERTIES LABELS io TIMEOUT 300)
endforeach()
