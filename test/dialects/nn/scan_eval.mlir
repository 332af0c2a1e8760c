// The reference evaluator runs nn.scan step by step: a running sum forward
// and in reverse (outputs land at their step's index either way), and a
// carry scaled by a closure each step (c ← c·w + x_t).
// RUN: kiln-eval %s --function=cumsum --arg '#0=0,0' --arg '#1=1,2,3,4,5,6' | FileCheck %s --check-prefix=FWD
// RUN: kiln-eval %s --function=cumsum_reverse --arg '#0=0,0' --arg '#1=1,2,3,4,5,6' | FileCheck %s --check-prefix=REV
// RUN: kiln-eval %s --function=decay --arg '#0=1,1' --arg '#1=1,2,3,4,5,6' --arg '#2=0.5' | FileCheck %s --check-prefix=DECAY

// FWD: result #0 = [6, 15] : 2xf32
// FWD: result #1 = [1, 3, 6, 4, 9, 15] : 2x3xf32
func.func @cumsum(%c0: tensor<2xf32>, %x: tensor<2x3xf32>) -> (tensor<2xf32>, tensor<2x3xf32>) {
  %r:2 = nn.scan length 3 axis 1 carries(%c0) sequences(%x) closures()
      : (tensor<2xf32>, tensor<2x3xf32>) -> (tensor<2xf32>, tensor<2x3xf32>) {
  ^bb0(%c: tensor<2xf32>, %xt: tensor<2xf32>):
    %s = nn.add %c, %xt : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
    nn.yield %s, %s : tensor<2xf32>, tensor<2xf32>
  }
  return %r#0, %r#1 : tensor<2xf32>, tensor<2x3xf32>
}

// REV: result #0 = [6, 15] : 2xf32
// REV: result #1 = [6, 5, 3, 15, 11, 6] : 2x3xf32
func.func @cumsum_reverse(%c0: tensor<2xf32>, %x: tensor<2x3xf32>) -> (tensor<2xf32>, tensor<2x3xf32>) {
  %r:2 = nn.scan length 3 axis 1 reverse carries(%c0) sequences(%x) closures()
      : (tensor<2xf32>, tensor<2x3xf32>) -> (tensor<2xf32>, tensor<2x3xf32>) {
  ^bb0(%c: tensor<2xf32>, %xt: tensor<2xf32>):
    %s = nn.add %c, %xt : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
    nn.yield %s, %s : tensor<2xf32>, tensor<2xf32>
  }
  return %r#0, %r#1 : tensor<2xf32>, tensor<2x3xf32>
}

// c: 1 → 0.5+1 = 1.5 → 0.75+2 = 2.75 → 1.375+3 = 4.375 (first row)
// DECAY: result #0 = [4.375, 9.625] : 2xf32
func.func @decay(%c0: tensor<2xf32>, %x: tensor<2x3xf32>, %w: tensor<f32>) -> tensor<2xf32> {
  %r = nn.scan length 3 axis 1 carries(%c0) sequences(%x) closures(%w)
      : (tensor<2xf32>, tensor<2x3xf32>, tensor<f32>) -> (tensor<2xf32>) {
  ^bb0(%c: tensor<2xf32>, %xt: tensor<2xf32>, %w0: tensor<f32>):
    %m = nn.mul %c, %w0 : (tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
    %s = nn.add %m, %xt : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
    nn.yield %s : tensor<2xf32>
  }
  return %r : tensor<2xf32>
}
