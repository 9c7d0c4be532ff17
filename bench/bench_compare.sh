#!/usr/bin/env bash
# Compare two fcfit builds on the speed workloads of `fcfit bench`, in CPU seconds.
#   bash bench/bench_compare.sh OLD_FCFIT NEW_FCFIT [DATA_DIR] [RUNS]
# The workloads' job keys come from `NEW_FCFIT bench --list`, so an old build without the bench
# command can be measured on exactly the same jobs: each single-simulation workload runs as
# `fcfit simulate`, the lanes workload as a 16-point sweep (`fcfit run`, one rank,
# run.batch_lanes 8). OLD and NEW alternate (OLD NEW OLD NEW ...) so that a drift of the
# machine's speed affects both; the median of RUNS (default 3) user+system times is printed with
# the node-steps per CPU-second it gives (process time: job loading and output included, so
# the figures sit slightly below those of `fcfit bench`, which times the evaluation only).
set -euo pipefail
old="$1"
new="$2"
data="${3:-../shared/data}"
runs="${4:-3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

"$new" bench --list --data "$data" >"$tmp/list.txt"
# One job file per workload ("# name: ..." starts a workload).
awk -v dir="$tmp" '/^# /{name=$2; sub(":", "", name); file=dir "/" name ".yaml"; next}
                   NF>0 && file!="" {print >> file}' "$tmp/list.txt"

cpu() { # cpu seconds of one run of "$@"
  /usr/bin/time -f "%U %S" -o "$tmp/t" "$@" >/dev/null 2>"$tmp/err" || {
    cat "$tmp/err" >&2; echo "nan"; return; }
  awk '{print $1 + $2}' "$tmp/t"
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf "%-15s %12s %12s %14s %14s %8s\n" workload "old cpu s" "new cpu s" "old steps/s" \
  "new steps/s" "new/old"
for job in dmf100 dmf100_lanes dmf84_delays dmf100_delays hopf80_delays wc80_delays mpr84 \
           rww998_delays; do
  f="$tmp/$job.yaml"
  [ -f "$f" ] || continue
  if ! grep -q "^connectome.weights" "$f"; then continue; fi
  if [ ! -f "$(awk '/^connectome.weights:/{print $2}' "$f")" ]; then
    echo "$job: skipped (input data not found)"; continue
  fi
  cmd=(simulate "$f" -o "$tmp/out.h5" --force)
  points=1
  if [ "$job" = dmf100_lanes ]; then
    printf 'sweep.params: {model.dmf.G: {linspace: [1.5, 2.5, 16]}}\nrun.batch_lanes: 8\n' >>"$f"
    printf 'output.save_fc: false\n' >>"$f"
    cmd=(run "$f" -o "$tmp/out.h5" --force)
    points=16
  fi
  : >"$tmp/old"; : >"$tmp/new"
  for ((r = 0; r < runs; r++)); do
    cpu "$old" "${cmd[@]}" >>"$tmp/old"
    cpu "$new" "${cmd[@]}" >>"$tmp/new"
  done
  o=$(median <"$tmp/old"); n=$(median <"$tmp/new")
  # node-steps: regions x steps x points (regions from the new build's `check`)
  regions=$("$new" check "$f" | awk '/regions,/{print $1; exit}')
  dur=$(awk '/^sim.duration_s:/{print $2}' "$f")
  awk -v j="$job" -v o="$o" -v n="$n" -v N="$regions" -v d="$dur" -v p="$points" 'BEGIN {
    s = N * d * 1e4 * p;  # dt 0.1 ms in every workload
    printf "%-15s %12.2f %12.2f %14.3g %14.3g %8.2f\n", j, o, n, s / o, s / n, o / n }'
done
