//===- kernel_bench.h - shared parts of kiln's kernel benchmarks ----------===//
//
// What kiln-matmul-bench and kiln-conv-bench share: best-of-N timing, the
// thread setup, an MLIR module to build single-op kernels in, and running
// a JIT-compiled kernel's parallel loops on kiln's runtime thread pool (as
// a model binary does).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_BENCH_KERNEL_BENCH_H
#define KILN_BENCH_KERNEL_BENCH_H

#include "dialects/nn/nn_dialect.h"
#include "runtime/src/thread_pool.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"

#include "Halide.h"

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

namespace kiln::bench {

/// The best of `repeat` timed runs, in seconds, after one warm-up run.
template <typename F> double bestSeconds(F run, int repeat) {
  // Idle threads of the previous measurement (kiln's pool spins 2 ms,
  // OpenBLAS's threads ~0.1 s) must not steal cores from this one.
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
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

/// Kernels run on `threads` threads: kiln's pool and Halide's own.
inline void setThreads(int threads) {
  setenv("HL_NUM_THREADS", std::to_string(threads).c_str(), 1);
  rt::ThreadPool::setGlobalThreads(threads);
}

/// An MLIR context with the nn dialect, and a module to build the
/// benchmarked ops in (one func.func each).
struct OpModule {
  mlir::MLIRContext context;
  mlir::OpBuilder b;
  mlir::Location loc;
  mlir::OwningOpRef<mlir::ModuleOp> module;

  OpModule()
      : context(registry()), b(&context), loc(mlir::UnknownLoc::get(&context)),
        module(mlir::ModuleOp::create(loc)) {
    context.loadAllAvailableDialects();
  }
  static mlir::DialectRegistry registry() {
    mlir::DialectRegistry r;
    r.insert<nn::NNDialect, mlir::func::FuncDialect>();
    return r;
  }
  /// A new function of `inputs`, the builder inside its entry block.
  mlir::Block *function(mlir::TypeRange inputs, llvm::StringRef name) {
    b.setInsertionPointToEnd(module->getBody());
    auto fn =
        b.create<mlir::func::FuncOp>(loc, name, b.getFunctionType(inputs, {}));
    mlir::Block *entry = fn.addEntryBlock();
    b.setInsertionPointToEnd(entry);
    return entry;
  }
};

/// Parallel loops of `pipeline` on kiln's runtime thread pool.
inline void useKilnPool(Halide::Pipeline &pipeline) {
  pipeline.jit_handlers().custom_do_par_for =
      [](Halide::JITUserContext *context,
         int (*task)(Halide::JITUserContext *, int, uint8_t *), int min,
         int size, uint8_t *closure) {
        return rt::ThreadPool::global().parFor(
            context, reinterpret_cast<rt::TaskFn>(task), min, size, closure);
      };
}

} // namespace kiln::bench

#endif // KILN_BENCH_KERNEL_BENCH_H
