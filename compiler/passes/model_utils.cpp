//===- model_utils.cpp - what several model passes ask of a model ---------===//
#include "compiler/passes/model_utils.h"

using namespace mlir;
using namespace kiln::nn;

namespace kiln {

bool isSink(Operation *op) {
  return isa<LossOp, OutputOp, GradientOp, UpdateOp, LossTangentOp>(op);
}

bool isDifferentiableValue(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.getElementType().isF32();
}

llvm::DenseSet<Value> lossCone(Value loss) {
  llvm::DenseSet<Value> cone;
  SmallVector<Value> work{loss};
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (!cone.insert(v).second)
      continue;
    if (Operation *def = v.getDefiningOp())
      llvm::append_range(work, def->getOperands());
  }
  return cone;
}

StringRef declName(Operation *decl) {
  if (auto p = dyn_cast<ParamOp>(decl))
    return p.getName();
  if (auto in = dyn_cast<InputOp>(decl))
    return in.getName();
  if (auto h = dyn_cast<HyperOp>(decl))
    return h.getName();
  if (auto st = dyn_cast<StateOp>(decl))
    return st.getName();
  return "";
}

FailureOr<SmallVector<Operation *>>
resolveWrt(ModelOp model, ArrayRef<std::string> names, StringRef pass) {
  SmallVector<Operation *> decls;
  if (names.empty()) {
    for (auto p : model.getBodyBlock().getOps<ParamOp>())
      decls.push_back(p);
    return decls;
  }
  for (const std::string &name : names) {
    Operation *found = nullptr;
    for (Operation &op : model.getBodyBlock())
      if (isa<ParamOp, InputOp>(op) && declName(&op) == name)
        found = &op;
    if (!found)
      return model.emitError()
             << pass << ": model '" << model.getSymName()
             << "' has no parameter or input named '" << name << "'";
    if (auto in = dyn_cast<InputOp>(found)) {
      if (in.getLabel())
        return in.emitError() << pass << ": label input '" << name
                              << "' is not differentiable (labels are data)";
      if (!isDifferentiableValue(in.getResult()))
        return in.emitError() << pass << ": input '" << name
                              << "' holds integers and is not differentiable";
    }
    if (!llvm::is_contained(decls, found))
      decls.push_back(found);
  }
  // Declaration order, whatever order the names came in.
  llvm::sort(decls,
             [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  return decls;
}

FailureOr<LossOp> findLoss(ModelOp model) {
  for (auto loss : model.getBodyBlock().getOps<LossOp>())
    return loss;
  return model.emitError() << "model '" << model.getSymName()
                           << "' has no loss to differentiate";
}

} // namespace kiln
