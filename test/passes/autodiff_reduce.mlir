// Reverse mode through reductions and shape moves.
// RUN: kiln-opt %s -split-input-file --kiln-autodiff | FileCheck %s

// reduce_sum without keepdims: put the reduced axis back as size 1, then
// broadcast over it.
// CHECK-LABEL: nn.model @sum_inner
// CHECK:     %[[W:.*]] = nn.param "w"
// CHECK:     nn.loss
// CHECK:     %[[DS:.*]] = nn.broadcast_to %{{.*}} : tensor<1xf32> -> tensor<4xf32>
// CHECK:     %[[K:.*]] = nn.reshape %[[DS]] : tensor<4xf32> -> tensor<4x1xf32>
// CHECK:     %[[DW:.*]] = nn.broadcast_to %[[K]] : tensor<4x1xf32> -> tensor<4x3xf32>
// CHECK:     nn.gradient %[[W]], %[[DW]]
nn.model @sum_inner {
  %w = nn.param "w" init <ones> : tensor<4x3xf32>
  %s = nn.reduce_sum %w axes = [1] : tensor<4x3xf32> -> tensor<4xf32>
  %l = nn.reduce_sum %s axes = [0] : tensor<4xf32> -> tensor<f32>
  nn.loss %l : tensor<f32>
}

// -----

// reduce_mean with keepdims over the batch: 1/n with n counted at run time.
// CHECK-LABEL: nn.model @mean_batch
// CHECK:     nn.loss
// CHECK:     %[[N:.*]] = nn.element_count %{{.*}} axes = [0] : tensor<?x3xf32>
// CHECK:     %[[INV:.*]] = nn.div %{{.*}}, %[[N]] : (tensor<f32>, tensor<f32>) -> tensor<f32>
// CHECK:     %[[S:.*]] = nn.mul %{{.*}}, %[[INV]] : (tensor<1x3xf32>, tensor<f32>) -> tensor<1x3xf32>
// CHECK:     nn.broadcast_to %[[S]] : tensor<1x3xf32> -> tensor<?x3xf32>
nn.model @mean_batch {
  %x = nn.input "x" : tensor<?x3xf32>
  %w = nn.param "w" init <ones> : tensor<3xf32>
  %0 = nn.mul %x, %w : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %m = nn.reduce_mean %0 axes = [0] keepdims : tensor<?x3xf32> -> tensor<1x3xf32>
  %l = nn.reduce_sum %m axes = [0, 1] : tensor<1x3xf32> -> tensor<f32>
  nn.loss %l : tensor<f32>
}

// -----

// broadcast_to and sum_to are each other's adjoints; reshape undoes itself.
// CHECK-LABEL: nn.model @moves
// CHECK:     %[[W:.*]] = nn.param "w"
// CHECK:     nn.loss
// CHECK:     %[[G1:.*]] = nn.reshape %{{.*}} : tensor<2x3xf32> -> tensor<6xf32>
// CHECK:     %[[G2:.*]] = nn.broadcast_to %[[G1]] : tensor<6xf32> -> tensor<4x6xf32>
// CHECK:     %[[G3:.*]] = nn.sum_to %[[G2]] : tensor<4x6xf32> -> tensor<6xf32>
// CHECK:     nn.gradient %[[W]], %[[G3]]
nn.model @moves {
  %w = nn.param "w" init <ones> : tensor<6xf32>
  %b = nn.broadcast_to %w : tensor<6xf32> -> tensor<4x6xf32>
  %s = nn.sum_to %b : tensor<4x6xf32> -> tensor<6xf32>
  %r = nn.reshape %s : tensor<6xf32> -> tensor<2x3xf32>
  %l = nn.reduce_sum %r axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  nn.loss %l : tensor<f32>
}
