// Operators carry the user's location too: a bad `+` is reported at its
// line, and its poisoned result does not cause follow-on errors.
// RUN: %kiln build %s -o %t.model 2> %t.err; test $? -eq 1
// RUN: FileCheck %s < %t.err
// RUN: test "$(grep -c 'error:' %t.err)" -eq 1
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(bad_add, m) {
  Tensor x = m.input("x", {batch, 3});
  Tensor b = m.param("b", {4});
  // CHECK: {{.*}}broadcast_error.cpp:[[# @LINE + 1]]:{{[0-9]+}}: error: add operands have incompatible shapes ?x3 and 4 (dimension 1 of the broadcast result: 3 vs 4)
  Tensor y = x + b;
  Tensor z = sigmoid(y) * 2.0;
  m.loss(mean(z));
}
