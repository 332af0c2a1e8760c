// Reverse mode through the losses.
// RUN: kiln-opt %s -split-input-file --kiln-autodiff | FileCheck %s

// mse: d/da = (2·dl / n)(a − y).
// CHECK-LABEL: nn.model @mse
// CHECK-DAG: %[[Y:.*]] = nn.input "y" label
// CHECK-DAG: %[[A:.*]] = nn.add
// CHECK:     nn.loss
// CHECK:     %[[DL:.*]] = nn.constant dense<1.000000e+00> : tensor<f32>
// CHECK:     %[[TWO:.*]] = nn.constant dense<2.000000e+00> : tensor<f32>
// CHECK:     %[[T:.*]] = nn.mul %[[DL]], %[[TWO]]
// CHECK:     %[[N:.*]] = nn.element_count %[[A]] axes = [0, 1] : tensor<?x1xf32>
// CHECK:     %[[S:.*]] = nn.div %[[T]], %[[N]]
// CHECK:     %[[D:.*]] = nn.sub %[[A]], %[[Y]]
// CHECK:     %[[DA:.*]] = nn.mul %[[D]], %[[S]]
// CHECK:     nn.sum_to %[[DA]] : tensor<?x1xf32> -> tensor<1xf32>
nn.model @mse {
  %x = nn.input "x" : tensor<?x1xf32>
  %y = nn.input "y" label : tensor<?x1xf32>
  %b = nn.param "b" init <zeros> : tensor<1xf32>
  %a = nn.add %x, %b : (tensor<?x1xf32>, tensor<1xf32>) -> tensor<?x1xf32>
  %l = nn.mse %a, %y : (tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<f32>
  nn.loss %l : tensor<f32>
}

// -----

// binary cross-entropy: one guarded op for d/da; labels get nothing.
// CHECK-LABEL: nn.model @bce
// CHECK-DAG: %[[Y:.*]] = nn.input "y" label
// CHECK-DAG: %[[P:.*]] = nn.sigmoid
// CHECK:     nn.loss
// CHECK:     %[[DL:.*]] = nn.constant dense<1.000000e+00>
// CHECK:     %[[DP:.*]] = nn.binary_cross_entropy_grad %[[P]], %[[Y]], %[[DL]] : tensor<?x1xf32>, tensor<f32>
// CHECK:     nn.mul %[[DP]], %{{.*}}
// CHECK-NOT: nn.log
nn.model @bce {
  %x = nn.input "x" : tensor<?x1xf32>
  %y = nn.input "y" label : tensor<?x1xf32>
  %b = nn.param "b" init <zeros> : tensor<1xf32>
  %z = nn.add %x, %b : (tensor<?x1xf32>, tensor<1xf32>) -> tensor<?x1xf32>
  %p = nn.sigmoid %z : tensor<?x1xf32>
  %l = nn.binary_cross_entropy %p, %y : (tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<f32>
  nn.loss %l : tensor<f32>
}

// -----

// A soft target that depends on a parameter is differentiated too:
// d/dy = -(dl / n)(ln a − ln(1 − a)).
// CHECK-LABEL: nn.model @bce_soft_target
// CHECK:     %[[T:.*]] = nn.param "t"
// CHECK:     nn.loss
// CHECK:     %[[LA:.*]] = nn.log %[[A:.*]] : tensor<4xf32>
// CHECK:     %[[OMA:.*]] = nn.sub %{{.*}}, %[[A]]
// CHECK:     %[[L1A:.*]] = nn.log %[[OMA]]
// CHECK:     %[[LOGIT:.*]] = nn.sub %[[LA]], %[[L1A]]
// CHECK:     %[[N:.*]] = nn.element_count %[[A]] axes = [0]
// CHECK:     %[[S:.*]] = nn.div %{{.*}}, %[[N]]
// CHECK:     %[[M:.*]] = nn.mul %[[LOGIT]], %[[S]]
// CHECK:     %[[DT:.*]] = nn.neg %[[M]]
// CHECK:     nn.gradient %[[T]], %[[DT]]
nn.model @bce_soft_target {
  %x = nn.input "x" : tensor<4xf32>
  %t = nn.param "t" init <constant, 0.5> : tensor<4xf32>
  %a = nn.sigmoid %x : tensor<4xf32>
  %l = nn.binary_cross_entropy %a, %t : (tensor<4xf32>, tensor<4xf32>) -> tensor<f32>
  nn.loss %l : tensor<f32>
}
