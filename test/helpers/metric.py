#!/usr/bin/env python3
"""Checks a metric on a model binary's `final:` line.

usage: metric.py OUTPUT_FILE NAME (ge|le) BOUND
e.g.   metric.py train.out val_accuracy ge 94   (percent signs are ignored)
Prints the figure; exits 1 when the bound is not met.
"""
import re
import sys


def final_metrics(path):
    for line in open(path):
        if line.startswith("final:"):
            number = r"(-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|-?inf|-?nan)%?(?=\s|$)"
            return {k: float(v) for k, v in re.findall(r"(\w+) " + number, line)}
    sys.exit(f"{path}: no 'final:' line")


def main():
    path, name, op, bound = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    value = final_metrics(path).get(name)
    if value is None:
        sys.exit(f"{path}: no metric '{name}' on the final line")
    ok = value >= bound if op == "ge" else value <= bound
    print(f"{name} = {value:g} (bound: {op} {bound:g}) -> {'ok' if ok else 'FAILED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
