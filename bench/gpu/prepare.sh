#!/usr/bin/env bash
# Builds, on a machine with nngc (no GPU needed), everything the GPU check
# (bench/gpu/device.sh) runs, into one package for a GPU machine that has
# the NVIDIA driver, CUDA 13's cuBLASLt and python3 but neither nngc nor
# its build dependencies (LLVM/MLIR, oneDNN, Boost): the device machines
# lent to this project have CUDA and PyTorch, and nothing can be
# installed on them.
#
# Usage: bench/gpu/prepare.sh [--emulate] [--examples "NAME ..."] PKGDIR
#
# PKGDIR gets:
#   bin/NAME.cuda, bin/NAME.cpu  every example's CUDA trainer (sm_80 PTX,
#                                which the driver compiles for the GPU it
#                                finds) and CPU trainer
#   bin/gpt_small.PREC.cuda      gpt_small for fp32, tf32 and bf16
#                                products, sm_90 PTX
#   lib/                         the CPU trainers' shared libraries that a
#                                CUDA machine may lack (oneDNN, its OpenCL
#                                loader, libgomp, zlib; not libc or
#                                libstdc++, which are newer there)
#   compare_trainers.py, torch_gpt.py, ref_models.py (../shared/bench),
#   run.sh (bench/gpu/device.sh), examples.txt, BUILD (commit, date)
# and PKGDIR.tar.xz beside it (xz: oneDNN alone is 40 MB), at most 60 MiB
# so that it travels to a device machine (its limit is 64 MiB).
#
# --emulate: also the examples' kernels compiled for the host
# (emulate/NAME.kernels.so, nngc-gpu-kernels-to-host) and the fake driver
# and cuBLASLt (test/Runtime/FakeCuda), so that run.sh runs here, without
# a GPU, with NNGC_GPU_EMULATE=1 (the package's own test,
# test/e2e/gpu-package.test). Needs mlir-translate-19 and clang-19
# (or NNGC_MLIR_TRANSLATE and NNGC_HOST_CC). NNGC_BUILD_DIR: nngc's build
# (default build/).
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
emulate=0
examples=""
while [ $# -gt 1 ]; do
  case $1 in
  --emulate) emulate=1; shift ;;
  --examples) examples=$2; shift 2 ;;
  *) echo "prepare.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ $# -eq 1 ] || { echo "usage: prepare.sh [--emulate] [--examples \"NAME ...\"] PKGDIR" >&2; exit 2; }
pkg=$1
obj=${NNGC_BUILD_DIR:-$src/build}
nngc=$obj/bin/nngc
if [ ! -x "$nngc" ] || [ ! -f "$obj/lib/libnngc_cuda.a" ]; then
  echo "prepare.sh: no $nngc with the CUDA runtime (scripts/build.sh with cuda.h and cublasLt.h)" >&2
  exit 2
fi
if [ -z "$examples" ]; then
  for m in "$src"/examples/*.mlir; do examples="$examples $(basename "$m" .mlir)"; done
fi
ref=$src/../shared/bench/ref_models.py
rm -rf "$pkg" "$pkg.tar.xz"
mkdir -p "$pkg/bin" "$pkg/lib"

: >"$pkg/examples.txt"
for name in $examples; do
  model=$src/examples/$name.mlir
  if ! "$nngc" compile "$model" --target=cuda -o "$pkg/bin/$name.cuda" 2>"$pkg/bin/$name.err"; then
    # Listed with the compiler's reason, not dropped silently.
    echo "$name not-compiled $(grep -m1 error "$pkg/bin/$name.err" | tr -s ' ')" >>"$pkg/examples.txt"
    continue
  fi
  "$nngc" compile "$model" -o "$pkg/bin/$name.cpu"
  rm -f "$pkg/bin/$name.err"
  echo "$name" >>"$pkg/examples.txt"
done
for precision in fp32 tf32 bf16; do
  "$nngc" compile "$src/examples/gpt_small.mlir" --target=cuda --gpu-arch=sm_90 \
    --precision=$precision -o "$pkg/bin/gpt_small.$precision.cuda"
done
# gpt_tiny's trainer with bf16 activations (nngc-store-bf16), checked
# against the f32 CPU trainer at bf16's precision (device.sh).
if grep -qx gpt_tiny "$pkg/examples.txt"; then
  "$nngc" compile "$src/examples/gpt_tiny.mlir" --target=cuda --precision=bf16 \
    -o "$pkg/bin/gpt_tiny.bf16.cuda"
  cp "$pkg/bin/gpt_tiny.cpu" "$pkg/bin/gpt_tiny.bf16.cpu"
  echo gpt_tiny.bf16 >>"$pkg/examples.txt"
fi

# The libraries the trainers load that are not the C and C++ runtime.
for t in "$pkg"/bin/*; do ldd "$t"; done | awk '/=> \// {print $1, $3}' | sort -u |
  while read -r soname path; do
    case $soname in
    libc.so.*|libm.so.*|libstdc++.so.*|libgcc_s.so.*|ld-linux*|libpthread.so.*|libdl.so.*|librt.so.*) ;;
    # The fake driver's test setup can put it on the path; never package it.
    libcuda.so.*|libcublasLt.so.*) ;;
    *) cp -L "$path" "$pkg/lib/$soname" ;;
    esac
  done

cp "$src/bench/gpu/compare_trainers.py" "$src/bench/gpu/torch_gpt.py" "$pkg/"
cp "$src/bench/gpu/device.sh" "$pkg/run.sh"
chmod +x "$pkg/run.sh"
if [ -f "$ref" ]; then cp "$ref" "$pkg/ref_models.py"; fi
{
  echo "commit $(git -C "$src" rev-parse HEAD 2>/dev/null || echo unknown)$(git -C "$src" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n)"
} >"$pkg/BUILD"

if [ $emulate = 1 ]; then
  mkdir -p "$pkg/emulate"
  translate=${NNGC_MLIR_TRANSLATE:-$(command -v mlir-translate-19 || echo /usr/lib/llvm-19/bin/mlir-translate)}
  cc=${NNGC_HOST_CC:-$(command -v clang-19 || echo /usr/lib/llvm-19/bin/clang)}
  cp -L "$obj/test/fake-cuda/libcuda.so.1" "$obj/test/fake-cuda/libcublasLt.so.13" "$pkg/emulate/"
  while read -r name rest; do
    [ -z "$rest" ] || continue
    options=()
    case $name in *.bf16) options=(--precision=bf16) ;; esac
    "$src/test/Runtime/FakeCuda/host-kernels.sh" "$obj" "$translate" "$cc" \
      "$src/examples/${name%.bf16}.mlir" "$pkg/emulate/$name.kernels.so" "${options[@]}"
  done <"$pkg/examples.txt"
fi

tar -C "$(dirname "$pkg")" -cf - "$(basename "$pkg")" | xz -T0 -6 >"$pkg.tar.xz"
bytes=$(stat -c %s "$pkg.tar.xz")
echo "prepare.sh: $pkg.tar.xz, $((bytes / 1048576)) MiB: $(grep -vc ' ' "$pkg/examples.txt") examples"
if [ "$bytes" -gt $((60 << 20)) ]; then
  echo "prepare.sh: the package is over 60 MiB; it cannot travel to a device machine" >&2
  exit 1
fi
