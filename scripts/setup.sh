#!/usr/bin/env bash
# Install fcfit's Debian/Ubuntu dependencies (as root, or through sudo) and build it in ./build.
#   bash scripts/setup.sh              install packages, configure, build
#   bash scripts/setup.sh --no-install only configure and build
# Environment: FCFIT_BUILD_DIR (default build), FCFIT_BUILD_TYPE (default Release).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(build-essential cmake pkg-config git
          openmpi-bin libopenmpi-dev libhdf5-openmpi-dev hdf5-tools
          libgsl-dev libnlopt-dev libfyaml-dev libmatio-dev libopenblas-dev libzip-dev zlib1g-dev
          python3 python3-h5py python3-numpy python3-matplotlib python3-pandas python3-xarray
          clang libclang-rt-14-dev)   # clang: the fuzzing and clang builds of scripts/test.sh

install=1
for arg in "$@"; do
  case "$arg" in
    --no-install) install=0 ;;
    *) echo "setup.sh: unknown option $arg (use --no-install)" >&2; exit 2 ;;
  esac
done

if [ "$install" = 1 ]; then
  missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then SUDO=(); else SUDO=(sudo); fi
    echo "setup.sh: installing ${missing[*]}"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      -o DPkg::Lock::Timeout=600 "${missing[@]}"
  fi
fi

build_dir="${FCFIT_BUILD_DIR:-build}"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${FCFIT_BUILD_TYPE:-Release}" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
echo "setup.sh: built $build_dir/fcfit"
