// DSL diagnostic: a reshape that changes the element count.
// RUN: %kiln build %s -o %t.model 2> %t.err; test $? -eq 1
// RUN: FileCheck %s < %t.err
// RUN: not test -e %t.model
// RUN: test "$(grep -c 'error:' %t.err)" -eq 1
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(reshape, m) {
  Tensor x = m.input("x", {batch, 3});
  // CHECK: {{.*}}reshape.cpp:[[# @LINE + 1]]:{{[0-9]+}}: error: 'nn.reshape' op cannot reshape ?x3 to ?x4
  Tensor r = reshape(x, {batch, 4});
  m.loss(mean(x));
}
