#!/usr/bin/env bash
# One benchmark run, kiln and its references side by side:
#  - training throughput on Fashion-MNIST, kiln binary vs PyTorch 1.13
#    (bench/torch_reference.py): same model, batch 128, Adam, fp32, same
#    threads; for logistic regression 784->10 and the MLP 784-512-256-10;
#    kiln with fusion on and off;
#  - compile time of each model and peak RSS of each training process;
#  - kiln's matmul kernels vs OpenBLAS sgemm at 512^3 and at the MLP's
#    shapes, in the transpositions the backward pass uses;
#  - kiln's convolution kernels vs PyTorch's (oneDNN) at the CNNs' layers.
# Prints the figures and ratios and writes them, with the machine, to
# bench/RESULTS.md. A benchmark, not a test: nothing here fails on a ratio.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  cat <<'EOF'
usage: bench/run.sh [options]
  --threads N        threads for kiln and PyTorch (default 2)
  --epochs-logreg N  epochs of logistic regression (default 5)
  --epochs-mlp N     epochs of the MLP (default 3)
  --epochs-cnn N     epochs of each CNN (default 2)
  --rounds N         runs of each logreg/MLP trainer, in turns (default 3;
                     the median is reported)
  --quick            1 epoch and 1 round each (a smoke run)
  --no-setup         skip installing packages and building (use build/)
  --out FILE         results file (default bench/RESULTS.md)
EOF
}

threads=2 epochs_logreg=5 epochs_mlp=3 epochs_cnn=2 rounds=3 setup=1 out=bench/RESULTS.md
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads=$2; shift ;;
    --epochs-logreg) epochs_logreg=$2; shift ;;
    --epochs-mlp) epochs_mlp=$2; shift ;;
    --epochs-cnn) epochs_cnn=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --quick) epochs_logreg=1 epochs_mlp=1 epochs_cnn=1 rounds=1 ;;
    --no-setup) setup=0 ;;
    --out) out=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench/run.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
for n in "$threads" "$epochs_logreg" "$epochs_mlp" "$epochs_cnn" "$rounds"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "bench/run.sh: '$n' is not a positive integer" >&2; exit 2; }
done

build="${KILN_BUILD_DIR:-build}"
work=$(mktemp -d /tmp/kiln-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

if [ "$setup" = 1 ]; then
  ./scripts/install_deps.sh --bench
  echo "bench: building kiln (log: $work/build.log)"
  ./scripts/build.sh >"$work/build.log" 2>&1 || { tail -40 "$work/build.log"; exit 1; }
fi
kiln="$build/bin/kiln"
for tool in "$kiln" "$build/bin/kiln-matmul-bench" "$build/bin/kiln-conv-bench" /usr/bin/time; do
  [ -x "$tool" ] || { echo "bench/run.sh: $tool is missing (run without --no-setup)" >&2; exit 1; }
done
/usr/bin/python3 -c 'import torch' 2>/dev/null ||
  { echo "bench/run.sh: PyTorch is missing (scripts/install_deps.sh --bench)" >&2; exit 1; }

# The references' settings: OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE slow
# current OpenBLAS down; the thread count is set explicitly everywhere.
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads

# --- the machine -----------------------------------------------------------
lscpu_field() { lscpu | sed -n "s/^$1: *//p" | head -1; }
cpu="$(lscpu_field 'Model name') (family $(lscpu_field 'CPU family'), model $(lscpu_field 'Model'))"
caches="L1d $(lscpu_field 'L1d cache'), L2 $(lscpu_field 'L2 cache'), L3 $(lscpu_field 'L3 cache')"
hyper=$(lscpu_field 'Hypervisor vendor')
isa=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' |
      grep -xE 'avx2|fma|avx512f|avx512bw|avx512vl|avx512_bf16|avx512_fp16|amx_tile' | paste -sd' ')
mem=$(free -g | awk '/^Mem:/ {print $2 " GiB"}')
torch_version=$(/usr/bin/python3 -c 'import torch; print(torch.__version__)')
blas_version=$(dpkg-query -W -f='${Version}' libopenblas0-pthread 2>/dev/null || echo "?")
halide_version=$(dpkg-query -W -f='${Version}' libhalide14-0-dev 2>/dev/null || echo "?")
echo "bench: $cpu, $(nproc) CPUs, $mem; $threads threads"

# --- training throughput ---------------------------------------------------
# best_rate FILE: the best epoch's samples/s of a kiln training log.
best_rate() { sed -n 's/.*(\([0-9]*\) samples\/s).*/\1/p' "$1" | sort -n | tail -1; }
final_acc() { sed -n 's/^final:.*accuracy \([0-9.]*\)%.*/\1/p' "$1"; }

declare -A rate acc rss ctime crss runs
build_kiln() { # name model [build flags...]
  local name=$1 model=$2
  shift 2
  /usr/bin/time -f '%e %M' -o "$work/$name.ctime" \
    "$kiln" build "bench/models/$model.cpp" -o "$work/$name" "$@"
  ctime[$name]=$(awk '{print $1}' "$work/$name.ctime")
  crss[$name]=$(awk '{printf "%.0f", $2 / 1024}' "$work/$name.ctime")
}
run_kiln() { # name epochs
  local name=$1 epochs=$2 r
  /usr/bin/time -f '%M' -o "$work/$name.rss" "$work/$name" train \
    --dataset fashion-mnist --epochs "$epochs" --batch-size 128 --val-split 0 \
    --threads "$threads" >"$work/$name.out"
  r=$(best_rate "$work/$name.out")
  runs[$name]="${runs[$name]:-}${runs[$name]:+ }$r"
  acc[$name]=$(final_acc "$work/$name.out")
  rss[$name]=$(awk '{printf "%.0f", $1 / 1024}' "$work/$name.rss")
  echo "  kiln  $name: $r samples/s (train accuracy ${acc[$name]}%, peak RSS ${rss[$name]} MiB, compiled in ${ctime[$name]} s)"
}
run_torch() { # name model epochs
  local name=$1 model=$2 epochs=$3 r
  /usr/bin/time -f '%M' -o "$work/$name.rss" /usr/bin/python3 bench/torch_reference.py \
    "$model" --epochs "$epochs" --batch-size 128 --threads "$threads" >"$work/$name.out"
  r=$(sed -n 's/.*samples_per_s=\([0-9]*\).*/\1/p' "$work/$name.out")
  runs[$name]="${runs[$name]:-}${runs[$name]:+ }$r"
  acc[$name]=$(sed -n 's/.*train_accuracy=\([0-9.]*\).*/\1/p' "$work/$name.out" |
               awk '{printf "%.2f", $1 * 100}')
  rss[$name]=$(awk '{printf "%.0f", $1 / 1024}' "$work/$name.rss")
  echo "  torch $name: $r samples/s (train accuracy ${acc[$name]}%, peak RSS ${rss[$name]} MiB)"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", a / b}'; }
# median / span of a name's runs (the rounds' samples/s).
median() { tr ' ' '\n' <<<"${runs[$1]}" | sort -n |
  awk '{v[NR] = $1} END {print NR % 2 ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }
span() { tr ' ' '\n' <<<"${runs[$1]}" | sort -n | awk 'NR == 1 {lo = $1} {hi = $1} END {print lo "–" hi}'; }

# Each model's kiln binaries and PyTorch run in turns, $rounds times: on a
# shared (virtual) machine one run of either can be far off its usual
# speed, so each reports the median of its rounds, with the span.
for model in logreg mlp cnn_a cnn_b; do
  case $model in
    logreg) epochs=$epochs_logreg n=$rounds ;;
    mlp) epochs=$epochs_mlp n=$rounds ;;
    *) epochs=$epochs_cnn n=1 ;;
  esac
  echo "bench: $model, $epochs epoch(s), batch 128, Adam, fp32, $n round(s)"
  build_kiln "$model" "$model"
  # The CNNs (examples/ via bench/models/cnn_*.cpp) only with fusion.
  case $model in logreg|mlp) build_kiln "$model-nofusion" "$model" --no-fusion ;; esac
  for ((i = 0; i < n; i++)); do
    run_kiln "$model" "$epochs"
    [ -n "${ctime[$model-nofusion]:-}" ] && run_kiln "$model-nofusion" "$epochs"
    run_torch "$model-torch" "$model" "$epochs"
  done
  for name in "$model" "$model-nofusion" "$model-torch"; do
    [ -n "${runs[$name]:-}" ] && rate[$name]=$(median "$name")
  done
  echo "  ratio kiln/PyTorch (medians): $(ratio "${rate[$model]}" "${rate[$model-torch]}")x"
done

# --- matmul vs OpenBLAS ----------------------------------------------------
# 512^3 in the three transpositions, then the MLP's matmuls at batch 128
# ('?': the batch, dynamic as in the model): forward (nn), dX (nt) and
# dW (tn) of each layer that has them.
shapes=(512 512 512 nn 512 512 512 nt 512 512 512 tn
        128? 784 512 nn 128? 512 256 nn 128? 256 10 nn
        128? 256 512 nt 128? 10 256 nt
        784 128? 512 tn 512 128? 256 tn 256 128? 10 tn
        784 128? 10 tn)
echo "bench: matmul, kiln vs OpenBLAS sgemm"
"$build/bin/kiln-matmul-bench" --threads "$threads" "${shapes[@]}" | tee "$work/matmul.out"

# --- convolutions vs PyTorch's oneDNN ---------------------------------------
# The conv layers of CNNs (a) and (b) at batch 128 (N H W C F K PAD):
# forward, input gradient and filter gradient of each.
conv_layers=(128 28 28 1 32 5 2 128 14 14 32 64 5 2
             128 28 28 1 32 3 1 128 14 14 32 64 3 1)
echo "bench: convolutions, kiln vs PyTorch (oneDNN)"
"$build/bin/kiln-conv-bench" --threads "$threads" "${conv_layers[@]}" >"$work/conv.out"
/usr/bin/python3 bench/torch_conv.py --threads "$threads" "${conv_layers[@]}" >"$work/conv_torch.out"
# One row per layer and kind: layer, KxK, kind, kiln GF, PyTorch GF, ratio.
paste -d' ' <(tail -n +2 "$work/conv.out") <(tail -n +2 "$work/conv_torch.out") |
  awk '{printf "%s %s %s %s %s %.0f%%\n", $1, $2, $3, $4, $9, 100 * $4 / $9}' |
  tee "$work/conv.rows"

# --- RESULTS.md ------------------------------------------------------------
# bench/gpu.sh's sections ("## GPU: ...", appended at the end) come from
# another machine: kept, not overwritten.
gpu_sections=$(sed -n '/^## GPU: /,$p' "$out" 2>/dev/null || true)
{
  echo "# Benchmark results"
  echo
  echo "Written by \`bench/run.sh\` on $(date -u +%Y-%m-%d). One run: every figure"
  echo "below comes from the same invocation on the same machine."
  echo
  echo "## Machine"
  echo
  echo "- CPU: $cpu, $(nproc) CPUs ($isa)"
  echo "- caches: $caches"
  echo "- memory: $mem; kernel $(uname -r)${hyper:+; a $hyper virtual machine}"
  echo "- threads: $threads for kiln, PyTorch and OpenBLAS"
  echo "- PyTorch $torch_version (Debian python3-torch), OpenBLAS $blas_version"
  echo "  (libopenblas0-pthread), Halide $halide_version, kiln target:"
  echo "  \`$(head -1 "$work/matmul.out" | sed 's/.*pool, \(.*\))/\1/')\`"
  echo
  echo "## Training throughput (Fashion-MNIST, batch 128, Adam, fp32)"
  echo
  echo "Samples/s of the best epoch (PyTorch's script reports the same);"
  echo "epochs: $epochs_logreg for logistic regression, $epochs_mlp for the MLP."
  echo "Logistic regression and the MLP: the median of $rounds rounds (kiln,"
  echo "kiln --no-fusion and PyTorch run in turns), the span of the rounds"
  echo "below the table; the CNNs: one run each."
  echo
  echo "| model | kiln | kiln, --no-fusion | PyTorch | kiln / PyTorch | bar |"
  echo "|---|---:|---:|---:|---:|---|"
  echo "| logistic regression 784→10 | ${rate[logreg]} | ${rate[logreg-nofusion]} | ${rate[logreg-torch]} | $(ratio "${rate[logreg]}" "${rate[logreg-torch]}")× | ≥ 20× |"
  echo "| MLP 784-512-256-10 ReLU | ${rate[mlp]} | ${rate[mlp-nofusion]} | ${rate[mlp-torch]} | $(ratio "${rate[mlp]}" "${rate[mlp-torch]}")× | ≥ 4× (stretch 6×) |"
  echo "| CNN (a) conv5x5x32-pool-conv5x5x64-pool-1024-10 | ${rate[cnn_a]} | | ${rate[cnn_a-torch]} | $(ratio "${rate[cnn_a]}" "${rate[cnn_a-torch]}")× | ≥ 1.5× |"
  echo "| CNN (b) conv3x3x32-BN-pool-conv3x3x64-BN-pool-128-10 | ${rate[cnn_b]} | | ${rate[cnn_b-torch]} | $(ratio "${rate[cnn_b]}" "${rate[cnn_b-torch]}")× | ≥ 2× |"
  echo
  echo "| rounds (samples/s, min–max) | kiln | kiln, --no-fusion | PyTorch |"
  echo "|---|---:|---:|---:|"
  for m in logreg mlp; do
    echo "| $m | $(span "$m") | $(span "$m-nofusion") | $(span "$m-torch") |"
  done
  echo
  echo "CNN epochs: $epochs_cnn each (examples/fashion_mnist_cnn.cpp and"
  echo "fashion_mnist_bn_cnn.cpp; PyTorch's oneDNN convolutions, NCHW)."
  echo
  echo "| model | train accuracy kiln / PyTorch | peak RSS kiln / PyTorch | kiln compile time (fusion on, off) |"
  echo "|---|---|---|---|"
  for m in logreg mlp cnn_a cnn_b; do
    nofusion=${ctime[$m-nofusion]:+${ctime[$m-nofusion]} s}
    echo "| $m | ${acc[$m]}% / ${acc[$m-torch]}% | ${rss[$m]} MiB / ${rss[$m-torch]} MiB | ${ctime[$m]} s, ${nofusion:-(not run)} (peak RSS ${crss[$m]} MiB) |"
  done
  echo
  echo "Peak RSS includes the training set: kiln keeps the pixels as bytes"
  echo "(47 MB) and normalises each batch as it gathers it, PyTorch holds"
  echo "fp32 (188 MB); PyTorch's also includes the Python interpreter and"
  echo "libtorch."
  echo
  echo "## Matmul: kiln's kernel vs OpenBLAS sgemm"
  echo
  echo "GFLOP/s, best of 20 runs, data in cache. \`M?\`/\`K?\`: the batch,"
  echo "dynamic in the kernel as in the model (so the kernel is the model's own)."
  echo "Bar: ≥ 90% at 512³, ≥ 80% at the MLP's shapes."
  echo
  echo "| M×K×N | transposition | kiln | OpenBLAS | kiln / OpenBLAS |"
  echo "|---|---|---:|---:|---:|"
  tail -n +2 "$work/matmul.out" | awk '{printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $5, $7}'
  echo
  echo "## Convolutions: kiln's kernels vs PyTorch's oneDNN"
  echo
  echo "GFLOP/s, best of 20 runs, of the conv layers of CNNs (a) and (b) at"
  echo "batch 128, stride 1, \"same\" padding: kiln-conv-bench (NHWC, the batch"
  echo "dynamic as in the models) and bench/torch_conv.py ($(head -1 "$work/conv_torch.out"); NCHW;"
  echo "the gradients by aten::convolution_backward). The first layers' input"
  echo "gradient (C = 1) is never computed in training: the images need none."
  echo
  echo "| layer N×H×W×C→F | K×K | kind | kiln | PyTorch | kiln / PyTorch |"
  echo "|---|---|---|---:|---:|---:|"
  awk '{printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6}' "$work/conv.rows"
  if [ -n "$gpu_sections" ]; then
    echo
    echo "$gpu_sections"
  fi
} >"$out"
echo "bench: wrote $out"
