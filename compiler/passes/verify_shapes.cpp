//===- verify_shapes.cpp - model-level well-formedness checks -------------===//
//
// Op verifiers check each op's shapes (every op infers its result type and
// the verifier compares). What no single op can see is checked here, at the
// location of the declaration the user wrote, so a DSL mistake points at
// the DSL line: a loss (nn.model's verifier allows at most one), every
// parameter used and reaching the loss (a loss that depends on none is an
// error), and for each metric a label it can compare with (binary_accuracy:
// the output's type; accuracy: one i32 class label of the output's leading
// shape). An unused input is a warning.
//
//===----------------------------------------------------------------------===//
#include "compiler/passes/model_utils.h"
#include "compiler/passes/passes.h"
#include "dialects/nn/shape.h"

using namespace mlir;
using namespace kiln::nn;

namespace kiln {
#define GEN_PASS_DEF_VERIFYSHAPES
#include "compiler/passes/passes.h.inc"
} // namespace kiln

namespace {

LogicalResult verifyModel(ModelOp model) {
  SmallVector<LossOp> losses;
  SmallVector<InputOp> labels;
  for (Operation &op : model.getBodyBlock()) {
    if (auto loss = dyn_cast<LossOp>(op))
      losses.push_back(loss);
    if (auto in = dyn_cast<InputOp>(op); in && in.getLabel())
      labels.push_back(in);
  }
  if (losses.empty())
    return model.emitError() << "model '" << model.getSymName()
                             << "' has no loss (declare one with loss())";

  bool ok = true;
  llvm::DenseSet<Value> cone = kiln::lossCone(losses.front().getValue());
  unsigned reaching = 0;
  for (Operation &op : model.getBodyBlock()) {
    if (auto param = dyn_cast<ParamOp>(op)) {
      if (param->use_empty()) {
        param.emitError() << "parameter '" << param.getName()
                          << "' is never used";
        ok = false;
      } else if (!cone.contains(param.getResult())) {
        param.emitError() << "parameter '" << param.getName()
                          << "' does not affect the loss, so training "
                             "would never change it";
        ok = false;
      } else {
        ++reaching;
      }
    } else if (auto in = dyn_cast<InputOp>(op); in && in->use_empty()) {
      in.emitWarning() << "input '" << in.getName() << "' is never used";
    } else if (auto out = dyn_cast<OutputOp>(op);
               out && out.getMetric() == "accuracy") {
      // argmax over the last dim vs an i32 class label of the other dims.
      auto scores = cast<RankedTensorType>(out.getValue().getType());
      auto label = labels.size() == 1
                       ? cast<RankedTensorType>(labels[0].getType())
                       : RankedTensorType();
      bool fits = label && label.getElementType().isInteger(32) &&
                  scores.getRank() >= 1 &&
                  label.getShape() == scores.getShape().drop_back();
      if (!fits) {
        InFlightDiagnostic diag = out.emitError();
        diag << "metric accuracy compares the argmax of output '"
             << out.getName() << "' (" << formatShape(scores.getShape())
             << ") with one i32 class label of its leading shape";
        if (labels.size() == 1)
          diag.attachNote(labels[0].getLoc())
              << "label '" << labels[0].getName() << "' is "
              << labels[0].getType();
        ok = false;
      }
    } else if (auto out = dyn_cast<OutputOp>(op);
               out && out.getMetric() == "binary_accuracy") {
      if (labels.size() != 1) {
        out.emitError() << "metric binary_accuracy compares the output with "
                           "the model's label input, but the model has "
                        << labels.size() << " label inputs";
        ok = false;
      } else if (labels[0].getType() != out.getValue().getType()) {
        auto shape = [](Value v) {
          return formatShape(cast<RankedTensorType>(v.getType()).getShape());
        };
        InFlightDiagnostic diag = out.emitError();
        diag << "metric binary_accuracy compares output '" << out.getName()
             << "' (" << shape(out.getValue()) << ") with label '"
             << labels[0].getName() << "' (" << shape(labels[0].getResult())
             << ") elementwise, but their shapes differ";
        diag.attachNote(labels[0].getLoc())
            << "label '" << labels[0].getName() << "' is declared here";
        ok = false;
      }
    }
  }
  if (ok && reaching == 0)
    return losses.front().emitError()
           << "the loss does not depend on any parameter";
  return success(ok);
}

struct VerifyShapesPass : kiln::impl::VerifyShapesBase<VerifyShapesPass> {
  void runOnOperation() override {
    for (auto model : getOperation().getOps<ModelOp>())
      if (failed(verifyModel(model)))
        signalPassFailure();
  }
};

} // namespace
