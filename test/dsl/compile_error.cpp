// A model file that is not valid C++ gets the C++ compiler's errors and
// kiln's own one-line summary; exit 1.
// RUN: %kiln build %s -o %t.model 2> %t.err; test $? -eq 1
// RUN: FileCheck %s < %t.err
// CHECK: compile_error.cpp:[[# @LINE + 6]]:{{[0-9]+}}: error:
// CHECK: error: {{.*}}compile_error.cpp did not compile
#include <kiln/dsl.h>

KILN_MODEL(not_cxx, m) {
  kiln::Tensor x = m.input("x", {kiln::batch, 3});
  this is not C++;
}
