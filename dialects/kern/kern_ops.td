//===- kern_ops.td - the kern dialect ----------------------*- tablegen -*-===//
#ifndef KILN_KERN_OPS_TD
#define KILN_KERN_OPS_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"

def Kern_Dialect : Dialect {
  let name = "kern";
  let cppNamespace = "::kiln::kern";
  let summary = "kernels: groups of nn ops that become one Halide pipeline";
  let description = [{
    After --kiln-fuse every step function is a sequence of `kern.kernel`
    ops. Each reads its explicit operands, computes the nn ops in its body
    (intermediates never reach memory) and yields its results.
  }];
}

class Kern_Op<string mnemonic, list<Trait> traits = []>
    : Op<Kern_Dialect, mnemonic, traits>;

// The contract between --kiln-fuse and the back end: the back end builds
// the template the schedule names, and the verifier checks that the body
// holds what that template needs.
def Kern_Schedule : I32EnumAttr<"Schedule", "how the back end schedules a kernel", [
    I32EnumAttrCase<"pointwise", 0>,
    I32EnumAttrCase<"reduction", 1>,
    I32EnumAttrCase<"conv", 2>,
    I32EnumAttrCase<"matmul", 3>,
    I32EnumAttrCase<"autoschedule", 4, "auto">]> {
  let cppNamespace = "::kiln::kern";
}

def Kern_KernelOp : Kern_Op<"kernel", [IsolatedFromAbove,
    RecursiveMemoryEffects, SingleBlock]> {
  let summary = "one fused kernel: explicit inputs, a body of nn ops, results";
  let description = [{
    `schedule` is the template the back end builds, and the verifier holds
    the body to it:
    - `"matmul"`: one nn.matmul, register-tiled, the other ops in its
      epilogue; no convolution;
    - `"conv"`: one convolution (forward, input or filter gradient) with
      its template; no matmul;
    - `"reduction"`: at least one reduction (sums, softmax, pooling), the
      reductions computed once each, no matmul or convolution;
    - `"pointwise"`: elementwise and shape ops only;
    - `"auto:<autoscheduler>"` (`schedule` auto, `autoscheduler` the
      name): a Halide autoscheduler schedules it; pointwise and reduction
      bodies only (matmuls and convolutions keep kiln's templates).
    After --kiln-plan-memory, `slots` gives each result's buffer slot and
    `inplace` the function argument a result overwrites (-1: none).

    ```mlir
    %h = kern.kernel "matmul" (%x, %w, %b) : (tensor<?x784xf32>, tensor<784x512xf32>, tensor<512xf32>) -> tensor<?x512xf32> {
    ^bb0(%x0: tensor<?x784xf32>, %w0: tensor<784x512xf32>, %b0: tensor<512xf32>):
      %0 = nn.matmul %x0, %w0 : ...
      %1 = nn.add %0, %b0 : ...
      %2 = nn.relu %1 : ...
      kern.yield %2 : tensor<?x512xf32>
    }
    ```
  }];
  let arguments = (ins Variadic<AnyRankedTensor>:$inputs,
                       Kern_Schedule:$schedule,
                       OptionalAttr<StrAttr>:$autoscheduler,
                       OptionalAttr<DenseI64ArrayAttr>:$slots,
                       OptionalAttr<DenseI64ArrayAttr>:$inplace);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    custom<Schedule>($schedule, $autoscheduler) `(` $inputs `)` attr-dict `:`
    functional-type($inputs, results)
    $body
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::Block &getBodyBlock() { return getBody().front(); }
    /// "matmul", ..., or "auto:<autoscheduler>": the schedule as printed.
    std::string getScheduleName();
  }];
}

def Kern_YieldOp : Kern_Op<"yield", [Terminator, HasParent<"KernelOp">, Pure,
                                     ReturnLike]> {
  let summary = "the kernel's results";
  let arguments = (ins Variadic<AnyRankedTensor>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
}

#endif // KILN_KERN_OPS_TD
