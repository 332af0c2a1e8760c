// DSL diagnostic: a reduction axis out of range.
// RUN: %kiln build %s -o %t.model 2> %t.err; test $? -eq 1
// RUN: FileCheck %s < %t.err
// RUN: not test -e %t.model
// RUN: test "$(grep -c 'error:' %t.err)" -eq 1
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(axis_range, m) {
  Tensor x = m.input("x", {batch, 3});
  // CHECK: {{.*}}axis_range.cpp:[[# @LINE + 1]]:{{[0-9]+}}: error: axis 2 is out of range for a rank-2 tensor
  Tensor s = sum(x, {2});
  m.loss(mean(x));
}
