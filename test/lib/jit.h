//===- jit.h - run a step function's kernels by Halide JIT ------*- C++ -*-===//
//
// For tests: runs a func.func of nn ops with exactly the kernels kiln
// AOT-compiles (one Halide pipeline per op, same lowering and schedule), but
// JIT-compiled in-process, on float32/int32/bool buffers. Loops (nn.scan)
// run as the runtime runs them: slices in, the body's kernels, outputs and
// carries back.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TEST_LIB_JIT_H
#define KILN_TEST_LIB_JIT_H

#include "test/lib/evaluator.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <vector>

namespace kiln::hl {

/// Runs `fn` on `args`; results come back widened to double. Emits an MLIR
/// error and fails for ops the back end cannot lower.
mlir::FailureOr<std::vector<ref::Tensor>>
runJit(mlir::func::FuncOp fn, const std::vector<ref::Tensor> &args);

} // namespace kiln::hl

#endif // KILN_TEST_LIB_JIT_H
