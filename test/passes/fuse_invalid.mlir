// --kiln-fuse refuses a function that already holds kernels.
// RUN: kiln-opt %s --kiln-fuse -verify-diagnostics

func.func @twice(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{function @twice is already fused}}
  %0 = kern.kernel "pointwise"(%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %1 = nn.exp %a : tensor<4xf32>
    kern.yield %1 : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}
