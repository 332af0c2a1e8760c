// Softmax regression 784 -> 10 with Adam (narrow_weight_update.test).
nn.model @softmax_784 attributes {optimizer = {kind = "adam", lr = 1.0e-03 : f64}} {
  %x = nn.input "x" : tensor<?x784xf32>
  %y = nn.input "y" label : tensor<?xi32>
  %w = nn.param "w" init <xavier_uniform> : tensor<784x10xf32>
  %b = nn.param "b" init <zeros> : tensor<10xf32>
  %0 = nn.matmul %x, %w : (tensor<?x784xf32>, tensor<784x10xf32>) -> tensor<?x10xf32>
  %1 = nn.add %0, %b : (tensor<?x10xf32>, tensor<10xf32>) -> tensor<?x10xf32>
  nn.output "logits" %1 {metric = "accuracy"} : tensor<?x10xf32>
  %l = nn.softmax_cross_entropy %1, %y : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
  nn.loss %l : tensor<f32>
}
