// DSL diagnostic: two inputs/parameters with one name; a note at the first.
// RUN: %kiln build %s -o %t.model 2> %t.err; test $? -eq 1
// RUN: FileCheck %s < %t.err
// RUN: not test -e %t.model
// RUN: test "$(grep -c 'error:' %t.err)" -eq 1
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(duplicate_name, m) {
  Tensor x = m.input("x", {batch, 3});
  // CHECK: {{.*}}duplicate_name.cpp:[[# @LINE + 2]]:{{[0-9]+}}: error: duplicate input/parameter name 'x'
  // CHECK: {{.*}}duplicate_name.cpp:[[# @LINE - 2]]:{{[0-9]+}}: note: 'x' is first declared here
  Tensor x2 = m.input("x", {batch, 3});
  m.loss(mean(x));
}
