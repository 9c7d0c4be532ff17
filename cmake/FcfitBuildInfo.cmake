# Generates include/fcfit/fcfit_build_info.h with version, git hash and build flags.
find_package(Git QUIET)
set(FCFIT_GIT_HASH "unknown")
if(GIT_FOUND AND EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/.git)
  execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --short=12 HEAD
                  WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
                  OUTPUT_VARIABLE _h OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE _r)
  if(_r EQUAL 0 AND _h)
    set(FCFIT_GIT_HASH ${_h})
    execute_process(COMMAND ${GIT_EXECUTABLE} status --porcelain --untracked-files=no
                    WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
                    OUTPUT_VARIABLE _d OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(_d)
      set(FCFIT_GIT_HASH "${FCFIT_GIT_HASH}-dirty")
    endif()
  endif()
endif()
set(FCFIT_BUILD_FLAGS "${CMAKE_BUILD_TYPE}")
if(FCFIT_ENABLE_SANITIZERS)
  string(APPEND FCFIT_BUILD_FLAGS "+asan+ubsan")
endif()
if(FCFIT_NATIVE)
  string(APPEND FCFIT_BUILD_FLAGS "+native")
endif()
# Compiler and optimisation flags, for `fcfit bench` reports.
string(TOUPPER "${CMAKE_BUILD_TYPE}" _fcfit_bt)
set(FCFIT_COMPILER "${CMAKE_C_COMPILER_ID} ${CMAKE_C_COMPILER_VERSION}")
string(STRIP "${CMAKE_C_FLAGS} ${CMAKE_C_FLAGS_${_fcfit_bt}} -ffp-contract=off -fno-math-errno -fno-trapping-math" FCFIT_C_FLAGS)
if(FCFIT_NATIVE)
  string(APPEND FCFIT_C_FLAGS " -march=native")
endif()
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/cmake/fcfit_build_info.h.in
               ${CMAKE_CURRENT_BINARY_DIR}/include/fcfit/fcfit_build_info.h @ONLY)
