#!/usr/bin/env bash
# Usage: cuda-emulated.sh NNGC_OBJ MLIR_TRANSLATE CC MODEL.mlir OUTDIR NAME [dropout]
#
# The CUDA trainer of MODEL against its CPU trainer, with the CUDA kernels
# computing on the host: the fake driver (test/Runtime/FakeCuda) runs the
# kernels compiled for the host by nngc-gpu-kernels-to-host (fibers for
# each block's threads) and computes cuBLASLt's products itself. Both
# trainers take grad-check --random-inputs --seed 1 --dropout 0
# --train-steps 2; bench/gpu/compare_trainers.py compares the loss, every
# gradient and the parameters after the steps (<= 1e-4 relative).
# With `dropout`, the model's dropout stays on (no --dropout 0): both
# trainers must draw the same masks. CUDA_OPTIONS go to the CUDA trainer's
# nngc compile (e.g. --precision=bf16), COMPARE_OPTIONS to
# compare_trainers.py (e.g. --tol 0.02); TRAIN_STEPS replaces the 2 steps.
# The CUDA trainer's stderr is in NAME.cuda.err (NNGC_FAKE_CUDA_STATS's
# counts, for one).
set -euo pipefail
obj=$1 translate=$2 cc=$3 model=$4 out=$5 name=$6
dropout=(--dropout 0)
if [ "${7:-}" = dropout ]; then dropout=(); fi
src=$(cd "$(dirname "$0")/../.." && pwd)
fake=$obj/test/fake-cuda
cd "$out"
# The training graph nngc compile --target=cuda builds, its kernels for
# the host (the same names as in the trainer's PTX).
read -r -a cuda_options <<< "${CUDA_OPTIONS:-}"
read -r -a compare_options <<< "${COMPARE_OPTIONS:-}"
"$src/test/Runtime/FakeCuda/host-kernels.sh" "$obj" "$translate" "$cc" "$model" \
  "$PWD/$name.kernels.so" "${cuda_options[@]}"
"$obj/bin/nngc" compile "$model" --target=cuda "${cuda_options[@]}" -o "$name.cuda"
"$obj/bin/nngc" compile "$model" -o "$name.cpu"
run() {
  "./$name.$1" grad-check --random-inputs --seed 1 "${dropout[@]}" \
    --train-steps "${TRAIN_STEPS:-2}" \
    --out "$PWD/$name.$1.safetensors" > "$name.$1.log"
}
NNGC_FAKE_CUDA_KERNELS=$PWD/$name.kernels.so LD_LIBRARY_PATH=$fake run cuda \
  2> "$name.cuda.err" || { cat "$name.cuda.err" >&2; exit 1; }
run cpu
/usr/bin/python3 "$src/bench/gpu/compare_trainers.py" --name "$name" \
  "${compare_options[@]}" "$name.cpu.safetensors" "$name.cuda.safetensors"
