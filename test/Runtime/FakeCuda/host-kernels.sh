#!/usr/bin/env bash
# Usage: host-kernels.sh NNGC_OBJ MLIR_TRANSLATE CC MODEL.mlir OUT.so [OPTION...]
#
# The GPU kernels of MODEL's CUDA trainer compiled for the host, for the
# fake driver's emulator (NNGC_FAKE_CUDA_KERNELS=OUT.so): the training
# graph nngc compile --target=cuda builds, then the GPU pipeline's first
# passes (the --check-numerics checks, the kernels) and
# nngc-gpu-kernels-to-host, so the kernels have the names the trainer's
# PTX gives them. Used by test/e2e/cuda-emulated.sh, cuda-numerics.test
# and bench/gpu/prepare.sh --emulate. OPTIONs go to nngc compile (the
# trainer's own, e.g. --precision=bf16).
set -euo pipefail
obj=$1 translate=$2 cc=$3 model=$4 out=$5
shift 5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$obj/bin/nngc" compile "$model" --target=cuda "$@" --emit=nn -o "$tmp/model.nn.mlir"
"$obj/bin/nngc-opt" --nngc-insert-numerics-checks --nngc-convert-nn-to-gpu-kernels \
  --nngc-gpu-kernels-to-host "$tmp/model.nn.mlir" |
  "$translate" --mlir-to-llvmir -o "$tmp/model.host.ll"
"$cc" -O1 -shared -fPIC -Wno-override-module "$tmp/model.host.ll" -o "$out" \
  -L"$obj/test/fake-cuda" -l:libcuda.so.1 -lm
