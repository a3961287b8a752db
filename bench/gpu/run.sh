#!/usr/bin/env bash
# GPU verification of nngc's CUDA trainer, in one call, on a machine that
# has both nngc's build and one NVIDIA GPU with the CUDA 13 driver
# (docs/CUDA.md): builds the package (bench/gpu/prepare.sh) and runs it
# (bench/gpu/device.sh, which says what it checks).
#
# Where the GPU machine has no nngc build and no way to install one (the
# device machines lent to this project have CUDA and PyTorch only), build
# the package here and run it there:
#
#   bench/gpu/prepare.sh .gpu/nngc-gpu            # here: .gpu/nngc-gpu.tar.xz
#   # there, with .gpu carried:
#   tar -xJf .gpu/nngc-gpu.tar.xz -C /tmp && /tmp/nngc-gpu/run.sh "$OUT"
#
# Usage: bench/gpu/run.sh [OUTDIR]   (default /tmp/nngc-gpu); builds nngc
# first (scripts/build.sh) if build/bin/nngc is missing. Exit status 1 if
# any compiled example mismatches.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-/tmp/nngc-gpu}
mkdir -p "$OUT"
if [ ! -x build/bin/nngc ] || [ ! -f build/lib/libnngc_cuda.a ]; then
  scripts/build.sh >"$OUT/build.log" 2>&1 || { echo "build failed: $OUT/build.log"; exit 2; }
fi
bench/gpu/prepare.sh "$OUT/pkg" || exit 2
"$OUT/pkg/run.sh" "$OUT"
