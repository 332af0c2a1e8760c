//===- matmul_bench.cpp - kiln's matmul kernels vs OpenBLAS sgemm ---------===//
//
// Builds kiln's matmul kernel (the same lowering and schedule `kiln build`
// AOT-compiles) for a shape and transposition, JIT-compiles it for the
// host, and times it against OpenBLAS's cblas_sgemm (Debian's
// libopenblas0-pthread, loaded with dlopen) on the same data and thread
// count. Prints GFLOP/s of each and the ratio. A benchmark, not a test.
//
//   kiln-matmul-bench [--threads N] [--repeat N] [M K N [nn|nt|tn]]...
//
// A size written with a trailing '?' (128?) is the batch: dynamic in the
// kernel's type, as in a model (M of a forward or dX matmul, K of a weight
// gradient), so the kernel is the one the model gets (split-K included).
// Parallel loops run on kiln's runtime thread pool, as in a model binary
// (--pool halide: Halide's own JIT pool instead).
//
//===----------------------------------------------------------------------===//
#include "bench/kernel_bench.h"
#include "compiler/halide/host_target.h"
#include "compiler/halide/build_kernel.h"

#include <dlfcn.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace mlir;
namespace H = Halide;

namespace {

// cblas ABI (CblasRowMajor = 101, CblasNoTrans = 111, CblasTrans = 112).
using Sgemm = void (*)(int, int, int, int, int, int, float, const float *, int,
                       const float *, int, float, float *, int);
using SetThreads = void (*)(int);

struct Blas {
  Sgemm sgemm = nullptr;
  SetThreads setThreads = nullptr;
};

Blas loadOpenBlas() {
  Blas b;
  for (const char *lib :
       {"/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
        "libopenblas.so.0"}) {
    if (void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL)) {
      b.sgemm = reinterpret_cast<Sgemm>(dlsym(h, "cblas_sgemm"));
      b.setThreads =
          reinterpret_cast<SetThreads>(dlsym(h, "openblas_set_num_threads"));
      break;
    }
  }
  return b;
}

struct Case {
  int m, k, n;
  bool ta, tb;
  bool dynM = false, dynK = false;
};

/// A size, "128" or "128?" (dynamic); 0 when malformed.
int parseSize(const char *text, bool &dynamic) {
  char *end = nullptr;
  long v = std::strtol(text, &end, 10);
  dynamic = *end == '?';
  if (dynamic)
    ++end;
  return *end || v <= 0 || v > (1 << 20) ? 0 : static_cast<int>(v);
}

} // namespace

int main(int argc, char **argv) {
  int threads = 2, repeat = 20;
  bool kilnPool = true;
  std::vector<Case> cases;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (a == "--pool" && i + 1 < argc) {
      std::string pool = argv[++i];
      if (pool != "kiln" && pool != "halide") {
        std::fprintf(stderr, "error: --pool must be kiln or halide\n");
        return 1;
      }
      kilnPool = pool == "kiln";
    } else if (a == "--repeat" && i + 1 < argc) {
      repeat = std::atoi(argv[++i]);
    } else if (i + 2 < argc) {
      Case c{};
      bool dynN = false;
      c.m = parseSize(argv[i], c.dynM);
      c.k = parseSize(argv[i + 1], c.dynK);
      c.n = parseSize(argv[i + 2], dynN);
      if (!c.m || !c.k || !c.n || dynN || (c.dynM && c.dynK)) {
        std::fprintf(stderr,
                     "error: bad shape '%s %s %s' (M K N, at most one "
                     "of M and K marked dynamic with '?')\n",
                     argv[i], argv[i + 1], argv[i + 2]);
        return 1;
      }
      i += 2;
      if (i + 1 < argc &&
          (!std::strcmp(argv[i + 1], "nn") || !std::strcmp(argv[i + 1], "nt") ||
           !std::strcmp(argv[i + 1], "tn"))) {
        std::string t = argv[++i];
        c.ta = t[0] == 't';
        c.tb = t[1] == 't';
      }
      cases.push_back(c);
    } else {
      std::fprintf(stderr,
                   "usage: %s [--threads N] [--repeat N] [--pool kiln|halide] "
                   "[M K N [nn|nt|tn]]...\n",
                   argv[0]);
      return 1;
    }
  }
  if (cases.empty())
    cases = {{512, 512, 512, false, false}};
  Blas blas = loadOpenBlas();
  if (!blas.sgemm)
    std::fprintf(stderr, "warning: OpenBLAS not found (install "
                         "libopenblas0-pthread); timing kiln only\n");
  if (blas.setThreads)
    blas.setThreads(threads);
  kiln::bench::setThreads(threads);
  kiln::bench::OpModule om;
  OpBuilder &b = om.b;
  Location loc = om.loc;
  H::Target target = kiln::hl::jitTarget();

  std::printf("%-22s %10s %10s %8s   (threads %d, %s pool, %s)\n", "matmul",
              "kiln", "OpenBLAS", "ratio", threads,
              kilnPool ? "kiln" : "Halide", target.to_string().c_str());
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1, 1);
  for (const Case &c : cases) {
    // A is [m,k] (or [k,m] transposed), B [k,n] (or [n,k]).
    int ar = c.ta ? c.k : c.m, ac = c.ta ? c.m : c.k;
    int br = c.tb ? c.n : c.k, bc = c.tb ? c.k : c.n;
    // Types: the batch size (M or K marked '?') is dynamic.
    auto dim = [&](int v, bool dynamic) -> int64_t {
      return dynamic ? ShapedType::kDynamic : v;
    };
    int64_t mDim = dim(c.m, c.dynM), kDim = dim(c.k, c.dynK);
    auto f32 = [&](int64_t r, int64_t col) {
      return RankedTensorType::get({r, col}, b.getF32Type());
    };
    Type aType = c.ta ? f32(kDim, mDim) : f32(mDim, kDim);
    Type bType = c.tb ? f32(c.n, kDim) : f32(kDim, c.n);
    Block *entry = om.function({aType, bType}, "mm");
    auto mm =
        b.create<kiln::nn::MatmulOp>(loc, f32(mDim, c.n), entry->getArgument(0),
                                     entry->getArgument(1), c.ta, c.tb);
    b.create<func::ReturnOp>(loc);

    kiln::hl::KernelPlan k;
    k.name = "bench_mm";
    k.op = mm;
    std::optional<kiln::hl::KernelPipeline> kp =
        kiln::hl::buildKernel(k, target);
    if (!kp)
      return 1;
    H::Buffer<float> A(ac, ar), B(bc, br), C(c.n, c.m), R(c.n, c.m);
    for (float *p = A.begin(); p != A.end(); ++p)
      *p = u(rng);
    for (float *p = B.begin(); p != B.end(); ++p)
      *p = u(rng);
    kp->inputs[0].set(A);
    kp->inputs[1].set(B);
    kp->batch.set(c.dynK ? c.k : c.m);
    H::Pipeline pipeline(kp->outputs);
    if (kilnPool)
      kiln::bench::useKilnPool(pipeline);
    pipeline.compile_jit(target);
    double kilnSec =
        kiln::bench::bestSeconds([&] { pipeline.realize(C); }, repeat);
    double flops = 2.0 * c.m * c.n * c.k;
    double blasSec = 0;
    if (blas.sgemm) {
      blasSec = kiln::bench::bestSeconds(
          [&] {
            blas.sgemm(101, c.ta ? 112 : 111, c.tb ? 112 : 111, c.m, c.n, c.k,
                       1.0f, A.data(), ac, B.data(), bc, 0.0f, R.data(), c.n);
          },
          repeat);
      double worst = 0;
      for (int i = 0; i < c.m * c.n; ++i)
        worst = std::max(worst, double(std::fabs(C.data()[i] - R.data()[i])));
      if (worst > 1e-3 * c.k)
        std::fprintf(stderr, "warning: kiln and OpenBLAS differ by %g\n",
                     worst);
    }
    char name[64];
    std::snprintf(name, sizeof name, "%d%sx%d%sx%d %s%s", c.m,
                  c.dynM ? "?" : "", c.k, c.dynK ? "?" : "", c.n,
                  c.ta ? "t" : "n", c.tb ? "t" : "n");
    if (blas.sgemm)
      std::printf("%-22s %7.1f GF %7.1f GF %7.0f%%\n", name,
                  flops / kilnSec / 1e9, flops / blasSec / 1e9,
                  100 * blasSec / kilnSec);
    else
      std::printf("%-22s %7.1f GF\n", name, flops / kilnSec / 1e9);
    std::fflush(stdout);
  }
  return 0;
}
