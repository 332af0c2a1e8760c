//===- jit.cpp - run a step function's kernels by Halide JIT --------------===//
#include "test/lib/jit.h"
#include "compiler/halide/build_kernel.h"
#include "compiler/halide/host_target.h"
#include "dialects/kern/kern_dialect.h"
#include "dialects/nn/nn_dialect.h"

#include <map>

using namespace mlir;
namespace H = Halide;

namespace kiln::hl {

namespace {

H::Type halideType(ref::DType d) {
  return d == ref::DType::F32   ? H::Float(32)
         : d == ref::DType::I32 ? H::Int(32)
                                : H::Bool();
}

/// A Halide buffer holding `t` (dims reversed: Halide's first is innermost).
H::Buffer<> toBuffer(const ref::Tensor &t) {
  std::vector<int> sizes(t.shape.rbegin(), t.shape.rend());
  H::Buffer<> b(halideType(t.dtype), sizes);
  for (int64_t i = 0; i < t.size(); ++i) {
    double v = t.data[i];
    if (t.dtype == ref::DType::F32)
      reinterpret_cast<float *>(b.data())[i] = static_cast<float>(v);
    else if (t.dtype == ref::DType::I32)
      reinterpret_cast<int32_t *>(b.data())[i] = static_cast<int32_t>(v);
    else
      reinterpret_cast<uint8_t *>(b.data())[i] = v != 0;
  }
  return b;
}

ref::Tensor fromBuffer(const H::Buffer<> &b, ref::DType dtype,
                       std::vector<int64_t> shape) {
  ref::Tensor t(std::move(shape), dtype);
  for (int64_t i = 0; i < t.size(); ++i) {
    if (dtype == ref::DType::F32)
      t.data[i] = reinterpret_cast<const float *>(b.data())[i];
    else if (dtype == ref::DType::I32)
      t.data[i] = reinterpret_cast<const int32_t *>(b.data())[i];
    else
      t.data[i] = reinterpret_cast<const uint8_t *>(b.data())[i] != 0;
  }
  return t;
}

/// A constant's value as a tensor (a constant a function returns or a loop
/// yields never reaches a kernel).
ref::Tensor constantTensor(nn::ConstantOp c) {
  auto dense = cast<DenseElementsAttr>(c.getValue());
  ref::Tensor t(std::vector<int64_t>(dense.getType().getShape().begin(),
                                     dense.getType().getShape().end()),
                ref::dtypeOf(dense.getType()));
  int64_t i = 0;
  if (t.dtype == ref::DType::F32)
    for (float x : dense.getValues<float>())
      t.data[i++] = x;
  else if (t.dtype == ref::DType::I32)
    for (int32_t x : dense.getValues<int32_t>())
      t.data[i++] = x;
  else
    for (bool x : dense.getValues<bool>())
      t.data[i++] = x;
  return t;
}

/// Slice `t` of `x` along `axis`, or (`into`) `step` written there.
void sliceAt(ref::Tensor &x, int64_t axis, int64_t t, ref::Tensor &step,
             bool into) {
  int64_t outer = 1, inner = 1, length = x.shape[axis];
  for (int64_t i = 0; i < axis; ++i)
    outer *= x.shape[i];
  for (size_t i = axis + 1; i < x.shape.size(); ++i)
    inner *= x.shape[i];
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      double &a = x.data[(o * length + t) * inner + i];
      double &b = step.data[o * inner + i];
      if (into)
        a = b;
      else
        b = a;
    }
}

/// Compiled pipelines by kernel key: the same kernel in eval_step,
/// gradient and jvp compiles once per process.
struct Compiled {
  KernelPipeline kp;
  H::Pipeline pipeline;
};
std::map<std::string, Compiled> &cache() {
  static std::map<std::string, Compiled> c;
  return c;
}

struct Runner {
  int64_t batch = 1;
  H::Target target = jitTarget();
  llvm::DenseMap<Value, ref::Tensor> env;

  std::vector<int64_t> shapeOf(Value v) {
    std::vector<int64_t> shape;
    for (int64_t d : cast<RankedTensorType>(v.getType()).getShape())
      shape.push_back(ShapedType::isDynamic(d) ? batch : d);
    return shape;
  }

  /// Runs a block's ops; returns its terminator's operands.
  FailureOr<std::vector<ref::Tensor>> runBlock(Block &block) {
    for (Operation &op : block) {
      if (op.hasTrait<OpTrait::IsTerminator>()) {
        std::vector<ref::Tensor> results;
        for (Value v : op.getOperands())
          if (auto c = v.getDefiningOp<nn::ConstantOp>())
            results.push_back(constantTensor(c));
          else
            results.push_back(env.find(v)->second);
        return results;
      }
      if (isa<nn::ConstantOp>(op))
        continue; // inlined into its users' kernels
      if (auto scan = dyn_cast<nn::ScanOp>(op)) {
        if (failed(runScan(scan)))
          return failure();
        continue;
      }
      if (failed(runKernel(op)))
        return failure();
    }
    return block.getParentOp()->emitError() << "no terminator";
  }

  /// A loop, as the runtime's executor runs it: slices in, the body's
  /// kernels, step outputs and carries back.
  LogicalResult runScan(nn::ScanOp scan) {
    int64_t length = scan.getLength(), axis = scan.getAxis();
    unsigned n = scan.getNumCarries();
    auto value = [&](Value v) {
      if (auto c = v.getDefiningOp<nn::ConstantOp>())
        return constantTensor(c);
      return env.find(v)->second;
    };
    std::vector<ref::Tensor> carries;
    for (Value v : scan.getInits())
      carries.push_back(value(v));
    std::vector<ref::Tensor> stacked;
    for (Value r : scan.getStacked())
      stacked.emplace_back(shapeOf(r), ref::dtypeOf(r.getType()));
    Block &body = scan.getBodyBlock();
    for (int64_t k = 0; k < length; ++k) {
      int64_t t = scan.getReverse() ? length - 1 - k : k;
      for (unsigned i = 0; i < n; ++i)
        env[body.getArgument(i)] = carries[i];
      for (auto [arg, s] :
           llvm::zip(scan.getSliceArgs(), scan.getSequences())) {
        ref::Tensor seq = value(s);
        ref::Tensor slice(shapeOf(arg), seq.dtype);
        sliceAt(seq, axis, t, slice, false);
        env[arg] = slice;
      }
      for (auto [arg, c] : llvm::zip(scan.getClosureArgs(), scan.getClosures()))
        env[arg] = value(c);
      FailureOr<std::vector<ref::Tensor>> out = runBlock(body);
      if (failed(out))
        return failure();
      for (unsigned i = 0; i < n; ++i)
        carries[i] = (*out)[i];
      for (auto [j, st] : llvm::enumerate(stacked))
        sliceAt(st, axis, t, (*out)[n + j], true);
    }
    for (unsigned i = 0; i < n; ++i)
      env[scan.getResult(i)] = carries[i];
    for (auto [j, st] : llvm::enumerate(stacked))
      env[scan.getStacked()[j]] = st;
    return success();
  }

  /// A kern.kernel, or (unfused) one nn op with constants inlined.
  LogicalResult runKernel(Operation &op) {
    SmallVector<Value> inputs;
    if (auto k = dyn_cast<kern::KernelOp>(op))
      llvm::append_range(inputs, k.getInputs());
    else
      for (Value v : op.getOperands())
        if (!isInlinedConstant(v))
          inputs.push_back(v);
    try {
      std::string key = kernelKey(&op);
      auto it = cache().find(key);
      if (it == cache().end()) {
        KernelPlan k;
        k.name = "jit_k" + std::to_string(cache().size());
        k.op = &op;
        std::optional<KernelPipeline> built = buildKernel(k, target);
        if (!built)
          return failure();
        H::Pipeline pipeline(built->outputs);
        it = cache().emplace(key, Compiled{*built, pipeline}).first;
      }
      KernelPipeline &kp = it->second.kp;
      for (auto [param, v] : llvm::zip(kp.inputs, inputs))
        param.set(toBuffer(env.find(v)->second));
      kp.batch.set(static_cast<int32_t>(batch));
      std::vector<H::Buffer<>> buffers;
      std::vector<std::vector<int64_t>> shapes;
      for (unsigned r : kp.bufferOrder) {
        Value result = op.getResult(r);
        shapes.push_back(shapeOf(result));
        buffers.push_back(toBuffer(
            ref::Tensor(shapes.back(), ref::dtypeOf(result.getType()))));
      }
      it->second.pipeline.realize(H::Realization(buffers), target);
      for (auto [p, r] : llvm::enumerate(kp.bufferOrder))
        env[op.getResult(r)] = fromBuffer(
            buffers[p], ref::dtypeOf(op.getResult(r).getType()), shapes[p]);
    } catch (const H::Error &e) {
      return op.emitError() << "Halide JIT failed: " << e.what();
    }
    return success();
  }
};

} // namespace

FailureOr<std::vector<ref::Tensor>>
runJit(func::FuncOp fn, const std::vector<ref::Tensor> &args) {
  Runner run;
  for (auto [arg, t] : llvm::zip(fn.getArguments(), args)) {
    auto type = cast<RankedTensorType>(arg.getType());
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (type.isDynamicDim(d))
        run.batch = t.shape[d];
    run.env[arg] = t;
  }
  return run.runBlock(fn.getBody().front());
}

} // namespace kiln::hl
