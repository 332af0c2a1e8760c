// --kiln-jvp's wrt option refuses labels.
// RUN: kiln-opt %s --kiln-jvp="wrt=y" -verify-diagnostics

nn.model @m {
  // expected-error @+1 {{kiln-jvp: label input 'y' is not differentiable (labels are data)}}
  %y = nn.input "y" label : tensor<?x1xf32>
  %w = nn.param "w" init <zeros> : tensor<1xf32>
  %p = nn.add %y, %w : (tensor<?x1xf32>, tensor<1xf32>) -> tensor<?x1xf32>
  %l = nn.reduce_mean %p axes = [0, 1] : tensor<?x1xf32> -> tensor<f32>
  nn.loss %l : tensor<f32>
}
