# FCFIT_FUZZ=ON: every target is compiled with clang's coverage instrumentation for libFuzzer
# (-fsanitize=fuzzer-no-link) plus AddressSanitizer and UndefinedBehaviorSanitizer, and fuzz/
# adds one libFuzzer executable per target and a short fuzzing run per target to the tests
# (label "fuzz"). Configure with: CC=clang cmake -S . -B build-fuzz -DFCFIT_FUZZ=ON
if(FCFIT_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "fcfit: FCFIT_FUZZ needs clang (libFuzzer ships with it); configure with "
                        "CC=clang (Debian: apt-get install clang libclang-rt-14-dev)")
  endif()
  set(FCFIT_ENABLE_SANITIZERS ON CACHE BOOL
      "Build with AddressSanitizer and UndefinedBehaviorSanitizer" FORCE)
  add_compile_options(-fsanitize=fuzzer-no-link)
  add_compile_definitions(FCFIT_FUZZING=1)
endif()
