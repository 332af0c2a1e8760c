// --kiln-fuse, one function per fusion pattern.
// RUN: kiln-opt %s --kiln-fuse | FileCheck %s
// With fusion=false every op is its own kernel (for comparison).
// RUN: kiln-opt %s --kiln-fuse=fusion=false | FileCheck %s --check-prefix=NOFUSE
// The fused module is valid IR and prints back identically.
// RUN: kiln-opt %s --kiln-fuse | kiln-opt | FileCheck %s

// Bias and ReLU are the matmul's epilogue: one kernel yields only the ReLU.
// CHECK-LABEL: func.func @matmul_bias_relu(
// CHECK:         %[[K:.*]] = kern.kernel "matmul"(%arg0, %arg1, %arg2)
// CHECK-NEXT:    ^bb0(
// CHECK-NEXT:      %[[MM:.*]] = nn.matmul
// CHECK-NEXT:      %[[B:.*]] = nn.add %[[MM]],
// CHECK-NEXT:      %[[R:.*]] = nn.relu %[[B]]
// CHECK-NEXT:      kern.yield %[[R]] : tensor<?x16xf32>
// CHECK-NEXT:    }
// CHECK-NEXT:    return %[[K]]
// NOFUSE-LABEL: func.func @matmul_bias_relu(
// NOFUSE-COUNT-3: kern.kernel
// NOFUSE-NOT:   kern.kernel
// NOFUSE:       return
func.func @matmul_bias_relu(%x: tensor<?x8xf32>, %w: tensor<8x16xf32>, %b: tensor<16xf32>) -> tensor<?x16xf32> {
  %0 = nn.matmul %x, %w : (tensor<?x8xf32>, tensor<8x16xf32>) -> tensor<?x16xf32>
  %1 = nn.add %0, %b : (tensor<?x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  %2 = nn.relu %1 : tensor<?x16xf32>
  return %2 : tensor<?x16xf32>
}

// The backward ReLU mask (compare + select) is the epilogue of the dX matmul.
// CHECK-LABEL: func.func @relu_mask_into_dx(
// CHECK:         kern.kernel "matmul"(%arg0, %arg1, %arg2)
// CHECK:           nn.matmul {{.*}} transpose_rhs
// CHECK:           nn.compare gt
// CHECK:           nn.select
// CHECK:           kern.yield
// CHECK-NOT:     kern.kernel
// CHECK:         return
func.func @relu_mask_into_dx(%dz: tensor<?x16xf32>, %w: tensor<8x16xf32>, %h: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %zero = nn.constant dense<0.0> : tensor<f32>
  %0 = nn.matmul %dz, %w transpose_rhs : (tensor<?x16xf32>, tensor<8x16xf32>) -> tensor<?x8xf32>
  %1 = nn.compare gt, %h, %zero : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xi1>
  %2 = nn.select %1, %0, %zero : (tensor<?x8xi1>, tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  return %2 : tensor<?x8xf32>
}

// The loss and its gradient read the logits once, in one kernel with two
// results.
// CHECK-LABEL: func.func @softmax_ce_and_gradient(
// CHECK:         %[[K:.*]]:2 = kern.kernel "reduction"(%arg0, %arg1)
// CHECK:           %[[L:.*]] = nn.softmax_cross_entropy
// CHECK:           nn.softmax
// CHECK:           nn.one_hot
// CHECK:           %[[G:.*]] = nn.div
// CHECK:           kern.yield %[[L]], %[[G]] : tensor<f32>, tensor<?x10xf32>
// CHECK-NOT:     kern.kernel
// CHECK:         return %[[K]]#0, %[[K]]#1
func.func @softmax_ce_and_gradient(%logits: tensor<?x10xf32>, %y: tensor<?xi32>) -> (tensor<f32>, tensor<?x10xf32>) {
  %0 = nn.softmax_cross_entropy %logits, %y : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
  %1 = nn.softmax %logits axis = 1 : tensor<?x10xf32>
  %2 = nn.one_hot %y classes = 10 : tensor<?xi32> -> tensor<?x10xf32>
  %3 = nn.sub %1, %2 : (tensor<?x10xf32>, tensor<?x10xf32>) -> tensor<?x10xf32>
  %4 = nn.element_count %y axes = [0] : tensor<?xi32>
  %5 = nn.div %3, %4 : (tensor<?x10xf32>, tensor<f32>) -> tensor<?x10xf32>
  return %0, %5 : tensor<f32>, tensor<?x10xf32>
}

// Adam's update is the epilogue of the weight-gradient matmul: the gradient
// never reaches memory; the kernel yields the new m, v and weight.
// CHECK-LABEL: func.func @adam_into_weight_gradient(
// CHECK:         %[[K:.*]]:3 = kern.kernel "matmul"
// CHECK:           %[[DW:.*]] = nn.matmul {{.*}} transpose_lhs
// CHECK:           %[[M:.*]] = nn.add
// CHECK:           %[[V:.*]] = nn.add
// CHECK:           nn.sqrt
// CHECK:           %[[W:.*]] = nn.sub %arg13,
// CHECK:           kern.yield %[[M]], %[[V]], %[[W]] : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>
// CHECK-NOT:     kern.kernel
// CHECK:         return %[[K]]#2, %[[K]]#0, %[[K]]#1
func.func @adam_into_weight_gradient(%w: tensor<8x16xf32>, %m: tensor<8x16xf32>, %v: tensor<8x16xf32>, %lr: tensor<f32>, %step: tensor<f32>, %x: tensor<?x8xf32>, %dz: tensor<?x16xf32>) -> (tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>) {
  %eps = nn.constant dense<1.0e-8> : tensor<f32>
  %c1 = nn.constant dense<1.0e-3> : tensor<f32>
  %c2 = nn.constant dense<1.0e-1> : tensor<f32>
  %b2 = nn.constant dense<0.999> : tensor<f32>
  %b1 = nn.constant dense<0.9> : tensor<f32>
  %one = nn.constant dense<1.0> : tensor<f32>
  %dw = nn.matmul %x, %dz transpose_lhs : (tensor<?x8xf32>, tensor<?x16xf32>) -> tensor<8x16xf32>
  %p1 = nn.pow %b1, %step : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %c1t = nn.sub %one, %p1 : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %p2 = nn.pow %b2, %step : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %c2t = nn.sub %one, %p2 : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %0 = nn.mul %b1, %m : (tensor<f32>, tensor<8x16xf32>) -> tensor<8x16xf32>
  %1 = nn.mul %c2, %dw : (tensor<f32>, tensor<8x16xf32>) -> tensor<8x16xf32>
  %nm = nn.add %0, %1 : (tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<8x16xf32>
  %2 = nn.mul %dw, %dw : (tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<8x16xf32>
  %3 = nn.mul %b2, %v : (tensor<f32>, tensor<8x16xf32>) -> tensor<8x16xf32>
  %4 = nn.mul %c1, %2 : (tensor<f32>, tensor<8x16xf32>) -> tensor<8x16xf32>
  %nv = nn.add %3, %4 : (tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<8x16xf32>
  %5 = nn.div %nm, %c1t : (tensor<8x16xf32>, tensor<f32>) -> tensor<8x16xf32>
  %6 = nn.div %nv, %c2t : (tensor<8x16xf32>, tensor<f32>) -> tensor<8x16xf32>
  %7 = nn.sqrt %6 : tensor<8x16xf32>
  %8 = nn.add %7, %eps : (tensor<8x16xf32>, tensor<f32>) -> tensor<8x16xf32>
  %9 = nn.div %5, %8 : (tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<8x16xf32>
  %10 = nn.mul %lr, %9 : (tensor<f32>, tensor<8x16xf32>) -> tensor<8x16xf32>
  %nw = nn.sub %w, %10 : (tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<8x16xf32>
  return %nw, %nm, %nv : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>
}

// A bias gradient (sum_to over the batch) takes its update as epilogue.
// CHECK-LABEL: func.func @sgd_into_bias_gradient(
// CHECK:         kern.kernel "reduction"
// CHECK:           nn.sum_to
// CHECK:           nn.mul
// CHECK:           nn.sub
// CHECK-NOT:     kern.kernel
// CHECK:         return
func.func @sgd_into_bias_gradient(%b: tensor<16xf32>, %lr: tensor<f32>, %dz: tensor<?x16xf32>) -> tensor<16xf32> {
  %db = nn.sum_to %dz : tensor<?x16xf32> -> tensor<16xf32>
  %0 = nn.mul %lr, %db : (tensor<f32>, tensor<16xf32>) -> tensor<16xf32>
  %1 = nn.sub %b, %0 : (tensor<16xf32>, tensor<16xf32>) -> tensor<16xf32>
  return %1 : tensor<16xf32>
}

// Elementwise producers with one consumer are inlined into a reduction.
// CHECK-LABEL: func.func @prologue_into_reduction(
// CHECK:         kern.kernel "reduction"(%arg0, %arg1)
// CHECK:           nn.sub
// CHECK:           nn.mul
// CHECK:           nn.reduce_sum
// CHECK-NOT:     kern.kernel
// CHECK:         return
func.func @prologue_into_reduction(%a: tensor<?x8xf32>, %b: tensor<?x8xf32>) -> tensor<f32> {
  %0 = nn.sub %a, %b : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %1 = nn.mul %0, %0 : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %2 = nn.reduce_sum %1 axes = [0, 1] : tensor<?x8xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// ...but not into a matmul operand, which the K loop would recompute.
// CHECK-LABEL: func.func @matmul_operand_not_inlined(
// CHECK:         %[[E:.*]] = kern.kernel "pointwise"(%arg0)
// CHECK:           nn.exp
// CHECK:         kern.kernel "matmul"(%[[E]], %arg1)
func.func @matmul_operand_not_inlined(%x: tensor<?x8xf32>, %w: tensor<8x16xf32>) -> tensor<?x16xf32> {
  %0 = nn.exp %x : tensor<?x8xf32>
  %1 = nn.matmul %0, %w : (tensor<?x8xf32>, tensor<8x16xf32>) -> tensor<?x16xf32>
  return %1 : tensor<?x16xf32>
}

// The mul reads the matmul and a reduction of it: joining the matmul's
// kernel would make the two kernels wait for each other, so it stays apart.
// CHECK-LABEL: func.func @no_cycle(
// CHECK:         %[[MM:.*]] = kern.kernel "matmul"(%arg0, %arg1)
// CHECK:         %[[S:.*]] = kern.kernel "reduction"(%[[MM]])
// CHECK:         %[[P:.*]] = kern.kernel "pointwise"(%[[MM]], %[[S]])
// CHECK:         return %[[P]]
func.func @no_cycle(%x: tensor<?x8xf32>, %w: tensor<8x16xf32>) -> tensor<?x16xf32> {
  %0 = nn.matmul %x, %w : (tensor<?x8xf32>, tensor<8x16xf32>) -> tensor<?x16xf32>
  %1 = nn.reduce_sum %0 axes = [0, 1] : tensor<?x16xf32> -> tensor<f32>
  %2 = nn.mul %0, %1 : (tensor<?x16xf32>, tensor<f32>) -> tensor<?x16xf32>
  return %2 : tensor<?x16xf32>
}

// Two updates share the bias corrections of one step count: the scalar
// chains form one kernel, computed once.
// CHECK-LABEL: func.func @shared_scalar_chain(
// CHECK:         %[[C:.*]]:2 = kern.kernel "pointwise"(%arg2)
// CHECK:           nn.pow
// CHECK:           nn.sub
// CHECK:           nn.pow
// CHECK:           nn.sub
// CHECK:           kern.yield
// CHECK:         kern.kernel "pointwise"(%arg0, %[[C]]#0, %[[C]]#1)
// CHECK:         kern.kernel "pointwise"(%arg1, %[[C]]#0, %[[C]]#1)
func.func @shared_scalar_chain(%a: tensor<8xf32>, %b: tensor<4xf32>, %step: tensor<f32>) -> (tensor<8xf32>, tensor<4xf32>) {
  %one = nn.constant dense<1.0> : tensor<f32>
  %b1 = nn.constant dense<0.9> : tensor<f32>
  %b2 = nn.constant dense<0.999> : tensor<f32>
  %p1 = nn.pow %b1, %step : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %c1 = nn.sub %one, %p1 : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %p2 = nn.pow %b2, %step : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %c2 = nn.sub %one, %p2 : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %0 = nn.div %a, %c1 : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %1 = nn.div %0, %c2 : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %2 = nn.div %b, %c1 : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %3 = nn.div %2, %c2 : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %1, %3 : tensor<8xf32>, tensor<4xf32>
}
