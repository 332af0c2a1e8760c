#!/usr/bin/env bash
# README command 2 (and CI's): installs the Debian packages, builds kiln and
# runs the whole test suite through ctest: GoogleTest for the runtime, then
# the lit/FileCheck suite (lit's and ctest's counts), then 20000 inputs
# of each fuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${KILN_BUILD_DIR:-build}"
./scripts/install_deps.sh
./scripts/build.sh
ctest --test-dir "$build" --output-on-failure -V
# A short fuzzing run of every libFuzzer target (clang build in build-fuzz/),
# after replaying each crash ever found (test/fuzz/regressions/): a fixed
# seed and input count, so CI runs the same inputs everywhere.
./scripts/fuzz.sh --no-setup --runs 20000 --seed 1
