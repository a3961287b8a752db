#!/usr/bin/env bash
# Builds the libFuzzer target nngc-fuzz (clang-19, AddressSanitizer and
# UndefinedBehaviorSanitizer, tools/nngc-fuzz) into build-fuzz/ and runs it
# for SECONDS (default 30) on a corpus seeded with every model in
# examples/ and test/, with a dictionary of the nn dialect's words; then
# nngc-fuzz-data (the trainer's CSV, text, vocabulary, safetensors and JSON
# readers) for half as long, seeded with the heads of real data files.
#
#   scripts/fuzz.sh [SECONDS] [JOBS]
#
# A crash, a timeout (10 s per input) or a sanitizer error fails the run
# (status 1) and leaves the input in build-fuzz/crashes/. JOBS > 1 runs
# that many fuzzing processes in parallel (for long runs). See
# docs/Testing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
jobs=${2:-1}
if [ ! -f build-fuzz/build.ninja ]; then
  cmake -G Ninja -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
    -DNNGC_FUZZ=ON -DNNGC_SANITIZE=address,undefined > /dev/null
fi
ninja -C build-fuzz nngc-fuzz nngc-fuzz-data > build-fuzz/ninja.log ||
  { tail -40 build-fuzz/ninja.log; exit 1; }

# allow_user_poisoning=0: LLVM's headers poison BumpPtrAllocator slabs in
# instrumented code, but Debian's libMLIR (not instrumented) unpoisons
# nothing, so its allocations would read as use-after-poison.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:allow_user_poisoning=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
crashes=build-fuzz/crashes
mkdir -p "$crashes"
parallel=""
if [ "$jobs" -gt 1 ]; then parallel="-jobs=$jobs -workers=$jobs"; fi
status=0

# run TARGET SECONDS SEEDS [DICT]
run() {
  local target=$1 secs=$2 seeds=$3 dict=${4:-}
  local corpus=build-fuzz/corpus-$target log=build-fuzz/$target.log
  mkdir -p "$corpus"
  build-fuzz/bin/$target -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 \
    ${dict:+-dict=$dict} -artifact_prefix="$crashes/$target-" -print_final_stats=1 \
    $parallel "$corpus" "$seeds" > "$log" 2>&1 || true
  cat fuzz-*.log >> "$log" 2>/dev/null && rm -f fuzz-*.log
  local runs
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" |
    awk '{s += $2} END {print s + 0}')
  if grep -qE 'ERROR: (libFuzzer|AddressSanitizer|UndefinedBehaviorSanitizer)|runtime error:|SUMMARY: ' "$log"; then
    echo "fuzz: $target FAILED after ${runs:-?} runs (inputs in $crashes/, log $log)"
    grep -m1 -E 'ERROR:|runtime error:' "$log"
    status=1
  else
    echo "fuzz: $target: ${runs:-0} runs in $secs s, no crash"
  fi
}

# Models: every .mlir in examples/ and test/, and the dialect's words.
seeds=build-fuzz/seeds-models
rm -rf "$seeds" && mkdir -p "$seeds"
find examples test -name '*.mlir' -exec cp {} "$seeds/" \;
{
  grep -ohE '(#?nn\.[a-z_]+)' examples/*.mlir test/*/*.mlir test/*/*/*.mlir
  printf '%s\n' 'tensor<' 'xf32>' 'xi64>' 'init(' 'with' 'decay(' 'mask(' \
    'schedule(' 'clip_grad_norm(' 'lr = ' ': ' ', ' '%' '{' '}' '-1' '0' '1.0e-3'
} | sort -u | sed 's/\\/\\\\/g; s/"/\\"/g; s/.*/"&"/' > build-fuzz/nn.dict
run nngc-fuzz "$secs" "$seeds" build-fuzz/nn.dict

# Data: the head of each real data file and a small checkpoint.
seeds=build-fuzz/seeds-data
rm -rf "$seeds" && mkdir -p "$seeds"
D=/usr/lib/python3/dist-packages/sklearn/datasets/data
for f in "$D"/breast_cancer.csv "$D"/iris.csv ../shared/data/sentiment/*_labelled.txt \
    ../shared/data/tinyshakespeare.txt; do
  if [ -f "$f" ]; then head -c 2000 "$f" > "$seeds/$(basename "$f")"; fi
done
for f in "$D"/digits.csv.gz "$D"/diabetes_data_raw.csv.gz; do
  if [ -f "$f" ]; then (zcat "$f" || true) | head -c 2000 > "$seeds/$(basename "$f" .gz)"; fi
done
/usr/bin/python3 - "$seeds/tiny.safetensors" <<'PY'
import json, struct, sys
h = json.dumps({"__metadata__": {"format": "nngc-checkpoint-1"},
                "w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
                "optimizer.step": {"dtype": "I64", "shape": [], "data_offsets": [16, 24]}}).encode()
h += b" " * (-len(h) % 8)
open(sys.argv[1], "wb").write(struct.pack("<Q", len(h)) + h + struct.pack("<4fq", 1, 2, 3, 4, 7))
PY
run nngc-fuzz-data "$(( (secs + 1) / 2 ))" "$seeds"
exit $status
