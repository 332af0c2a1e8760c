// kern.kernel round-trips, with and without the memory plan's attributes.
// RUN: kiln-opt %s | FileCheck %s
// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// RUN: kiln-opt %s --mlir-print-op-generic | kiln-opt | FileCheck %s

// CHECK-LABEL: func.func @dense_relu(
// CHECK:         %[[K:.*]] = kern.kernel "matmul"(%arg0, %arg1, %arg2) : (tensor<?x8xf32>, tensor<8x16xf32>, tensor<16xf32>) -> tensor<?x16xf32> {
// CHECK-NEXT:    ^bb0(%[[X:.*]]: tensor<?x8xf32>, %[[W:.*]]: tensor<8x16xf32>, %[[B:.*]]: tensor<16xf32>):
// CHECK-NEXT:      %[[MM:.*]] = nn.matmul %[[X]], %[[W]]
// CHECK-NEXT:      %[[A:.*]] = nn.add %[[MM]], %[[B]]
// CHECK-NEXT:      %[[R:.*]] = nn.relu %[[A]]
// CHECK-NEXT:      kern.yield %[[R]] : tensor<?x16xf32>
// CHECK-NEXT:    }
// CHECK-NEXT:    return %[[K]]
func.func @dense_relu(%x: tensor<?x8xf32>, %w: tensor<8x16xf32>, %b: tensor<16xf32>) -> tensor<?x16xf32> {
  %0 = kern.kernel "matmul"(%x, %w, %b) : (tensor<?x8xf32>, tensor<8x16xf32>, tensor<16xf32>) -> tensor<?x16xf32> {
  ^bb0(%x0: tensor<?x8xf32>, %w0: tensor<8x16xf32>, %b0: tensor<16xf32>):
    %1 = nn.matmul %x0, %w0 : (tensor<?x8xf32>, tensor<8x16xf32>) -> tensor<?x16xf32>
    %2 = nn.add %1, %b0 : (tensor<?x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
    %3 = nn.relu %2 : tensor<?x16xf32>
    kern.yield %3 : tensor<?x16xf32>
  }
  return %0 : tensor<?x16xf32>
}

// CHECK-LABEL: func.func @planned(
// CHECK:         kern.kernel "auto:Adams2019"(%arg0) {inplace = array<i64: 0, -1>, slots = array<i64: -1, 3>} : (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
// CHECK:           kern.yield %{{.*}}, %{{.*}} : tensor<4xf32>, tensor<4xf32>
func.func @planned(%a: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0:2 = kern.kernel "auto:Adams2019"(%a) {inplace = array<i64: 0, -1>, slots = array<i64: -1, 3>} : (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  ^bb0(%a0: tensor<4xf32>):
    %1 = nn.exp %a0 : tensor<4xf32>
    %2 = nn.sqrt %a0 : tensor<4xf32>
    kern.yield %1, %2 : tensor<4xf32>, tensor<4xf32>
  }
  return %0#0, %0#1 : tensor<4xf32>, tensor<4xf32>
}
