#!/usr/bin/env bash
# The GPU check of nngc's CUDA trainers, run on the GPU machine from the
# package bench/gpu/prepare.sh builds (this file is the package's run.sh):
#
#  1. every example's CUDA trainer against its CPU trainer, both run here:
#     grad-check --random-inputs --seed 1 --dropout 0 --train-steps 3 (the
#     loss, every gradient, the parameters and losses after three
#     optimizer steps), <= 1e-4 relative per tensor, 5 % for the
#     parameters after the steps (compare_trainers.py); fp32 products
#     (no TF32); and gpt_tiny.bf16, gpt_tiny's trainer with bf16
#     activations and products (--precision=bf16), to 3e-2 and off f32 by
#     more than 1e-3 (--expect-above);
#  2. gpt_small's training tokens/s and MFU in nngc, fp32, tf32 and bf16
#     products (bench --steps 30 --warmup 10 --dropout 0; the steps run as
#     a CUDA graph), and bf16 again with NNGC_CUDA_GRAPHS=0 (launches), for
#     what the graph saves;
#  3. where python3 has PyTorch with CUDA, the same model in PyTorch eager
#     and torch.compile (torch_gpt.py), bf16 first, within the time left
#     of NNGC_GPU_BUDGET seconds (default 420), and the ratios.
#
# Usage: run.sh [OUTDIR] (default /tmp/nngc-gpu-out). OUTDIR/summary.txt
# gets what it prints; OUTDIR/logs.tar.gz every trainer's output. Exit
# status 1 if any example mismatches or fails. With NNGC_GPU_EMULATE=1
# (a package from prepare.sh --emulate) the CUDA trainers run against the
# fake driver, which runs their kernels on the host (no GPU: part 1 only).
set -uo pipefail
pkg=$(cd "$(dirname "$0")" && pwd)
out=${1:-/tmp/nngc-gpu-out}
budget=${NNGC_GPU_BUDGET:-420}
emulate=${NNGC_GPU_EMULATE:-0}
mkdir -p "$out/logs"
: >"$out/summary.txt"
say() { echo "$@" | tee -a "$out/summary.txt"; }
status=0

say "nngc GPU check: $(head -1 "$pkg/BUILD")"
command -v nvidia-smi >/dev/null &&
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee -a "$out/summary.txt"

# cuBLASLt 13: the toolkit's, or the one in PyTorch's wheels.
blas=""
if [ "$emulate" = 1 ]; then
  blas=$pkg/emulate
else
  for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib \
    /usr/local/cuda-13*/lib64 /usr/lib/x86_64-linux-gnu; do
    if [ -e "$d/libcublasLt.so.13" ]; then blas=$d; break; fi
  done
  if [ -z "$blas" ]; then
    f=$(find / -xdev -name 'libcublasLt.so.13*' -print -quit 2>/dev/null)
    [ -n "$f" ] && blas=$(dirname "$f")
  fi
  [ -n "$blas" ] || say "no libcublasLt.so.13 found: the CUDA trainers will say so"
fi
say "cuBLASLt from ${blas:-nowhere}"
threads=$(nproc)
# The trainers' environment only: python3 (PyTorch) keeps its own
# libraries.
trainer() {
  env LD_LIBRARY_PATH="$pkg/lib${blas:+:$blas}" OMP_NUM_THREADS=$threads "$@"
}

say "== CUDA trainer vs CPU trainer (grad-check, 3 steps, seed 1, dropout 0)"
while read -r name rest; do
  if [ -n "$rest" ]; then
    say "$(printf '%-22s %s' "$name" "$rest")"
    continue
  fi
  for side in cpu cuda; do
    kernels=()
    if [ "$emulate" = 1 ] && [ $side = cuda ]; then
      kernels=(NNGC_FAKE_CUDA_KERNELS="$pkg/emulate/$name.kernels.so")
    fi
    if ! trainer "${kernels[@]}" timeout 300 "$pkg/bin/$name.$side" grad-check \
      --random-inputs --seed 1 --dropout 0 --train-steps 3 \
      --out "$out/logs/$name.$side.safetensors" >"$out/logs/$name.$side.log" 2>&1; then
      say "$(printf '%-22s the %s trainer failed: %s' "$name" "$side" "$(tail -1 "$out/logs/$name.$side.log")")"
      status=1
      if [ $side = cuda ] && [ "$emulate" != 1 ]; then
        # Once more, waiting after each kernel and product so that a fault
        # names what faulted, then under compute-sanitizer's memcheck.
        trainer NNGC_CUDA_SYNC=1 timeout 120 "$pkg/bin/$name.cuda" grad-check \
          --random-inputs --seed 1 --dropout 0 --train-steps 3 \
          --out "$out/logs/$name.sync.safetensors" >"$out/logs/$name.sync.log" 2>&1
        say "  with NNGC_CUDA_SYNC=1: $(tail -1 "$out/logs/$name.sync.log")"
        sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null)
        if [ -n "$sanitizer" ] && [ $((budget - SECONDS)) -gt 200 ]; then
          trainer timeout 150 "$sanitizer" --tool memcheck --print-limit 5 \
            "$pkg/bin/$name.cuda" grad-check --random-inputs --seed 1 --dropout 0 \
            --out "$out/logs/$name.memcheck.safetensors" >"$out/logs/$name.memcheck.log" 2>&1
          grep -m6 -E '^========= (Invalid|Program hit|Error|  at|    at)' "$out/logs/$name.memcheck.log" |
            sed 's/^/  memcheck: /' | tee -a "$out/summary.txt"
        fi
      fi
      continue 2
    fi
  done
  # A trainer with bf16 activations (NAME.bf16) at bf16's precision, and
  # measurably off f32 (or bf16 was not in effect).
  compare=()
  case $name in *.bf16) compare=(--tol 0.03 --expect-above 1e-3) ;; esac
  python3 "$pkg/compare_trainers.py" --name "$name" "${compare[@]}" \
    "$out/logs/$name.cpu.safetensors" "$out/logs/$name.cuda.safetensors" |
    tee -a "$out/summary.txt"
  [ "${PIPESTATUS[0]}" = 0 ] || status=1
  rm -f "$out/logs/$name.cpu.safetensors" "$out/logs/$name.cuda.safetensors"
done <"$pkg/examples.txt"

if [ "$emulate" = 1 ]; then
  say "(emulated: no throughput)"
else
  say "== gpt_small training throughput (batch 64 x 256 tokens)"
  declare -A ours
  for precision in fp32 tf32 bf16; do
    t=$pkg/bin/gpt_small.$precision.cuda
    if ! trainer timeout 240 "$t" bench --steps 30 --warmup 10 --dropout 0 \
      >"$out/logs/gpt_small.$precision.json" 2>"$out/logs/gpt_small.$precision.err"; then
      say "nngc gpt_small $precision: failed: $(tail -1 "$out/logs/gpt_small.$precision.err")"
      status=1
      continue
    fi
    trainer "$t" info >"$out/logs/gpt_small.$precision.info" 2>&1
    params=$(awk '/^parameters/ {print $2}' "$out/logs/gpt_small.$precision.info")
    # MFU as torch_gpt.py counts it: 6 N per token for the N parameters
    # plus the attention products (6 layers, T 256, C 384), over the
    # precision's dense peak (H100 and H200: fp32 67, tf32 495, bf16 989
    # TFLOP/s).
    line=$(python3 - "$out/logs/gpt_small.$precision.json" "$params" "$precision" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
n, p = float(sys.argv[2]), sys.argv[3]
tps = r["samples_per_s"] * 256
peak = {"fp32": 67, "tf32": 495, "bf16": 989}[p] * 1e12
print(f"{tps:.0f} {tps * (6 * n + 12 * 6 * 256 * 384) / peak:.3f}")
PY
)
    ours[$precision]=${line%% *}
    graphs=$(python3 -c "import json, sys; print(json.load(open(sys.argv[1])).get('cuda_graphs', '?'))" "$out/logs/gpt_small.$precision.json")
    say "nngc gpt_small $precision: ${line%% *} tokens/s, MFU ${line##* }, $(grep -m1 -o 'device memory [0-9.]* MiB' "$out/logs/gpt_small.$precision.info"), CUDA graphs $graphs"
  done
  # The same bf16 steps as launches: what the CUDA graph saves.
  if NNGC_CUDA_GRAPHS=0 trainer timeout 240 "$pkg/bin/gpt_small.bf16.cuda" bench --steps 30 \
    --warmup 10 --dropout 0 >"$out/logs/gpt_small.bf16.launches.json" \
    2>"$out/logs/gpt_small.bf16.launches.err"; then
    python3 - "$out/logs/gpt_small.bf16.json" "$out/logs/gpt_small.bf16.launches.json" <<'PY' | tee -a "$out/summary.txt"
import json, sys
try:
    g, l = (json.load(open(p))["step_ms"]["median"] for p in sys.argv[1:])
    print(f"nngc gpt_small bf16 as launches: {l:.2f} ms a step, as a graph {g:.2f} ms ({l / g:.2f}x)")
except Exception as e:
    print(f"nngc gpt_small bf16 as launches: no comparison ({e})")
PY
  else
    say "nngc gpt_small bf16 as launches: failed: $(tail -1 "$out/logs/gpt_small.bf16.launches.err")"
  fi
  if python3 -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
    if [ ! -f "$pkg/ref_models.py" ]; then
      say "no ref_models.py in the package: the PyTorch comparison is skipped"
    else
      say "== PyTorch $(python3 -c 'import torch; print(torch.__version__)'), same model and batch"
      : >"$out/logs/torch_gpt.jsonl"
      for precision in bf16 tf32 fp32; do
        for mode in eager compile; do
          left=$((budget - SECONDS))
          if [ $left -lt 30 ]; then
            say "torch $mode $precision: skipped (time budget ${budget}s spent)"
            continue
          fi
          timeout $left python3 "$pkg/torch_gpt.py" --ref "$pkg/ref_models.py" \
            --precision $precision --modes $mode >>"$out/logs/torch_gpt.jsonl" \
            2>>"$out/logs/torch_gpt.err" || say "torch $mode $precision: failed or timed out: $(tail -1 "$out/logs/torch_gpt.err")"
        done
      done
      python3 - "$out/logs/torch_gpt.jsonl" "fp32=${ours[fp32]:-}" "tf32=${ours[tf32]:-}" \
        "bf16=${ours[bf16]:-}" <<'PY' | tee -a "$out/summary.txt"
import json, sys
ours = {k: v for k, v in (a.split("=") for a in sys.argv[2:]) if v}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "tokens_per_s" not in r:
        print(line.strip())
        continue
    print(f"torch {r['impl']} {r['precision']}: {r['tokens_per_s']:.0f} tokens/s, MFU {r.get('mfu', 0):.3f}")
    if r["precision"] in ours:
        ratio = float(ours[r["precision"]]) / r["tokens_per_s"]
        print(f"  nngc {r['precision']} / torch {r['impl']} {r['precision']}: {ratio:.2f}x")
PY
    fi
  else
    say "python3 has no PyTorch with CUDA: the PyTorch comparison is skipped"
  fi
fi
say "elapsed ${SECONDS}s, exit status $status"
tar -C "$out" -czf "$out/logs.tar.gz" logs 2>/dev/null && rm -rf "$out/logs"
exit $status
