// DSL diagnostic: elementwise operands that do not broadcast; notes at both.
// The poisoned result causes no follow-on errors.
// RUN: %kiln build %s -o %t.model 2> %t.err; test $? -eq 1
// RUN: FileCheck %s < %t.err
// RUN: not test -e %t.model
// RUN: test "$(grep -c 'error:' %t.err)" -eq 1
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(broadcast, m) {
  Tensor x = m.input("x", {batch, 3});
  Tensor b = m.param("b", {4});
  // CHECK: {{.*}}broadcast.cpp:[[# @LINE + 3]]:{{[0-9]+}}: error: add operands have incompatible shapes ?x3 and 4 (dimension 1 of the broadcast result: 3 vs 4)
  // CHECK: {{.*}}broadcast.cpp:[[# @LINE - 3]]:{{[0-9]+}}: note: lhs (?x3) is defined here
  // CHECK: {{.*}}broadcast.cpp:[[# @LINE - 3]]:{{[0-9]+}}: note: rhs (4) is defined here
  Tensor s = x + b;
  Tensor z = sigmoid(s) * 2.0;
  m.loss(mean(z));
}
