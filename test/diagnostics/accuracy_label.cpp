// DSL diagnostic: accuracy on an output whose label is not a class index.
// RUN: %kiln build %s -o %t.model 2> %t.err; test $? -eq 1
// RUN: FileCheck %s < %t.err
// RUN: not test -e %t.model
// RUN: test "$(grep -c 'error:' %t.err)" -eq 1
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(accuracy_label, m) {
  Tensor x = m.input("x", {batch, 3});
  Tensor y = m.label("y", {batch, 3});
  // CHECK: {{.*}}accuracy_label.cpp:[[# @LINE + 1]]:{{[0-9]+}}: error: metric accuracy compares the argmax of output 'x' (?x3) with one i32 class label of its leading shape
  m.output("x", x, Metric::accuracy);
  m.loss(mse(x, y));
}
