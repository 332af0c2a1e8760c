// Every nn op parses, prints and parses again to the same text, in custom
// and in generic form.
// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// RUN: kiln-opt %s --mlir-print-op-generic | kiln-opt | FileCheck %s

// CHECK-LABEL: nn.model @declarations
// CHECK-SAME:    attributes {optimizer = {kind = "sgd", lr = 1.000000e-01 : f64}}
nn.model @declarations attributes {optimizer = {kind = "sgd", lr = 0.1 : f64}} {
  // CHECK: %[[X:.*]] = nn.input "x" : tensor<?x4xf32>
  %x = nn.input "x" : tensor<?x4xf32>
  // CHECK: %[[Y:.*]] = nn.input "y" label : tensor<?x1xf32>
  %y = nn.input "y" label : tensor<?x1xf32>
  // CHECK: %[[W:.*]] = nn.param "w" init <xavier_uniform> : tensor<4x1xf32>
  %w = nn.param "w" init <xavier_uniform> : tensor<4x1xf32>
  // CHECK: nn.param "c" init <constant, 5.000000e-01> : tensor<1xf32>
  %c = nn.param "c" init <constant, 0.5> : tensor<1xf32>
  // CHECK: nn.param "u" init <uniform, -1.000000e-01, 1.000000e-01> : tensor<2x2xf32>
  %u = nn.param "u" init <uniform, -0.1, 0.1> : tensor<2x2xf32>
  // CHECK: nn.param "n" init <normal, 0.000000e+00, 2.000000e-02> : tensor<3xf32>
  %n = nn.param "n" init <normal, 0.0, 0.02> : tensor<3xf32>
  // CHECK: nn.param "z" init <zeros> : tensor<f32>
  %z = nn.param "z" init <zeros> : tensor<f32>
  // CHECK: nn.param "o" init <ones> : tensor<2xf32>
  %o = nn.param "o" init <ones> : tensor<2xf32>
  // CHECK: nn.param "xn" init <xavier_normal> : tensor<2x2xf32>
  %xn = nn.param "xn" init <xavier_normal> : tensor<2x2xf32>
  // CHECK: nn.param "hu" init <he_uniform> : tensor<2x2xf32>
  %hu = nn.param "hu" init <he_uniform> : tensor<2x2xf32>
  // CHECK: nn.param "hn" init <he_normal> : tensor<2x2xf32>
  %hn = nn.param "hn" init <he_normal> : tensor<2x2xf32>
  // CHECK: %[[LR:.*]] = nn.hyper "lr" default 1.000000e-01 : tensor<f32>
  %lr = nn.hyper "lr" default 0.1 : tensor<f32>
  %p = nn.matmul %x, %w : (tensor<?x4xf32>, tensor<4x1xf32>) -> tensor<?x1xf32>
  %l = nn.mse %p, %y : (tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<f32>
  // CHECK: nn.output "prediction" %{{.*}} {metric = "binary_accuracy"} : tensor<?x1xf32>
  nn.output "prediction" %p {metric = "binary_accuracy"} : tensor<?x1xf32>
  // CHECK: nn.output "raw" %{{.*}} : tensor<?x1xf32>
  nn.output "raw" %p : tensor<?x1xf32>
  // CHECK: nn.loss %{{.*}} : tensor<f32>
  nn.loss %l : tensor<f32>
  // CHECK: nn.gradient %[[W]], %[[W]] : tensor<4x1xf32>
  nn.gradient %w, %w : tensor<4x1xf32>
  // CHECK: nn.update %[[W]], %[[W]] : tensor<4x1xf32>
  nn.update %w, %w : tensor<4x1xf32>
}

// CHECK-LABEL: func.func @compute
func.func @compute(%a: tensor<?x3xf32>, %b: tensor<3x5xf32>, %c: tensor<5x3xf32>,
                   %d: tensor<3xf32>, %s: tensor<f32>, %t: tensor<?x5xf32>) {
  // CHECK: nn.constant dense<1.000000e+00> : tensor<f32>
  %0 = nn.constant dense<1.0> : tensor<f32>
  // CHECK: nn.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00]> : tensor<3xf32>
  %1 = nn.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  // CHECK: nn.matmul %{{.*}}, %{{.*}} : (tensor<?x3xf32>, tensor<3x5xf32>) -> tensor<?x5xf32>
  %2 = nn.matmul %a, %b : (tensor<?x3xf32>, tensor<3x5xf32>) -> tensor<?x5xf32>
  // CHECK: nn.matmul %{{.*}}, %{{.*}} transpose_rhs : (tensor<?x3xf32>, tensor<5x3xf32>) -> tensor<?x5xf32>
  %3 = nn.matmul %a, %c transpose_rhs : (tensor<?x3xf32>, tensor<5x3xf32>) -> tensor<?x5xf32>
  // CHECK: nn.matmul %{{.*}}, %{{.*}} transpose_lhs : (tensor<?x3xf32>, tensor<?x5xf32>) -> tensor<3x5xf32>
  %4 = nn.matmul %a, %t transpose_lhs : (tensor<?x3xf32>, tensor<?x5xf32>) -> tensor<3x5xf32>
  // CHECK: nn.matmul %{{.*}}, %{{.*}} transpose_lhs transpose_rhs : (tensor<3x5xf32>, tensor<5x3xf32>) -> tensor<5x5xf32>
  %5 = nn.matmul %b, %c transpose_lhs transpose_rhs : (tensor<3x5xf32>, tensor<5x3xf32>) -> tensor<5x5xf32>
  // CHECK: nn.add %{{.*}}, %{{.*}} : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %6 = nn.add %a, %d : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  // CHECK: nn.sub %{{.*}}, %{{.*}} : (tensor<f32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  %7 = nn.sub %s, %a : (tensor<f32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  // CHECK: nn.mul %{{.*}}, %{{.*}} : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  %8 = nn.mul %a, %a : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  // CHECK: nn.div %{{.*}}, %{{.*}} : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  %9 = nn.div %d, %s : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  // CHECK: nn.neg %{{.*}} : tensor<?x3xf32>
  %10 = nn.neg %a : tensor<?x3xf32>
  // CHECK: nn.exp %{{.*}} : tensor<?x3xf32>
  %11 = nn.exp %a : tensor<?x3xf32>
  // CHECK: nn.log %{{.*}} : tensor<?x3xf32>
  %12 = nn.log %a : tensor<?x3xf32>
  // CHECK: nn.sigmoid %{{.*}} : tensor<?x3xf32>
  %13 = nn.sigmoid %a : tensor<?x3xf32>
  // CHECK: nn.reduce_sum %{{.*}} axes = [0] : tensor<?x3xf32> -> tensor<3xf32>
  %14 = nn.reduce_sum %a axes = [0] : tensor<?x3xf32> -> tensor<3xf32>
  // CHECK: nn.reduce_mean %{{.*}} axes = [1] keepdims : tensor<?x3xf32> -> tensor<?x1xf32>
  %15 = nn.reduce_mean %a axes = [1] keepdims : tensor<?x3xf32> -> tensor<?x1xf32>
  // CHECK: nn.reduce_sum %{{.*}} axes = [0, 1] : tensor<?x3xf32> -> tensor<f32>
  %16 = nn.reduce_sum %a axes = [0, 1] : tensor<?x3xf32> -> tensor<f32>
  // CHECK: nn.broadcast_to %{{.*}} : tensor<3xf32> -> tensor<?x3xf32>
  %17 = nn.broadcast_to %d : tensor<3xf32> -> tensor<?x3xf32>
  // CHECK: nn.sum_to %{{.*}} : tensor<?x3xf32> -> tensor<1x3xf32>
  %18 = nn.sum_to %a : tensor<?x3xf32> -> tensor<1x3xf32>
  // CHECK: nn.reshape %{{.*}} : tensor<3x5xf32> -> tensor<15xf32>
  %19 = nn.reshape %b : tensor<3x5xf32> -> tensor<15xf32>
  // CHECK: nn.reshape %{{.*}} : tensor<?x3xf32> -> tensor<?x3x1xf32>
  %20 = nn.reshape %a : tensor<?x3xf32> -> tensor<?x3x1xf32>
  // CHECK: nn.element_count %{{.*}} axes = [0] : tensor<?x3xf32>
  %21 = nn.element_count %a axes = [0] : tensor<?x3xf32>
  // CHECK: nn.mse %{{.*}}, %{{.*}} : (tensor<?x5xf32>, tensor<?x5xf32>) -> tensor<f32>
  %22 = nn.mse %2, %t : (tensor<?x5xf32>, tensor<?x5xf32>) -> tensor<f32>
  // CHECK: nn.binary_cross_entropy %{{.*}}, %{{.*}} : (tensor<?x5xf32>, tensor<?x5xf32>) -> tensor<f32>
  %23 = nn.binary_cross_entropy %2, %t : (tensor<?x5xf32>, tensor<?x5xf32>) -> tensor<f32>
  // CHECK: nn.binary_cross_entropy_grad %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x5xf32>, tensor<f32>
  %24 = nn.binary_cross_entropy_grad %2, %t, %s : tensor<?x5xf32>, tensor<f32>
  return
}

// CHECK-LABEL: func.func @more
func.func @more(%a: tensor<?x3xf32>, %d: tensor<3xf32>, %m: tensor<2x3x4xf32>,
                %l: tensor<?xi32>, %c: tensor<?x3xi1>) {
  // CHECK: nn.sqrt %{{.*}} : tensor<?x3xf32>
  %0 = nn.sqrt %a : tensor<?x3xf32>
  // CHECK: nn.abs %{{.*}} : tensor<?x3xf32>
  %1 = nn.abs %a : tensor<?x3xf32>
  // CHECK: nn.sign %{{.*}} : tensor<?x3xf32>
  %2 = nn.sign %a : tensor<?x3xf32>
  // CHECK: nn.sin %{{.*}} : tensor<?x3xf32>
  %3 = nn.sin %a : tensor<?x3xf32>
  // CHECK: nn.cos %{{.*}} : tensor<?x3xf32>
  %4 = nn.cos %a : tensor<?x3xf32>
  // CHECK: nn.pow %{{.*}}, %{{.*}} : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %5 = nn.pow %a, %d : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  // CHECK: nn.maximum %{{.*}}, %{{.*}} : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %6 = nn.maximum %a, %d : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  // CHECK: nn.minimum %{{.*}}, %{{.*}} : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %7 = nn.minimum %a, %d : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  // CHECK: nn.compare ge, %{{.*}}, %{{.*}} : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xi1>
  %8 = nn.compare ge, %a, %d : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xi1>
  // CHECK: nn.select %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x3xi1>, tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %9 = nn.select %c, %a, %d : (tensor<?x3xi1>, tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  // CHECK: nn.cast %{{.*}} : tensor<?x3xi1> -> tensor<?x3xf32>
  %10 = nn.cast %c : tensor<?x3xi1> -> tensor<?x3xf32>
  // CHECK: nn.reduce_max %{{.*}} axes = [1] keepdims : tensor<?x3xf32> -> tensor<?x1xf32>
  %11 = nn.reduce_max %a axes = [1] keepdims : tensor<?x3xf32> -> tensor<?x1xf32>
  // CHECK: nn.transpose %{{.*}} permutation = [2, 0, 1] : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  %12 = nn.transpose %m permutation = [2, 0, 1] : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  // CHECK: nn.concat %{{.*}}, %{{.*}} axis = 1 : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x6xf32>
  %13 = nn.concat %a, %0 axis = 1 : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x6xf32>
  // CHECK: nn.slice %{{.*}} starts = [0, 1] limits = [-1, 6] strides = [1, 2] : tensor<?x6xf32> -> tensor<?x3xf32>
  %14 = nn.slice %13 starts = [0, 1] limits = [-1, 6] strides = [1, 2] : tensor<?x6xf32> -> tensor<?x3xf32>
  // CHECK: nn.pad %{{.*}} low = [1] high = [2] interior = [1] : tensor<3xf32> -> tensor<8xf32>
  %15 = nn.pad %d low = [1] high = [2] interior = [1] : tensor<3xf32> -> tensor<8xf32>
  // CHECK: nn.one_hot %{{.*}} classes = 10 : tensor<?xi32> -> tensor<?x10xf32>
  %16 = nn.one_hot %l classes = 10 : tensor<?xi32> -> tensor<?x10xf32>
  // CHECK: nn.argmax %{{.*}} axis = 1 : tensor<?x10xf32> -> tensor<?xi32>
  %17 = nn.argmax %16 axis = 1 : tensor<?x10xf32> -> tensor<?xi32>
  // CHECK: nn.argmax %{{.*}} axis = 1 keepdims : tensor<?x10xf32> -> tensor<?x1xi32>
  %18 = nn.argmax %16 axis = 1 keepdims : tensor<?x10xf32> -> tensor<?x1xi32>
  // CHECK: nn.constant dense<true> : tensor<2xi1>
  %19 = nn.constant dense<true> : tensor<2xi1>
  return
}

// CHECK-LABEL: nn.model @tangents
nn.model @tangents {
  %x = nn.input "x" : tensor<?x2xf32>
  %l = nn.input "labels" label : tensor<?xi32>
  %w = nn.param "w" init <zeros> : tensor<f32>
  // CHECK: nn.loss_tangent %{{.*}}, %{{.*}} : tensor<f32>
  nn.loss_tangent %w, %w : tensor<f32>
  // CHECK: nn.gradient %{{.*}}, %{{.*}} : tensor<?x2xf32>
  nn.gradient %x, %x : tensor<?x2xf32>
}

// CHECK-LABEL: nn.model @dropout
// CHECK:       %[[STEP:.*]] = nn.hyper "step" default 1.000000e+00 : tensor<f32>
// CHECK:       nn.dropout %{{.*}}, %[[STEP]] rate = 2.500000e-01 salt = 2 : tensor<?x4xf32>, tensor<f32>
nn.model @dropout {
  %x = nn.input "x" : tensor<?x4xf32>
  %s = nn.hyper "step" default 1.0 : tensor<f32>
  %d = nn.dropout %x, %s rate = 0.25 salt = 2 : tensor<?x4xf32>, tensor<f32>
  nn.output "y" %d : tensor<?x4xf32>
}

// CHECK-LABEL: nn.model @noise
// CHECK:       nn.gaussian_noise %{{.*}}, %{{.*}} stddev = 1.000000e-01 salt = 0 : tensor<?x4xf32>, tensor<f32>
nn.model @noise {
  %x = nn.input "x" : tensor<?x4xf32>
  %s = nn.hyper "step" default 1.0 : tensor<f32>
  %d = nn.gaussian_noise %x, %s stddev = 0.1 salt = 0 : tensor<?x4xf32>, tensor<f32>
  nn.output "y" %d : tensor<?x4xf32>
}
