#!/usr/bin/env bash
# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer:
# kiln, kiln-opt, the runtime, every model binary the tests build and its
# Halide kernels (Halide's "asan" target feature) are instrumented; any
# report aborts its test. Builds into ${KILN_ASAN_BUILD_DIR:-build-asan}.
#
# usage: scripts/sanitize.sh [--no-setup] [ctest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
setup=1
if [ "${1:-}" = "--no-setup" ]; then setup=0; shift; fi
build="${KILN_ASAN_BUILD_DIR:-build-asan}"
[ "$setup" = 1 ] && ./scripts/install_deps.sh
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DKILN_SANITIZE=address,undefined
cmake --build "$build"
# Leaks count too; reports name the source line.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=0:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp:${LSAN_OPTIONS:-}"
ctest --test-dir "$build" --output-on-failure "$@"
