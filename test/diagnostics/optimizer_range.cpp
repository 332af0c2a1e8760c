// DSL diagnostic: an optimizer hyperparameter out of its range.
// RUN: %kiln build %s -o %t.model 2> %t.err; test $? -eq 1
// RUN: FileCheck %s < %t.err
// RUN: not test -e %t.model
// RUN: test "$(grep -c 'error:' %t.err)" -eq 1
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(optimizer_range, m) {
  Tensor x = m.input("x", {batch, 3});
  m.loss(mean(x));
  // CHECK: {{.*}}optimizer_range.cpp:[[# @LINE + 1]]:{{[0-9]+}}: error: 'nn.model' op optimizer momentum must be a float in [0, 1)
  m.optimizer(optim::momentum(0.1, 1.2));
}
