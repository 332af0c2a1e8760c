// DSL diagnostic: a loop over a sequence that has no such time axis.
// RUN: %kiln build %s -o %t.model 2> %t.err; test $? -eq 1
// RUN: FileCheck %s < %t.err
// RUN: not test -e %t.model
// RUN: test "$(grep -c 'error:' %t.err)" -eq 1
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(scan_axis, m) {
  Tensor x = m.input("x", {batch, 4});
  Tensor y = m.label("y", {batch, 3});
  Tensor w = m.param("w", {4, 3});
  Tensor h0 = matmul(x, w);
  // CHECK: {{.*}}scan_axis.cpp:[[# @LINE + 1]]:{{[0-9]+}}: error: scan sequence #0 of rank 2 has no time axis 2 (dim 0 is the batch)
  ScanResult r = scan({h0}, {x}, [&](auto &c, auto &) { return c; }, {2});
  m.loss(mse(h0, y));
}
