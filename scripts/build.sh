#!/usr/bin/env bash
# Configures (once) and builds nngc into build/.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
  cmake -G Ninja -S . -B build \
    -DCMAKE_BUILD_TYPE=Release \
    -DLLVM_EXTERNAL_LIT="$PWD/scripts/lit"
fi
ninja -C build "$@"
