//===- build_kernel.cpp - one kernel as a Halide pipeline -----------------===//
//
// The driver, in the order Halide's own lowering runs its steps: the
// kernel's inputs become ImageParams (static extents and strides set as
// constraints, so Halide checks callers and specialises the code; dynamic
// dims are the scalar `batch`), each op of its body a Func through its
// family's Lowering, each result shape one output Func (a Tuple when several
// results share it, so one loop nest writes Adam's θ, m and v); then the
// schedule the kernel names (kern::Schedule): the matmul or convolution
// template on the output of its shape, the pointwise schedule elsewhere,
// every reduction inside the kernel computed once. Inputs that a result
// overwrites in place are read through wrappers computed per vector of the
// output, before its stores (a Tuple output could otherwise reload an old
// value after storing a new one). An auto: kernel gets no kiln schedule,
// only estimates (static extents, a batch of kPlannedBatch).
//
//===----------------------------------------------------------------------===//
#include "compiler/halide/build_kernel.h"
#include "compiler/halide/lowering.h"
#include "dialects/kern/kern_dialect.h"
#include "dialects/nn/shape.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace kiln::nn;

namespace kiln::hl {

std::optional<H::Func> Lowering::lower() {
  using R = std::optional<H::Func>;
  return llvm::TypeSwitch<Operation *, R>(op)
      .Case([&](MatmulOp mmOp) { return matmul(mmOp); })
      .Case<Conv2dOp, Conv2dInputGradOp, Conv2dFilterGradOp>(
          [&](Operation *) { return lowerConv(); })
      .Case<MaxPool2dOp, MaxPool2dGradOp, AvgPool2dOp, AvgPool2dGradOp>(
          [&](Operation *) { return lowerPool(); })
      .Default([&](Operation *) { return lowerPointwise(); });
}

std::optional<KernelPipeline> buildKernel(const KernelPlan &kernel,
                                          const H::Target &target,
                                          bool kilnSchedule) {
  Operation *root = kernel.op;
  const std::string &p = kernel.name;
  // A float64 variant computes in Float(64) with kiln's own schedule (it
  // checks gradients, so its speed hardly matters).
  struct FloatTypeScope {
    H::Type saved = floatType;
    explicit FloatTypeScope(bool f64) {
      floatType = f64 ? H::Float(64) : H::Float(32);
    }
    ~FloatTypeScope() { floatType = saved; }
  } floatScope(kernel.f64);
  kilnSchedule |= kernel.f64;
  // The kernel's ops, inputs and results: a kern.kernel's body, or one op.
  SmallVector<Operation *> ops;
  SmallVector<Value> inputs, results;
  // The schedule is the contract (the kernel's verifier checked the body
  // against it): it names the template built below. A single op (tests)
  // gets its own template.
  kern::Schedule schedule = kern::templateOf(root);
  if (auto k = dyn_cast<kern::KernelOp>(root)) {
    for (Operation &op : k.getBodyBlock().without_terminator())
      ops.push_back(&op);
    llvm::append_range(inputs, k.getBodyBlock().getArguments());
    llvm::append_range(results,
                       k.getBodyBlock().getTerminator()->getOperands());
    schedule = k.getSchedule();
    if (kilnSchedule && schedule == kern::Schedule::autoschedule) {
      schedule = kern::Schedule::pointwise;
      for (Operation *op : ops)
        schedule = std::max(schedule, kern::templateOf(op));
    }
  } else {
    ops.push_back(root);
    for (Value v : root->getOperands())
      if (!isInlinedConstant(v))
        inputs.push_back(v);
    results.push_back(root->getResult(0));
  }

  KernelPipeline kp;
  kp.batch = H::Param<int32_t>(p + "_batch");
  kp.batch.set_estimate(static_cast<int32_t>(kPlannedBatch));
  H::Expr batch = kp.batch;
  const int V = target.natural_vector_size<float>();
  llvm::DenseMap<Value, View> views;
  // Inputs a result overwrites in place: every read of them goes through a
  // wrapper computed per vector of the output, before its stores (a Tuple
  // output would otherwise reload an old value after storing a new one).
  SmallVector<bool> inPlace = inputsWrittenInPlace(root);
  std::vector<std::pair<ArrayRef<int64_t>, H::Func>> inPlaceWrappers;
  for (auto [i, v] : llvm::enumerate(inputs)) {
    ArrayRef<int64_t> shape = shapeOf(v);
    H::ImageParam img(halideType(v.getType()), shape.size(),
                      p + "_in" + std::to_string(i));
    if (i < inPlace.size() && inPlace[i])
      inPlaceWrappers.emplace_back(shape, img.in());
    constrainDims([&](int d) { return img.dim(d); }, shape, batch);
    // Estimates for the autoschedulers: static extents, a batch of 128.
    for (int hd = 0; hd < static_cast<int>(shape.size()); ++hd) {
      int64_t d = shape[shape.size() - 1 - hd];
      img.dim(hd).set_estimate(
          0,
          static_cast<int32_t>(ShapedType::isDynamic(d) ? kPlannedBatch : d));
    }
    kp.args.push_back(img);
    kp.inputs.push_back(img);
    View view;
    view.extents = extentsOf(shape, batch);
    view.at = [img](const Index &idx) { return img(reversed(idx)); };
    views[v] = view;
  }
  kp.args.push_back(kp.batch);

  bool autoschedule = schedule == kern::Schedule::autoschedule;
  // Kiln's GPU schedule (an autoscheduler targets the GPU itself) or its
  // CPU templates.
  bool gpu = !autoschedule && target.has_gpu_feature();
  bool cpu = !autoschedule && !gpu;
  StatsCache stats;
  std::optional<MatmulParts> matmul;
  Value matmulResult;
  std::optional<ConvParts> conv;
  Value convResult;
  std::optional<H::Func> convFunc;
  std::vector<std::pair<H::Func, SmallVector<int64_t>>> picks;
  std::vector<SplitSum> splitSums;
  SmallVector<std::pair<Value, H::Func>> reductions; // computed once each
  unsigned counter = 0;
  for (Operation *op : ops) {
    Value result = op->getResult(0);
    if (auto c = dyn_cast<ConstantOp>(op)) {
      views[result] = constantView(c, p + "_c" + std::to_string(counter++));
      continue;
    }
    std::vector<View> in;
    for (Value x : op->getOperands()) {
      if (auto it = views.find(x); it != views.end())
        in.push_back(it->second);
      else if (auto c = x.getDefiningOp<ConstantOp>())
        in.push_back(constantView(c, p + "_c" + std::to_string(counter++)));
      else {
        op->emitError() << "kernel " << p << ": an operand has no value";
        return std::nullopt;
      }
    }
    MatmulParts parts;
    ConvParts convParts;
    Lowering l{op,
               in,
               shapeOf(result),
               batch,
               p + "_f" + std::to_string(counter++),
               V,
               stats,
               parts,
               convParts,
               gpu};
    std::optional<H::Func> f = l.lower();
    if (!f)
      return std::nullopt;
    llvm::append_range(picks, l.picks);
    if (l.splitSum && l.splitSum->partial.defined())
      splitSums.push_back(*l.splitSum);
    kern::Schedule needs = kern::templateOf(op);
    if ((needs == kern::Schedule::conv || needs == kern::Schedule::matmul) &&
        (needs != schedule || conv || matmul)) {
      op->emitError() << "kernel " << p << " is scheduled \""
                      << kern::stringifySchedule(schedule) << "\" but holds '"
                      << op->getName() << "'";
      return std::nullopt;
    }
    if (needs == kern::Schedule::conv) {
      conv = convParts;
      convResult = result;
      convFunc = *f;
    } else if (needs == kern::Schedule::matmul) {
      matmul = parts;
      matmulResult = result;
    } else if (l.isReduction) {
      reductions.emplace_back(result, *f);
    }
    H::Func func = *f;
    View view;
    view.extents = extentsOf(shapeOf(result), batch);
    view.at = [func](const Index &idx) { return func(reversed(idx)); };
    views[result] = view;
  }

  // One output Func per result shape: a Tuple when several results share
  // it, so one loop nest writes them all.
  SmallVector<Type> resultTypes;
  for (Value r : results)
    resultTypes.push_back(r.getType());
  for (auto [c, members] : llvm::enumerate(resultGroups(resultTypes))) {
    ArrayRef<int64_t> shape = shapeOf(results[members.front()]);
    Index idx;
    std::vector<H::Var> vars =
        makeVars(p + "_o" + std::to_string(c), shape.size(), idx);
    H::Func out(p + "_out" + std::to_string(c));
    std::vector<H::Expr> values;
    for (unsigned r : members)
      values.push_back(views[results[r]].at(idx));
    if (values.size() == 1)
      out(vars) = values[0];
    else
      out(vars) = H::Tuple(values);
    // The output buffers must be exactly the tensors the runtime passes.
    for (unsigned i = 0; i < members.size(); ++i) {
      H::OutputImageParam buf = out.output_buffers()[i];
      constrainDims([&](int d) { return buf.dim(d); }, shape, batch, i > 0);
    }
    if (gpu) {
      // In-place inputs read per element, before the element's stores.
      bool tiled = matmul && shape == shapeOf(matmulResult) && !matmul->parts;
      bool convTiled = conv && shape == shapeOf(convResult) &&
                       conv->kind != ConvParts::Kind::FilterGrad;
      H::LoopLevel element = tiled       ? scheduleMatmulGpu(out, *matmul)
                             : convTiled ? scheduleConvGpu(out, *conv)
                                         : gpuRoot(out, /*root=*/false);
      for (auto &[inShape, wrapper] : inPlaceWrappers)
        if (inShape == shape && !shape.empty())
          wrapper.compute_at(element);
    }
    if (cpu) {
      bool tiled = matmul && shape == shapeOf(matmulResult) && !matmul->parts;
      bool narrowSplit = matmul && shape == shapeOf(matmulResult) &&
                         matmul->parts && matmul->narrowTN;
      // The convolution's epilogue runs per tile, like the matmul's.
      bool convTiled = conv && shape == shapeOf(convResult) &&
                       conv->kind != ConvParts::Kind::FilterGrad;
      H::LoopLevel element = tiled         ? scheduleMatmul(out, *matmul, V)
                             : narrowSplit ? scheduleNarrowEpilogue(out, V)
                             : convTiled   ? scheduleConv(out, *conv, V)
                                           : schedulePointwise(out, shape, V);
      // Read in-place inputs along the output's vectors (its rows for a
      // narrow Aᵀ·B, else its innermost dim).
      int vectorDim = (tiled && matmul->narrowTN) || narrowSplit ? 1 : 0;
      for (auto &[inShape, wrapper] : inPlaceWrappers)
        if (inShape == shape) {
          wrapper.compute_at(element);
          if (!shape.empty())
            wrapper.vectorize(wrapper.args()[vectorDim], V,
                              H::TailStrategy::GuardWithIf);
        }
    }
    kp.outputs.push_back(out);
    llvm::append_range(kp.bufferOrder, members);
  }
  // Split-K partials are the matmul's tiled loop nest; the sums and the
  // epilogue read them pointwise.
  if (matmul && matmul->parts && cpu)
    scheduleMatmul(matmul->partial, *matmul, V);
  // A convolution whose own result is not an output (a ReLU or pooling
  // reads it inside the kernel) is computed whole, with its template; the
  // filter gradient schedules its partial sums (its output reads them).
  if (conv && cpu) {
    bool isOutput = llvm::any_of(
        results, [&](Value r) { return shapeOf(r) == shapeOf(convResult); });
    if (conv->kind == ConvParts::Kind::FilterGrad) {
      scheduleFilterGrad(*conv, V);
    } else if (!isOutput) {
      convFunc->compute_root();
      scheduleConv(*convFunc, *conv, V);
    }
  }
  // Max pooling's gradient reads the winning tap of every window.
  if (cpu)
    for (auto &[pick, shape] : picks) {
      pick.compute_root();
      schedulePointwise(pick, shape, V);
    }
  if (cpu)
    scheduleSplitSums(splitSums, V);
  // A reduction read inside the kernel is computed once, not per use; so
  // are a softmax's row statistics. An autoscheduler decides for itself.
  if (cpu) {
    for (auto &[value, func] : reductions)
      if (!llvm::is_contained(results, value)) {
        // Vectorized over its innermost dim, the reduction loop inside:
        // a bias gradient sums 16 columns per instruction, rows streaming.
        func.compute_root();
        schedulePointwise(func, shapeOf(value), V);
      }
    for (auto &[key, st] : stats) {
      st.max.compute_root();
      st.sum.compute_root();
      schedulePointwise(st.max, st.shape, V);
      schedulePointwise(st.sum, st.shape, V);
    }
  }
  // On the GPU the templates' intermediates are computed whole, each stage
  // over the threads of its pure dims; a matmul's or convolution's sums
  // (and any other update of an inlined Func) run inside the consumer's
  // threads, one element each.
  if (gpu) {
    // A transposed B is packed into columns once per call, as on the CPU:
    // read in place, a warp's consecutive columns load floats K apart
    // (fc1's input gradient: 1,024).
    if (matmul && matmul->transposedB)
      gpuRoot(matmul->panel);
    // Split-K partials: the register-tiled template, a block dim per slice.
    if (matmul && matmul->parts) {
      matmul->partial.compute_root();
      scheduleMatmulGpu(matmul->partial, *matmul);
    }
    if (conv && conv->kind == ConvParts::Kind::FilterGrad)
      gpuRoot(conv->partial);
    // The input gradient's transposed filters, packed once per call as on
    // the CPU: read in place, a warp's consecutive channels load filters
    // F floats apart, 32 cache lines a load (conv2's input gradient took
    // 44% of the CNN's step on an H100).
    if (conv && conv->kind == ConvParts::Kind::InputGrad)
      gpuRoot(conv->weights);
    for (auto &pick : picks)
      gpuRoot(pick.first);
    for (SplitSum &sum : splitSums)
      gpuRoot(sum.partial);
    for (auto &[value, func] : reductions)
      if (!llvm::is_contained(results, value))
        gpuRoot(func);
    for (auto &[key, st] : stats) {
      gpuRoot(st.max);
      gpuRoot(st.sum);
    }
  }
  return kp;
}
} // namespace kiln::hl
