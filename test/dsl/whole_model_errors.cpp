// Errors only the whole model shows (from --kiln-verify-shapes in kiln)
// still point at the DSL line that declared the culprit.
// RUN: %kiln build %s -o %t.model 2> %t.err; test $? -eq 1
// RUN: FileCheck %s < %t.err
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(unused_param, m) {
  Tensor x = m.input("x", {batch, 3});
  Tensor y = m.label("y", {batch, 1});
  // CHECK: {{.*}}whole_model_errors.cpp:[[# @LINE + 1]]:{{[0-9]+}}: error: parameter 'forgotten' is never used
  Tensor forgotten = m.param("forgotten", {3, 1});
  Tensor p = dense(m, "fc", x, 1);
  m.loss(mse(p, y));
}
