#!/usr/bin/env bash
# Source rules that a compiler does not check:
#  - the numerical core never includes mpi.h or hdf5.h and never prints;
#  - MPI_Abort appears in exactly one file; exit( only in src/app; no abort() or assert();
#  - no file of the repository refers to notes that are not part of it.
set -u
root="$1"
cd "$root" || exit 1
fail=0
core_dirs="src/core src/config src/connectome src/models src/integrate src/bold src/fc src/optim"
if grep -nE '#include *[<"](mpi|hdf5)\.h' $core_dirs -r; then
  echo "lint: a core file includes mpi.h or hdf5.h"; fail=1
fi
# Kernels do not print.
kernel_dirs="src/connectome src/models src/integrate src/bold src/fc"
if grep -nE '\b(printf|fprintf|puts|perror)\s*\(' $kernel_dirs -r; then
  echo "lint: a core file prints"; fail=1
fi
n=$(grep -lE '\bMPI_Abort\s*\(' -r src | wc -l)
if [ "$n" -gt 1 ]; then
  grep -lE '\bMPI_Abort\s*\(' -r src; echo "lint: MPI_Abort in more than one file"; fail=1
fi
if grep -nE '(^|[^_a-z])exit\s*\(' -r src | grep -v '^src/app/'; then
  echo "lint: exit() outside src/app"; fail=1
fi
if grep -nE '(^|[^_a-z])(abort|assert)\s*\(' -r src | grep -v 'MPI_Abort'; then
  echo "lint: abort() or assert() in src"; fail=1
fi
if grep -rn -- '-ffast-math' CMakeLists.txt cmake src | grep -v '#'; then
  echo "lint: -ffast-math"; fail=1
fi
# Hot loops vectorise: every loop tagged /* fcfit:vectorize */ must be reported vectorised by
# GCC (-fopt-info-vec) in each instruction-set version of its function (16-, 32- and 64-byte
# vectors: baseline x86-64, AVX2, AVX-512). A model or kernel change that makes a loop scalar
# (a branch, a libm call, too many arrays to prove independent) fails here.
if [ "$(uname -m)" = x86_64 ] && command -v gcc >/dev/null 2>&1; then
  for f in $(grep -rl 'fcfit:vectorize' src); do
    out=$(gcc -std=gnu11 -O3 -ffp-contract=off -fno-math-errno -fno-trapping-math -Iinclude -Isrc \
          $(pkg-config --cflags openblas 2>/dev/null) -c "$f" -o /dev/null -fopt-info-vec-optimized 2>&1)
    for ln in $(grep -n 'fcfit:vectorize' "$f" | cut -d: -f1); do
      for width in 16 32 64; do
        if ! printf '%s\n' "$out" | grep -q "^$f:$ln:.*loop vectorized using $width byte vectors"; then
          echo "lint: $f:$ln is tagged fcfit:vectorize, but GCC did not vectorise it with $width-byte vectors"
          fail=1
        fi
      done
    done
  done
fi
# The repository stands on its own: no file points at design or model notes that a user's clone
# does not have (the notes' names are split here so that this file does not match itself).
notes="MODEL""S|DESIG""N|STYL""E"
pattern="(^|[^A-Za-z_])(${notes})\.md|\.\./shared/do""cs"
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  hits=$(git -C "$root" ls-files -z --cached --others --exclude-standard | xargs -0 grep -lIE "$pattern" -- 2>/dev/null)
else
  hits=$(grep -rlIE "$pattern" . --exclude-dir=.git --exclude-dir='build*' 2>/dev/null)
fi
if [ -n "$hits" ]; then
  printf '%s\n' "$hits" | while read -r f; do grep -nHE "$pattern" "$f"; done
  echo "lint: files point at notes outside the repository; cite the paper or a page under docs/"
  fail=1
fi
[ $fail = 0 ] && echo "lint: ok"
exit $fail
