#!/usr/bin/env bash
# README command 1: installs the Debian packages, builds kiln, compiles the
# Fashion-MNIST MLP example (examples/fashion_mnist_mlp.cpp) to a native
# binary and trains it for 10 epochs on the images dataset-fashion-mnist
# installs, with a progress bar, then scores the 10,000-image test set and
# draws the loss/accuracy curves.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${KILN_BUILD_DIR:-build}"
./scripts/install_deps.sh
./scripts/build.sh
mkdir -p "$build/demo"
model="$build/demo/fashion_mnist_mlp"
echo "+ kiln build examples/fashion_mnist_mlp.cpp -o $model"
"$build/bin/kiln" build examples/fashion_mnist_mlp.cpp -o "$model"
args=(train --dataset fashion-mnist --epochs 10 --batch-size 128 --val-split 0
      --test --progress bar --metrics "$build/demo/metrics.csv"
      --plot "$build/demo/curves.svg")
echo "+ $model ${args[*]}"
"$model" "${args[@]}"
echo "metrics: $build/demo/metrics.csv, curves: $build/demo/curves.svg"
