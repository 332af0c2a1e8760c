// nn.scan parses, prints and parses again to the same text, in custom and
// in generic form: a tanh RNN cell over 28 steps (a carry, a sequence, two
// closures, a stacked output), a reverse scan, and one with no sequence.
// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// RUN: kiln-opt %s --mlir-print-op-generic | kiln-opt | FileCheck %s

// CHECK-LABEL: func.func @rnn
func.func @rnn(%h0: tensor<?x8xf32>, %x: tensor<?x28x4xf32>, %w: tensor<4x8xf32>, %u: tensor<8x8xf32>) -> (tensor<?x8xf32>, tensor<?x28x8xf32>) {
  // CHECK: %[[R:.*]]:2 = nn.scan length 28 axis 1 carries(%{{.*}}) sequences(%{{.*}}) closures(%{{.*}}, %{{.*}}) : (tensor<?x8xf32>, tensor<?x28x4xf32>, tensor<4x8xf32>, tensor<8x8xf32>) -> (tensor<?x8xf32>, tensor<?x28x8xf32>) {
  // CHECK-NEXT: ^bb0(%[[H:.*]]: tensor<?x8xf32>, %[[XT:.*]]: tensor<?x4xf32>, %[[W:.*]]: tensor<4x8xf32>, %[[U:.*]]: tensor<8x8xf32>):
  // CHECK-NEXT:   %[[A:.*]] = nn.matmul %[[XT]], %[[W]]
  // CHECK-NEXT:   %[[B:.*]] = nn.matmul %[[H]], %[[U]]
  // CHECK-NEXT:   %[[S:.*]] = nn.add %[[A]], %[[B]]
  // CHECK-NEXT:   %[[N:.*]] = nn.sigmoid %[[S]]
  // CHECK-NEXT:   nn.yield %[[N]], %[[N]] : tensor<?x8xf32>, tensor<?x8xf32>
  // CHECK-NEXT: }
  %r:2 = nn.scan length 28 axis 1 carries(%h0) sequences(%x) closures(%w, %u)
      : (tensor<?x8xf32>, tensor<?x28x4xf32>, tensor<4x8xf32>, tensor<8x8xf32>) -> (tensor<?x8xf32>, tensor<?x28x8xf32>) {
  ^bb0(%h: tensor<?x8xf32>, %xt: tensor<?x4xf32>, %w0: tensor<4x8xf32>, %u0: tensor<8x8xf32>):
    %a = nn.matmul %xt, %w0 : (tensor<?x4xf32>, tensor<4x8xf32>) -> tensor<?x8xf32>
    %b = nn.matmul %h, %u0 : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
    %s = nn.add %a, %b : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
    %n = nn.sigmoid %s : tensor<?x8xf32>
    nn.yield %n, %n : tensor<?x8xf32>, tensor<?x8xf32>
  }
  // CHECK: return %[[R]]#0, %[[R]]#1
  return %r#0, %r#1 : tensor<?x8xf32>, tensor<?x28x8xf32>
}

// CHECK-LABEL: func.func @reverse_two_carries
func.func @reverse_two_carries(%a0: tensor<?x3xf32>, %b0: tensor<3xf32>, %x: tensor<?x5x3xf32>) -> (tensor<?x3xf32>, tensor<3xf32>) {
  // CHECK: nn.scan length 5 axis 1 reverse carries(%{{.*}}, %{{.*}}) sequences(%{{.*}}) closures() : (tensor<?x3xf32>, tensor<3xf32>, tensor<?x5x3xf32>) -> (tensor<?x3xf32>, tensor<3xf32>)
  %r:2 = nn.scan length 5 axis 1 reverse carries(%a0, %b0) sequences(%x) closures()
      : (tensor<?x3xf32>, tensor<3xf32>, tensor<?x5x3xf32>) -> (tensor<?x3xf32>, tensor<3xf32>) {
  ^bb0(%a: tensor<?x3xf32>, %b: tensor<3xf32>, %xt: tensor<?x3xf32>):
    %s = nn.mul %a, %xt : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
    %t = nn.add %s, %b : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
    nn.yield %t, %b : tensor<?x3xf32>, tensor<3xf32>
  }
  return %r#0, %r#1 : tensor<?x3xf32>, tensor<3xf32>
}

// CHECK-LABEL: func.func @no_sequence
func.func @no_sequence(%c0: tensor<2xf32>) -> tensor<2x4xf32> {
  // CHECK: nn.scan length 4 axis 1 carries(%{{.*}}) sequences() closures() : (tensor<2xf32>) -> (tensor<2xf32>, tensor<2x4xf32>)
  %r:2 = nn.scan length 4 axis 1 carries(%c0) sequences() closures()
      : (tensor<2xf32>) -> (tensor<2xf32>, tensor<2x4xf32>) {
  ^bb0(%c: tensor<2xf32>):
    %d = nn.add %c, %c : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
    nn.yield %d, %c : tensor<2xf32>, tensor<2xf32>
  }
  return %r#1 : tensor<2x4xf32>
}
