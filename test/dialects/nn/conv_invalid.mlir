// Every shape error of the convolution and pooling ops, with its message.
// RUN: kiln-opt %s -split-input-file -verify-diagnostics

// expected-note @+2 {{input (?x28x28) is defined here}}
// expected-note @+1 {{filter (5x5x1x32) is defined here}}
func.func @f(%x: tensor<?x28x28xf32>, %w: tensor<5x5x1x32xf32>) {
  // expected-error @+2 {{conv2d needs a rank-4 input [batch, height, width, channels], got ?x28x28}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv2d %x, %w strides = [1, 1] padding = [0, 0, 0, 0] dilation = [1, 1] groups = 1 : (tensor<?x28x28xf32>, tensor<5x5x1x32xf32>) -> tensor<?x24x24x32xf32>
  return
}

// -----

// expected-note @+2 {{input (?x28x28x3) is defined here}}
// expected-note @+1 {{filter (5x5x1x32) is defined here}}
func.func @f(%x: tensor<?x28x28x3xf32>, %w: tensor<5x5x1x32xf32>) {
  // expected-error @+2 {{conv2d filter 5x5x1x32 takes 1 input channels per group, but the input has 3 channels}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv2d %x, %w strides = [1, 1] padding = [0, 0, 0, 0] dilation = [1, 1] groups = 1 : (tensor<?x28x28x3xf32>, tensor<5x5x1x32xf32>) -> tensor<?x24x24x32xf32>
  return
}

// -----

// expected-note @+2 {{input (?x28x28x3) is defined here}}
// expected-note @+1 {{filter (5x5x1x32) is defined here}}
func.func @f(%x: tensor<?x28x28x3xf32>, %w: tensor<5x5x1x32xf32>) {
  // expected-error @+2 {{conv2d: 2 groups do not divide the 3 input channels}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv2d %x, %w strides = [1, 1] padding = [0, 0, 0, 0] dilation = [1, 1] groups = 2 : (tensor<?x28x28x3xf32>, tensor<5x5x1x32xf32>) -> tensor<?x24x24x32xf32>
  return
}

// -----

// expected-note @+2 {{input (?x4x4x1) is defined here}}
// expected-note @+1 {{filter (5x5x1x8) is defined here}}
func.func @f(%x: tensor<?x4x4x1xf32>, %w: tensor<5x5x1x8xf32>) {
  // expected-error @+2 {{conv2d window of height 5 does not fit the input's height 4 padded by 0 + 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv2d %x, %w strides = [1, 1] padding = [0, 0, 0, 0] dilation = [1, 1] groups = 1 : (tensor<?x4x4x1xf32>, tensor<5x5x1x8xf32>) -> tensor<?x1x1x8xf32>
  return
}

// -----

// expected-note @+2 {{input (?x8x8x1) is defined here}}
// expected-note @+1 {{filter (3x3x1x8) is defined here}}
func.func @f(%x: tensor<?x8x8x1xf32>, %w: tensor<3x3x1x8xf32>) {
  // expected-error @+2 {{conv2d strides [0, 1] must be at least 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv2d %x, %w strides = [0, 1] padding = [0, 0, 0, 0] dilation = [1, 1] groups = 1 : (tensor<?x8x8x1xf32>, tensor<3x3x1x8xf32>) -> tensor<?x6x6x8xf32>
  return
}

// -----

// expected-note @+2 {{input (?x8x8x1) is defined here}}
// expected-note @+1 {{filter (3x3x1x8) is defined here}}
func.func @f(%x: tensor<?x8x8x1xf32>, %w: tensor<3x3x1x8xf32>) {
  // expected-error @+2 {{conv2d needs 2 window sizes, 2 strides, 4 paddings [top, bottom, left, right] and 2 dilations}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv2d %x, %w strides = [1, 1] padding = [1, 1] dilation = [1, 1] groups = 1 : (tensor<?x8x8x1xf32>, tensor<3x3x1x8xf32>) -> tensor<?x6x6x8xf32>
  return
}

// -----

// expected-note @+2 {{input (?x8x8x1) is defined here}}
// expected-note @+1 {{filter (3x3x1x8) is defined here}}
func.func @f(%x: tensor<?x8x8x1xf32>, %w: tensor<3x3x1x8xf32>) {
  // expected-error @+2 {{conv2d padding [-1, 0, 0, 0] must not be negative}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv2d %x, %w strides = [1, 1] padding = [-1, 0, 0, 0] dilation = [1, 1] groups = 1 : (tensor<?x8x8x1xf32>, tensor<3x3x1x8xf32>) -> tensor<?x6x6x8xf32>
  return
}

// -----

// expected-note @+2 {{output_grad (?x6x6x8) is defined here}}
// expected-note @+1 {{filter (3x3x1x8) is defined here}}
func.func @f(%dy: tensor<?x6x6x8xf32>, %w: tensor<3x3x1x8xf32>) {
  // expected-error @+2 {{conv2d_input_grad: an input of 9x9 gives a 7x7 output, not ?x6x6x8}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv2d_input_grad %dy, %w strides = [1, 1] padding = [0, 0, 0, 0] dilation = [1, 1] groups = 1 input_size = [9, 9] : (tensor<?x6x6x8xf32>, tensor<3x3x1x8xf32>) -> tensor<?x9x9x1xf32>
  return
}

// -----

// expected-note @+2 {{input (?x8x8x1) is defined here}}
// expected-note @+1 {{output_grad (?x5x5x8) is defined here}}
func.func @f(%x: tensor<?x8x8x1xf32>, %dy: tensor<?x5x5x8xf32>) {
  // expected-error @+2 {{conv2d_filter_grad: an input of 8x8 gives a 6x6 output, not ?x5x5x8}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv2d_filter_grad %x, %dy strides = [1, 1] padding = [0, 0, 0, 0] dilation = [1, 1] groups = 1 kernel_size = [3, 3] : (tensor<?x8x8x1xf32>, tensor<?x5x5x8xf32>) -> tensor<3x3x1x8xf32>
  return
}

// -----

// expected-note @+1 {{input (?x8x8x4) is defined here}}
func.func @f(%x: tensor<?x8x8x4xf32>) {
  // expected-error @+2 {{max_pool2d padding must be smaller than the window}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.max_pool2d %x window = [2, 2] strides = [2, 2] padding = [2, 0, 0, 0] : tensor<?x8x8x4xf32> -> tensor<?x5x4x4xf32>
  return
}

// -----

// expected-note @+2 {{input (?x8x8x4) is defined here}}
// expected-note @+1 {{output_grad (?x3x3x4) is defined here}}
func.func @f(%x: tensor<?x8x8x4xf32>, %dy: tensor<?x3x3x4xf32>) {
  // expected-error @+2 {{max_pool2d_grad output_grad ?x3x3x4 must have the pooled shape ?x4x4x4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.max_pool2d_grad %x, %dy window = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0] : tensor<?x8x8x4xf32>, tensor<?x3x3x4xf32> -> tensor<?x8x8x4xf32>
  return
}

// -----

// expected-note @+1 {{input (?x8x8x4) is defined here}}
func.func @f(%x: tensor<?x8x8x4xf32>) {
  // expected-error @+2 {{avg_pool2d window [0, 2] must be at least 1x1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.avg_pool2d %x window = [0, 2] strides = [2, 2] padding = [0, 0, 0, 0] : tensor<?x8x8x4xf32> -> tensor<?x4x4x4xf32>
  return
}

// -----

// expected-note @+1 {{output_grad (?x4x4x4) is defined here}}
func.func @f(%dy: tensor<?x4x4x4xf32>) {
  // expected-error @+2 {{avg_pool2d_grad output_grad ?x4x4x4 must have the pooled shape ?x5x5x4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.avg_pool2d_grad %dy window = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0] input_size = [10, 10] : tensor<?x4x4x4xf32> -> tensor<?x10x10x4xf32>
  return
}
