//===- nn_interfaces.td - DifferentiableOpInterface --------*- tablegen -*-===//
#ifndef KILN_NN_INTERFACES_TD
#define KILN_NN_INTERFACES_TD

include "mlir/IR/OpBase.td"

def DifferentiableOpInterface : OpInterface<"DifferentiableOpInterface"> {
  let cppNamespace = "::kiln::nn";
  let description = [{
    An op that knows its derivative, both ways, in one place. `buildVJP` is
    the reverse-mode rule: given the adjoint of each result (a null Value
    where a result has none) it builds the adjoint of every operand marked
    in `needed`, inserting ops at the builder's insertion point, and sets
    the others to null. `buildJVP` is the forward-mode rule.
  }];
  let methods = [
    InterfaceMethod<
      "Build the vector-Jacobian product; returns failure (after emitting an "
      "error) when a needed operand is not differentiable.",
      "::mlir::LogicalResult", "buildVJP",
      (ins "::mlir::OpBuilder &":$builder,
           "::mlir::ValueRange":$resultGrads,
           "::llvm::ArrayRef<bool>":$needed,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGrads)>,
    InterfaceMethod<
      "Build the Jacobian-vector product: given each operand's tangent (a "
      "null Value where it is zero) build each result's tangent (null where "
      "it is zero).",
      "::mlir::LogicalResult", "buildJVP",
      (ins "::mlir::OpBuilder &":$builder,
           "::mlir::ValueRange":$operandTangents,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$resultTangents)>,
    InterfaceMethod<
      "Whether the derivative with respect to operand `index` exists.",
      "bool", "isDifferentiableOperand", (ins "unsigned":$index), [{}],
      [{ return true; }]>,
  ];
}

#endif // KILN_NN_INTERFACES_TD
