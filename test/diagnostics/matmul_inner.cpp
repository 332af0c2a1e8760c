// DSL diagnostic: matmul inner dimensions differ; notes name both operands.
// RUN: %kiln build %s -o %t.model 2> %t.err; test $? -eq 1
// RUN: FileCheck %s < %t.err
// RUN: not test -e %t.model
// RUN: test "$(grep -c 'error:' %t.err)" -eq 1
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(matmul_inner, m) {
  Tensor x = m.input("x", {batch, 3});
  Tensor w = m.param("w", {4, 1});
  // CHECK: {{.*}}matmul_inner.cpp:[[# @LINE + 3]]:{{[0-9]+}}: error: matmul inner dimensions differ: lhs ?x3 has 3 columns but rhs 4x1 has 4 rows
  // CHECK: {{.*}}matmul_inner.cpp:[[# @LINE - 3]]:{{[0-9]+}}: note: lhs (?x3) is defined here
  // CHECK: {{.*}}matmul_inner.cpp:[[# @LINE - 3]]:{{[0-9]+}}: note: rhs (4x1) is defined here
  Tensor p = matmul(x, w);
  m.loss(mean(p));
}
