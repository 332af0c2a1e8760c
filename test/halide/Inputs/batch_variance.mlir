// Σ over the batch of (x − Σx)²: a split sum that reads another one in
// the same kernel (split_sum.test: they must not share a loop nest).
nn.model @batch_variance attributes {optimizer = {kind = "sgd", lr = 0.1 : f64}} {
  %x = nn.input "x" : tensor<?x8xf32>
  %y = nn.input "y" label : tensor<?x8xf32>
  %w = nn.param "w" init <ones> : tensor<8xf32>
  %m = nn.reduce_sum %x axes = [0] : tensor<?x8xf32> -> tensor<8xf32>
  %d = nn.sub %x, %m : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %s = nn.mul %d, %d : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %v = nn.reduce_sum %s axes = [0] : tensor<?x8xf32> -> tensor<8xf32>
  %o = nn.mul %x, %v : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %1 = nn.mul %o, %w : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  nn.output "y_hat" %1 : tensor<?x8xf32>
  %l = nn.mse %1, %y : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<f32>
  nn.loss %l : tensor<f32>
}
