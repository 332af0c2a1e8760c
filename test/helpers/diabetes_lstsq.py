#!/usr/bin/env python3
"""Compares a trained linear regression with the least-squares closed form.

usage: diabetes_lstsq.py TRAIN_OUTPUT SPLIT_FILE MAX_RATIO
SPLIT_FILE holds the validation row indices the model binary used
(--write-split). Fits y = X·w + b by numpy's lstsq on the other rows of
scikit-learn's diabetes data and compares validation MSEs. Exits 1 when the
model's is worse than MAX_RATIO times the closed form's.
"""
import gzip
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from metric import final_metrics  # noqa: E402

DATA = "/usr/lib/python3/dist-packages/sklearn/datasets/data"


def main():
    out, split, max_ratio = sys.argv[1], sys.argv[2], float(sys.argv[3])
    X = np.loadtxt(gzip.open(os.path.join(DATA, "diabetes_data_raw.csv.gz")))
    y = np.loadtxt(gzip.open(os.path.join(DATA, "diabetes_target.csv.gz")))
    val = np.loadtxt(split, dtype=int, ndmin=1)
    train = np.setdiff1d(np.arange(len(y)), val)
    A = np.c_[X, np.ones(len(y))]
    w, *_ = np.linalg.lstsq(A[train], y[train], rcond=None)
    closed = float(np.mean((A[val] @ w - y[val]) ** 2))
    kiln = final_metrics(out)[-1]["val_loss"]
    ratio = kiln / closed
    print(f"validation MSE: kiln {kiln:.2f}, closed form {closed:.2f}, "
          f"ratio {ratio:.4f} (bound {max_ratio})")
    sys.exit(0 if ratio <= max_ratio else 1)


if __name__ == "__main__":
    main()
