// DSL diagnostic: an integer tensor where a float one is needed.
// RUN: %kiln build %s -o %t.model 2> %t.err; test $? -eq 1
// RUN: FileCheck %s < %t.err
// RUN: not test -e %t.model
// RUN: test "$(grep -c 'error:' %t.err)" -eq 1
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(integer_operand, m) {
  Tensor x = m.input("x", {batch, 3});
  Tensor y = m.label("y", {batch}, DType::i32);
  // CHECK: {{.*}}integer_operand.cpp:[[# @LINE + 1]]:{{[0-9]+}}: error: 'nn.reduce_mean' op operand #0 must be ranked tensor of 32-bit float values, but got 'tensor<?xi32>'
  m.loss(mean(y));
}
