#!/usr/bin/env python3
"""Writes a CIFAR-10 binary file (gzip'd if FILE ends in .gz): records of
one label byte (0..9) and 3072 pixel bytes, the red, green and blue planes
of a 32x32 image, each row-major.

The images are learnable: class k has its own colour, lit by a ramp that
runs across the image for even k and down it for odd k, plus seeded
uniform noise. Labels are balanced (record i has class i mod 10 before the
seeded shuffle).

usage: make_cifar.py --output FILE [--records N] [--seed S] [--noise A]
                     [--label I=V] [--truncate BYTES]
--label I=V overwrites record I's label byte with V (for the error tests);
--truncate drops that many bytes from the end of the file."""
import argparse
import gzip
import random

SIDE = 32
PLANE = SIDE * SIDE

# Class k's colour (red, green, blue), far apart in RGB.
COLOURS = [(230, 40, 40), (40, 200, 40), (40, 60, 230), (230, 230, 40),
           (230, 40, 230), (40, 220, 220), (250, 250, 250), (120, 120, 120),
           (140, 70, 20), (20, 20, 20)]


def template(label):
    """Class `label`'s noiseless image, plane by plane."""
    out = []
    for c in range(3):
        base = COLOURS[label][c]
        for h in range(SIDE):
            for w in range(SIDE):
                ramp = (w if label % 2 == 0 else h) / (SIDE - 1)
                out.append(base * (0.6 + 0.4 * ramp))
    return out


def record(label, templates, noise, rng):
    """The 3073 bytes of one image of class `label`."""
    span = 2 * noise + 1
    pixels = (min(255, max(0, round(v + j % span - noise)))
              for v, j in zip(templates[label], rng.randbytes(3 * PLANE)))
    return bytes([label]) + bytes(pixels)


def main():
    p = argparse.ArgumentParser(
        description="Write a CIFAR-10 binary file of learnable images.")
    p.add_argument("--output", required=True,
                   help="the file to write (gzip'd if it ends in .gz)")
    p.add_argument("--records", type=int, default=100,
                   help="number of images (default 100)")
    p.add_argument("--seed", type=int, default=0,
                   help="seeds the labels' order and the noise (default 0)")
    p.add_argument("--noise", type=int, default=24,
                   help="uniform pixel noise in [-A, A] (default 24)")
    p.add_argument("--label", action="append", default=[], metavar="I=V",
                   help="set record I's label byte to V (repeatable)")
    p.add_argument("--truncate", type=int, default=0, metavar="BYTES",
                   help="drop BYTES from the end of the file")
    a = p.parse_args()
    if a.records < 0 or a.noise < 0 or a.truncate < 0:
        p.error("--records, --noise and --truncate must be >= 0")
    rng = random.Random(a.seed)
    labels = [i % 10 for i in range(a.records)]
    rng.shuffle(labels)
    templates = [template(k) for k in range(10)]
    data = bytearray()
    for label in labels:
        data += record(label, templates, a.noise, rng)
    for spec in a.label:
        i, v = (int(x) for x in spec.split("="))
        data[i * (1 + 3 * PLANE)] = v
    if a.truncate:
        data = data[:max(0, len(data) - a.truncate)]
    opener = gzip.open if a.output.endswith(".gz") else open
    with opener(a.output, "wb") as f:
        f.write(bytes(data))


if __name__ == "__main__":
    main()
