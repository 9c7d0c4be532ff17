#!/bin/bash
# Without requeue permission (or with --no-requeue): submit a chain of N links of
# fcfit_run.sbatch, each starting after the previous one ended however it ended (afterany).
# Each link resumes the results file; once it is complete, the remaining links find nothing to
# do and end at once with exit 0.
#
#   bash slurm/fcfit_chain.sh 10 --ntasks=17 --time=04:00:00 -- jobs/my_job.yaml results.h5
set -eu
n="${1:?usage: fcfit_chain.sh LINKS [sbatch options] -- JOB.yaml RESULTS.h5 [fcfit options]}"
shift
opts=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
dir="$(cd "$(dirname "$0")" && pwd)"
prev=""
for ((k = 1; k <= n; k++)); do
  dep=()
  [ -n "$prev" ] && dep=(--dependency=afterany:"$prev")
  prev="$(sbatch --parsable --no-requeue "${dep[@]}" "${opts[@]}" "$dir/fcfit_run.sbatch" "$@")"
  prev="${prev%%;*}"
  echo "link $k: job $prev"
done
