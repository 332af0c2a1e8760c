// A 3x3 "same" convolution of 8x8 NHWC images with 4 channels into 16
// filters, ReLU and a mean-squared error (conv.test).
nn.model @small_conv attributes {optimizer = {kind = "sgd", lr = 0.1 : f64}} {
  %x = nn.input "x" : tensor<?x8x8x4xf32>
  %y = nn.input "y" label : tensor<?x8x8x16xf32>
  %w = nn.param "w" init <he_normal> : tensor<3x3x4x16xf32>
  %0 = nn.conv2d %x, %w strides = [1, 1] padding = [1, 1, 1, 1] dilation = [1, 1] groups = 1 : (tensor<?x8x8x4xf32>, tensor<3x3x4x16xf32>) -> tensor<?x8x8x16xf32>
  %1 = nn.relu %0 : tensor<?x8x8x16xf32>
  nn.output "y_hat" %1 : tensor<?x8x8x16xf32>
  %l = nn.mse %1, %y : (tensor<?x8x8x16xf32>, tensor<?x8x8x16xf32>) -> tensor<f32>
  nn.loss %l : tensor<f32>
}
