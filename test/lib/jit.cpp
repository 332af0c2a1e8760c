//===- jit.cpp - run a step function's kernels by Halide JIT --------------===//
#include "test/lib/jit.h"
#include "compiler/halide/host_target.h"
#include "compiler/halide/build_kernel.h"
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

} // namespace

FailureOr<std::vector<ref::Tensor>>
runJit(func::FuncOp fn, const std::vector<ref::Tensor> &args) {
  int64_t batch = 1;
  llvm::DenseMap<Value, ref::Tensor> env;
  for (auto [arg, t] : llvm::zip(fn.getArguments(), args)) {
    auto type = cast<RankedTensorType>(arg.getType());
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (type.isDynamicDim(d))
        batch = t.shape[d];
    env[arg] = t;
  }
  H::Target target = jitTarget();
  // Compiled pipelines by kernel key: the same kernel in eval_step,
  // gradient and jvp compiles once per process.
  struct Compiled {
    KernelPipeline kp;
    H::Pipeline pipeline;
  };
  static std::map<std::string, Compiled> cache;
  for (Operation &op : fn.getBody().front()) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      std::vector<ref::Tensor> results;
      for (Value v : ret.getOperands()) {
        if (auto c = v.getDefiningOp<nn::ConstantOp>()) {
          // A constant result never reaches a kernel: read its attribute.
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
          results.push_back(t);
          continue;
        }
        results.push_back(env.find(v)->second);
      }
      return results;
    }
    if (isa<nn::ConstantOp>(op))
      continue; // inlined into its users' kernels
    // A kern.kernel, or (unfused) one nn op with constants inlined.
    SmallVector<Value> inputs;
    if (auto k = dyn_cast<kern::KernelOp>(op))
      llvm::append_range(inputs, k.getInputs());
    else
      for (Value v : op.getOperands())
        if (!isInlinedConstant(v))
          inputs.push_back(v);
    try {
      std::string key = kernelKey(&op);
      auto it = cache.find(key);
      if (it == cache.end()) {
        KernelPlan k;
        k.name = "jit_k" + std::to_string(cache.size());
        k.op = &op;
        std::optional<KernelPipeline> built = buildKernel(k, target);
        if (!built)
          return failure();
        H::Pipeline pipeline(built->outputs);
        it = cache.emplace(key, Compiled{*built, pipeline}).first;
      }
      KernelPipeline &kp = it->second.kp;
      for (auto [param, v] : llvm::zip(kp.inputs, inputs))
        param.set(toBuffer(env.find(v)->second));
      kp.batch.set(static_cast<int32_t>(batch));
      std::vector<H::Buffer<>> buffers;
      std::vector<std::vector<int64_t>> shapes;
      for (unsigned r : kp.bufferOrder) {
        auto type = cast<RankedTensorType>(op.getResult(r).getType());
        std::vector<int64_t> shape;
        for (int64_t d : type.getShape())
          shape.push_back(ShapedType::isDynamic(d) ? batch : d);
        buffers.push_back(toBuffer(ref::Tensor(shape, ref::dtypeOf(type))));
        shapes.push_back(shape);
      }
      it->second.pipeline.realize(H::Realization(buffers), target);
      for (auto [p, r] : llvm::enumerate(kp.bufferOrder))
        env[op.getResult(r)] = fromBuffer(
            buffers[p], ref::dtypeOf(op.getResult(r).getType()), shapes[p]);
    } catch (const H::Error &e) {
      return op.emitError() << "Halide JIT failed: " << e.what();
    }
  }
  return fn.emitError() << "no return";
}

} // namespace kiln::hl
