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
//===----------------------------------------------------------------------===//
#include "compiler/halide/lower_ops.h"
#include "dialects/nn/nn_dialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"

#include <dlfcn.h>

#include <chrono>
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

template <typename F> double bestSeconds(F run, int repeat) {
  run(); // warm up (JIT compile, caches, thread pools)
  double best = 1e30;
  for (int r = 0; r < repeat; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    run();
    best = std::min(best, std::chrono::duration<double>(
                              std::chrono::steady_clock::now() - t0)
                              .count());
  }
  return best;
}

struct Case {
  int m, k, n;
  bool ta, tb;
};

} // namespace

int main(int argc, char **argv) {
  int threads = 2, repeat = 20;
  std::vector<Case> cases;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (a == "--repeat" && i + 1 < argc) {
      repeat = std::atoi(argv[++i]);
    } else if (i + 2 < argc) {
      Case c{std::atoi(argv[i]), std::atoi(argv[i + 1]), std::atoi(argv[i + 2]),
             false, false};
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
                   "usage: %s [--threads N] [--repeat N] [M K N "
                   "[nn|nt|tn]]...\n",
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
  setenv("HL_NUM_THREADS", std::to_string(threads).c_str(), 1);

  DialectRegistry registry;
  registry.insert<kiln::nn::NNDialect, func::FuncDialect>();
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  OpBuilder b(&context);
  Location loc = UnknownLoc::get(&context);
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  H::Target target = kiln::hl::jitTarget();

  std::printf("%-22s %10s %10s %8s   (threads %d, %s)\n", "matmul", "kiln",
              "OpenBLAS", "ratio", threads, target.to_string().c_str());
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1, 1);
  for (const Case &c : cases) {
    // A is [m,k] (or [k,m] transposed), B [k,n] (or [n,k]).
    int ar = c.ta ? c.k : c.m, ac = c.ta ? c.m : c.k;
    int br = c.tb ? c.n : c.k, bc = c.tb ? c.k : c.n;
    auto f32 = [&](int r, int col) {
      return RankedTensorType::get({r, col}, b.getF32Type());
    };
    b.setInsertionPointToEnd(module->getBody());
    auto fn = b.create<func::FuncOp>(
        loc, "mm", b.getFunctionType({f32(ar, ac), f32(br, bc)}, {}));
    Block *entry = fn.addEntryBlock();
    b.setInsertionPointToEnd(entry);
    auto mm =
        b.create<kiln::nn::MatmulOp>(loc, f32(c.m, c.n), entry->getArgument(0),
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
    kp->batch.set(c.m);
    H::Pipeline pipeline(kp->outputs);
    pipeline.compile_jit(target);
    double kiln = bestSeconds([&] { pipeline.realize(C); }, repeat);
    double flops = 2.0 * c.m * c.n * c.k;
    double blasSec = 0;
    if (blas.sgemm) {
      blasSec = bestSeconds(
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
    std::snprintf(name, sizeof name, "%dx%dx%d %s%s", c.m, c.k, c.n,
                  c.ta ? "t" : "n", c.tb ? "t" : "n");
    if (blas.sgemm)
      std::printf("%-22s %7.1f GF %7.1f GF %7.0f%%\n", name, flops / kiln / 1e9,
                  flops / blasSec / 1e9, 100 * blasSec / kiln);
    else
      std::printf("%-22s %7.1f GF\n", name, flops / kiln / 1e9);
    std::fflush(stdout);
  }
  return 0;
}
