// The whole model pipeline on logistic regression: the train step holds
// forward, backward and update, with the shared constant folded by CSE.
// RUN: kiln-opt %s --kiln-verify-shapes --kiln-autodiff --kiln-optimizer --kiln-outline-steps --canonicalize --cse | FileCheck %s
// The registered pipeline also fuses: train_step is four kernels.
// RUN: kiln-opt %s --kiln-train-pipeline | FileCheck %s --check-prefix=FUSED
// FUSED-LABEL: func.func @train_step(
// FUSED-COUNT-4: kern.kernel
// FUSED-NOT: kern.kernel
// FUSED: return

// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:    %[[W:[^:]*]]: tensor<30x1xf32> {nn.param = "w"}, %[[B:[^:]*]]: tensor<1xf32> {nn.param = "b"}, %[[LR:[^:]*]]: tensor<f32> {nn.hyper = "lr"}, %[[X:[^:]*]]: tensor<?x30xf32> {nn.input = "x"}, %[[Y:[^:]*]]: tensor<?x1xf32> {nn.input = "y", nn.label}
// CHECK:         %[[ONE:.*]] = nn.constant dense<1.000000e+00> : tensor<f32>
// CHECK:         %[[Z:.*]] = nn.matmul %[[X]], %[[W]]
// CHECK:         %[[ZB:.*]] = nn.add %[[Z]], %[[B]]
// CHECK:         %[[P:.*]] = nn.sigmoid %[[ZB]]
// CHECK:         %[[L:.*]] = nn.binary_cross_entropy %[[P]], %[[Y]]
// CHECK:         %[[DP:.*]] = nn.binary_cross_entropy_grad %[[P]], %[[Y]], %[[ONE]]
// CHECK:         %[[OMS:.*]] = nn.sub %[[ONE]], %[[P]]
// CHECK:         %[[SL:.*]] = nn.mul %[[P]], %[[OMS]]
// CHECK:         %[[DZ:.*]] = nn.mul %[[DP]], %[[SL]]
// CHECK:         %[[DB:.*]] = nn.sum_to %[[DZ]] : tensor<?x1xf32> -> tensor<1xf32>
// CHECK:         %[[DW:.*]] = nn.matmul %[[X]], %[[DZ]] transpose_lhs
// CHECK:         %[[SW:.*]] = nn.mul %[[LR]], %[[DW]]
// CHECK:         %[[NW:.*]] = nn.sub %[[W]], %[[SW]]
// CHECK:         %[[SB:.*]] = nn.mul %[[LR]], %[[DB]]
// CHECK:         %[[NB:.*]] = nn.sub %[[B]], %[[SB]]
// CHECK:         return %[[NW]], %[[NB]], %[[L]]
// CHECK-NOT:     nn.constant
// CHECK-LABEL: func.func @eval_step
// CHECK-LABEL: func.func @predict
nn.model @logistic_regression attributes {optimizer = {kind = "sgd", lr = 0.1 : f64}} {
  %x = nn.input "x" : tensor<?x30xf32>
  %y = nn.input "y" label : tensor<?x1xf32>
  %w = nn.param "w" init <xavier_uniform> : tensor<30x1xf32>
  %b = nn.param "b" init <zeros> : tensor<1xf32>
  %0 = nn.matmul %x, %w : (tensor<?x30xf32>, tensor<30x1xf32>) -> tensor<?x1xf32>
  %1 = nn.add %0, %b : (tensor<?x1xf32>, tensor<1xf32>) -> tensor<?x1xf32>
  %2 = nn.sigmoid %1 : tensor<?x1xf32>
  %3 = nn.binary_cross_entropy %2, %y : (tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<f32>
  nn.output "prob" %2 {metric = "binary_accuracy"} : tensor<?x1xf32>
  nn.loss %3 : tensor<f32>
}
