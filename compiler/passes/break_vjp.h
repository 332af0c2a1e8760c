//===- break_vjp.h - deliberately wrong derivatives, for tests --*- C++ -*-===//
#ifndef KILN_COMPILER_PASSES_BREAK_VJP_H
#define KILN_COMPILER_PASSES_BREAK_VJP_H

#include "dialects/nn/nn_dialect.h"

#include "llvm/ADT/DenseSet.h"

namespace kiln {

/// The mutations --kiln-autodiff=break-vjp=KIND knows (break_vjp.cpp).
extern const char *const kBreakVjpKinds[3];
bool isBreakVjpKind(llvm::StringRef kind);

/// batch-norm: the batch mean and variance of each nn.train_eval's batch
/// branch, whose VJPs autodiff then skips.
llvm::DenseSet<mlir::Operation *> batchStatistics(nn::ModelOp model);

/// conv2d-filter and max-pool: rewrites the derivative ops autodiff built.
mlir::LogicalResult breakDerivatives(nn::ModelOp model, llvm::StringRef kind);

} // namespace kiln

#endif // KILN_COMPILER_PASSES_BREAK_VJP_H
