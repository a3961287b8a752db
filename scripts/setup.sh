#!/usr/bin/env bash
# Installs every Debian package nngc needs to build, test and run its demo.
# Idempotent: apt is only called when a package is missing.
set -euo pipefail

PACKAGES=(
  # build
  cmake ninja-build g++ ccache
  llvm-19-dev libmlir-19-dev mlir-19-tools llvm-19-tools
  libdnnl-dev libboost-program-options-dev zlib1g-dev libgtest-dev
  # data-parallel trainers (nngc compile --distributed=mpi) and mpirun
  libopenmpi-dev openmpi-bin
  # demo data: the fortune cookie texts (the language model demo),
  # sklearn's digits, breast_cancer and diabetes CSVs, and statsmodels'
  # series (the forecasting example's sunspots)
  fortunes python3-sklearn python3-statsmodels
  # tests: the numerical oracle and lit's interpreter
  python3 python3-numpy python3-torch python3-psutil
  # a fair PyTorch peer for benchmarks (see ../shared/bench/BASELINES.md)
  libopenblas0-openmp
  # the fuzzer and sanitizer builds (scripts/fuzz.sh, scripts/sanitize.sh)
  clang-19 libfuzzer-19-dev libclang-rt-19-dev
  # rendering `trainer plot`'s SVG in a test (test/e2e/plot.test)
  chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
