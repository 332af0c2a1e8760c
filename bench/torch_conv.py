#!/usr/bin/env python3
"""PyTorch reference for kiln-conv-bench: times PyTorch's convolutions
(oneDNN on CPU, NCHW as PyTorch stores images) at the same layers, fp32,
the same thread count: forward, the input gradient and the filter gradient
(aten::convolution_backward with one output each), best of --repeat runs.
Benchmark helper only (Debian's python3-torch).

usage: torch_conv.py [--threads N] [--repeat N] [N H W C F K PAD]...
Prints one line per layer and kind, as kiln-conv-bench does:
`NxHxWxC->F KxK KIND GFLOP/s GF`.
"""
import argparse
import time

import torch


def best_seconds(run, repeat):
    time.sleep(0.25)  # idle threads of the previous measurement
    run()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("layers", type=int, nargs="*",
                    help="N H W C F K PAD, repeated")
    args = ap.parse_args()
    if len(args.layers) % 7:
        ap.error("a layer is 7 numbers: N H W C F K PAD")
    layers = [args.layers[i:i + 7] for i in range(0, len(args.layers), 7)]
    layers = layers or [[128, 14, 14, 32, 64, 5, 2]]
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    print(f"torch {torch.__version__}, threads {args.threads}, "
          f"mkldnn {torch.backends.mkldnn.is_available()}")
    with torch.no_grad():
        for n, h, w, c, f, k, pad in layers:
            oh, ow = h + 2 * pad - k + 1, w + 2 * pad - k + 1
            flops = 2.0 * n * oh * ow * f * c * k * k
            x = torch.rand(n, c, h, w) * 2 - 1
            wt = torch.rand(f, c, k, k) * 2 - 1
            dy = torch.rand(n, f, oh, ow) * 2 - 1

            def backward(mask):
                return lambda: torch.ops.aten.convolution_backward(
                    dy, x, wt, None, [1, 1], [pad, pad], [1, 1], False,
                    [0, 0], 1, mask)

            kinds = [
                ("forward", lambda: torch.nn.functional.conv2d(
                    x, wt, padding=pad)),
                ("dinput", backward([True, False, False])),
                ("dfilter", backward([False, True, False])),
            ]
            name = f"{n}x{h}x{w}x{c}->{f} {k}x{k}"
            for kind, run in kinds:
                sec = best_seconds(run, args.repeat)
                print(f"{name:<28} {kind:<7} {flops / sec / 1e9:7.1f} GF",
                      flush=True)


if __name__ == "__main__":
    main()
