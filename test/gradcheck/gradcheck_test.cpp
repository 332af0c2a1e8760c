//===- gradcheck_test.cpp - every op's derivatives vs finite differences --===//
//
// For each differentiable op of the nn dialect, on fixed and random shapes
// (broadcasting, size-1 dims, the batch dim): a model with loss
// L = Σ op(inputs) ⊙ w (w random, so every output element matters) goes
// through the real passes (--kiln-autodiff and --kiln-jvp with wrt = the
// op's operands, --kiln-outline-steps). Its reverse gradients and forward
// tangents are compared with central finite differences of L in double
// precision, computed by the reference evaluator:
//   - through the reference evaluator (double): tolerance 1e-6;
//   - through the compiled Halide kernels, JIT-run (float32): 2e-3, one
//     kernel per op and fused by --kiln-fuse (the two within 2e-5).
// The coverage test fails when a registered nn op is neither checked here
// nor listed as non-differentiable with a reason.
//
//===----------------------------------------------------------------------===//
#include "compiler/passes/passes.h"
#include "dialects/nn/dropout_mask.h"
#include "dialects/nn/nn_dialect.h"
#include "test/lib/evaluator.h"
#include "test/lib/jit.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <random>
#include <set>

using namespace mlir;
using namespace kiln::nn;
using kiln::ref::DType;
using kiln::ref::Tensor;

namespace {

constexpr double kRefTolerance = 1e-6;
constexpr double kCompiledTolerance = 2e-3;
constexpr int64_t kBatch = 3;
// Fused vs unfused compiled derivatives: the same float32 operations, but
// inside one pipeline LLVM contracts a*b+c into an FMA and a split
// reduction sums in another order, so they agree to a few float32 ulps
// (measured worst: 8.6e-6 under relError's 1e-2 floor; a wrong epilogue
// gives ~1e-1).
constexpr double kFusedTolerance = 2e-5;

/// |a − b| relative to the larger magnitude, with a floor so that values
/// near zero are compared absolutely (double central differences carry
/// ~1e-9 of round-off: a true zero must not fail at 1e-6).
double relError(double a, double b) {
  return std::fabs(a - b) / std::max({std::fabs(a), std::fabs(b), 1e-2});
}

struct Operand {
  std::vector<int64_t> shape; // -1: the batch dim
  DType dtype = DType::F32;
  double lo = -1, hi = 1;     // values drawn from U(lo, hi)
  bool differentiable = true; // f32 operands only
};

using Builder = std::function<Value(OpBuilder &, Location, ValueRange)>;

struct Case {
  std::string op;      // the op under test, e.g. "nn.add"
  std::string variant; // what this case exercises
  std::vector<Operand> operands;
  Builder build;
  /// Rejects draws too close to a kink (ties of max, |x| near 0); the
  /// harness draws again.
  std::function<bool(const std::vector<Tensor> &)> acceptable;
};

std::string shapeText(const std::vector<int64_t> &s) {
  if (s.empty())
    return "scalar";
  std::string t;
  for (size_t i = 0; i < s.size(); ++i)
    t += (i ? "x" : "") + (s[i] < 0 ? std::string("?") : std::to_string(s[i]));
  return t;
}

RankedTensorType tensorType(MLIRContext *ctx, const std::vector<int64_t> &s,
                            DType d) {
  SmallVector<int64_t> dims;
  for (int64_t x : s)
    dims.push_back(x < 0 ? ShapedType::kDynamic : x);
  Type e = d == DType::F32   ? Type(Float32Type::get(ctx))
           : d == DType::I32 ? Type(IntegerType::get(ctx, 32))
                             : Type(IntegerType::get(ctx, 1));
  return RankedTensorType::get(dims, e);
}

/// Results of one run of the three functions, by binding name.
struct Derivatives {
  double loss = 0;
  std::map<std::string, Tensor> gradient;
  std::map<std::string, double> tangent;
};

class GradCheck : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    registry_ = new DialectRegistry();
    registry_->insert<NNDialect, func::FuncDialect>();
  }

  GradCheck() : context_(*registry_) {
    context_.loadAllAvailableDialects();
    context_.printOpOnDiagnostic(false);
  }

  /// Builds the model of `c`: one input per operand (i1 operands come from a
  /// comparison of an f32 input with 0), the op, weights, the loss.
  OwningOpRef<ModuleOp> buildModel(const Case &c) {
    Location loc = UnknownLoc::get(&context_);
    OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
    OpBuilder b(&context_);
    b.setInsertionPointToEnd(module->getBody());
    auto model = b.create<ModelOp>(loc, "check");
    b.setInsertionPointToEnd(&model.getBodyBlock());
    SmallVector<Value> values;
    for (auto [i, o] : llvm::enumerate(c.operands)) {
      std::string name = "a" + std::to_string(i);
      DType fed = o.dtype == DType::Bool ? DType::F32 : o.dtype;
      Value v = b.create<InputOp>(loc, tensorType(&context_, o.shape, fed),
                                  name, false);
      if (o.dtype == DType::Bool) {
        Value zero = b.create<ConstantOp>(
            loc, RankedTensorType::get({}, b.getF32Type()), 0.0f);
        v = b.create<CompareOp>(loc, ComparePredicate::gt, v, zero);
      }
      values.push_back(v);
    }
    Value result = c.build(b, loc, values);
    auto rt = cast<RankedTensorType>(result.getType());
    Value w = b.create<InputOp>(loc, rt, "w", false);
    Value prod = b.create<MulOp>(loc, result, w);
    SmallVector<int64_t> axes(rt.getRank());
    std::iota(axes.begin(), axes.end(), 0);
    Value loss =
        b.create<ReduceSumOp>(loc, prod, b.getDenseI64ArrayAttr(axes), false);
    b.create<LossOp>(loc, loss);
    return module;
  }

  /// Runs the passes kiln build runs, with wrt = the differentiable operands.
  bool derive(ModuleOp module, const Case &c) {
    std::vector<std::string> wrt;
    for (auto [i, o] : llvm::enumerate(c.operands))
      if (o.differentiable)
        wrt.push_back("a" + std::to_string(i));
    PassManager pm(&context_);
    kiln::AutodiffOptions ad;
    ad.wrt = wrt;
    pm.addPass(kiln::createAutodiff(ad));
    kiln::JvpOptions jvp;
    jvp.wrt = wrt;
    pm.addPass(kiln::createJvp(jvp));
    pm.addPass(kiln::createOutlineSteps());
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    return succeeded(pm.run(module)) && succeeded(verify(module));
  }

  /// Arguments of `fn` bound by their nn.input names.
  static std::vector<Tensor> argsFor(func::FuncOp fn,
                                     const std::map<std::string, Tensor> &in) {
    std::vector<Tensor> args;
    for (unsigned i = 0; i < fn.getNumArguments(); ++i)
      args.push_back(
          in.at(fn.getArgAttrOfType<StringAttr>(i, "nn.input").str()));
    return args;
  }

  using Runner = std::function<FailureOr<std::vector<Tensor>>(
      func::FuncOp, const std::vector<Tensor> &)>;

  /// The training loss (the gradient function's: eval_step would turn
  /// dropout off), by the reference evaluator.
  static double loss(ModuleOp m, const std::map<std::string, Tensor> &in) {
    auto fn = m.lookupSymbol<func::FuncOp>("gradient");
    auto r = kiln::ref::evaluate(fn, argsFor(fn, in));
    if (failed(r))
      return NAN;
    for (unsigned i = 0; i < fn.getNumResults(); ++i)
      if (fn.getResultAttr(i, "nn.loss"))
        return (*r)[i].data[0];
    return NAN;
  }

  static std::optional<Derivatives>
  derivatives(ModuleOp m, const std::map<std::string, Tensor> &in,
              const Runner &run) {
    Derivatives d;
    for (const char *name : {"gradient", "jvp"}) {
      auto fn = m.lookupSymbol<func::FuncOp>(name);
      if (!fn)
        return std::nullopt;
      auto r = run(fn, argsFor(fn, in));
      if (failed(r))
        return std::nullopt;
      for (unsigned i = 0; i < fn.getNumResults(); ++i) {
        if (fn.getResultAttr(i, "nn.loss"))
          d.loss = (*r)[i].data[0];
        else if (auto g = fn.getResultAttrOfType<StringAttr>(i, "nn.gradient"))
          d.gradient[g.str()] = (*r)[i];
        else if (auto t =
                     fn.getResultAttrOfType<StringAttr>(i, "nn.loss_tangent"))
          d.tangent[t.str()] = (*r)[i].data[0];
      }
    }
    return d;
  }

  /// ∂loss/∂x[k] by central differences of the double-precision loss.
  double centralDifference(ModuleOp module, std::map<std::string, Tensor> &in,
                           Tensor &x, int64_t k) {
    double saved = x.data[k];
    double h = 1e-6 * std::max(1.0, std::fabs(saved));
    x.data[k] = saved + h;
    double up = loss(module, in);
    x.data[k] = saved - h;
    double down = loss(module, in);
    x.data[k] = saved;
    return (up - down) / (2 * h);
  }

  /// Checks one case; returns {worst reference error, worst compiled error}.
  std::pair<double, double> check(const Case &c, std::mt19937_64 &rng) {
    SCOPED_TRACE(c.op + " [" + c.variant + "]");
    OwningOpRef<ModuleOp> module = buildModel(c);
    if (failed(verify(*module))) {
      ADD_FAILURE() << "the case's model does not verify";
      return {INFINITY, INFINITY};
    }
    if (!derive(*module, c)) {
      ADD_FAILURE() << "the passes failed";
      return {INFINITY, INFINITY};
    }

    // Draw inputs (again, while the draw sits on a kink).
    std::map<std::string, Tensor> in;
    std::vector<Tensor> operands;
    for (int attempt = 0;; ++attempt) {
      in.clear();
      operands.clear();
      for (auto [i, o] : llvm::enumerate(c.operands)) {
        std::vector<int64_t> shape = o.shape;
        for (int64_t &d : shape)
          d = d < 0 ? kBatch : d;
        DType fed = o.dtype == DType::Bool ? DType::F32 : o.dtype;
        Tensor t(shape, fed);
        std::uniform_real_distribution<double> u(o.lo, o.hi);
        for (double &v : t.data)
          v = o.dtype == DType::I32 ? std::floor(u(rng)) : u(rng);
        operands.push_back(t);
        in["a" + std::to_string(i)] = t;
      }
      if (!c.acceptable || c.acceptable(operands))
        break;
      if (attempt > 1000) {
        ADD_FAILURE() << "no acceptable draw";
        return {INFINITY, INFINITY};
      }
    }
    {
      auto fn = module->lookupSymbol<func::FuncOp>("eval_step");
      auto wType = cast<RankedTensorType>(
          fn.getArgument(fn.getNumArguments() - 1).getType());
      std::vector<int64_t> shape;
      for (int64_t d : wType.getShape())
        shape.push_back(ShapedType::isDynamic(d) ? kBatch : d);
      Tensor w(shape);
      std::uniform_real_distribution<double> u(-1, 1);
      for (double &v : w.data)
        v = u(rng);
      in["w"] = w;
    }

    auto ref = derivatives(*module, in, kiln::ref::evaluate);
    auto jit = derivatives(*module, in, kiln::hl::runJit);
    // The same functions after --kiln-fuse: fused kernels must compute the
    // same derivatives as one kernel per op.
    OwningOpRef<ModuleOp> fusedModule = module->clone();
    PassManager fuse(&context_);
    fuse.addPass(kiln::createFuse());
    std::optional<Derivatives> fused;
    if (succeeded(fuse.run(*fusedModule)))
      fused = derivatives(*fusedModule, in, kiln::hl::runJit);
    if (!ref || !jit || !fused) {
      ADD_FAILURE() << "running the derived functions failed";
      return {INFINITY, INFINITY};
    }
    double worstRef = relError(ref->loss, loss(*module, in));
    double worstJit = relError(jit->loss, ref->loss);
    auto compareFused = [&](double f, double unfused, const std::string &what) {
      double d = relError(f, unfused);
      worstFusedDiff_ = std::max(worstFusedDiff_, d);
      EXPECT_LE(d, kFusedTolerance)
          << what << ": fused " << f << " vs one kernel per op " << unfused;
    };
    compareFused(fused->loss, jit->loss, "loss");

    for (auto [i, o] : llvm::enumerate(c.operands)) {
      if (!o.differentiable)
        continue;
      std::string name = "a" + std::to_string(i);
      Tensor &x = in[name];
      const Tensor &gRef = ref->gradient.at(name);
      const Tensor &gJit = jit->gradient.at(name);
      const Tensor &gFused = fused->gradient.at(name);
      // Central differences of the double-precision loss, per element and
      // along all-ones (the forward-mode direction).
      double fdOnes = 0;
      for (int64_t k = 0; k < x.size(); ++k) {
        double fd = centralDifference(*module, in, x, k);
        fdOnes += fd;
        double er = relError(gRef.data[k], fd), ej = relError(gJit.data[k], fd);
        worstRef = std::max(worstRef, er);
        worstJit = std::max(worstJit, ej);
        EXPECT_LE(er, kRefTolerance) << name << "[" << k << "]: reverse "
                                     << gRef.data[k] << " vs fd " << fd;
        EXPECT_LE(ej, kCompiledTolerance)
            << name << "[" << k << "]: compiled reverse " << gJit.data[k]
            << " vs fd " << fd;
        compareFused(gFused.data[k], gJit.data[k],
                     name + "[" + std::to_string(k) + "] reverse");
      }
      compareFused(fused->tangent.at(name), jit->tangent.at(name),
                   name + " forward");
      double tr = relError(ref->tangent.at(name), fdOnes);
      double tj = relError(jit->tangent.at(name), fdOnes);
      worstRef = std::max(worstRef, tr);
      worstJit = std::max(worstJit, tj);
      EXPECT_LE(tr, kRefTolerance)
          << name << ": forward " << ref->tangent.at(name) << " vs fd "
          << fdOnes;
      EXPECT_LE(tj, kCompiledTolerance)
          << name << ": compiled forward " << jit->tangent.at(name) << " vs fd "
          << fdOnes;
    }
    std::printf("  %-26s %-34s reference %.2e  compiled %.2e\n", c.op.c_str(),
                c.variant.c_str(), worstRef, worstJit);
    return {worstRef, worstJit};
  }

  static DialectRegistry *registry_;
  static double worstFusedDiff_;
  MLIRContext context_;
};

DialectRegistry *GradCheck::registry_ = nullptr;
double GradCheck::worstFusedDiff_ = 0;

//===----------------------------------------------------------------------===//
// The cases
//===----------------------------------------------------------------------===//

template <typename OpTy> Builder binary() {
  return [](OpBuilder &b, Location loc, ValueRange v) -> Value {
    return b.create<OpTy>(loc, v[0], v[1]);
  };
}
template <typename OpTy> Builder unary() {
  return [](OpBuilder &b, Location loc, ValueRange v) -> Value {
    return b.create<OpTy>(loc, v[0].getType(), v[0]);
  };
}

/// A random pair of broadcast-compatible shapes: rank 0 to 3, dims 1 to 4,
/// the second with leading dims dropped and some dims set to 1 (or swapped).
std::pair<std::vector<int64_t>, std::vector<int64_t>>
randomBroadcast(std::mt19937_64 &rng) {
  std::uniform_int_distribution<int> rank(0, 3), dim(1, 4), coin(0, 1);
  std::vector<int64_t> a(rank(rng));
  for (int64_t &d : a)
    d = dim(rng);
  std::vector<int64_t> b(
      a.begin() + std::uniform_int_distribution<size_t>(0, a.size())(rng),
      a.end());
  for (int64_t &d : b)
    if (coin(rng))
      d = 1;
  if (coin(rng))
    std::swap(a, b);
  return {a, b};
}

std::vector<int64_t> randomShape(std::mt19937_64 &rng, int minRank,
                                 int maxRank) {
  std::uniform_int_distribution<int> rank(minRank, maxRank), dim(1, 4);
  std::vector<int64_t> s(rank(rng));
  for (int64_t &d : s)
    d = dim(rng);
  return s;
}

/// Every element pair that the op compares (after broadcasting) differs by
/// at least `gap`: max/min stay off their kink.
bool separated(const Tensor &a, const Tensor &b, double gap) {
  for (double x : a.data)
    for (double y : b.data)
      if (std::fabs(x - y) < gap)
        return false;
  return true;
}

bool awayFromZero(const Tensor &t, double gap) {
  for (double x : t.data)
    if (std::fabs(x) < gap)
      return false;
  return true;
}

bool distinct(const Tensor &t, double gap) {
  std::vector<double> v = t.data;
  std::sort(v.begin(), v.end());
  for (size_t i = 1; i < v.size(); ++i)
    if (v[i] - v[i - 1] < gap)
      return false;
  return true;
}

std::vector<Case> cases() {
  std::vector<Case> cs;
  std::mt19937_64 rng(20261123);
  auto F = [](std::vector<int64_t> s, double lo = -1, double hi = 1) {
    return Operand{std::move(s), DType::F32, lo, hi, true};
  };

  // Matmul: every transposition variant, with and without the batch dim.
  for (int t = 0; t < 4; ++t) {
    bool ta = t & 1, tb = t & 2;
    std::vector<int64_t> a =
        ta ? std::vector<int64_t>{3, 2} : std::vector<int64_t>{2, 3};
    std::vector<int64_t> b =
        tb ? std::vector<int64_t>{4, 3} : std::vector<int64_t>{3, 4};
    cs.push_back({"nn.matmul",
                  std::string(ta ? "Aᵀ" : "A") + "·" + (tb ? "Bᵀ" : "B"),
                  {F(a), F(b)},
                  [ta, tb](OpBuilder &bd, Location loc, ValueRange v) -> Value {
                    return bd.create<MatmulOp>(
                        loc, tensorType(bd.getContext(), {2, 4}, DType::F32),
                        v[0], v[1], ta, tb);
                  }});
  }
  cs.push_back({"nn.matmul",
                "batch ?x3 · 3x2",
                {F({-1, 3}), F({3, 2})},
                binary<MatmulOp>()});
  // The weight gradient xᵀ·dZ is a narrow Aᵀ·B (40x3): the schedule that
  // vectorizes along A's rows, with a partial row tile.
  cs.push_back({"nn.matmul",
                "batch ?x40 · 40x3",
                {F({-1, 40}), F({40, 3})},
                binary<MatmulOp>()});

  // Broadcasting binary ops: fixed batch cases plus random shapes.
  struct Bin {
    std::string name;
    Builder build;
    double lo, hi;
    std::function<bool(const std::vector<Tensor> &)> ok;
  };
  std::vector<Bin> bins = {
      {"nn.add", binary<AddOp>(), -1, 1, nullptr},
      {"nn.sub", binary<SubOp>(), -1, 1, nullptr},
      {"nn.mul", binary<MulOp>(), -1, 1, nullptr},
      {"nn.div", binary<DivOp>(), 0.5, 2, nullptr},
      {"nn.pow", binary<PowOp>(), 0.5, 2, nullptr},
      {"nn.maximum", binary<MaximumOp>(), -1, 1,
       [](const std::vector<Tensor> &t) {
         return separated(t[0], t[1], 0.02);
       }},
      {"nn.minimum", binary<MinimumOp>(), -1, 1,
       [](const std::vector<Tensor> &t) {
         return separated(t[0], t[1], 0.02);
       }},
  };
  for (const Bin &op : bins) {
    cs.push_back({op.name,
                  "batch ?x3 with 3",
                  {F({-1, 3}, op.lo, op.hi), F({3}, op.lo, op.hi)},
                  op.build,
                  op.ok});
    cs.push_back({op.name,
                  "scalar with 2x3",
                  {F({}, op.lo, op.hi), F({2, 3}, op.lo, op.hi)},
                  op.build,
                  op.ok});
    for (int r = 0; r < 2; ++r) {
      auto [a, b] = randomBroadcast(rng);
      cs.push_back({op.name,
                    "random " + shapeText(a) + " with " + shapeText(b),
                    {F(a, op.lo, op.hi), F(b, op.lo, op.hi)},
                    op.build,
                    op.ok});
    }
  }

  // select: the mask (from a comparison) is not differentiated.
  cs.push_back(
      {"nn.select",
       "mask ?x3, ?x3 and 3",
       {Operand{{-1, 3}, DType::Bool, -1, 1, false}, F({-1, 3}), F({3})},
       [](OpBuilder &b, Location loc, ValueRange v) -> Value {
         return b.create<SelectOp>(loc, v[0], v[1], v[2]);
       }});
  cs.push_back({"nn.select",
                "mask 2x1, scalar and 2x3",
                {Operand{{2, 1}, DType::Bool, -1, 1, false}, F({}), F({2, 3})},
                [](OpBuilder &b, Location loc, ValueRange v) -> Value {
                  return b.create<SelectOp>(loc, v[0], v[1], v[2]);
                }});

  // dropout: linear in x for a fixed seed (the mask is a hash of the seed,
  // salt and coordinates); the seed is not differentiated. Rate 0.5 on 24
  // elements drops some and keeps some (checked in DropoutMask below).
  for (auto [rate, shape] : {std::pair{0.5, std::vector<int64_t>{-1, 8}},
                             std::pair{0.25, std::vector<int64_t>{2, 3, 4}}})
    cs.push_back({"nn.dropout",
                  "rate " + std::to_string(rate) + " on " + shapeText(shape),
                  {F(shape), Operand{{}, DType::F32, 1, 50, false}},
                  [rate](OpBuilder &b, Location loc, ValueRange v) -> Value {
                    return b.create<DropoutOp>(loc, v[0], v[1],
                                               b.getF64FloatAttr(rate),
                                               b.getI64IntegerAttr(3));
                  }});

  // gaussian_noise: x + σ·z with z fixed by the seed; the identity in x.
  cs.push_back({"nn.gaussian_noise",
                "stddev 0.5 on ?x4",
                {F({-1, 4}), Operand{{}, DType::F32, 1, 50, false}},
                [](OpBuilder &b, Location loc, ValueRange v) -> Value {
                  return b.create<GaussianNoiseOp>(loc, v[0], v[1],
                                                   b.getF64FloatAttr(0.5),
                                                   b.getI64IntegerAttr(1));
                }});

  // Unary ops, each on a batch shape and a random one.
  struct Un {
    std::string name;
    Builder build;
    double lo, hi;
    std::function<bool(const std::vector<Tensor> &)> ok;
  };
  auto nonzero = [](const std::vector<Tensor> &t) {
    return awayFromZero(t[0], 0.05);
  };
  std::vector<Un> uns = {
      {"nn.neg", unary<NegOp>(), -2, 2, nullptr},
      {"nn.exp", unary<ExpOp>(), -2, 2, nullptr},
      {"nn.log", unary<LogOp>(), 0.2, 3, nullptr},
      {"nn.sigmoid", unary<SigmoidOp>(), -4, 4, nullptr},
      {"nn.sqrt", unary<SqrtOp>(), 0.2, 3, nullptr},
      {"nn.abs", unary<AbsOp>(), -2, 2, nonzero},
      {"nn.sign", unary<SignOp>(), -2, 2, nonzero},
      {"nn.sin", unary<SinOp>(), -3, 3, nullptr},
      {"nn.cos", unary<CosOp>(), -3, 3, nullptr},
      {"nn.relu", unary<ReluOp>(), -2, 2, nonzero},
  };
  for (const Un &op : uns) {
    cs.push_back(
        {op.name, "batch ?x4", {F({-1, 4}, op.lo, op.hi)}, op.build, op.ok});
    auto s = randomShape(rng, 0, 3);
    cs.push_back({op.name,
                  "random " + shapeText(s),
                  {F(s, op.lo, op.hi)},
                  op.build,
                  op.ok});
  }

  // Reductions over several axis sets, with and without keepdims.
  auto reduceCase = [&](const std::string &name, std::vector<int64_t> shape,
                        std::vector<int64_t> axes, bool keep) {
    std::string text = shapeText(shape) + " axes [";
    for (size_t i = 0; i < axes.size(); ++i)
      text += (i ? "," : "") + std::to_string(axes[i]);
    text += std::string("]") + (keep ? " keepdims" : "");
    Builder build = [name, axes, keep](OpBuilder &b, Location loc,
                                       ValueRange v) -> Value {
      auto attr = b.getDenseI64ArrayAttr(axes);
      if (name == "nn.reduce_sum")
        return b.create<ReduceSumOp>(loc, v[0], attr, keep);
      if (name == "nn.reduce_mean")
        return b.create<ReduceMeanOp>(loc, v[0], attr, keep);
      return b.create<ReduceMaxOp>(loc, v[0], attr, keep);
    };
    std::function<bool(const std::vector<Tensor> &)> ok;
    if (name == "nn.reduce_max")
      ok = [](const std::vector<Tensor> &t) { return distinct(t[0], 0.02); };
    cs.push_back({name, text, {F(shape)}, build, ok});
  };
  for (const char *name :
       {"nn.reduce_sum", "nn.reduce_mean", "nn.reduce_max"}) {
    reduceCase(name, {-1, 3}, {0}, false);
    reduceCase(name, {-1, 3}, {1}, true);
    reduceCase(name, {2, 3, 4}, {0, 2}, false);
    reduceCase(name, {2, 1, 3}, {0, 1, 2}, false);
  }

  // Shape moves.
  cs.push_back({"nn.broadcast_to",
                "3 to ?x2x3",
                {F({3})},
                [](OpBuilder &b, Location loc, ValueRange v) -> Value {
                  return b.create<BroadcastToOp>(
                      loc, tensorType(b.getContext(), {-1, 2, 3}, DType::F32),
                      v[0]);
                }});
  cs.push_back({"nn.broadcast_to",
                "2x1 to 2x4",
                {F({2, 1})},
                [](OpBuilder &b, Location loc, ValueRange v) -> Value {
                  return b.create<BroadcastToOp>(
                      loc, tensorType(b.getContext(), {2, 4}, DType::F32),
                      v[0]);
                }});
  cs.push_back({"nn.sum_to",
                "?x2x3 to 1x3",
                {F({-1, 2, 3})},
                [](OpBuilder &b, Location loc, ValueRange v) -> Value {
                  return b.create<SumToOp>(
                      loc, tensorType(b.getContext(), {1, 3}, DType::F32),
                      v[0]);
                }});
  cs.push_back({"nn.sum_to",
                "2x4 to scalar",
                {F({2, 4})},
                [](OpBuilder &b, Location loc, ValueRange v) -> Value {
                  return b.create<SumToOp>(
                      loc, tensorType(b.getContext(), {}, DType::F32), v[0]);
                }});
  cs.push_back({"nn.reshape",
                "?x2x3 to ?x6",
                {F({-1, 2, 3})},
                [](OpBuilder &b, Location loc, ValueRange v) -> Value {
                  return b.create<ReshapeOp>(
                      loc, tensorType(b.getContext(), {-1, 6}, DType::F32),
                      v[0]);
                }});
  cs.push_back({"nn.reshape",
                "2x6 to 3x1x4",
                {F({2, 6})},
                [](OpBuilder &b, Location loc, ValueRange v) -> Value {
                  return b.create<ReshapeOp>(
                      loc, tensorType(b.getContext(), {3, 1, 4}, DType::F32),
                      v[0]);
                }});
  cs.push_back({"nn.transpose",
                "2x3x4 by [2,0,1]",
                {F({2, 3, 4})},
                [](OpBuilder &b, Location loc, ValueRange v) -> Value {
                  return b.create<TransposeOp>(
                      loc, v[0], b.getDenseI64ArrayAttr({2, 0, 1}));
                }});
  cs.push_back({"nn.transpose",
                "?x3 by [1,0]",
                {F({-1, 3})},
                [](OpBuilder &b, Location loc, ValueRange v) -> Value {
                  return b.create<TransposeOp>(loc, v[0],
                                               b.getDenseI64ArrayAttr({1, 0}));
                }});
  cs.push_back({"nn.concat",
                "?x2, ?x1, ?x3 on axis 1",
                {F({-1, 2}), F({-1, 1}), F({-1, 3})},
                [](OpBuilder &b, Location loc, ValueRange v) -> Value {
                  return b.create<ConcatOp>(loc, v, b.getI64IntegerAttr(1));
                }});
  cs.push_back({"nn.concat",
                "2x3 and 1x3 on axis 0",
                {F({2, 3}), F({1, 3})},
                [](OpBuilder &b, Location loc, ValueRange v) -> Value {
                  return b.create<ConcatOp>(loc, v, b.getI64IntegerAttr(0));
                }});
  cs.push_back({"nn.slice",
                "?x7 [1:7:2]",
                {F({-1, 7})},
                [](OpBuilder &b, Location loc, ValueRange v) -> Value {
                  return b.create<SliceOp>(loc, v[0],
                                           b.getDenseI64ArrayAttr({0, 1}),
                                           b.getDenseI64ArrayAttr({-1, 7}),
                                           b.getDenseI64ArrayAttr({1, 2}));
                }});
  cs.push_back({"nn.slice",
                "4x5 [1:4, 0:5:3]",
                {F({4, 5})},
                [](OpBuilder &b, Location loc, ValueRange v) -> Value {
                  return b.create<SliceOp>(loc, v[0],
                                           b.getDenseI64ArrayAttr({1, 0}),
                                           b.getDenseI64ArrayAttr({4, 5}),
                                           b.getDenseI64ArrayAttr({1, 3}));
                }});
  cs.push_back({"nn.pad",
                "?x3 low 1 high 2 interior 1",
                {F({-1, 3})},
                [](OpBuilder &b, Location loc, ValueRange v) -> Value {
                  return b.create<PadOp>(loc, v[0],
                                         b.getDenseI64ArrayAttr({0, 1}),
                                         b.getDenseI64ArrayAttr({0, 2}),
                                         b.getDenseI64ArrayAttr({0, 1}));
                }});
  cs.push_back({"nn.pad",
                "2x2 low [1,0] high [0,3]",
                {F({2, 2})},
                [](OpBuilder &b, Location loc, ValueRange v) -> Value {
                  return b.create<PadOp>(loc, v[0],
                                         b.getDenseI64ArrayAttr({1, 0}),
                                         b.getDenseI64ArrayAttr({0, 3}),
                                         b.getDenseI64ArrayAttr({0, 0}));
                }});
  // element_count reads shapes only: its derivative is zero; the product
  // with its input keeps the input differentiable.
  cs.push_back({"nn.element_count",
                "?x3 axes [0,1] times x",
                {F({-1, 3})},
                [](OpBuilder &b, Location loc, ValueRange v) -> Value {
                  Value n = b.create<ElementCountOp>(
                      loc, v[0], b.getDenseI64ArrayAttr({0, 1}));
                  return b.create<MulOp>(loc, v[0], n);
                }});

  // softmax and log_softmax along the last and the first dim.
  auto axisCase = [&](const std::string &name, std::vector<int64_t> shape,
                      int64_t axis) {
    Builder build = [name, axis](OpBuilder &b, Location loc,
                                 ValueRange v) -> Value {
      auto attr = b.getI64IntegerAttr(axis);
      if (name == "nn.softmax")
        return b.create<SoftmaxOp>(loc, v[0].getType(), v[0], attr);
      return b.create<LogSoftmaxOp>(loc, v[0].getType(), v[0], attr);
    };
    cs.push_back({name,
                  shapeText(shape) + " axis " + std::to_string(axis),
                  {F(shape, -2, 2)},
                  build});
  };
  for (const char *name : {"nn.softmax", "nn.log_softmax"}) {
    axisCase(name, {-1, 4}, 1);
    axisCase(name, {3, 2, 5}, 0);
  }
  // softmax cross-entropy: the labels (i32 class indices) are data.
  cs.push_back({"nn.softmax_cross_entropy",
                "?x5 logits, ? labels",
                {F({-1, 5}, -3, 3), Operand{{-1}, DType::I32, 0, 5, false}},
                binary<SoftmaxCrossEntropyOp>()});
  cs.push_back({"nn.softmax_cross_entropy",
                "2x3x4 logits, 2x3 labels",
                {F({2, 3, 4}, -3, 3), Operand{{2, 3}, DType::I32, 0, 4, false}},
                binary<SoftmaxCrossEntropyOp>()});

  // Losses, differentiated in both operands.
  cs.push_back({"nn.mse",
                "?x2 vs ?x2",
                {F({-1, 2}, -2, 2), F({-1, 2}, -2, 2)},
                binary<MseOp>()});
  cs.push_back({"nn.mse",
                "2x3x1 vs 2x3x1",
                {F({2, 3, 1}), F({2, 3, 1})},
                binary<MseOp>()});
  cs.push_back({"nn.binary_cross_entropy",
                "?x1 probabilities, soft targets",
                {F({-1, 1}, 0.05, 0.95), F({-1, 1}, 0, 1)},
                binary<BinaryCrossEntropyOp>()});
  cs.push_back({"nn.binary_cross_entropy",
                "2x3",
                {F({2, 3}, 0.05, 0.95), F({2, 3}, 0, 1)},
                binary<BinaryCrossEntropyOp>()});

  // Convolutions (NHWC, HWIO): padding, strides, dilation, groups, 1x1.
  struct ConvGeom {
    std::vector<int64_t> strides, padding, dilation;
    int64_t groups;
  };
  auto convAttrs = [](OpBuilder &b, const ConvGeom &g) {
    return std::tuple{
        b.getDenseI64ArrayAttr(g.strides), b.getDenseI64ArrayAttr(g.padding),
        b.getDenseI64ArrayAttr(g.dilation), b.getI64IntegerAttr(g.groups)};
  };
  struct ConvCase {
    std::string variant;
    std::vector<int64_t> x, w, y; // input, filter, output shapes
    ConvGeom g;
  };
  std::vector<ConvCase> convs = {
      {"?x5x5x3 * 3x3x3x4 same",
       {-1, 5, 5, 3},
       {3, 3, 3, 4},
       {-1, 5, 5, 4},
       {{1, 1}, {1, 1, 1, 1}, {1, 1}, 1}},
      {"2x6x5x4 * 2x3x2x6 pad [0,1,1,0] groups 2",
       {2, 6, 5, 4},
       {2, 3, 2, 6},
       {2, 6, 4, 6},
       {{1, 1}, {0, 1, 1, 0}, {1, 1}, 2}},
      {"?x4x4x3 * 1x1x3x5 (1x1, ragged filters)",
       {-1, 4, 4, 3},
       {1, 1, 3, 5},
       {-1, 4, 4, 5},
       {{1, 1}, {0, 0, 0, 0}, {1, 1}, 1}},
      {"2x6x5x4 * 2x3x4x6 stride [2,1] pad [0,1,1,0] dilation [1,2]",
       {2, 6, 5, 4},
       {2, 3, 4, 6},
       {2, 3, 2, 6},
       {{2, 1}, {0, 1, 1, 0}, {1, 2}, 1}},
      // The output gradient and the filter of the input gradient have one
      // type here, so its JVP kernels compute f(1, x) and f(x, 1): they
      // must not share compiled code (kernelKey keeps the wiring).
      {"2x6x5x4 * 2x3x2x6 stride [2,1] pad [0,1,1,0] dilation [1,2] groups 2",
       {2, 6, 5, 4},
       {2, 3, 2, 6},
       {2, 3, 2, 6},
       {{2, 1}, {0, 1, 1, 0}, {1, 2}, 2}},
      {"2x6x5x4 * 1x1x2x6 groups 2",
       {2, 6, 5, 4},
       {1, 1, 2, 6},
       {2, 6, 5, 6},
       {{1, 1}, {0, 0, 0, 0}, {1, 1}, 2}},
      {"1x5x5x2 * 3x3x2x3 stride 2 pad 1",
       {1, 5, 5, 2},
       {3, 3, 2, 3},
       {1, 3, 3, 3},
       {{2, 2}, {1, 1, 1, 1}, {1, 1}, 1}},
  };
  for (const ConvCase &c : convs) {
    ConvGeom g = c.g;
    cs.push_back({"nn.conv2d",
                  c.variant,
                  {F(c.x), F(c.w)},
                  [=](OpBuilder &b, Location loc, ValueRange v) -> Value {
                    auto [s, p, d, gr] = convAttrs(b, g);
                    return b.create<Conv2dOp>(loc, v[0], v[1], s, p, d, gr);
                  }});
    std::vector<int64_t> size{c.x[1], c.x[2]}, kernel{c.w[0], c.w[1]};
    cs.push_back({"nn.conv2d_input_grad",
                  c.variant,
                  {F(c.y), F(c.w)},
                  [=](OpBuilder &b, Location loc, ValueRange v) -> Value {
                    auto [s, p, d, gr] = convAttrs(b, g);
                    return b.create<Conv2dInputGradOp>(
                        loc, v[0], v[1], s, p, d, gr,
                        b.getDenseI64ArrayAttr(size));
                  }});
    // Half-range operands: the filter gradient sums a whole image per
    // element, and central differences of a larger loss carry more
    // round-off than the reference tolerance allows.
    cs.push_back({"nn.conv2d_filter_grad",
                  c.variant,
                  {F(c.x, -0.5, 0.5), F(c.y, -0.5, 0.5)},
                  [=](OpBuilder &b, Location loc, ValueRange v) -> Value {
                    auto [s, p, d, gr] = convAttrs(b, g);
                    return b.create<Conv2dFilterGradOp>(
                        loc, v[0], v[1], s, p, d, gr,
                        b.getDenseI64ArrayAttr(kernel));
                  }});
  }

  // Pooling. Max pooling has a kink where a window's two largest
  // elements meet: draws whose top two are closer than 0.05 are redrawn.
  struct PoolCase {
    std::string variant;
    std::vector<int64_t> x, y, window, strides, padding;
  };
  std::vector<PoolCase> pools = {
      {"?x4x4x3 window 2",
       {-1, 4, 4, 3},
       {-1, 2, 2, 3},
       {2, 2},
       {2, 2},
       {0, 0, 0, 0}},
      {"2x5x5x2 window 3 stride 2 pad 1 (overlapping)",
       {2, 5, 5, 2},
       {2, 3, 3, 2},
       {3, 3},
       {2, 2},
       {1, 1, 1, 1}},
  };
  for (const PoolCase &pc : pools) {
    PoolCase c = pc;
    auto attrs = [c](OpBuilder &b) {
      return std::tuple{b.getDenseI64ArrayAttr(c.window),
                        b.getDenseI64ArrayAttr(c.strides),
                        b.getDenseI64ArrayAttr(c.padding)};
    };
    // Top-two gap of every window of operand 0 (batch 3 when dynamic).
    auto separated = [c](const std::vector<Tensor> &ops) {
      const Tensor &x = ops[0];
      const auto &xs = x.shape;
      int64_t oh = c.y[1], ow = c.y[2];
      for (int64_t n = 0; n < xs[0]; ++n)
        for (int64_t i = 0; i < oh; ++i)
          for (int64_t j = 0; j < ow; ++j)
            for (int64_t ch = 0; ch < xs[3]; ++ch) {
              std::vector<double> vals;
              for (int64_t a = 0; a < c.window[0]; ++a)
                for (int64_t bb = 0; bb < c.window[1]; ++bb) {
                  int64_t h = i * c.strides[0] + a - c.padding[0];
                  int64_t w = j * c.strides[1] + bb - c.padding[2];
                  if (h >= 0 && h < xs[1] && w >= 0 && w < xs[2])
                    vals.push_back(
                        x.data[((n * xs[1] + h) * xs[2] + w) * xs[3] + ch]);
                }
              std::sort(vals.rbegin(), vals.rend());
              if (vals.size() > 1 && vals[0] - vals[1] < 0.05)
                return false;
            }
      return true;
    };
    Operand where{c.x, DType::F32, -1, 1, false};
    cs.push_back({"nn.max_pool2d",
                  c.variant,
                  {F(c.x)},
                  [=](OpBuilder &b, Location loc, ValueRange v) -> Value {
                    auto [w, s, p] = attrs(b);
                    return b.create<MaxPool2dOp>(loc, v[0], Value(), w, s, p);
                  },
                  separated});
    cs.push_back({"nn.max_pool2d",
                  c.variant + " with values",
                  {where, F(c.x)},
                  [=](OpBuilder &b, Location loc, ValueRange v) -> Value {
                    auto [w, s, p] = attrs(b);
                    return b.create<MaxPool2dOp>(loc, v[0], v[1], w, s, p);
                  },
                  separated});
    cs.push_back({"nn.max_pool2d_grad",
                  c.variant,
                  {where, F(c.y)},
                  [=](OpBuilder &b, Location loc, ValueRange v) -> Value {
                    auto [w, s, p] = attrs(b);
                    return b.create<MaxPool2dGradOp>(loc, v[0], v[1], w, s, p);
                  },
                  separated});
    cs.push_back({"nn.avg_pool2d",
                  c.variant,
                  {F(c.x)},
                  [=](OpBuilder &b, Location loc, ValueRange v) -> Value {
                    auto [w, s, p] = attrs(b);
                    return b.create<AvgPool2dOp>(loc, v[0], w, s, p);
                  }});
    std::vector<int64_t> size{c.x[1], c.x[2]};
    cs.push_back({"nn.avg_pool2d_grad",
                  c.variant,
                  {F(c.y)},
                  [=](OpBuilder &b, Location loc, ValueRange v) -> Value {
                    auto [w, s, p] = attrs(b);
                    return b.create<AvgPool2dGradOp>(
                        loc, v[0], w, s, p, b.getDenseI64ArrayAttr(size));
                  }});
  }
  // train_eval: training's operand in the gradient function.
  cs.push_back({"nn.train_eval",
                "?x3 (eval operand not differentiated)",
                {F({-1, 3}), Operand{{-1, 3}, DType::F32, -1, 1, false}},
                [](OpBuilder &b, Location loc, ValueRange v) -> Value {
                  return b.create<TrainEvalOp>(loc, v[0], v[1]);
                }});

  // nn.scan: an RNN-like cell (a carry, a sequence, two closures used every
  // step, its stacked outputs), a reverse scan with two carries whose final
  // values are the result, and a scan nested in a scan's body.
  auto scan =
      [](OpBuilder &b, Location loc, ValueRange inits, ValueRange seqs,
         ValueRange closures, int64_t length, bool reverse,
         ArrayRef<Type> stepOutputs,
         const std::function<SmallVector<Value>(OpBuilder &, ValueRange)>
             &step) {
        SmallVector<Type> types(inits.getTypes());
        for (Type t : stepOutputs)
          types.push_back(ScanOp::stackedType(t, length, 1));
        auto op = b.create<ScanOp>(
            loc, types, inits, seqs, closures, b.getI64IntegerAttr(length),
            b.getI64IntegerAttr(1), reverse ? b.getUnitAttr() : UnitAttr());
        Block *body = new Block();
        op.getBody().push_back(body);
        for (Value v : inits)
          body->addArgument(v.getType(), loc);
        for (Value v : seqs)
          body->addArgument(ScanOp::sliceType(v.getType(), 1), loc);
        for (Value v : closures)
          body->addArgument(v.getType(), loc);
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(body);
        b.create<YieldOp>(loc, step(b, body->getArguments()));
        return op;
      };
  Case rnn{"nn.scan",
           "rnn cell h0 ?x3, x ?x4x2, w, u",
           {F({-1, 3}), F({-1, 4, 2}), F({2, 3}), F({3, 3})},
           [scan](OpBuilder &b, Location loc, ValueRange v) -> Value {
             Type h = v[0].getType();
             auto op = scan(b, loc, {v[0]}, {v[1]}, {v[2], v[3]}, 4, false, {h},
                            [&](OpBuilder &bb, ValueRange a) {
                              Value xw = bb.create<MatmulOp>(loc, a[1], a[2]);
                              Value hu = bb.create<MatmulOp>(loc, a[0], a[3]);
                              Value n = bb.create<SigmoidOp>(
                                  loc, bb.create<AddOp>(loc, xw, hu));
                              return SmallVector<Value>{n, n};
                            });
             return op.getStacked()[0];
           }};
  cs.push_back(rnn);
  Case twoCarries{
      "nn.scan",
      "reverse, 2 carries ?x3 and 3, final",
      {F({-1, 3}), F({3}), F({-1, 5, 3}), F({3})},
      [scan](OpBuilder &b, Location loc, ValueRange v) -> Value {
        auto op =
            scan(b, loc, {v[0], v[1]}, {v[2]}, {v[3]}, 5, true, {},
                 [&](OpBuilder &bb, ValueRange a) {
                   // a′ = sin(a·x_t + b), b′ = b·w
                   Value an = bb.create<AddOp>(
                       loc, bb.create<MulOp>(loc, a[0], a[2]), a[1]);
                   Value bn = bb.create<MulOp>(loc, a[1], a[3]);
                   return SmallVector<Value>{bb.create<SinOp>(loc, an), bn};
                 });
        return b.create<MulOp>(loc, op.getFinals()[0], op.getFinals()[1]);
      }};
  cs.push_back(twoCarries);
  Case nested{
      "nn.scan",
      "nested: a scan in the body, closure in both",
      {F({-1, 2}), F({-1, 3, 2}), F({2, 2})},
      [scan](OpBuilder &b, Location loc, ValueRange v) -> Value {
        Type h = v[0].getType();
        auto op =
            scan(b, loc, {v[0]}, {v[1]}, {v[2]}, 3, false, {h},
                 [&](OpBuilder &bb, ValueRange a) {
                   // Two inner steps of c ← sigmoid(c·w + x_t) per outer step.
                   auto inner =
                       scan(bb, loc, {a[0]}, {}, {a[1], a[2]}, 2, false, {},
                            [&](OpBuilder &ib, ValueRange ia) {
                              Value cw = ib.create<MatmulOp>(loc, ia[0], ia[2]);
                              Value s = ib.create<SigmoidOp>(
                                  loc, ib.create<AddOp>(loc, cw, ia[1]));
                              return SmallVector<Value>{s};
                            });
                   Value c = inner.getFinals()[0];
                   return SmallVector<Value>{c, bb.create<MulOp>(loc, c, a[1])};
                 });
        return op.getStacked()[0];
      }};
  cs.push_back(nested);
  return cs;
}

/// Ops without a derivative, and why: the coverage test accepts nothing else.
const std::map<std::string, std::string> kNotDifferentiable = {
    {"nn.model", "the model's container"},
    {"nn.input", "a declaration (inputs are seeds, not ops)"},
    {"nn.param", "a declaration (parameters are seeds, not ops)"},
    {"nn.hyper", "a hyperparameter fed by the runtime"},
    {"nn.state", "persistent state (optimizer moments, running statistics)"},
    {"nn.loss", "a sink"},
    {"nn.output", "a sink"},
    {"nn.gradient", "a sink"},
    {"nn.update", "a sink"},
    {"nn.loss_tangent", "a sink"},
    {"nn.constant", "has no operands"},
    {"nn.yield",
     "nn.scan's terminator (nn.scan's rules differentiate its body)"},
    {"nn.compare", "its result is a boolean mask"},
    {"nn.cast", "meant for masks and labels; f32 to f32 folds away"},
    {"nn.one_hot", "its operand is an integer label"},
    {"nn.argmax", "its result is an integer index"},
    {"nn.binary_cross_entropy_grad", "a derivative itself (first order only)"},
};

TEST_F(GradCheck, EveryOpIsCheckedOrDeclaredNotDifferentiable) {
  std::set<std::string> checked;
  for (const Case &c : cases())
    checked.insert(c.op);
  unsigned differentiable = 0;
  for (RegisteredOperationName op : context_.getRegisteredOperations()) {
    if (op.getDialectNamespace() != "nn")
      continue;
    std::string name = op.getStringRef().str();
    bool hasRule = op.hasInterface<DifferentiableOpInterface>();
    if (hasRule) {
      ++differentiable;
      EXPECT_TRUE(checked.count(name))
          << name << " has derivative rules but no gradient check";
      EXPECT_FALSE(kNotDifferentiable.count(name))
          << name << " is listed as not differentiable but has rules";
    } else {
      EXPECT_TRUE(kNotDifferentiable.count(name))
          << name
          << " has no derivative rules and is not listed as "
             "not differentiable (say why in kNotDifferentiable)";
    }
  }
  for (const std::string &name : checked)
    EXPECT_TRUE(RegisteredOperationName::lookup(name, &context_))
        << "a gradient check names unknown op " << name;
  std::printf("coverage: %u differentiable nn ops, %zu checked, %zu declared "
              "not differentiable\n",
              differentiable, checked.size(), kNotDifferentiable.size());
}

TEST_F(GradCheck, ReverseAndForwardMatchFiniteDifferences) {
  std::mt19937_64 rng(7);
  std::map<std::string, std::pair<double, double>> worst;
  std::printf("  %-26s %-34s worst relative error\n", "op", "case");
  // KILN_GRADCHECK_ONLY=nn.conv2d runs the cases of the ops whose name
  // contains it (while developing an op).
  const char *only = std::getenv("KILN_GRADCHECK_ONLY");
  for (const Case &c : cases()) {
    if (only && c.op.find(only) == std::string::npos)
      continue;
    auto [r, j] = check(c, rng);
    auto &w = worst[c.op];
    w = {std::max(w.first, r), std::max(w.second, j)};
  }
  double allRef = 0, allJit = 0;
  std::printf("worst relative error per op (reference double / compiled "
              "float32):\n");
  for (auto &[op, w] : worst) {
    std::printf("  %-30s %.2e / %.2e\n", op.c_str(), w.first, w.second);
    allRef = std::max(allRef, w.first);
    allJit = std::max(allJit, w.second);
  }
  std::printf("all %zu differentiable ops: worst %.2e (reference, tolerance "
              "%.0e), %.2e (compiled, tolerance %.0e)\n",
              worst.size(), allRef, kRefTolerance, allJit, kCompiledTolerance);
  std::printf("fused kernels vs one kernel per op: worst relative difference "
              "%.2e (tolerance %.0e)\n",
              worstFusedDiff_, kFusedTolerance);
}

//===----------------------------------------------------------------------===//
// Ops without derivatives still lower: compiled vs reference, forward only.
//===----------------------------------------------------------------------===//

TEST_F(GradCheck, NonDifferentiableOpsAgreeWithReference) {
  const char *ir = R"mlir(
    func.func @compare(%a: tensor<?x3xf32>, %b: tensor<3xf32>) -> tensor<?x3xf32> {
      %m = nn.compare ge, %a, %b : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xi1>
      %f = nn.cast %m : tensor<?x3xi1> -> tensor<?x3xf32>
      return %f : tensor<?x3xf32>
    }
    func.func @casts(%a: tensor<?x3xf32>) -> (tensor<?x3xi32>, tensor<?x3xf32>) {
      %i = nn.cast %a : tensor<?x3xf32> -> tensor<?x3xi32>
      %b = nn.cast %a : tensor<?x3xf32> -> tensor<?x3xi1>
      %f = nn.cast %b : tensor<?x3xi1> -> tensor<?x3xf32>
      return %i, %f : tensor<?x3xi32>, tensor<?x3xf32>
    }
    func.func @one_hot(%l: tensor<?xi32>) -> tensor<?x4xf32> {
      %o = nn.one_hot %l classes = 4 : tensor<?xi32> -> tensor<?x4xf32>
      return %o : tensor<?x4xf32>
    }
    func.func @argmax(%a: tensor<?x5xf32>) -> (tensor<?xi32>, tensor<?x1xi32>) {
      %i = nn.argmax %a axis = 1 : tensor<?x5xf32> -> tensor<?xi32>
      %k = nn.argmax %a axis = 1 keepdims : tensor<?x5xf32> -> tensor<?x1xi32>
      return %i, %k : tensor<?xi32>, tensor<?x1xi32>
    }
    func.func @bce_grad(%a: tensor<?x2xf32>, %y: tensor<?x2xf32>, %d: tensor<f32>) -> tensor<?x2xf32> {
      %g = nn.binary_cross_entropy_grad %a, %y, %d : tensor<?x2xf32>, tensor<f32>
      return %g : tensor<?x2xf32>
    }
  )mlir";
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(ir, &context_);
  ASSERT_TRUE(module);
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(-2, 2), p(0.05, 0.95);
  auto tensor = [&](std::vector<int64_t> shape, DType d,
                    std::function<double()> draw) {
    Tensor t(shape, d);
    for (double &v : t.data)
      v = draw();
    return t;
  };
  std::map<std::string, std::vector<Tensor>> args = {
      {"compare",
       {tensor({4, 3}, DType::F32, [&] { return u(rng); }),
        tensor({3}, DType::F32, [&] { return u(rng); })}},
      {"casts", {tensor({4, 3}, DType::F32, [&] { return u(rng); })}},
      // Includes out-of-range labels (-1, 4, 5): their rows are zeros.
      {"one_hot",
       {tensor({8}, DType::I32,
               [&] {
                 return static_cast<double>(
                     std::uniform_int_distribution<int>(-1, 5)(rng));
               })}},
      // Ties between columns 1 and 3 of every row: the first must win.
      {"argmax",
       {tensor({4, 5}, DType::F32, [&] { return std::floor(u(rng)); })}},
      {"bce_grad",
       {tensor({4, 2}, DType::F32, [&] { return p(rng); }),
        tensor({4, 2}, DType::F32, [&] { return p(rng) > 0.5; }),
        tensor({}, DType::F32, [&] { return 0.75; })}},
  };
  for (auto &[name, in] : args) {
    SCOPED_TRACE(name);
    auto fn = module->lookupSymbol<func::FuncOp>(name);
    auto expected = kiln::ref::evaluate(fn, in);
    auto actual = kiln::hl::runJit(fn, in);
    ASSERT_TRUE(succeeded(expected) && succeeded(actual));
    for (size_t r = 0; r < expected->size(); ++r)
      for (int64_t i = 0; i < (*expected)[r].size(); ++i)
        EXPECT_NEAR((*actual)[r].data[i], (*expected)[r].data[i],
                    1e-5 * std::max(1.0, std::fabs((*expected)[r].data[i])))
            << "result " << r << " element " << i;
  }
}

//===----------------------------------------------------------------------===//
// A 2-2-1 sigmoid MLP with MSE: the compiled gradient equals backprop
// derived by hand (the chain rule written out, in double).
//===----------------------------------------------------------------------===//

TEST_F(GradCheck, MlpBackpropByHandEqualsCompiledGradient) {
  const char *ir = R"mlir(
    nn.model @mlp221 {
      %x = nn.input "x" : tensor<?x2xf32>
      %y = nn.input "y" label : tensor<?x1xf32>
      %w1 = nn.param "w1" init <zeros> : tensor<2x2xf32>
      %b1 = nn.param "b1" init <zeros> : tensor<2xf32>
      %w2 = nn.param "w2" init <zeros> : tensor<2x1xf32>
      %b2 = nn.param "b2" init <zeros> : tensor<1xf32>
      %z1 = nn.matmul %x, %w1 : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
      %u1 = nn.add %z1, %b1 : (tensor<?x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
      %a1 = nn.sigmoid %u1 : tensor<?x2xf32>
      %z2 = nn.matmul %a1, %w2 : (tensor<?x2xf32>, tensor<2x1xf32>) -> tensor<?x1xf32>
      %u2 = nn.add %z2, %b2 : (tensor<?x1xf32>, tensor<1xf32>) -> tensor<?x1xf32>
      %a2 = nn.sigmoid %u2 : tensor<?x1xf32>
      %l = nn.mse %a2, %y : (tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<f32>
      nn.loss %l : tensor<f32>
    }
  )mlir";
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(ir, &context_);
  ASSERT_TRUE(module);
  PassManager pm(&context_);
  kiln::addStagePasses(pm, kiln::Stage::NN);
  kiln::addStagePasses(pm, kiln::Stage::Grad);
  kiln::addStagePasses(pm, kiln::Stage::Optimizer);
  kiln::addStagePasses(pm, kiln::Stage::Steps);
  ASSERT_TRUE(succeeded(pm.run(*module)));
  auto fn = module->lookupSymbol<func::FuncOp>("gradient");
  ASSERT_TRUE(fn);

  // XOR inputs, weights fixed by hand.
  const double X[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
  const double Y[4] = {0, 1, 1, 0};
  const double W1[2][2] = {{0.15, -0.25}, {0.20, 0.30}};
  const double B1[2] = {0.35, -0.1};
  const double W2[2] = {0.40, -0.45};
  const double B2 = 0.6;

  // Forward and backward by hand: δ2 = (2/n)(a2 − y)·a2(1 − a2),
  // dW2 = a1ᵀδ2, db2 = Σδ2, δ1 = (δ2·W2ᵀ)⊙a1(1 − a1), dW1 = xᵀδ1, db1 = Σδ1.
  auto sig = [](double z) { return 1 / (1 + std::exp(-z)); };
  double dW1[2][2] = {}, dB1[2] = {}, dW2[2] = {}, dB2 = 0, loss = 0;
  for (int s = 0; s < 4; ++s) {
    double a1[2];
    for (int j = 0; j < 2; ++j)
      a1[j] = sig(X[s][0] * W1[0][j] + X[s][1] * W1[1][j] + B1[j]);
    double a2 = sig(a1[0] * W2[0] + a1[1] * W2[1] + B2);
    loss += (a2 - Y[s]) * (a2 - Y[s]) / 4;
    double d2 = 2.0 / 4 * (a2 - Y[s]) * a2 * (1 - a2);
    dB2 += d2;
    for (int j = 0; j < 2; ++j) {
      dW2[j] += a1[j] * d2;
      double d1 = d2 * W2[j] * a1[j] * (1 - a1[j]);
      dB1[j] += d1;
      for (int i = 0; i < 2; ++i)
        dW1[i][j] += X[s][i] * d1;
    }
  }

  std::map<std::string, Tensor> in;
  auto fill = [](std::vector<int64_t> shape, std::vector<double> v) {
    Tensor t(shape);
    t.data = std::move(v);
    return t;
  };
  in["x"] = fill({4, 2}, {0, 0, 0, 1, 1, 0, 1, 1});
  in["y"] = fill({4, 1}, {0, 1, 1, 0});
  in["w1"] = fill({2, 2}, {W1[0][0], W1[0][1], W1[1][0], W1[1][1]});
  in["b1"] = fill({2}, {B1[0], B1[1]});
  in["w2"] = fill({2, 1}, {W2[0], W2[1]});
  in["b2"] = fill({1}, {B2});
  std::vector<Tensor> args;
  for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
    auto name = fn.getArgAttrOfType<StringAttr>(i, "nn.param");
    if (!name)
      name = fn.getArgAttrOfType<StringAttr>(i, "nn.input");
    args.push_back(in.at(name.str()));
  }
  std::map<std::string, std::vector<double>> byHand = {
      {"w1", {dW1[0][0], dW1[0][1], dW1[1][0], dW1[1][1]}},
      {"b1", {dB1[0], dB1[1]}},
      {"w2", {dW2[0], dW2[1]}},
      {"b2", {dB2}},
  };
  for (bool compiled : {false, true}) {
    SCOPED_TRACE(compiled ? "compiled kernels" : "reference evaluator");
    auto r =
        compiled ? kiln::hl::runJit(fn, args) : kiln::ref::evaluate(fn, args);
    ASSERT_TRUE(succeeded(r));
    double tol = compiled ? 1e-6 : 1e-12;
    for (unsigned i = 0; i < fn.getNumResults(); ++i) {
      if (fn.getResultAttr(i, "nn.loss")) {
        EXPECT_NEAR((*r)[i].data[0], loss, tol);
        continue;
      }
      std::string name =
          fn.getResultAttrOfType<StringAttr>(i, "nn.gradient").str();
      const std::vector<double> &want = byHand.at(name);
      for (size_t k = 0; k < want.size(); ++k)
        EXPECT_NEAR((*r)[i].data[k], want[k], tol) << name << "[" << k << "]";
    }
  }
  std::printf("2-2-1 MLP on XOR: loss %.9f, dW1[0][0] %.9f, db2 %.9f (by "
              "hand) match the compiled gradient\n",
              loss, dW1[0][0], dB2);
}

} // namespace

// The mask's statistics: each element kept with probability 1 − rate,
// independently of its neighbours and afresh for every seed (step).
TEST(DropoutMask, KeepsOneMinusRateAndChangesEveryStep) {
  constexpr double kRate = 0.3;
  uint32_t threshold = dropoutThreshold(kRate);
  int64_t kept = 0, changed = 0, runs = 0, n = 0;
  for (uint32_t r = 0; r < 200; ++r)
    for (uint32_t c = 0; c < 500; ++c, ++n) {
      std::vector<uint32_t> at = {r, c};
      bool a = (dropoutHash<uint32_t>(7, 1, at) >> 8) >= threshold;
      bool b = (dropoutHash<uint32_t>(8, 1, at) >> 8) >= threshold;
      std::vector<uint32_t> next = {r, c + 1};
      bool right = (dropoutHash<uint32_t>(7, 1, next) >> 8) >= threshold;
      kept += a;
      changed += a != b;
      runs += a == right;
    }
  // 100k Bernoulli(0.7) draws: the standard deviation of the mean is 0.0014.
  EXPECT_NEAR(double(kept) / n, 1 - kRate, 0.01);
  // Another step: P(differ) = 2·0.7·0.3 = 0.42; neighbours agree with
  // P = 0.7² + 0.3² = 0.58 when independent.
  EXPECT_NEAR(double(changed) / n, 2 * kRate * (1 - kRate), 0.01);
  EXPECT_NEAR(double(runs) / n, 1 - 2 * kRate * (1 - kRate), 0.01);
  // Another salt (another dropout layer) is another mask.
  std::vector<uint32_t> at = {3, 4};
  int differ = 0;
  for (uint32_t salt = 0; salt < 64; ++salt)
    differ += (dropoutHash<uint32_t>(7, salt, at) >> 8) >= threshold;
  EXPECT_GT(differ, 20);
  EXPECT_LT(differ, 64);
}

// The noise draws: mean 0, variance 1, a new draw for another seed.
TEST(GaussianDraw, StandardNormal) {
  double sum = 0, sq = 0, cross = 0;
  int64_t n = 0, beyond3 = 0;
  auto draw = [](uint32_t seed, uint32_t r, uint32_t c) {
    std::vector<uint32_t> at = {r, c};
    return gaussianDraw<uint32_t, double>(
        seed, 2, at, [](uint32_t v) { return double(v); },
        [](double v) { return std::sqrt(v); },
        [](double v) { return std::log(v); },
        [](double v) { return std::cos(v); });
  };
  for (uint32_t r = 0; r < 200; ++r)
    for (uint32_t c = 0; c < 500; ++c, ++n) {
      double z = draw(7, r, c);
      sum += z;
      sq += z * z;
      cross += z * draw(8, r, c);
      beyond3 += std::fabs(z) > 3;
    }
  EXPECT_NEAR(sum / n, 0, 0.01);   // sd of the mean: 0.003
  EXPECT_NEAR(sq / n, 1, 0.02);    // sd of the variance: 0.0045
  EXPECT_NEAR(cross / n, 0, 0.01); // another step: uncorrelated
  EXPECT_NEAR(double(beyond3) / n, 0.0027, 0.001);
}
