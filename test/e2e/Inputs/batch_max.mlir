// A per-feature maximum over the batch (nn.reduce_max over axis 0): Li2018
// vectorizes it as an atomic reduction, which Halide 14 cannot generate
// (autoschedulers.test).
nn.model @batch_max attributes {optimizer = {kind = "sgd", lr = 0.1 : f64}} {
  %x = nn.input "x" : tensor<?x10xf32>
  %y = nn.input "y" label : tensor<?x10xf32>
  %w = nn.param "w" init <zeros> : tensor<10x10xf32>
  %0 = nn.matmul %x, %w : (tensor<?x10xf32>, tensor<10x10xf32>) -> tensor<?x10xf32>
  %m = nn.reduce_max %x axes = [0] : tensor<?x10xf32> -> tensor<10xf32>
  %1 = nn.add %0, %m : (tensor<?x10xf32>, tensor<10xf32>) -> tensor<?x10xf32>
  nn.output "y_hat" %1 : tensor<?x10xf32>
  %l = nn.mse %1, %y : (tensor<?x10xf32>, tensor<?x10xf32>) -> tensor<f32>
  nn.loss %l : tensor<f32>
}
