// DSL diagnostic: a loss that is not a scalar.
// RUN: %kiln build %s -o %t.model 2> %t.err; test $? -eq 1
// RUN: FileCheck %s < %t.err
// RUN: not test -e %t.model
// RUN: test "$(grep -c 'error:' %t.err)" -eq 1
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(loss_not_scalar, m) {
  Tensor x = m.input("x", {batch, 3});
  // CHECK: {{.*}}loss_not_scalar.cpp:[[# @LINE + 1]]:{{[0-9]+}}: error: 'nn.loss' op the loss must be a scalar, got a ?x3 tensor (reduce it, e.g. with reduce_mean)
  m.loss(x);
}
