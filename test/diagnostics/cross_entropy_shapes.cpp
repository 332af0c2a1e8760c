// DSL diagnostic: softmax cross-entropy of logits and labels of different shapes; notes at both.
// RUN: %kiln build %s -o %t.model 2> %t.err; test $? -eq 1
// RUN: FileCheck %s < %t.err
// RUN: not test -e %t.model
// RUN: test "$(grep -c 'error:' %t.err)" -eq 1
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(cross_entropy_shapes, m) {
  Tensor x = m.input("x", {batch, 3});
  Tensor y = m.label("y", {batch, 2}, DType::i32);
  Tensor l = dense(m, "fc", x, 3);
  // CHECK: {{.*}}cross_entropy_shapes.cpp:[[# @LINE + 3]]:{{[0-9]+}}: error: softmax_cross_entropy needs logits [..., classes] and labels [...] of the same leading shape, got ?x3 and ?x2
  // CHECK: {{.*}}cross_entropy_shapes.cpp:[[# @LINE - 2]]:{{[0-9]+}}: note: logits (?x3) is defined here
  // CHECK: {{.*}}cross_entropy_shapes.cpp:[[# @LINE - 4]]:{{[0-9]+}}: note: labels (?x2) is defined here
  m.loss(softmax_cross_entropy(l, y));
}
