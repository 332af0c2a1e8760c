// Folders the pipeline's canonicalization relies on.
// RUN: kiln-opt %s -split-input-file --canonicalize | FileCheck %s

// CHECK-LABEL: func.func @identities
// CHECK-SAME:    (%[[A:.*]]: tensor<4xf32>)
// CHECK-NEXT:    return %[[A]], %[[A]], %[[A]], %[[A]], %[[A]], %[[A]]
func.func @identities(%a: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %zero = nn.constant dense<0.0> : tensor<4xf32>
  %one = nn.constant dense<1.0> : tensor<4xf32>
  %0 = nn.add %a, %zero : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = nn.mul %one, %a : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %n = nn.neg %a : tensor<4xf32>
  %2 = nn.neg %n : tensor<4xf32>
  %3 = nn.broadcast_to %a : tensor<4xf32> -> tensor<4xf32>
  %4 = nn.sum_to %a : tensor<4xf32> -> tensor<4xf32>
  %r = nn.reshape %a : tensor<4xf32> -> tensor<2x2xf32>
  %5 = nn.reshape %r : tensor<2x2xf32> -> tensor<4xf32>
  return %0, %1, %2, %3, %4, %5 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// A broadcasting identity is not a no-op: the shape changes.
// CHECK-LABEL: func.func @broadcasting_identity
// CHECK:         nn.add
func.func @broadcasting_identity(%a: tensor<4xf32>) -> tensor<3x4xf32> {
  %zero = nn.constant dense<0.0> : tensor<3x4xf32>
  %0 = nn.add %a, %zero : (tensor<4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

// Static counts fold to constants; the batch dim does not.
// CHECK-LABEL: func.func @counts
// CHECK-DAG:     %[[C:.*]] = nn.constant dense<1.200000e+01> : tensor<f32>
// CHECK-DAG:     %[[N:.*]] = nn.element_count %{{.*}} axes = [0, 1]
// CHECK:         return %[[C]], %[[N]]
func.func @counts(%a: tensor<3x4xf32>, %b: tensor<?x4xf32>) -> (tensor<f32>, tensor<f32>) {
  %0 = nn.element_count %a axes = [0, 1] : tensor<3x4xf32>
  %1 = nn.element_count %b axes = [0, 1] : tensor<?x4xf32>
  return %0, %1 : tensor<f32>, tensor<f32>
}
