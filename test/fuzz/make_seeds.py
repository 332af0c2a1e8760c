#!/usr/bin/env python3
"""Seed corpora for scripts/fuzz.sh, written to DIR/<target>/:
mlir: every case of the lit tests' .mlir files (split at `// -----`);
idx: small image/label pairs in the fuzz input layout (a split byte, the
images, then the labels), raw and gzip'd; csv: the tests' CSV inputs and
the heads of Debian's scikit-learn CSVs; npy: small arrays of each dtype
the reader takes (when numpy is there)."""
import glob
import gzip
import io
import os
import struct
import sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
out = sys.argv[1]


def put(target, name, data):
    os.makedirs(os.path.join(out, target), exist_ok=True)
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data)


n = 0
for path in sorted(glob.glob(os.path.join(root, "test", "**", "*.mlir"),
                             recursive=True)):
    with open(path, "rb") as f:
        for case in f.read().split(b"\n// -----"):
            put("mlir", "case%04d.mlir" % n, case)
            n += 1


def idx_pair(count, h, w, gz):
    images = struct.pack(">IIII", 0x803, count, h, w) + bytes(
        (i * 31 + j) % 256 for i in range(count) for j in range(h * w))
    labels = struct.pack(">II", 0x801, count) + bytes(i % 10 for i in range(count))
    if gz:
        images, labels = gzip.compress(images), gzip.compress(labels)
    cut = len(images)
    total = len(images) + len(labels)
    # The harness splits at (size - 1) * byte / 255: pick the nearest byte
    # and pad so the split falls exactly between the two files.
    for b in range(256):
        if (total * b) // 255 == cut:
            return bytes([b]) + images + labels
    return bytes([128]) + images + labels


for i, (count, h, w, gz) in enumerate([(2, 4, 4, False), (3, 28, 28, False),
                                       (2, 4, 4, True), (1, 1, 1, False)]):
    put("idx", "pair%d" % i, idx_pair(count, h, w, gz))

for path in glob.glob(os.path.join(root, "test", "e2e", "Inputs", "*.csv")):
    with open(path, "rb") as f:
        put("csv", os.path.basename(path), f.read())
for path in glob.glob("/usr/share/python3-sklearn/sklearn/datasets/data/*.csv*") + \
        glob.glob("/usr/lib/python3/dist-packages/sklearn/datasets/data/*.csv*"):
    data = open(path, "rb").read()
    if path.endswith(".gz"):
        data = gzip.decompress(data)
    put("csv", os.path.basename(path).replace(".gz", ""),
        b"\n".join(data.split(b"\n")[:12]))
put("csv", "tabs.tsv", b"a\tb\tc\n1\t2\t0\n3\t4\t1\n")

try:
    import numpy as np
    for name, arr in [("f4", np.arange(12, dtype="<f4").reshape(4, 3)),
                      ("f8", np.arange(6, dtype="<f8").reshape(3, 2)),
                      ("i4", np.arange(8, dtype="<i4").reshape(4, 2)),
                      ("u1", np.arange(6, dtype="u1").reshape(3, 2)),
                      ("b1", np.array([[True, False], [False, True]])),
                      ("col", np.arange(5, dtype="<f4"))]:
        buf = io.BytesIO()
        np.save(buf, arr)
        put("npy", name + ".npy", buf.getvalue())
        put("npy", name + ".npy.gz", gzip.compress(buf.getvalue()))
except ImportError:
    put("npy", "empty", b"\x93NUMPY")
