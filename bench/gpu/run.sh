#!/usr/bin/env bash
# GPU verification of nngc's CUDA trainer, in one call, on a machine with
# one NVIDIA GPU and the CUDA 13 driver (docs/CUDA.md):
#
#  1. every example's CUDA trainer against its CPU trainer: the loss, every
#     gradient, and the parameters and losses after 3 AdamW/SGD steps on a
#     seeded random batch (grad-check --train-steps), fp32, <= 1e-4
#     relative error per tensor, 5 % for the parameters after Adam's sign-
#     sensitive first steps (bench/gpu/compare_trainers.py). Examples
#     the CUDA target cannot compile yet are listed with the compiler's
#     reason, not skipped silently.
#  2. gpt_small's training tokens/s and MFU in nngc for fp32, tf32 and
#     bf16 products (bf16: tensor-core products, fp32 activations) and,
#     where python3 has PyTorch with CUDA, in PyTorch eager
#     and torch.compile for fp32, tf32 and bf16 (bench/gpu/torch_gpt.py),
#     printing the ratios.
#
# Usage: bench/gpu/run.sh [OUTDIR]   (default /tmp/nngc-gpu); builds nngc
# first (scripts/build.sh) if build/bin/nngc is missing. Exit status 1 if
# any compiled example mismatches.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-/tmp/nngc-gpu}
mkdir -p "$OUT"
NNGC=build/bin/nngc
if [ ! -x "$NNGC" ] || [ ! -f build/lib/libnngc_cuda.a ]; then
  scripts/build.sh >"$OUT/build.log" 2>&1 || { echo "build failed: $OUT/build.log"; exit 2; }
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader

status=0
echo "== CUDA trainer vs CPU trainer (grad-check, 3 steps, seed 1, dropout 0)"
for model in examples/*.mlir; do
  name=$(basename "$model" .mlir)
  if ! "$NNGC" compile "$model" --target=cuda -o "$OUT/$name.cuda" 2>"$OUT/$name.cuda.err"; then
    printf '%-20s not compiled for CUDA: %s\n' "$name" "$(grep -m1 error "$OUT/$name.cuda.err")"
    continue
  fi
  "$NNGC" compile "$model" -o "$OUT/$name.cpu" 2>>"$OUT/$name.cpu.err" || { echo "$name: CPU compile failed"; status=1; continue; }
  for side in cpu cuda; do
    if ! "$OUT/$name.$side" grad-check --random-inputs --seed 1 --dropout 0 \
        --train-steps 3 --out "$OUT/$name.$side.safetensors" \
        >"$OUT/$name.$side.log" 2>&1; then
      echo "$name: the $side trainer failed: $(tail -1 "$OUT/$name.$side.log")"
      status=1
      continue 2
    fi
  done
  python3 bench/gpu/compare_trainers.py --name "$name" \
    "$OUT/$name.cpu.safetensors" "$OUT/$name.cuda.safetensors" || status=1
done

echo "== gpt_small training throughput"
nngc_tps=()
for precision in fp32 tf32 bf16; do
  if "$NNGC" compile examples/gpt_small.mlir --target=cuda --precision=$precision \
      -o "$OUT/gpt_small.$precision.cuda" 2>"$OUT/gpt_small.$precision.cuda.err"; then
    "$OUT/gpt_small.$precision.cuda" bench --steps 30 --warmup 10 --dropout 0 | tee "$OUT/gpt_small.$precision.bench.json"
    # bench's samples are sequences of 256 tokens.
    tps=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['samples_per_s'] * 256)" "$OUT/gpt_small.$precision.bench.json")
    # MFU as torch_gpt.py counts it: 6 N per token for the N parameters
    # plus the attention products (6 layers, T 256, C 384), over the
    # precision's dense peak (H100/H200: fp32 67, tf32 495, bf16 989 TFLOP/s).
    params=$("$OUT/gpt_small.$precision.cuda" info | awk '/^parameters/ {print $2}')
    mfu=$(python3 -c "
import sys
tps, n, p = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
peak = {'fp32': 67, 'tf32': 495, 'bf16': 989}[p] * 1e12
print(f'{tps * (6 * n + 12 * 6 * 256 * 384) / peak:.3f}')" "$tps" "$params" "$precision")
    echo "nngc gpt_small $precision: $tps tokens/s, MFU $mfu"
    nngc_tps+=("$precision=$tps")
  else
    echo "nngc gpt_small $precision: not compiled for CUDA yet: $(grep -m1 error "$OUT/gpt_small.$precision.cuda.err")"
  fi
done
if python3 -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
  python3 bench/gpu/torch_gpt.py | tee "$OUT/torch_gpt.jsonl"
  if [ ${#nngc_tps[@]} -gt 0 ]; then
    python3 - "$OUT/torch_gpt.jsonl" "${nngc_tps[@]}" <<'PY'
import json, sys
ours = dict(a.split("=") for a in sys.argv[2:])
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "tokens_per_s" in r and r["precision"] in ours:
        ratio = float(ours[r["precision"]]) / r["tokens_per_s"]
        print(f"nngc {r['precision']} / {r['impl']} {r['precision']}: {ratio:.2f}x")
PY
  fi
else
  echo "python3 has no PyTorch with CUDA: the PyTorch comparison is skipped"
fi
exit $status
