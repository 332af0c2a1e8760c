// A model written directly in the nn dialect (no DSL): y = x·w + b, MSE.
nn.model @tiny attributes {optimizer = {kind = "sgd", lr = 0.1 : f64}} {
  %x = nn.input "x" : tensor<?x2xf32>
  %y = nn.input "y" label : tensor<?x1xf32>
  %w = nn.param "w" init <zeros> : tensor<2x1xf32>
  %b = nn.param "b" init <zeros> : tensor<1xf32>
  %0 = nn.matmul %x, %w : (tensor<?x2xf32>, tensor<2x1xf32>) -> tensor<?x1xf32>
  %1 = nn.add %0, %b : (tensor<?x1xf32>, tensor<1xf32>) -> tensor<?x1xf32>
  nn.output "y_hat" %1 : tensor<?x1xf32>
  %l = nn.mse %1, %y : (tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<f32>
  nn.loss %l : tensor<f32>
}
