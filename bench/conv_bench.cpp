//===- conv_bench.cpp - kiln's convolution kernels, timed -----------------===//
//
// Builds kiln's three convolution kernels (the lowering and schedules
// `kiln build` AOT-compiles) for one layer: forward (nn.conv2d), the input
// gradient (nn.conv2d_input_grad) and the filter gradient
// (nn.conv2d_filter_grad), the batch dynamic as in a model. JIT-compiles
// them for the host, runs them on kiln's thread pool and prints GFLOP/s of
// each, best of --repeat runs. bench/torch_conv.py times PyTorch's oneDNN
// convolutions at the same layers; bench/run.sh prints the two side by
// side. A benchmark, not a test.
//
//   kiln-conv-bench [--threads N] [--repeat N] [N H W C F K PAD]...
//
// A layer: batch N, input H×W×C (NHWC), F filters of K×K, zero padding PAD
// on every side, stride 1.
//
//===----------------------------------------------------------------------===//
#include "bench/kernel_bench.h"
#include "compiler/halide/host_target.h"
#include "compiler/halide/build_kernel.h"

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

using namespace mlir;
namespace H = Halide;

namespace {

struct Layer {
  int n, h, w, c, f, k, pad;
  int oh() const { return h + 2 * pad - k + 1; }
  int ow() const { return w + 2 * pad - k + 1; }
  double flops() const { return 2.0 * n * oh() * ow() * f * c * k * k; }
};

/// A Halide buffer for a tensor of MLIR shape `shape` (dims reversed),
/// filled with uniform noise.
H::Buffer<float> noise(ArrayRef<int64_t> shape, std::mt19937 &rng) {
  std::vector<int> extents(shape.rbegin(), shape.rend());
  H::Buffer<float> buf(extents);
  std::uniform_real_distribution<float> u(-1, 1);
  for (float *p = buf.begin(); p != buf.end(); ++p)
    *p = u(rng);
  return buf;
}

int usage(const char *argv0) {
  std::fprintf(stderr,
               "usage: %s [--threads N] [--repeat N] [N H W C F K PAD]...\n",
               argv0);
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  int threads = 2, repeat = 20;
  std::vector<Layer> layers;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (a == "--repeat" && i + 1 < argc) {
      repeat = std::atoi(argv[++i]);
    } else if (i + 6 < argc) {
      int v[7];
      for (int j = 0; j < 7; ++j) {
        char *end = nullptr;
        long x = std::strtol(argv[i + j], &end, 10);
        if (*end || x < (j == 6 ? 0 : 1) || x > 4096) {
          std::fprintf(stderr, "error: bad layer size '%s'\n", argv[i + j]);
          return usage(argv[0]);
        }
        v[j] = static_cast<int>(x);
      }
      Layer l{v[0], v[1], v[2], v[3], v[4], v[5], v[6]};
      if (l.oh() < 1 || l.ow() < 1) {
        std::fprintf(stderr, "error: a %dx%d filter does not fit %dx%d\n", l.k,
                     l.k, l.h, l.w);
        return 1;
      }
      layers.push_back(l);
      i += 6;
    } else {
      return usage(argv[0]);
    }
  }
  if (threads < 1 || repeat < 1)
    return usage(argv[0]);
  if (layers.empty())
    layers = {{128, 14, 14, 32, 64, 5, 2}};
  kiln::bench::setThreads(threads);
  kiln::bench::OpModule m;
  OpBuilder &b = m.b;
  Location loc = m.loc;
  H::Target target = kiln::hl::jitTarget();
  std::mt19937 rng(1);

  std::printf("%-28s %-7s %10s   (threads %d, %s)\n", "layer NxHxWxC->F KxK",
              "kind", "kiln", threads, target.to_string().c_str());
  for (const Layer &l : layers) {
    const int64_t dyn = ShapedType::kDynamic;
    auto f32 = [&](ArrayRef<int64_t> s) {
      return RankedTensorType::get(s, b.getF32Type());
    };
    SmallVector<int64_t> xShape{dyn, l.h, l.w, l.c}, wShape{l.k, l.k, l.c, l.f},
        yShape{dyn, l.oh(), l.ow(), l.f};
    auto strides = b.getDenseI64ArrayAttr({1, 1});
    auto padding = b.getDenseI64ArrayAttr({l.pad, l.pad, l.pad, l.pad});
    auto dilation = b.getDenseI64ArrayAttr({1, 1});
    auto groups = b.getI64IntegerAttr(1);
    // One function per kind, holding only that op (buildKernel's test path).
    auto kernelFor = [&](Type a, Type c) { return m.function({a, c}, "conv"); };
    Block *fwd = kernelFor(f32(xShape), f32(wShape));
    Operation *fwdOp = b.create<kiln::nn::Conv2dOp>(
        loc, f32(yShape), fwd->getArgument(0), fwd->getArgument(1), strides,
        padding, dilation, groups);
    b.create<func::ReturnOp>(loc);
    Block *dx = kernelFor(f32(yShape), f32(wShape));
    Operation *dxOp = b.create<kiln::nn::Conv2dInputGradOp>(
        loc, f32(xShape), dx->getArgument(0), dx->getArgument(1), strides,
        padding, dilation, groups, b.getDenseI64ArrayAttr({l.h, l.w}));
    b.create<func::ReturnOp>(loc);
    Block *dw = kernelFor(f32(xShape), f32(yShape));
    Operation *dwOp = b.create<kiln::nn::Conv2dFilterGradOp>(
        loc, f32(wShape), dw->getArgument(0), dw->getArgument(1), strides,
        padding, dilation, groups, b.getDenseI64ArrayAttr({l.k, l.k}));
    b.create<func::ReturnOp>(loc);

    SmallVector<int64_t> x{l.n, l.h, l.w, l.c}, y{l.n, l.oh(), l.ow(), l.f};
    H::Buffer<float> xBuf = noise(x, rng), wBuf = noise(wShape, rng),
                     yBuf = noise(y, rng);
    struct Kind {
      const char *name;
      Operation *op;
      H::Buffer<float> *a, *c;
      SmallVector<int64_t> out;
    } kinds[] = {{"forward", fwdOp, &xBuf, &wBuf, y},
                 {"dinput", dxOp, &yBuf, &wBuf, x},
                 {"dfilter", dwOp, &xBuf, &yBuf, wShape}};
    char name[64];
    std::snprintf(name, sizeof name, "%dx%dx%dx%d->%d %dx%d", l.n, l.h, l.w,
                  l.c, l.f, l.k, l.k);
    for (Kind &k : kinds) {
      kiln::hl::KernelPlan plan;
      plan.name = std::string("bench_") + k.name;
      plan.op = k.op;
      std::optional<kiln::hl::KernelPipeline> kp =
          kiln::hl::buildKernel(plan, target);
      if (!kp)
        return 1;
      kp->inputs[0].set(*k.a);
      kp->inputs[1].set(*k.c);
      kp->batch.set(l.n);
      H::Pipeline pipeline(kp->outputs);
      kiln::bench::useKilnPool(pipeline);
      pipeline.compile_jit(target);
      H::Buffer<float> out(std::vector<int>(k.out.rbegin(), k.out.rend()));
      double sec =
          kiln::bench::bestSeconds([&] { pipeline.realize(out); }, repeat);
      std::printf("%-28s %-7s %7.1f GF\n", name, k.name, l.flops() / sec / 1e9);
      std::fflush(stdout);
    }
  }
  return 0;
}
