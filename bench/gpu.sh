#!/usr/bin/env bash
# GPU test-and-bench, for a machine with an NVIDIA GPU (never needed in CI):
# builds the MLP and CNN (a) examples for the CPU and for the GPU, runs the
# GPU binaries' gradient checks, trains one epoch of each on both targets,
# compares the loss curves (float tolerance) and prints samples/s and the
# GPU/CPU ratio. --target host-opencl runs the same script on PoCL (a check
# of the script, not a benchmark).
set -euo pipefail
cd "$(dirname "$0")/.."

target=host-cuda epochs=1 threads=2 out="" subset=()
usage() {
  cat <<'USAGE'
usage: bench/gpu.sh [options]
  --target T   GPU target (default host-cuda; host-cuda-cuda_capability_86,
               host-opencl, ...)
  --epochs N   epochs of each model (default 1)
  --threads N  CPU threads of the CPU runs (default 2)
  --out FILE   append the results table to FILE (e.g. bench/RESULTS.md)
  --subset N   train on the first N samples only (a quick check)
USAGE
}
while [ $# -gt 0 ]; do
  case "$1" in
    --target) target=$2; shift ;;
    --epochs) epochs=$2; shift ;;
    --threads) threads=$2; shift ;;
    --out) out=$2; shift ;;
    --subset) subset=(--subset "$2"); shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench/gpu.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

build="${KILN_BUILD_DIR:-build}"
kiln="$build/bin/kiln"
[ -x "$kiln" ] || { echo "bench/gpu.sh: $kiln is missing (scripts/build.sh)" >&2; exit 1; }
work=$(mktemp -d /tmp/kiln-gpu.XXXXXX)
trap 'rm -rf "$work"' EXIT

rate() { sed -n 's/.*(\([0-9]*\) samples\/s).*/\1/p' "$1" | sort -n | tail -1; }
status=0
rows=()
for model in fashion_mnist_mlp fashion_mnist_cnn; do
  "$kiln" build "examples/$model.cpp" -o "$work/$model.cpu"
  "$kiln" build "examples/$model.cpp" --target="$target" -o "$work/$model.gpu"
  "$work/$model.gpu" info | sed -n 's/^device: *//p' > "$work/device"
  echo "gpu.sh: $model on $(cat "$work/device")"
  step=1e-3
  [ "$model" = fashion_mnist_cnn ] && step=1e-4 # (see test/gpu/opencl_training.test)
  "$work/$model.gpu" grad-check --dataset fashion-mnist --subset 64 --step "$step" | tail -1 || status=1
  for t in cpu gpu; do
    "$work/$model.$t" train --dataset fashion-mnist --epochs "$epochs" --val-split 0 \
      --batch-size 128 --threads "$threads" --test "${subset[@]}" > "$work/$model.$t.out"
    tail -2 "$work/$model.$t.out"
  done
  python3 test/helpers/compare_runs.py "$work/$model.cpu.out" "$work/$model.gpu.out" 1e-3 || status=1
  cpu=$(rate "$work/$model.cpu.out") gpu=$(rate "$work/$model.gpu.out")
  ratio=$(awk -v a="$gpu" -v b="$cpu" 'BEGIN {printf "%.1f", a / b}')
  acc_cpu=$(sed -n 's/^test:.*accuracy \([0-9.]*\)%.*/\1/p' "$work/$model.cpu.out")
  acc_gpu=$(sed -n 's/^test:.*accuracy \([0-9.]*\)%.*/\1/p' "$work/$model.gpu.out")
  echo "gpu.sh: $model: GPU $gpu samples/s, CPU ($threads threads) $cpu samples/s: ${ratio}x; test accuracy GPU $acc_gpu%, CPU $acc_cpu%"
  rows+=("| $model | $gpu | $cpu | ${ratio}× | $acc_gpu% | $acc_cpu% |")
done
if [ -n "$out" ]; then
  {
    echo
    echo "## GPU: $(cat "$work/device") (bench/gpu.sh, target $target, $epochs epoch(s), batch 128)"
    echo
    echo "| model | GPU samples/s | CPU samples/s ($threads threads) | GPU / CPU | GPU test accuracy | CPU test accuracy |"
    echo "|---|---:|---:|---:|---:|---:|"
    printf '%s\n' "${rows[@]}"
  } >> "$out"
fi
exit $status
