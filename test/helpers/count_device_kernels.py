"""Counts the kernels in `kiln build --emit=device` output, those whose
device code targets the given architecture (".target sm_80") and those with
at least one entry point; prints "kernels N with-target T with-entry E"."""
import sys

path, arch = sys.argv[1], sys.argv[2]
kernels, targeted, entries = 0, set(), set()
with open(path, errors="replace") as f:
    for line in f:
        if line.startswith("// ----- "):
            kernels += 1
        elif line.strip() == ".target " + arch:
            targeted.add(kernels)
        elif line.startswith(".visible .entry ") or line.startswith(".entry "):
            entries.add(kernels)
print("kernels %d with-target %d with-entry %d" % (kernels, len(targeted), len(entries)))
