#!/usr/bin/env bash
# Benchmarks of `fcfit run` (figures for docs/performance.md); not part of the test suite.
#   bash bench/bench_sweep.sh [build_dir]        (default build)
# Prints: the coordinator's task rate with a trivial simulation on 4 ranks, and the wall time of
# a 64-point sweep of 100-region RWW (60 s each) on 1 and on 2 workers with the efficiency.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
fcfit="$build/fcfit"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# Wall seconds of a command (its output discarded).
wall() {
  /usr/bin/time -f "%e" -o "$tmp/time" "$@" >/dev/null 2>"$tmp/stderr" || {
    cat "$tmp/stderr" >&2; exit 1; }
  cat "$tmp/time"
}

echo "== coordinator overhead: trivial simulation, 2000 tasks"
n=2000
t4=$(wall mpirun -n 4 "$fcfit" run bench/jobs/trivial_sweep.yaml -o "$tmp/t4.h5")
t1=$(wall "$fcfit" run bench/jobs/trivial_sweep.yaml -o "$tmp/t1.h5")
awk -v n=$n -v t="$t4" 'BEGIN{printf "4 ranks (3 workers): %.2f s, %.0f tasks/s, %.2f ms per task\n", t, n/t, 1000*t/n}'
awk -v n=$n -v t="$t1" 'BEGIN{printf "1 rank (no messages): %.2f s, %.0f tasks/s\n", t, n/t}'
echo "results on 1 and 4 ranks: $(/usr/bin/python3 scripts/fcfit_results.py compare "$tmp/t1.h5" "$tmp/t4.h5" | tail -1)"

echo "== 64-point sweep, 100-region RWW, 60 s simulated each"
w2=$(wall mpirun -n 2 "$fcfit" run bench/jobs/rww100_sweep64.yaml -o "$tmp/s2.h5")
w3=$(wall mpirun -n 3 "$fcfit" run bench/jobs/rww100_sweep64.yaml -o "$tmp/s3.h5")
echo "1 worker (2 ranks): ${w2} s"
echo "2 workers (3 ranks): ${w3} s"
awk -v a="$w2" -v b="$w3" 'BEGIN{printf "speed-up %.2f, parallel efficiency %.0f%%\n", a/b, 100*a/(2*b)}'
echo "results on 1 and 2 workers: $(/usr/bin/python3 scripts/fcfit_results.py compare "$tmp/s2.h5" "$tmp/s3.h5" | tail -1)"
