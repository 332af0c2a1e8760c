#!/usr/bin/env bash
# README command 2 (and CI's): installs the Debian packages, builds kiln and
# runs the whole test suite through ctest: GoogleTest for the runtime, then
# the lit/FileCheck suite. The output ends with lit's and ctest's counts.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${KILN_BUILD_DIR:-build}"
./scripts/install_deps.sh
./scripts/build.sh
ctest --test-dir "$build" --output-on-failure -V
