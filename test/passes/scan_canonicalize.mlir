// Canonicalization drops what a loop computes for nobody: a step output no
// one reads (the carry recorded for a backward loop, in eval_step) and a
// closure the body does not read.
// RUN: kiln-opt %s --canonicalize | FileCheck %s

// CHECK-LABEL: func.func @eval
// CHECK:      nn.scan length 3 axis 1 carries(%{{.*}}) sequences(%{{.*}}) closures(%{{.*}}) : (tensor<?x2xf32>, tensor<?x3x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32> {
// CHECK-NEXT: ^bb0(%[[C:.*]]: tensor<?x2xf32>, %[[X:.*]]: tensor<?x2xf32>, %[[W:.*]]: tensor<2x2xf32>):
// CHECK:        nn.yield %{{.*}} : tensor<?x2xf32>
func.func @eval(%c0: tensor<?x2xf32>, %x: tensor<?x3x2xf32>, %w: tensor<2x2xf32>, %unused: tensor<2xf32>) -> tensor<?x2xf32> {
  %r:2 = nn.scan length 3 axis 1 carries(%c0) sequences(%x) closures(%w, %unused)
      : (tensor<?x2xf32>, tensor<?x3x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> (tensor<?x2xf32>, tensor<?x3x2xf32>) {
  ^bb0(%c: tensor<?x2xf32>, %xt: tensor<?x2xf32>, %w0: tensor<2x2xf32>, %u0: tensor<2xf32>):
    %m = nn.matmul %c, %w0 : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
    %s = nn.add %m, %xt : (tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x2xf32>
    nn.yield %s, %c : tensor<?x2xf32>, tensor<?x2xf32>
  }
  return %r#0 : tensor<?x2xf32>
}
