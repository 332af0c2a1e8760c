// DSL diagnostic: gradient clipping to a norm that is not positive.
// RUN: %kiln build %s -o %t.model 2> %t.err; test $? -eq 1
// RUN: FileCheck %s < %t.err
// RUN: not test -e %t.model
// RUN: test "$(grep -c 'error:' %t.err)" -eq 1
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(clip_norm, m) {
  Tensor x = m.input("x", {batch, 3});
  m.loss(mean(x));
  // CHECK: {{.*}}clip_norm.cpp:[[# @LINE + 1]]:{{[0-9]+}}: error: 'nn.model' op optimizer clip_norm must be a float above 0
  m.optimizer(optim::sgd(0.1).clip_by_norm(0));
}
