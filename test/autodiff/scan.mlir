// Backprop through a loop: c ← c·w + x_t over three steps, c0 = 1, x = 1,
// w = 0.5, loss = c3 = 1.875. Reverse mode records the carry each step
// started from (the forward scan gains a stacked output yielding its carry
// argument) and runs a reverse scan of the step's VJP that carries ∂c and
// accumulates ∂w: ∂c3/∂w = c2 + w(c1 + w) = 2.75, ∂c3/∂c0 = w³ = 0.125,
// ∂c3/∂x_t = w^(2−t) = 0.25, 0.5, 1. Forward mode scans the step and its
// JVP together (the tangent along all ones of x: 1.75).
// RUN: kiln-opt %s --kiln-autodiff --kiln-jvp | FileCheck %s --check-prefix=IR
// RUN: kiln-opt %s --kiln-autodiff --kiln-jvp --kiln-outline-steps \
// RUN:   | kiln-eval - --function=gradient --init-params | FileCheck %s --check-prefix=REVERSE
// RUN: kiln-opt %s --kiln-autodiff --kiln-jvp --kiln-outline-steps \
// RUN:   | kiln-eval - --function=jvp --init-params | FileCheck %s --check-prefix=FORWARD

// IR-LABEL: nn.model @decay
// The forward scan, recording its carry.
// IR:      %[[F:.*]]:2 = nn.scan length 3 axis 1 carries(%{{.*}}) sequences(%{{.*}}) closures(%{{.*}}) : (tensor<1xf32>, tensor<1x3xf32>, tensor<f32>) -> (tensor<1xf32>, tensor<1x3xf32>) {
// IR-NEXT: ^bb0(%[[C:.*]]: tensor<1xf32>, %{{.*}}: tensor<1xf32>, %{{.*}}: tensor<f32>):
// IR:        nn.yield %{{.*}}, %[[C]] : tensor<1xf32>, tensor<1xf32>
// The backward scan: carries ∂c and ∂w, reads the recorded carries and x
// (no step output has an adjoint), stacks ∂x.
// IR:      nn.scan length 3 axis 1 reverse carries(%{{.*}}, %{{.*}}) sequences(%[[F]]#1, %{{.*}}) closures(%{{.*}}) : (tensor<1xf32>, tensor<f32>, tensor<1x3xf32>, tensor<1x3xf32>, tensor<f32>) -> (tensor<1xf32>, tensor<f32>, tensor<1x3xf32>)
// IR:      nn.gradient
// IR:      nn.gradient
// IR:      nn.gradient
// The forward-mode scan: carries c and ċ.
// IR:      nn.scan length 3 axis 1 carries(%{{.*}}, %{{.*}}) sequences(%{{.*}}) closures(%{{.*}})
// IR:      nn.loss_tangent

// REVERSE: loss = 1.875
// REVERSE-DAG: gradient c0 = [0.125] : 1xf32
// REVERSE-DAG: gradient x = [0.25, 0.5, 1] : 1x3xf32
// REVERSE-DAG: gradient w = 2.75
// FORWARD: loss = 1.875
// FORWARD-DAG: loss_tangent c0 = 0.125
// FORWARD-DAG: loss_tangent x = 1.75
// FORWARD-DAG: loss_tangent w = 2.75

nn.model @decay {
  %c0 = nn.param "c0" init <constant, 1.0> : tensor<1xf32>
  %x = nn.param "x" init <constant, 1.0> : tensor<1x3xf32>
  %w = nn.param "w" init <constant, 0.5> : tensor<f32>
  %r = nn.scan length 3 axis 1 carries(%c0) sequences(%x) closures(%w)
      : (tensor<1xf32>, tensor<1x3xf32>, tensor<f32>) -> (tensor<1xf32>) {
  ^bb0(%c: tensor<1xf32>, %xt: tensor<1xf32>, %w0: tensor<f32>):
    %m = nn.mul %c, %w0 : (tensor<1xf32>, tensor<f32>) -> tensor<1xf32>
    %s = nn.add %m, %xt : (tensor<1xf32>, tensor<1xf32>) -> tensor<1xf32>
    nn.yield %s : tensor<1xf32>
  }
  %f = nn.reduce_sum %r axes = [0] : tensor<1xf32> -> tensor<f32>
  nn.loss %f : tensor<f32>
}
