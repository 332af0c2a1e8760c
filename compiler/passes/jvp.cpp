//===- jvp.cpp - forward-mode differentiation of a model ------------------===//
//
// One forward sweep per seeded value: the seed's tangent is all ones, and
// every op between it and the loss applies its JVP rule, so each sweep gives
// the loss's derivative along one direction. Ops the loss does not depend on
// get no tangent. Each sweep ends in `nn.loss_tangent %value, %t` (a zero
// constant when no path reaches the loss).
//
//===----------------------------------------------------------------------===//
#include "compiler/passes/model_utils.h"
#include "compiler/passes/passes.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace kiln::nn;

namespace kiln {
#define GEN_PASS_DEF_JVP
#include "compiler/passes/passes.h.inc"
} // namespace kiln

namespace {

/// All ones, shaped like `v` (a broadcast scalar when the shape is dynamic).
Value ones(OpBuilder &b, Location loc, Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  auto scalar = RankedTensorType::get({}, b.getF32Type());
  if (t.hasStaticShape())
    return b.create<ConstantOp>(loc, t, 1.0f);
  Value one = b.create<ConstantOp>(loc, scalar, 1.0f);
  return b.create<BroadcastToOp>(loc, t, one);
}

LogicalResult sweep(ModelOp model, Operation *seed, LossOp loss,
                    const llvm::DenseSet<Value> &useful,
                    ArrayRef<Operation *> forward) {
  OpBuilder b = OpBuilder::atBlockEnd(&model.getBodyBlock());
  llvm::DenseMap<Value, Value> tangent;
  tangent[seed->getResult(0)] = ones(b, seed->getLoc(), seed->getResult(0));
  for (Operation *op : forward) {
    if (isa<ParamOp, InputOp, HyperOp>(op) ||
        llvm::none_of(op->getResults(), [&](Value r) {
          return useful.contains(r) && kiln::isDifferentiableValue(r);
        }))
      continue;
    SmallVector<Value> operandTangents;
    bool any = false;
    for (Value x : op->getOperands()) {
      operandTangents.push_back(tangent.lookup(x));
      any |= static_cast<bool>(operandTangents.back());
    }
    if (!any)
      continue;
    auto diff = dyn_cast<DifferentiableOpInterface>(op);
    if (!diff)
      return op->emitError() << "'" << op->getName()
                             << "' is not differentiable, but it lies between '"
                             << kiln::declName(seed) << "' and the loss";
    for (auto [i, t] : llvm::enumerate(operandTangents))
      if (t && !diff.isDifferentiableOperand(i))
        return op->emitError() << "operand #" << i << " of '" << op->getName()
                               << "' is not differentiable, but it depends "
                                  "on '"
                               << kiln::declName(seed) << "'";
    SmallVector<Value> resultTangents;
    if (failed(diff.buildJVP(b, operandTangents, resultTangents)))
      return failure();
    for (auto [r, t] : llvm::zip(op->getResults(), resultTangents))
      if (t)
        tangent[r] = t;
  }
  Value t = tangent.lookup(loss.getValue());
  if (!t) // the loss does not depend on the seed along any path
    t = b.create<ConstantOp>(
        loss.getLoc(), cast<RankedTensorType>(loss.getValue().getType()), 0.0f);
  b.create<LossTangentOp>(seed->getLoc(), seed->getResult(0), t);
  return success();
}

LogicalResult differentiate(ModelOp model, ArrayRef<std::string> wrtNames) {
  for (auto t : model.getBodyBlock().getOps<LossTangentOp>())
    return t.emitError() << "model '" << model.getSymName()
                         << "' already has forward-mode tangents";
  FailureOr<LossOp> loss = kiln::findLoss(model);
  FailureOr<SmallVector<Operation *>> wrt =
      kiln::resolveWrt(model, wrtNames, "kiln-jvp");
  if (failed(loss) || failed(wrt))
    return failure();
  SmallVector<Operation *> forward;
  for (Operation &op : model.getBodyBlock())
    if (!kiln::isSink(&op))
      forward.push_back(&op);
  llvm::DenseSet<Value> useful = kiln::lossCone(loss->getValue());
  for (Operation *seed : *wrt)
    if (failed(sweep(model, seed, *loss, useful, forward)))
      return failure();
  return success();
}

struct JvpPass : kiln::impl::JvpBase<JvpPass> {
  using JvpBase::JvpBase;
  void runOnOperation() override {
    for (auto model : getOperation().getOps<ModelOp>())
      if (failed(differentiate(model, wrt)))
        return signalPassFailure();
  }
};

} // namespace
