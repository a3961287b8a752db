#!/usr/bin/env bash
# Builds nngc, its runtime and its tests with AddressSanitizer and
# UndefinedBehaviorSanitizer into build-asan/ (CMake -DNNGC_SANITIZE=...;
# the trainers the tests compile are linked with the same sanitizers) and
# runs the unit and end-to-end tests there. See docs/Testing.md.
#
#   scripts/sanitize.sh [LIT_FILTER]     (e.g. 'e2e|Unit')
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [ ! -f build-asan/build.ninja ]; then
  cmake -G Ninja -S . -B build-asan -DCMAKE_BUILD_TYPE=Release \
    -DLLVM_EXTERNAL_LIT="$PWD/scripts/lit" -DNNGC_SANITIZE=address,undefined
fi
ninja -C build-asan
# oneDNN's JIT code and libgomp are not instrumented; leaks are not
# checked (LLVM's and oneDNN's process-lifetime caches would be reported).
# allow_user_poisoning=0: LLVM's headers poison BumpPtrAllocator slabs in
# instrumented code, but Debian's libMLIR (not instrumented) unpoisons
# nothing, so its allocations would read as use-after-poison.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:allow_user_poisoning=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# no-alloc.test preloads an allocation counter, which ASan's own
# allocator cannot share the process with.
# Instrumented runs are several times slower: resume.test needs about
# 10 minutes alone, so the per-test limit is 40 minutes here.
export LIT_OPTS="${LIT_OPTS:-} --filter=${1:-.} --filter-out=no-alloc --timeout=2400"

ninja -C build-asan check-nngc
