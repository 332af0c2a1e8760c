// DSL diagnostic: a dimension that is not positive.
// RUN: %kiln build %s -o %t.model 2> %t.err; test $? -eq 1
// RUN: FileCheck %s < %t.err
// RUN: not test -e %t.model
// RUN: test "$(grep -c 'error:' %t.err)" -eq 1
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(dimension, m) {
  Tensor x = m.input("x", {batch, 3});
  m.loss(mean(x));
  // CHECK: {{.*}}dimension.cpp:[[# @LINE + 1]]:{{[0-9]+}}: error: dimension 0 must be positive (or kiln::batch)
  Tensor bad = m.input("bad", {batch, 0});
}
