// Errors of --kiln-jvp.
// RUN: kiln-opt %s -split-input-file --kiln-jvp -verify-diagnostics

// expected-error @+1 {{model 'm' has no loss to differentiate}}
nn.model @m {
  %w = nn.param "w" init <zeros> : tensor<1xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<?x1xf32>
  %y = nn.input "y" label : tensor<?x1xf32>
  %w = nn.param "w" init <zeros> : tensor<1xf32>
  %s = nn.param "s" init <ones> : tensor<f32>
  %p = nn.add %x, %w : (tensor<?x1xf32>, tensor<1xf32>) -> tensor<?x1xf32>
  // expected-error @+1 {{'nn.binary_cross_entropy_grad' is not differentiable, but it lies between 'w' and the loss}}
  %g = nn.binary_cross_entropy_grad %p, %y, %s : tensor<?x1xf32>, tensor<f32>
  %l = nn.reduce_sum %g axes = [0, 1] : tensor<?x1xf32> -> tensor<f32>
  nn.loss %l : tensor<f32>
}

// -----

nn.model @m {
  %w = nn.param "w" init <zeros> : tensor<f32>
  nn.loss %w : tensor<f32>
  // expected-error @+1 {{model 'm' already has forward-mode tangents}}
  nn.loss_tangent %w, %w : tensor<f32>
}
