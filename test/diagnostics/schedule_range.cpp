// DSL diagnostic: a learning-rate schedule parameter out of its range.
// RUN: %kiln build %s -o %t.model 2> %t.err; test $? -eq 1
// RUN: FileCheck %s < %t.err
// RUN: not test -e %t.model
// RUN: test "$(grep -c 'error:' %t.err)" -eq 1
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(schedule_range, m) {
  Tensor x = m.input("x", {batch, 3});
  m.loss(mean(x));
  // CHECK: {{.*}}schedule_range.cpp:[[# @LINE + 1]]:{{[0-9]+}}: error: 'nn.model' op schedule factor must be a float above 0
  m.optimizer(optim::sgd(0.1).with(schedule::step(-0.5, 2)));
}
