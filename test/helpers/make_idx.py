#!/usr/bin/env python3
"""Writes a small gzip'd IDX pair (train-images-idx3-ubyte.gz and
train-labels-idx1-ubyte.gz) into DIR for the data-error tests.

usage: make_idx.py DIR [--count N] [--size H W] [--label I=V]
                       [--truncate-images BYTES] [--labels N]
--label I=V sets sample I's label to V; --truncate-images drops that many
bytes from the end of the image file; --labels writes N labels instead of
--count."""
import argparse
import gzip
import os
import struct

p = argparse.ArgumentParser()
p.add_argument("dir")
p.add_argument("--count", type=int, default=64)
p.add_argument("--size", type=int, nargs=2, default=[28, 28])
p.add_argument("--label", action="append", default=[])
p.add_argument("--truncate-images", type=int, default=0)
p.add_argument("--labels", type=int)
a = p.parse_args()
os.makedirs(a.dir, exist_ok=True)
h, w = a.size
images = struct.pack(">IIII", 0x803, a.count, h, w) + bytes(
    (i * 7 + j) % 256 for i in range(a.count) for j in range(h * w))
if a.truncate_images:
    images = images[:-a.truncate_images]
n = a.labels if a.labels is not None else a.count
labels = [i % 10 for i in range(n)]
for spec in a.label:
    i, v = spec.split("=")
    labels[int(i)] = int(v)
with gzip.open(os.path.join(a.dir, "train-images-idx3-ubyte.gz"), "wb") as f:
    f.write(images)
with gzip.open(os.path.join(a.dir, "train-labels-idx1-ubyte.gz"), "wb") as f:
    f.write(struct.pack(">II", 0x801, n) + bytes(labels))
