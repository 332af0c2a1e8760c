// The classic worked example: f(x1, x2) = ln(x1) + x1·x2 − sin(x2) at (2, 5).
// f = 11.652, ∂f/∂x1 = 1/x1 + x2 = 5.5, ∂f/∂x2 = x1 − cos(x2) = 1.716, by
// reverse mode (one sweep, adjoints of x1 and x2 accumulated over their two
// uses each) and by forward mode (one sweep per input).
// RUN: kiln-opt %s --kiln-autodiff --kiln-jvp | FileCheck %s --check-prefix=IR
// RUN: kiln-opt %s --kiln-autodiff --kiln-jvp --kiln-outline-steps \
// RUN:   | kiln-eval - --function=gradient --init-params | FileCheck %s --check-prefix=REVERSE
// RUN: kiln-opt %s --kiln-autodiff --kiln-jvp --kiln-outline-steps \
// RUN:   | kiln-eval - --function=jvp --init-params | FileCheck %s --check-prefix=FORWARD

// IR-LABEL: nn.model @worked_example
// IR-DAG:   %[[X1:.*]] = nn.param "x1" init <constant, 2.000000e+00>
// IR-DAG:   %[[X2:.*]] = nn.param "x2" init <constant, 5.000000e+00>
// IR:       nn.loss
// Reverse: one sweep, from the loss's seed of 1.
// IR:       %[[SEED:.*]] = nn.constant dense<1.000000e+00> : tensor<f32>
//   sin(x2):  −1 · cos(x2)
// IR:       %[[NEG:.*]] = nn.neg %[[SEED]]
// IR:       %[[COS:.*]] = nn.cos %[[X2]]
// IR:       %[[DSIN:.*]] = nn.mul %[[NEG]], %[[COS]]
//   x1·x2:    x2 for x1, x1 for x2
// IR:       %[[DX1M:.*]] = nn.mul %[[SEED]], %[[X2]]
// IR:       %[[DX2M:.*]] = nn.mul %[[SEED]], %[[X1]]
// IR:       %[[DX2:.*]] = nn.add %[[DSIN]], %[[DX2M]]
//   ln(x1):   1 / x1
// IR:       %[[DLOG:.*]] = nn.div %[[SEED]], %[[X1]]
// IR:       %[[DX1:.*]] = nn.add %[[DX1M]], %[[DLOG]]
// IR:       nn.gradient %[[X1]], %[[DX1]] : tensor<f32>
// IR:       nn.gradient %[[X2]], %[[DX2]] : tensor<f32>
// Forward, seeded at x1: ẋ1/x1 + ẋ1·x2 (sin(x2) gets no tangent).
// IR:       %[[T1:.*]] = nn.constant dense<1.000000e+00> : tensor<f32>
// IR:       %[[A:.*]] = nn.div %[[T1]], %[[X1]]
// IR:       %[[B:.*]] = nn.mul %[[T1]], %[[X2]]
// IR:       %[[S1:.*]] = nn.add %[[A]], %[[B]]
// IR:       nn.loss_tangent %[[X1]], %[[S1]] : tensor<f32>
// Forward, seeded at x2: x1·ẋ2 − cos(x2)·ẋ2.
// IR:       %[[T2:.*]] = nn.constant dense<1.000000e+00> : tensor<f32>
// IR:       %[[C:.*]] = nn.mul %[[X1]], %[[T2]]
// IR:       %[[CS:.*]] = nn.cos %[[X2]]
// IR:       %[[D:.*]] = nn.mul %[[T2]], %[[CS]]
// IR:       %[[E:.*]] = nn.neg %[[D]]
// IR:       %[[S2:.*]] = nn.add %[[C]], %[[E]]
// IR:       nn.loss_tangent %[[X2]], %[[S2]] : tensor<f32>

// REVERSE: loss = 11.652
// REVERSE: gradient x1 = 5.5{{$}}
// REVERSE: gradient x2 = 1.716
// FORWARD: loss = 11.652
// FORWARD: loss_tangent x1 = 5.5{{$}}
// FORWARD: loss_tangent x2 = 1.716

nn.model @worked_example {
  %x1 = nn.param "x1" init <constant, 2.0> : tensor<f32>
  %x2 = nn.param "x2" init <constant, 5.0> : tensor<f32>
  %0 = nn.log %x1 : tensor<f32>
  %1 = nn.mul %x1, %x2 : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %2 = nn.sin %x2 : tensor<f32>
  %3 = nn.add %0, %1 : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %f = nn.sub %3, %2 : (tensor<f32>, tensor<f32>) -> tensor<f32>
  nn.loss %f : tensor<f32>
}
