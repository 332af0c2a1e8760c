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

// -----

// Dropout trains and does not evaluate: train_step (and the gradient
// function) keep it, seeded by the step; eval_step and predict see its input
// and take no step argument.
// CHECK-LABEL: nn.model @dropout
// CHECK:       func.func @train_step(%{{.*}}: tensor<3x1xf32> {nn.param = "w"}, %[[STEP:.*]]: tensor<f32> {nn.hyper = "step"}, %{{.*}}: tensor<f32> {nn.hyper = "lr"}, %[[X:.*]]: tensor<?x3xf32> {nn.input = "x"}
// CHECK:         nn.dropout %[[X]], %[[STEP]] rate = 5.000000e-01 salt = 0
// CHECK:       func.func @eval_step(%{{.*}}: tensor<3x1xf32> {nn.param = "w"}, %[[EX:.*]]: tensor<?x3xf32> {nn.input = "x"}, %{{.*}}: tensor<?x1xf32> {nn.input = "y", nn.label})
// CHECK-NOT:     nn.dropout
// CHECK:         nn.matmul %[[EX]]
// CHECK:       func.func @predict(%{{.*}}: tensor<3x1xf32> {nn.param = "w"}, %[[PX:.*]]: tensor<?x3xf32> {nn.input = "x"})
// CHECK-NOT:     nn.dropout
// CHECK:         nn.matmul %[[PX]]
// CHECK:         return
nn.model @dropout {
  %x = nn.input "x" : tensor<?x3xf32>
  %y = nn.input "y" label : tensor<?x1xf32>
  %w = nn.param "w" init <zeros> : tensor<3x1xf32>
  %step = nn.hyper "step" default 1.0 : tensor<f32>
  %d = nn.dropout %x, %step rate = 0.5 salt = 0 : tensor<?x3xf32>, tensor<f32>
  %p = nn.matmul %d, %w : (tensor<?x3xf32>, tensor<3x1xf32>) -> tensor<?x1xf32>
  nn.output "p" %p : tensor<?x1xf32>
  %l = nn.mse %p, %y : (tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<f32>
  nn.loss %l : tensor<f32>
  %g = nn.matmul %d, %p transpose_lhs : (tensor<?x3xf32>, tensor<?x1xf32>) -> tensor<3x1xf32>
  %lr = nn.hyper "lr" default 0.1 : tensor<f32>
  %s = nn.mul %lr, %g : (tensor<f32>, tensor<3x1xf32>) -> tensor<3x1xf32>
  %n = nn.sub %w, %s : (tensor<3x1xf32>, tensor<3x1xf32>) -> tensor<3x1xf32>
  nn.update %w, %n : tensor<3x1xf32>
}

// -----

// Noise injection, like dropout, only in training.
// CHECK-LABEL: nn.model @noise
// CHECK:       func.func @train_step
// CHECK:         nn.gaussian_noise
// CHECK:       func.func @eval_step(%{{.*}}: tensor<3x1xf32> {nn.param = "w"}, %[[EX:.*]]: tensor<?x3xf32> {nn.input = "x"}, %{{.*}}: tensor<?x1xf32> {nn.input = "y", nn.label})
// CHECK-NOT:     nn.gaussian_noise
// CHECK:         nn.matmul %[[EX]]
nn.model @noise {
  %x = nn.input "x" : tensor<?x3xf32>
  %y = nn.input "y" label : tensor<?x1xf32>
  %w = nn.param "w" init <zeros> : tensor<3x1xf32>
  %step = nn.hyper "step" default 1.0 : tensor<f32>
  %d = nn.gaussian_noise %x, %step stddev = 0.1 salt = 0 : tensor<?x3xf32>, tensor<f32>
  %p = nn.matmul %d, %w : (tensor<?x3xf32>, tensor<3x1xf32>) -> tensor<?x1xf32>
  %l = nn.mse %p, %y : (tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<f32>
  nn.loss %l : tensor<f32>
  %g = nn.matmul %d, %p transpose_lhs : (tensor<?x3xf32>, tensor<?x1xf32>) -> tensor<3x1xf32>
  %n = nn.sub %w, %g : (tensor<3x1xf32>, tensor<3x1xf32>) -> tensor<3x1xf32>
  nn.update %w, %n : tensor<3x1xf32>
}
