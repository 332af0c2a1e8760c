// --kiln-plan-memory plans kernels only: an nn op left outside a kernel
// means --kiln-fuse did not run.
// RUN: kiln-opt %s --kiln-plan-memory -verify-diagnostics

func.func @unfused(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{kiln-plan-memory: 'nn.exp' outside a kern.kernel (run --kiln-fuse first)}}
  %0 = nn.exp %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}
