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
    Walks the ops between the parameters and the loss backwards, asks each
    op's DifferentiableOpInterface for its VJP, sums adjoints of values with
    several users, and ends with one `nn.gradient` per parameter. Ops that do
    not lie between a parameter and the loss get no adjoint.
  }];
  let dependentDialects = ["::kiln::nn::NNDialect"];
}

def Optimizer : Pass<"kiln-optimizer", "::mlir::ModuleOp"> {
  let summary = "Expand each model's optimizer into parameter update ops";
  let description = [{
    Replaces every `nn.gradient` with the update rule of the model's
    optimizer (SGD: θ ← θ − lr·g) and an `nn.update`. The learning rate is an
    `nn.hyper` the runtime sets at every step.
  }];
  let dependentDialects = ["::kiln::nn::NNDialect"];
}

def OutlineSteps : Pass<"kiln-outline-steps", "::mlir::ModuleOp"> {
  let summary = "Outline train_step, eval_step and predict functions";
  let description = [{
    Slices the model graph into `func.func @train_step` (parameters,
    hyperparameters, batch → new parameters, loss), `@eval_step` (→ loss,
    outputs) and `@predict` (features → outputs). Arguments and results carry
    `nn.param`, `nn.hyper`, `nn.input`, `nn.update`, `nn.loss` and
    `nn.output` attributes naming what the runtime binds. The model keeps
    only its declarations.
  }];
  let dependentDialects = ["::kiln::nn::NNDialect", "::mlir::func::FuncDialect"];
}

#endif // KILN_PASSES_TD
