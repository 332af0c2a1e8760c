// y = x·γ + β per channel of NHWC images: the gradients of γ and β are two
// sums over the batch and the pixels into 8 channels (split_sum.test).
nn.model @channel_affine attributes {optimizer = {kind = "sgd", lr = 0.1 : f64}} {
  %x = nn.input "x" : tensor<?x4x4x8xf32>
  %y = nn.input "y" label : tensor<?x4x4x8xf32>
  %g = nn.param "g" init <ones> : tensor<8xf32>
  %b = nn.param "b" init <zeros> : tensor<8xf32>
  %0 = nn.mul %x, %g : (tensor<?x4x4x8xf32>, tensor<8xf32>) -> tensor<?x4x4x8xf32>
  %1 = nn.add %0, %b : (tensor<?x4x4x8xf32>, tensor<8xf32>) -> tensor<?x4x4x8xf32>
  nn.output "y_hat" %1 : tensor<?x4x4x8xf32>
  %l = nn.mse %1, %y : (tensor<?x4x4x8xf32>, tensor<?x4x4x8xf32>) -> tensor<f32>
  nn.loss %l : tensor<f32>
}
