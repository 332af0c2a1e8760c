// DSL diagnostic: a parameter the loss does not depend on.
// RUN: %kiln build %s -o %t.model 2> %t.err; test $? -eq 1
// RUN: FileCheck %s < %t.err
// RUN: not test -e %t.model
// RUN: test "$(grep -c 'error:' %t.err)" -eq 1
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(param_no_effect, m) {
  Tensor x = m.input("x", {batch, 3});
  // CHECK: {{.*}}param_no_effect.cpp:[[# @LINE + 1]]:{{[0-9]+}}: error: parameter 'v' does not affect the loss, so training would never change it
  Tensor v = m.param("v", {3});
  m.output("v", v);
  m.loss(mean(x));
}
