#!/usr/bin/env python3
"""Checks docs/DIAGNOSTICS.md against the tests: every row's message
fragment must occur in the test file the row names, and the catalogue must
hold at least MIN distinct messages.

usage: check_catalogue.py CATALOGUE REPO_ROOT [MIN]"""
import os
import re
import sys

catalogue, root = sys.argv[1], sys.argv[2]
least = int(sys.argv[3]) if len(sys.argv) > 3 else 30
row = re.compile(r"^\| *(\d+) *\|[^|]*\|[^|]*\| *`([^`]+)` *\| *`([^`]+)` *\|$")
bad, seen = 0, set()
for line in open(catalogue, encoding="utf-8"):
    m = row.match(line.rstrip("\n"))
    if not m:
        continue
    num, message, test = m.groups()
    seen.add(message)
    path = os.path.join(root, test)
    if not os.path.exists(path):
        print(f"row {num}: test {test} does not exist")
        bad += 1
    elif message not in open(path, encoding="utf-8").read():
        print(f"row {num}: '{message}' is not in {test}")
        bad += 1
print(f"{len(seen)} distinct diagnostics, {bad} without their test")
sys.exit(1 if bad or len(seen) < least else 0)
