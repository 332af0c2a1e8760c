nn.model @bad {
  %x = nn.input "x" : tensor<?x3xf32>
  %w = nn.param "w" init <zeros> : tensor<4x1xf32>
  %p = nn.matmul %x, %w : (tensor<?x3xf32>, tensor<4x1xf32>) -> tensor<?x1xf32>
  %l = nn.reduce_mean %p axes = [0, 1] : tensor<?x1xf32> -> tensor<f32>
  nn.loss %l : tensor<f32>
}
