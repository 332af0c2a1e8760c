//===- outline_steps.cpp - train_step / eval_step / predict ---------------===//
//
// Each function is the backward slice of some of the model's sinks:
// train_step (updates, loss), eval_step (loss, outputs), predict (outputs),
// and gradient (loss, gradients) and jvp (loss, tangents) when those
// exist. Its arguments are the declarations the slice reads (parameters
// first, then optimizer state, then hyperparameters, then inputs) and its
// results the sinks' values. The attributes on both say what the runtime
// binds them to: nn.param / nn.state / nn.hyper / nn.input (+ nn.label) on
// arguments, nn.update / nn.loss / nn.output (+ nn.metric) / nn.gradient /
// nn.loss_tangent on results. An output that depends on a label is an error
// (predict gets no labels). Dropout and noise injection are the identity in
// eval_step and predict (so their seed is no argument there); nn.train_eval
// keeps its training operand (batch norm's batch statistics) in train_step,
// gradient and jvp, and its evaluation operand (the running statistics) in
// eval_step and predict. The model keeps only its declarations.
//
//===----------------------------------------------------------------------===//
#include "compiler/passes/model_utils.h"
#include "compiler/passes/passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;
using namespace kiln::nn;

namespace kiln {
#define GEN_PASS_DEF_OUTLINESTEPS
#include "compiler/passes/passes.h.inc"
} // namespace kiln

namespace {

bool isDecl(Operation *op) {
  return isa<InputOp, ParamOp, StateOp, HyperOp>(op);
}

/// A function result: the value and the attributes naming it.
struct Result {
  Value value;
  NamedAttrList attrs;
};

/// Argument attributes for a declaration: {nn.param = "w"} etc.
NamedAttrList declAttrs(Operation *decl) {
  Builder b(decl->getContext());
  NamedAttrList attrs;
  if (auto p = dyn_cast<ParamOp>(decl))
    attrs.append("nn.param", b.getStringAttr(p.getName()));
  else if (auto st = dyn_cast<StateOp>(decl))
    attrs.append("nn.state", b.getStringAttr(st.getName()));
  else if (auto h = dyn_cast<HyperOp>(decl))
    attrs.append("nn.hyper", b.getStringAttr(h.getName()));
  else if (auto in = dyn_cast<InputOp>(decl)) {
    attrs.append("nn.input", b.getStringAttr(in.getName()));
    if (in.getLabel())
      attrs.append("nn.label", b.getUnitAttr());
  }
  return attrs;
}

int declRank(Operation *op) {
  return isa<ParamOp>(op) ? 0 : isa<StateOp>(op) ? 1 : isa<HyperOp>(op) ? 2 : 3;
}

/// The operand an op is replaced by in this kind of function, or null
/// when it is kept: dropout and noise injection are the identity outside
/// training, and nn.train_eval is one of its operands everywhere.
Value standIn(Operation *op, bool training) {
  if (!training && isa<DropoutOp, GaussianNoiseOp>(op))
    return op->getOperand(0);
  if (isa<TrainEvalOp>(op))
    return op->getOperand(training ? 0 : 1);
  return Value();
}

/// `training`: false for eval_step and predict, where dropout and noise
/// injection are the identity (inverted dropout needs no rescaling).
func::FuncOp outline(ModelOp model, OpBuilder &moduleBuilder, StringRef name,
                     ArrayRef<Result> results, bool training) {
  // Backward slice of the results within the model block.
  llvm::DenseSet<Operation *> slice;
  SmallVector<Value> work;
  for (const Result &r : results)
    work.push_back(r.value);
  while (!work.empty()) {
    Operation *def = work.pop_back_val().getDefiningOp();
    if (!def || !slice.insert(def).second)
      continue;
    if (Value kept = standIn(def, training))
      work.push_back(kept); // the op is not cloned: no seed needed
    else
      llvm::append_range(work, def->getOperands());
  }
  SmallVector<Operation *> decls, body;
  for (Operation &op : model.getBodyBlock())
    if (slice.contains(&op))
      (isDecl(&op) ? decls : body).push_back(&op);
  llvm::stable_sort(decls, [](Operation *a, Operation *b) {
    return declRank(a) < declRank(b);
  });

  SmallVector<Type> argTypes, resultTypes;
  for (Operation *d : decls)
    argTypes.push_back(d->getResult(0).getType());
  for (const Result &r : results)
    resultTypes.push_back(r.value.getType());
  auto fn = moduleBuilder.create<func::FuncOp>(
      model.getLoc(), name,
      moduleBuilder.getFunctionType(argTypes, resultTypes));
  Block *entry = fn.addEntryBlock();
  IRMapping map;
  for (auto [i, d] : llvm::enumerate(decls)) {
    map.map(d->getResult(0), entry->getArgument(i));
    entry->getArgument(i).setLoc(d->getLoc());
    fn.setArgAttrs(i, declAttrs(d).getDictionary(fn.getContext()));
  }
  OpBuilder b = OpBuilder::atBlockEnd(entry);
  for (Operation *op : body) {
    if (Value kept = standIn(op, training))
      map.map(op->getResult(0), map.lookupOrDefault(kept));
    else
      b.clone(*op, map);
  }
  SmallVector<Value> returned;
  for (auto [i, r] : llvm::enumerate(results)) {
    returned.push_back(map.lookupOrDefault(r.value));
    fn.setResultAttrs(i, r.attrs.getDictionary(fn.getContext()));
  }
  b.create<func::ReturnOp>(model.getLoc(), returned);
  return fn;
}

LogicalResult outlineModel(ModelOp model) {
  Builder attrs(model.getContext());
  SmallVector<Result> updates, outputs, gradients, tangents;
  std::optional<Result> loss;
  for (Operation &op : model.getBodyBlock()) {
    if (auto u = dyn_cast<UpdateOp>(op)) {
      StringRef name = kiln::declName(u.getParam().getDefiningOp());
      updates.push_back(
          {u.getValue(),
           {attrs.getNamedAttr("nn.update", attrs.getStringAttr(name))}});
    } else if (auto l = dyn_cast<LossOp>(op)) {
      loss = Result{l.getValue(),
                    {attrs.getNamedAttr("nn.loss", attrs.getUnitAttr())}};
    } else if (auto o = dyn_cast<OutputOp>(op)) {
      NamedAttrList a;
      a.append("nn.output", attrs.getStringAttr(o.getName()));
      a.append("nn.metric", attrs.getStringAttr(o.getMetric()));
      outputs.push_back({o.getValue(), a});
      // predict gets no labels: an output computed from one cannot be served.
      llvm::DenseSet<Value> seen;
      SmallVector<Value> work{o.getValue()};
      while (!work.empty()) {
        Value v = work.pop_back_val();
        if (!seen.insert(v).second)
          continue;
        if (auto in = v.getDefiningOp<InputOp>(); in && in.getLabel())
          return o.emitError()
                 << "output '" << o.getName() << "' depends on label input '"
                 << in.getName() << "', so predict could not compute it";
        if (Operation *def = v.getDefiningOp())
          llvm::append_range(work, def->getOperands());
      }
    } else if (auto g = dyn_cast<GradientOp>(op)) {
      StringRef name = kiln::declName(g.getParam().getDefiningOp());
      gradients.push_back(
          {g.getGrad(),
           {attrs.getNamedAttr("nn.gradient", attrs.getStringAttr(name))}});
    } else if (auto t = dyn_cast<LossTangentOp>(op)) {
      StringRef name = kiln::declName(t.getWrt().getDefiningOp());
      tangents.push_back(
          {t.getTangent(),
           {attrs.getNamedAttr("nn.loss_tangent", attrs.getStringAttr(name))}});
    }
  }

  OpBuilder mb(model.getContext());
  mb.setInsertionPointAfter(model);
  if (!updates.empty()) {
    SmallVector<Result> train(updates);
    if (loss)
      train.push_back(*loss);
    outline(model, mb, "train_step", train, /*training=*/true);
  }
  if (loss) {
    SmallVector<Result> eval{*loss};
    llvm::append_range(eval, outputs);
    outline(model, mb, "eval_step", eval, /*training=*/false);
  }
  if (!outputs.empty())
    outline(model, mb, "predict", outputs, /*training=*/false);
  // The derivatives on their own, for grad-check and `derivatives`.
  for (auto [name, sinks] :
       {std::pair{"gradient", &gradients}, std::pair{"jvp", &tangents}}) {
    if (sinks->empty() || !loss)
      continue;
    SmallVector<Result> results{*loss};
    llvm::append_range(results, *sinks);
    outline(model, mb, name, results, /*training=*/true);
  }

  // The model keeps only its declarations: the runtime's table of names,
  // shapes and initializers.
  for (Operation &op :
       llvm::make_early_inc_range(llvm::reverse(model.getBodyBlock())))
    if (!isDecl(&op))
      op.erase();
  return success();
}

struct OutlineStepsPass : kiln::impl::OutlineStepsBase<OutlineStepsPass> {
  void runOnOperation() override {
    auto models = llvm::to_vector(getOperation().getOps<ModelOp>());
    if (models.size() > 1) {
      models[1].emitError() << "kiln compiles one model per module";
      return signalPassFailure();
    }
    for (ModelOp model : models)
      if (failed(outlineModel(model)))
        return signalPassFailure();
  }
};

} // namespace
