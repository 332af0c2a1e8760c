// --kiln-outline-steps slices the model into train_step, eval_step and
// predict, naming every argument and result for the runtime.
// RUN: kiln-opt %s -split-input-file --kiln-outline-steps | FileCheck %s

// The model keeps only its declarations.
// CHECK-LABEL: nn.model @m
// CHECK-NEXT:    nn.input "x"
// CHECK-NEXT:    nn.input "y" label
// CHECK-NEXT:    nn.param "w"
// CHECK-NEXT:    nn.hyper "lr"
// CHECK-NEXT:  }
// Parameters first, then hyperparameters, then inputs; updates then loss.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:    %[[W:.*]]: tensor<2x1xf32> {nn.param = "w"},
// CHECK-SAME:    %[[LR:.*]]: tensor<f32> {nn.hyper = "lr"},
// CHECK-SAME:    %[[X:.*]]: tensor<?x2xf32> {nn.input = "x"},
// CHECK-SAME:    %[[Y:.*]]: tensor<?x1xf32> {nn.input = "y", nn.label})
// CHECK-SAME:    -> (tensor<2x1xf32> {nn.update = "w"}, tensor<f32> {nn.loss})
// CHECK:         %[[P:.*]] = nn.matmul %[[X]], %[[W]]
// CHECK:         %[[L:.*]] = nn.mse %[[P]], %[[Y]]
// CHECK:         %[[NEW:.*]] = nn.sub %[[W]], %{{.*}}
// CHECK:         return %[[NEW]], %[[L]]
// CHECK-LABEL: func.func @eval_step(
// CHECK-SAME:    {nn.param = "w"}
// CHECK-NOT:     nn.hyper
// CHECK-SAME:    -> (tensor<f32> {nn.loss}, tensor<?x1xf32> {nn.metric = "none", nn.output = "prediction"})
// CHECK-NOT:     nn.sub
// CHECK:         return
// predict takes no label and computes no loss.
// CHECK-LABEL: func.func @predict(
// CHECK-SAME:    %{{.*}}: tensor<2x1xf32> {nn.param = "w"}, %{{.*}}: tensor<?x2xf32> {nn.input = "x"})
// CHECK-SAME:    -> (tensor<?x1xf32> {nn.metric = "none", nn.output = "prediction"})
// CHECK-NEXT:    nn.matmul
// CHECK-NEXT:    return
nn.model @m {
  %x = nn.input "x" : tensor<?x2xf32>
  %y = nn.input "y" label : tensor<?x1xf32>
  %w = nn.param "w" init <zeros> : tensor<2x1xf32>
  %p = nn.matmul %x, %w : (tensor<?x2xf32>, tensor<2x1xf32>) -> tensor<?x1xf32>
  nn.output "prediction" %p : tensor<?x1xf32>
  %l = nn.mse %p, %y : (tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<f32>
  nn.loss %l : tensor<f32>
  %g = nn.matmul %x, %p transpose_lhs : (tensor<?x2xf32>, tensor<?x1xf32>) -> tensor<2x1xf32>
  %lr = nn.hyper "lr" default 0.1 : tensor<f32>
  %s = nn.mul %lr, %g : (tensor<f32>, tensor<2x1xf32>) -> tensor<2x1xf32>
  %n = nn.sub %w, %s : (tensor<2x1xf32>, tensor<2x1xf32>) -> tensor<2x1xf32>
  nn.update %w, %n : tensor<2x1xf32>
}

// -----

// Without updates there is no train_step; without outputs, no predict.
// CHECK-LABEL: nn.model @eval_only
// CHECK-NOT:   func.func @train_step
// CHECK:       func.func @eval_step
// CHECK-NOT:   func.func @predict
nn.model @eval_only {
  %w = nn.param "w" init <zeros> : tensor<f32>
  nn.loss %w : tensor<f32>
}
