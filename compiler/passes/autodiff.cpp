//===- autodiff.cpp - reverse-mode differentiation of a model -------------===//
//
// Activity analysis first: an op gets an adjoint only if it lies between a
// differentiated value and the loss, and only f32 values carry adjoints, so
// dead gradients are never built, and labels and masks never get adjoints.
// Then one sweep over the forward ops in reverse order asks each op for its
// VJP, sums the adjoints of values with several users (nn.add), and ends
// with `nn.gradient %value, %grad` per differentiated value.
//
// `wrt=` chooses parameters or feature inputs (resolveWrt refuses labels and
// integer inputs); by default every parameter. A value named by wrt= that
// reaches the loss only through zero derivatives (sign, counts) gets a zero
// gradient; under the default wrt, a parameter with no gradient is an error
// that names the op where its derivative stops. `break-vjp=` (tests only)
// builds a deliberately wrong gradient, from break_vjp.cpp.
//
//===----------------------------------------------------------------------===//
#include "compiler/passes/break_vjp.h"
#include "compiler/passes/model_utils.h"
#include "compiler/passes/passes.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace kiln::nn;

namespace kiln {
#define GEN_PASS_DEF_AUTODIFF
#include "compiler/passes/passes.h.inc"
} // namespace kiln

namespace {

LogicalResult differentiate(ModelOp model, ArrayRef<std::string> wrtNames,
                            StringRef breakVjp) {
  Block &body = model.getBodyBlock();
  // A model's own updates of its state (batch norm's running statistics)
  // are not derivatives; a gradient or a parameter's update is.
  for (Operation &op : body)
    if (auto u = dyn_cast<UpdateOp>(op);
        isa<GradientOp>(op) || (u && u.getParam().getDefiningOp<ParamOp>()))
      return op.emitError() << "model '" << model.getSymName()
                            << "' is already differentiated";
  FailureOr<LossOp> loss = kiln::findLoss(model);
  FailureOr<SmallVector<Operation *>> wrt =
      kiln::resolveWrt(model, wrtNames, "kiln-autodiff");
  if (failed(loss) || failed(wrt))
    return failure();
  // A scan's reverse sweep reads the carries each step started from: the
  // forward scan records them (as stacked outputs) rather than a second
  // forward scan recomputing them.
  for (ScanOp scan : llvm::make_early_inc_range(body.getOps<ScanOp>())) {
    OpBuilder at(scan);
    ScanOp recording = scan.withRecordedCarries(at);
    scan->replaceAllUsesWith(
        recording->getResults().take_front(scan->getNumResults()));
    scan->erase();
  }
  SmallVector<Operation *> forward;
  for (Operation &op : body)
    if (!kiln::isSink(&op))
      forward.push_back(&op);

  // Activity: varied = depends on a differentiated value through f32 values;
  // useful = the loss depends on it.
  llvm::DenseSet<Value> varied, useful;
  for (Operation *d : *wrt)
    varied.insert(d->getResult(0));
  // Where derivatives stop: ops reached by a varied value whose result is
  // not differentiable (argmax's index), and (below) ops whose derivative
  // for a varied operand is zero (sign). Named when a parameter ends up
  // with no gradient at all.
  SmallVector<std::pair<Operation *, bool>> stops; // op, integer result
  for (Operation *op : forward) {
    if (llvm::none_of(op->getOperands(),
                      [&](Value x) { return varied.contains(x); }))
      continue;
    bool any = false;
    for (Value r : op->getResults())
      if (kiln::isDifferentiableValue(r)) {
        varied.insert(r);
        any = true;
      }
    if (!any && op->getNumResults() > 0)
      stops.emplace_back(op, true);
  }
  useful = kiln::lossCone(loss->getValue());
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
  if (active(loss->getValue()))
    adjoint[loss->getValue()] = b.create<ConstantOp>(
        loss->getLoc(), cast<RankedTensorType>(loss->getValue().getType()),
        1.0f);

  llvm::DenseSet<Operation *> skipped;
  if (breakVjp == "batch-norm")
    skipped = kiln::batchStatistics(model);
  for (Operation *op : llvm::reverse(forward)) {
    if (skipped.contains(op))
      continue;
    SmallVector<Value> resultGrads;
    bool any = false;
    for (Value r : op->getResults()) {
      resultGrads.push_back(adjoint.lookup(r));
      any |= static_cast<bool>(resultGrads.back());
    }
    if (!any || isa<ParamOp, InputOp>(op))
      continue;
    auto diff = dyn_cast<DifferentiableOpInterface>(op);
    if (!diff)
      return op->emitError() << "'" << op->getName()
                             << "' is not differentiable, but it lies between "
                                "a differentiated value and the loss";
    SmallVector<bool> needed;
    for (auto [i, x] : llvm::enumerate(op->getOperands())) {
      needed.push_back(active(x));
      if (needed.back() && !diff.isDifferentiableOperand(i))
        return op->emitError() << "operand #" << i << " of '" << op->getName()
                               << "' is not differentiable, but it depends "
                                  "on a differentiated value";
    }
    SmallVector<Value> operandGrads;
    if (failed(diff.buildVJP(b, resultGrads, needed, operandGrads)))
      return failure();
    for (auto [x, g, need] : llvm::zip(op->getOperands(), operandGrads, needed))
      if (g)
        accumulate(x, g, op->getLoc());
      else if (need)
        stops.emplace_back(op, false);
  }

  for (Operation *d : *wrt) {
    Value v = d->getResult(0);
    Value g = adjoint.lookup(v);
    if (!g && !useful.contains(v))
      return d->emitError()
             << "'" << kiln::declName(d) << "' does not affect the loss";
    if (!g && wrtNames.empty() && isa<ParamOp>(d)) {
      // Training a parameter whose gradient is always zero is a mistake in
      // the model: name the op where its derivative stops.
      InFlightDiagnostic diag =
          d->emitError() << "parameter '" << kiln::declName(d)
                         << "' gets no gradient: the loss depends on it only "
                            "through operations without a derivative, so "
                            "training would never change it";
      llvm::DenseSet<Value> reach{v};
      for (Operation *op : forward)
        if (llvm::any_of(op->getOperands(),
                         [&](Value x) { return reach.contains(x); }))
          reach.insert(op->result_begin(), op->result_end());
      for (auto [op, integer] : stops)
        if (llvm::any_of(op->getOperands(),
                         [&](Value x) { return reach.contains(x); })) {
          diag.attachNote(op->getLoc())
              << "'" << op->getName() << "' "
              << (integer ? "has an integer result (no derivative)"
                          : "has a zero derivative here");
          break;
        }
      return diag;
    }
    if (!g) {
      // Connected to the loss only through zero derivatives (sign, counts):
      // the gradient is zero, not missing (a derivative asked for).
      auto type = cast<RankedTensorType>(v.getType());
      auto scalar = RankedTensorType::get({}, b.getF32Type());
      g = type.hasStaticShape()
              ? Value(b.create<ConstantOp>(d->getLoc(), type, 0.0f))
              : Value(b.create<BroadcastToOp>(
                    d->getLoc(), type,
                    b.create<ConstantOp>(d->getLoc(), scalar, 0.0f)));
    }
    b.create<GradientOp>(d->getLoc(), v, g);
  }
  if (!breakVjp.empty())
    return kiln::breakDerivatives(model, breakVjp);
  return success();
}

struct AutodiffPass : kiln::impl::AutodiffBase<AutodiffPass> {
  using AutodiffBase::AutodiffBase;
  void runOnOperation() override {
    if (!breakVjp.empty() && !kiln::isBreakVjpKind(breakVjp)) {
      getOperation().emitError()
          << "unknown break-vjp kind '" << breakVjp
          << "' (expected conv2d-filter, max-pool or batch-norm)";
      return signalPassFailure();
    }
    for (auto model : getOperation().getOps<ModelOp>())
      if (failed(differentiate(model, wrt, breakVjp)))
        return signalPassFailure();
  }
};

} // namespace
