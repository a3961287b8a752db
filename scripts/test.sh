#!/usr/bin/env bash
# Set up, build, and run every test: the lit suite (dialect, passes,
# lowering, driver, end-to-end PyTorch comparisons) and the C++ unit tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
ninja -C build check-nngc
