// Softmax regression 784 -> 6 with Adam (narrow_classifier.test): with the
// pinned AVX2 target (8 lanes) its 6 classes are narrower than a vector.
nn.model @narrow_classifier attributes {optimizer = {kind = "adam", lr = 1.0e-03 : f64}} {
  %x = nn.input "x" : tensor<?x784xf32>
  %y = nn.input "y" label : tensor<?xi32>
  %w = nn.param "w" init <xavier_uniform> : tensor<784x6xf32>
  %b = nn.param "b" init <zeros> : tensor<6xf32>
  %0 = nn.matmul %x, %w : (tensor<?x784xf32>, tensor<784x6xf32>) -> tensor<?x6xf32>
  %1 = nn.add %0, %b : (tensor<?x6xf32>, tensor<6xf32>) -> tensor<?x6xf32>
  nn.output "logits" %1 {metric = "accuracy"} : tensor<?x6xf32>
  %l = nn.softmax_cross_entropy %1, %y : (tensor<?x6xf32>, tensor<?xi32>) -> tensor<f32>
  nn.loss %l : tensor<f32>
}
