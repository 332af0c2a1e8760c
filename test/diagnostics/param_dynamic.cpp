// DSL diagnostic: a parameter with the batch dimension.
// RUN: %kiln build %s -o %t.model 2> %t.err; test $? -eq 1
// RUN: FileCheck %s < %t.err
// RUN: not test -e %t.model
// RUN: test "$(grep -c 'error:' %t.err)" -eq 1
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(param_dynamic, m) {
  Tensor x = m.input("x", {batch, 3});
  m.loss(mean(x));
  // CHECK: {{.*}}param_dynamic.cpp:[[# @LINE + 1]]:{{[0-9]+}}: error: 'nn.param' op parameter 'w' must have a static shape, got ?x3
  Tensor w = m.param("w", {batch, 3});
}
