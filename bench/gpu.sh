#!/usr/bin/env bash
# GPU test-and-bench, for a machine with an NVIDIA GPU (never needed in CI):
# builds the MLP and CNN (a) examples for the CPU and for the GPU, runs the
# GPU binaries' gradient checks, compares a short run's loss curve on both
# targets (float tolerance: over whole epochs the float differences of
# another summation order grow with every step, 2.5e-3 after two on PoCL),
# trains each on both, compares the test accuracy (within 0.5 points) and
# prints samples/s and the GPU/CPU ratio.
#
# On one machine (kiln built, a GPU present): bench/gpu.sh [options].
# Split across two machines, when the GPU machine cannot build kiln:
#   bench/gpu.sh --pack DIR   here: builds the binaries, copies the data
#                             set, runs the CPU side; DIR is all the other
#                             machine needs (about 35 MB)
#   bench/gpu.sh --from DIR   there: no kiln, only DIR and python3; runs the
#                             GPU side against the CPU results in DIR
# --target host-opencl runs the whole thing on PoCL (a check of the script,
# not a benchmark).
set -euo pipefail
cd "$(dirname "$0")/.."

target="" epochs=2 threads=2 out="" subset=() pack="" from="" save="" profile=0
usage() {
  cat <<'USAGE'
usage: bench/gpu.sh [options]
  --target T   GPU target (default host-cuda; with --pack
               x86-64-linux-avx2-fma-f16c-sse41-cuda-cuda_capability_80, a
               host part any x86-64 machine with AVX2 runs)
  --epochs N   epochs of each model (default 2; samples/s is the best
               epoch's, so the first epoch's driver JIT of the PTX is not
               counted)
  --threads N  CPU threads of the CPU runs (default 2)
  --subset N   train on the first N samples only (a quick check)
  --profile    also print the GPU's per-kernel times (one more epoch each)
  --out FILE   append the results table to FILE (e.g. bench/RESULTS.md)
  --pack DIR   build and run the CPU side only, into DIR (see above)
  --from DIR   run the GPU side only, from a DIR made by --pack (whose
               --target, --epochs, --threads and --subset apply)
  --save DIR   with --from: copy the GPU runs' logs into DIR
USAGE
}
while [ $# -gt 0 ]; do
  case "$1" in
    --target) target=$2; shift ;;
    --epochs) epochs=$2; shift ;;
    --threads) threads=$2; shift ;;
    --out) out=$2; shift ;;
    --subset) subset=(--subset "$2"); shift ;;
    --profile) profile=1 ;;
    --pack) pack=$2; shift ;;
    --from) from=$2; shift ;;
    --save) save=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench/gpu.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
fail() { echo "bench/gpu.sh: $*" >&2; exit 1; }
tmp=()
trap 'rm -rf "${tmp[@]}"' EXIT
[ -n "$pack" ] && [ -n "$from" ] && fail "give --pack or --from, not both"

models=(fashion_mnist_mlp fashion_mnist_cnn)
data=(--dataset fashion-mnist)
if [ -n "$from" ]; then
  # Everything comes from DIR, and so do the settings of its CPU runs.
  [ -f "$from/settings" ] || fail "$from is not a directory made by --pack"
  [ -z "$target" ] || fail "--target is fixed by --pack ($from/settings)"
  # shellcheck source=/dev/null
  . "$from/settings"
  data+=(--data-path "$from/data")
  bins=$from/bin
else
  build="${KILN_BUILD_DIR:-build}"
  kiln="$build/bin/kiln"
  [ -x "$kiln" ] || fail "$kiln is missing (scripts/build.sh)"
  if [ -z "$target" ]; then
    target=host-cuda
    [ -n "$pack" ] && target=x86-64-linux-avx2-fma-f16c-sse41-cuda-cuda_capability_80
  fi
  if [ -n "$pack" ]; then
    rm -rf "$pack"
    mkdir -p "$pack/bin" "$pack/data" "$pack/cpu"
    cp /usr/share/datasets/fashion-mnist/*.gz "$pack/data/"
    bins=$pack/bin
  else
    bins=$(mktemp -d /tmp/kiln-gpu.XXXXXX)
    tmp+=("$bins")
  fi
  for model in "${models[@]}"; do
    "$kiln" build "examples/$model.cpp" -o "$bins/$model.cpu"
    "$kiln" build "examples/$model.cpp" --target="$target" -o "$bins/$model.gpu"
  done
  cpu_name=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
  # A tree with changes is named as such: the figures are not the commit's.
  commit=$(git describe --always --dirty 2>/dev/null || echo unknown)
fi
logs=$(mktemp -d /tmp/kiln-gpu-logs.XXXXXX)
tmp+=("$logs")
train() { # binary, log: one timed training run
  "$1" train "${data[@]}" --epochs "$epochs" --val-split 0 --batch-size 128 \
    --threads "$threads" --test "${subset[@]}" > "$2"
  tail -2 "$2"
}
# The short run whose loss curve must match the CPU's: 2 epochs of the
# first 2,048 samples (MLP) or 512 (the CNN, slow on PoCL).
curve_samples() { [ "$1" = fashion_mnist_cnn ] && echo 512 || echo 2048; }
curve() { # model, binary, log
  "$2" train "${data[@]}" --subset "$(curve_samples "$1")" --epochs 2 \
    --val-split 0 --batch-size 128 --threads "$threads" > "$3"
}

# The CPU side: here, or already in DIR.
for model in "${models[@]}"; do
  if [ -n "$from" ]; then
    [ -f "$from/cpu/$model.cpu.curve.out" ] ||
      fail "$from has no short CPU run: pack it again with this gpu.sh"
    cp "$from/cpu/$model.cpu.out" "$from/cpu/$model.cpu.curve.out" "$logs/"
  else
    echo "gpu.sh: $model on the CPU ($threads threads)"
    curve "$model" "$bins/$model.cpu" "$logs/$model.cpu.curve.out"
    train "$bins/$model.cpu" "$logs/$model.cpu.out"
  fi
done
if [ -n "$pack" ]; then
  cp "$logs"/*.out "$pack/cpu/"
  rm -f "$bins"/*.cpu
  {
    printf 'target=%q epochs=%q threads=%q\n' "$target" "$epochs" "$threads"
    printf 'subset=(%s)\n' "${subset[*]}"
    printf 'cpu_name=%q commit=%q\n' "$cpu_name" "$commit"
  } > "$pack/settings"
  echo "gpu.sh: packed $(du -sh "$pack" | cut -f1) into $pack; on the GPU" \
    "machine run: bench/gpu.sh --from $pack [--save DIR] [--out FILE]"
  exit 0
fi

# The GPU side.
rate() { sed -n 's/.*(\([0-9]*\) samples\/s).*/\1/p' "$1" | sort -n | tail -1; }
accuracy() { sed -n 's/^test:.*accuracy \([0-9.]*\)%.*/\1/p' "$1"; }
status=0
rows=()
device=""
for model in "${models[@]}"; do
  gpu=$bins/$model.gpu
  device=$("$gpu" info | sed -n 's/^device: *//p')
  case "$device" in *"none usable"*) fail "no GPU to run on: $device" ;; esac
  echo "gpu.sh: $model on $device"
  # The GPU's float32 gradient against the float64 one, with defaults.
  "$gpu" grad-check "${data[@]}" --subset 64 | tail -1 || status=1
  curve "$model" "$gpu" "$logs/$model.gpu.curve.out"
  echo "gpu.sh: loss curve of the first $(curve_samples "$model") samples, 2 epochs, against the CPU's:"
  same=same
  python3 test/helpers/compare_runs.py "$logs/$model.cpu.curve.out" \
    "$logs/$model.gpu.curve.out" 1e-3 || { same=DIFFERENT; status=1; }
  train "$gpu" "$logs/$model.gpu.out"
  if [ "$profile" = 1 ]; then
    "$gpu" train "${data[@]}" --epochs 1 --val-split 0 --batch-size 128 \
      --profile "${subset[@]}" | sed -n '/^profile:/,$p'
  fi
  c=$(rate "$logs/$model.cpu.out") g=$(rate "$logs/$model.gpu.out")
  ratio=$(awk -v a="$g" -v b="$c" 'BEGIN {printf "%.1f", a / b}')
  ag=$(accuracy "$logs/$model.gpu.out") ac=$(accuracy "$logs/$model.cpu.out")
  # The same accuracy: within half a point (float differences move a few
  # test samples across the decision boundary).
  awk -v a="$ag" -v b="$ac" 'BEGIN {d = a - b; exit !(d <= 0.5 && d >= -0.5)}' ||
    { echo "gpu.sh: $model: test accuracy differs by more than 0.5 points" >&2; status=1; }
  echo "gpu.sh: $model: GPU $g samples/s, CPU ($threads threads) $c samples/s: ${ratio}x; test accuracy GPU $ag%, CPU $ac%"
  rows+=("| $model | $g | $c | ${ratio}× | $ag% | $ac% | $same |")
done
[ -n "$save" ] && mkdir -p "$save" && cp "$logs"/*.out "$save/"
if [ -n "$out" ]; then
  {
    echo
    echo "## GPU: $device (bench/gpu.sh, target $target, $epochs epoch(s), batch 128)"
    echo
    echo "CPU side: ${cpu_name:-unknown}, $threads threads; kiln $commit."
    echo
    echo "| model | GPU samples/s | CPU samples/s ($threads threads) | GPU / CPU | GPU test accuracy | CPU test accuracy | short run's loss curve vs CPU (1e-3) |"
    echo "|---|---:|---:|---:|---:|---:|---|"
    printf '%s\n' "${rows[@]}"
  } >> "$out"
fi
exit $status
