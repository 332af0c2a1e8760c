#!/usr/bin/env python3
"""PyTorch reference for kiln's benchmarks: trains the same models on the
same data with the same batch size, optimizer, fp32 and thread count, and
prints samples/s. Benchmark helper only (Debian's python3-torch).

usage: torch_reference.py MODEL --epochs N --batch-size B --threads T
MODEL: logreg (784->10 softmax regression), mlp (784-512-256-10 ReLU),
cnn_a (examples/fashion_mnist_cnn.cpp), cnn_b (fashion_mnist_bn_cnn.cpp) or
lstm (examples/lstm_fashion_mnist.cpp),
all with softmax cross-entropy and Adam (lr 1e-3).
Prints one line: `torch MODEL samples_per_s=... epoch_seconds=... accuracy=...`.
"""
import argparse
import gzip
import os
import struct
import time

import numpy as np
import torch

DATA = "/usr/share/datasets/fashion-mnist"


def load_idx(images, labels):
    with gzip.open(os.path.join(DATA, images)) as f:
        _, n, h, w = struct.unpack(">IIII", f.read(16))
        x = np.frombuffer(f.read(), dtype=np.uint8).reshape(n, h * w)
    with gzip.open(os.path.join(DATA, labels)) as f:
        struct.unpack(">II", f.read(8))
        y = np.frombuffer(f.read(), dtype=np.uint8)
    return x.astype(np.float32) / 255.0, y.astype(np.int64)


class Image(torch.nn.Module):
    """784 pixels to a 1x28x28 image (PyTorch's convolutions are NCHW)."""

    def forward(self, x):
        return x.view(-1, 1, 28, 28)


class RowLstm(torch.nn.Module):
    """examples/lstm_fashion_mnist.cpp: an LSTM (128) over 28 rows of 28
    pixels, a dense layer on the last hidden state."""

    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(28, 128, batch_first=True)
        self.out = torch.nn.Linear(128, 10)

    def forward(self, x):
        _, (h, _) = self.lstm(x.view(-1, 28, 28))
        return self.out(h[-1])


def model_for(name):
    nn = torch.nn
    if name == "lstm":
        return RowLstm()
    if name == "logreg":
        return nn.Linear(784, 10)
    if name == "cnn_a":  # examples/fashion_mnist_cnn.cpp
        return nn.Sequential(
            Image(), nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(3136, 1024), nn.ReLU(), nn.Dropout(0.4),
            nn.Linear(1024, 10))
    if name == "cnn_b":  # examples/fashion_mnist_bn_cnn.cpp
        return nn.Sequential(
            Image(), nn.Conv2d(1, 32, 3, padding=1, bias=False),
            nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64),
            nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(3136, 128),
            nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))
    return torch.nn.Sequential(
        torch.nn.Linear(784, 512), torch.nn.ReLU(),
        torch.nn.Linear(512, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 10))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model", choices=["logreg", "mlp", "cnn_a", "cnn_b", "lstm"])
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    x, y = load_idx("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")
    # z-score per feature, like kiln's runtime (fitted on the training data)
    mean, std = x.mean(0), x.std(0)
    std[std < 1e-6] = 1
    x = (x - mean) / std
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    model = model_for(a.model)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    n = len(xt)
    best = None
    for epoch in range(a.epochs):
        perm = torch.randperm(n)
        start = time.perf_counter()
        for i in range(0, n, a.batch_size):
            idx = perm[i:i + a.batch_size]
            opt.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
        secs = time.perf_counter() - start
        best = secs if best is None else min(best, secs)
    model.eval()
    with torch.no_grad():
        acc = sum((model(xt[i:i + 1024]).argmax(1) == yt[i:i + 1024]).sum().item()
                  for i in range(0, n, 1024)) / n
    print(f"torch {a.model} samples_per_s={n / best:.0f} epoch_seconds={best:.3f} "
          f"train_accuracy={acc:.4f} threads={torch.get_num_threads()}")


if __name__ == "__main__":
    main()
