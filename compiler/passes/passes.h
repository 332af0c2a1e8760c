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
enum class Stage { NN, Grad, Optimizer, Steps, Kern };

struct StageOptions {
  /// Also derive forward-mode tangents (--kiln-jvp) in the Grad stage.
  bool jvp = false;
  /// What --kiln-jvp seeds (empty: every parameter).
  std::vector<std::string> jvpWrt;
  /// --kiln-fuse's options: fuse at all, and the Halide autoscheduler for
  /// non-matmul kernels (empty: kiln's own schedules).
  bool fusion = true;
  std::string autoschedule;
};

/// Adds the passes that take a module from the stage before `stage` to it.
void addStagePasses(mlir::OpPassManager &pm, Stage stage,
                    const StageOptions &options = {});

/// Registers all kiln passes and the `kiln-train-pipeline` with MLIR's
/// command line (for kiln-opt).
void registerAllPasses();

} // namespace kiln

#endif // KILN_COMPILER_PASSES_PASSES_H
