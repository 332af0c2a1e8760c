// DSL diagnostic: a dense layer on a tensor of the wrong rank.
// RUN: %kiln build %s -o %t.model 2> %t.err; test $? -eq 1
// RUN: FileCheck %s < %t.err
// RUN: not test -e %t.model
// RUN: test "$(grep -c 'error:' %t.err)" -eq 1
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(dense_rank, m) {
  Tensor x = m.input("x", {batch, 3});
  // CHECK: {{.*}}dense_rank.cpp:[[# @LINE + 1]]:{{[0-9]+}}: error: dense layer 'fc' needs a rank-2 input [batch, features], got rank 1
  Tensor d = dense(m, "fc", mean(x, {0}), 4);
  m.loss(mean(x));
}
