// Model-level checks of --kiln-verify-shapes, each at the declaration the
// user wrote.
// RUN: kiln-opt %s -split-input-file --kiln-verify-shapes -verify-diagnostics

// A well-formed model passes silently.
nn.model @ok {
  %x = nn.input "x" : tensor<?x2xf32>
  %y = nn.input "y" label : tensor<?x1xf32>
  %w = nn.param "w" init <zeros> : tensor<2x1xf32>
  %p = nn.matmul %x, %w : (tensor<?x2xf32>, tensor<2x1xf32>) -> tensor<?x1xf32>
  %s = nn.sigmoid %p : tensor<?x1xf32>
  nn.output "p" %s {metric = "binary_accuracy"} : tensor<?x1xf32>
  %l = nn.binary_cross_entropy %s, %y : (tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<f32>
  nn.loss %l : tensor<f32>
}

// -----

// expected-error @+1 {{model 'noloss' has no loss (declare one with loss())}}
nn.model @noloss {
  %w = nn.param "w" init <zeros> : tensor<f32>
  nn.output "w" %w : tensor<f32>
}

// -----

nn.model @unused {
  %w = nn.param "w" init <zeros> : tensor<f32>
  // expected-error @+1 {{parameter 'v' is never used}}
  %v = nn.param "v" init <zeros> : tensor<f32>
  nn.loss %w : tensor<f32>
}

// -----

nn.model @unreached {
  %w = nn.param "w" init <zeros> : tensor<f32>
  // expected-error @+1 {{parameter 'v' does not affect the loss, so training would never change it}}
  %v = nn.param "v" init <zeros> : tensor<f32>
  nn.output "v" %v : tensor<f32>
  nn.loss %w : tensor<f32>
}

// -----

nn.model @constant_loss {
  %x = nn.input "x" : tensor<?x1xf32>
  %l = nn.reduce_mean %x axes = [0, 1] : tensor<?x1xf32> -> tensor<f32>
  // expected-error @+1 {{the loss does not depend on any parameter}}
  nn.loss %l : tensor<f32>
}

// -----

nn.model @unused_input {
  %w = nn.param "w" init <zeros> : tensor<f32>
  // expected-warning @+1 {{input 'z' is never used}}
  %z = nn.input "z" : tensor<?x3xf32>
  nn.loss %w : tensor<f32>
}

// -----

nn.model @no_label {
  %w = nn.param "w" init <zeros> : tensor<1xf32>
  // expected-error @+1 {{metric binary_accuracy compares the output with the model's label input, but the model has 0 label inputs}}
  nn.output "p" %w {metric = "binary_accuracy"} : tensor<1xf32>
  %l = nn.reduce_sum %w axes = [0] : tensor<1xf32> -> tensor<f32>
  nn.loss %l : tensor<f32>
}

// -----

nn.model @label_shape {
  %x = nn.input "x" : tensor<?x2xf32>
  // expected-note @+2 {{label 'y' is declared here}}
  // expected-warning @+1 {{input 'y' is never used}}
  %y = nn.input "y" label : tensor<?x1xf32>
  %w = nn.param "w" init <zeros> : tensor<2xf32>
  %p = nn.mul %x, %w : (tensor<?x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  // expected-error @+1 {{metric binary_accuracy compares output 'p' (?x2) with label 'y' (?x1) elementwise, but their shapes differ}}
  nn.output "p" %p {metric = "binary_accuracy"} : tensor<?x2xf32>
  %l = nn.reduce_mean %p axes = [0, 1] : tensor<?x2xf32> -> tensor<f32>
  nn.loss %l : tensor<f32>
}
