#!/usr/bin/env python3
"""Checks a metric on a model binary's `final:` line.

usage: metric.py OUTPUT_FILE NAME (ge|le) BOUND [LINE_PREFIX]
e.g.   metric.py train.out val_accuracy ge 94   (percent signs are ignored)
       metric.py train.out accuracy ge 88.5 test:   (the `test:` line)
Prints the figure; exits 1 when the bound is not met.
"""
import re
import sys


def final_metrics(path, prefix="final:"):
    for line in open(path):
        if line.startswith(prefix):
            number = r"(-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|-?inf|-?nan)%?(?=\s|$)"
            return {k: float(v) for k, v in re.findall(r"(\w+) " + number, line)}
    sys.exit(f"{path}: no '{prefix}' line")


def main():
    path, name, op, bound = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    prefix = sys.argv[5] if len(sys.argv) > 5 else "final:"
    value = final_metrics(path, prefix).get(name)
    if value is None:
        sys.exit(f"{path}: no metric '{name}' on the final line")
    ok = value >= bound if op == "ge" else value <= bound
    print(f"{name} = {value:g} (bound: {op} {bound:g}) -> {'ok' if ok else 'FAILED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
