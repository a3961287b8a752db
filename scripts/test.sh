#!/usr/bin/env bash
# Set up, build, and run every test: the lit suite (dialect, passes,
# lowering, driver, end-to-end comparisons with PyTorch, training on real
# data) and the C++ unit tests (GoogleTest, run through lit).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
status=0
ninja -C build check-nngc 2>&1 | tee build/check-nngc.log || status=$?
count() { grep -E "^\s+$1:" build/check-nngc.log | grep -oE "[0-9]+" | head -1 || true; }
passed=$(count Passed); failed=$(count Failed); skipped=$(count Unsupported)
echo "check-nngc: ${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
exit $status
