//===- autodiff.cpp - reverse-mode differentiation of a model -------------===//
//
// Activity analysis first: an op gets an adjoint only if it lies between a
// parameter and the loss (dead gradients are never built). Then one sweep
// over the forward ops in reverse order asks each op for its VJP and sums
// the adjoints of values with several users.
//
//===----------------------------------------------------------------------===//
#include "compiler/passes/passes.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace kiln::nn;

namespace kiln {
#define GEN_PASS_DEF_AUTODIFF
#include "compiler/passes/passes.h.inc"
} // namespace kiln

namespace {

bool isSink(Operation *op) {
  return isa<LossOp, OutputOp, GradientOp, UpdateOp>(op);
}

LogicalResult differentiate(ModelOp model) {
  Block &body = model.getBodyBlock();
  LossOp loss;
  SmallVector<ParamOp> params;
  SmallVector<Operation *> forward;
  for (Operation &op : body) {
    if (auto l = dyn_cast<LossOp>(op))
      loss = l;
    else if (auto p = dyn_cast<ParamOp>(op))
      params.push_back(p);
    else if (isa<GradientOp, UpdateOp>(op))
      return op.emitError() << "model '" << model.getSymName()
                            << "' is already differentiated";
    if (!isSink(&op))
      forward.push_back(&op);
  }
  if (!loss)
    return model.emitError() << "model '" << model.getSymName()
                             << "' has no loss to differentiate";

  // Activity: varied = depends on a parameter; useful = the loss depends on it.
  llvm::DenseSet<Value> varied, useful;
  for (Operation *op : forward) {
    bool v = isa<ParamOp>(op) ||
             llvm::any_of(op->getOperands(),
                          [&](Value x) { return varied.contains(x); });
    if (v)
      varied.insert(op->result_begin(), op->result_end());
  }
  useful.insert(loss.getValue());
  for (Operation *op : llvm::reverse(forward))
    if (llvm::any_of(op->getResults(),
                     [&](Value r) { return useful.contains(r); }))
      useful.insert(op->operand_begin(), op->operand_end());
  auto active = [&](Value v) {
    return varied.contains(v) && useful.contains(v);
  };

  OpBuilder b = OpBuilder::atBlockEnd(&body);
  llvm::DenseMap<Value, Value> adjoint;
  auto accumulate = [&](Value v, Value g, Location loc) {
    assert(g.getType() == v.getType() && "adjoint type must match its value");
    auto [it, inserted] = adjoint.try_emplace(v, g);
    if (!inserted)
      it->second = b.create<AddOp>(loc, it->second, g);
  };
  if (active(loss.getValue()))
    adjoint[loss.getValue()] = b.create<ConstantOp>(
        loss.getLoc(), cast<RankedTensorType>(loss.getValue().getType()), 1.0f);

  for (Operation *op : llvm::reverse(forward)) {
    SmallVector<Value> resultGrads;
    bool any = false;
    for (Value r : op->getResults()) {
      resultGrads.push_back(adjoint.lookup(r));
      any |= static_cast<bool>(resultGrads.back());
    }
    if (!any || isa<ParamOp>(op))
      continue;
    auto diff = dyn_cast<DifferentiableOpInterface>(op);
    if (!diff)
      return op->emitError() << "'" << op->getName()
                             << "' is not differentiable, but it lies between "
                                "a parameter and the loss";
    SmallVector<bool> needed;
    for (auto [i, x] : llvm::enumerate(op->getOperands())) {
      needed.push_back(active(x));
      if (needed.back() && !diff.isDifferentiableOperand(i))
        return op->emitError() << "operand #" << i << " of '" << op->getName()
                               << "' is not differentiable, but it depends "
                                  "on a parameter";
    }
    SmallVector<Value> operandGrads;
    if (failed(diff.buildVJP(b, resultGrads, needed, operandGrads)))
      return failure();
    for (auto [x, g] : llvm::zip(op->getOperands(), operandGrads))
      if (g)
        accumulate(x, g, op->getLoc());
  }

  for (ParamOp p : params) {
    Value g = adjoint.lookup(p.getResult());
    if (!g)
      return p.emitError() << "parameter '" << p.getName()
                           << "' does not affect the loss";
    b.create<GradientOp>(p.getLoc(), p.getResult(), g);
  }
  return success();
}

struct AutodiffPass : kiln::impl::AutodiffBase<AutodiffPass> {
  void runOnOperation() override {
    for (auto model : getOperation().getOps<ModelOp>())
      if (failed(differentiate(model)))
        return signalPassFailure();
  }
};

} // namespace
