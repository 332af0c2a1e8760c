//===- plan.h - kernels and step tables of a compiled model -----*- C++ -*-===//
//
// The plan is what the Halide back end and the table emitter share: every
// op of every step function becomes a call of a kernel (one Halide pipeline
// each; identical ops share a kernel), every SSA value a tensor id.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_HALIDE_PLAN_H
#define KILN_COMPILER_HALIDE_PLAN_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/SmallVector.h"

#include <string>
#include <vector>

namespace kiln::hl {

struct TensorPlan {
  llvm::SmallVector<int64_t> shape; // ShapedType::kDynamic = batch
  std::vector<float> data;          // constants that are function results
  bool isConstant = false;
};

/// Same numbering as kiln_binding_kind in runtime/include/kiln/model_abi.h.
enum class BindKind { Param, Hyper, Input, Label, Update, Loss, Output };

struct BindingPlan {
  std::string name;
  BindKind kind;
  int tensor;
  std::string metric;
};

struct CallPlan {
  unsigned kernel;
  llvm::SmallVector<int> inputs;
  int output;
  std::string loc; // of this call's op
};

struct FunctionPlan {
  std::string name;
  std::vector<TensorPlan> tensors;
  std::vector<BindingPlan> args, results;
  std::vector<CallPlan> calls;
};

struct KernelPlan {
  std::string name;      // the C symbol, kiln_k<N>
  mlir::Operation *op;   // a representative op (same for every call)
  bool usesBatch = false;
  std::string loc;       // of the first op that needed it
};

struct ParamPlan {
  std::string name;
  llvm::SmallVector<int64_t> shape;
  int init;
  double initArgs[2] = {0, 0};
  std::string loc;
};

struct InputPlan {
  std::string name;
  llvm::SmallVector<int64_t> shape;
  bool label;
};

struct ModelPlan {
  std::string name;
  std::string optimizer;
  std::vector<ParamPlan> params;
  std::vector<InputPlan> inputs;
  std::vector<std::pair<std::string, double>> hypers;
  std::vector<FunctionPlan> functions; // train_step, eval_step, predict
  std::vector<KernelPlan> kernels;
};

/// Builds the plan of a module after --kiln-outline-steps. Emits an error
/// (at the op) for anything the back end cannot compile.
mlir::FailureOr<ModelPlan> planModel(mlir::ModuleOp module);

/// "file:line:col" for a location, or "" when it has none.
std::string formatLoc(mlir::Location loc);

/// Non-constant operands of `op` are the kernel's inputs, in order.
bool isInlinedConstant(mlir::Value v);

} // namespace kiln::hl

#endif // KILN_COMPILER_HALIDE_PLAN_H
