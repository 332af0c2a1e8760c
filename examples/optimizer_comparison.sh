#!/usr/bin/env bash
# Trains examples/optimizer_comparison.cpp with SGD, momentum, Nesterov,
# Adagrad, RMSProp and Adam — same initial parameters (--seed), same
# batches — and writes their per-epoch curves into one CSV:
#   optimizer,epoch,loss,val_loss,val_accuracy,lr,samples_per_s,seconds
#
# usage: examples/optimizer_comparison.sh [--out FILE] [train options...]
#   e.g. examples/optimizer_comparison.sh --out curves.csv --epochs 10
# Train options default to: --dataset fashion-mnist --epochs 5
#   --batch-size 128. KILN (default build/bin/kiln) is the compiler.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
kiln="${KILN:-$here/../build/bin/kiln}"
out=optimizer_comparison.csv
if [ "${1:-}" = --out ]; then
  out=$2
  shift 2
fi
[ $# -gt 0 ] || set -- --dataset fashion-mnist --epochs 5 --batch-size 128
work=$(mktemp -d /tmp/kiln-optimizers.XXXXXX)
trap 'rm -rf "$work"' EXIT
header=
for opt in sgd momentum nesterov adagrad rmsprop adam; do
  "$kiln" build "$here/optimizer_comparison.cpp" -DOPTIMIZER="$opt" -o "$work/$opt"
  echo "== $opt"
  "$work/$opt" train "$@" --progress lines --metrics "$work/$opt.csv" | tail -1
  [ -n "$header" ] || header="optimizer,$(head -1 "$work/$opt.csv")"
  tail -n +2 "$work/$opt.csv" | sed "s/^/$opt,/" >>"$work/all.csv"
done
{ echo "$header"; cat "$work/all.csv"; } >"$out"
echo "wrote $out"
