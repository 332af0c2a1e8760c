//===- passes.td - kiln's passes ---------------------------*- tablegen -*-===//
#ifndef KILN_PASSES_TD
#define KILN_PASSES_TD

include "mlir/Pass/PassBase.td"

def VerifyShapes : Pass<"kiln-verify-shapes", "::mlir::ModuleOp"> {
  let summary = "Check each model is well formed beyond what op verifiers see";
  let description = [{
    Op verifiers already check every op's shapes against its inferred type.
    This pass checks the model as a whole: one scalar loss, every parameter
    used and reaching the loss, metrics that have a label to compare with.
  }];
  let dependentDialects = ["::kiln::nn::NNDialect"];
}

def Autodiff : Pass<"kiln-autodiff", "::mlir::ModuleOp"> {
  let summary = "Derive the backward pass (reverse mode) of each model";
  let description = [{
    Walks the ops between the differentiated values and the loss backwards,
    asks each op's DifferentiableOpInterface for its VJP, sums adjoints of
    values with several users, and ends with one `nn.gradient` per value.
    Ops that do not lie between such a value and the loss get no adjoint;
    integer and boolean values (labels, indices, masks) never do.
  }];
  let options = [
    ListOption<"wrt", "wrt", "std::string",
               "Names of the parameters and feature inputs to differentiate "
               "with respect to (default: every parameter)">,
    Option<"breakVjp", "break-vjp", "std::string", "",
           "Tests only: build a deliberately wrong gradient (conv2d-filter, "
           "max-pool or batch-norm; see break_vjp.cpp) that grad-check must "
           "catch">,
  ];
  let dependentDialects = ["::kiln::nn::NNDialect"];
}

def Jvp : Pass<"kiln-jvp", "::mlir::ModuleOp"> {
  let summary = "Derive forward-mode tangents of each model's loss";
  let description = [{
    One forward sweep per chosen value: its tangent starts as all ones, each
    op between it and the loss applies its JVP rule, and the loss's tangent
    ends in an `nn.loss_tangent` (for a scalar it is d(loss)/d(value)).
  }];
  let options = [
    ListOption<"wrt", "wrt", "std::string",
               "Names of the parameters and feature inputs to seed (default: "
               "every parameter)">,
  ];
  let dependentDialects = ["::kiln::nn::NNDialect"];
}

def Optimizer : Pass<"kiln-optimizer", "::mlir::ModuleOp"> {
  let summary = "Expand each model's optimizer into parameter update ops";
  let description = [{
    Adds, for every parameter's `nn.gradient`, the update rule of the
    model's optimizer (SGD: θ ← θ − lr·g) and an `nn.update`. The gradients
    stay (the gradient function and grad-check read them). The learning
    rate is an `nn.hyper` the runtime sets at every step.
  }];
  let dependentDialects = ["::kiln::nn::NNDialect"];
}

def OutlineSteps : Pass<"kiln-outline-steps", "::mlir::ModuleOp"> {
  let summary = "Outline the step functions a model binary runs";
  let description = [{
    Slices the model graph into `func.func @train_step` (parameters, optimizer
    state, hyperparameters, batch → new parameters and state, loss),
    `@eval_step` (→ loss, outputs), `@predict` (features → outputs),
    `@gradient` (→ loss, gradients) and `@jvp` (→ loss, loss tangents), each
    where the model has what it needs. Arguments and results carry `nn.param`,
    `nn.state`, `nn.hyper`, `nn.input`, `nn.update`, `nn.loss`, `nn.output`,
    `nn.gradient` and `nn.loss_tangent` attributes naming what the runtime
    binds. The model keeps only its declarations.
  }];
  let dependentDialects = ["::kiln::nn::NNDialect", "::mlir::func::FuncDialect"];
}

def Fuse : Pass<"kiln-fuse", "::mlir::ModuleOp"> {
  let summary = "Group each step function's ops into kern.kernel ops";
  let description = [{
    Each kernel becomes one Halide pipeline whose intermediates never reach
    memory. Elementwise ops with one consumer are inlined into it (not into
    matmul operands, which the K loop would recompute); elementwise
    consumers of a matmul or reduction with its output's shape join it as
    an epilogue (bias + ReLU, the backward ReLU mask, the optimizer update
    of a weight gradient); scalar chains form one kernel; independent
    reductions that read the same tensor (cross-entropy and its gradient)
    share one. With fusion=false every op is its own kernel, for
    comparison.
  }];
  let options = [
    Option<"fusion", "fusion", "bool", /*default=*/"true",
           "Fuse ops into shared kernels (false: one op per kernel)">,
    Option<"autoschedule", "autoschedule", "std::string", /*default=*/"\"\"",
           "Schedule the pointwise and reduction kernels with this Halide "
           "autoscheduler (Adams2019, Li2018, Mullapudi2016) instead of "
           "kiln's schedules; matmul and convolution kernels keep kiln's "
           "templates">,
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Print to stderr why each candidate merge was refused (LLVM's "
           "-debug-only=kiln-fuse says the same in builds with assertions)">,
  ];
  let dependentDialects = ["::kiln::kern::KernDialect", "::kiln::nn::NNDialect"];
}

def PlanMemory : Pass<"kiln-plan-memory", "::mlir::ModuleOp"> {
  let summary = "Assign kernel results to reused buffer slots; update "
                "parameters in place";
  let description = [{
    Runs after --kiln-fuse. Sets two attributes on every kern.kernel, one
    entry per result. `inplace`: the function argument (a parameter or
    optimizer state) the result overwrites, when no later kernel reads the
    old value and this kernel reads it only at the index it writes; -1
    otherwise. `slots`: the arena slot holding the result, reused by
    results whose live ranges (writing kernel to last reading kernel, or
    the end of the step for returned values) do not overlap, best fit by
    size at `batch`; -1 for an in-place result and for an update that is
    not in place (the runtime swaps it with the parameter).
  }];
  let options = [
    Option<"batch", "batch", "int64_t", /*default=*/"128",
           "Batch size the slot sizes are compared at (the runtime sizes "
           "each slot for the actual batch)">,
  ];
  let dependentDialects = ["::kiln::kern::KernDialect"];
}

#endif // KILN_PASSES_TD
