//===- step_table.cpp - kernels and step tables of a model ----------------===//
//
// Every kern.kernel becomes a call; an nn op outside a kernel is an error.
// Two kernels share code when their keys match: the kernel printed in its own
// scope (values numbered within it, so f(c, x) and f(x, c) differ), with
// `inplace` but without `slots` (a slot says where a buffer lives, not what
// the kernel computes): the MLP's forward kernels compile once for
// train_step, eval_step, predict and gradient. An in-place result takes the
// tensor id of the argument it overwrites. gradient_f64 is the gradient
// function again with every f32 tensor f64, its kernels twinned with `f64`
// set (lowered in Float(64), kiln's CPU schedule, on the host even in a GPU
// build).
//
//===----------------------------------------------------------------------===//
#include "compiler/halide/step_table.h"
#include "dialects/kern/kern_dialect.h"
#include "dialects/nn/nn_dialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/raw_ostream.h"

#include <cctype>
#include <functional>
#include <map>

using namespace mlir;
using namespace kiln::nn;

namespace kiln::hl {

std::string formatLoc(Location loc) {
  if (auto f = dyn_cast<FileLineColLoc>(loc))
    return (f.getFilename().getValue() + ":" + Twine(f.getLine()) + ":" +
            Twine(f.getColumn()))
        .str();
  if (auto n = dyn_cast<NameLoc>(loc))
    return formatLoc(n.getChildLoc());
  if (auto f = dyn_cast<FusedLoc>(loc))
    for (Location l : f.getLocations())
      if (std::string s = formatLoc(l); !s.empty())
        return s;
  if (auto c = dyn_cast<CallSiteLoc>(loc))
    return formatLoc(c.getCallee());
  return "";
}

bool isInlinedConstant(Value v) {
  return v.getDefiningOp<ConstantOp>() != nullptr;
}

kiln_dtype dtypeOf(Type t) {
  Type e = cast<RankedTensorType>(t).getElementType();
  return e.isF32() ? KILN_F32 : e.isInteger(32) ? KILN_I32 : KILN_BOOL;
}

std::string kernelKey(Operation *op) {
  // The op printed without locations: equal keys compute the
  // same function.
  std::string key;
  llvm::raw_string_ostream os(key);
  if (auto k = dyn_cast<kern::KernelOp>(op)) {
    // Slots are where the runtime puts buffers, not what the kernel does:
    // printed from a copy without them (the op itself stays as it is).
    Operation *copy = op->clone();
    cast<kern::KernelOp>(copy).removeSlotsAttr();
    // Printed as if it were the whole IR: values are numbered within the
    // kernel (block arguments %arg0..., results %0...), so equal kernels
    // print alike wherever they sit, and the numbering keeps which value
    // feeds which op (f(c, x) and f(x, c) differ).
    copy->print(os, OpPrintingFlags()
                        .printGenericOpForm()
                        .useLocalScope()
                        .elideLargeElementsAttrs(1u << 30));
    copy->destroy();
    return key;
  }
  os << op->getName() << ' ' << op->getAttrDictionary() << ' '
     << op->getPropertiesAsAttribute();
  for (Value v : op->getOperands()) {
    os << ' ' << v.getType();
    if (auto c = v.getDefiningOp<ConstantOp>())
      os << '=' << c.getValue();
  }
  for (Type t : op->getResultTypes())
    os << " -> " << t;
  return key;
}

SmallVector<bool> inputsWrittenInPlace(Operation *op) {
  auto k = dyn_cast<kern::KernelOp>(op);
  SmallVector<bool> out(op->getNumOperands(), false);
  std::optional<ArrayRef<int64_t>> inplace;
  if (k)
    inplace = k.getInplace();
  if (!inplace)
    return out;
  auto fn = k->getParentOfType<func::FuncOp>();
  for (int64_t arg : *inplace)
    if (arg >= 0)
      for (auto [i, in] : llvm::enumerate(k.getInputs()))
        if (in == fn.getArgument(arg))
          out[i] = true;
  return out;
}

std::vector<std::vector<unsigned>> resultGroups(TypeRange results) {
  std::vector<std::pair<ArrayRef<int64_t>, std::vector<unsigned>>> groups;
  for (auto [i, t] : llvm::enumerate(results)) {
    ArrayRef<int64_t> shape = cast<RankedTensorType>(t).getShape();
    auto it = llvm::find_if(groups, [&](auto &g) { return g.first == shape; });
    if (it == groups.end())
      groups.push_back({shape, {static_cast<unsigned>(i)}});
    else
      it->second.push_back(i);
  }
  std::vector<std::vector<unsigned>> out;
  for (auto &g : groups)
    out.push_back(std::move(g.second));
  return out;
}

std::vector<unsigned> outputBufferOrder(TypeRange results) {
  std::vector<unsigned> order;
  for (const auto &g : resultGroups(results))
    llvm::append_range(order, g);
  return order;
}

namespace {

std::optional<kiln_binding_kind> argKind(DictionaryAttr attrs,
                                         std::string &name) {
  if (!attrs)
    return std::nullopt;
  if (auto s = attrs.getAs<StringAttr>("nn.param"))
    return name = s.str(), KILN_BIND_PARAM;
  // Optimizer state binds like a parameter: both are persistent tensors.
  if (auto s = attrs.getAs<StringAttr>("nn.state"))
    return name = s.str(), KILN_BIND_PARAM;
  if (auto s = attrs.getAs<StringAttr>("nn.hyper"))
    return name = s.str(), KILN_BIND_HYPER;
  if (auto s = attrs.getAs<StringAttr>("nn.input"))
    return name = s.str(),
           attrs.get("nn.label") ? KILN_BIND_LABEL : KILN_BIND_INPUT;
  return std::nullopt;
}

std::optional<kiln_binding_kind>
resultKind(DictionaryAttr attrs, std::string &name, kiln_metric &metric) {
  if (!attrs)
    return std::nullopt;
  if (auto s = attrs.getAs<StringAttr>("nn.update"))
    return name = s.str(), KILN_BIND_UPDATE;
  if (attrs.get("nn.loss"))
    return name = "loss", KILN_BIND_LOSS;
  if (auto s = attrs.getAs<StringAttr>("nn.output")) {
    if (auto m = attrs.getAs<StringAttr>("nn.metric"))
      metric = llvm::StringSwitch<kiln_metric>(m.getValue())
                   .Case("none", KILN_METRIC_NONE)
                   .Case("accuracy", KILN_METRIC_ACCURACY)
                   .Case("binary_accuracy", KILN_METRIC_BINARY_ACCURACY)
                   .Default(static_cast<kiln_metric>(-1)); // caller reports
    return name = s.str(), KILN_BIND_OUTPUT;
  }
  if (auto s = attrs.getAs<StringAttr>("nn.gradient"))
    return name = s.str(), KILN_BIND_GRADIENT;
  if (auto s = attrs.getAs<StringAttr>("nn.loss_tangent"))
    return name = s.str(), KILN_BIND_LOSS_TANGENT;
  return std::nullopt;
}

} // namespace

/// {fixed, per sample} floating-point operations of one nn op: a matmul
/// 2·M·N·K, anything else one per element of its largest operand or
/// result. A dynamic (batch) dim makes the count per sample.
std::pair<double, double> opFlops(Operation *op) {
  auto count = [](Value v) {
    auto t = cast<RankedTensorType>(v.getType());
    double n = 1;
    bool dynamic = false;
    for (int64_t d : t.getShape()) {
      if (ShapedType::isDynamic(d))
        dynamic = true;
      else
        n *= d;
    }
    return std::pair{n, dynamic};
  };
  if (auto mm = dyn_cast<MatmulOp>(op)) {
    auto lhs = cast<RankedTensorType>(mm.getLhs().getType()).getShape();
    int64_t k = mm.getTransposeLhs() ? lhs[0] : lhs[1];
    auto [n, dynamic] = count(mm.getResult());
    bool dynamicK = ShapedType::isDynamic(k);
    double flops = 2 * n * (dynamicK ? 1 : k);
    return dynamic || dynamicK ? std::pair{0.0, flops} : std::pair{flops, 0.0};
  }
  // A convolution: 2 per tap of every (output, filter) pair, i.e.
  // 2 · |y| · KH · KW · C/G, whichever of its three forms.
  auto convFlops = [&](Value y, ArrayRef<int64_t> filter) {
    auto [n, dynamic] = count(y);
    double flops = 2 * n * filter[0] * filter[1] * filter[2];
    return dynamic ? std::pair{0.0, flops} : std::pair{flops, 0.0};
  };
  auto filterShape = [](Value w) {
    return cast<RankedTensorType>(w.getType()).getShape();
  };
  if (auto c = dyn_cast<Conv2dOp>(op))
    return convFlops(c.getResult(), filterShape(c.getFilter()));
  if (auto c = dyn_cast<Conv2dInputGradOp>(op))
    return convFlops(c.getOutputGrad(), filterShape(c.getFilter()));
  if (auto c = dyn_cast<Conv2dFilterGradOp>(op))
    return convFlops(c.getOutputGrad(), filterShape(c.getResult()));
  std::pair<double, double> most{0, 0};
  auto consider = [&](Value v) {
    auto [n, dynamic] = count(v);
    std::pair<double, double> c =
        dynamic ? std::pair{0.0, n} : std::pair{n, 0.0};
    if (c.second > most.second ||
        (c.second == most.second && c.first > most.first))
      most = c;
  };
  for (Value v : op->getOperands())
    consider(v);
  for (Value v : op->getResults())
    consider(v);
  return most;
}

/// The runtime's initializer for the dialect's.
static kiln_init_kind initKind(InitKind k) {
  switch (k) {
  case InitKind::zeros:
    return KILN_INIT_ZEROS;
  case InitKind::ones:
    return KILN_INIT_ONES;
  case InitKind::constant:
    return KILN_INIT_CONSTANT;
  case InitKind::uniform:
    return KILN_INIT_UNIFORM;
  case InitKind::normal:
    return KILN_INIT_NORMAL;
  case InitKind::xavier_uniform:
    return KILN_INIT_XAVIER_UNIFORM;
  case InitKind::xavier_normal:
    return KILN_INIT_XAVIER_NORMAL;
  case InitKind::he_uniform:
    return KILN_INIT_HE_UNIFORM;
  case InitKind::he_normal:
    return KILN_INIT_HE_NORMAL;
  }
  llvm_unreachable("unknown InitKind");
}

FailureOr<ModelPlan> planModel(ModuleOp module) {
  ModelPlan plan;
  auto models = llvm::to_vector(module.getOps<ModelOp>());
  if (models.size() != 1)
    return module.emitError()
           << "expected exactly one nn.model, found " << models.size();
  ModelOp model = models.front();
  plan.name = model.getSymName().str();
  plan.optimizer = "sgd";
  if (DictionaryAttr opt = model.getOptimizerAttr()) {
    if (auto kind = opt.getAs<StringAttr>("kind"))
      plan.optimizer = kind.str();
    if (auto s = opt.getAs<DictionaryAttr>("schedule")) {
      StringRef kind = s.getAs<StringAttr>("kind").getValue();
      std::optional<kiln_schedule_kind> k =
          llvm::StringSwitch<std::optional<kiln_schedule_kind>>(kind)
              .Case("constant", KILN_SCHEDULE_CONSTANT)
              .Case("step", KILN_SCHEDULE_STEP)
              .Case("exponential", KILN_SCHEDULE_EXPONENTIAL)
              .Case("inverse_time", KILN_SCHEDULE_INVERSE_TIME)
              .Case("cosine", KILN_SCHEDULE_COSINE)
              .Default(std::nullopt);
      if (!k)
        return model.emitError()
               << "unknown learning-rate schedule '" << kind << "'";
      plan.schedule = *k;
      auto arg = [&](StringRef key) {
        auto v = s.getAs<FloatAttr>(key);
        return v ? v.getValueAsDouble() : 0.0;
      };
      bool step = plan.schedule == KILN_SCHEDULE_STEP,
           cosine = plan.schedule == KILN_SCHEDULE_COSINE;
      plan.scheduleArgs[0] = arg(step ? "factor" : cosine ? "steps" : "rate");
      plan.scheduleArgs[1] = arg(step ? "every" : cosine ? "min_lr" : "steps");
    }
  }
  // Parameters and state (state starts at zero unless it says otherwise:
  // a running variance starts at one).
  auto persistent = [&](Operation *op, StringRef name, bool state,
                        InitAttr init) {
    ParamPlan pp{
        name.str(),
        state,
        llvm::to_vector(
            cast<RankedTensorType>(op->getResult(0).getType()).getShape()),
        initKind(init ? init.getKind() : InitKind::zeros),
        {0, 0},
        formatLoc(op->getLoc())};
    if (init)
      for (auto [i, v] : llvm::enumerate(init.getArgs().asArrayRef()))
        pp.initArgs[i] = v;
    plan.params.push_back(pp);
  };
  for (Operation &op : model.getBodyBlock()) {
    if (auto p = dyn_cast<ParamOp>(op)) {
      persistent(p, p.getName(), false, p.getInit());
    } else if (auto st = dyn_cast<StateOp>(op)) {
      persistent(st, st.getName(), true, st.getInitAttr());
    } else if (auto in = dyn_cast<InputOp>(op)) {
      plan.inputs.push_back({in.getName().str(), dtypeOf(in.getType()),
                             llvm::to_vector(in.getType().getShape()),
                             in.getLabel()});
    } else if (auto h = dyn_cast<HyperOp>(op)) {
      plan.hypers.emplace_back(h.getName().str(),
                               h.getDefaultValue().convertToDouble());
    } else {
      return op.emitError() << "unexpected op in the model after outlining "
                               "(run --kiln-outline-steps first)";
    }
  }

  if (DictionaryAttr ds = model.getDatasetAttr()) {
    DatasetPlan d;
    d.name = ds.getAs<StringAttr>("name").str();
    auto x = ds.getAs<DenseElementsAttr>("x");
    auto y = ds.getAs<DenseElementsAttr>("y");
    d.rows = x.getType().getDimSize(0);
    d.features = x.getType().getDimSize(1);
    d.targets = y.getType().getDimSize(1);
    for (float v : x.getValues<float>())
      d.x.push_back(v);
    for (float v : y.getValues<float>())
      d.y.push_back(v);
    plan.dataset = std::move(d);
  }

  llvm::StringMap<unsigned> kernelByKey;
  for (StringRef fnName : kStepFunctions) {
    auto fn = module.lookupSymbol<func::FuncOp>(fnName);
    if (!fn)
      continue;
    FunctionPlan fp;
    fp.name = fnName.str();
    llvm::DenseMap<Value, int> ids;
    auto tensorOf = [&](Value v) {
      auto [it, inserted] = ids.try_emplace(v, fp.tensors.size());
      if (inserted) {
        TensorPlan t;
        t.dtype = dtypeOf(v.getType());
        t.shape =
            llvm::to_vector(cast<RankedTensorType>(v.getType()).getShape());
        fp.tensors.push_back(std::move(t));
      }
      return it->second;
    };
    for (auto [i, arg] : llvm::enumerate(fn.getArguments())) {
      std::string name;
      auto kind = argKind(fn.getArgAttrDict(i), name);
      if (!kind)
        return fn.emitError() << "argument #" << i
                              << " has no nn.param/nn.hyper/nn.input name";
      fp.args.push_back({name, *kind, tensorOf(arg)});
    }
    // A constant that must exist as a tensor (a function result, a loop's
    // operand): its data goes into the table.
    auto materialized = [&](Value v) {
      int id = tensorOf(v);
      if (auto c = v.getDefiningOp<ConstantOp>()) {
        auto dense = cast<DenseElementsAttr>(c.getValue());
        TensorPlan &t = fp.tensors[id];
        if (t.isConstant)
          return id;
        t.isConstant = true;
        if (t.dtype == KILN_F32)
          for (float x : dense.getValues<float>())
            t.data.push_back(x);
        else if (t.dtype == KILN_I32)
          for (int32_t x : dense.getValues<int32_t>())
            t.data.push_back(x);
        else
          for (bool x : dense.getValues<bool>())
            t.data.push_back(x);
      }
      return id;
    };
    std::function<LogicalResult(Block &)> planBlock;
    // A loop is a call followed by its body's calls. The body's closures
    // are the outer tensors; its carries and slices tensors of their own.
    auto planLoop = [&](ScanOp scan) -> LogicalResult {
      LoopPlan loop;
      loop.length = scan.getLength();
      loop.axis = scan.getAxis();
      loop.reverse = scan.getReverse();
      for (auto [arg, v] : llvm::zip(scan.getClosureArgs(), scan.getClosures()))
        ids[arg] = materialized(v);
      for (auto [arg, v] : llvm::zip(scan.getCarryArgs(), scan.getInits())) {
        loop.carryInit.push_back(materialized(v));
        loop.carryIn.push_back(tensorOf(arg));
      }
      for (auto [arg, v] :
           llvm::zip(scan.getSliceArgs(), scan.getSequences())) {
        loop.seq.push_back(materialized(v));
        loop.seqSlice.push_back(tensorOf(arg));
      }
      unsigned at = fp.calls.size();
      CallPlan call;
      call.kernel = ~0u;
      call.loc = formatLoc(scan.getLoc());
      fp.calls.push_back(std::move(call));
      double fixed = fp.flopsFixed, perSample = fp.flopsPerSample;
      if (failed(planBlock(scan.getBodyBlock())))
        return failure();
      // The body's work, once per step.
      fp.flopsFixed = fixed + (fp.flopsFixed - fixed) * loop.length;
      fp.flopsPerSample =
          perSample + (fp.flopsPerSample - perSample) * loop.length;
      loop.numBody = fp.calls.size() - at - 1;
      ValueRange yielded = scan.getYield().getValues();
      unsigned n = scan.getNumCarries();
      for (auto [i, v] : llvm::enumerate(yielded)) {
        if (v.getDefiningOp<ConstantOp>())
          return scan.getYield().emitError()
                 << "a loop step yields a constant (value #" << i
                 << "); kiln needs it computed by an op";
        if (i < n) {
          loop.carryOut.push_back(tensorOf(v));
          loop.carryFinal.push_back(tensorOf(scan.getResult(i)));
        } else {
          loop.outStep.push_back(tensorOf(v));
          loop.outStacked.push_back(tensorOf(scan.getResult(i)));
        }
      }
      fp.calls[at].loop = std::move(loop);
      return success();
    };
    planBlock = [&](Block &block) -> LogicalResult {
      for (Operation &op : block) {
        if (isa<YieldOp>(op))
          continue; // the loop's copies (below)
        if (auto scan = dyn_cast<ScanOp>(op)) {
          if (failed(planLoop(scan)))
            return failure();
          continue;
        }
        if (auto ret = dyn_cast<func::ReturnOp>(op)) {
          for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
            std::string name;
            kiln_metric metric = KILN_METRIC_NONE;
            auto kind = resultKind(fn.getResultAttrDict(i), name, metric);
            if (metric < 0)
              return fn.emitError() << "result #" << i << " has an unknown "
                                    << "nn.metric (expected none, accuracy or "
                                       "binary_accuracy)";
            if (!kind)
              return fn.emitError()
                     << "result #" << i
                     << " has no nn.update/nn.loss/nn.output name";
            fp.results.push_back({name, *kind, materialized(v), metric});
          }
          continue;
        }
        if (isa<ConstantOp>(op))
          continue; // inlined into the kernels that read it (or a result)
        auto kernelOp = dyn_cast<kern::KernelOp>(op);
        if (!kernelOp)
          return op.emitError() << "cannot compile '" << op.getName()
                                << "' outside a kern.kernel (run --kiln-fuse)";
        std::string key = kernelKey(&op);
        auto [it, inserted] = kernelByKey.try_emplace(key, plan.kernels.size());
        if (inserted) {
          KernelPlan k;
          k.name = "kiln_k" + std::to_string(plan.kernels.size());
          k.op = &op;
          k.loc = formatLoc(op.getLoc());
          for (Operation &inner : kernelOp.getBodyBlock().without_terminator())
            if (!isa<ConstantOp>(inner))
              k.ops += (k.ops.empty() ? "" : "+") +
                       inner.getName().stripDialect().str();
          plan.kernels.push_back(std::move(k));
        }
        // An in-place result is the argument's tensor; a slotted one names
        // its arena slot.
        if (auto inplace = kernelOp.getInplace())
          for (auto [r, arg] : llvm::enumerate(*inplace))
            if (arg >= 0)
              ids[kernelOp.getResult(r)] = tensorOf(fn.getArgument(arg));
        if (auto slots = kernelOp.getSlots())
          for (auto [r, slot] : llvm::enumerate(*slots))
            if (slot >= 0) {
              fp.tensors[tensorOf(kernelOp.getResult(r))].slot = slot;
              fp.numSlots = std::max<int>(fp.numSlots, slot + 1);
            }
        for (Operation &inner : kernelOp.getBodyBlock().without_terminator()) {
          if (isa<ConstantOp>(inner))
            continue;
          auto [fixed, perSample] = opFlops(&inner);
          fp.flopsFixed += fixed;
          fp.flopsPerSample += perSample;
        }
        CallPlan call;
        call.kernel = it->second;
        for (Value v : kernelOp.getInputs())
          call.inputs.push_back(tensorOf(v));
        for (unsigned r : outputBufferOrder(kernelOp.getResultTypes()))
          call.outputs.push_back(tensorOf(kernelOp.getResult(r)));
        call.loc = formatLoc(op.getLoc());
        fp.calls.push_back(std::move(call));
      }
      return success();
    };
    if (failed(planBlock(fn.getBody().front())))
      return failure();
    plan.functions.push_back(std::move(fp));
  }
  // The gradient again, every kernel computing in float64: grad-check's
  // central differences of its loss resolve what float32 round-off hides.
  auto gradient = llvm::find_if(plan.functions, [](const FunctionPlan &f) {
    return f.name == "gradient";
  });
  if (gradient != plan.functions.end()) {
    FunctionPlan f64 = *gradient;
    f64.name = kGradientF64;
    for (TensorPlan &t : f64.tensors)
      if (t.dtype == KILN_F32)
        t.dtype = KILN_F64;
    std::map<unsigned, unsigned> twin;
    for (CallPlan &c : f64.calls) {
      if (c.loop)
        continue;
      auto [it, inserted] = twin.try_emplace(c.kernel, plan.kernels.size());
      if (inserted) {
        KernelPlan k = plan.kernels[c.kernel];
        k.name = "kiln_k" + std::to_string(plan.kernels.size());
        k.f64 = true;
        plan.kernels.push_back(std::move(k));
      }
      c.kernel = it->second;
    }
    plan.functions.push_back(std::move(f64));
  }
  if (plan.functions.empty())
    return module.emitError() << "no train_step, eval_step or predict "
                                 "function to compile";
  return plan;
}

} // namespace kiln::hl
