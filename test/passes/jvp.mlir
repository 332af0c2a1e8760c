// Forward mode: each seeded value starts with an all-ones tangent and every
// op between it and the loss applies its JVP rule.
// RUN: kiln-opt %s -split-input-file --kiln-jvp | FileCheck %s
// RUN: kiln-opt %s -split-input-file --kiln-jvp="wrt=x" | FileCheck %s --check-prefix=INPUT

// CHECK-LABEL: nn.model @dense
// CHECK-DAG: %[[X:.*]] = nn.input "x"
// CHECK-DAG: %[[W:.*]] = nn.param "w"
// CHECK-DAG: %[[S:.*]] = nn.sigmoid
// CHECK:     nn.loss
// CHECK:     %[[TW:.*]] = nn.constant dense<1.000000e+00> : tensor<3x2xf32>
// ẏ = x·Ẇ
// CHECK:     %[[TY:.*]] = nn.matmul %[[X]], %[[TW]] : (tensor<?x3xf32>, tensor<3x2xf32>) -> tensor<?x2xf32>
// ṡ = ẏ·σ(1 − σ), from the saved σ
// CHECK:     %[[OMS:.*]] = nn.sub %{{.*}}, %[[S]]
// CHECK:     %[[SL:.*]] = nn.mul %[[S]], %[[OMS]]
// CHECK:     %[[TS:.*]] = nn.mul %[[TY]], %[[SL]]
// CHECK:     %[[TL:.*]] = nn.reduce_mean %[[TS]] axes = [0, 1]
// CHECK:     nn.loss_tangent %[[W]], %[[TL]] : tensor<3x2xf32>
// A batch input is seeded with a broadcast of ones.
// INPUT-LABEL: nn.model @dense
// INPUT:     %[[ONE:.*]] = nn.constant dense<1.000000e+00> : tensor<f32>
// INPUT:     %[[TX:.*]] = nn.broadcast_to %[[ONE]] : tensor<f32> -> tensor<?x3xf32>
// INPUT:     nn.matmul %[[TX]], %{{.*}} : (tensor<?x3xf32>, tensor<3x2xf32>)
// INPUT:     nn.loss_tangent %{{.*}}, %{{.*}} : tensor<?x3xf32>
nn.model @dense {
  %x = nn.input "x" : tensor<?x3xf32>
  %w = nn.param "w" init <ones> : tensor<3x2xf32>
  %y = nn.matmul %x, %w : (tensor<?x3xf32>, tensor<3x2xf32>) -> tensor<?x2xf32>
  %s = nn.sigmoid %y : tensor<?x2xf32>
  %l = nn.reduce_mean %s axes = [0, 1] : tensor<?x2xf32> -> tensor<f32>
  nn.loss %l : tensor<f32>
}

// -----

// mse: l̇ = (2/n) Σ (a − y)·ȧ; the broadcast parameter's tangent is
// broadcast first.
// CHECK-LABEL: nn.model @mse
// CHECK-DAG: %[[Y:.*]] = nn.input "y" label
// CHECK-DAG: %[[B:.*]] = nn.param "b"
// CHECK-DAG: %[[A:.*]] = nn.add
// CHECK:     nn.loss
// CHECK:     %[[T:.*]] = nn.broadcast_to %{{.*}} : tensor<1xf32> -> tensor<?x1xf32>
// CHECK:     %[[D:.*]] = nn.sub %[[A]], %[[Y]]
// CHECK:     %[[P:.*]] = nn.mul %[[D]], %[[T]]
// CHECK:     %[[S:.*]] = nn.reduce_sum %[[P]] axes = [0, 1]
// CHECK:     %[[N:.*]] = nn.element_count %[[A]] axes = [0, 1]
// CHECK:     %[[K:.*]] = nn.div %{{.*}}, %[[N]]
// CHECK:     %[[TL:.*]] = nn.mul %[[S]], %[[K]]
// CHECK:     nn.loss_tangent %[[B]], %[[TL]]
nn.model @mse {
  %x = nn.input "x" : tensor<?x1xf32>
  %y = nn.input "y" label : tensor<?x1xf32>
  %b = nn.param "b" init <zeros> : tensor<1xf32>
  %p = nn.add %x, %b : (tensor<?x1xf32>, tensor<1xf32>) -> tensor<?x1xf32>
  %l = nn.mse %p, %y : (tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<f32>
  nn.loss %l : tensor<f32>
}

// -----

// A value the loss does not depend on gets no tangent ops; a seed the loss
// does not depend on gets a zero tangent.
// CHECK-LABEL: nn.model @unused_paths
// CHECK:     nn.loss
// CHECK-NOT: nn.exp
// CHECK:     nn.loss_tangent %{{.*}}, %{{.*}} : tensor<2xf32>
// CHECK:     %[[Z:.*]] = nn.constant dense<0.000000e+00> : tensor<f32>
// CHECK:     nn.loss_tangent %{{.*}}, %[[Z]] : tensor<2xf32>
nn.model @unused_paths {
  %x = nn.input "x" : tensor<?x2xf32>
  %w = nn.param "w" init <ones> : tensor<2xf32>
  %v = nn.param "v" init <ones> : tensor<2xf32>
  %e = nn.exp %w : tensor<2xf32>
  nn.output "e" %e : tensor<2xf32>
  nn.output "v" %v : tensor<2xf32>
  %p = nn.mul %x, %w : (tensor<?x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  %l = nn.reduce_mean %p axes = [0, 1] : tensor<?x2xf32> -> tensor<f32>
  nn.loss %l : tensor<f32>
}
