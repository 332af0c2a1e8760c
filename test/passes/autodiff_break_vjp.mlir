// Tests only: --kiln-autodiff=break-vjp builds a deliberately wrong
// gradient (break_vjp.cpp) that grad-check must catch.
// RUN: kiln-opt %s --kiln-autodiff=break-vjp=max-pool | FileCheck %s --check-prefix=POOL
// RUN: kiln-opt %s --kiln-autodiff=break-vjp=conv2d-filter | FileCheck %s --check-prefix=CONV
// RUN: not kiln-opt %s --kiln-autodiff=break-vjp=nonsense 2>&1 | FileCheck %s --check-prefix=BAD

// POOL: %[[A:.*]] = nn.avg_pool2d_grad %{{.*}} window = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0] input_size = [4, 4]
// POOL: nn.conv2d_filter_grad %{{.*}}, %[[A]]
// CONV: %[[G:.*]] = nn.conv2d_filter_grad
// CONV: %[[T:.*]] = nn.transpose %[[G]] permutation = [1, 0, 2, 3]
// CONV: nn.gradient %{{.*}}, %[[T]]
// BAD: error: unknown break-vjp kind 'nonsense' (expected conv2d-filter, max-pool or batch-norm)

nn.model @m {
  %x = nn.input "x" : tensor<?x4x4x1xf32>
  %w = nn.param "w" init <ones> : tensor<3x3x1x2xf32>
  %c = nn.conv2d %x, %w strides = [1, 1] padding = [1, 1, 1, 1] dilation = [1, 1] groups = 1 : (tensor<?x4x4x1xf32>, tensor<3x3x1x2xf32>) -> tensor<?x4x4x2xf32>
  %p = nn.max_pool2d %c window = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0] : tensor<?x4x4x2xf32> -> tensor<?x2x2x2xf32>
  %s = nn.reduce_sum %p axes = [0, 1, 2, 3] : tensor<?x2x2x2xf32> -> tensor<f32>
  nn.loss %s : tensor<f32>
}
