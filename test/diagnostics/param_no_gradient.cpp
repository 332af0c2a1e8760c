// DSL diagnostic: a parameter reached only through ops without a derivative; a note at the op.
// RUN: %kiln build %s -o %t.model 2> %t.err; test $? -eq 1
// RUN: FileCheck %s < %t.err
// RUN: not test -e %t.model
// RUN: test "$(grep -c 'error:' %t.err)" -eq 1
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(param_no_gradient, m) {
  Tensor x = m.input("x", {batch, 3});
  // CHECK: {{.*}}param_no_gradient.cpp:[[# @LINE + 2]]:{{[0-9]+}}: error: parameter 'w' gets no gradient: the loss depends on it only through operations without a derivative, so training would never change it
  // CHECK: {{.*}}param_no_gradient.cpp:[[# @LINE + 3]]:{{[0-9]+}}: note: 'nn.argmax' has an integer result (no derivative)
  Tensor w = m.param("w", {3, 4});
  Tensor z = matmul(x, w);
  Tensor c = to_f32(argmax(z, 1));
  m.loss(mean(c));
}
