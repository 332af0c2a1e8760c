// Reverse mode through matmul: dA = dC·op(B)ᵀ and dB = op(A)ᵀ·dC, produced
// directly in each operand's own layout by choosing transposition flags.
// RUN: kiln-opt %s -split-input-file --kiln-autodiff | FileCheck %s

// CHECK-LABEL: nn.model @plain
// CHECK-DAG:   %[[A:.*]] = nn.param "a"
// CHECK-DAG:   %[[B:.*]] = nn.param "b"
// CHECK:       %[[DC:.*]] = nn.broadcast_to %{{.*}} : tensor<1x1xf32> -> tensor<4x2xf32>
// CHECK:       %[[DA:.*]] = nn.matmul %[[DC]], %[[B]] transpose_rhs : (tensor<4x2xf32>, tensor<3x2xf32>) -> tensor<4x3xf32>
// CHECK:       %[[DB:.*]] = nn.matmul %[[A]], %[[DC]] transpose_lhs : (tensor<4x3xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
// CHECK:       nn.gradient %[[A]], %[[DA]] : tensor<4x3xf32>
// CHECK:       nn.gradient %[[B]], %[[DB]] : tensor<3x2xf32>
nn.model @plain {
  %a = nn.param "a" init <zeros> : tensor<4x3xf32>
  %b = nn.param "b" init <zeros> : tensor<3x2xf32>
  %c = nn.matmul %a, %b : (tensor<4x3xf32>, tensor<3x2xf32>) -> tensor<4x2xf32>
  %l = nn.reduce_sum %c axes = [0, 1] : tensor<4x2xf32> -> tensor<f32>
  nn.loss %l : tensor<f32>
}

// -----

// C = Aᵀ·B:  dA = B·dCᵀ,  dB = A·dC.
// CHECK-LABEL: nn.model @transpose_lhs
// CHECK-DAG:   %[[A:.*]] = nn.param "a"
// CHECK-DAG:   %[[B:.*]] = nn.param "b"
// CHECK:       %[[DC:.*]] = nn.broadcast_to
// CHECK:       %[[DA:.*]] = nn.matmul %[[B]], %[[DC]] transpose_rhs : (tensor<3x2xf32>, tensor<4x2xf32>) -> tensor<3x4xf32>
// CHECK:       %[[DB:.*]] = nn.matmul %[[A]], %[[DC]] : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
// CHECK:       nn.gradient %[[A]], %[[DA]]
// CHECK:       nn.gradient %[[B]], %[[DB]]
nn.model @transpose_lhs {
  %a = nn.param "a" init <zeros> : tensor<3x4xf32>
  %b = nn.param "b" init <zeros> : tensor<3x2xf32>
  %c = nn.matmul %a, %b transpose_lhs : (tensor<3x4xf32>, tensor<3x2xf32>) -> tensor<4x2xf32>
  %l = nn.reduce_sum %c axes = [0, 1] : tensor<4x2xf32> -> tensor<f32>
  nn.loss %l : tensor<f32>
}

// -----

// C = A·Bᵀ:  dA = dC·B,  dB = dCᵀ·A.
// CHECK-LABEL: nn.model @transpose_rhs
// CHECK-DAG:   %[[A:.*]] = nn.param "a"
// CHECK-DAG:   %[[B:.*]] = nn.param "b"
// CHECK:       %[[DC:.*]] = nn.broadcast_to
// CHECK:       %[[DA:.*]] = nn.matmul %[[DC]], %[[B]] : (tensor<4x2xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
// CHECK:       %[[DB:.*]] = nn.matmul %[[DC]], %[[A]] transpose_lhs : (tensor<4x2xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
// CHECK:       nn.gradient %[[A]], %[[DA]]
// CHECK:       nn.gradient %[[B]], %[[DB]]
nn.model @transpose_rhs {
  %a = nn.param "a" init <zeros> : tensor<4x3xf32>
  %b = nn.param "b" init <zeros> : tensor<2x3xf32>
  %c = nn.matmul %a, %b transpose_rhs : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  %l = nn.reduce_sum %c axes = [0, 1] : tensor<4x2xf32> -> tensor<f32>
  nn.loss %l : tensor<f32>
}

// -----

// C = Aᵀ·Bᵀ:  dA = Bᵀ·dCᵀ,  dB = dCᵀ·Aᵀ.
// CHECK-LABEL: nn.model @transpose_both
// CHECK-DAG:   %[[A:.*]] = nn.param "a"
// CHECK-DAG:   %[[B:.*]] = nn.param "b"
// CHECK:       %[[DC:.*]] = nn.broadcast_to
// CHECK:       %[[DA:.*]] = nn.matmul %[[B]], %[[DC]] transpose_lhs transpose_rhs : (tensor<2x3xf32>, tensor<4x2xf32>) -> tensor<3x4xf32>
// CHECK:       %[[DB:.*]] = nn.matmul %[[DC]], %[[A]] transpose_lhs transpose_rhs : (tensor<4x2xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
// CHECK:       nn.gradient %[[A]], %[[DA]]
// CHECK:       nn.gradient %[[B]], %[[DB]]
nn.model @transpose_both {
  %a = nn.param "a" init <zeros> : tensor<3x4xf32>
  %b = nn.param "b" init <zeros> : tensor<2x3xf32>
  %c = nn.matmul %a, %b transpose_lhs transpose_rhs : (tensor<3x4xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  %l = nn.reduce_sum %c axes = [0, 1] : tensor<4x2xf32> -> tensor<f32>
  nn.loss %l : tensor<f32>
}

// -----

// A batch input is not differentiated: only the weight gets a product.
// CHECK-LABEL: nn.model @input_times_weight
// CHECK-DAG:   %[[X:.*]] = nn.input "x"
// CHECK-DAG:   %[[W:.*]] = nn.param "w"
// CHECK:       nn.loss
// CHECK:       %[[DW:.*]] = nn.matmul %[[X]], %{{.*}} transpose_lhs : (tensor<?x3xf32>, tensor<?x2xf32>) -> tensor<3x2xf32>
// CHECK-NOT:   nn.matmul
// CHECK:       nn.gradient %[[W]], %[[DW]]
nn.model @input_times_weight {
  %x = nn.input "x" : tensor<?x3xf32>
  %w = nn.param "w" init <zeros> : tensor<3x2xf32>
  %c = nn.matmul %x, %w : (tensor<?x3xf32>, tensor<3x2xf32>) -> tensor<?x2xf32>
  %l = nn.reduce_mean %c axes = [0, 1] : tensor<?x2xf32> -> tensor<f32>
  nn.loss %l : tensor<f32>
}
