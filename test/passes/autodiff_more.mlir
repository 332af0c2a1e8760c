// Reverse mode through the ops beyond arithmetic: pow, max/min, select,
// sqrt/abs/cos, reduce_max, and the shape moves (each VJP the opposite move).
// RUN: kiln-opt %s -split-input-file --kiln-autodiff | FileCheck %s

// p = aᵇ:  da = dy·b·a^(b−1),  db = Σ dy·p·ln a  (b broadcast: summed back).
// CHECK-LABEL: nn.model @pow
// CHECK-DAG: %[[A:.*]] = nn.param "a"
// CHECK-DAG: %[[B:.*]] = nn.param "b"
// CHECK-DAG: %[[P:.*]] = nn.pow %[[A]], %[[B]]
// CHECK:     nn.loss
// CHECK:     %[[DY:.*]] = nn.broadcast_to
// CHECK:     %[[BM1:.*]] = nn.sub %[[B]], %{{.*}}
// CHECK:     %[[POW:.*]] = nn.pow %[[A]], %[[BM1]]
// CHECK:     %[[SL:.*]] = nn.mul %[[B]], %[[POW]]
// CHECK:     %[[DA:.*]] = nn.mul %[[DY]], %[[SL]]
// CHECK:     %[[LN:.*]] = nn.log %[[A]]
// CHECK:     %[[PL:.*]] = nn.mul %[[P]], %[[LN]]
// CHECK:     %[[DBF:.*]] = nn.mul %[[DY]], %[[PL]]
// CHECK:     %[[DB:.*]] = nn.sum_to %[[DBF]] : tensor<3xf32> -> tensor<f32>
// CHECK:     nn.gradient %[[A]], %[[DA]]
// CHECK:     nn.gradient %[[B]], %[[DB]]
nn.model @pow {
  %a = nn.param "a" init <ones> : tensor<3xf32>
  %b = nn.param "b" init <ones> : tensor<f32>
  %p = nn.pow %a, %b : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  %l = nn.reduce_sum %p axes = [0] : tensor<3xf32> -> tensor<f32>
  nn.loss %l : tensor<f32>
}

// -----

// max routes the adjoint to the chosen operand (the lhs on ties); min too.
// CHECK-LABEL: nn.model @max
// CHECK:     nn.loss
// CHECK:     %[[DY:.*]] = nn.broadcast_to
// CHECK:     %[[GE:.*]] = nn.compare ge, %[[A:.*]], %[[B:.*]] :
// CHECK:     %[[Z:.*]] = nn.constant dense<0.000000e+00>
// CHECK:     %[[DA:.*]] = nn.select %[[GE]], %[[DY]], %[[Z]]
// CHECK:     %[[DB:.*]] = nn.select %[[GE]], %[[Z]], %[[DY]]
// CHECK:     nn.gradient %[[A]], %[[DA]]
// CHECK:     nn.gradient %[[B]], %[[DB]]
nn.model @max {
  %a = nn.param "a" init <ones> : tensor<3xf32>
  %b = nn.param "b" init <ones> : tensor<3xf32>
  %p = nn.maximum %a, %b : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %l = nn.reduce_sum %p axes = [0] : tensor<3xf32> -> tensor<f32>
  nn.loss %l : tensor<f32>
}

// -----

// CHECK-LABEL: nn.model @min
// CHECK:     nn.compare le
nn.model @min {
  %a = nn.param "a" init <ones> : tensor<3xf32>
  %b = nn.param "b" init <ones> : tensor<3xf32>
  %p = nn.minimum %a, %b : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %l = nn.reduce_sum %p axes = [0] : tensor<3xf32> -> tensor<f32>
  nn.loss %l : tensor<f32>
}

// -----

// select: the parameter gets the adjoint where it was chosen, summed back
// over the batch; the mask (and the input) get nothing.
// CHECK-LABEL: nn.model @select
// CHECK-DAG: %[[A:.*]] = nn.param "a"
// CHECK-DAG: %[[M:.*]] = nn.compare gt
// CHECK:     nn.loss
// CHECK:     %[[DY:.*]] = nn.broadcast_to %{{.*}} : tensor<1x1xf32> -> tensor<?x3xf32>
// CHECK:     %[[Z:.*]] = nn.constant dense<0.000000e+00>
// CHECK:     %[[S:.*]] = nn.select %[[M]], %[[Z]], %[[DY]]
// CHECK:     %[[DA:.*]] = nn.sum_to %[[S]] : tensor<?x3xf32> -> tensor<3xf32>
// CHECK:     nn.gradient %[[A]], %[[DA]]
// CHECK-NOT: nn.select
nn.model @select {
  %x = nn.input "x" : tensor<?x3xf32>
  %a = nn.param "a" init <ones> : tensor<3xf32>
  %zero = nn.constant dense<0.0> : tensor<f32>
  %m = nn.compare gt, %x, %zero : (tensor<?x3xf32>, tensor<f32>) -> tensor<?x3xi1>
  %p = nn.select %m, %x, %a : (tensor<?x3xi1>, tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %l = nn.reduce_mean %p axes = [0, 1] : tensor<?x3xf32> -> tensor<f32>
  nn.loss %l : tensor<f32>
}

// -----

// cos' = −sin, |x|' = sign(x), (√x)' = 1/(2√x) reusing the saved √x.
// CHECK-LABEL: nn.model @unary
// CHECK-DAG: %[[A:.*]] = nn.param "a"
// CHECK-DAG: %[[R:.*]] = nn.sqrt %[[A]]
// CHECK-DAG: %[[ABS:.*]] = nn.abs %[[R]]
// CHECK:     nn.loss
// CHECK:     %[[SIN:.*]] = nn.sin %[[ABS]]
// CHECK:     %[[T:.*]] = nn.mul %{{.*}}, %[[SIN]]
// CHECK:     %[[DCOS:.*]] = nn.neg %[[T]]
// CHECK:     %[[SG:.*]] = nn.sign %[[R]]
// CHECK:     %[[DABS:.*]] = nn.mul %[[DCOS]], %[[SG]]
// CHECK:     %[[TWOR:.*]] = nn.mul %{{.*}}, %[[R]]
// CHECK:     %[[DA:.*]] = nn.div %[[DABS]], %[[TWOR]]
// CHECK:     nn.gradient %[[A]], %[[DA]]
// CHECK-NOT: nn.sqrt
nn.model @unary {
  %a = nn.param "a" init <ones> : tensor<3xf32>
  %0 = nn.sqrt %a : tensor<3xf32>
  %1 = nn.abs %0 : tensor<3xf32>
  %2 = nn.cos %1 : tensor<3xf32>
  %l = nn.reduce_sum %2 axes = [0] : tensor<3xf32> -> tensor<f32>
  nn.loss %l : tensor<f32>
}

// -----

// reduce_max: the adjoint goes to the maxima, shared equally among ties.
// CHECK-LABEL: nn.model @reduce_max
// CHECK-DAG: %[[A:.*]] = nn.param "a"
// CHECK-DAG: %[[M:.*]] = nn.reduce_max %[[A]] axes = [1]
// CHECK:     nn.loss
// CHECK:     %[[MK:.*]] = nn.reshape %[[M]] : tensor<2xf32> -> tensor<2x1xf32>
// CHECK:     %[[EQ:.*]] = nn.compare eq, %[[A]], %[[MK]]
// CHECK:     %[[HIT:.*]] = nn.cast %[[EQ]] : tensor<2x3xi1> -> tensor<2x3xf32>
// CHECK:     %[[TIES:.*]] = nn.reduce_sum %[[HIT]] axes = [1] keepdims
// CHECK:     %[[W:.*]] = nn.div %[[HIT]], %[[TIES]]
// CHECK:     %[[DA:.*]] = nn.mul %[[W]], %{{.*}} : (tensor<2x3xf32>, tensor<2x1xf32>)
// CHECK:     nn.gradient %[[A]], %[[DA]]
nn.model @reduce_max {
  %a = nn.param "a" init <ones> : tensor<2x3xf32>
  %m = nn.reduce_max %a axes = [1] : tensor<2x3xf32> -> tensor<2xf32>
  %l = nn.reduce_sum %m axes = [0] : tensor<2xf32> -> tensor<f32>
  nn.loss %l : tensor<f32>
}

// -----

// pad ← slice, slice ← pad (interior padding undoes the stride),
// concat ← slices, transpose ← the inverse permutation.
// CHECK-LABEL: nn.model @moves
// CHECK-DAG: %[[A:.*]] = nn.param "a"
// CHECK-DAG: %[[B:.*]] = nn.param "b"
// CHECK:     nn.loss
// CHECK:     %[[DP:.*]] = nn.broadcast_to %{{.*}} -> tensor<3x3xf32>
// CHECK:     %[[DS:.*]] = nn.slice %[[DP]] starts = [1, 0] limits = [3, 3] strides = [1, 2] : tensor<3x3xf32> -> tensor<2x2xf32>
// CHECK:     %[[DC:.*]] = nn.pad %[[DS]] low = [0, 1] high = [0, 0] interior = [0, 1] : tensor<2x2xf32> -> tensor<2x4xf32>
// CHECK:     %[[DT:.*]] = nn.slice %[[DC]] starts = [0, 0] limits = [2, 3] strides = [1, 1] : tensor<2x4xf32> -> tensor<2x3xf32>
// CHECK:     %[[DB:.*]] = nn.slice %[[DC]] starts = [0, 3] limits = [2, 4] strides = [1, 1] : tensor<2x4xf32> -> tensor<2x1xf32>
// CHECK:     %[[DA:.*]] = nn.transpose %[[DT]] permutation = [1, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
// CHECK:     nn.gradient %[[A]], %[[DA]]
// CHECK:     nn.gradient %[[B]], %[[DB]]
nn.model @moves {
  %a = nn.param "a" init <ones> : tensor<3x2xf32>
  %b = nn.param "b" init <ones> : tensor<2x1xf32>
  %t = nn.transpose %a permutation = [1, 0] : tensor<3x2xf32> -> tensor<2x3xf32>
  %c = nn.concat %t, %b axis = 1 : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
  %s = nn.slice %c starts = [0, 1] limits = [2, 4] strides = [1, 2] : tensor<2x4xf32> -> tensor<2x2xf32>
  %p = nn.pad %s low = [1, 0] high = [0, 0] interior = [0, 1] : tensor<2x2xf32> -> tensor<3x3xf32>
  %l = nn.reduce_sum %p axes = [0, 1] : tensor<3x3xf32> -> tensor<f32>
  nn.loss %l : tensor<f32>
}
