// Reverse mode through the elementwise ops, with broadcast operands summed
// back to their own shapes and adjoints of reused values accumulated.
// RUN: kiln-opt %s -split-input-file --kiln-autodiff | FileCheck %s

// CHECK-LABEL: nn.model @chain
// CHECK-DAG: %[[A:.*]] = nn.param "a" init <zeros> : tensor<3xf32>
// CHECK-DAG: %[[B:.*]] = nn.param "b" init <zeros> : tensor<1xf32>
// CHECK-DAG: %[[ADD:.*]] = nn.add %{{.*}}, %[[A]]
// CHECK-DAG: %[[SUB:.*]] = nn.sub %[[ADD]], %[[B]]
// CHECK-DAG: %[[MUL:.*]] = nn.mul %[[SUB]], %[[A]]
// CHECK-DAG: %[[DIV:.*]] = nn.div %[[MUL]], %[[B]]
// CHECK-DAG: %[[EXP:.*]] = nn.exp %[[DIV]]
// CHECK-DAG: %[[LOG:.*]] = nn.log %[[EXP]]
// CHECK-DAG: %[[SIG:.*]] = nn.sigmoid %{{.*}}
// CHECK-DAG: %[[LOGY:.*]] = nn.log %{{.*}}
// CHECK:     nn.loss
// Mean: 1/n, broadcast back over the batch.
// CHECK:     %[[N:.*]] = nn.element_count %{{.*}} axes = [0, 1] : tensor<?x3xf32>
// CHECK:     %[[INV:.*]] = nn.div %{{.*}}, %[[N]]
// CHECK:     %[[D13:.*]] = nn.broadcast_to %{{.*}} : tensor<1x1xf32> -> tensor<?x3xf32>
// Product with the label: only the active side gets an adjoint.
// CHECK:     %[[D11:.*]] = nn.mul %[[D13]], %[[LOGY]]
// σ' = σ(1 - σ), from the saved output.
// CHECK:     %[[ONEMS:.*]] = nn.sub %{{.*}}, %[[SIG]] : (tensor<f32>, tensor<?x3xf32>)
// CHECK:     %[[DSIG:.*]] = nn.mul %[[SIG]], %[[ONEMS]]
// CHECK:     %[[D10:.*]] = nn.mul %[[D11]], %[[DSIG]]
// CHECK:     %[[D9:.*]] = nn.neg %[[D10]]
// CHECK:     %[[D8:.*]] = nn.div %[[D9]], %[[EXP]]
// CHECK:     %[[D7:.*]] = nn.mul %[[D8]], %[[EXP]]
// q = m / b:  dm = dq / b,  db = -(dq·q) / b, summed to b's shape.
// CHECK:     %[[D6:.*]] = nn.div %[[D7]], %[[B]]
// CHECK:     %[[T:.*]] = nn.mul %[[D7]], %[[DIV]]
// CHECK:     %[[T2:.*]] = nn.div %[[T]], %[[B]]
// CHECK:     %[[T3:.*]] = nn.neg %[[T2]]
// CHECK:     %[[DB1:.*]] = nn.sum_to %[[T3]] : tensor<?x3xf32> -> tensor<1xf32>
// CHECK:     %[[D5:.*]] = nn.mul %[[D6]], %[[A]]
// CHECK:     %[[T4:.*]] = nn.mul %[[D6]], %[[SUB]]
// CHECK:     %[[DA1:.*]] = nn.sum_to %[[T4]] : tensor<?x3xf32> -> tensor<3xf32>
// CHECK:     %[[T5:.*]] = nn.neg %[[D5]]
// CHECK:     %[[DB2:.*]] = nn.sum_to %[[T5]] : tensor<?x3xf32> -> tensor<1xf32>
// CHECK:     %[[DB:.*]] = nn.add %[[DB1]], %[[DB2]]
// CHECK:     %[[DA2:.*]] = nn.sum_to %[[D5]] : tensor<?x3xf32> -> tensor<3xf32>
// CHECK:     %[[DA:.*]] = nn.add %[[DA1]], %[[DA2]]
// CHECK:     nn.gradient %[[A]], %[[DA]] : tensor<3xf32>
// CHECK:     nn.gradient %[[B]], %[[DB]] : tensor<1xf32>
// The label branch gets nothing, and sigmoid is never recomputed.
// CHECK-NOT: nn.sigmoid
nn.model @chain {
  %x = nn.input "x" : tensor<?x3xf32>
  %y = nn.input "y" label : tensor<?x3xf32>
  %a = nn.param "a" init <zeros> : tensor<3xf32>
  %b = nn.param "b" init <zeros> : tensor<1xf32>
  %0 = nn.add %x, %a : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %1 = nn.sub %0, %b : (tensor<?x3xf32>, tensor<1xf32>) -> tensor<?x3xf32>
  %2 = nn.mul %1, %a : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %3 = nn.div %2, %b : (tensor<?x3xf32>, tensor<1xf32>) -> tensor<?x3xf32>
  %4 = nn.exp %3 : tensor<?x3xf32>
  %5 = nn.log %4 : tensor<?x3xf32>
  %6 = nn.neg %5 : tensor<?x3xf32>
  %7 = nn.sigmoid %6 : tensor<?x3xf32>
  %8 = nn.log %y : tensor<?x3xf32>
  %9 = nn.mul %7, %8 : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  %l = nn.reduce_mean %9 axes = [0, 1] : tensor<?x3xf32> -> tensor<f32>
  nn.loss %l : tensor<f32>
}

// -----

// A value with two users: w·w gets both halves of its adjoint summed.
// CHECK-LABEL: nn.model @square
// CHECK:     %[[W:.*]] = nn.param "w"
// CHECK:     nn.loss
// CHECK:     %[[G1:.*]] = nn.mul %[[DY:.*]], %[[W]]
// CHECK:     %[[G2:.*]] = nn.mul %[[DY]], %[[W]]
// CHECK:     %[[G:.*]] = nn.add %[[G1]], %[[G2]]
// CHECK:     nn.gradient %[[W]], %[[G]]
nn.model @square {
  %w = nn.param "w" init <ones> : tensor<2xf32>
  %0 = nn.mul %w, %w : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %l = nn.reduce_sum %0 axes = [0] : tensor<2xf32> -> tensor<f32>
  nn.loss %l : tensor<f32>
}

// -----

// Ops that do not lie between a parameter and the loss get no adjoint.
// CHECK-LABEL: nn.model @dead
// CHECK:     nn.loss
// CHECK-NOT: nn.exp
// CHECK:     nn.gradient
nn.model @dead {
  %x = nn.input "x" : tensor<?x2xf32>
  %w = nn.param "w" init <ones> : tensor<2xf32>
  %e = nn.exp %x : tensor<?x2xf32>
  nn.output "unrelated" %e : tensor<?x2xf32>
  %0 = nn.mul %x, %w : (tensor<?x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  %l = nn.reduce_mean %0 axes = [0, 1] : tensor<?x2xf32> -> tensor<f32>
  nn.loss %l : tensor<f32>
}

// -----

// Dropout's adjoint is the same dropout (seed, rate, salt) of the incoming
// adjoint: the mask is recomputed, not saved; the seed gets no gradient.
// CHECK-LABEL: nn.model @dropout
// CHECK:       %[[STEP:.*]] = nn.hyper "step"
// CHECK:       nn.dropout %{{.*}}, %[[STEP]] rate = 2.500000e-01 salt = 5
// CHECK:       %[[DG:.*]] = nn.dropout %{{.*}}, %[[STEP]] rate = 2.500000e-01 salt = 5 : tensor<2xf32>, tensor<f32>
// CHECK:       nn.gradient %{{.*}}, %[[DG]] : tensor<2xf32>
// CHECK-NOT:   nn.gradient
nn.model @dropout {
  %w = nn.param "w" init <zeros> : tensor<2xf32>
  %step = nn.hyper "step" default 1.0 : tensor<f32>
  %d = nn.dropout %w, %step rate = 0.25 salt = 5 : tensor<2xf32>, tensor<f32>
  %l = nn.reduce_sum %d axes = [0] : tensor<2xf32> -> tensor<f32>
  nn.loss %l : tensor<f32>
}
