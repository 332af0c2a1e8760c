//===- nn_ops.cpp - nn ops: verifiers, shape inference, folders -----------===//
//
// Every op whose result shape follows from its operands implements
// InferTypeOpInterface, and its inferReturnTypes is the shape verifier: it
// reports the error at the op, with a note at each operand's definition
// (shapeError). The DSL calls the same function on every op it builds
// (dsl.cpp, ModelImpl::finish), so a DSL file and a .mlir file get the same
// messages. nn.model's verifier checks what spans the model: unique names,
// at most one loss, the optimizer's hyperparameters and its learning-rate
// schedule, a compiled-in dataset.
//
//===----------------------------------------------------------------------===//
#include "dialects/nn/nn_dialect.h"

#include "dialects/nn/shape.h"
#include <cmath>

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace kiln::nn;

#define GET_OP_CLASSES
#include "dialects/nn/nn_ops.cpp.inc"

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

static ArrayRef<int64_t> shapeOf(Value v) {
  return llvm::cast<RankedTensorType>(v.getType()).getShape();
}

static RankedTensorType f32Tensor(MLIRContext *ctx, ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, Float32Type::get(ctx));
}

/// A shape error at `loc`, with a note at each operand's definition when it
/// comes from another place, so the user sees where the other side came from.
static LogicalResult shapeError(std::optional<Location> loc,
                                ArrayRef<std::pair<StringRef, Value>> operands,
                                const Twine &message) {
  if (!loc)
    return failure();
  InFlightDiagnostic diag = emitError(*loc) << message;
  for (auto [name, value] : operands) {
    if (value.getLoc() == *loc)
      continue;
    diag.attachNote(value.getLoc())
        << name << " (" << formatShape(shapeOf(value)) << ") is defined here";
  }
  return failure();
}

//===----------------------------------------------------------------------===//
// nn.model and its declarations and sinks
//===----------------------------------------------------------------------===//

void ModelOp::build(OpBuilder &builder, OperationState &state, StringRef name) {
  state.addAttribute(getSymNameAttrName(state.name),
                     builder.getStringAttr(name));
  Region *body = state.addRegion();
  body->emplaceBlock();
}

/// Names the runtime binds by must be unique within their kind.
static LogicalResult checkUniqueName(llvm::StringSet<> &seen, Operation *op,
                                     StringRef kind, StringRef name) {
  if (name.empty())
    return op->emitOpError() << kind << " name must not be empty";
  if (!seen.insert(name).second)
    return op->emitOpError()
           << "duplicate " << kind << " name '" << name << "'";
  return success();
}

namespace {
/// Hyperparameter ranges: β-like ones in [0, 1), decays ≥ 0, the rest > 0.
bool betaLike(StringRef key) {
  return key == "beta1" || key == "beta2" || key == "momentum" || key == "rho";
}
bool nonNegative(StringRef key) {
  return key == "weight_decay" || key == "min_lr" || key == "steps" ||
         key == "rate";
}
bool inRange(StringRef key, double x) {
  if (betaLike(key))
    return x >= 0 && x < 1;
  return nonNegative(key) ? x >= 0 : x > 0;
}
const char *rangeText(StringRef key) {
  return betaLike(key)      ? "in [0, 1)"
         : nonNegative(key) ? "at least 0"
                            : "above 0";
}

/// Checks a dictionary {kind = "...", key = float, ...} against the keys
/// its kind takes; `what` names it in messages ("optimizer", "schedule"),
/// `nested` is a key checked elsewhere.
LogicalResult
verifyKinded(ModelOp op, DictionaryAttr dict, StringRef what,
             ArrayRef<std::pair<StringRef, SmallVector<StringRef>>> kinds,
             StringRef nested = {}) {
  auto kind = dict.getAs<StringAttr>("kind");
  if (!kind)
    return op.emitOpError() << what << " needs a string 'kind'";
  StringRef k = kind.getValue();
  const SmallVector<StringRef> *keys = nullptr;
  SmallVector<StringRef> names;
  for (auto &[name, ks] : kinds) {
    names.push_back(name);
    if (name == k)
      keys = &ks;
  }
  if (!keys)
    return op.emitOpError()
           << "unknown " << what << " '" << k
           << "' (supported: " << llvm::join(names, ", ") << ")";
  for (NamedAttribute entry : dict) {
    StringRef name = entry.getName().getValue();
    if (name == "kind" || name == nested)
      continue;
    if (!llvm::is_contained(*keys, name))
      return op.emitOpError()
             << what << " '" << k << "' has no "
             << (what == "optimizer" ? "hyperparameter" : "parameter") << " '"
             << name << "' (it takes: "
             << (keys->empty() ? "none" : llvm::join(*keys, ", ")) << ")";
    auto v = llvm::dyn_cast<FloatAttr>(entry.getValue());
    if (!v || !inRange(name, v.getValueAsDouble()))
      return op.emitOpError()
             << what << " " << name << " must be a float " << rangeText(name);
  }
  return success();
}

/// The optimizers of ../shared/CATALOG.md with their hyperparameters, and
/// the learning-rate schedules (`every` in epochs, `steps` in steps).
LogicalResult verifyOptimizer(ModelOp op, DictionaryAttr opt) {
  if (failed(verifyKinded(
          op, opt, "optimizer",
          {{"sgd", {"lr", "clip_value", "clip_norm"}},
           {"momentum", {"lr", "momentum", "clip_value", "clip_norm"}},
           {"nesterov", {"lr", "momentum", "clip_value", "clip_norm"}},
           {"adagrad", {"lr", "eps", "clip_value", "clip_norm"}},
           {"rmsprop", {"lr", "rho", "eps", "clip_value", "clip_norm"}},
           {"adam", {"lr", "beta1", "beta2", "eps", "clip_value", "clip_norm"}},
           {"adamw",
            {"lr", "beta1", "beta2", "eps", "weight_decay", "clip_value",
             "clip_norm"}}},
          "schedule")))
    return failure();
  Attribute schedule = opt.get("schedule");
  if (!schedule)
    return success();
  auto dict = llvm::dyn_cast<DictionaryAttr>(schedule);
  if (!dict)
    return op.emitOpError() << "optimizer schedule must be a dictionary";
  if (failed(verifyKinded(op, dict, "schedule",
                          {{"constant", {}},
                           {"step", {"factor", "every"}},
                           {"exponential", {"rate", "steps"}},
                           {"inverse_time", {"rate", "steps"}},
                           {"cosine", {"steps", "min_lr"}}})))
    return failure();
  // Only cosine reads steps 0 (the whole run); the decays divide by it.
  StringRef kind = dict.getAs<StringAttr>("kind").getValue();
  auto steps = dict.getAs<FloatAttr>("steps");
  if ((kind == "exponential" || kind == "inverse_time") &&
      (!steps || steps.getValueAsDouble() <= 0))
    return op.emitOpError() << "schedule '" << kind << "' needs steps above 0";
  if (kind == "step" && (!dict.get("factor") || !dict.get("every")))
    return op.emitOpError() << "schedule 'step' needs a factor and every";
  return success();
}
} // namespace

LogicalResult ModelOp::verifyRegions() {
  llvm::StringSet<> values, outputs;
  unsigned losses = 0;
  for (Operation &op : getBodyBlock()) {
    if (auto in = llvm::dyn_cast<InputOp>(op)) {
      if (failed(checkUniqueName(values, &op, "input/parameter", in.getName())))
        return failure();
    } else if (auto p = llvm::dyn_cast<ParamOp>(op)) {
      if (failed(checkUniqueName(values, &op, "input/parameter", p.getName())))
        return failure();
    } else if (auto h = llvm::dyn_cast<HyperOp>(op)) {
      if (failed(checkUniqueName(values, &op, "input/parameter", h.getName())))
        return failure();
    } else if (auto st = llvm::dyn_cast<StateOp>(op)) {
      if (failed(checkUniqueName(values, &op, "input/parameter", st.getName())))
        return failure();
    } else if (auto out = llvm::dyn_cast<OutputOp>(op)) {
      if (failed(checkUniqueName(outputs, &op, "output", out.getName())))
        return failure();
    } else if (llvm::isa<LossOp>(op)) {
      if (++losses > 1)
        return op.emitOpError() << "a model has at most one loss";
    }
  }
  if (DictionaryAttr ds = getDatasetAttr()) {
    auto name = ds.getAs<StringAttr>("name");
    auto x = ds.getAs<DenseFPElementsAttr>("x");
    auto y = ds.getAs<DenseFPElementsAttr>("y");
    if (!name || !x || !y)
      return emitOpError() << "dataset needs a string 'name' and dense f32 "
                              "'x' and 'y'";
    if (x.getType().getRank() != 2 || y.getType().getRank() != 2 ||
        x.getType().getDimSize(0) != y.getType().getDimSize(0) ||
        !x.getElementType().isF32() || !y.getElementType().isF32())
      return emitOpError() << "dataset 'x' and 'y' must be f32 matrices "
                              "with one row per sample, got "
                           << x.getType() << " and " << y.getType();
  }
  if (DictionaryAttr opt = getOptimizerAttr())
    if (failed(verifyOptimizer(*this, opt)))
      return failure();
  return success();
}

LogicalResult ParamOp::verify() {
  auto type = llvm::cast<RankedTensorType>(getType());
  if (!type.hasStaticShape())
    return emitOpError() << "parameter '" << getName()
                         << "' must have a static shape, got "
                         << formatShape(type.getShape());
  if (type.getNumElements() == 0)
    return emitOpError() << "parameter '" << getName() << "' has no elements";
  return success();
}

LogicalResult LossOp::verify() {
  auto type = llvm::cast<RankedTensorType>(getValue().getType());
  if (type.getRank() != 0)
    return emitOpError() << "the loss must be a scalar, got a "
                         << formatShape(type.getShape())
                         << " tensor (reduce it, e.g. with reduce_mean)";
  return success();
}

LogicalResult OutputOp::verify() {
  StringRef metric = getMetric();
  if (metric != "none" && metric != "binary_accuracy" && metric != "accuracy")
    return emitOpError() << "unknown metric '" << metric
                         << "' (expected none, binary_accuracy or accuracy)";
  return success();
}

/// nn.update names what it updates by its nn.param or nn.state value.
static LogicalResult verifyParamOperand(Operation *op, Value param) {
  if (!param.getDefiningOp<ParamOp>() && !param.getDefiningOp<StateOp>())
    return op->emitOpError() << "first operand must be an nn.param or an "
                                "nn.state";
  return success();
}

/// Derivatives can be taken with respect to parameters and feature inputs;
/// labels are data, never differentiated.
static LogicalResult verifyDifferentiableDecl(Operation *op, Value wrt) {
  if (wrt.getDefiningOp<ParamOp>())
    return success();
  if (auto in = wrt.getDefiningOp<InputOp>(); in && !in.getLabel())
    return success();
  return op->emitOpError()
         << "first operand must be an nn.param or a feature nn.input";
}

LogicalResult GradientOp::verify() {
  return verifyDifferentiableDecl(*this, getParam());
}
LogicalResult LossTangentOp::verify() {
  return verifyDifferentiableDecl(*this, getWrt());
}
LogicalResult UpdateOp::verify() {
  return verifyParamOperand(*this, getParam());
}

//===----------------------------------------------------------------------===//
// nn.constant
//===----------------------------------------------------------------------===//

void ConstantOp::build(OpBuilder &builder, OperationState &state,
                       RankedTensorType type, float splat) {
  build(builder, state, DenseElementsAttr::get(type, splat));
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// nn.matmul
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *ctx,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  ArrayRef<int64_t> a = shapeOf(adaptor.getLhs());
  ArrayRef<int64_t> b = shapeOf(adaptor.getRhs());
  if (a.size() != 2 || b.size() != 2)
    return shapeError(loc,
                      {{"lhs", adaptor.getLhs()}, {"rhs", adaptor.getRhs()}},
                      "matmul needs rank-2 operands, got " + formatShape(a) +
                          " and " + formatShape(b));
  bool ta = adaptor.getTransposeLhs(), tb = adaptor.getTransposeRhs();
  int64_t m = ta ? a[1] : a[0], ka = ta ? a[0] : a[1];
  int64_t kb = tb ? b[1] : b[0], n = tb ? b[0] : b[1];
  if (ka != kb) {
    auto dim = [](int64_t d) {
      return ShapedType::isDynamic(d) ? std::string("? (batch)")
                                      : std::to_string(d);
    };
    return shapeError(
        loc, {{"lhs", adaptor.getLhs()}, {"rhs", adaptor.getRhs()}},
        "matmul inner dimensions differ: lhs " + formatShape(a) +
            (ta ? " (transposed)" : "") + " has " + dim(ka) +
            " columns but rhs " + formatShape(b) + (tb ? " (transposed)" : "") +
            " has " + dim(kb) + " rows");
  }
  types.push_back(f32Tensor(ctx, {m, n}));
  return success();
}

//===----------------------------------------------------------------------===//
// Broadcasting elementwise ops
//===----------------------------------------------------------------------===//

static LogicalResult inferBroadcast(MLIRContext *ctx,
                                    std::optional<Location> loc, StringRef op,
                                    Value lhs, Value rhs,
                                    SmallVectorImpl<Type> &types) {
  std::string why;
  auto shape = broadcastShapes(shapeOf(lhs), shapeOf(rhs), &why);
  if (!shape)
    return shapeError(loc, {{"lhs", lhs}, {"rhs", rhs}},
                      op + " operands have incompatible shapes " +
                          formatShape(shapeOf(lhs)) + " and " +
                          formatShape(shapeOf(rhs)) + " (" + why + ")");
  types.push_back(f32Tensor(ctx, *shape));
  return success();
}

#define KILN_BROADCAST_INFER(OpClass, name)                                    \
  LogicalResult OpClass::inferReturnTypes(                                     \
      MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,          \
      SmallVectorImpl<Type> &types) {                                          \
    return inferBroadcast(ctx, loc, name, adaptor.getLhs(), adaptor.getRhs(),  \
                          types);                                              \
  }
KILN_BROADCAST_INFER(AddOp, "add")
KILN_BROADCAST_INFER(SubOp, "sub")
KILN_BROADCAST_INFER(MulOp, "mul")
KILN_BROADCAST_INFER(DivOp, "div")
KILN_BROADCAST_INFER(PowOp, "pow")
KILN_BROADCAST_INFER(MaximumOp, "maximum")
KILN_BROADCAST_INFER(MinimumOp, "minimum")
#undef KILN_BROADCAST_INFER

/// x op c -> x when c is a splat `identity` and x already has the result type.
static OpFoldResult foldIdentity(Value lhs, Value rhs, Type result,
                                 float identity) {
  auto isIdentity = [&](Value v) {
    SplatElementsAttr splat;
    return matchPattern(v, m_Constant(&splat)) &&
           splat.getSplatValue<APFloat>().convertToFloat() == identity;
  };
  if (lhs.getType() == result && isIdentity(rhs))
    return lhs;
  if (rhs.getType() == result && isIdentity(lhs))
    return rhs;
  return {};
}

OpFoldResult AddOp::fold(FoldAdaptor) {
  return foldIdentity(getLhs(), getRhs(), getType(), 0.0f);
}
OpFoldResult MulOp::fold(FoldAdaptor) {
  return foldIdentity(getLhs(), getRhs(), getType(), 1.0f);
}

OpFoldResult NegOp::fold(FoldAdaptor) {
  if (auto inner = getInput().getDefiningOp<NegOp>())
    return inner.getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// Reductions and shape moves
//===----------------------------------------------------------------------===//

static LogicalResult inferReduce(MLIRContext *ctx, std::optional<Location> loc,
                                 Value input, ArrayRef<int64_t> axes,
                                 bool keepdims, SmallVectorImpl<Type> &types) {
  auto shape = reducedShape(shapeOf(input), axes, keepdims, [&] {
    return loc ? emitError(*loc) : InFlightDiagnostic();
  });
  if (failed(shape))
    return failure();
  types.push_back(f32Tensor(ctx, *shape));
  return success();
}

#define KILN_REDUCE_INFER(OpClass)                                             \
  LogicalResult OpClass::inferReturnTypes(                                     \
      MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,          \
      SmallVectorImpl<Type> &types) {                                          \
    return inferReduce(ctx, loc, adaptor.getInput(), adaptor.getAxes(),        \
                       adaptor.getKeepdims(), types);                          \
  }
KILN_REDUCE_INFER(ReduceSumOp)
KILN_REDUCE_INFER(ReduceMeanOp)
KILN_REDUCE_INFER(ReduceMaxOp)
#undef KILN_REDUCE_INFER

LogicalResult DropoutOp::verify() {
  double rate = getRate().convertToDouble();
  if (!(rate >= 0 && rate < 1))
    return emitOpError() << "dropout rate must be in [0, 1), got " << rate;
  if (cast<RankedTensorType>(getSeed().getType()).getRank() != 0)
    return emitOpError() << "dropout seed must be a scalar tensor<f32>, got "
                         << getSeed().getType();
  return success();
}

LogicalResult GaussianNoiseOp::verify() {
  double sd = getStddev().convertToDouble();
  if (!(sd >= 0) || !std::isfinite(sd))
    return emitOpError() << "noise stddev must be finite and at least 0, got "
                         << sd;
  if (cast<RankedTensorType>(getSeed().getType()).getRank() != 0)
    return emitOpError() << "noise seed must be a scalar tensor<f32>, got "
                         << getSeed().getType();
  return success();
}

LogicalResult BroadcastToOp::verify() {
  if (!isBroadcastableTo(shapeOf(getInput()), shapeOf(getResult())))
    return emitOpError() << "cannot broadcast "
                         << formatShape(shapeOf(getInput())) << " to "
                         << formatShape(shapeOf(getResult()));
  return success();
}

OpFoldResult BroadcastToOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

LogicalResult SumToOp::verify() {
  if (!isBroadcastableTo(shapeOf(getResult()), shapeOf(getInput())))
    return emitOpError() << "cannot sum " << formatShape(shapeOf(getInput()))
                         << " down to " << formatShape(shapeOf(getResult()))
                         << ": the result must broadcast to the input";
  return success();
}

OpFoldResult SumToOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

LogicalResult ElementCountOp::inferReturnTypes(MLIRContext *ctx,
                                               std::optional<Location>, Adaptor,
                                               SmallVectorImpl<Type> &types) {
  types.push_back(f32Tensor(ctx, {}));
  return success();
}

LogicalResult ElementCountOp::verify() {
  return reducedShape(shapeOf(getInput()), getAxes(), false,
                      [&] { return emitOpError(); });
}

OpFoldResult ElementCountOp::fold(FoldAdaptor) {
  ArrayRef<int64_t> shape = shapeOf(getInput());
  double count = 1;
  for (int64_t axis : getAxes()) {
    if (ShapedType::isDynamic(shape[axis]))
      return {};
    count *= static_cast<double>(shape[axis]);
  }
  return DenseElementsAttr::get(llvm::cast<ShapedType>(getType()),
                                static_cast<float>(count));
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

static LogicalResult inferLoss(MLIRContext *ctx, std::optional<Location> loc,
                               StringRef name, Value prediction, Value target,
                               SmallVectorImpl<Type> &types) {
  if (shapeOf(prediction) != shapeOf(target))
    return shapeError(loc, {{"prediction", prediction}, {"target", target}},
                      name +
                          " needs prediction and target of the same shape, "
                          "got " +
                          formatShape(shapeOf(prediction)) + " and " +
                          formatShape(shapeOf(target)));
  types.push_back(f32Tensor(ctx, {}));
  return success();
}

LogicalResult MseOp::inferReturnTypes(MLIRContext *ctx,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &types) {
  return inferLoss(ctx, loc, "mse", adaptor.getPrediction(),
                   adaptor.getTarget(), types);
}

LogicalResult BinaryCrossEntropyOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  return inferLoss(ctx, loc, "binary_cross_entropy", adaptor.getPrediction(),
                   adaptor.getTarget(), types);
}

//===----------------------------------------------------------------------===//
// nn.reshape
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput()), out = shapeOf(getResult());
  auto split = [](ArrayRef<int64_t> s, int64_t &staticCount) {
    unsigned dynamic = 0;
    staticCount = 1;
    for (int64_t d : s) {
      if (ShapedType::isDynamic(d))
        ++dynamic;
      else
        staticCount *= d;
    }
    return dynamic;
  };
  int64_t inCount, outCount;
  unsigned inDyn = split(in, inCount), outDyn = split(out, outCount);
  if (inDyn != outDyn || inCount != outCount || inDyn > 1)
    return emitOpError() << "cannot reshape " << formatShape(in) << " to "
                         << formatShape(out)
                         << ": element counts differ (a batch dim must be "
                            "kept and the other dims must multiply to the "
                            "same count)";
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto inner = getInput().getDefiningOp<ReshapeOp>())
    if (inner.getInput().getType() == getType())
      return inner.getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// Comparison, selection, casts
//===----------------------------------------------------------------------===//

LogicalResult CompareOp::inferReturnTypes(MLIRContext *ctx,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
  Type le = cast<RankedTensorType>(lhs.getType()).getElementType();
  Type re = cast<RankedTensorType>(rhs.getType()).getElementType();
  if (le != re)
    return shapeError(loc, {{"lhs", lhs}, {"rhs", rhs}},
                      "compare needs operands of one element type");
  std::string why;
  auto shape = broadcastShapes(shapeOf(lhs), shapeOf(rhs), &why);
  if (!shape)
    return shapeError(loc, {{"lhs", lhs}, {"rhs", rhs}},
                      "compare operands have incompatible shapes " +
                          formatShape(shapeOf(lhs)) + " and " +
                          formatShape(shapeOf(rhs)) + " (" + why + ")");
  types.push_back(RankedTensorType::get(*shape, IntegerType::get(ctx, 1)));
  return success();
}

LogicalResult SelectOp::inferReturnTypes(MLIRContext *ctx,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  Value c = adaptor.getCondition(), a = adaptor.getOnTrue(),
        b = adaptor.getOnFalse();
  std::string why;
  auto ab = broadcastShapes(shapeOf(a), shapeOf(b), &why);
  std::optional<SmallVector<int64_t>> all;
  if (ab)
    all = broadcastShapes(shapeOf(c), *ab, &why);
  if (!all)
    return shapeError(loc, {{"condition", c}, {"on_true", a}, {"on_false", b}},
                      "select operands have incompatible shapes " +
                          formatShape(shapeOf(c)) + ", " +
                          formatShape(shapeOf(a)) + " and " +
                          formatShape(shapeOf(b)) + " (" + why + ")");
  types.push_back(f32Tensor(ctx, *all));
  return success();
}

OpFoldResult CastOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// Transpose, concat, slice, pad
//===----------------------------------------------------------------------===//

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *ctx,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  ArrayRef<int64_t> in = shapeOf(adaptor.getInput());
  ArrayRef<int64_t> perm = adaptor.getPermutation();
  SmallVector<bool> seen(in.size(), false);
  bool ok = perm.size() == in.size();
  for (int64_t p : perm) {
    ok &= p >= 0 && p < static_cast<int64_t>(in.size()) && !seen[p];
    if (ok)
      seen[p] = true;
  }
  if (!ok) {
    if (loc) {
      std::string text;
      llvm::raw_string_ostream os(text);
      llvm::interleaveComma(perm, os);
      return mlir::emitError(*loc)
             << "permutation [" << text << "] is not a permutation of the "
             << in.size() << " dims of a " << formatShape(in) << " tensor";
    }
    return failure();
  }
  SmallVector<int64_t> out;
  for (int64_t p : perm)
    out.push_back(in[p]);
  types.push_back(f32Tensor(ctx, out));
  return success();
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  ArrayRef<int64_t> perm = getPermutation();
  for (auto [i, p] : llvm::enumerate(perm))
    if (static_cast<int64_t>(i) != p)
      return {};
  return getInput();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *ctx,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto fail = [&](const Twine &msg) {
    return loc ? mlir::emitError(*loc) << msg : failure();
  };
  ValueRange inputs = adaptor.getInputs();
  if (inputs.empty())
    return fail("concat needs at least one operand");
  ArrayRef<int64_t> first = shapeOf(inputs[0]);
  int64_t axis = adaptor.getAxis();
  int64_t rank = first.size();
  if (axis < 0 || axis >= rank)
    return fail("concat axis " + Twine(axis) + " is out of range for rank-" +
                Twine(rank) + " operands");
  if (ShapedType::isDynamic(first[axis]))
    return fail("cannot concatenate along the batch dimension");
  SmallVector<int64_t> out(first);
  for (auto [i, v] : llvm::enumerate(inputs.drop_front())) {
    ArrayRef<int64_t> s = shapeOf(v);
    bool same = static_cast<int64_t>(s.size()) == rank;
    for (int64_t d = 0; same && d < rank; ++d)
      same = d == axis ? !ShapedType::isDynamic(s[d]) : s[d] == first[d];
    if (!same)
      return shapeError(loc, {{"operand #0", inputs[0]}, {"this operand", v}},
                        "concat operand #" + Twine(i + 1) + " is " +
                            formatShape(s) + ", which does not match " +
                            formatShape(first) + " outside axis " +
                            Twine(axis));
    out[axis] += s[axis];
  }
  types.push_back(f32Tensor(ctx, out));
  return success();
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *ctx,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  ArrayRef<int64_t> in = shapeOf(adaptor.getInput());
  ArrayRef<int64_t> starts = adaptor.getStarts(), limits = adaptor.getLimits(),
                    strides = adaptor.getStrides();
  auto fail = [&](const Twine &msg) {
    return loc ? mlir::emitError(*loc) << msg : failure();
  };
  if (starts.size() != in.size() || limits.size() != in.size() ||
      strides.size() != in.size())
    return fail("slice of a rank-" + Twine(in.size()) +
                " tensor needs that many starts, limits and strides");
  SmallVector<int64_t> out;
  for (size_t d = 0; d < in.size(); ++d) {
    if (ShapedType::isDynamic(in[d])) {
      if (starts[d] != 0 || limits[d] != -1 || strides[d] != 1)
        return fail("dim " + Twine(d) +
                    " is the batch dim: it can only be kept whole (start 0, "
                    "limit -1, stride 1)");
      out.push_back(ShapedType::kDynamic);
      continue;
    }
    if (strides[d] < 1 || starts[d] < 0 || starts[d] > limits[d] ||
        limits[d] > in[d])
      return fail("dim " + Twine(d) + " of size " + Twine(in[d]) +
                  " cannot be sliced from " + Twine(starts[d]) + " to " +
                  Twine(limits[d]) + " by " + Twine(strides[d]));
    out.push_back((limits[d] - starts[d] + strides[d] - 1) / strides[d]);
  }
  types.push_back(f32Tensor(ctx, out));
  return success();
}

LogicalResult PadOp::inferReturnTypes(MLIRContext *ctx,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &types) {
  ArrayRef<int64_t> in = shapeOf(adaptor.getInput());
  ArrayRef<int64_t> low = adaptor.getLow(), high = adaptor.getHigh(),
                    interior = adaptor.getInterior();
  auto fail = [&](const Twine &msg) {
    return loc ? mlir::emitError(*loc) << msg : failure();
  };
  if (low.size() != in.size() || high.size() != in.size() ||
      interior.size() != in.size())
    return fail("pad of a rank-" + Twine(in.size()) +
                " tensor needs that many low, high and interior sizes");
  SmallVector<int64_t> out;
  for (size_t d = 0; d < in.size(); ++d) {
    if (low[d] < 0 || high[d] < 0 || interior[d] < 0)
      return fail("padding of dim " + Twine(d) + " must not be negative");
    if (ShapedType::isDynamic(in[d])) {
      if (low[d] || high[d] || interior[d])
        return fail("dim " + Twine(d) +
                    " is the batch dim and cannot be "
                    "padded");
      out.push_back(ShapedType::kDynamic);
      continue;
    }
    int64_t inner = in[d] ? in[d] + (in[d] - 1) * interior[d] : 0;
    out.push_back(low[d] + inner + high[d]);
  }
  types.push_back(f32Tensor(ctx, out));
  return success();
}

//===----------------------------------------------------------------------===//
// one_hot, argmax
//===----------------------------------------------------------------------===//

LogicalResult OneHotOp::inferReturnTypes(MLIRContext *ctx,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  if (adaptor.getClasses() < 1)
    return loc ? mlir::emitError(*loc)
                     << "one_hot needs at least one class, got "
                     << adaptor.getClasses()
               : failure();
  SmallVector<int64_t> out(shapeOf(adaptor.getIndices()));
  out.push_back(adaptor.getClasses());
  types.push_back(f32Tensor(ctx, out));
  return success();
}

LogicalResult ArgmaxOp::inferReturnTypes(MLIRContext *ctx,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto shape = reducedShape(
      shapeOf(adaptor.getInput()), {static_cast<int64_t>(adaptor.getAxis())},
      adaptor.getKeepdims(),
      [&] { return loc ? mlir::emitError(*loc) : InFlightDiagnostic(); });
  if (failed(shape))
    return failure();
  types.push_back(RankedTensorType::get(*shape, IntegerType::get(ctx, 32)));
  return success();
}

//===----------------------------------------------------------------------===//
// softmax, log_softmax, softmax_cross_entropy
//===----------------------------------------------------------------------===//

static LogicalResult verifyAxis(Operation *op, Value input, int64_t axis) {
  int64_t rank = cast<RankedTensorType>(input.getType()).getRank();
  if (axis < 0 || axis >= rank)
    return op->emitOpError()
           << "axis " << axis << " is out of range for a rank-" << rank
           << " tensor";
  return success();
}

LogicalResult SoftmaxOp::verify() {
  return verifyAxis(*this, getInput(), getAxis());
}
LogicalResult LogSoftmaxOp::verify() {
  return verifyAxis(*this, getInput(), getAxis());
}

LogicalResult SoftmaxCrossEntropyOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  ArrayRef<int64_t> logits = shapeOf(adaptor.getLogits());
  ArrayRef<int64_t> labels = shapeOf(adaptor.getLabels());
  if (logits.empty() || logits.drop_back() != labels)
    return shapeError(
        loc, {{"logits", adaptor.getLogits()}, {"labels", adaptor.getLabels()}},
        "softmax_cross_entropy needs logits [..., classes] and labels [...] "
        "of the same leading shape, got " +
            formatShape(logits) + " and " + formatShape(labels));
  types.push_back(f32Tensor(ctx, {}));
  return success();
}

//===----------------------------------------------------------------------===//
// Convolution and pooling
//===----------------------------------------------------------------------===//

namespace {
using Fail = llvm::function_ref<LogicalResult(const Twine &)>;

FailureOr<Window> checkWindow(StringRef what, ArrayRef<int64_t> kernel,
                              ArrayRef<int64_t> strides,
                              ArrayRef<int64_t> padding,
                              ArrayRef<int64_t> dilation, Fail fail) {
  auto list = [](ArrayRef<int64_t> v) {
    return "[" +
           llvm::join(
               llvm::map_range(v, [](int64_t x) { return std::to_string(x); }),
               ", ") +
           "]";
  };
  if (kernel.size() != 2 || strides.size() != 2 || padding.size() != 4 ||
      dilation.size() != 2)
    return fail(what +
                " needs 2 window sizes, 2 strides, 4 paddings [top, bottom, "
                "left, right] and 2 dilations");
  if (kernel[0] < 1 || kernel[1] < 1)
    return fail(what + " window " + list(kernel) + " must be at least 1x1");
  if (strides[0] < 1 || strides[1] < 1)
    return fail(what + " strides " + list(strides) + " must be at least 1");
  if (dilation[0] < 1 || dilation[1] < 1)
    return fail(what + " dilation " + list(dilation) + " must be at least 1");
  if (llvm::any_of(padding, [](int64_t p) { return p < 0; }))
    return fail(what + " padding " + list(padding) + " must not be negative");
  return Window{kernel[0],  kernel[1],  strides[0], strides[1],  padding[0],
                padding[1], padding[2], padding[3], dilation[0], dilation[1]};
}

/// [N, H, W, C] with static H, W, C; `name` for the message.
LogicalResult checkNHWC(StringRef what, StringRef name, Value v, Fail fail) {
  ArrayRef<int64_t> s = shapeOf(v);
  if (s.size() != 4)
    return fail(what + " needs a rank-4 " + name +
                " [batch, height, width, channels], got " + formatShape(s));
  if (ShapedType::isDynamic(s[1]) || ShapedType::isDynamic(s[2]) ||
      ShapedType::isDynamic(s[3]))
    return fail(what + " needs static height, width and channels, got " +
                formatShape(s));
  return success();
}

/// Checks an output size along both dims, naming the one that fails.
LogicalResult checkFits(StringRef what, const Window &win, int64_t h, int64_t w,
                        Fail fail) {
  if (win.outH(h) < 1)
    return fail(what + " window of height " + Twine(win.kh) +
                (win.dh > 1 ? " (dilation " + Twine(win.dh) + ")" : "") +
                " does not fit the input's height " + Twine(h) + " padded by " +
                Twine(win.top) + " + " + Twine(win.bottom));
  if (win.outW(w) < 1)
    return fail(what + " window of width " + Twine(win.kw) +
                (win.dw > 1 ? " (dilation " + Twine(win.dw) + ")" : "") +
                " does not fit the input's width " + Twine(w) + " padded by " +
                Twine(win.left) + " + " + Twine(win.right));
  return success();
}

/// Filter [KH, KW, C/G, F] against C input channels in G groups.
LogicalResult checkFilter(StringRef what, ArrayRef<int64_t> f, int64_t c,
                          int64_t groups, Fail fail) {
  if (f.size() != 4 || llvm::any_of(f, ShapedType::isDynamic))
    return fail(what +
                " needs a static rank-4 filter [height, width, "
                "in_channels / groups, out_channels], got " +
                formatShape(f));
  if (groups < 1)
    return fail(what + " groups must be at least 1, got " + Twine(groups));
  if (c % groups)
    return fail(what + ": " + Twine(groups) + " groups do not divide the " +
                Twine(c) + " input channels");
  if (f[3] % groups)
    return fail(what + ": " + Twine(groups) + " groups do not divide the " +
                Twine(f[3]) + " output channels of filter " + formatShape(f));
  if (f[2] != c / groups)
    return fail(
        what + " filter " + formatShape(f) + " takes " + Twine(f[2]) +
        " input channels per group, but the input has " + Twine(c) +
        (groups > 1 ? " in " + Twine(groups) + " groups" : Twine(" channels")));
  return success();
}
} // namespace

#define KILN_FAIL_AT(loc, operands)                                            \
  [&](const Twine &msg) { return shapeError(loc, operands, msg); }

LogicalResult Conv2dOp::inferReturnTypes(MLIRContext *ctx,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  Value x = adaptor.getInput(), w = adaptor.getFilter();
  SmallVector<std::pair<StringRef, Value>> operands{{"input", x},
                                                    {"filter", w}};
  auto fail = KILN_FAIL_AT(loc, operands);
  if (failed(checkNHWC("conv2d", "input", x, fail)))
    return failure();
  ArrayRef<int64_t> xs = shapeOf(x), ws = shapeOf(w);
  if (failed(checkFilter("conv2d", ws, xs[3], adaptor.getGroups(), fail)))
    return failure();
  auto win = checkWindow("conv2d", ws.take_front(2), adaptor.getStrides(),
                         adaptor.getPadding(), adaptor.getDilation(), fail);
  if (failed(win) || failed(checkFits("conv2d", *win, xs[1], xs[2], fail)))
    return failure();
  types.push_back(
      f32Tensor(ctx, {xs[0], win->outH(xs[1]), win->outW(xs[2]), ws[3]}));
  return success();
}

/// A convolution gradient's geometry: an h×w input under the window of
/// `kernel` must give the output gradient `ds`'s height and width.
template <typename Adaptor>
static LogicalResult
checkGradSizes(StringRef what, Adaptor a, ArrayRef<int64_t> kernel, int64_t h,
               int64_t w, ArrayRef<int64_t> ds, Fail fail) {
  auto win = checkWindow(what, kernel, a.getStrides(), a.getPadding(),
                         a.getDilation(), fail);
  if (failed(win) || failed(checkFits(what, *win, h, w, fail)))
    return failure();
  if (win->outH(h) != ds[1] || win->outW(w) != ds[2])
    return fail(what + ": an input of " + Twine(h) + "x" + Twine(w) +
                " gives a " + Twine(win->outH(h)) + "x" + Twine(win->outW(w)) +
                " output, not " + formatShape(ds));
  return success();
}

LogicalResult Conv2dInputGradOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  Value dy = adaptor.getOutputGrad(), w = adaptor.getFilter();
  SmallVector<std::pair<StringRef, Value>> operands{{"output_grad", dy},
                                                    {"filter", w}};
  auto fail = KILN_FAIL_AT(loc, operands);
  StringRef what = "conv2d_input_grad";
  if (failed(checkNHWC(what, "output_grad", dy, fail)))
    return failure();
  ArrayRef<int64_t> ds = shapeOf(dy), ws = shapeOf(w),
                    size = adaptor.getInputSize();
  if (size.size() != 2 || size[0] < 1 || size[1] < 1)
    return fail(what + " input_size must be [height, width], both positive");
  int64_t groups = adaptor.getGroups();
  if (ws.size() != 4 || llvm::any_of(ws, ShapedType::isDynamic) || groups < 1 ||
      ws[3] % groups || ws[3] != ds[3])
    return fail(what + " filter " + formatShape(ws) +
                " does not produce the output_grad's " + Twine(ds[3]) +
                " channels in " + Twine(groups) + " groups");
  if (failed(checkGradSizes(what, adaptor, ws.take_front(2), size[0], size[1],
                            ds, fail)))
    return failure();
  types.push_back(f32Tensor(ctx, {ds[0], size[0], size[1], ws[2] * groups}));
  return success();
}

LogicalResult Conv2dFilterGradOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  Value x = adaptor.getInput(), dy = adaptor.getOutputGrad();
  SmallVector<std::pair<StringRef, Value>> operands{{"input", x},
                                                    {"output_grad", dy}};
  auto fail = KILN_FAIL_AT(loc, operands);
  StringRef what = "conv2d_filter_grad";
  if (failed(checkNHWC(what, "input", x, fail)) ||
      failed(checkNHWC(what, "output_grad", dy, fail)))
    return failure();
  ArrayRef<int64_t> xs = shapeOf(x), ds = shapeOf(dy),
                    k = adaptor.getKernelSize();
  int64_t groups = adaptor.getGroups();
  if (groups < 1 || xs[3] % groups || ds[3] % groups)
    return fail(what + ": " + Twine(groups) + " groups do not divide " +
                Twine(xs[3]) + " input and " + Twine(ds[3]) +
                " output channels");
  if (xs[0] != ds[0])
    return fail(what + ": the input and output_grad batches differ");
  if (failed(checkGradSizes(what, adaptor, k, xs[1], xs[2], ds, fail)))
    return failure();
  types.push_back(f32Tensor(ctx, {k[0], k[1], xs[3] / groups, ds[3]}));
  return success();
}

/// The pooled shape of the NHWC shape `in` (checked by the caller) under
/// a pooling op's window, which has no dilation and padding smaller than
/// the window (else a window could lie wholly in the padding).
template <typename Adaptor>
static FailureOr<SmallVector<int64_t>>
pooledShape(StringRef what, Adaptor a, ArrayRef<int64_t> in, Fail fail) {
  int64_t one[] = {1, 1};
  auto win = checkWindow(what, a.getWindow(), a.getStrides(), a.getPadding(),
                         one, fail);
  if (failed(win))
    return failure();
  if (win->top >= win->kh || win->bottom >= win->kh || win->left >= win->kw ||
      win->right >= win->kw)
    return fail(what + " padding must be smaller than the window");
  if (failed(checkFits(what, *win, in[1], in[2], fail)))
    return failure();
  return SmallVector<int64_t>{in[0], win->outH(in[1]), win->outW(in[2]), in[3]};
}

/// max_pool2d and avg_pool2d: the pooled shape of their input.
template <typename Adaptor>
static LogicalResult inferPooled(StringRef what, MLIRContext *ctx,
                                 std::optional<Location> loc, Adaptor a,
                                 SmallVectorImpl<Type> &types) {
  Value x = a.getInput();
  SmallVector<std::pair<StringRef, Value>> operands{{"input", x}};
  auto fail = KILN_FAIL_AT(loc, operands);
  if (failed(checkNHWC(what, "input", x, fail)))
    return failure();
  auto pooled = pooledShape(what, a, shapeOf(x), fail);
  if (failed(pooled))
    return failure();
  types.push_back(f32Tensor(ctx, *pooled));
  return success();
}

LogicalResult MaxPool2dOp::inferReturnTypes(MLIRContext *ctx,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  Value x = adaptor.getInput(), v = adaptor.getValues();
  if (v && shapeOf(v) != shapeOf(x))
    return shapeError(loc, {{"input", x}, {"values", v}},
                      "max_pool2d values " + formatShape(shapeOf(v)) +
                          " must have the input's shape " +
                          formatShape(shapeOf(x)));
  return inferPooled("max_pool2d", ctx, loc, adaptor, types);
}

LogicalResult AvgPool2dOp::inferReturnTypes(MLIRContext *ctx,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  return inferPooled("avg_pool2d", ctx, loc, adaptor, types);
}

/// The pooling gradients: an input shape `in` whose pooled shape must be
/// the output gradient's.
template <typename Adaptor>
static LogicalResult inferPoolGrad(StringRef what, MLIRContext *ctx,
                                   ArrayRef<int64_t> in, Value dy, Adaptor a,
                                   Fail fail, SmallVectorImpl<Type> &types) {
  auto pooled = pooledShape(what, a, in, fail);
  if (failed(pooled))
    return failure();
  if (shapeOf(dy) != ArrayRef<int64_t>(*pooled))
    return fail(what + " output_grad " + formatShape(shapeOf(dy)) +
                " must have the pooled shape " + formatShape(*pooled));
  types.push_back(f32Tensor(ctx, in));
  return success();
}

LogicalResult MaxPool2dGradOp::inferReturnTypes(MLIRContext *ctx,
                                                std::optional<Location> loc,
                                                Adaptor adaptor,
                                                SmallVectorImpl<Type> &types) {
  Value x = adaptor.getInput(), dy = adaptor.getOutputGrad();
  SmallVector<std::pair<StringRef, Value>> operands{{"input", x},
                                                    {"output_grad", dy}};
  auto fail = KILN_FAIL_AT(loc, operands);
  if (failed(checkNHWC("max_pool2d_grad", "input", x, fail)))
    return failure();
  return inferPoolGrad("max_pool2d_grad", ctx, shapeOf(x), dy, adaptor, fail,
                       types);
}

LogicalResult AvgPool2dGradOp::inferReturnTypes(MLIRContext *ctx,
                                                std::optional<Location> loc,
                                                Adaptor adaptor,
                                                SmallVectorImpl<Type> &types) {
  Value dy = adaptor.getOutputGrad();
  SmallVector<std::pair<StringRef, Value>> operands{{"output_grad", dy}};
  auto fail = KILN_FAIL_AT(loc, operands);
  if (failed(checkNHWC("avg_pool2d_grad", "output_grad", dy, fail)))
    return failure();
  ArrayRef<int64_t> ds = shapeOf(dy), size = adaptor.getInputSize();
  if (size.size() != 2 || size[0] < 1 || size[1] < 1)
    return fail("avg_pool2d_grad input_size must be [height, width], both "
                "positive");
  int64_t in[] = {ds[0], size[0], size[1], ds[3]};
  return inferPoolGrad("avg_pool2d_grad", ctx, in, dy, adaptor, fail, types);
}

#undef KILN_FAIL_AT

//===----------------------------------------------------------------------===//
// nn.scan
//===----------------------------------------------------------------------===//

YieldOp ScanOp::getYield() {
  return cast<YieldOp>(getBodyBlock().getTerminator());
}

Value ScanOp::getRecordedCarry(unsigned i) {
  Block &body = getBodyBlock();
  for (auto [m, v] :
       llvm::enumerate(getYield().getValues().drop_front(getNumCarries())))
    if (v == body.getArgument(i))
      return getStacked()[m];
  return {};
}

ScanOp ScanOp::withRecordedCarries(OpBuilder &b) {
  SmallVector<Type> types(getResultTypes());
  SmallVector<unsigned> missing;
  for (unsigned i = 0; i < getNumCarries(); ++i)
    if (!getRecordedCarry(i)) {
      missing.push_back(i);
      types.push_back(
          stackedType(getInits()[i].getType(), getLength(), getAxis()));
    }
  auto scan = b.create<ScanOp>(getLoc(), types, getInits(), getSequences(),
                               getClosures(), getLengthAttr(), getAxisAttr(),
                               getReverseAttr());
  IRMapping map;
  getBody().cloneInto(&scan.getBody(), map);
  YieldOp yield = scan.getYield();
  SmallVector<Value> values(yield.getValues());
  for (unsigned i : missing)
    values.push_back(scan.getBodyBlock().getArgument(i));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(yield);
  b.create<YieldOp>(yield.getLoc(), values);
  yield.erase();
  return scan;
}

namespace {
/// Drops the step outputs nothing reads (a recorded carry in eval_step,
/// where no backward loop needs it) and the closures the body no longer
/// reads: each would cost a copy or a binding every step.
struct DropUnusedScanValues : OpRewritePattern<ScanOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ScanOp scan,
                                PatternRewriter &rw) const override {
    unsigned n = scan.getNumCarries();
    SmallVector<unsigned> outputs, closures;
    for (auto [m, r] : llvm::enumerate(scan.getStacked()))
      if (!r.use_empty())
        outputs.push_back(m);
    for (auto [k, arg] : llvm::enumerate(scan.getClosureArgs()))
      if (!arg.use_empty())
        closures.push_back(k);
    if (outputs.size() == scan.getStacked().size() &&
        closures.size() == scan.getClosures().size())
      return failure();
    SmallVector<Type> types(scan.getInits().getTypes());
    for (unsigned m : outputs)
      types.push_back(scan.getStacked()[m].getType());
    SmallVector<Value> closed;
    for (unsigned k : closures)
      closed.push_back(scan.getClosures()[k]);
    auto fresh = rw.create<ScanOp>(
        scan.getLoc(), types, scan.getInits(), scan.getSequences(), closed,
        scan.getLengthAttr(), scan.getAxisAttr(), scan.getReverseAttr());
    rw.inlineRegionBefore(scan.getBody(), fresh.getBody(),
                          fresh.getBody().end());
    Block &body = fresh.getBodyBlock();
    unsigned first = n + scan.getSequences().size();
    for (int k = scan.getClosures().size() - 1; k >= 0; --k)
      if (!llvm::is_contained(closures, static_cast<unsigned>(k)))
        body.eraseArgument(first + k);
    YieldOp yield = fresh.getYield();
    SmallVector<Value> values(yield.getValues().take_front(n));
    for (unsigned m : outputs)
      values.push_back(yield.getValues()[n + m]);
    rw.setInsertionPoint(yield);
    rw.replaceOpWithNewOp<YieldOp>(yield, values);
    SmallVector<Value> replacements(fresh.getFinals());
    for (unsigned m = 0, kept = 0; m < scan.getStacked().size(); ++m)
      replacements.push_back(llvm::is_contained(outputs, m)
                                 ? fresh.getStacked()[kept++]
                                 : Value());
    rw.replaceOp(scan, replacements);
    return success();
  }
};
} // namespace

void ScanOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                         MLIRContext *ctx) {
  patterns.add<DropUnusedScanValues>(ctx);
}

RankedTensorType ScanOp::sliceType(Type sequence, int64_t axis) {
  auto t = cast<RankedTensorType>(sequence);
  if (axis < 0 || axis >= t.getRank())
    return {};
  SmallVector<int64_t> shape(t.getShape());
  shape.erase(shape.begin() + axis);
  return RankedTensorType::get(shape, t.getElementType());
}

RankedTensorType ScanOp::stackedType(Type step, int64_t length, int64_t axis) {
  auto t = cast<RankedTensorType>(step);
  if (axis < 0 || axis > t.getRank())
    return {};
  SmallVector<int64_t> shape(t.getShape());
  shape.insert(shape.begin() + axis, length);
  return RankedTensorType::get(shape, t.getElementType());
}

LogicalResult ScanOp::verifyRegions() {
  int64_t length = getLength(), axis = getAxis();
  if (length < 1)
    return emitOpError() << "length must be at least 1, got " << length;
  if (axis < 1)
    return emitOpError() << "axis must be 1 or more (dim 0 is the batch), got "
                         << axis;
  for (auto [i, s] : llvm::enumerate(getSequences())) {
    auto t = cast<RankedTensorType>(s.getType());
    if (axis >= t.getRank())
      return emitOpError() << "sequence #" << i << " (" << t << ") has no axis "
                           << axis;
    if (t.getDimSize(axis) != length)
      return emitOpError() << "sequence #" << i << " (" << t << ") has "
                           << (t.isDynamicDim(axis)
                                   ? std::string("a dynamic size")
                                   : std::to_string(t.getDimSize(axis)))
                           << " along axis " << axis << ", but the scan runs "
                           << length << " steps";
  }
  Block &body = getBodyBlock();
  unsigned carries = getNumCarries(), sequences = getSequences().size();
  unsigned expected = carries + sequences + getClosures().size();
  if (body.getNumArguments() != expected)
    return emitOpError() << "body takes " << body.getNumArguments()
                         << " arguments, expected " << expected << " ("
                         << carries << " carries, " << sequences
                         << " sequence slices, " << getClosures().size()
                         << " closures)";
  for (auto [i, init] : llvm::enumerate(getInits()))
    if (body.getArgument(i).getType() != init.getType())
      return emitOpError() << "body argument #" << i << " (carry #" << i
                           << ") is " << body.getArgument(i).getType()
                           << ", but the initial carry is " << init.getType();
  for (auto [i, s] : llvm::enumerate(getSequences())) {
    Type want = sliceType(s.getType(), axis);
    Type got = body.getArgument(carries + i).getType();
    if (got != want)
      return emitOpError() << "body argument #" << carries + i
                           << " (a step of sequence #" << i << ") is " << got
                           << ", but a step of " << s.getType()
                           << " along axis " << axis << " is " << want;
  }
  for (auto [i, c] : llvm::enumerate(getClosures())) {
    unsigned a = carries + sequences + i;
    if (body.getArgument(a).getType() != c.getType())
      return emitOpError() << "body argument #" << a << " (closure #" << i
                           << ") is " << body.getArgument(a).getType()
                           << ", but the closure is " << c.getType();
  }
  auto yield = dyn_cast<YieldOp>(body.getTerminator());
  if (!yield)
    return emitOpError() << "body must end in nn.yield";
  if (yield.getValues().size() < carries)
    return yield.emitOpError()
           << "yields " << yield.getValues().size()
           << " values, but the scan has " << carries << " carries";
  for (unsigned i = 0; i < carries; ++i)
    if (yield.getValues()[i].getType() != getInits()[i].getType())
      return yield.emitOpError()
             << "yields carry #" << i << " as "
             << yield.getValues()[i].getType() << ", but the carry is "
             << getInits()[i].getType();
  unsigned outputs = yield.getValues().size() - carries;
  if (getNumResults() != carries + outputs)
    return emitOpError() << "has " << getNumResults() << " results, expected "
                         << carries + outputs << " (" << carries
                         << " final carries, " << outputs
                         << " stacked step outputs)";
  for (unsigned i = 0; i < carries; ++i)
    if (getResult(i).getType() != getInits()[i].getType())
      return emitOpError() << "result #" << i << " (final carry #" << i
                           << ") is " << getResult(i).getType()
                           << ", but the carry is " << getInits()[i].getType();
  for (unsigned j = 0; j < outputs; ++j) {
    Type step = yield.getValues()[carries + j].getType();
    Type want = stackedType(step, length, axis);
    if (!want)
      return yield.emitOpError() << "step output #" << j << " (" << step
                                 << ") cannot be stacked along axis " << axis;
    if (getResult(carries + j).getType() != want)
      return emitOpError() << "result #" << carries + j << " (step output #"
                           << j << " stacked) is "
                           << getResult(carries + j).getType() << ", expected "
                           << want;
  }
  return success();
}
