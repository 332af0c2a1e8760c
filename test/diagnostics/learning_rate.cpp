// DSL diagnostic: a learning rate that is not positive.
// RUN: %kiln build %s -o %t.model 2> %t.err; test $? -eq 1
// RUN: FileCheck %s < %t.err
// RUN: not test -e %t.model
// RUN: test "$(grep -c 'error:' %t.err)" -eq 1
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(learning_rate, m) {
  Tensor x = m.input("x", {batch, 3});
  m.loss(mean(x));
  // CHECK: {{.*}}learning_rate.cpp:[[# @LINE + 1]]:{{[0-9]+}}: error: learning rate must be positive, got -1
  m.optimizer(optim::sgd(-1));
}
