// The convolution and pooling ops (NHWC data, HWIO filters) parse, print and
// parse again, custom and generic, with the shapes their inference gives:
// S_o = ⌊(S + lo + hi − d·(K − 1) − 1) / s⌋ + 1.
// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// RUN: kiln-opt %s --mlir-print-op-generic | kiln-opt | FileCheck %s

// CHECK-LABEL: func.func @conv
func.func @conv(%x: tensor<?x28x28x1xf32>, %w: tensor<5x5x1x32xf32>,
                %dy: tensor<?x28x28x32xf32>, %x2: tensor<2x7x9x4xf32>,
                %w2: tensor<3x3x2x6xf32>) {
  // "same" 5×5: 28 + 2 + 2 − 4 = 28.
  // CHECK: nn.conv2d %{{.*}}, %{{.*}} strides = [1, 1] padding = [2, 2, 2, 2] dilation = [1, 1] groups = 1 : (tensor<?x28x28x1xf32>, tensor<5x5x1x32xf32>) -> tensor<?x28x28x32xf32>
  %0 = nn.conv2d %x, %w strides = [1, 1] padding = [2, 2, 2, 2] dilation = [1, 1] groups = 1 : (tensor<?x28x28x1xf32>, tensor<5x5x1x32xf32>) -> tensor<?x28x28x32xf32>
  // CHECK: nn.conv2d_input_grad {{.*}} input_size = [28, 28] : (tensor<?x28x28x32xf32>, tensor<5x5x1x32xf32>) -> tensor<?x28x28x1xf32>
  %1 = nn.conv2d_input_grad %dy, %w strides = [1, 1] padding = [2, 2, 2, 2] dilation = [1, 1] groups = 1 input_size = [28, 28] : (tensor<?x28x28x32xf32>, tensor<5x5x1x32xf32>) -> tensor<?x28x28x1xf32>
  // CHECK: nn.conv2d_filter_grad {{.*}} kernel_size = [5, 5] : (tensor<?x28x28x1xf32>, tensor<?x28x28x32xf32>) -> tensor<5x5x1x32xf32>
  %2 = nn.conv2d_filter_grad %x, %dy strides = [1, 1] padding = [2, 2, 2, 2] dilation = [1, 1] groups = 1 kernel_size = [5, 5] : (tensor<?x28x28x1xf32>, tensor<?x28x28x32xf32>) -> tensor<5x5x1x32xf32>
  // Stride 2, dilation 2, two groups: ⌊(7 + 1 + 0 − 4 − 1)/2⌋ + 1 = 2,
  // ⌊(9 + 0 + 1 − 2 − 1)/1⌋ + 1 = 8 (dilation 1 across).
  // CHECK: nn.conv2d {{.*}} groups = 2 : (tensor<2x7x9x4xf32>, tensor<3x3x2x6xf32>) -> tensor<2x2x8x6xf32>
  %3 = nn.conv2d %x2, %w2 strides = [2, 1] padding = [1, 0, 0, 1] dilation = [2, 1] groups = 2 : (tensor<2x7x9x4xf32>, tensor<3x3x2x6xf32>) -> tensor<2x2x8x6xf32>
  return
}

// CHECK-LABEL: func.func @pool
func.func @pool(%x: tensor<?x28x28x32xf32>, %t: tensor<?x28x28x32xf32>,
                %dy: tensor<?x14x14x32xf32>) {
  // CHECK: nn.max_pool2d %{{.*}} window = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0] : tensor<?x28x28x32xf32> -> tensor<?x14x14x32xf32>
  %0 = nn.max_pool2d %x window = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0] : tensor<?x28x28x32xf32> -> tensor<?x14x14x32xf32>
  // CHECK: nn.max_pool2d %{{.*}} values %{{.*}} window = [2, 2] {{.*}} : tensor<?x28x28x32xf32>, tensor<?x28x28x32xf32> -> tensor<?x14x14x32xf32>
  %1 = nn.max_pool2d %x values %t window = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0] : tensor<?x28x28x32xf32>, tensor<?x28x28x32xf32> -> tensor<?x14x14x32xf32>
  // CHECK: nn.max_pool2d_grad {{.*}} : tensor<?x28x28x32xf32>, tensor<?x14x14x32xf32> -> tensor<?x28x28x32xf32>
  %2 = nn.max_pool2d_grad %x, %dy window = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0] : tensor<?x28x28x32xf32>, tensor<?x14x14x32xf32> -> tensor<?x28x28x32xf32>
  // 3×3 windows, stride 2, padding 1: ⌊(28 + 2 − 3)/2⌋ + 1 = 14.
  // CHECK: nn.avg_pool2d {{.*}} window = [3, 3] strides = [2, 2] padding = [1, 1, 1, 1] : tensor<?x28x28x32xf32> -> tensor<?x14x14x32xf32>
  %3 = nn.avg_pool2d %x window = [3, 3] strides = [2, 2] padding = [1, 1, 1, 1] : tensor<?x28x28x32xf32> -> tensor<?x14x14x32xf32>
  // CHECK: nn.avg_pool2d_grad {{.*}} input_size = [28, 28] : tensor<?x14x14x32xf32> -> tensor<?x28x28x32xf32>
  %4 = nn.avg_pool2d_grad %dy window = [3, 3] strides = [2, 2] padding = [1, 1, 1, 1] input_size = [28, 28] : tensor<?x14x14x32xf32> -> tensor<?x28x28x32xf32>
  // CHECK: nn.train_eval %{{.*}}, %{{.*}} : tensor<?x28x28x32xf32>
  %5 = nn.train_eval %x, %t : tensor<?x28x28x32xf32>
  return
}

// CHECK-LABEL: nn.model @state
nn.model @state {
  // CHECK: nn.state "bn.running_var" init(<ones>) : tensor<32xf32>
  %v = nn.state "bn.running_var" init(#nn.init<ones>) : tensor<32xf32>
  // CHECK: nn.state "m" : tensor<32xf32>
  %m = nn.state "m" : tensor<32xf32>
}
