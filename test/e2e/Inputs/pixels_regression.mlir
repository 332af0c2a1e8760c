// Linear regression from 784 pixels to a class index: meaningless as a
// classifier, enough to push real IDX data through a compiled model.
nn.model @pixels attributes {optimizer = {kind = "sgd", lr = 0.001 : f64}} {
  %x = nn.input "x" : tensor<?x784xf32>
  %y = nn.input "y" label : tensor<?x1xf32>
  %w = nn.param "w" init <zeros> : tensor<784x1xf32>
  %0 = nn.matmul %x, %w : (tensor<?x784xf32>, tensor<784x1xf32>) -> tensor<?x1xf32>
  %l = nn.mse %0, %y : (tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<f32>
  nn.loss %l : tensor<f32>
}
