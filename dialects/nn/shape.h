//===- shape.h - shape rules shared by inference and lowering ---*- C++ -*-===//
//
// Shapes follow MLIR: a dim of ShapedType::kDynamic is the batch size.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_DIALECTS_NN_SHAPE_H
#define KILN_DIALECTS_NN_SHAPE_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/SmallVector.h"
#include <optional>
#include <string>

namespace kiln::nn {

/// "?x30" style text for a shape, for error messages.
std::string formatShape(llvm::ArrayRef<int64_t> shape);

/// Numpy broadcasting of two shapes, with `?` (batch) only matching `?` or 1.
/// On failure returns std::nullopt and, if `why` is set, the reason.
std::optional<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b,
                std::string *why = nullptr);

/// True when `from` broadcasts to `to` (each dim of `from`, right-aligned,
/// is 1 or equal to the matching dim of `to`).
bool isBroadcastableTo(llvm::ArrayRef<int64_t> from,
                       llvm::ArrayRef<int64_t> to);

/// The dims of `big` that a sum down to `small` reduces, in `big`'s indexing.
/// Requires isBroadcastableTo(small, big).
llvm::SmallVector<int64_t> broadcastAxes(llvm::ArrayRef<int64_t> small,
                                         llvm::ArrayRef<int64_t> big);

/// Checks reduction axes (sorted, unique, in range) and returns the result
/// shape; emits through `emitError` on failure.
mlir::FailureOr<llvm::SmallVector<int64_t>>
reducedShape(llvm::ArrayRef<int64_t> shape, llvm::ArrayRef<int64_t> axes,
             bool keepdims,
             llvm::function_ref<mlir::InFlightDiagnostic()> emitError);

/// Output size of a convolution or pooling window along one spatial dim:
/// ⌊(S + lo + hi − d·(K − 1) − 1) / s⌋ + 1 (S_o = ⌊(S − K + 2P)/s⌋ + 1 for
/// symmetric padding and no dilation); < 1 when the window does not fit.
inline int64_t windowOutputSize(int64_t size, int64_t kernel, int64_t stride,
                                int64_t dilation, int64_t lo, int64_t hi) {
  int64_t span = size + lo + hi - dilation * (kernel - 1) - 1;
  return span < 0 ? 0 : span / stride + 1;
}

} // namespace kiln::nn

#endif // KILN_DIALECTS_NN_SHAPE_H
