// DSL diagnostic: a dropout rate outside [0, 1).
// RUN: %kiln build %s -o %t.model 2> %t.err; test $? -eq 1
// RUN: FileCheck %s < %t.err
// RUN: not test -e %t.model
// RUN: test "$(grep -c 'error:' %t.err)" -eq 1
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(dropout_rate, m) {
  Tensor x = m.input("x", {batch, 3});
  // CHECK: {{.*}}dropout_rate.cpp:[[# @LINE + 1]]:{{[0-9]+}}: error: 'nn.dropout' op dropout rate must be in [0, 1), got 1.500000e+00
  Tensor d = dropout(m, x, 1.5);
  m.loss(mean(d));
}
