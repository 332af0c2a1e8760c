//===- step_table.h - kernels and step tables of a model -------*- C++ -*-===//
//
// The step table is what the Halide back end and the table emitter share
// (not to be confused with --kiln-plan-memory's memory plan): every
// kern.kernel of every step function becomes a call of a kernel (one Halide
// pipeline each; identical kernels share one), every SSA value a tensor id;
// constants are inlined into the kernels that read them.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_HALIDE_STEP_TABLE_H
#define KILN_COMPILER_HALIDE_STEP_TABLE_H

// The ABI's enums (dtypes, bindings, metrics, schedules) are the
// runtime's: the plan uses them as they are.
#include "runtime/include/kiln/model_abi.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>
#include <string>
#include <vector>

namespace kiln::hl {

/// KILN_F32, KILN_I32 or KILN_BOOL (KILN_F64 is only ever gradient_f64's
/// view of an f32).
kiln_dtype dtypeOf(mlir::Type tensorType);

struct TensorPlan {
  kiln_dtype dtype = KILN_F32;
  llvm::SmallVector<int64_t> shape; // ShapedType::kDynamic = batch
  std::vector<double> data;         // constants that are function results
  bool isConstant = false;
  int slot = -1; // arena slot (--kiln-plan-memory), -1: a buffer of its own
};

struct BindingPlan {
  std::string name;
  kiln_binding_kind kind;
  int tensor;
  kiln_metric metric = KILN_METRIC_NONE;
};

/// A loop (nn.scan) over the calls after it: kiln_loop's fields.
struct LoopPlan {
  int64_t length = 0, axis = 1;
  bool reverse = false;
  unsigned numBody = 0;
  llvm::SmallVector<int> carryInit, carryIn, carryOut, carryFinal;
  llvm::SmallVector<int> seq, seqSlice;
  llvm::SmallVector<int> outStep, outStacked;
};

struct CallPlan {
  unsigned kernel; // unused for a loop
  std::optional<LoopPlan> loop;
  llvm::SmallVector<int> inputs;
  llvm::SmallVector<int> outputs; // in the kernel's buffer order
  std::string loc;                // of the kernel's first op
};

struct FunctionPlan {
  std::string name;
  /// Floating-point operations of one call: flopsFixed + flopsPerSample ·
  /// batch (a matmul counts 2·M·N·K, any other op one per element).
  double flopsFixed = 0, flopsPerSample = 0;
  std::vector<TensorPlan> tensors;
  int numSlots = 0;
  std::vector<BindingPlan> args, results;
  std::vector<CallPlan> calls;
};

struct KernelPlan {
  std::string name;    // the C symbol, kiln_k<N>
  mlir::Operation *op; // a kern.kernel (or, for tests, one nn op)
  std::string loc;     // of the first op that needed it
  std::string ops;     // the nn ops it computes, e.g. "matmul+add+relu"
  /// Computes in float64 on the CPU: a kernel of gradient_f64.
  bool f64 = false;
};

struct ParamPlan {
  std::string name;
  bool state = false; // optimizer state (nn.state), not trained
  llvm::SmallVector<int64_t> shape;
  kiln_init_kind init;
  double initArgs[2] = {0, 0};
  std::string loc;
};

struct InputPlan {
  std::string name;
  kiln_dtype dtype;
  llvm::SmallVector<int64_t> shape;
  bool label;
};

/// Data compiled into the model (`Model::dataset` in the DSL).
struct DatasetPlan {
  std::string name;
  int64_t rows = 0, features = 0, targets = 0;
  std::vector<float> x, y;
};

struct ModelPlan {
  std::string name;
  std::string optimizer;
  kiln_schedule_kind schedule = KILN_SCHEDULE_CONSTANT; // and its a, b
  double scheduleArgs[2] = {0, 0};
  std::vector<ParamPlan> params;
  std::vector<InputPlan> inputs;
  std::vector<std::pair<std::string, double>> hypers;
  /// train_step, eval_step, predict, gradient, jvp (those that exist), and
  /// gradient_f64 with the gradient
  /// function's kernels computing in float64 (grad-check's reference)
  std::vector<FunctionPlan> functions;
  std::vector<KernelPlan> kernels;
  std::optional<DatasetPlan> dataset;
};

/// The step functions a model binary can hold, in table order.
inline constexpr const char *kStepFunctions[] = {"train_step", "eval_step",
                                                 "predict", "gradient", "jvp"};
/// The float64 twin of "gradient", which grad-check differentiates.
inline constexpr const char *kGradientF64 = "gradient_f64";

/// Builds the plan of a module after --kiln-outline-steps. Emits an error
/// (at the op) for anything the back end cannot compile.
mlir::FailureOr<ModelPlan> planModel(mlir::ModuleOp module);

/// "file:line:col" for a location, or "" when it has none.
std::string formatLoc(mlir::Location loc);

/// Non-constant operands of `op` are the kernel's inputs, in order.
bool isInlinedConstant(mlir::Value v);

/// Two ops share a kernel when their keys are equal: same op, attributes,
/// operand/result types and inlined constants (for a kern.kernel: same
/// body and wiring, its values numbered within the kernel, and the same
/// in-place results; the buffer slots do not matter).
std::string kernelKey(mlir::Operation *op);

/// For each of a kern.kernel's inputs, whether one of its results
/// overwrites it in place (--kiln-plan-memory's `inplace`).
llvm::SmallVector<bool> inputsWrittenInPlace(mlir::Operation *kernel);

/// A kernel's results grouped by shape, in order of first appearance: each
/// group is one Halide output Func (a Tuple when several), so flattening
/// the groups gives the order of the kernel's output buffers.
std::vector<std::vector<unsigned>> resultGroups(mlir::TypeRange results);
std::vector<unsigned> outputBufferOrder(mlir::TypeRange results);

} // namespace kiln::hl

#endif // KILN_COMPILER_HALIDE_STEP_TABLE_H
