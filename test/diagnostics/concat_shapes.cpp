// DSL diagnostic: concat of operands that differ outside the axis; notes at both.
// RUN: %kiln build %s -o %t.model 2> %t.err; test $? -eq 1
// RUN: FileCheck %s < %t.err
// RUN: not test -e %t.model
// RUN: test "$(grep -c 'error:' %t.err)" -eq 1
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(concat_shapes, m) {
  Tensor x = m.input("x", {batch, 3});
  Tensor w = m.param("w", {3, 2});
  // CHECK: {{.*}}concat_shapes.cpp:[[# @LINE + 3]]:{{[0-9]+}}: error: concat operand #1 is 3x2, which does not match ?x3 outside axis 1
  // CHECK: {{.*}}concat_shapes.cpp:[[# @LINE - 3]]:{{[0-9]+}}: note: operand #0 (?x3) is defined here
  // CHECK: {{.*}}concat_shapes.cpp:[[# @LINE - 3]]:{{[0-9]+}}: note: this operand (3x2) is defined here
  Tensor c = concat({x, w}, 1);
  m.loss(mean(x) + mean(w));
}
