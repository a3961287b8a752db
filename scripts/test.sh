#!/usr/bin/env bash
# Set up, build, and run every test: the lit suite (dialect, passes,
# lowering, driver, end-to-end comparisons with PyTorch, training on real
# data) and the C++ unit tests (GoogleTest, run through lit); then a short
# fuzzing run of the front end and the trainer's readers (scripts/fuzz.sh,
# 30 s + 15 s, in build-fuzz/ with AddressSanitizer and UBSan).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
status=0
ninja -C build check-nngc 2>&1 | tee build/check-nngc.log || status=$?
count() { grep -E "^\s+$1:" build/check-nngc.log | grep -oE "[0-9]+" | head -1 || true; }
passed=$(count Passed); failed=$(count Failed); skipped=$(count Unsupported)
echo "check-nngc: ${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
scripts/fuzz.sh 30 || status=1
exit $status
