#!/usr/bin/env bash
# Installs every Debian 12 package kiln needs to build, test and run its demos.
# Idempotent: apt-get skips what is already installed. Downloads nothing else.
#   install_deps.sh          build, test and demo packages
#   install_deps.sh --bench  also the benchmarks' references (PyTorch, OpenBLAS)
set -euo pipefail

pkgs=(
  # build
  build-essential cmake ninja-build ccache git pkg-config zlib1g-dev
  # MLIR/LLVM 19 (static MLIR libs; FileCheck and lit live in llvm-19-tools)
  llvm-19-dev libmlir-19-dev mlir-19-tools llvm-19-tools
  # Halide 14 with its autoscheduler plugins
  libhalide14-0-dev
  # tests (gnuplot: the model binary's --plot FILE.png; clang and its
  # compiler-rt: the libFuzzer targets of scripts/fuzz.sh)
  libgtest-dev python3 python3-numpy gnuplot-nox clang libclang-rt-14-dev
  # the GPU schedules run on this CPU through OpenCL (test/gpu): PoCL, and
  # the ICD loader (libOpenCL.so.1) that the model binaries open
  pocl-opencl-icd ocl-icd-libopencl1
  # real data sets: Fashion-MNIST (IDX) and scikit-learn's bundled CSVs
  dataset-fashion-mnist python3-sklearn
)
if [ "${1:-}" = "--bench" ]; then
  # bench/ only: PyTorch 1.13 and OpenBLAS's sgemm, the references kiln is
  # measured against; /usr/bin/time for peak RSS.
  pkgs+=(python3-torch libopenblas0-pthread time)
elif [ $# -gt 0 ]; then
  echo "usage: install_deps.sh [--bench]" >&2
  exit 2
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps.sh: all ${#pkgs[@]} packages already installed"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install_deps.sh: missing packages (${missing[*]}); run as root, it calls apt-get" >&2
  exit 1
fi
echo "install_deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
