//===- break_vjp.cpp - deliberately wrong derivatives, for tests ----------===//
//
// `--kiln-autodiff=break-vjp=KIND` (kiln build's hidden --test-break-vjp)
// builds a gradient that is wrong in one well-known way, so that a test can
// show that `./model grad-check` catches it:
//   conv2d-filter  the filter gradient's kh and kw swapped (a layout bug)
//   max-pool       each window's adjoint spread evenly over it instead of
//                  routed to its maximum (max pooling treated as average)
//   batch-norm     the batch statistics treated as constants (the dropped
//                  mean and variance terms of a hand-written BN backward)
// Never used by a real build. test/e2e/grad_check_mutations.test shows
// grad-check failing on each.
//
//===----------------------------------------------------------------------===//
#include "compiler/passes/break_vjp.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace kiln::nn;

namespace kiln {

const char *const kBreakVjpKinds[] = {"conv2d-filter", "max-pool",
                                      "batch-norm"};

bool isBreakVjpKind(llvm::StringRef kind) {
  return llvm::is_contained(kBreakVjpKinds, kind);
}

llvm::DenseSet<Operation *> batchStatistics(ModelOp model) {
  llvm::DenseSet<Operation *> stats;
  for (auto te : model.getBodyBlock().getOps<TrainEvalOp>()) {
    // The batch branch's mean and variance: reductions over the batch dim.
    llvm::SetVector<Value> work;
    work.insert(te.getTrain());
    for (size_t i = 0; i < work.size(); ++i)
      if (Operation *def = work[i].getDefiningOp()) {
        if (auto mean = dyn_cast<ReduceMeanOp>(def);
            mean && llvm::is_contained(mean.getAxes(), 0))
          stats.insert(def);
        work.insert(def->operand_begin(), def->operand_end());
      }
  }
  return stats;
}

LogicalResult breakDerivatives(ModelOp model, llvm::StringRef kind) {
  SmallVector<Operation *> targets;
  model.walk([&](Operation *op) {
    if ((kind == "conv2d-filter" && isa<Conv2dFilterGradOp>(op)) ||
        (kind == "max-pool" && isa<MaxPool2dGradOp>(op)))
      targets.push_back(op);
  });
  if (kind == "batch-norm")
    return success(); // done by autodiff, which skips batchStatistics()
  if (targets.empty())
    return model.emitError()
           << "--kiln-autodiff=break-vjp=" << kind << ": the model has no "
           << (kind == "max-pool" ? "max pooling" : "convolution filter")
           << " gradient to break";
  for (Operation *op : targets) {
    OpBuilder b(op);
    b.setInsertionPointAfter(op);
    Value wrong;
    if (auto fg = dyn_cast<Conv2dFilterGradOp>(op)) {
      ArrayRef<int64_t> k = fg.getKernelSize();
      if (k[0] != k[1])
        return op->emitError() << "break-vjp=conv2d-filter needs square "
                                  "filters";
      wrong = b.create<TransposeOp>(op->getLoc(), fg.getResult(),
                                    b.getDenseI64ArrayAttr({1, 0, 2, 3}));
    } else {
      auto mp = cast<MaxPool2dGradOp>(op);
      auto shape = cast<RankedTensorType>(mp.getInput().getType()).getShape();
      wrong = b.create<AvgPool2dGradOp>(
          op->getLoc(), mp.getOutputGrad(), mp.getWindowAttr(),
          mp.getStridesAttr(), mp.getPaddingAttr(),
          b.getDenseI64ArrayAttr({shape[1], shape[2]}));
    }
    op->getResult(0).replaceAllUsesExcept(wrong, wrong.getDefiningOp());
  }
  return success();
}

} // namespace kiln
