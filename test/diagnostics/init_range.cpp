// DSL diagnostic: a uniform initialiser with low >= high.
// RUN: %kiln build %s -o %t.model 2> %t.err; test $? -eq 1
// RUN: FileCheck %s < %t.err
// RUN: not test -e %t.model
// RUN: test "$(grep -c 'error:' %t.err)" -eq 1
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(init_range, m) {
  Tensor x = m.input("x", {batch, 3});
  m.loss(mean(x));
  // CHECK: {{.*}}init_range.cpp:[[# @LINE + 1]]:{{[0-9]+}}: error: uniform initializer needs low < high, got [1, 0]
  Tensor u = m.param("u", {2}, init::uniform(1, 0));
}
