//===- lower_ops.h - nn ops as Halide Funcs ---------------------*- C++ -*-===//
#ifndef KILN_COMPILER_HALIDE_LOWER_OPS_H
#define KILN_COMPILER_HALIDE_LOWER_OPS_H

#include "compiler/halide/plan.h"

#include "Halide.h"

namespace kiln::hl {

/// One kernel as a Halide pipeline: its output Func and its arguments in
/// call order (input buffers, then the batch size if used).
struct KernelPipeline {
  Halide::Func output;
  std::vector<Halide::Argument> args;
  /// The handles behind `args`, for running the pipeline by JIT.
  std::vector<Halide::ImageParam> inputs;
  Halide::Param<int32_t> batch;
};

/// Builds the pipeline of one kernel with its schedule for `target`.
/// Throws Halide::Error on Halide failures; emits an MLIR error and returns
/// std::nullopt for ops it cannot lower.
std::optional<KernelPipeline> buildKernel(const KernelPlan &kernel,
                                          const Halide::Target &target);

} // namespace kiln::hl

#endif // KILN_COMPILER_HALIDE_LOWER_OPS_H
