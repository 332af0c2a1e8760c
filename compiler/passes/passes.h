//===- passes.h - kiln's passes ---------------------------------*- C++ -*-===//
#ifndef KILN_COMPILER_PASSES_PASSES_H
#define KILN_COMPILER_PASSES_PASSES_H

#include "dialects/kern/kern_dialect.h"
#include "dialects/nn/nn_dialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

namespace kiln {

#define GEN_PASS_DECL
#include "compiler/passes/passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "compiler/passes/passes.h.inc"

/// The stages of `kiln build`, in order; each one's IR can be dumped.
enum class Stage { NN, Grad, Optimizer, Steps, Kern, Plan };

struct StageOptions {
  /// Also derive forward-mode tangents (--kiln-jvp) in the Grad stage.
  bool jvp = false;
  /// What --kiln-jvp seeds (empty: every parameter).
  std::vector<std::string> jvpWrt;
  /// --kiln-fuse's options: fuse at all, and the Halide autoscheduler for
  /// pointwise and reduction kernels (empty: kiln's own schedules; matmul
  /// and convolution kernels always keep kiln's templates).
  bool fusion = true;
  std::string autoschedule;
  /// Tests only: --kiln-autodiff's break-vjp (a deliberately wrong
  /// gradient that grad-check must catch).
  std::string breakVjp;
};

/// Bytes of a tensor of this type with the batch dim bound to `batch`.
int64_t bytesAtBatch(mlir::Type tensorType, int64_t batch);

/// What --kiln-plan-memory did to one function (`kiln build --stats`).
struct MemoryStats {
  int64_t kernels = 0, ops = 0;
  /// Every kernel result in a buffer of its own (no planning).
  int64_t bytesBefore = 0;
  /// After planning: the arena of slots, plus the results that keep a
  /// buffer of their own (updates swapped in, not written in place).
  int64_t arenaBytes = 0, ownBytes = 0, slots = 0, inPlace = 0;
  /// The most bytes of results live at once (a lower bound for any plan).
  int64_t peakLiveBytes = 0;
};
mlir::FailureOr<MemoryStats> memoryStats(mlir::func::FuncOp fn, int64_t batch);

/// Adds the passes that take a module from the stage before `stage` to it.
void addStagePasses(mlir::OpPassManager &pm, Stage stage,
                    const StageOptions &options = {});

/// Registers all kiln passes and the `kiln-train-pipeline` with MLIR's
/// command line (for kiln-opt).
void registerAllPasses();

} // namespace kiln

#endif // KILN_COMPILER_PASSES_PASSES_H
