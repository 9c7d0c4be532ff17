# Compiler warnings and sanitizers. No -ffast-math anywhere: it lets the compiler drop NaN checks
# and reassociate sums, which would break divergence detection and bitwise reproducibility.
function(fcfit_target_warnings tgt)
  target_compile_options(${tgt} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes
                                        -Wmissing-prototypes -Wno-unused-parameter)
  if(FCFIT_WARNINGS_AS_ERRORS)
    target_compile_options(${tgt} PRIVATE -Werror)
  endif()
  if(FCFIT_ENABLE_ERROR_CHECKS)
    target_compile_definitions(${tgt} PRIVATE FCFIT_ENABLE_ERROR_CHECKS=1)
  endif()
  # Keep floating-point contraction off so that a*b+c rounds the same with and without FMA
  # hardware: results must be bitwise identical across builds on one machine and batch sizes.
  # -fno-trapping-math only says that floating-point exceptions are never observed (fcfit
  # never reads the FP status flags); values are unchanged, and it lets the vectoriser turn
  # the branch-free selects of the kernels (x > a ? u : v) into vector blends.
  target_compile_options(${tgt} PRIVATE -ffp-contract=off -fno-math-errno -fno-trapping-math)
  if(FCFIT_NATIVE)
    # One instruction set: no need for the run-time choice among cloned kernels.
    target_compile_options(${tgt} PRIVATE -march=native)
    target_compile_definitions(${tgt} PRIVATE FCFIT_NO_CLONES=1)
  endif()
endfunction()

if(FCFIT_ENABLE_SANITIZERS)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
