// --kiln-optimizer turns each gradient into SGD's θ − lr·g with lr a
// runtime hyperparameter.
// RUN: kiln-opt %s -split-input-file --kiln-optimizer | FileCheck %s
// RUN: kiln-opt %s -split-input-file --kiln-optimizer --mlir-print-debuginfo --mlir-print-local-scope | FileCheck %s --check-prefix=LOC

// CHECK-LABEL: nn.model @sgd
// CHECK:       %[[W:.*]] = nn.param "w"
// CHECK:       %[[B:.*]] = nn.param "b"
// The gradients stay for the gradient function.
// CHECK:       nn.gradient %[[W]], %[[GW:[^ ]*]]
// CHECK:       nn.gradient %[[B]]
// CHECK:       %[[LR:.*]] = nn.hyper "lr" default 2.500000e-01 : tensor<f32>
// CHECK:       %[[S1:.*]] = nn.mul %[[LR]], %[[GW]] : (tensor<f32>, tensor<2x1xf32>) -> tensor<2x1xf32>
// CHECK:       %[[N1:.*]] = nn.sub %[[W]], %[[S1]]
// CHECK:       nn.update %[[W]], %[[N1]] : tensor<2x1xf32>
// CHECK:       %[[S2:.*]] = nn.mul %[[LR]], %{{.*}} : (tensor<f32>, tensor<1xf32>) -> tensor<1xf32>
// CHECK:       %[[N2:.*]] = nn.sub %[[B]], %[[S2]]
// CHECK:       nn.update %[[B]], %[[N2]] : tensor<1xf32>
// The update keeps the parameter's location.
// LOC:         nn.update {{.*}} loc("model.cpp":7:3)
nn.model @sgd attributes {optimizer = {kind = "sgd", lr = 0.25 : f64}} {
  %w = nn.param "w" init <zeros> : tensor<2x1xf32> loc("model.cpp":7:3)
  %b = nn.param "b" init <zeros> : tensor<1xf32>
  %gw = nn.param "gw" init <zeros> : tensor<2x1xf32>
  %gb = nn.param "gb" init <zeros> : tensor<1xf32>
  nn.gradient %w, %gw : tensor<2x1xf32> loc("model.cpp":7:3)
  nn.gradient %b, %gb : tensor<1xf32>
}

// -----

// Without an optimizer attribute: SGD with lr 0.01.
// CHECK-LABEL: nn.model @default
// CHECK:       nn.hyper "lr" default 1.000000e-02 : tensor<f32>
nn.model @default {
  %w = nn.param "w" init <zeros> : tensor<f32>
  nn.gradient %w, %w : tensor<f32>
}

// -----

// Gradients of inputs (asked for with wrt) are not updated.
// CHECK-LABEL: nn.model @input_gradient
// CHECK:       nn.update %{{.*}}, %{{.*}} : tensor<f32>
// CHECK-NOT:   nn.update
nn.model @input_gradient {
  %x = nn.input "x" : tensor<?x2xf32>
  %w = nn.param "w" init <zeros> : tensor<f32>
  nn.gradient %x, %x : tensor<?x2xf32>
  nn.gradient %w, %w : tensor<f32>
}
