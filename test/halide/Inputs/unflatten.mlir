// [N,12] -> [N,3,4]: a reshape that keeps the batch (reshape.test).
nn.model @unflatten attributes {optimizer = {kind = "sgd", lr = 0.1 : f64}} {
  %x = nn.input "x" : tensor<?x12xf32>
  %y = nn.input "y" label : tensor<?x4xf32>
  %w = nn.param "w" init <ones> : tensor<3x4xf32>
  %0 = nn.reshape %x : tensor<?x12xf32> -> tensor<?x3x4xf32>
  %1 = nn.mul %0, %w : (tensor<?x3x4xf32>, tensor<3x4xf32>) -> tensor<?x3x4xf32>
  %2 = nn.reduce_sum %1 axes = [1] : tensor<?x3x4xf32> -> tensor<?x4xf32>
  nn.output "y_hat" %2 : tensor<?x4xf32>
  %l = nn.mse %2, %y : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<f32>
  nn.loss %l : tensor<f32>
}
