//===- optimizer.cpp - optimizer update synthesis -------------------------===//
//
// Each parameter's nn.gradient gets its optimizer's update rule and an
// nn.update; the gradients stay for the gradient function.
// Hyperparameters are nn.hyper values the runtime feeds at every step, so
// a schedule or a --lr flag changes them without a recompile.
//
//===----------------------------------------------------------------------===//
#include "compiler/passes/passes.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace kiln::nn;

namespace kiln {
#define GEN_PASS_DEF_OPTIMIZER
#include "compiler/passes/passes.h.inc"
} // namespace kiln

namespace {

/// Default when the model names no optimizer: plain SGD.
constexpr double kDefaultLearningRate = 0.01;

LogicalResult expand(ModelOp model) {
  // Only parameters are updated; gradients of inputs are for analysis.
  SmallVector<GradientOp> grads;
  for (auto g : model.getBodyBlock().getOps<GradientOp>())
    if (g.getParam().getDefiningOp<ParamOp>())
      grads.push_back(g);
  if (grads.empty())
    return model.emitError() << "model '" << model.getSymName()
                             << "' has no gradients (run --kiln-autodiff "
                                "before --kiln-optimizer)";
  double lr = kDefaultLearningRate;
  if (DictionaryAttr opt = model.getOptimizerAttr())
    if (auto attr = opt.getAs<FloatAttr>("lr"))
      lr = attr.getValueAsDouble();

  OpBuilder b = OpBuilder::atBlockEnd(&model.getBodyBlock());
  auto scalar = RankedTensorType::get({}, b.getF32Type());
  Value rate =
      b.create<HyperOp>(model.getLoc(), scalar, b.getStringAttr("lr"),
                               b.getF64FloatAttr(lr));
  // SGD: θ ← θ − lr·g
  for (GradientOp g : grads) {
    Location loc = g.getLoc();
    Value step = b.create<MulOp>(loc, rate, g.getGrad());
    Value updated = b.create<SubOp>(loc, g.getParam(), step);
    b.create<UpdateOp>(loc, g.getParam(), updated);
  }
  return success();
}

struct OptimizerPass : kiln::impl::OptimizerBase<OptimizerPass> {
  void runOnOperation() override {
    for (auto model : getOperation().getOps<ModelOp>())
      if (failed(expand(model)))
        return signalPassFailure();
  }
};

} // namespace
