// DSL diagnostic: one_hot with no classes.
// RUN: %kiln build %s -o %t.model 2> %t.err; test $? -eq 1
// RUN: FileCheck %s < %t.err
// RUN: not test -e %t.model
// RUN: test "$(grep -c 'error:' %t.err)" -eq 1
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(one_hot_classes, m) {
  Tensor x = m.input("x", {batch, 3});
  Tensor y = m.label("y", {batch}, DType::i32);
  // CHECK: {{.*}}one_hot_classes.cpp:[[# @LINE + 1]]:{{[0-9]+}}: error: one_hot needs at least one class, got 0
  Tensor o = one_hot(y, 0);
  m.loss(mean(x));
}
