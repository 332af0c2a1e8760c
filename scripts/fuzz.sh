#!/usr/bin/env bash
# Builds kiln's libFuzzer targets with clang (AddressSanitizer + coverage)
# into ${KILN_FUZZ_BUILD_DIR:-build-fuzz} and runs each for a while:
#   kiln-fuzz-mlir        kiln-opt's parse + verify + autodiff/jvp + fuse +
#                         plan-memory pipelines, seeded with the lit tests' IR
#   kiln-fuzz-idx/-csv/-npy  the runtime's data readers
#   kiln-fuzz-checkpoint  the checkpoint reader
# First every input under test/fuzz/regressions/TARGET (each crash ever found)
# is replayed. A crash, a sanitizer report, a leak or a timeout fails the run;
# its input lands in the build dir's crashes/TARGET/.
#
# usage: scripts/fuzz.sh [--seconds N | --runs N] [--seed S] [--no-setup] [TARGET...]
#   --seconds N   fuzzing time per target (default 60)
#   --runs N      a fixed number of inputs per target instead (CI: with
#                 --seed, the same inputs on every machine)
#   --seed S      libFuzzer's seed (default: random)
#   --no-setup    do not install packages
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=60 runs="" seed=0 setup=1 targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift ;;
    --runs) runs=$2; shift ;;
    --seed) seed=$2; shift ;;
    --no-setup) setup=0 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz.sh: unknown option '$1'" >&2; exit 2 ;;
    *) targets+=("$1") ;;
  esac
  shift
done
for n in "$seconds" ${runs:+"$runs"}; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: '$n' is not a positive integer" >&2; exit 2; }
done
[[ "$seed" =~ ^[0-9]+$ ]] || { echo "fuzz.sh: --seed takes an integer" >&2; exit 2; }
budget=(-max_total_time="$seconds")
[ -n "$runs" ] && budget=(-runs="$runs")
all=(mlir idx csv npy checkpoint)
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")
for t in "${targets[@]}"; do
  [[ " ${all[*]} " == *" $t "* ]] || { echo "fuzz.sh: unknown target '$t' (${all[*]})" >&2; exit 2; }
done

[ "$setup" = 1 ] && ./scripts/install_deps.sh
build="${KILN_FUZZ_BUILD_DIR:-build-fuzz}"
mkdir -p "$build" # (its configure log goes inside)
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKILN_FUZZ=ON > "$build/cmake.log" 2>&1 ||
  { cat "$build/cmake.log"; exit 1; }
cmake --build "$build" --target "${targets[@]/#/kiln-fuzz-}"

# Seed corpora, rebuilt each run (the fuzzers add what they find beside).
seeds="$build/seeds"
rm -rf "$seeds" && mkdir -p "$seeds"
/usr/bin/python3 test/fuzz/make_seeds.py "$seeds"
KILN_FUZZ_WRITE_SEED="$seeds/checkpoint" "$build/bin/kiln-fuzz-checkpoint"
mv "$seeds/checkpoint/checkpoint.kiln" "$seeds/checkpoint/seed.kiln"

export ASAN_OPTIONS="detect_leaks=1:${ASAN_OPTIONS:-}"
failed=0
for t in "${targets[@]}"; do
  bin="$build/bin/kiln-fuzz-$t"
  corpus="$build/corpus/$t" crashes="$build/crashes/$t"
  mkdir -p "$corpus" "$crashes"
  regressions=test/fuzz/regressions/$t
  if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
    echo "fuzz $t: replaying $(ls "$regressions" | wc -l) regression input(s)"
    "$bin" -runs=0 "$regressions"/* > "$build/$t.replay.log" 2>&1 ||
      { tail -40 "$build/$t.replay.log"; failed=1; continue; }
  fi
  if [ -n "$runs" ]; then echo "fuzz $t: $runs inputs"; else echo "fuzz $t: ${seconds}s"; fi
  if "$bin" "${budget[@]}" -seed="$seed" -timeout=20 -rss_limit_mb=2560 \
      -print_final_stats=1 -artifact_prefix="$crashes/" \
      "$corpus" "$seeds/$t" > "$build/$t.log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/$t.log")
    echo "fuzz $t: no crash in $runs inputs (corpus $(ls "$corpus" | wc -l) files)"
  else
    grep -E "ERROR|SUMMARY|==[0-9]+==|deadly signal|Test unit written" "$build/$t.log" | head -20
    echo "fuzz $t: FAILED (log: $build/$t.log)"
    failed=1
  fi
done
exit $failed
