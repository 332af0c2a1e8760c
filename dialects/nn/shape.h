//===- shape.h - shape rules shared by inference and lowering ---*- C++ -*-===//
//
// Shapes follow MLIR: a dim of ShapedType::kDynamic is the batch size, and
// broadcasting matches it only with another batch dim or 1. A Window (which
// input element each tap of each output reads) is shared by shape
// inference, the reference evaluator and the Halide lowering; the output
// size of every convolution and pooling op is inferred by windowOutputSize.
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

/// The batch size the compiler plans for where the batch (a `?` dim) must
/// be given a number: schedule estimates, GPU tiles, split decisions,
/// autoscheduler estimates and `kiln build --stats`.
inline constexpr int64_t kPlannedBatch = 128;

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

/// The spatial window of a convolution or pooling op: kernel KH×KW,
/// strides, zero padding [top, bottom, left, right] and dilation. Tap (a, b)
/// of output (i, j) reads input (i·sh + a·dh − top, j·sw + b·dw − left).
struct Window {
  int64_t kh, kw, sh, sw, top, bottom, left, right, dh = 1, dw = 1;
  int64_t outH(int64_t h) const {
    return windowOutputSize(h, kh, sh, dh, top, bottom);
  }
  int64_t outW(int64_t w) const {
    return windowOutputSize(w, kw, sw, dw, left, right);
  }
};

/// A convolution's window; `kernel` is [KH, KW] (the filter's, or the
/// filter gradient's kernel_size). Attributes as verified.
template <typename Op>
Window convWindow(Op op, llvm::ArrayRef<int64_t> kernel) {
  llvm::ArrayRef<int64_t> s = op.getStrides(), p = op.getPadding(),
                          d = op.getDilation();
  return {kernel[0], kernel[1], s[0], s[1], p[0], p[1], p[2], p[3], d[0], d[1]};
}

/// A pooling op's window (no dilation).
template <typename Op> Window poolWindow(Op op) {
  llvm::ArrayRef<int64_t> k = op.getWindow(), s = op.getStrides(),
                          p = op.getPadding();
  return {k[0], k[1], s[0], s[1], p[0], p[1], p[2], p[3]};
}

} // namespace kiln::nn

#endif // KILN_DIALECTS_NN_SHAPE_H
