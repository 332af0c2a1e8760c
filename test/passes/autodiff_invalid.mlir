// Errors of --kiln-autodiff.
// RUN: kiln-opt %s -split-input-file --kiln-autodiff -verify-diagnostics

nn.model @m {
  %x = nn.input "x" : tensor<?x1xf32>
  %y = nn.input "y" label : tensor<?x1xf32>
  %w = nn.param "w" init <zeros> : tensor<1xf32>
  %s = nn.param "s" init <ones> : tensor<f32>
  %p = nn.add %x, %w : (tensor<?x1xf32>, tensor<1xf32>) -> tensor<?x1xf32>
  // expected-error @+1 {{'nn.binary_cross_entropy_grad' is not differentiable, but it lies between a differentiated value and the loss}}
  %g = nn.binary_cross_entropy_grad %p, %y, %s : tensor<?x1xf32>, tensor<f32>
  %l = nn.reduce_sum %g axes = [0, 1] : tensor<?x1xf32> -> tensor<f32>
  nn.loss %l : tensor<f32>
}

// -----

// expected-error @+1 {{model 'm' has no loss to differentiate}}
nn.model @m {
  %w = nn.param "w" init <zeros> : tensor<1xf32>
}

// -----

nn.model @m {
  %w = nn.param "w" init <zeros> : tensor<f32>
  nn.loss %w : tensor<f32>
  // expected-error @+1 {{model 'm' is already differentiated}}
  nn.gradient %w, %w : tensor<f32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<f32>
  // expected-error @+1 {{'w' does not affect the loss}}
  %w = nn.param "w" init <zeros> : tensor<f32>
  %u = nn.param "u" init <zeros> : tensor<f32>
  %l = nn.add %x, %u : (tensor<f32>, tensor<f32>) -> tensor<f32>
  nn.output "w" %w : tensor<f32>
  nn.loss %l : tensor<f32>
}


// -----

// A trained parameter the loss reaches only through an integer result (or
// a zero derivative) would never change: an error with a note at the op
// where its derivative stops.
nn.model @m {
  %x = nn.input "x" : tensor<?x3xf32>
  // expected-error @+1 {{parameter 'w' gets no gradient: the loss depends on it only through operations without a derivative, so training would never change it}}
  %w = nn.param "w" init <zeros> : tensor<3x4xf32>
  %z = nn.matmul %x, %w : (tensor<?x3xf32>, tensor<3x4xf32>) -> tensor<?x4xf32>
  // expected-note @+1 {{'nn.argmax' has an integer result (no derivative)}}
  %i = nn.argmax %z axis = 1 : tensor<?x4xf32> -> tensor<?xi32>
  %f = nn.cast %i : tensor<?xi32> -> tensor<?xf32>
  %l = nn.reduce_mean %f axes = [0] : tensor<?xf32> -> tensor<f32>
  nn.loss %l : tensor<f32>
}

// -----

nn.model @m {
  // expected-error @+1 {{parameter 'w' gets no gradient}}
  %w = nn.param "w" init <ones> : tensor<3xf32>
  // expected-note @+1 {{'nn.sign' has a zero derivative here}}
  %s = nn.sign %w : tensor<3xf32>
  %l = nn.reduce_sum %s axes = [0] : tensor<3xf32> -> tensor<f32>
  nn.loss %l : tensor<f32>
}
