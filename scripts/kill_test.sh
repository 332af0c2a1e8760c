#!/usr/bin/env bash
# Kill test: trains a model once straight through, then again while killing
# it with SIGKILL at random moments N times, each time resuming from its
# checkpoint (saved after every epoch and every few steps, atomically). The
# killed run must end with a checkpoint byte-identical to the straight one:
# parameters, optimizer state and position, nothing lost or repeated.
#
# usage: scripts/kill_test.sh [--kills N] [--kiln PATH] [--work DIR]
# Exits 0 when all N kills landed mid-training and the final checkpoints
# are identical; prints one line per kill.
set -euo pipefail
cd "$(dirname "$0")/.."
kills=20 kiln="${KILN_BUILD_DIR:-build}/bin/kiln" work=""
while [ $# -gt 0 ]; do
  case "$1" in
    --kills) kills=$2; shift ;;
    --kiln) kiln=$2; shift ;;
    --work) work=$2; shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "kill_test.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
  shift
done
[[ "$kills" =~ ^[1-9][0-9]*$ ]] || { echo "kill_test.sh: --kills takes a positive integer" >&2; exit 2; }
[ -x "$kiln" ] || { echo "kill_test.sh: $kiln is missing (build kiln first)" >&2; exit 1; }
if [ -z "$work" ]; then
  work=$(mktemp -d /tmp/kiln-kill.XXXXXX)
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
rm -rf "$work/straight" "$work/killed"

"$kiln" build test/e2e/Inputs/checkpointed.cpp -o "$work/model"
train=("$work/model" train --dataset breast-cancer --epochs 2000 --batch-size 8)
start=$(date +%s.%N)
"${train[@]}" --checkpoint "$work/straight" > "$work/straight.out"
straight=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
# Kill delays average 0.8 x (the straight run's time) / N, so all N kills
# land before the run could finish (the killed runs, checkpointing every
# few steps, are slower still), whatever this machine's speed.
mean=$(awk -v t="$straight" -v n="$kills" 'BEGIN { print 0.8 * t / n }')

landed=0
for ((i = 1; i <= kills; ++i)); do
  resume=()
  [ -e "$work/killed/checkpoint.kiln" ] && resume=(--resume)
  # A checkpoint every 3 steps as well as each epoch: kills land between
  # steps, inside a step and inside checkpoint writes.
  "${train[@]}" --checkpoint "$work/killed" --checkpoint-every 3 \
    "${resume[@]}" > "$work/run.out" 2>&1 &
  pid=$!
  delay=$(awk -v r="$RANDOM" -v m="$mean" 'BEGIN { printf "%.3f", 2 * m * (r % 1000) / 1000 }')
  sleep "$delay"
  if kill -9 "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null || true
    landed=$((landed + 1))
    state="killed"
  else
    wait "$pid" || { cat "$work/run.out"; exit 1; }
    state="finished before the kill"
  fi
  # A killed write leaves at most its temporary file beside the checkpoint.
  if [ "$(ls "$work/killed" 2>/dev/null | wc -l)" -gt 2 ]; then
    echo "kill test: FAILED, stale files after kill $i: $(ls "$work/killed")" >&2
    exit 1
  fi
  pos=$(sed -n 's/^resuming \(.*\) from .*/\1/p' "$work/run.out")
  echo "kill $i/$kills after ${delay}s: $state (started ${pos:-from scratch})"
  [ "$state" = killed ] || break
done
# Whatever the kills left, the checkpoint loads and the run completes.
"${train[@]}" --checkpoint "$work/killed" --resume > "$work/final.out" 2>&1 ||
  { cat "$work/final.out"; exit 1; }
if ! cmp -s "$work/straight/checkpoint.kiln" "$work/killed/checkpoint.kiln"; then
  echo "kill test: FAILED, the final checkpoints differ" >&2
  exit 1
fi
echo "kill test: $landed/$kills kills landed mid-training; the final checkpoint is byte-identical to the uninterrupted run's"
[ "$landed" -eq "$kills" ]
