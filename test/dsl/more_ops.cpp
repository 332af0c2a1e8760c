// The DSL's functions beyond arithmetic each build their nn op; i32 labels
// feed one_hot; flatten is a reshape. (The operands of one C++ expression
// are built in the order the C++ compiler evaluates them, which the
// language leaves unspecified: CHECK-DAG within an expression.)
// RUN: %kiln build %s --emit=nn | FileCheck %s
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(more_ops, m) {
  // CHECK-DAG: %[[X:.*]] = nn.input "x" : tensor<?x2x3xf32>
  Tensor x = m.input("x", {batch, 2, 3});
  // CHECK-DAG: %[[L:.*]] = nn.input "classes" label : tensor<?xi32>
  Tensor labels = m.label("classes", {batch}, DType::i32);
  // CHECK: %[[F:.*]] = nn.reshape %[[X]] : tensor<?x2x3xf32> -> tensor<?x6xf32>
  Tensor f = flatten(x);
  // CHECK-DAG: nn.sqrt
  // CHECK-DAG: nn.abs
  // CHECK-DAG: nn.sin
  // CHECK-DAG: nn.cos
  // CHECK-DAG: nn.sign
  Tensor u = sqrt(abs(sin(f))) + cos(f) * sign(f);
  // CHECK: nn.pow {{.*}} : (tensor<?x6xf32>, tensor<f32>) -> tensor<?x6xf32>
  // CHECK: nn.maximum
  // CHECK: nn.minimum
  Tensor v = minimum(maximum(pow(u, 2.0), f), u);
  // CHECK: %[[M:.*]] = nn.compare gt, {{.*}} : (tensor<?x6xf32>, tensor<f32>) -> tensor<?x6xi1>
  // CHECK-DAG: nn.select %[[M]]
  // CHECK-DAG: nn.cast %[[M]] : tensor<?x6xi1> -> tensor<?x6xf32>
  Tensor mask = v > 0.0;
  Tensor w = where(mask, v, f) + to_f32(mask);
  // CHECK: nn.reduce_max {{.*}} axes = [1] keepdims
  Tensor mx = max(w, {-1}, true);
  // CHECK: nn.transpose {{.*}} permutation = [1, 0] : tensor<6x3xf32> -> tensor<3x6xf32>
  Tensor p = m.param("p", {6, 3});
  Tensor pt = transpose(p);
  // CHECK: nn.concat {{.*}} axis = 1 : (tensor<?x6xf32>, tensor<?x1xf32>) -> tensor<?x7xf32>
  Tensor c = concat({w, mx}, 1);
  // CHECK: nn.slice {{.*}} starts = [0, 1] limits = [-1, 7] strides = [1, 2] : tensor<?x7xf32> -> tensor<?x3xf32>
  Tensor s = slice(c, {0, 1}, {-1, 7}, {1, 2});
  // CHECK: nn.pad {{.*}} low = [0, 1] high = [0, 2] interior = [0, 0] : tensor<?x3xf32> -> tensor<?x6xf32>
  Tensor padded = pad(s, {0, 1}, {0, 2});
  // CHECK: nn.one_hot %[[L]] classes = 3 : tensor<?xi32> -> tensor<?x3xf32>
  Tensor target = one_hot(labels, 3);
  // CHECK: nn.argmax {{.*}} axis = 1 : tensor<?x3xf32> -> tensor<?xi32>
  Tensor scores = matmul(padded, p);
  m.output("class", argmax(scores, 1));
  m.loss(mse(scores, target) + mean(pt));
}
