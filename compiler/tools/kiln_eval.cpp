//===- kiln_eval.cpp - run a function on the reference evaluator ----------===//
//
//   kiln-eval steps.mlir --function=gradient --init-params --arg x=1,2,3
//
// Prints each result of the function, named by its nn.* result attribute,
// computed in double precision by the reference evaluator: the oracle lit
// tests compare the compiler's derived IR with.
//
//===----------------------------------------------------------------------===//
#include "dialects/kern/kern_dialect.h"
#include "dialects/nn/nn_dialect.h"
#include "test/lib/evaluator.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;
namespace cl = llvm::cl;
using kiln::ref::Tensor;

static cl::opt<std::string> inputFile(cl::Positional, cl::Required,
                                      cl::desc("<file.mlir>"));
static cl::opt<std::string> function("function", cl::Required,
                                     cl::desc("Function to run"));
static cl::list<std::string> argValues(
    "arg", cl::desc("NAME=v1,v2,... (a name from the argument's "
                    "nn.param/nn.state/nn.input/nn.hyper attribute, or #i)"));
static cl::opt<bool> initParams(
    "init-params",
    cl::desc("Fill parameters from the model's zeros/ones/constant "
             "initializers and hyperparameters from their defaults"));

/// The runtime name of an argument or result, from its nn.* attribute.
static std::string nameOf(DictionaryAttr attrs, std::string &kind) {
  if (!attrs)
    return "";
  for (const char *k :
       {"nn.param", "nn.state", "nn.input", "nn.hyper", "nn.update",
        "nn.output", "nn.gradient", "nn.loss_tangent"})
    if (auto s = attrs.getAs<StringAttr>(k)) {
      kind = std::string(k).substr(3);
      return s.str();
    }
  if (attrs.get("nn.loss"))
    return kind = "loss", "loss";
  return "";
}

static bool parseValues(StringRef text, std::vector<double> &out) {
  text = text.trim().trim("[]");
  SmallVector<StringRef> parts;
  text.split(parts, ',', -1, false);
  for (StringRef p : parts) {
    double v;
    if (p.trim().getAsDouble(v))
      return false;
    out.push_back(v);
  }
  return !out.empty();
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv,
                              "kiln-eval: run a function of the nn dialect on "
                              "the double-precision reference evaluator\n");
  DialectRegistry registry;
  registry.insert<kiln::nn::NNDialect, kiln::kern::KernDialect,
                  func::FuncDialect>();
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(inputFile, sourceMgr, &context);
  if (!module)
    return 1;
  auto fn = module->lookupSymbol<func::FuncOp>(function);
  if (!fn) {
    llvm::errs() << "error: no function @" << function << "\n";
    return 1;
  }

  // Defaults from the model's declarations.
  llvm::StringMap<Tensor> defaults;
  if (initParams)
    for (auto model : module->getOps<kiln::nn::ModelOp>())
      for (Operation &op : model.getBodyBlock()) {
        auto type = cast<RankedTensorType>(op.getResult(0).getType());
        if (auto p = dyn_cast<kiln::nn::ParamOp>(op)) {
          auto init = p.getInit();
          double v;
          switch (init.getKind()) {
          case kiln::nn::InitKind::zeros:
            v = 0;
            break;
          case kiln::nn::InitKind::ones:
            v = 1;
            break;
          case kiln::nn::InitKind::constant:
            v = init.getArgs().asArrayRef()[0];
            break;
          default:
            continue; // random: must come from --arg
          }
          Tensor t(std::vector<int64_t>(type.getShape().begin(),
                                        type.getShape().end()));
          std::fill(t.data.begin(), t.data.end(), v);
          defaults[p.getName()] = t;
        } else if (auto h = dyn_cast<kiln::nn::HyperOp>(op)) {
          Tensor t(std::vector<int64_t>{});
          t.data[0] = h.getDefaultValue().convertToDouble();
          defaults[h.getName()] = t;
        }
      }

  llvm::StringMap<std::vector<double>> given;
  for (const std::string &a : argValues) {
    auto [name, values] = StringRef(a).split('=');
    std::vector<double> v;
    if (values.empty() || !parseValues(values, v)) {
      llvm::errs() << "error: --arg " << a << ": expected NAME=v1,v2,...\n";
      return 1;
    }
    given[name] = v;
  }

  std::vector<Tensor> args;
  for (auto [i, arg] : llvm::enumerate(fn.getArguments())) {
    std::string kind, name = nameOf(fn.getArgAttrDict(i), kind);
    auto type = cast<RankedTensorType>(arg.getType());
    auto it = given.find(name);
    if (it == given.end())
      it = given.find("#" + std::to_string(i));
    if (it == given.end()) {
      auto d = defaults.find(name);
      if (d == defaults.end()) {
        llvm::errs() << "error: no value for argument #" << i << " '" << name
                     << "' (give --arg "
                     << (name.empty() ? "#" + std::to_string(i) : name)
                     << "=...)\n";
        return 1;
      }
      args.push_back(d->second);
      continue;
    }
    // Static dims from the type; a batch dim takes what the count leaves.
    int64_t fixed = 1, dynamicDims = 0;
    for (int64_t d : type.getShape())
      ShapedType::isDynamic(d) ? ++dynamicDims : fixed *= d;
    int64_t n = it->second.size();
    if (dynamicDims > 1 || n % fixed || (!dynamicDims && n != fixed)) {
      llvm::errs() << "error: " << n << " values do not fit argument '" << name
                   << "' of type " << type << "\n";
      return 1;
    }
    std::vector<int64_t> shape;
    for (int64_t d : type.getShape())
      shape.push_back(ShapedType::isDynamic(d) ? n / fixed : d);
    Tensor t(shape, kiln::ref::dtypeOf(type));
    t.data = it->second;
    args.push_back(t);
  }

  FailureOr<std::vector<Tensor>> results = kiln::ref::evaluate(fn, args);
  if (failed(results))
    return 1;
  for (auto [i, r] : llvm::enumerate(*results)) {
    std::string kind, name = nameOf(fn.getResultAttrDict(i), kind);
    llvm::outs() << (kind.empty()     ? "result #" + std::to_string(i)
                     : kind == "loss" ? std::string("loss")
                                      : kind + " " + name)
                 << " = ";
    if (r.shape.empty()) {
      llvm::outs() << llvm::format("%.9g", r.data[0]) << "\n";
      continue;
    }
    llvm::outs() << "[";
    for (auto [j, v] : llvm::enumerate(r.data))
      llvm::outs() << (j ? ", " : "") << llvm::format("%.9g", v);
    llvm::outs() << "] : " << r.describe() << "\n";
  }
  return 0;
}
