#!/usr/bin/env bash
# README command 1: installs the Debian packages, builds kiln, compiles the
# logistic-regression example to a native binary and trains it on the
# breast-cancer data set that python3-sklearn installs.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${KILN_BUILD_DIR:-build}"
./scripts/install_deps.sh
./scripts/build.sh
mkdir -p "$build/demo"
echo "+ kiln build examples/logistic_regression.cpp -o $build/demo/logistic_regression"
"$build/bin/kiln" build examples/logistic_regression.cpp -o "$build/demo/logistic_regression"
echo "+ $build/demo/logistic_regression train --dataset breast-cancer --epochs 100"
"$build/demo/logistic_regression" train --dataset breast-cancer --epochs 100
