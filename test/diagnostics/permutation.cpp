// DSL diagnostic: a transpose with a bad permutation.
// RUN: %kiln build %s -o %t.model 2> %t.err; test $? -eq 1
// RUN: FileCheck %s < %t.err
// RUN: not test -e %t.model
// RUN: test "$(grep -c 'error:' %t.err)" -eq 1
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(permutation, m) {
  Tensor x = m.input("x", {batch, 3});
  // CHECK: {{.*}}permutation.cpp:[[# @LINE + 1]]:{{[0-9]+}}: error: permutation [0, 0] is not a permutation of the 2 dims of a ?x3 tensor
  Tensor t = transpose(x, {0, 0});
  m.loss(mean(x));
}
