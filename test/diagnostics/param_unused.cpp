// DSL diagnostic: a parameter nothing uses.
// RUN: %kiln build %s -o %t.model 2> %t.err; test $? -eq 1
// RUN: FileCheck %s < %t.err
// RUN: not test -e %t.model
// RUN: test "$(grep -c 'error:' %t.err)" -eq 1
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(param_unused, m) {
  Tensor x = m.input("x", {batch, 3});
  m.loss(mean(x));
  // CHECK: {{.*}}param_unused.cpp:[[# @LINE + 1]]:{{[0-9]+}}: error: parameter 'v' is never used
  Tensor v = m.param("v", {3});
}
