// Mistakes in declaring the model, each at its own line (all reported in
// one run: each poisons only what depends on it).
// RUN: %kiln build %s -o %t.model 2> %t.err; test $? -eq 1
// RUN: FileCheck %s < %t.err
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(bad_model, m) {
  // CHECK: {{.*}}model_errors.cpp:[[# @LINE + 1]]:{{[0-9]+}}: error: dimension 0 must be positive (or kiln::batch)
  Tensor bad = m.input("bad", {batch, 0});
  Tensor x = m.input("x", {batch, 3});
  // CHECK: {{.*}}model_errors.cpp:[[# @LINE + 1]]:{{[0-9]+}}: error: 'nn.param' op parameter 'w' must have a static shape, got ?x3
  Tensor w = m.param("w", {batch, 3});
  // CHECK: {{.*}}model_errors.cpp:[[# @LINE + 2]]:{{[0-9]+}}: error: duplicate input/parameter name 'x'
  // CHECK: {{.*}}model_errors.cpp:[[# @LINE - 4]]:{{[0-9]+}}: note: 'x' is first declared here
  Tensor x2 = m.input("x", {batch, 3});
  // CHECK: {{.*}}model_errors.cpp:[[# @LINE + 1]]:{{[0-9]+}}: error: axis 2 is out of range for a rank-2 tensor
  Tensor s = sum(x, {2});
  // CHECK: {{.*}}model_errors.cpp:[[# @LINE + 1]]:{{[0-9]+}}: error: dense layer 'fc' needs a rank-2 input [batch, features], got rank 1
  Tensor d = dense(m, "fc", mean(x, {0}), 4);
  // CHECK: {{.*}}model_errors.cpp:[[# @LINE + 1]]:{{[0-9]+}}: error: 'nn.loss' op the loss must be a scalar, got a ?x3 tensor (reduce it, e.g. with reduce_mean)
  m.loss(x);
  m.loss(mean(x));
  // CHECK: {{.*}}model_errors.cpp:[[# @LINE + 2]]:{{[0-9]+}}: error: the model already has a loss
  // CHECK: {{.*}}model_errors.cpp:[[# @LINE - 2]]:{{[0-9]+}}: note: the first loss is declared here
  m.loss(mean(x));
  // CHECK: {{.*}}model_errors.cpp:[[# @LINE + 1]]:{{[0-9]+}}: error: learning rate must be positive, got -1
  m.optimizer(optim::sgd(-1));
  // CHECK: {{.*}}model_errors.cpp:[[# @LINE + 1]]:{{[0-9]+}}: error: 'nn.reshape' op cannot reshape ?x3 to ?x4
  Tensor r = reshape(x, {batch, 4});
  // CHECK: {{.*}}model_errors.cpp:[[# @LINE + 1]]:{{[0-9]+}}: error: uniform initializer needs low < high, got [1, 0]
  Tensor u = m.param("u", {2}, init::uniform(1, 0));
}
