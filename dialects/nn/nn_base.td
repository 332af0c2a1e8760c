//===- nn_base.td - the nn dialect and its attributes ------*- tablegen -*-===//
#ifndef KILN_NN_BASE_TD
#define KILN_NN_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def NN_Dialect : Dialect {
  let name = "nn";
  let cppNamespace = "::kiln::nn";
  let summary = "kiln's tensor-level neural-network dialect";
  let description = [{
    Ops with value semantics on ranked tensors. A model is an `nn.model`
    graph of inputs, parameters and computation ending in sinks (`nn.loss`,
    `nn.output`); passes add the backward pass and the optimizer update and
    then outline `train_step`, `eval_step` and `predict` functions.
    Every dynamic dimension (`?`) in a kiln program is the batch size.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
}

class NN_Op<string mnemonic, list<Trait> traits = []>
    : Op<NN_Dialect, mnemonic, traits>;

def NN_InitKind : I32EnumAttr<"InitKind", "parameter initializer", [
    I32EnumAttrCase<"zeros", 0>,
    I32EnumAttrCase<"ones", 1>,
    I32EnumAttrCase<"constant", 2>,
    I32EnumAttrCase<"uniform", 3>,
    I32EnumAttrCase<"normal", 4>,
    I32EnumAttrCase<"xavier_uniform", 5>,
    I32EnumAttrCase<"xavier_normal", 6>,
    I32EnumAttrCase<"he_uniform", 7>,
    I32EnumAttrCase<"he_normal", 8>]> {
  let cppNamespace = "::kiln::nn";
  let genSpecializedAttr = 0;
}

def NN_ComparePredicate : I32EnumAttr<"ComparePredicate", "comparison", [
    I32EnumAttrCase<"eq", 0>,
    I32EnumAttrCase<"ne", 1>,
    I32EnumAttrCase<"lt", 2>,
    I32EnumAttrCase<"le", 3>,
    I32EnumAttrCase<"gt", 4>,
    I32EnumAttrCase<"ge", 5>]> {
  let cppNamespace = "::kiln::nn";
}

def NN_InitAttr : AttrDef<NN_Dialect, "Init"> {
  let mnemonic = "init";
  let summary = "how a parameter is initialised";
  let description = [{
    `#nn.init<xavier_uniform>`, `#nn.init<constant, 0.5>`,
    `#nn.init<uniform, -0.1, 0.1>` (low, high), `#nn.init<normal, 0.0, 0.01>`
    (mean, standard deviation). Xavier and He derive their scale from the
    parameter's fan-in and fan-out.
  }];
  let parameters = (ins "::kiln::nn::InitKind":$kind,
                        "::mlir::DenseF64ArrayAttr":$args);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

#endif // KILN_NN_BASE_TD
