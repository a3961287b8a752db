#!/usr/bin/env bash
# Builds the libFuzzer target nngc-fuzz (clang-19, AddressSanitizer and
# UndefinedBehaviorSanitizer, tools/nngc-fuzz) into build-fuzz/ and runs it
# for SECONDS (default 30) on a corpus seeded with every model in
# examples/ and test/, with a dictionary of the nn dialect's words.
#
#   scripts/fuzz.sh [SECONDS] [JOBS]
#
# A crash, a timeout (10 s per input) or a sanitizer error stops the run
# with status 1 and leaves the input in build-fuzz/crashes/. See
# docs/Testing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
jobs=${2:-1}
if [ ! -f build-fuzz/build.ninja ]; then
  cmake -G Ninja -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
    -DNNGC_FUZZ=ON -DNNGC_SANITIZE=address,undefined > build-fuzz.log
fi
ninja -C build-fuzz nngc-fuzz > build-fuzz/ninja.log || { tail -40 build-fuzz/ninja.log; exit 1; }

seeds=build-fuzz/seeds corpus=build-fuzz/corpus crashes=build-fuzz/crashes
rm -rf "$seeds"
mkdir -p "$seeds" "$corpus" "$crashes"
find examples test -name '*.mlir' -exec cp {} "$seeds/" \;
# The dialect's words: op and attribute names, types, keywords.
{
  grep -ohE '\b(nn\.[a-z_]+|#nn\.[a-z_]+)' examples/*.mlir test/*/*.mlir test/*/*/*.mlir
  printf '%s\n' 'tensor<' 'xf32>' 'xi64>' 'init(' 'with' 'decay(' 'mask(' \
    'schedule(' 'clip_grad_norm(' 'lr = ' ': ' ', ' '%' '"' '{' '}' '-1' '0' \
    '1.0e-3'
} | sort -u | sed 's/\\/\\\\/g; s/"/\\"/g; s/.*/"&"/' > build-fuzz/nn.dict

export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
build-fuzz/bin/nngc-fuzz -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 \
  -dict=build-fuzz/nn.dict -artifact_prefix="$crashes/" -print_final_stats=1 \
  -jobs="$jobs" -workers="$jobs" "$corpus" "$seeds" 2>&1 | tee build-fuzz/fuzz.log | \
  grep -E '^#[0-9]+ +(DONE|INITED)|ERROR|SUMMARY|stat::|Done [0-9]+ runs' || true
if grep -qE 'ERROR: (libFuzzer|AddressSanitizer|UndefinedBehaviorSanitizer)|runtime error:|SUMMARY: ' build-fuzz/fuzz.log fuzz-*.log 2>/dev/null; then
  echo "fuzz: FAILED (inputs in $crashes/; log in build-fuzz/fuzz.log)"
  status=1
else
  echo "fuzz: no crash in $secs s"
fi
exit $status
