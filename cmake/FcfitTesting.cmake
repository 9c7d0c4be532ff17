# Test registration helpers.
#
# fcfit_add_unit_test(name SOURCES a.c [b.c] [LIBS extra] [LABELS more])
#   builds tests/<name> from the sources and the harness, links fcfit_core (only), registers it
#   with label "unit". Exit code 77 means "skipped" (for example, shared data absent).
# fcfit_add_io_test: the same, linking fcfit_io (HDF5, matio), label "io".
set(FCFIT_SHARED_DATA_DIR "${CMAKE_SOURCE_DIR}/../shared/data" CACHE PATH
    "Directory of the shared public datasets (tests skip when absent)")

function(_fcfit_add_test_exe name label baselib)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/tests ${CMAKE_SOURCE_DIR}/src)
  target_link_libraries(${name} PRIVATE ${baselib} ${T_LIBS})
  fcfit_target_warnings(${name})
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS "${label};${T_LABELS}" SKIP_RETURN_CODE 77
    ENVIRONMENT "FCFIT_SHARED_DATA=${FCFIT_SHARED_DATA_DIR};FCFIT_TEST_TMP=${CMAKE_CURRENT_BINARY_DIR}/tmp_${name}")
endfunction()

function(fcfit_add_unit_test name)
  _fcfit_add_test_exe(${name} unit fcfit_core ${ARGN})
endfunction()

function(fcfit_add_io_test name)
  _fcfit_add_test_exe(${name} io fcfit_io ${ARGN})
endfunction()
