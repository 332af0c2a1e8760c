//===- optimizer.cpp - optimizer update synthesis -------------------------===//
//
// Each parameter's nn.gradient gets its optimizer's update rule and an
// nn.update; the gradients stay for the gradient function. Hyperparameters
// the runtime changes (the learning rate, the step count) are nn.hyper
// values read at every step, so a schedule or a --lr flag needs no
// recompile; so are the other hyperparameters (momentum, betas, eps, ρ,
// weight decay), which the model binary's flags override. Optimizer state
// (velocities, moments) is nn.state: zero at first, updated in the same step.
// The rules are ../shared/CATALOG.md's: sgd, momentum, nesterov, adagrad,
// rmsprop, adam, adamw (each formula at its function below); nn.model's
// verifier checks each optimizer's hyperparameters and its learning-rate
// schedule.
//
// State is named after its parameter: `<param>.velocity`, `.adagrad_s`,
// `.rmsprop_s`, `.adam_m`, `.adam_v`. A complement 1 − x is a hyper of its
// own, `1-x`, which the runtime sets from x in double precision (1 − 0.999f
// in float would be off by 1e-5 relative). A hyper the model already
// declares (dropout's `step`) is reused. Adam's bias corrections depend on
// the step only: one scalar each for all parameters. Gradient clipping
// (clip_value, clip_norm) rewrites the gradients before any rule.
// test/gradcheck/optimizer_test.cpp runs three steps of each rule, through
// the reference evaluator and the compiled kernels, against the formula
// computed by hand (to 1e-6).
//
//===----------------------------------------------------------------------===//
#include "compiler/passes/passes.h"

#include "mlir/IR/Builders.h"

#include <numeric>

using namespace mlir;
using namespace kiln::nn;

namespace kiln {
#define GEN_PASS_DEF_OPTIMIZER
#include "compiler/passes/passes.h.inc"
} // namespace kiln

namespace {

/// Default when the model names no optimizer: plain SGD.
constexpr double kDefaultLearningRate = 0.01;

/// Builds one optimizer's update for each parameter.
struct UpdateBuilder {
  OpBuilder &b;
  DictionaryAttr config;
  Location loc;
  ModelOp model;

  RankedTensorType scalarType() {
    return RankedTensorType::get({}, b.getF32Type());
  }
  double get(StringRef key, double fallback) {
    if (config)
      if (auto v = config.getAs<FloatAttr>(key))
        return v.getValueAsDouble();
    return fallback;
  }
  Value constant(double v) {
    return b.create<ConstantOp>(loc, scalarType(), static_cast<float>(v));
  }
  /// The model's hyperparameter `name` (dropout may have declared "step"
  /// already), or a new one.
  Value hyper(StringRef name, double value) {
    for (auto h : model.getBodyBlock().getOps<HyperOp>())
      if (h.getName() == name)
        return h.getResult();
    return b.create<HyperOp>(loc, scalarType(), b.getStringAttr(name),
                             b.getF64FloatAttr(value));
  }
  /// A hyperparameter's complement 1 − x as a hyper of its own, "1-x":
  /// the runtime sets both from a flag, the complement in double precision
  /// (1 − 0.999f in float would be off by 1e-5 relative).
  Value complement(StringRef name, double value) {
    return hyper(("1-" + name).str(), 1 - value);
  }
  /// The gradient the rule uses: clipped, when the model asks for it.
  llvm::DenseMap<Operation *, Value> clipped;
  Value grad(GradientOp g) {
    auto it = clipped.find(g);
    return it != clipped.end() ? it->second : g.getGrad();
  }
  Value state(ParamOp p, StringRef suffix) {
    return b.create<StateOp>(p.getLoc(), p.getType(),
                             b.getStringAttr(p.getName() + "." + suffix),
                             /*init=*/nullptr);
  }
};

/// SGD: θ ← θ − lr·g
LogicalResult sgd(UpdateBuilder &u, ArrayRef<GradientOp> grads) {
  OpBuilder &b = u.b;
  Value lr = u.hyper("lr", u.get("lr", kDefaultLearningRate));
  for (GradientOp g : grads) {
    Location loc = g.getLoc();
    Value step = b.create<MulOp>(loc, lr, u.grad(g));
    Value updated = b.create<SubOp>(loc, g.getParam(), step);
    b.create<UpdateOp>(loc, g.getParam(), updated);
  }
  return success();
}

/// Momentum (the catalogue's form, lr inside the velocity):
///   v ← β v + lr·g,  θ ← θ − v
/// Nesterov (the same velocity, the step looks ahead along it):
///   v ← β v + lr·g,  θ ← θ − (β v + lr·g)
LogicalResult momentum(UpdateBuilder &u, ArrayRef<GradientOp> grads,
                       bool nesterov) {
  OpBuilder &b = u.b;
  Value lr = u.hyper("lr", u.get("lr", kDefaultLearningRate));
  Value beta = u.hyper("momentum", u.get("momentum", 0.9));
  for (GradientOp g : grads) {
    auto p = g.getParam().getDefiningOp<ParamOp>();
    Location at = g.getLoc();
    Value scaled = b.create<MulOp>(at, lr, u.grad(g));
    Value v = u.state(p, "velocity");
    Value newV = b.create<AddOp>(at, b.create<MulOp>(at, beta, v), scaled);
    Value step = newV;
    if (nesterov)
      step = b.create<AddOp>(at, b.create<MulOp>(at, beta, newV), scaled);
    b.create<UpdateOp>(at, p.getResult(),
                       b.create<SubOp>(at, p.getResult(), step));
    b.create<UpdateOp>(at, v, newV);
  }
  return success();
}

/// Adagrad: s ← s + g²,  θ ← θ − lr·g / √(s + ε)
/// RMSProp: s ← ρ s + (1 − ρ) g²,  θ ← θ − lr·g / √(s + ε)
LogicalResult squareScaled(UpdateBuilder &u, ArrayRef<GradientOp> grads,
                           bool rmsprop) {
  OpBuilder &b = u.b;
  Value lr = u.hyper("lr", u.get("lr", rmsprop ? 1e-3 : kDefaultLearningRate));
  Value eps = u.hyper("eps", u.get("eps", 1e-8));
  double rhoValue = u.get("rho", 0.9);
  Value rho = rmsprop ? u.hyper("rho", rhoValue) : Value();
  Value rest = rmsprop ? u.complement("rho", rhoValue) : Value();
  for (GradientOp g : grads) {
    auto p = g.getParam().getDefiningOp<ParamOp>();
    Location at = g.getLoc();
    Value grad = u.grad(g);
    Value square = b.create<MulOp>(at, grad, grad);
    Value s = u.state(p, rmsprop ? "rmsprop_s" : "adagrad_s");
    Value newS = rmsprop ? b.create<AddOp>(at, b.create<MulOp>(at, rho, s),
                                           b.create<MulOp>(at, rest, square))
                         : b.create<AddOp>(at, s, square).getResult();
    Value sum = b.create<AddOp>(at, newS, eps);
    Value denom = b.create<SqrtOp>(at, sum.getType(), sum);
    Value step = b.create<MulOp>(at, lr, b.create<DivOp>(at, grad, denom));
    b.create<UpdateOp>(at, p.getResult(),
                       b.create<SubOp>(at, p.getResult(), step));
    b.create<UpdateOp>(at, s, newS);
  }
  return success();
}

/// Adam (bias-corrected, t = the runtime's 1-based step):
///   m ← β1 m + (1 − β1) g,  v ← β2 v + (1 − β2) g²,
///   θ ← θ − lr · (m / (1 − β1ᵗ)) / (√(v / (1 − β2ᵗ)) + ε)
/// AdamW adds decoupled weight decay λ (Loshchilov & Hutter), not through
/// the gradient: θ ← θ − lr · (Adam's direction + λ θ).
LogicalResult adam(UpdateBuilder &u, ArrayRef<GradientOp> grads,
                   bool decoupled) {
  OpBuilder &b = u.b;
  double beta1 = u.get("beta1", 0.9), beta2 = u.get("beta2", 0.999);
  Value lr = u.hyper("lr", u.get("lr", 1e-3));
  Value t = u.hyper("step", 1);
  Value b1 = u.hyper("beta1", beta1), b2 = u.hyper("beta2", beta2);
  Value c1 = u.complement("beta1", beta1), c2 = u.complement("beta2", beta2);
  Value eps = u.hyper("eps", u.get("eps", 1e-8)), one = u.constant(1);
  Value decay = decoupled ? u.hyper("weight_decay", u.get("weight_decay", 1e-2))
                          : Value();
  // The bias corrections depend on the step only: one scalar each.
  Location loc = u.loc;
  Value corr1 = b.create<SubOp>(loc, one, b.create<PowOp>(loc, b1, t));
  Value corr2 = b.create<SubOp>(loc, one, b.create<PowOp>(loc, b2, t));
  for (GradientOp g : grads) {
    auto p = g.getParam().getDefiningOp<ParamOp>();
    Location at = g.getLoc();
    Value grad = u.grad(g);
    Value m = u.state(p, "adam_m"), v = u.state(p, "adam_v");
    Value decayedM = b.create<MulOp>(at, b1, m);
    Value newM = b.create<AddOp>(at, decayedM, b.create<MulOp>(at, c1, grad));
    Value square = b.create<MulOp>(at, grad, grad);
    Value decayedV = b.create<MulOp>(at, b2, v);
    Value newV = b.create<AddOp>(at, decayedV, b.create<MulOp>(at, c2, square));
    Value mHat = b.create<DivOp>(at, newM, corr1);
    Value vHat = b.create<DivOp>(at, newV, corr2);
    Value denom =
        b.create<AddOp>(at, b.create<SqrtOp>(at, vHat.getType(), vHat), eps);
    Value direction = b.create<DivOp>(at, mHat, denom);
    if (decoupled)
      direction = b.create<AddOp>(at, direction,
                                  b.create<MulOp>(at, decay, p.getResult()));
    Value step = b.create<MulOp>(at, lr, direction);
    Value updated = b.create<SubOp>(at, p.getResult(), step);
    b.create<UpdateOp>(at, p.getResult(), updated);
    b.create<UpdateOp>(at, m, newM);
    b.create<UpdateOp>(at, v, newV);
  }
  return success();
}

/// Gradient clipping, before any rule: by value, each element into
/// [−c, c]; by global norm, every gradient scaled by c / max(‖g‖, c),
/// ‖g‖ the norm of all parameters' gradients together (unchanged when
/// within c).
void clip(UpdateBuilder &u, ArrayRef<GradientOp> grads) {
  OpBuilder &b = u.b;
  Location loc = u.loc;
  if (double c = u.get("clip_value", 0); c > 0) {
    Value hi = u.constant(c), lo = u.constant(-c);
    for (GradientOp g : grads) {
      Value x = b.create<MaximumOp>(g.getLoc(), u.grad(g), lo);
      u.clipped[g] = b.create<MinimumOp>(g.getLoc(), x, hi);
    }
  }
  if (double c = u.get("clip_norm", 0); c > 0) {
    Value total;
    for (GradientOp g : grads) {
      Value x = u.grad(g);
      auto rank = cast<RankedTensorType>(x.getType()).getRank();
      SmallVector<int64_t> axes(rank);
      std::iota(axes.begin(), axes.end(), 0);
      Value square = b.create<MulOp>(g.getLoc(), x, x);
      Value sum = b.create<ReduceSumOp>(g.getLoc(), square,
                                        b.getDenseI64ArrayAttr(axes), false);
      total = total ? b.create<AddOp>(loc, total, sum).getResult() : sum;
    }
    Value norm = b.create<SqrtOp>(loc, total.getType(), total);
    Value limit = u.constant(c);
    Value scale =
        b.create<DivOp>(loc, limit, b.create<MaximumOp>(loc, norm, limit));
    for (GradientOp g : grads)
      u.clipped[g] = b.create<MulOp>(g.getLoc(), u.grad(g), scale);
  }
}

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
  OpBuilder b = OpBuilder::atBlockEnd(&model.getBodyBlock());
  DictionaryAttr config = model.getOptimizerAttr();
  UpdateBuilder u{b, config, model.getLoc(), model,
                  llvm::DenseMap<Operation *, Value>()};
  StringRef kind = "sgd";
  if (config)
    if (auto k = config.getAs<StringAttr>("kind"))
      kind = k.getValue();
  clip(u, grads);
  if (kind == "sgd")
    return sgd(u, grads);
  if (kind == "momentum" || kind == "nesterov")
    return momentum(u, grads, kind == "nesterov");
  if (kind == "adagrad" || kind == "rmsprop")
    return squareScaled(u, grads, kind == "rmsprop");
  if (kind == "adam" || kind == "adamw")
    return adam(u, grads, kind == "adamw");
  return model.emitError() << "unknown optimizer '" << kind
                           << "' (known: sgd, momentum, nesterov, adagrad, "
                              "rmsprop, adam, adamw)";
}

struct OptimizerPass : kiln::impl::OptimizerBase<OptimizerPass> {
  void runOnOperation() override {
    for (auto model : getOperation().getOps<ModelOp>())
      if (failed(expand(model)))
        return signalPassFailure();
  }
};

} // namespace
