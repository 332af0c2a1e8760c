// --kiln-autodiff's wrt option refuses labels and unknown names.
// RUN: kiln-opt %s -split-input-file --kiln-autodiff="wrt=y" -verify-diagnostics

nn.model @m {
  // expected-error @+1 {{kiln-autodiff: label input 'y' is not differentiable (labels are data)}}
  %y = nn.input "y" label : tensor<?x1xf32>
  %w = nn.param "w" init <zeros> : tensor<1xf32>
  %p = nn.add %y, %w : (tensor<?x1xf32>, tensor<1xf32>) -> tensor<?x1xf32>
  %l = nn.reduce_mean %p axes = [0, 1] : tensor<?x1xf32> -> tensor<f32>
  nn.loss %l : tensor<f32>
}

// -----

// expected-error @+1 {{kiln-autodiff: model 'm' has no parameter or input named 'y'}}
nn.model @m {
  %w = nn.param "w" init <zeros> : tensor<f32>
  nn.loss %w : tensor<f32>
}

// -----

nn.model @m {
  // expected-error @+1 {{kiln-autodiff: input 'y' holds integers and is not differentiable}}
  %y = nn.input "y" : tensor<?xi32>
  %w = nn.param "w" init <zeros> : tensor<f32>
  nn.loss %w : tensor<f32>
}
