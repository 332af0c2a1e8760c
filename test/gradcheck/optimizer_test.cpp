//===- optimizer_test.cpp - each optimizer's step vs a hand computation ---===//
//
// A one-parameter model whose gradient is fed as an input goes through
// --kiln-optimizer and --kiln-outline-steps; its train_step runs three steps
// (so state carries over and Adam's step count advances), through the
// reference evaluator and through the compiled Halide kernels (JIT, fused
// as kiln build fuses). The parameter and every state tensor must equal the
// catalogue's update rule computed here by hand, in double, to 1e-6.
//
//===----------------------------------------------------------------------===//
#include "compiler/passes/passes.h"
#include "dialects/nn/nn_dialect.h"
#include "test/lib/evaluator.h"
#include "test/lib/jit.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <string>

using namespace mlir;
using kiln::ref::Tensor;

namespace {

constexpr double kTolerance = 1e-6;
constexpr int kSteps = 3;
constexpr double kLr = 0.05;
const std::vector<double> kTheta0 = {0.5, -1.25, 2.0};
// One gradient per step, signs and sizes mixed.
const std::vector<std::vector<double>> kGrads = {
    {0.3, -0.8, 1.5}, {-0.2, -0.6, 0.9}, {0.45, 0.1, -1.1}};

/// The state after a step: the parameter and the optimizer's tensors by
/// their suffix ("velocity", "adam_m", ...).
using State = std::map<std::string, std::vector<double>>;
using Rule = std::function<void(State &, const std::vector<double> &g, int t)>;

struct Case {
  const char *name;
  const char *config; // the nn.model optimizer dictionary
  Rule rule;          // the catalogue's formula, by hand
};

void PrintTo(const Case &c, std::ostream *os) { *os << c.name; }

std::vector<Case> cases() {
  auto each = [](State &s, auto f) {
    for (size_t i = 0; i < s["w"].size(); ++i)
      f(i);
  };
  // Adam with β1 0.8, β2 0.9, ε 1e-6; AdamW's decoupled decay λ on top.
  auto adamRule = [=](double decay) -> Rule {
    return [=](State &s, const std::vector<double> &g, int t) {
      s["adam_m"].resize(g.size());
      s["adam_v"].resize(g.size());
      each(s, [&](size_t i) {
        double &m = s["adam_m"][i], &v = s["adam_v"][i];
        m = 0.8 * m + 0.2 * g[i];
        v = 0.9 * v + 0.1 * g[i] * g[i];
        double mh = m / (1 - std::pow(0.8, t)), vh = v / (1 - std::pow(0.9, t));
        double &w = s["w"][i];
        w -= kLr * (mh / (std::sqrt(vh) + 1e-6) + decay * w);
      });
    };
  };
  return {
      {"sgd", "{kind = \"sgd\", lr = 0.05 : f64}",
       [=](State &s, const std::vector<double> &g, int) {
         each(s, [&](size_t i) { s["w"][i] -= kLr * g[i]; });
       }},
      {"sgd_clip_norm",
       "{kind = \"sgd\", lr = 0.05 : f64, clip_norm = 1.2 : f64}",
       [=](State &s, const std::vector<double> &g, int) {
         double norm = 0;
         for (double x : g)
           norm += x * x;
         double scale = 1.2 / std::max(std::sqrt(norm), 1.2);
         each(s, [&](size_t i) { s["w"][i] -= kLr * g[i] * scale; });
       }},
      {"momentum_clip_value",
       "{kind = \"momentum\", lr = 0.05 : f64, momentum = 0.8 : f64, "
       "clip_value = 0.5 : f64}",
       [=](State &s, const std::vector<double> &g, int) {
         s["velocity"].resize(g.size());
         each(s, [&](size_t i) {
           double &v = s["velocity"][i];
           v = 0.8 * v + kLr * std::clamp(g[i], -0.5, 0.5);
           s["w"][i] -= v;
         });
       }},
      {"momentum",
       "{kind = \"momentum\", lr = 0.05 : f64, momentum = 0.8 : f64}",
       [=](State &s, const std::vector<double> &g, int) {
         s["velocity"].resize(g.size());
         each(s, [&](size_t i) {
           double &v = s["velocity"][i];
           v = 0.8 * v + kLr * g[i];
           s["w"][i] -= v;
         });
       }},
      {"nesterov",
       "{kind = \"nesterov\", lr = 0.05 : f64, momentum = 0.8 : f64}",
       [=](State &s, const std::vector<double> &g, int) {
         s["velocity"].resize(g.size());
         each(s, [&](size_t i) {
           double &v = s["velocity"][i];
           v = 0.8 * v + kLr * g[i];
           s["w"][i] -= 0.8 * v + kLr * g[i];
         });
       }},
      {"adagrad", "{kind = \"adagrad\", lr = 0.05 : f64, eps = 1.0e-6 : f64}",
       [=](State &s, const std::vector<double> &g, int) {
         s["adagrad_s"].resize(g.size());
         each(s, [&](size_t i) {
           double &a = s["adagrad_s"][i];
           a += g[i] * g[i];
           s["w"][i] -= kLr * g[i] / std::sqrt(a + 1e-6);
         });
       }},
      {"rmsprop",
       "{kind = \"rmsprop\", lr = 0.05 : f64, rho = 0.75 : f64, eps = 1.0e-6 "
       ": f64}",
       [=](State &s, const std::vector<double> &g, int) {
         s["rmsprop_s"].resize(g.size());
         each(s, [&](size_t i) {
           double &r = s["rmsprop_s"][i];
           r = 0.75 * r + 0.25 * g[i] * g[i];
           s["w"][i] -= kLr * g[i] / std::sqrt(r + 1e-6);
         });
       }},
      {"adam",
       "{kind = \"adam\", lr = 0.05 : f64, beta1 = 0.8 : f64, beta2 = 0.9 : "
       "f64, eps = 1.0e-6 : f64}",
       adamRule(0)},
      {"adamw",
       "{kind = \"adamw\", lr = 0.05 : f64, beta1 = 0.8 : f64, beta2 = 0.9 : "
       "f64, eps = 1.0e-6 : f64, weight_decay = 0.3 : f64}",
       adamRule(0.3)},
  };
}

class OptimizerStep : public ::testing::TestWithParam<Case> {
protected:
  OptimizerStep() {
    DialectRegistry registry;
    registry.insert<kiln::nn::NNDialect, func::FuncDialect>();
    context_.appendDialectRegistry(registry);
    context_.loadAllAvailableDialects();
  }

  /// train_step of the model with the case's optimizer, or null.
  func::FuncOp build(const Case &c, bool fuse) {
    std::string text =
        std::string("nn.model @m attributes {optimizer = ") + c.config +
        "} {\n"
        "  %w = nn.param \"w\" init <zeros> : tensor<3xf32>\n"
        "  %g = nn.input \"g\" : tensor<3xf32>\n"
        "  %l = nn.reduce_sum %w axes = [0] : tensor<3xf32> -> tensor<f32>\n"
        "  nn.loss %l : tensor<f32>\n"
        "  nn.gradient %w, %g : tensor<3xf32>\n"
        "}\n";
    module_ = parseSourceString<ModuleOp>(text, &context_);
    if (!module_)
      return nullptr;
    PassManager pm(&context_);
    pm.addPass(kiln::createOptimizer());
    pm.addPass(kiln::createOutlineSteps());
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    if (fuse)
      pm.addPass(kiln::createFuse());
    if (failed(pm.run(*module_)) || failed(verify(*module_)))
      return nullptr;
    return module_->lookupSymbol<func::FuncOp>("train_step");
  }

  /// The model's default for hyperparameter `name` (what the runtime feeds
  /// unless a flag overrides it).
  double hyperDefault(const std::string &name) {
    for (auto model : module_->getOps<kiln::nn::ModelOp>())
      for (auto h : model.getBodyBlock().getOps<kiln::nn::HyperOp>())
        if (h.getName() == name)
          return h.getDefaultValue().convertToDouble();
    ADD_FAILURE() << "no hyperparameter " << name;
    return NAN;
  }

  /// Runs kSteps steps of `fn` and compares each with the rule.
  void check(func::FuncOp fn, const Case &c,
             const std::function<FailureOr<std::vector<Tensor>>(
                 func::FuncOp, const std::vector<Tensor> &)> &run) {
    State mine = {{"w", kTheta0}};
    std::map<std::string, Tensor> held; // compiled state by name
    auto tensor = [](const std::vector<double> &v, std::vector<int64_t> shape) {
      Tensor t(shape);
      t.data = v;
      return t;
    };
    held["w"] = tensor(kTheta0, {3});
    for (int t = 1; t <= kSteps; ++t) {
      std::vector<Tensor> args;
      for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
        auto named = [&](const char *key) {
          auto a = fn.getArgAttrOfType<StringAttr>(i, key);
          return a ? a.str() : std::string();
        };
        if (std::string p = named("nn.param"); !p.empty())
          args.push_back(held.at(p));
        else if (std::string s = named("nn.state"); !s.empty())
          args.push_back(held.count(s) ? held[s] : tensor({0, 0, 0}, {3}));
        else if (std::string h = named("nn.hyper"); h == "lr")
          args.push_back(tensor({kLr}, {}));
        else if (h == "step")
          args.push_back(tensor({double(t)}, {}));
        else if (!h.empty())
          args.push_back(tensor({hyperDefault(h)}, {})); // β, ε, ...
        else if (named("nn.input") == "g")
          args.push_back(tensor(kGrads[t - 1], {3}));
        else
          FAIL() << "unexpected argument " << i << " of train_step";
      }
      auto results = run(fn, args);
      ASSERT_TRUE(succeeded(results));
      for (unsigned r = 0; r < fn.getNumResults(); ++r)
        if (auto u = fn.getResultAttrOfType<StringAttr>(r, "nn.update"))
          held[u.str()] = (*results)[r];
      c.rule(mine, kGrads[t - 1], t);
      for (auto &[name, want] : mine) {
        std::string key = name == "w" ? "w" : "w." + name;
        ASSERT_TRUE(held.count(key)) << c.name << " has no state " << key;
        for (size_t i = 0; i < want.size(); ++i)
          EXPECT_NEAR(held[key].data[i], want[i], kTolerance)
              << c.name << " step " << t << ", " << key << "[" << i << "]";
      }
    }
    // Every state tensor the pass declared is one the rule knows.
    EXPECT_EQ(held.size(), mine.size()) << c.name;
  }

  MLIRContext context_;
  OwningOpRef<ModuleOp> module_;
};

TEST_P(OptimizerStep, ReferenceEvaluatorMatchesHandComputation) {
  func::FuncOp fn = build(GetParam(), /*fuse=*/false);
  ASSERT_TRUE(fn);
  check(fn, GetParam(), [](func::FuncOp f, const std::vector<Tensor> &a) {
    return kiln::ref::evaluate(f, a);
  });
}

TEST_P(OptimizerStep, CompiledKernelsMatchHandComputation) {
  func::FuncOp fn = build(GetParam(), /*fuse=*/true);
  ASSERT_TRUE(fn);
  check(fn, GetParam(), [](func::FuncOp f, const std::vector<Tensor> &a) {
    return kiln::hl::runJit(f, a);
  });
}

INSTANTIATE_TEST_SUITE_P(Catalogue, OptimizerStep, ::testing::ValuesIn(cases()),
                         [](const auto &info) { return info.param.name; });

} // namespace
