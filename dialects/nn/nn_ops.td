//===- nn_ops.td - the nn dialect's operations -------------*- tablegen -*-===//
#ifndef KILN_NN_OPS_TD
#define KILN_NN_OPS_TD

include "dialects/nn/nn_base.td"
include "dialects/nn/nn_interfaces.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/IR/RegionKindInterface.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

// f32 carries everything differentiable; i32 holds labels and indices, i1
// the masks comparisons produce.
def NN_F32Tensor : RankedTensorOf<[F32]>;
def NN_I32Tensor : RankedTensorOf<[I32]>;
def NN_BoolTensor : RankedTensorOf<[I1]>;
def NN_DataTensor : RankedTensorOf<[F32, I32]>;
def NN_AnyTensor : RankedTensorOf<[F32, I32, I1]>;
def NN_Scalar : 0DTensorOf<[F32]>;
// For operands whose type the custom syntax leaves implicit.
def NN_ImplicitScalar : 0DTensorOf<[F32]>,
    BuildableType<"::mlir::RankedTensorType::get({}, $_builder.getF32Type())">;

//===----------------------------------------------------------------------===//
// The model and its declarations
//===----------------------------------------------------------------------===//

def NN_ModelOp : NN_Op<"model", [Symbol, IsolatedFromAbove, SingleBlock,
                                 NoTerminator, NoRegionArguments]> {
  let summary = "a trainable model: inputs, parameters, graph, sinks";
  let description = [{
    One block holding the model's declarations (`nn.input`, `nn.param`,
    `nn.hyper`), its computation and its sinks (`nn.loss`, `nn.output`,
    `nn.gradient`, `nn.update`). `optimizer` is a dictionary with a `kind`
    (`"sgd"`) and that optimizer's hyperparameters (`lr`). `dataset`, when
    present, is data compiled into the model: `{name = "xor", x = dense<...>
    : tensor<NxFxf32>, y = dense<...> : tensor<NxTxf32>}`.

    ```mlir
    nn.model @logistic_regression attributes {optimizer = {kind = "sgd", lr = 0.1 : f64}} {
      %x = nn.input "x" : tensor<?x30xf32>
      %w = nn.param "w" init <xavier_uniform> : tensor<30x1xf32>
      ...
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       OptionalAttr<DictionaryAttr>:$optimizer,
                       OptionalAttr<DictionaryAttr>:$dataset);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$sym_name attr-dict-with-keyword $body";
  let skipDefaultBuilders = 1;
  let builders = [OpBuilder<(ins "::llvm::StringRef":$name)>];
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::Block &getBodyBlock() { return getBody().front(); }
  }];
}

def NN_InputOp : NN_Op<"input", [HasParent<"ModelOp">]> {
  let summary = "a per-sample input fed by the runtime (features or labels)";
  let description = [{
    `label` marks targets: they are fed to training and evaluation but not to
    `predict`, and are never differentiated.
  }];
  let arguments = (ins StrAttr:$name, UnitAttr:$label);
  let results = (outs NN_DataTensor:$result);
  let assemblyFormat = "$name (`label` $label^)? attr-dict `:` type($result)";
}

def NN_ParamOp : NN_Op<"param", [HasParent<"ModelOp">]> {
  let summary = "a trainable tensor with its initializer";
  let arguments = (ins StrAttr:$name, NN_InitAttr:$init);
  let results = (outs NN_F32Tensor:$result);
  let assemblyFormat = "$name `init` $init attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def NN_StateOp : NN_Op<"state", [HasParent<"ModelOp">]> {
  let summary = "persistent, untrained state: optimizer moments, running statistics";
  let description = [{
    Declared by --kiln-optimizer (Adam's moments) and by batch norm (its
    running mean and variance, updated by an `nn.update` of the model's
    own); the runtime keeps it across steps like a parameter and
    checkpoints it with them. It starts at zero unless `init` says
    otherwise (a running variance starts at one).
  }];
  let arguments = (ins StrAttr:$name, OptionalAttr<NN_InitAttr>:$init);
  let results = (outs NN_F32Tensor:$result);
  let assemblyFormat = "$name (`init` `(` $init^ `)`)? attr-dict `:` type($result)";
}

def NN_HyperOp : NN_Op<"hyper", [HasParent<"ModelOp">]> {
  let summary = "a hyperparameter the runtime sets at every step";
  let description = [{
    A scalar the compiled step reads at run time, so a new value needs no
    recompile: `lr` (the learning rate; `default` is the model's, the
    runtime's schedule changes it), `step` (the 1-based number of the step
    being taken: Adam's bias correction, the seed of dropout and noise),
    and the optimizer's other hyperparameters (`momentum`, `beta1`,
    `beta2`, `eps`, `rho`, `weight_decay`, and `1-x` for a complement the
    runtime sets with `x`).
  }];
  let arguments = (ins StrAttr:$name, F64Attr:$default_value);
  let results = (outs NN_Scalar:$result);
  let assemblyFormat = "$name `default` $default_value attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Sinks: what the model computes for the outside
//===----------------------------------------------------------------------===//

def NN_LossOp : NN_Op<"loss", [HasParent<"ModelOp">]> {
  let summary = "the scalar the optimizer minimizes";
  let arguments = (ins NN_F32Tensor:$value);
  let assemblyFormat = "$value attr-dict `:` type($value)";
  let hasVerifier = 1;
}

def NN_OutputOp : NN_Op<"output", [HasParent<"ModelOp">]> {
  let summary = "a named model output (a prediction)";
  let description = [{
    `metric` names how the runtime scores the output against the model's
    label input: `"binary_accuracy"` (output > 0.5 equals the label),
    `"accuracy"` (argmax of the last dim equals an i32 class label) or
    `"none"`.
  }];
  let arguments = (ins StrAttr:$name, NN_DataTensor:$value,
                       DefaultValuedStrAttr<StrAttr, "none">:$metric);
  let assemblyFormat = "$name $value attr-dict `:` type($value)";
  let hasVerifier = 1;
}

def NN_GradientOp : NN_Op<"gradient", [HasParent<"ModelOp">,
                                       AllTypesMatch<["param", "grad"]>]> {
  let summary = "d(loss)/d(value), as derived by --kiln-autodiff";
  let description = [{
    The first operand is a parameter, or an input the gradient was asked
    for (`--kiln-autodiff="wrt=x"`).
  }];
  let arguments = (ins NN_F32Tensor:$param, NN_F32Tensor:$grad);
  let assemblyFormat = "$param `,` $grad attr-dict `:` type($param)";
  let hasVerifier = 1;
}

def NN_LossTangentOp : NN_Op<"loss_tangent", [HasParent<"ModelOp">]> {
  let summary = "the loss's tangent along all-ones of a value (--kiln-jvp)";
  let description = [{
    Forward mode: the directional derivative of the loss when `wrt` moves
    along a tensor of ones, i.e. the sum of d(loss)/d(wrt). For a scalar
    `wrt` it is the derivative itself.
  }];
  let arguments = (ins NN_F32Tensor:$wrt, NN_ImplicitScalar:$tangent);
  let assemblyFormat = "$wrt `,` $tangent attr-dict `:` type($wrt)";
  let hasVerifier = 1;
}

def NN_UpdateOp : NN_Op<"update", [HasParent<"ModelOp">,
                                   AllTypesMatch<["param", "value"]>]> {
  let summary = "the new value of a parameter after one training step";
  let arguments = (ins NN_F32Tensor:$param, NN_F32Tensor:$value);
  let assemblyFormat = "$param `,` $value attr-dict `:` type($param)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Computation
//===----------------------------------------------------------------------===//

class NN_ComputeOp<string mnemonic, list<Trait> traits = []>
    : NN_Op<mnemonic, traits # [Pure]>;

def NN_ConstantOp : NN_ComputeOp<"constant", [ConstantLike,
    AllTypesMatch<["value", "result"]>]> {
  let summary = "a constant tensor";
  let arguments = (ins ElementsAttr:$value);
  let results = (outs NN_AnyTensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
  let builders = [OpBuilder<(ins "::mlir::RankedTensorType":$type, "float":$splat)>];
}

def NN_MatmulOp : NN_ComputeOp<"matmul", [InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<DifferentiableOpInterface>]> {
  let summary = "matrix product op(A)·op(B), op = identity or transpose";
  let arguments = (ins NN_F32Tensor:$lhs, NN_F32Tensor:$rhs,
                       UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs);
  let results = (outs NN_F32Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs (`transpose_lhs` $transpose_lhs^)? (`transpose_rhs` $transpose_rhs^)?
    attr-dict `:` functional-type(operands, results)
  }];
}

class NN_BroadcastBinaryOp<string mnemonic, string formula>
    : NN_ComputeOp<mnemonic, [InferTypeOpAdaptor,
        DeclareOpInterfaceMethods<DifferentiableOpInterface>]> {
  let summary = "elementwise " # formula # " with numpy broadcasting";
  let arguments = (ins NN_F32Tensor:$lhs, NN_F32Tensor:$rhs);
  let results = (outs NN_F32Tensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
}

def NN_AddOp : NN_BroadcastBinaryOp<"add", "a + b"> { let hasFolder = 1; }
def NN_SubOp : NN_BroadcastBinaryOp<"sub", "a - b">;
def NN_MulOp : NN_BroadcastBinaryOp<"mul", "a * b"> { let hasFolder = 1; }
def NN_DivOp : NN_BroadcastBinaryOp<"div", "a / b">;
def NN_PowOp : NN_BroadcastBinaryOp<"pow", "a^b">;
def NN_MaximumOp : NN_BroadcastBinaryOp<"maximum",
    "max(a, b) (ties give the derivative to a)">;
def NN_MinimumOp : NN_BroadcastBinaryOp<"minimum",
    "min(a, b) (ties give the derivative to a)">;

def NN_CompareOp : NN_ComputeOp<"compare", [InferTypeOpAdaptor]> {
  let summary = "elementwise comparison with broadcasting, to an i1 mask";
  let description = [{
    `nn.compare gt, %a, %b` is a > b. Not differentiable: its result is a
    boolean mask (use it in `nn.select` or `nn.cast` it to f32).
  }];
  let arguments = (ins NN_ComparePredicate:$predicate, NN_DataTensor:$lhs,
                       NN_DataTensor:$rhs);
  let results = (outs NN_BoolTensor:$result);
  let assemblyFormat = [{
    $predicate `,` $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
}

def NN_SelectOp : NN_ComputeOp<"select", [InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<DifferentiableOpInterface,
                              ["isDifferentiableOperand"]>]> {
  let summary = "where(cond, a, b) with broadcasting";
  let description = [{
    Differentiable in `a` and `b` (each gets the adjoint where it was
    chosen); the condition is a mask and is not.
  }];
  let arguments = (ins NN_BoolTensor:$condition, NN_F32Tensor:$on_true,
                       NN_F32Tensor:$on_false);
  let results = (outs NN_F32Tensor:$result);
  let assemblyFormat = [{
    $condition `,` $on_true `,` $on_false attr-dict `:` functional-type(operands, results)
  }];
}

def NN_CastOp : NN_ComputeOp<"cast", [SameOperandsAndResultShape]> {
  let summary = "convert elements between f32, i32 and i1";
  let description = [{
    Float to integer truncates toward zero; anything nonzero is true. Not
    differentiable: it is meant for masks and labels (a float-to-float cast
    is the identity and folds away).
  }];
  let arguments = (ins NN_AnyTensor:$input);
  let results = (outs NN_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
}

class NN_UnaryOp<string mnemonic, string formula>
    : NN_ComputeOp<mnemonic, [SameOperandsAndResultType,
        DeclareOpInterfaceMethods<DifferentiableOpInterface>]> {
  let summary = "elementwise " # formula;
  let arguments = (ins NN_F32Tensor:$input);
  let results = (outs NN_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def NN_NegOp : NN_UnaryOp<"neg", "-x"> { let hasFolder = 1; }
def NN_ExpOp : NN_UnaryOp<"exp", "e^x">;
def NN_LogOp : NN_UnaryOp<"log", "ln x">;
def NN_SigmoidOp : NN_UnaryOp<"sigmoid", "1 / (1 + e^-x)">;
def NN_SqrtOp : NN_UnaryOp<"sqrt", "√x">;
def NN_AbsOp : NN_UnaryOp<"abs", "|x| (derivative sign(x), 0 at 0)">;
def NN_SignOp : NN_UnaryOp<"sign", "-1, 0 or 1 (derivative 0)">;
def NN_SinOp : NN_UnaryOp<"sin", "sin x">;
def NN_CosOp : NN_UnaryOp<"cos", "cos x">;
def NN_ReluOp : NN_UnaryOp<"relu", "max(x, 0) (derivative 0 at 0)">;

def NN_DropoutOp : NN_ComputeOp<"dropout", [
    AllTypesMatch<["input", "result"]>,
    DeclareOpInterfaceMethods<DifferentiableOpInterface,
                              ["isDifferentiableOperand"]>]> {
  let summary = "inverted dropout: x · [u ≥ rate] / (1 − rate)";
  let description = [{
    Each element is kept with probability 1 − rate and scaled by
    1/(1 − rate), so the expected value is unchanged and evaluation needs
    no rescaling. u ∈ [0, 1) is a hash of (`seed`, `salt`, the element's
    coordinates): `seed` is a scalar the runtime changes every step (the
    step count), `salt` tells the dropout layers of a model apart. The mask
    is recomputed, never stored: the VJP and JVP are the same dropout of the
    adjoint or tangent. In eval_step and predict, --kiln-outline-steps
    replaces it with its input (dropout is for training only).
  }];
  let arguments = (ins NN_F32Tensor:$input, NN_F32Tensor:$seed,
                       F64Attr:$rate, I64Attr:$salt);
  let results = (outs NN_F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $seed `rate` `=` $rate `salt` `=` $salt attr-dict `:`
    type($input) `,` type($seed)
  }];
  let hasVerifier = 1;
}

def NN_GaussianNoiseOp : NN_ComputeOp<"gaussian_noise", [
    AllTypesMatch<["input", "result"]>,
    DeclareOpInterfaceMethods<DifferentiableOpInterface,
                              ["isDifferentiableOperand"]>]> {
  let summary = "noise injection: x + stddev · N(0, 1)";
  let description = [{
    Adds Gaussian noise to each element in training (Box–Muller from two
    hashes of (`seed`, `salt`, coordinates), like nn.dropout's mask: a new
    draw every step, nothing stored). The derivative is the identity. In
    eval_step and predict --kiln-outline-steps replaces it with its input.
  }];
  let arguments = (ins NN_F32Tensor:$input, NN_F32Tensor:$seed,
                       F64Attr:$stddev, I64Attr:$salt);
  let results = (outs NN_F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $seed `stddev` `=` $stddev `salt` `=` $salt attr-dict `:`
    type($input) `,` type($seed)
  }];
  let hasVerifier = 1;
}

class NN_AxisOp<string mnemonic, string what>
    : NN_ComputeOp<mnemonic, [SameOperandsAndResultType,
        DeclareOpInterfaceMethods<DifferentiableOpInterface>]> {
  let summary = what # " along `axis`, numerically stable (max subtracted)";
  let arguments = (ins NN_F32Tensor:$input, I64Attr:$axis);
  let results = (outs NN_F32Tensor:$result);
  let assemblyFormat = "$input `axis` `=` $axis attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def NN_SoftmaxOp : NN_AxisOp<"softmax", "exp(x) / Σ exp(x)">;
def NN_LogSoftmaxOp : NN_AxisOp<"log_softmax", "x − log Σ exp(x)">;

class NN_ReduceOp<string mnemonic, string what>
    : NN_ComputeOp<mnemonic, [InferTypeOpAdaptor,
        DeclareOpInterfaceMethods<DifferentiableOpInterface>]> {
  let summary = what # " over `axes` (kept as size-1 dims with `keepdims`)";
  let arguments = (ins NN_F32Tensor:$input, DenseI64ArrayAttr:$axes,
                       UnitAttr:$keepdims);
  let results = (outs NN_F32Tensor:$result);
  let assemblyFormat = [{
    $input `axes` `=` $axes (`keepdims` $keepdims^)? attr-dict `:`
    type($input) `->` type($result)
  }];
}

def NN_ReduceSumOp : NN_ReduceOp<"reduce_sum", "sum">;
def NN_ReduceMeanOp : NN_ReduceOp<"reduce_mean", "mean">;
def NN_ReduceMaxOp : NN_ReduceOp<"reduce_max",
    "maximum (ties share the derivative equally)">;

def NN_TransposeOp : NN_ComputeOp<"transpose", [InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<DifferentiableOpInterface>]> {
  let summary = "permute dims: result dim i is input dim permutation[i]";
  let arguments = (ins NN_F32Tensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs NN_F32Tensor:$result);
  let assemblyFormat = [{
    $input `permutation` `=` $permutation attr-dict `:` type($input) `->` type($result)
  }];
  let hasFolder = 1;
}

def NN_ConcatOp : NN_ComputeOp<"concat", [InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<DifferentiableOpInterface>]> {
  let summary = "join tensors along `axis`";
  let arguments = (ins Variadic<NN_F32Tensor>:$inputs, I64Attr:$axis);
  let results = (outs NN_F32Tensor:$result);
  let assemblyFormat = [{
    $inputs `axis` `=` $axis attr-dict `:` functional-type($inputs, results)
  }];
}

def NN_SliceOp : NN_ComputeOp<"slice", [InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<DifferentiableOpInterface>]> {
  let summary = "elements start, start+stride, ... below limit, per dim";
  let description = [{
    A dynamic (batch) dim can only be kept whole: start 0, limit -1, stride 1.
  }];
  let arguments = (ins NN_F32Tensor:$input, DenseI64ArrayAttr:$starts,
                       DenseI64ArrayAttr:$limits, DenseI64ArrayAttr:$strides);
  let results = (outs NN_F32Tensor:$result);
  let assemblyFormat = [{
    $input `starts` `=` $starts `limits` `=` $limits `strides` `=` $strides
    attr-dict `:` type($input) `->` type($result)
  }];
}

def NN_PadOp : NN_ComputeOp<"pad", [InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<DifferentiableOpInterface>]> {
  let summary = "zero padding: low and high per dim, interior between elements";
  let description = [{
    The adjoint of `nn.slice` (interior padding undoes a stride) and the
    zero padding of convolutions. A dynamic dim cannot be padded.
  }];
  let arguments = (ins NN_F32Tensor:$input, DenseI64ArrayAttr:$low,
                       DenseI64ArrayAttr:$high, DenseI64ArrayAttr:$interior);
  let results = (outs NN_F32Tensor:$result);
  let assemblyFormat = [{
    $input `low` `=` $low `high` `=` $high `interior` `=` $interior attr-dict
    `:` type($input) `->` type($result)
  }];
}

def NN_OneHotOp : NN_ComputeOp<"one_hot", [InferTypeOpAdaptor]> {
  let summary = "i32 class indices to f32 one-hot rows (a trailing dim)";
  let description = [{
    An index outside [0, classes) gives a row of zeros. Not differentiable:
    its operand is an integer label.
  }];
  let arguments = (ins NN_I32Tensor:$indices, I64Attr:$classes);
  let results = (outs NN_F32Tensor:$result);
  let assemblyFormat = [{
    $indices `classes` `=` $classes attr-dict `:` type($indices) `->` type($result)
  }];
}

def NN_ArgmaxOp : NN_ComputeOp<"argmax", [InferTypeOpAdaptor]> {
  let summary = "index of the largest element along `axis` (first on ties)";
  let description = [{ Not differentiable: its result is an integer index. }];
  let arguments = (ins NN_F32Tensor:$input, I64Attr:$axis, UnitAttr:$keepdims);
  let results = (outs NN_I32Tensor:$result);
  let assemblyFormat = [{
    $input `axis` `=` $axis (`keepdims` $keepdims^)? attr-dict `:`
    type($input) `->` type($result)
  }];
}

def NN_BroadcastToOp : NN_ComputeOp<"broadcast_to", [
    DeclareOpInterfaceMethods<DifferentiableOpInterface>]> {
  let summary = "repeat a tensor along size-1 and leading dims";
  let arguments = (ins NN_F32Tensor:$input);
  let results = (outs NN_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def NN_SumToOp : NN_ComputeOp<"sum_to", [
    DeclareOpInterfaceMethods<DifferentiableOpInterface>]> {
  let summary = "sum a tensor down to a shape it was broadcast from";
  let description = [{
    The adjoint of `nn.broadcast_to`: sums over the leading dims the result
    lacks and over the dims where the result has size 1.
  }];
  let arguments = (ins NN_F32Tensor:$input);
  let results = (outs NN_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def NN_ReshapeOp : NN_ComputeOp<"reshape", [
    DeclareOpInterfaceMethods<DifferentiableOpInterface>]> {
  let summary = "same elements in row-major order, another shape";
  let description = [{
    Static shapes must hold the same number of elements; a dynamic (batch)
    dim may only be kept, with the static dims multiplying to the same count.
  }];
  let arguments = (ins NN_F32Tensor:$input);
  let results = (outs NN_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def NN_ElementCountOp : NN_ComputeOp<"element_count", [InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<DifferentiableOpInterface>]> {
  let summary = "number of elements of the input over `axes`, as f32";
  let description = [{
    Reads only the input's shape, so a mean over the (dynamic) batch dim can
    divide by the batch size known at run time. Folds when the axes are static.
  }];
  let arguments = (ins NN_AnyTensor:$input, DenseI64ArrayAttr:$axes);
  let results = (outs NN_Scalar:$result);
  let assemblyFormat = "$input `axes` `=` $axes attr-dict `:` type($input)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

class NN_LossFnOp<string mnemonic, string formula>
    : NN_ComputeOp<mnemonic, [InferTypeOpAdaptor,
        DeclareOpInterfaceMethods<DifferentiableOpInterface>]> {
  let summary = formula;
  let arguments = (ins NN_F32Tensor:$prediction, NN_F32Tensor:$target);
  let results = (outs NN_Scalar:$result);
  let assemblyFormat = "$prediction `,` $target attr-dict `:` functional-type(operands, results)";
}

def NN_MseOp : NN_LossFnOp<"mse", "mean squared error (1/n) Σ (a - y)²">;
def NN_BinaryCrossEntropyOp : NN_LossFnOp<"binary_cross_entropy",
    "-(1/n) Σ [y ln a + (1 - y) ln(1 - a)], each ln clamped to >= -100"> {
  let description = [{
    Takes probabilities `a` in [0, 1]. The logarithms are clamped at -100 (as
    PyTorch does) so a saturated sigmoid gives a large finite loss.
  }];
}

def NN_SoftmaxCrossEntropyOp : NN_ComputeOp<"softmax_cross_entropy", [
    InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<DifferentiableOpInterface,
                              ["isDifferentiableOperand"]>]> {
  let summary = "mean over samples of −log softmax(logits)[label]";
  let description = [{
    Logits `[..., C]` with classes along the last dim, labels `[...]` of
    class indices (i32). Stable (log-sum-exp with the max subtracted); its
    gradient with respect to the logits is (softmax − one_hot(label)) / n.
    The labels are data and not differentiable. A label outside [0, C)
    reads the nearest class.
  }];
  let arguments = (ins NN_F32Tensor:$logits, NN_I32Tensor:$labels);
  let results = (outs NN_Scalar:$result);
  let assemblyFormat = "$logits `,` $labels attr-dict `:` functional-type(operands, results)";
}

def NN_BinaryCrossEntropyGradOp : NN_ComputeOp<"binary_cross_entropy_grad", [
    AllTypesMatch<["prediction", "target", "result"]>]> {
  let summary = "adjoint of binary_cross_entropy w.r.t. its prediction";
  let description = [{
    `dl · (a - y) / max(a (1 - a), 1e-12) / n` where n is the number of
    elements of `a` and `dl` the scalar adjoint of the loss. Not itself
    differentiable (kiln computes first derivatives only).
  }];
  let arguments = (ins NN_F32Tensor:$prediction, NN_F32Tensor:$target,
                       NN_Scalar:$loss_grad);
  let results = (outs NN_F32Tensor:$result);
  let assemblyFormat = [{
    $prediction `,` $target `,` $loss_grad attr-dict `:` type($prediction) `,` type($loss_grad)
  }];
}

//===----------------------------------------------------------------------===//
// Convolution and pooling (NHWC data, HWIO filters)
//===----------------------------------------------------------------------===//

// Channels innermost in every tensor a convolution touches, so the channels
// are the vector lanes of all three convolutions. Fashion-MNIST's 784 pixels
// are already a 28×28×1 image (a reshape, no transpose), and a flatten before
// a dense layer is free. NCHW would vectorize along the width (28, 14, 7:
// ragged against 16 lanes) and need transposes around the matmuls.

class NN_ConvOp<string mnemonic, list<Trait> traits = []>
    : NN_ComputeOp<mnemonic, traits # [InferTypeOpAdaptor,
        DeclareOpInterfaceMethods<DifferentiableOpInterface>]> {
  // Shared geometry: strides [sh, sw], zero padding [top, bottom, left,
  // right], dilation [dh, dw], groups. Output size along a spatial dim:
  // ⌊(S + lo + hi − d·(K − 1) − 1) / s⌋ + 1.
  dag geometry = (ins DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding,
                      DenseI64ArrayAttr:$dilation, I64Attr:$groups);
}

def NN_Conv2dOp : NN_ConvOp<"conv2d"> {
  let summary = "2-d convolution (cross-correlation) of NHWC data with HWIO filters";
  let description = [{
    y[n, i, j, f] = Σ_{kh, kw, c} x[n, i·sh + kh·dh − top, j·sw + kw·dw − left,
    g·C/G + c] · w[kh, kw, c, f], zero outside x, g = f / (F/G) the group.
    Data is channels-last (NHWC) and filters HWIO: the channels are the
    contiguous, vectorized dim of every tensor a convolution touches.
  }];
  let arguments = !con((ins NN_F32Tensor:$input, NN_F32Tensor:$filter),
                       geometry);
  let results = (outs NN_F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $filter `strides` `=` $strides `padding` `=` $padding
    `dilation` `=` $dilation `groups` `=` $groups attr-dict `:`
    functional-type(operands, results)
  }];
}

def NN_Conv2dInputGradOp : NN_ConvOp<"conv2d_input_grad"> {
  let summary = "adjoint of conv2d w.r.t. its input (a transposed convolution)";
  let description = [{
    dx[n, h, w, c] = Σ dy[n, i, j, f] · w[kh, kw, c', f] over the (i, j,
    kh, kw) with i·sh + kh·dh − top = h and j·sw + kw·dw − left = w.
    `input_size` is [H, W] of the input (the output size alone does not
    determine it when the stride does not divide).
  }];
  let arguments = !con((ins NN_F32Tensor:$output_grad, NN_F32Tensor:$filter),
                       geometry, (ins DenseI64ArrayAttr:$input_size));
  let results = (outs NN_F32Tensor:$result);
  let assemblyFormat = [{
    $output_grad `,` $filter `strides` `=` $strides `padding` `=` $padding
    `dilation` `=` $dilation `groups` `=` $groups `input_size` `=`
    $input_size attr-dict `:` functional-type(operands, results)
  }];
}

def NN_Conv2dFilterGradOp : NN_ConvOp<"conv2d_filter_grad"> {
  let summary = "adjoint of conv2d w.r.t. its filter";
  let description = [{
    dw[kh, kw, c, f] = Σ_{n, i, j} x[n, i·sh + kh·dh − top, j·sw + kw·dw −
    left, g·C/G + c] · dy[n, i, j, f]. `kernel_size` is [KH, KW].
  }];
  let arguments = !con((ins NN_F32Tensor:$input, NN_F32Tensor:$output_grad),
                       geometry, (ins DenseI64ArrayAttr:$kernel_size));
  let results = (outs NN_F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $output_grad `strides` `=` $strides `padding` `=` $padding
    `dilation` `=` $dilation `groups` `=` $groups `kernel_size` `=`
    $kernel_size attr-dict `:` functional-type(operands, results)
  }];
}

class NN_PoolOp<string mnemonic, list<Trait> traits = []>
    : NN_ComputeOp<mnemonic, traits # [InferTypeOpAdaptor,
        DeclareOpInterfaceMethods<DifferentiableOpInterface,
                                  ["isDifferentiableOperand"]>]> {
  dag geometry = (ins DenseI64ArrayAttr:$window, DenseI64ArrayAttr:$strides,
                      DenseI64ArrayAttr:$padding);
}

def NN_MaxPool2dOp : NN_PoolOp<"max_pool2d"> {
  let summary = "max over windows of NHWC data (padding never wins)";
  let description = [{
    With one operand, y[n, i, j, c] = max of x over the window at (i·sh −
    top, j·sw − left) of size `window`, per channel; padded positions are
    −∞. With `values`, the element of `values` at the position of that
    maximum (the first on ties, row-major in the window): the forward
    tangent of max pooling and the adjoint of nn.max_pool2d_grad.
  }];
  let arguments = !con((ins NN_F32Tensor:$input,
                            Optional<NN_F32Tensor>:$values), geometry);
  let results = (outs NN_F32Tensor:$result);
  let assemblyFormat = [{
    $input (`values` $values^)? `window` `=` $window `strides` `=` $strides
    `padding` `=` $padding attr-dict `:` type($input) (`,` type($values)^)?
    `->` type($result)
  }];
}

def NN_MaxPool2dGradOp : NN_PoolOp<"max_pool2d_grad"> {
  let summary = "adjoint of max_pool2d: each window's adjoint to its maximum";
  let description = [{
    dx[n, h, w, c] = Σ dy[n, i, j, c] over the windows (i, j) whose first
    maximum is x[n, h, w, c]. `input` only decides where; the result is
    linear in `output_grad`.
  }];
  let arguments = !con((ins NN_F32Tensor:$input, NN_F32Tensor:$output_grad),
                       geometry);
  let results = (outs NN_F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $output_grad `window` `=` $window `strides` `=` $strides
    `padding` `=` $padding attr-dict `:` type($input) `,` type($output_grad)
    `->` type($result)
  }];
}

def NN_AvgPool2dOp : NN_PoolOp<"avg_pool2d"> {
  let summary = "mean over windows of NHWC data, padding counted as zeros";
  let description = [{
    y[n, i, j, c] = (1 / (KH·KW)) Σ over the window of x (zero where
    padded), as PyTorch's AvgPool2d with count_include_pad.
  }];
  let arguments = !con((ins NN_F32Tensor:$input), geometry);
  let results = (outs NN_F32Tensor:$result);
  let assemblyFormat = [{
    $input `window` `=` $window `strides` `=` $strides `padding` `=` $padding
    attr-dict `:` type($input) `->` type($result)
  }];
}

def NN_AvgPool2dGradOp : NN_PoolOp<"avg_pool2d_grad"> {
  let summary = "adjoint of avg_pool2d: each window's adjoint spread evenly";
  let arguments = !con((ins NN_F32Tensor:$output_grad), geometry,
                       (ins DenseI64ArrayAttr:$input_size));
  let results = (outs NN_F32Tensor:$result);
  let assemblyFormat = [{
    $output_grad `window` `=` $window `strides` `=` $strides `padding` `=`
    $padding `input_size` `=` $input_size attr-dict `:` type($output_grad)
    `->` type($result)
  }];
}

def NN_TrainEvalOp : NN_ComputeOp<"train_eval", [
    AllTypesMatch<["train", "eval", "result"]>,
    DeclareOpInterfaceMethods<DifferentiableOpInterface,
                              ["isDifferentiableOperand"]>]> {
  let summary = "`train` in training, `eval` in evaluation and predict";
  let description = [{
    Batch norm normalises with the batch's statistics in train_step (and
    the gradient and jvp functions) and with its running statistics in
    eval_step and predict: --kiln-outline-steps keeps one operand. The
    derivative flows to `train` only (`eval`'s is zero: the differentiated
    functions are training's).
  }];
  let arguments = (ins NN_F32Tensor:$train, NN_F32Tensor:$eval);
  let results = (outs NN_F32Tensor:$result);
  let assemblyFormat = "$train `,` $eval attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Loops
//===----------------------------------------------------------------------===//

def NN_ScanOp : NN_Op<"scan", [IsolatedFromAbove, SingleBlock,
    RecursiveMemoryEffects, AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<DifferentiableOpInterface,
                              ["isDifferentiableOperand"]>]> {
  let summary = "a loop over a time axis: carries, sequences, closures";
  let description = [{
    Runs its body once per step t of `length` steps (t = length-1 down to 0
    with `reverse`). The body is one step: its block takes the carries, then
    slice t of each sequence (the sequence with its `axis` removed), then the
    closed-over values (parameters), and `nn.yield`s the new carries followed
    by the step's outputs. The results are the final carries followed by the
    step outputs stacked along `axis` (output t at index t, whatever the
    direction). Every sequence has `length` elements along `axis`; dim 0
    stays the batch. The body is isolated from above: what it reads from
    outside is a closure operand, so the loop is a unit that passes (and the
    back end) handle on their own, and its size does not grow with
    `length`.

    Its VJP is a scan in the other direction over the body's VJP: it reads
    the carries each forward step started from (recorded as stacked
    outputs, see `withRecordedCarries`), carries the carries' adjoints and
    the closures' accumulated adjoints, and stacks the sequences' adjoints.
    Its JVP is a scan of the body and its JVP together.

    ```mlir
    %h, %hs = nn.scan length 28 axis 1 carries(%h0) sequences(%x) closures(%w, %u)
        : (tensor<?x64xf32>, tensor<?x28x28xf32>, tensor<28x64xf32>, tensor<64x64xf32>)
        -> (tensor<?x64xf32>, tensor<?x28x64xf32>) {
    ^bb0(%h_in: tensor<?x64xf32>, %x_t: tensor<?x28xf32>, %w_: tensor<28x64xf32>, %u_: tensor<64x64xf32>):
      ...
      nn.yield %h_out, %h_out : tensor<?x64xf32>, tensor<?x64xf32>
    }
    ```
  }];
  let arguments = (ins Variadic<NN_AnyTensor>:$inits,
                       Variadic<NN_AnyTensor>:$sequences,
                       Variadic<NN_AnyTensor>:$closures,
                       I64Attr:$length, I64Attr:$axis, UnitAttr:$reverse);
  let results = (outs Variadic<NN_AnyTensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    `length` $length `axis` $axis (`reverse` $reverse^)?
    `carries` `(` $inits `)` `sequences` `(` $sequences `)`
    `closures` `(` $closures `)` attr-dict `:`
    functional-type(operands, results) $body
  }];
  let hasRegionVerifier = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    ::mlir::Block &getBodyBlock() { return getBody().front(); }
    unsigned getNumCarries() { return getInits().size(); }
    ::mlir::ResultRange getFinals() {
      return getResults().take_front(getNumCarries());
    }
    ::mlir::ResultRange getStacked() {
      return getResults().drop_front(getNumCarries());
    }
    ::mlir::Block::BlockArgListType getCarryArgs() {
      return getBodyBlock().getArguments().take_front(getNumCarries());
    }
    ::mlir::Block::BlockArgListType getSliceArgs() {
      return getBodyBlock().getArguments().slice(getNumCarries(),
                                                 getSequences().size());
    }
    ::mlir::Block::BlockArgListType getClosureArgs() {
      return getBodyBlock().getArguments().drop_front(
          getNumCarries() + getSequences().size());
    }
    /// The body's terminator.
    YieldOp getYield();
    /// The stacked result that records carry #i as each step received it
    /// (a step output that yields the carry's block argument), or null.
    ::mlir::Value getRecordedCarry(unsigned i);
    /// A copy of this scan, built at `b`, that also records every carry
    /// not recorded yet (its results start with this scan's). The reverse
    /// sweep reads the carries each step started from.
    ScanOp withRecordedCarries(::mlir::OpBuilder &b);
    /// The type of one step's slice of a sequence of type `sequence`: its
    /// `axis` removed (null when it has no such axis).
    static ::mlir::RankedTensorType sliceType(::mlir::Type sequence,
                                              int64_t axis);
    /// The type of `length` step outputs of type `step` stacked along
    /// `axis` (null when `step` has fewer than `axis` dims).
    static ::mlir::RankedTensorType stackedType(::mlir::Type step,
                                                int64_t length, int64_t axis);
  }];
}

def NN_YieldOp : NN_Op<"yield", [Terminator, HasParent<"ScanOp">, Pure,
                                 ReturnLike]> {
  let summary = "one step's new carries, then its outputs";
  let arguments = (ins Variadic<NN_AnyTensor>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
}

#endif // KILN_NN_OPS_TD
