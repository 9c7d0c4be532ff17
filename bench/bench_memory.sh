#!/usr/bin/env bash
# Resident memory and wall time of a 10-minute, 100-region RWW simulation with BOLD.
#   bash bench/bench_memory.sh [build_dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
out="$(mktemp -d)/bench.h5"
/usr/bin/time -v "$build/fcfit" simulate bench/jobs/rww100_10min.yaml -o "$out" 2>&1 |
  grep -E "status|Maximum resident|Elapsed|User time"
rm -rf "$(dirname "$out")"
