//===- model_utils.h - what several model passes ask of a model -*- C++ -*-===//
//
// What verify-shapes, autodiff, jvp and outline-steps share: which ops are
// sinks, the f32 rule (only f32 values carry derivatives), the loss cone,
// and the resolution of a pass's `wrt` names.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_PASSES_MODEL_UTILS_H
#define KILN_COMPILER_PASSES_MODEL_UTILS_H

#include "dialects/nn/nn_dialect.h"

#include "llvm/ADT/DenseSet.h"

#include <string>

namespace kiln {

/// Sinks consume values (nn.loss, nn.output, nn.gradient, ...); everything
/// else in a model block is a declaration or computation.
bool isSink(mlir::Operation *op);

/// Only f32 values carry derivatives: labels, indices and masks never do.
bool isDifferentiableValue(mlir::Value v);

/// Values the loss is computed from, transitively (within the model block).
llvm::DenseSet<mlir::Value> lossCone(mlir::Value loss);

/// The declarations named by a pass's `wrt` option, in declaration order;
/// every parameter when `names` is empty. Emits an error (for `pass`) on an
/// unknown name or a label.
mlir::FailureOr<llvm::SmallVector<mlir::Operation *>>
resolveWrt(nn::ModelOp model, llvm::ArrayRef<std::string> names,
           llvm::StringRef pass);

/// The model's loss, or an error (at the model) when it has none.
mlir::FailureOr<nn::LossOp> findLoss(nn::ModelOp model);

/// The name of a declaration (nn.param / nn.state / nn.input / nn.hyper).
llvm::StringRef declName(mlir::Operation *decl);

} // namespace kiln

#endif // KILN_COMPILER_PASSES_MODEL_UTILS_H
