#!/usr/bin/env bash
# Build fcfit and run the whole test suite: every test in a Release build, then the unit and
# loader tests again under AddressSanitizer + UndefinedBehaviorSanitizer (gcc), then a clang build
# with ASan + UBSan + libFuzzer instrumentation that runs the unit and loader tests once more and
# fuzzes every input reader for FCFIT_FUZZ_SECONDS (default 20) each (fuzz/README.md).
# Exits non-zero when any test fails. Dependencies: bash scripts/setup.sh (installs them).
# FCFIT_TEST_NO_FUZZ=1 skips the clang build (for machines without clang).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="$(nproc)"

# Open MPI refuses to run as root and to oversubscribe unless told; tests run mpirun as root in CI.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DFCFIT_WARNINGS_AS_ERRORS=ON >/dev/null
cmake --build build -j "$jobs"
(cd build && ctest --output-on-failure -j "$jobs")

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DFCFIT_ENABLE_SANITIZERS=ON \
      -DFCFIT_ENABLE_ERROR_CHECKS=ON -DFCFIT_WARNINGS_AS_ERRORS=ON >/dev/null
cmake --build build-asan -j "$jobs"
(cd build-asan && ctest --output-on-failure -j "$jobs" -L '^(unit|io)$')

if [ "${FCFIT_TEST_NO_FUZZ:-0}" != 1 ]; then
  CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFCFIT_FUZZ=ON \
        -DFCFIT_FUZZ_SECONDS="${FCFIT_FUZZ_SECONDS:-20}" -DFCFIT_WARNINGS_AS_ERRORS=ON >/dev/null
  cmake --build build-fuzz -j "$jobs"
  (cd build-fuzz && ctest --output-on-failure -j "$jobs" -L '^(unit|io|fuzz)$')
fi
echo "test.sh: all tests passed"
