// DSL diagnostic: a second loss; a note at the first.
// RUN: %kiln build %s -o %t.model 2> %t.err; test $? -eq 1
// RUN: FileCheck %s < %t.err
// RUN: not test -e %t.model
// RUN: test "$(grep -c 'error:' %t.err)" -eq 1
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(second_loss, m) {
  Tensor x = m.input("x", {batch, 3});
  m.loss(mean(x));
  // CHECK: {{.*}}second_loss.cpp:[[# @LINE + 2]]:{{[0-9]+}}: error: the model already has a loss
  // CHECK: {{.*}}second_loss.cpp:[[# @LINE - 2]]:{{[0-9]+}}: note: the first loss is declared here
  m.loss(mean(x) + 1.0);
}
