//===- dsl.cpp - the C++ DSL builds nn IR ---------------------------------===//
//
// Each DSL call creates one nn op at the caller's location and runs the op's
// own shape inference and verifier, so the DSL and a hand-written .mlir file
// are checked by the same code. An error is reported once, at the user's
// line; the failed tensor is invalid and silently poisons its users, so one
// mistake gives one error.
//
// Activations and losses that are compositions of nn ops (tanh = 2σ(2x) − 1,
// leaky ReLU, ELU, Swish, softplus, BCE with logits, MAE, Huber, hinge, the
// L1/L2 penalties) are built here, so their derivatives come from the ops'
// checked rules; the stable forms keep the branch a `where` does not take
// from overflowing (0·∞ = NaN in the adjoint). Batch norm is built from
// existing ops too: the batch's mean and biased variance, nn.train_eval of
// the batch- and the running-normalised input, γ and β parameters, and
// nn.state running statistics (the variance starting at ones) with
// nn.updates of the model's own (PyTorch's momentum and unbiased running
// variance).
//
//===----------------------------------------------------------------------===//
#include "kiln/dsl.h"

#include "dialects/nn/nn_dialect.h"
#include "llvm/ADT/SetVector.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>

using namespace mlir;
namespace nn = kiln::nn;

namespace kiln {
namespace detail {

struct ModelImpl {
  MLIRContext ctx;
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics{sourceMgr, &ctx, llvm::errs()};
  OwningOpRef<ModuleOp> module;
  nn::ModelOp model;
  OpBuilder builder{&ctx};
  std::vector<Value> values;
  std::vector<Shape> shapes;
  unsigned errors = 0;
  std::optional<Location> lossLoc;
  /// Where each input/parameter name and output name was first declared.
  llvm::StringMap<Location> valueNames, outputNames;

  /// Claims a name the runtime binds by; false after reporting a clash.
  bool claim(llvm::StringMap<Location> &names, const std::string &name,
             StringRef kind, Location where) {
    if (name.empty()) {
      emitError(where) << kind << " name must not be empty";
      return false;
    }
    auto [it, inserted] = names.try_emplace(name, where);
    if (!inserted) {
      InFlightDiagnostic diag = emitError(where) << "duplicate " << kind
                                                 << " name '" << name << "'";
      diag.attachNote(it->second) << "'" << name << "' is first declared here";
      return false;
    }
    return true;
  }

  ModelImpl(const std::string &name, const Loc &at) {
    // Users see their own lines; a dump of the generic op would be noise.
    ctx.printOpOnDiagnostic(false);
    ctx.getOrLoadDialect<nn::NNDialect>();
    ctx.getOrLoadDialect<func::FuncDialect>();
    // Count errors however they are emitted (verifiers, inference, DSL).
    ctx.getDiagEngine().registerHandler([this](Diagnostic &d) {
      if (d.getSeverity() == DiagnosticSeverity::Error)
        ++errors;
      return failure(); // fall through to the printing handler
    });
    module = ModuleOp::create(UnknownLoc::get(&ctx));
    builder.setInsertionPointToEnd(module->getBody());
    // At KILN_MODEL: model-wide errors (no loss, ...) point there.
    model = builder.create<nn::ModelOp>(loc(at), name);
    builder.setInsertionPointToEnd(&model.getBodyBlock());
  }

  Location loc(const Loc &l) {
    return FileLineColLoc::get(&ctx, l.file_name(), l.line(), l.column());
  }

  Tensor wrap(Value v);

  /// Finishes an op: infers its result type, verifies it; on failure the
  /// error is out, the op is gone and the result is an invalid tensor.
  Tensor finish(Operation *op) {
    if (auto infer = dyn_cast<InferTypeOpInterface>(op)) {
      SmallVector<Type> types;
      if (failed(infer.inferReturnTypes(&ctx, op->getLoc(), op->getOperands(),
                                        op->getRawDictionaryAttrs(),
                                        op->getPropertiesStorage(),
                                        op->getRegions(), types))) {
        op->erase();
        return Tensor();
      }
      for (auto [r, t] : llvm::zip(op->getResults(), types))
        r.setType(t);
    }
    if (failed(verify(op))) {
      op->erase();
      return Tensor();
    }
    return op->getNumResults() ? wrap(op->getResult(0)) : Tensor();
  }

  RankedTensorType tensorType(const Shape &shape, Type element = {}) {
    SmallVector<int64_t> dims;
    for (int64_t d : shape)
      dims.push_back(d == kiln::batch ? ShapedType::kDynamic : d);
    return RankedTensorType::get(dims,
                                 element ? element : builder.getF32Type());
  }

  /// Checks a user-written shape; false after reporting.
  bool checkShape(const Shape &shape, Location where) {
    for (int64_t d : shape)
      if (d <= 0 && d != kiln::batch) {
        emitError(where) << "dimension " << d
                         << " must be positive (or kiln::batch)";
        return false;
      }
    return true;
  }

  /// A placeholder result type, replaced by inference in finish().
  Type placeholder() { return RankedTensorType::get({}, builder.getF32Type()); }
};

struct Access {
  static ModelImpl *impl(const Tensor &t) { return t.impl_; }
  static int id(const Tensor &t) { return t.id_; }
  static Tensor make(ModelImpl *impl, int id) {
    Tensor t;
    t.impl_ = impl;
    t.id_ = id;
    return t;
  }
};

Tensor ModelImpl::wrap(Value v) {
  values.push_back(v);
  Shape s;
  for (int64_t d : cast<RankedTensorType>(v.getType()).getShape())
    s.push_back(ShapedType::isDynamic(d) ? kiln::batch : d);
  shapes.push_back(std::move(s));
  return Access::make(this, values.size() - 1);
}

} // namespace detail

using detail::Access;
using detail::ModelImpl;

namespace {

/// The model all operands belong to, or null if one is invalid (already
/// reported) or they come from different models (reported here).
ModelImpl *modelOf(std::initializer_list<Tensor> ts, const Loc &loc) {
  ModelImpl *impl = nullptr;
  for (const Tensor &t : ts) {
    ModelImpl *m = Access::impl(t);
    if (!m)
      return nullptr;
    if (impl && m != impl) {
      emitError(impl->loc(loc)) << "operands belong to different models";
      return nullptr;
    }
    impl = m;
  }
  return impl;
}

Value valueOf(const Tensor &t) {
  return Access::impl(t)->values[Access::id(t)];
}

/// Normalises user axes (negative from the end) to sorted unique ones.
std::optional<SmallVector<int64_t>>
normaliseAxes(ModelImpl *m, Tensor x, const Axes &axes, Location where) {
  int64_t rank = x.rank();
  SmallVector<int64_t> out;
  if (axes.empty())
    out = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  for (int64_t a : axes) {
    int64_t n = a < 0 ? a + rank : a;
    if (n < 0 || n >= rank) {
      emitError(where) << "axis " << a << " is out of range for a rank-" << rank
                       << " tensor";
      return std::nullopt;
    }
    out.push_back(n);
  }
  llvm::sort(out);
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

template <typename OpTy> Tensor binary(At a, Tensor b) {
  ModelImpl *m = modelOf({a.t, b}, a.loc);
  if (!m)
    return Tensor();
  auto op = m->builder.create<OpTy>(m->loc(a.loc), m->placeholder(),
                                    valueOf(a.t), valueOf(b));
  return m->finish(op);
}

template <typename OpTy> Tensor unary(Tensor x, const Loc &loc) {
  ModelImpl *m = modelOf({x}, loc);
  if (!m)
    return Tensor();
  Value v = valueOf(x);
  return m->finish(m->builder.create<OpTy>(m->loc(loc), v.getType(), v));
}

/// A scalar constant in x's model, at `loc`.
Tensor scalar(Tensor x, double v, const Loc &loc) {
  ModelImpl *m = modelOf({x}, loc);
  if (!m)
    return Tensor();
  return m->finish(m->builder.create<nn::ConstantOp>(
      m->loc(loc), m->tensorType({}), static_cast<float>(v)));
}

template <typename OpTy>
Tensor reduce(Tensor x, const Axes &axes, bool keepdims, const Loc &loc) {
  ModelImpl *m = modelOf({x}, loc);
  if (!m)
    return Tensor();
  auto norm = normaliseAxes(m, x, axes, m->loc(loc));
  if (!norm)
    return Tensor();
  auto op = m->builder.create<OpTy>(m->loc(loc), m->placeholder(), valueOf(x),
                                    *norm, keepdims);
  return m->finish(op);
}

} // namespace

//===----------------------------------------------------------------------===//
// Tensor
//===----------------------------------------------------------------------===//

static const Shape kNoShape;

const Shape &Tensor::shape() const {
  return impl_ ? impl_->shapes[id_] : kNoShape;
}

int Tensor::rank() const { return static_cast<int>(shape().size()); }

int64_t Tensor::dim(int axis) const {
  int r = rank();
  int a = axis < 0 ? axis + r : axis;
  return a >= 0 && a < r ? shape()[a] : 0;
}

//===----------------------------------------------------------------------===//
// Initializers and optimizers
//===----------------------------------------------------------------------===//

namespace init {
Init zeros() { return {static_cast<int>(nn::InitKind::zeros)}; }
Init ones() { return {static_cast<int>(nn::InitKind::ones)}; }
Init constant(double v) {
  return {static_cast<int>(nn::InitKind::constant), v};
}
Init uniform(double lo, double hi) {
  return {static_cast<int>(nn::InitKind::uniform), lo, hi};
}
Init normal(double mean, double stddev) {
  return {static_cast<int>(nn::InitKind::normal), mean, stddev};
}
Init xavier_uniform() {
  return {static_cast<int>(nn::InitKind::xavier_uniform)};
}
Init xavier_normal() { return {static_cast<int>(nn::InitKind::xavier_normal)}; }
Init he_uniform() { return {static_cast<int>(nn::InitKind::he_uniform)}; }
Init he_normal() { return {static_cast<int>(nn::InitKind::he_normal)}; }
} // namespace init

namespace schedule {
Schedule constant() { return {}; }
Schedule step(double factor, double every) { return {"step", factor, every}; }
Schedule exponential(double rate, double steps) {
  return {"exponential", rate, steps};
}
Schedule inverse_time(double rate, double steps) {
  return {"inverse_time", rate, steps};
}
Schedule cosine(double steps, double minLr) { return {"cosine", steps, minLr}; }
} // namespace schedule

namespace optim {
Optimizer sgd(double lr) { return {"sgd", lr}; }
Optimizer momentum(double lr, double beta) {
  Optimizer o{"momentum", lr};
  o.momentum = beta;
  return o;
}
Optimizer nesterov(double lr, double beta) {
  Optimizer o = momentum(lr, beta);
  o.kind = "nesterov";
  return o;
}
Optimizer adagrad(double lr, double eps) {
  Optimizer o{"adagrad", lr};
  o.eps = eps;
  return o;
}
Optimizer rmsprop(double lr, double rho, double eps) {
  Optimizer o{"rmsprop", lr};
  o.rho = rho;
  o.eps = eps;
  return o;
}
Optimizer adam(double lr, double beta1, double beta2, double eps) {
  return {"adam", lr, beta1, beta2, eps};
}
Optimizer adamw(double lr, double weightDecay, double beta1, double beta2,
                double eps) {
  Optimizer o{"adamw", lr, beta1, beta2, eps};
  o.weight_decay = weightDecay;
  return o;
}
} // namespace optim

//===----------------------------------------------------------------------===//
// Model
//===----------------------------------------------------------------------===//

Model::Model(const std::string &name, Loc loc)
    : impl_(new ModelImpl(name, loc)) {}
Model::~Model() { delete impl_; }

static Tensor declareInput(ModelImpl *m, const std::string &name,
                           const Shape &shape, bool label, DType dtype,
                           const Loc &loc) {
  Location where = m->loc(loc);
  if (!m->checkShape(shape, where) ||
      !m->claim(m->valueNames, name, "input/parameter", where))
    return Tensor();
  Type element = dtype == DType::i32 ? Type(m->builder.getI32Type())
                                     : Type(m->builder.getF32Type());
  auto op = m->builder.create<nn::InputOp>(where, m->tensorType(shape, element),
                                           name, label);
  return m->finish(op);
}

Tensor Model::input(const std::string &name, Shape shape, Loc loc) {
  return declareInput(impl_, name, shape, false, DType::f32, loc);
}

Tensor Model::label(const std::string &name, Shape shape, DType dtype,
                    Loc loc) {
  return declareInput(impl_, name, shape, true, dtype, loc);
}

void Model::dataset(const std::string &name, const Rows &features,
                    const Rows &targets, Loc loc) {
  Location where = impl_->loc(loc);
  auto matrix = [&](const Rows &rows,
                    const char *what) -> std::optional<DenseElementsAttr> {
    if (rows.empty() || rows[0].empty()) {
      emitError(where) << "dataset '" << name << "' has no " << what;
      return std::nullopt;
    }
    SmallVector<float> values;
    for (auto [i, row] : llvm::enumerate(rows)) {
      if (row.size() != rows[0].size()) {
        emitError(where) << "dataset '" << name << "': " << what << " row " << i
                         << " has " << row.size() << " values, row 0 has "
                         << rows[0].size();
        return std::nullopt;
      }
      for (double v : row)
        values.push_back(static_cast<float>(v));
    }
    auto type = impl_->tensorType({static_cast<int64_t>(rows.size()),
                                   static_cast<int64_t>(rows[0].size())});
    return DenseElementsAttr::get(type, ArrayRef<float>(values));
  };
  auto x = matrix(features, "features");
  auto y = matrix(targets, "targets");
  if (!x || !y)
    return;
  if (features.size() != targets.size()) {
    emitError(where) << "dataset '" << name << "' has " << features.size()
                     << " feature rows but " << targets.size()
                     << " target rows";
    return;
  }
  Builder &b = impl_->builder;
  impl_->model.setDatasetAttr(
      b.getDictionaryAttr({b.getNamedAttr("name", b.getStringAttr(name)),
                           b.getNamedAttr("x", *x), b.getNamedAttr("y", *y)}));
}

Tensor Model::param(const std::string &name, Shape shape, Init init, Loc loc) {
  ModelImpl *m = impl_;
  Location where = m->loc(loc);
  if (!m->checkShape(shape, where) ||
      !m->claim(m->valueNames, name, "input/parameter", where))
    return Tensor();
  SmallVector<double> args;
  auto kind = static_cast<nn::InitKind>(init.kind);
  if (kind == nn::InitKind::constant)
    args = {init.a};
  else if (kind == nn::InitKind::uniform || kind == nn::InitKind::normal)
    args = {init.a, init.b};
  auto attr =
      nn::InitAttr::getChecked([&] { return emitError(where); }, &m->ctx, kind,
                               DenseF64ArrayAttr::get(&m->ctx, args));
  if (!attr)
    return Tensor();
  auto op =
      m->builder.create<nn::ParamOp>(where, m->tensorType(shape), name, attr);
  return m->finish(op);
}

void Model::output(const std::string &name, Tensor value, Metric metric,
                   Loc loc) {
  if (!modelOf({value}, loc) ||
      !impl_->claim(impl_->outputNames, name, "output", impl_->loc(loc)))
    return;
  auto op = impl_->builder.create<nn::OutputOp>(
      impl_->loc(loc), name, valueOf(value),
      metric == Metric::binary_accuracy ? "binary_accuracy"
      : metric == Metric::accuracy      ? "accuracy"
                                        : "none");
  impl_->finish(op);
}

void Model::loss(Tensor value, Loc loc) {
  if (!modelOf({value}, loc))
    return;
  Location where = impl_->loc(loc);
  if (impl_->lossLoc) {
    InFlightDiagnostic diag = emitError(where)
                              << "the model already has a loss";
    diag.attachNote(*impl_->lossLoc) << "the first loss is declared here";
    return;
  }
  Operation *op = impl_->builder.create<nn::LossOp>(where, valueOf(value));
  unsigned before = impl_->errors;
  impl_->finish(op);
  if (impl_->errors == before) // only an accepted loss counts as the first
    impl_->lossLoc = where;
}

void Model::optimizer(const Optimizer &opt, Loc loc) {
  Location where = impl_->loc(loc);
  if (!(opt.lr > 0)) {
    std::string lr;
    llvm::raw_string_ostream(lr) << llvm::format("%g", opt.lr);
    emitError(where) << "learning rate must be positive, got " << lr;
    return;
  }
  Builder &b = impl_->builder;
  SmallVector<NamedAttribute> config = {
      b.getNamedAttr("kind", b.getStringAttr(opt.kind)),
      b.getNamedAttr("lr", b.getF64FloatAttr(opt.lr))};
  auto add = [&](SmallVector<NamedAttribute> &to, const char *key, double v) {
    to.push_back(b.getNamedAttr(key, b.getF64FloatAttr(v)));
  };
  const std::string &k = opt.kind;
  if (k == "momentum" || k == "nesterov")
    add(config, "momentum", opt.momentum);
  if (k == "rmsprop")
    add(config, "rho", opt.rho);
  if (k == "adam" || k == "adamw") {
    add(config, "beta1", opt.beta1);
    add(config, "beta2", opt.beta2);
  }
  if (k == "adagrad" || k == "rmsprop" || k == "adam" || k == "adamw")
    add(config, "eps", opt.eps);
  if (k == "adamw")
    add(config, "weight_decay", opt.weight_decay);
  if (!std::isnan(opt.clip_value))
    add(config, "clip_value", opt.clip_value);
  if (!std::isnan(opt.clip_norm))
    add(config, "clip_norm", opt.clip_norm);
  const Schedule &s = opt.schedule;
  if (s.kind != "constant") {
    SmallVector<NamedAttribute> sched = {
        b.getNamedAttr("kind", b.getStringAttr(s.kind))};
    if (s.kind == "step") {
      add(sched, "factor", s.a);
      add(sched, "every", s.b);
    } else if (s.kind == "cosine") {
      add(sched, "steps", s.a);
      add(sched, "min_lr", s.b);
    } else {
      add(sched, "rate", s.a);
      add(sched, "steps", s.b);
    }
    config.push_back(b.getNamedAttr("schedule", b.getDictionaryAttr(sched)));
  }
  // The model op verifies the optimizer: let its errors point at this call.
  nn::ModelOp model = impl_->model;
  Location modelLoc = model.getLoc();
  model.setOptimizerAttr(b.getDictionaryAttr(config));
  model->setLoc(where);
  if (failed(verify(model.getOperation(), /*verifyRecursively=*/false)))
    model.removeOptimizerAttr();
  model->setLoc(modelLoc);
}

//===----------------------------------------------------------------------===//
// Ops
//===----------------------------------------------------------------------===//

Tensor matmul(Tensor a, Tensor b, MatmulOptions opts, Loc loc) {
  ModelImpl *m = modelOf({a, b}, loc);
  if (!m)
    return Tensor();
  auto op = m->builder.create<nn::MatmulOp>(m->loc(loc), m->placeholder(),
                                            valueOf(a), valueOf(b),
                                            opts.transpose_a, opts.transpose_b);
  return m->finish(op);
}

Tensor operator+(At a, Tensor b) { return binary<nn::AddOp>(a, b); }
Tensor operator-(At a, Tensor b) { return binary<nn::SubOp>(a, b); }
Tensor operator*(At a, Tensor b) { return binary<nn::MulOp>(a, b); }
Tensor operator/(At a, Tensor b) { return binary<nn::DivOp>(a, b); }
Tensor operator+(At a, double b) {
  return binary<nn::AddOp>(a, scalar(a.t, b, a.loc));
}
Tensor operator-(At a, double b) {
  return binary<nn::SubOp>(a, scalar(a.t, b, a.loc));
}
Tensor operator*(At a, double b) {
  return binary<nn::MulOp>(a, scalar(a.t, b, a.loc));
}
Tensor operator/(At a, double b) {
  return binary<nn::DivOp>(a, scalar(a.t, b, a.loc));
}
Tensor operator+(double a, At b) {
  return binary<nn::AddOp>(At(scalar(b.t, a, b.loc), b.loc), b.t);
}
Tensor operator-(double a, At b) {
  return binary<nn::SubOp>(At(scalar(b.t, a, b.loc), b.loc), b.t);
}
Tensor operator*(double a, At b) {
  return binary<nn::MulOp>(At(scalar(b.t, a, b.loc), b.loc), b.t);
}
Tensor operator/(double a, At b) {
  return binary<nn::DivOp>(At(scalar(b.t, a, b.loc), b.loc), b.t);
}
Tensor operator-(At a) { return unary<nn::NegOp>(a.t, a.loc); }

Tensor neg(Tensor x, Loc loc) { return unary<nn::NegOp>(x, loc); }
Tensor exp(Tensor x, Loc loc) { return unary<nn::ExpOp>(x, loc); }
Tensor log(Tensor x, Loc loc) { return unary<nn::LogOp>(x, loc); }
Tensor sigmoid(Tensor x, Loc loc) { return unary<nn::SigmoidOp>(x, loc); }
Tensor sqrt(Tensor x, Loc loc) { return unary<nn::SqrtOp>(x, loc); }
Tensor relu(Tensor x, Loc loc) { return unary<nn::ReluOp>(x, loc); }
// The activations below are compositions of differentiable ops, so their
// derivatives come from those ops' rules (each gradient-checked).
Tensor tanh(Tensor x, Loc loc) {
  Tensor s = sigmoid(2.0 * At(x, loc), loc);
  return At(2.0 * At(s, loc), loc) - 1.0;
}
Tensor leaky_relu(Tensor x, double alpha, Loc loc) {
  return where(At(x, loc) >= scalar(x, 0, loc), x, alpha * At(x, loc), loc);
}
Tensor elu(Tensor x, double alpha, Loc loc) {
  // exp of min(x, 0): the branch not taken must not overflow (0·∞ = NaN in
  // the adjoint).
  Tensor negative = minimum(x, scalar(x, 0, loc), loc);
  Tensor curve = alpha * At(At(exp(negative, loc), loc) - 1.0, loc);
  return where(At(x, loc) > 0.0, x, curve, loc);
}
Tensor swish(Tensor x, Loc loc) { return At(x, loc) * sigmoid(x, loc); }
/// ln(1 + e^−|z|): the tail of softplus and of BCE on logits, never
/// overflowing.
static Tensor logOnePlusExpNegAbs(Tensor z, const Loc &loc) {
  Tensor e = exp(neg(abs(z, loc), loc), loc);
  return log(1.0 + At(e, loc), loc);
}
Tensor softplus(Tensor x, Loc loc) {
  return At(relu(x, loc), loc) + logOnePlusExpNegAbs(x, loc);
}

template <typename OpTy>
static Tensor alongAxis(Tensor x, int64_t axis, const Loc &loc) {
  ModelImpl *m = modelOf({x}, loc);
  if (!m)
    return Tensor();
  Value v = valueOf(x);
  return m->finish(m->builder.create<OpTy>(
      m->loc(loc), v.getType(), v,
      m->builder.getI64IntegerAttr(axis < 0 ? axis + x.rank() : axis)));
}
Tensor softmax(Tensor x, int64_t axis, Loc loc) {
  return alongAxis<nn::SoftmaxOp>(x, axis, loc);
}
Tensor log_softmax(Tensor x, int64_t axis, Loc loc) {
  return alongAxis<nn::LogSoftmaxOp>(x, axis, loc);
}
Tensor abs(Tensor x, Loc loc) { return unary<nn::AbsOp>(x, loc); }
Tensor sign(Tensor x, Loc loc) { return unary<nn::SignOp>(x, loc); }
Tensor sin(Tensor x, Loc loc) { return unary<nn::SinOp>(x, loc); }
Tensor cos(Tensor x, Loc loc) { return unary<nn::CosOp>(x, loc); }
Tensor pow(Tensor base, Tensor exponent, Loc loc) {
  return binary<nn::PowOp>(At(base, loc), exponent);
}
Tensor pow(Tensor base, double exponent, Loc loc) {
  return binary<nn::PowOp>(At(base, loc), scalar(base, exponent, loc));
}
Tensor maximum(Tensor a, Tensor b, Loc loc) {
  return binary<nn::MaximumOp>(At(a, loc), b);
}
Tensor minimum(Tensor a, Tensor b, Loc loc) {
  return binary<nn::MinimumOp>(At(a, loc), b);
}

static Tensor compare(nn::ComparePredicate p, At a, Tensor b) {
  ModelImpl *m = modelOf({a.t, b}, a.loc);
  if (!m)
    return Tensor();
  auto op = m->builder.create<nn::CompareOp>(m->loc(a.loc), m->placeholder(), p,
                                             valueOf(a.t), valueOf(b));
  return m->finish(op);
}
Tensor operator<(At a, Tensor b) {
  return compare(nn::ComparePredicate::lt, a, b);
}
Tensor operator<=(At a, Tensor b) {
  return compare(nn::ComparePredicate::le, a, b);
}
Tensor operator>(At a, Tensor b) {
  return compare(nn::ComparePredicate::gt, a, b);
}
Tensor operator>=(At a, Tensor b) {
  return compare(nn::ComparePredicate::ge, a, b);
}
Tensor operator<(At a, double b) {
  return compare(nn::ComparePredicate::lt, a, scalar(a.t, b, a.loc));
}
Tensor operator>(At a, double b) {
  return compare(nn::ComparePredicate::gt, a, scalar(a.t, b, a.loc));
}
Tensor equal(Tensor a, Tensor b, Loc loc) {
  return compare(nn::ComparePredicate::eq, At(a, loc), b);
}
Tensor not_equal(Tensor a, Tensor b, Loc loc) {
  return compare(nn::ComparePredicate::ne, At(a, loc), b);
}

Tensor where(Tensor mask, Tensor a, Tensor b, Loc loc) {
  ModelImpl *m = modelOf({mask, a, b}, loc);
  if (!m)
    return Tensor();
  auto op = m->builder.create<nn::SelectOp>(
      m->loc(loc), m->placeholder(), valueOf(mask), valueOf(a), valueOf(b));
  return m->finish(op);
}

Tensor to_f32(Tensor x, Loc loc) {
  ModelImpl *m = modelOf({x}, loc);
  if (!m)
    return Tensor();
  return m->finish(m->builder.create<nn::CastOp>(
      m->loc(loc), m->tensorType(x.shape()), valueOf(x)));
}

Tensor sum(Tensor x, Axes axes, bool keepdims, Loc loc) {
  return reduce<nn::ReduceSumOp>(x, axes, keepdims, loc);
}
Tensor mean(Tensor x, Axes axes, bool keepdims, Loc loc) {
  return reduce<nn::ReduceMeanOp>(x, axes, keepdims, loc);
}

Tensor max(Tensor x, Axes axes, bool keepdims, Loc loc) {
  return reduce<nn::ReduceMaxOp>(x, axes, keepdims, loc);
}

Tensor flatten(Tensor x, Loc loc) {
  if (!x.valid())
    return Tensor();
  Shape s = x.shape();
  if (s.size() < 2)
    return reshape(x, s, loc);
  int64_t inner = 1;
  for (size_t d = 1; d < s.size(); ++d)
    inner *= s[d];
  return reshape(x, {s[0], inner}, loc);
}

Tensor transpose(Tensor x, Axes permutation, Loc loc) {
  ModelImpl *m = modelOf({x}, loc);
  if (!m)
    return Tensor();
  if (permutation.empty()) // reverse the dims: a matrix transpose
    for (int64_t d = x.rank() - 1; d >= 0; --d)
      permutation.push_back(d);
  auto op = m->builder.create<nn::TransposeOp>(
      m->loc(loc), m->placeholder(), valueOf(x),
      m->builder.getDenseI64ArrayAttr(permutation));
  return m->finish(op);
}

Tensor concat(const std::vector<Tensor> &xs, int64_t axis, Loc loc) {
  if (xs.empty()) {
    return Tensor(); // nothing to report the error against
  }
  ModelImpl *m = nullptr;
  SmallVector<Value> values;
  for (const Tensor &x : xs) {
    ModelImpl *mi = modelOf({xs[0], x}, loc);
    if (!mi)
      return Tensor();
    m = mi;
    values.push_back(valueOf(x));
  }
  int64_t rank = xs[0].rank();
  auto op = m->builder.create<nn::ConcatOp>(
      m->loc(loc), m->placeholder(), values,
      m->builder.getI64IntegerAttr(axis < 0 ? axis + rank : axis));
  return m->finish(op);
}

Tensor slice(Tensor x, Shape starts, Shape limits, Shape steps, Loc loc) {
  ModelImpl *m = modelOf({x}, loc);
  if (!m)
    return Tensor();
  if (steps.empty())
    steps.assign(starts.size(), 1);
  Builder &b = m->builder;
  auto op = m->builder.create<nn::SliceOp>(
      m->loc(loc), m->placeholder(), valueOf(x), b.getDenseI64ArrayAttr(starts),
      b.getDenseI64ArrayAttr(limits), b.getDenseI64ArrayAttr(steps));
  return m->finish(op);
}

Tensor pad(Tensor x, Shape low, Shape high, Shape interior, Loc loc) {
  ModelImpl *m = modelOf({x}, loc);
  if (!m)
    return Tensor();
  if (interior.empty())
    interior.assign(low.size(), 0);
  Builder &b = m->builder;
  auto op = m->builder.create<nn::PadOp>(
      m->loc(loc), m->placeholder(), valueOf(x), b.getDenseI64ArrayAttr(low),
      b.getDenseI64ArrayAttr(high), b.getDenseI64ArrayAttr(interior));
  return m->finish(op);
}

Tensor one_hot(Tensor indices, int64_t classes, Loc loc) {
  ModelImpl *m = modelOf({indices}, loc);
  if (!m)
    return Tensor();
  auto op = m->builder.create<nn::OneHotOp>(
      m->loc(loc), m->placeholder(), valueOf(indices),
      m->builder.getI64IntegerAttr(classes));
  return m->finish(op);
}

Tensor argmax(Tensor x, int64_t axis, bool keepdims, Loc loc) {
  ModelImpl *m = modelOf({x}, loc);
  if (!m)
    return Tensor();
  auto op = m->builder.create<nn::ArgmaxOp>(
      m->loc(loc), m->placeholder(), valueOf(x),
      m->builder.getI64IntegerAttr(axis < 0 ? axis + x.rank() : axis),
      keepdims ? m->builder.getUnitAttr() : UnitAttr());
  return m->finish(op);
}

Tensor reshape(Tensor x, Shape shape, Loc loc) {
  ModelImpl *m = modelOf({x}, loc);
  if (!m || !m->checkShape(shape, m->loc(loc)))
    return Tensor();
  return m->finish(m->builder.create<nn::ReshapeOp>(
      m->loc(loc), m->tensorType(shape), valueOf(x)));
}

Tensor broadcast_to(Tensor x, Shape shape, Loc loc) {
  ModelImpl *m = modelOf({x}, loc);
  if (!m || !m->checkShape(shape, m->loc(loc)))
    return Tensor();
  return m->finish(m->builder.create<nn::BroadcastToOp>(
      m->loc(loc), m->tensorType(shape), valueOf(x)));
}

Tensor mse(Tensor prediction, Tensor target, Loc loc) {
  return binary<nn::MseOp>(At(prediction, loc), target);
}

Tensor binary_cross_entropy(Tensor probability, Tensor target, Loc loc) {
  return binary<nn::BinaryCrossEntropyOp>(At(probability, loc), target);
}

Tensor binary_cross_entropy_with_logits(Tensor z, Tensor y, Loc loc) {
  Tensor linear = At(relu(z, loc), loc) - (At(z, loc) * y);
  Tensor terms = At(linear, loc) + logOnePlusExpNegAbs(z, loc);
  return mean(terms, {}, false, loc);
}
Tensor mae(Tensor prediction, Tensor target, Loc loc) {
  return mean(abs(At(prediction, loc) - target, loc), {}, false, loc);
}
Tensor huber(Tensor prediction, Tensor target, double delta, Loc loc) {
  Tensor d = At(prediction, loc) - target;
  Tensor a = abs(d, loc);
  Tensor quadratic = At(0.5 * At(d, loc), loc) * d;
  Tensor linear = delta * At(At(a, loc) - 0.5 * delta, loc);
  Tensor inside = At(a, loc) <= scalar(a, delta, loc);
  return mean(where(inside, quadratic, linear, loc), {}, false, loc);
}
Tensor hinge(Tensor scores, Tensor target, Loc loc) {
  Tensor margin = 1.0 - At(At(scores, loc) * target, loc);
  return mean(relu(margin, loc), {}, false, loc);
}

Tensor softmax_cross_entropy(Tensor logits, Tensor labels, Loc loc) {
  return binary<nn::SoftmaxCrossEntropyOp>(At(logits, loc), labels);
}

Tensor dense(Model &m, const std::string &name, Tensor x, int64_t units,
             Init weight, Init bias, Loc loc) {
  if (!x.valid())
    return Tensor();
  if (x.rank() != 2) {
    emitError(m.impl()->loc(loc))
        << "dense layer '" << name << "' needs a rank-2 input [batch, "
        << "features], got rank " << x.rank();
    return Tensor();
  }
  Tensor w = m.param(name + ".w", {x.dim(1), units}, weight, loc);
  Tensor b = m.param(name + ".b", {units}, bias, loc);
  return At(matmul(x, w, {}, loc), loc) + b;
}

/// The model's "step" hyperparameter (the runtime's 1-based step count,
/// which Adam's bias correction also reads), declared on first use: the
/// seed of dropout masks and noise draws, new every step.
static Value stepHyper(ModelImpl *impl, Location where) {
  for (auto h : impl->model.getBodyBlock().getOps<nn::HyperOp>())
    if (h.getName() == "step")
      return h.getResult();
  OpBuilder &b = impl->builder;
  return b.create<nn::HyperOp>(where, impl->tensorType({}),
                               b.getStringAttr("step"), b.getF64FloatAttr(1));
}

/// How many ops of this kind the model has: the next one's salt.
template <typename OpTy> static int64_t nextSalt(ModelImpl *impl) {
  auto ops = impl->model.getBodyBlock().getOps<OpTy>();
  return std::distance(ops.begin(), ops.end());
}

/// A training-only random op (dropout, noise): x, the step as its seed,
/// its float attribute and the next salt of its kind.
template <typename OpTy>
static Tensor randomOp(Tensor x, double value, const Loc &loc) {
  ModelImpl *impl = modelOf({x}, loc);
  if (!impl)
    return Tensor();
  Location where = impl->loc(loc);
  OpBuilder &b = impl->builder;
  Value step = stepHyper(impl, where);
  return impl->finish(
      b.create<OpTy>(where, valueOf(x), step, b.getF64FloatAttr(value),
                     b.getI64IntegerAttr(nextSalt<OpTy>(impl))));
}

Tensor dropout(Model &m, Tensor x, double rate, Loc loc) {
  if (rate == 0 && x.valid())
    return x;
  return randomOp<nn::DropoutOp>(x, rate, loc);
}

Tensor gaussian_noise(Model &m, Tensor x, double stddev, Loc loc) {
  return randomOp<nn::GaussianNoiseOp>(x, stddev, loc);
}

/// Σ f(w) over the parameters named *suffix, or an error at `loc`.
template <typename F>
static Tensor penalty(Model &m, const std::string &suffix, const Loc &loc,
                      const char *what, F f) {
  ModelImpl *impl = m.impl();
  Tensor total;
  for (Operation &op : impl->model.getBodyBlock()) {
    auto p = dyn_cast<nn::ParamOp>(op);
    if (!p || !StringRef(p.getName()).ends_with(suffix))
      continue;
    Tensor term = sum(f(impl->wrap(p.getResult())), {}, false, loc);
    total = total.valid() ? At(total, loc) + term : term;
  }
  if (!total.valid())
    emitError(impl->loc(loc)) << what << ": no parameter name ends in '"
                              << suffix << "' (declare the layers first)";
  return total;
}

Tensor l2_penalty(Model &m, double lambda, const std::string &suffix, Loc loc) {
  Tensor s = penalty(m, suffix, loc, "l2_penalty",
                     [&](Tensor w) { return At(w, loc) * w; });
  return s.valid() ? (lambda / 2) * At(s, loc) : s;
}

Tensor l1_penalty(Model &m, double lambda, const std::string &suffix, Loc loc) {
  Tensor s = penalty(m, suffix, loc, "l1_penalty",
                     [&](Tensor w) { return abs(w, loc); });
  return s.valid() ? lambda * At(s, loc) : s;
}

Tensor elastic_net(Model &m, double l1, double l2, const std::string &suffix,
                   Loc loc) {
  Tensor a = l1_penalty(m, l1, suffix, loc);
  Tensor b = l2_penalty(m, l2, suffix, loc);
  return a.valid() && b.valid() ? At(a, loc) + b : Tensor();
}

//===----------------------------------------------------------------------===//
// Convolutional layers
//===----------------------------------------------------------------------===//

/// [top, bottom, left, right] for `pad` of an input of `size` [H, W]
/// under `window` (dilated extent), or an error at `where`.
static std::optional<SmallVector<int64_t>>
resolvePadding(const Padding &pad, ArrayRef<int64_t> size,
               ArrayRef<int64_t> window, ArrayRef<int64_t> strides,
               ArrayRef<int64_t> dilation, const char *what, Location where) {
  switch (pad.kind) {
  case Padding::Kind::valid:
    return SmallVector<int64_t>{0, 0, 0, 0};
  case Padding::Kind::same: {
    // TensorFlow's rule: output ⌈S / s⌉, the odd row or column at the end.
    SmallVector<int64_t> out;
    for (int d = 0; d < 2; ++d) {
      int64_t s = std::max<int64_t>(strides[d], 1);
      int64_t o = (size[d] + s - 1) / s;
      int64_t extent = dilation[d] * (window[d] - 1) + 1;
      int64_t total = std::max<int64_t>((o - 1) * s + extent - size[d], 0);
      out.push_back(total / 2);
      out.push_back(total - total / 2);
    }
    return out;
  }
  case Padding::Kind::explicit_: {
    const Shape &v = pad.values;
    if (v.size() == 1)
      return SmallVector<int64_t>{v[0], v[0], v[0], v[0]};
    if (v.size() == 2)
      return SmallVector<int64_t>{v[0], v[0], v[1], v[1]};
    if (v.size() == 4)
      return SmallVector<int64_t>(v.begin(), v.end());
    emitError(where) << what
                     << " padding takes 1, 2 or 4 values ({p}, {ph, pw} or "
                        "{top, bottom, left, right}), got "
                     << v.size();
    return std::nullopt;
  }
  }
  return std::nullopt;
}

/// Two values (height, width) for a window, stride or dilation, or an
/// error at `where`.
static bool checkPair(const Shape &v, const char *what, const char *field,
                      Location where) {
  if (v.size() == 2)
    return true;
  emitError(where) << what << " " << field
                   << " takes 2 values (height, width), got " << v.size();
  return false;
}

/// Spatial [H, W] of an NHWC tensor, or an error naming the rank.
static bool checkNHWC(Tensor x, const char *what, Location where) {
  if (x.rank() == 4)
    return true;
  emitError(where) << what
                   << " needs a rank-4 input [batch, height, width, "
                      "channels], got rank "
                   << x.rank();
  return false;
}

Tensor conv2d(Tensor x, Tensor filter, ConvOptions opts, Loc loc) {
  ModelImpl *m = modelOf({x, filter}, loc);
  if (!m)
    return Tensor();
  Location where = m->loc(loc);
  if (!checkNHWC(x, "conv2d", where) ||
      !checkPair(opts.strides, "conv2d", "strides", where) ||
      !checkPair(opts.dilation, "conv2d", "dilation", where))
    return Tensor();
  if (filter.rank() != 4) {
    emitError(where) << "conv2d needs a rank-4 filter [height, width, "
                        "in_channels / groups, out_channels], got rank "
                     << filter.rank();
    return Tensor();
  }
  auto pad = resolvePadding(opts.padding, {x.dim(1), x.dim(2)},
                            {filter.dim(0), filter.dim(1)}, opts.strides,
                            opts.dilation, "conv2d", where);
  if (!pad)
    return Tensor();
  Builder &b = m->builder;
  return m->finish(m->builder.create<nn::Conv2dOp>(
      where, m->placeholder(), valueOf(x), valueOf(filter),
      b.getDenseI64ArrayAttr(opts.strides), b.getDenseI64ArrayAttr(*pad),
      b.getDenseI64ArrayAttr(opts.dilation), b.getI64IntegerAttr(opts.groups)));
}

Tensor conv2d(Model &m, const std::string &name, Tensor x, int64_t filters,
              Shape kernel, ConvLayer opts, Loc loc) {
  if (!x.valid())
    return Tensor();
  Location where = m.impl()->loc(loc);
  if (!checkNHWC(x, "conv2d layer", where) ||
      !checkPair(kernel, "conv2d layer", "kernel", where))
    return Tensor();
  int64_t groups = opts.conv.groups;
  if (groups < 1 || x.dim(3) % groups) {
    emitError(where) << "conv2d layer '" << name << "': " << groups
                     << " groups do not divide the input's " << x.dim(3)
                     << " channels";
    return Tensor();
  }
  Tensor w =
      m.param(name + ".w", {kernel[0], kernel[1], x.dim(3) / groups, filters},
              opts.weight, loc);
  Tensor y = conv2d(x, w, opts.conv, loc);
  if (!opts.bias)
    return y;
  Tensor b = m.param(name + ".b", {filters}, opts.biasInit, loc);
  return At(y, loc) + b;
}

template <typename OpTy>
static Tensor pool(Tensor x, const Shape &window, const PoolOptions &opts,
                   const char *what, const Loc &loc) {
  ModelImpl *m = modelOf({x}, loc);
  if (!m)
    return Tensor();
  Location where = m->loc(loc);
  Shape strides = opts.strides.empty() ? window : opts.strides;
  if (!checkNHWC(x, what, where) || !checkPair(window, what, "window", where) ||
      !checkPair(strides, what, "strides", where))
    return Tensor();
  auto pad = resolvePadding(opts.padding, {x.dim(1), x.dim(2)}, window, strides,
                            {1, 1}, what, where);
  if (!pad)
    return Tensor();
  Builder &b = m->builder;
  auto w = b.getDenseI64ArrayAttr(window), s = b.getDenseI64ArrayAttr(strides),
       p = b.getDenseI64ArrayAttr(*pad);
  if constexpr (std::is_same_v<OpTy, nn::MaxPool2dOp>)
    return m->finish(m->builder.create<OpTy>(where, m->placeholder(),
                                             valueOf(x), Value(), w, s, p));
  else
    return m->finish(
        m->builder.create<OpTy>(where, m->placeholder(), valueOf(x), w, s, p));
}

Tensor max_pool2d(Tensor x, Shape window, PoolOptions opts, Loc loc) {
  return pool<nn::MaxPool2dOp>(x, window, opts, "max_pool2d", loc);
}

Tensor avg_pool2d(Tensor x, Shape window, PoolOptions opts, Loc loc) {
  return pool<nn::AvgPool2dOp>(x, window, opts, "avg_pool2d", loc);
}

Tensor global_avg_pool2d(Tensor x, Loc loc) {
  ModelImpl *m = modelOf({x}, loc);
  if (!m || !checkNHWC(x, "global_avg_pool2d", m->loc(loc)))
    return Tensor();
  return mean(x, {1, 2}, false, loc);
}

/// A persistent state tensor of the model, declared where the layer is.
static Tensor declareState(ModelImpl *impl, const std::string &name,
                           const Shape &shape, Init init, const Loc &loc) {
  Location where = impl->loc(loc);
  if (!impl->claim(impl->valueNames, name, "input/parameter", where))
    return Tensor();
  OpBuilder &b = impl->builder;
  // Only constant initialisers (zeros, ones) make sense for state.
  auto attr =
      nn::InitAttr::get(&impl->ctx, static_cast<nn::InitKind>(init.kind),
                        b.getDenseF64ArrayAttr({}));
  return impl->wrap(b.create<nn::StateOp>(where, impl->tensorType(shape),
                                          b.getStringAttr(name), attr));
}

Tensor batch_norm(Model &m, const std::string &name, Tensor x,
                  BatchNormOptions opts, Loc loc) {
  if (!x.valid())
    return Tensor();
  ModelImpl *impl = m.impl();
  Location where = impl->loc(loc);
  if (x.rank() != 2 && x.rank() != 4) {
    emitError(where) << "batch_norm '" << name
                     << "' needs [batch, features] or [batch, height, width, "
                        "channels], got rank "
                     << x.rank();
    return Tensor();
  }
  if (!(opts.momentum >= 0 && opts.momentum <= 1) || !(opts.eps > 0)) {
    emitError(where) << "batch_norm '" << name
                     << "' needs a momentum in [0, 1] and eps > 0, got "
                     << opts.momentum << " and " << opts.eps;
    return Tensor();
  }
  int64_t c = x.dim(-1);
  Axes axes;
  for (int d = 0; d + 1 < x.rank(); ++d)
    axes.push_back(d);
  Tensor gamma = m.param(name + ".gamma", {c}, init::ones(), loc);
  Tensor beta = m.param(name + ".beta", {c}, init::zeros(), loc);
  Tensor runMean =
      declareState(impl, name + ".running_mean", {c}, init::zeros(), loc);
  Tensor runVar =
      declareState(impl, name + ".running_var", {c}, init::ones(), loc);
  if (!gamma.valid() || !beta.valid() || !runMean.valid() || !runVar.valid())
    return Tensor();
  auto normalised = [&](Tensor centre, Tensor variance) {
    return At(At(x, loc) - centre, loc) /
           sqrt(At(variance, loc) + opts.eps, loc);
  };
  // Training: the batch's statistics (the variance biased, as the
  // normalisation's definition); evaluation: the running ones.
  Tensor mu = mean(x, axes, false, loc);
  Tensor centred = At(x, loc) - mu;
  Tensor var = mean(At(centred, loc) * centred, axes, false, loc);
  Tensor trainHat = normalised(mu, var), evalHat = normalised(runMean, runVar);
  if (!trainHat.valid() || !evalHat.valid())
    return Tensor();
  OpBuilder &b = impl->builder;
  Tensor hat = impl->finish(
      b.create<nn::TrainEvalOp>(where, valueOf(trainHat), valueOf(evalHat)));
  // Running statistics r ← (1 − k)·r + k·s, updated in train_step only;
  // the variance unbiased: m / (m − 1), m the elements per channel of this
  // batch.
  Tensor m1 = impl->finish(b.create<nn::ElementCountOp>(
      where, valueOf(x), b.getDenseI64ArrayAttr(axes)));
  Tensor unbiased = At(var, loc) * (At(m1, loc) / (At(m1, loc) - 1.0));
  double k = opts.momentum;
  for (auto [running, batchValue] :
       {std::pair{runMean, mu}, std::pair{runVar, unbiased}}) {
    Tensor next =
        At((1 - k) * At(running, loc), loc) + (k * At(batchValue, loc));
    if (!next.valid())
      return Tensor();
    // Verified like every other op (an update has no result to return).
    impl->finish(
        b.create<nn::UpdateOp>(where, valueOf(running), valueOf(next)));
  }
  return At(At(gamma, loc) * hat, loc) + beta;
}

//===----------------------------------------------------------------------===//
// Loops and recurrent layers
//===----------------------------------------------------------------------===//

ScanResult scan(const std::vector<Tensor> &carries,
                const std::vector<Tensor> &sequences, const Step &step,
                ScanOptions opts, Loc loc) {
  ModelImpl *m = nullptr;
  for (const std::vector<Tensor> *list : {&carries, &sequences})
    for (const Tensor &t : *list) {
      ModelImpl *tm = Access::impl(t);
      if (!tm)
        return {};
      if (m && tm != m) {
        emitError(m->loc(loc)) << "scan operands belong to different models";
        return {};
      }
      m = tm;
    }
  if (!m) {
    std::fprintf(stderr,
                 "%s:%u: error: scan needs at least one carry or "
                 "sequence\n",
                 loc.file_name(), loc.line());
    std::exit(1);
  }
  Location where = m->loc(loc);
  int64_t axis = opts.axis, length = opts.length;
  for (auto [i, s] : llvm::enumerate(sequences)) {
    if (axis < 1 || axis >= s.rank()) {
      emitError(where) << "scan sequence #" << i << " of rank " << s.rank()
                       << " has no time axis " << axis
                       << " (dim 0 is the batch)";
      return {};
    }
    int64_t n = s.dim(axis);
    if (n == kiln::batch || (length && n != length)) {
      emitError(where) << "scan sequence #" << i << " has "
                       << (n == kiln::batch ? std::string("a dynamic size")
                                            : std::to_string(n))
                       << " along axis " << axis << ", expected " << length;
      return {};
    }
    length = n;
  }
  if (length < 1) {
    emitError(where) << "scan needs a sequence or a positive "
                        "ScanOptions::length";
    return {};
  }

  // The step's body, built in a block of its own; what it reads from
  // outside becomes a closure below.
  auto *block = new Block();
  std::vector<Tensor> carryArgs, sliceArgs;
  for (const Tensor &c : carries)
    carryArgs.push_back(
        m->wrap(block->addArgument(valueOf(c).getType(), where)));
  for (const Tensor &s : sequences)
    sliceArgs.push_back(m->wrap(block->addArgument(
        nn::ScanOp::sliceType(valueOf(s).getType(), axis), where)));
  std::vector<Tensor> yielded;
  {
    OpBuilder::InsertionGuard guard(m->builder);
    m->builder.setInsertionPointToStart(block);
    yielded = step(carryArgs, sliceArgs);
    bool ok = yielded.size() >= carries.size();
    if (!ok)
      emitError(where) << "scan step returned " << yielded.size()
                       << " tensors, fewer than its " << carries.size()
                       << " carries";
    for (const Tensor &y : yielded)
      ok &= y.valid() && Access::impl(y) == m;
    if (!ok) {
      block->dropAllDefinedValueUses();
      block->dropAllReferences();
      delete block;
      return {};
    }
    SmallVector<Value> values;
    for (const Tensor &y : yielded)
      values.push_back(valueOf(y));
    m->builder.create<nn::YieldOp>(where, values);
  }
  auto inside = [&](Block *b) {
    for (; b; b = b->getParentOp() ? b->getParentOp()->getBlock() : nullptr)
      if (b == block)
        return true;
    return false;
  };
  llvm::SetVector<Value> closures;
  block->walk([&](Operation *op) {
    for (Value v : op->getOperands()) {
      Block *owner = isa<BlockArgument>(v) ? cast<BlockArgument>(v).getOwner()
                                           : v.getDefiningOp()->getBlock();
      if (!inside(owner))
        closures.insert(v);
    }
  });
  for (Value v : closures) {
    Value arg = block->addArgument(v.getType(), v.getLoc());
    v.replaceUsesWithIf(arg, [&](OpOperand &use) {
      return inside(use.getOwner()->getBlock());
    });
  }

  SmallVector<Type> types;
  SmallVector<Value> inits, seqs;
  for (const Tensor &c : carries) {
    inits.push_back(valueOf(c));
    types.push_back(inits.back().getType());
  }
  for (const Tensor &sq : sequences)
    seqs.push_back(valueOf(sq));
  for (size_t j = carries.size(); j < yielded.size(); ++j) {
    Type t =
        nn::ScanOp::stackedType(valueOf(yielded[j]).getType(), length, axis);
    if (!t) {
      emitError(where) << "scan step output #" << j - carries.size()
                       << " has fewer than " << axis
                       << " dims: it cannot be stacked along axis " << axis;
      block->dropAllDefinedValueUses();
      block->dropAllReferences();
      delete block;
      return {};
    }
    types.push_back(t);
  }
  OpBuilder &b = m->builder;
  auto op = b.create<nn::ScanOp>(
      where, types, inits, seqs, closures.getArrayRef(),
      b.getI64IntegerAttr(length), b.getI64IntegerAttr(axis),
      opts.reverse ? b.getUnitAttr() : UnitAttr());
  op.getBody().push_back(block);
  if (failed(verify(op))) {
    op->erase();
    return {};
  }
  ScanResult r;
  for (Value v : op.getFinals())
    r.carries.push_back(m->wrap(v));
  for (Value v : op.getStacked())
    r.outputs.push_back(m->wrap(v));
  return r;
}

namespace {

/// The zero state [batch, n] of a recurrent layer reading x.
Tensor zeroState(Tensor x, int64_t n, const Loc &loc) {
  return broadcast_to(scalar(x, 0, loc), {kiln::batch, n}, loc);
}

/// PyTorch's recurrent parameters: weight_ih [gates·hidden, features],
/// weight_hh [gates·hidden, hidden], bias_ih, bias_hh [gates·hidden], all
/// U(±1/√hidden). Null tensors after an error.
struct RecurrentParams {
  Tensor wih, whh, bih, bhh;
};
std::optional<RecurrentParams>
recurrentParams(Model &m, const std::string &layer, const std::string &name,
                Tensor x, int64_t hidden, int64_t gates, const Loc &loc) {
  if (!x.valid())
    return std::nullopt;
  if (x.rank() != 3 || x.dim(1) == kiln::batch) {
    emitError(m.impl()->loc(loc))
        << layer << " layer '" << name
        << "' needs an input [batch, time, features] with a static time "
           "dim, got rank "
        << x.rank();
    return std::nullopt;
  }
  if (hidden < 1) {
    emitError(m.impl()->loc(loc))
        << layer << " layer '" << name << "' needs a positive hidden size";
    return std::nullopt;
  }
  double k = 1.0 / std::sqrt(static_cast<double>(hidden));
  Init u = init::uniform(-k, k);
  RecurrentParams p{
      m.param(name + ".weight_ih", {gates * hidden, x.dim(2)}, u, loc),
      m.param(name + ".weight_hh", {gates * hidden, hidden}, u, loc),
      m.param(name + ".bias_ih", {gates * hidden}, u, loc),
      m.param(name + ".bias_hh", {gates * hidden}, u, loc)};
  if (!p.wih.valid() || !p.whh.valid() || !p.bih.valid() || !p.bhh.valid())
    return std::nullopt;
  return p;
}

/// Columns [k·n, (k+1)·n) of z [batch, gates·n].
Tensor gate(Tensor z, int64_t k, int64_t n, const Loc &loc) {
  return slice(z, {0, k * n}, {-1, (k + 1) * n}, {}, loc);
}

} // namespace

namespace {

/// One step of a recurrent cell: the states and x_t in, the new states out
/// (the first is the hidden state the layer returns).
using Cell = std::function<std::vector<Tensor>(
    const RecurrentParams &, const std::vector<Tensor> &states, Tensor xt)>;

/// A recurrent layer: its parameters, a zero initial state per entry of
/// `states`, and one scan of `cell` over x's time axis.
Tensor recurrent(Model &m, const char *layer, const std::string &name, Tensor x,
                 int64_t hidden, int64_t gates, unsigned states,
                 RnnOptions opts, const Loc &loc, const Cell &cell) {
  auto p = recurrentParams(m, layer, name, x, hidden, gates, loc);
  if (!p)
    return Tensor();
  std::vector<Tensor> init;
  for (unsigned i = 0; i < states; ++i)
    init.push_back(zeroState(x, hidden, loc));
  ScanResult r = scan(
      init, {x},
      [&](const std::vector<Tensor> &carry, const std::vector<Tensor> &xs) {
        std::vector<Tensor> out = cell(*p, carry, xs[0]);
        if (opts.return_sequences)
          out.push_back(out[0]);
        return out;
      },
      {1, opts.reverse, 0}, loc);
  if (r.carries.empty())
    return Tensor();
  return opts.return_sequences ? r.outputs[0] : r.carries[0];
}

/// x·Wᵀ + b, the input or hidden part of every gate at once.
Tensor affine(Tensor v, Tensor w, Tensor b, const Loc &loc) {
  return At(matmul(v, w, {false, true}, loc), loc) + b;
}

} // namespace

Tensor lstm(Model &m, const std::string &name, Tensor x, int64_t hidden,
            RnnOptions opts, Loc loc) {
  return recurrent(
      m, "lstm", name, x, hidden, 4, 2, opts, loc,
      [&](const RecurrentParams &p, const std::vector<Tensor> &s, Tensor xt) {
        Tensor z = At(affine(xt, p.wih, p.bih, loc), loc) +
                   affine(s[0], p.whh, p.bhh, loc);
        Tensor i = sigmoid(gate(z, 0, hidden, loc), loc);
        Tensor f = sigmoid(gate(z, 1, hidden, loc), loc);
        Tensor g = tanh(gate(z, 2, hidden, loc), loc);
        Tensor o = sigmoid(gate(z, 3, hidden, loc), loc);
        Tensor c = At(At(f, loc) * s[1], loc) + (At(i, loc) * g);
        return std::vector<Tensor>{At(o, loc) * tanh(c, loc), c};
      });
}

Tensor rnn(Model &m, const std::string &name, Tensor x, int64_t hidden,
           RnnOptions opts, Loc loc) {
  return recurrent(
      m, "rnn", name, x, hidden, 1, 1, opts, loc,
      [&](const RecurrentParams &p, const std::vector<Tensor> &s, Tensor xt) {
        return std::vector<Tensor>{tanh(At(affine(xt, p.wih, p.bih, loc), loc) +
                                            affine(s[0], p.whh, p.bhh, loc),
                                        loc)};
      });
}

Tensor gru(Model &m, const std::string &name, Tensor x, int64_t hidden,
           RnnOptions opts, Loc loc) {
  // PyTorch's GRU: r and z from both sums, n with r gating the hidden part
  // (its bias included), h' = (1 − z)·n + z·h.
  return recurrent(
      m, "gru", name, x, hidden, 3, 1, opts, loc,
      [&](const RecurrentParams &p, const std::vector<Tensor> &s, Tensor xt) {
        Tensor gi = affine(xt, p.wih, p.bih, loc);
        Tensor gh = affine(s[0], p.whh, p.bhh, loc);
        auto sum = [&](int64_t k) {
          return At(gate(gi, k, hidden, loc), loc) + gate(gh, k, hidden, loc);
        };
        Tensor r = sigmoid(sum(0), loc), z = sigmoid(sum(1), loc);
        Tensor n = tanh(At(gate(gi, 2, hidden, loc), loc) +
                            (At(r, loc) * gate(gh, 2, hidden, loc)),
                        loc);
        return std::vector<Tensor>{At(n, loc) +
                                   (At(z, loc) * (At(s[0], loc) - n))};
      });
}

//===----------------------------------------------------------------------===//
// The generator
//===----------------------------------------------------------------------===//

namespace detail {

int generator_main(int argc, char **argv, const char *name,
                   void (*build)(Model &), Loc loc) {
  std::string output = "-";
  for (int i = 1; i < argc; ++i) {
    if ((!std::strcmp(argv[i], "--output") || !std::strcmp(argv[i], "-o")) &&
        i + 1 < argc) {
      output = argv[++i];
    } else if (!std::strcmp(argv[i], "--help")) {
      llvm::outs() << "usage: " << argv[0]
                   << " [--output FILE]\n"
                      "Builds model '"
                   << name
                   << "' and writes its nn IR (with DSL locations); "
                      "normally run by `kiln build`.\n";
      return 0;
    } else {
      llvm::errs() << "error: unknown argument '" << argv[i] << "'\n";
      return 1;
    }
  }
  Model model(name, loc);
  build(model);
  ModelImpl *m = model.impl();
  if (m->errors)
    return 1;
  if (failed(verify(*m->module)))
    return 1;
  std::string error;
  auto file = openOutputFile(output, &error);
  if (!file) {
    llvm::errs() << "error: " << error << "\n";
    return 1;
  }
  m->module->print(file->os(), OpPrintingFlags().enableDebugInfo(true, false));
  file->keep();
  return 0;
}

} // namespace detail
} // namespace kiln
