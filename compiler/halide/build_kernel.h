//===- build_kernel.h - kernels as Halide pipelines -------------*- C++ -*-===//
#ifndef KILN_COMPILER_HALIDE_BUILD_KERNEL_H
#define KILN_COMPILER_HALIDE_BUILD_KERNEL_H

#include "compiler/halide/step_table.h"

#include "Halide.h"

namespace kiln::hl {

/// One kernel as a Halide pipeline. Results of one shape share one output
/// Func (a Tuple: one loop nest writing several buffers), so the output
/// buffers come in `bufferOrder`: position p holds kernel result
/// bufferOrder[p].
struct KernelPipeline {
  std::vector<Halide::Func> outputs;
  std::vector<unsigned> bufferOrder;
  /// Call arguments: input buffers in order, then the batch size if used.
  std::vector<Halide::Argument> args;
  /// The handles behind `args`, for running the pipeline by JIT.
  std::vector<Halide::ImageParam> inputs;
  Halide::Param<int32_t> batch;
};

/// Builds the pipeline of one kernel (a kern.kernel, or a single nn op
/// whose constant operands are inlined) with its schedule for `target`.
/// Throws Halide::Error on Halide failures; emits an MLIR error and returns
/// std::nullopt for ops it cannot lower. `kilnSchedule` overrides an
/// "auto:" schedule with kiln's own.
std::optional<KernelPipeline> buildKernel(const KernelPlan &kernel,
                                          const Halide::Target &target,
                                          bool kilnSchedule = false);

} // namespace kiln::hl

#endif // KILN_COMPILER_HALIDE_BUILD_KERNEL_H
