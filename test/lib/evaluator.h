//===- evaluator.h - reference evaluator for the nn dialect -----*- C++ -*-===//
//
// A test oracle: runs any func.func of nn ops on given tensors with plain
// loops in double precision, independently of the Halide back end. It
// follows the same definitions as the compiled kernels (clamped BCE logs,
// ties, out-of-range one-hot rows, ...), so the two can be compared.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TEST_LIB_EVALUATOR_H
#define KILN_TEST_LIB_EVALUATOR_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::ref {

enum class DType { F32, I32, Bool };

/// A dense row-major tensor; every element type is held as double.
struct Tensor {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<double> data;

  Tensor() = default;
  Tensor(std::vector<int64_t> shape, DType dtype = DType::F32);
  int64_t size() const { return static_cast<int64_t>(data.size()); }
  /// "2x3xf32"
  std::string describe() const;
};

DType dtypeOf(mlir::Type tensorType);

/// Runs `fn` on `args` (one per argument, dynamic dims taken from them).
/// Emits an MLIR error at the offending op and returns failure for shapes
/// that do not fit or ops it does not know.
mlir::FailureOr<std::vector<Tensor>> evaluate(mlir::func::FuncOp fn,
                                              const std::vector<Tensor> &args);

} // namespace kiln::ref

#endif // KILN_TEST_LIB_EVALUATOR_H
