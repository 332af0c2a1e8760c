#!/usr/bin/env python3
"""Checks a metric on a model binary's `final:` line.

usage: metric.py OUTPUT_FILE NAME (ge|le) BOUND [LINE_PREFIX]
e.g.   metric.py train.out val_accuracy ge 94   (percent signs are ignored)
       metric.py train.out accuracy ge 88.5 test:   (the `test:` line)
With several such lines (runs appended to one file), the bound applies to
their mean.
Prints the figure; exits 1 when the bound is not met.
"""
import re
import sys


def final_metrics(path, prefix="final:"):
    """The metrics of each line starting with `prefix`, in order."""
    number = r"(-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|-?inf|-?nan)%?(?=\s|$)"
    found = [{k: float(v) for k, v in re.findall(r"(\w+) " + number, line)}
             for line in open(path) if line.startswith(prefix)]
    if not found:
        sys.exit(f"{path}: no '{prefix}' line")
    return found


def main():
    path, name, op, bound = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    prefix = sys.argv[5] if len(sys.argv) > 5 else "final:"
    values = [m.get(name) for m in final_metrics(path, prefix)]
    if None in values:
        sys.exit(f"{path}: no metric '{name}' on a '{prefix}' line")
    value = sum(values) / len(values)
    if len(values) > 1:
        print(f"{name} of {len(values)} runs: " + " ".join(f"{v:g}" for v in values))
        name = "mean " + name
    ok = value >= bound if op == "ge" else value <= bound
    print(f"{name} = {value:g} (bound: {op} {bound:g}) -> {'ok' if ok else 'FAILED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
