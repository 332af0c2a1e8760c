// DSL diagnostic: an LSTM layer on a tensor that is not [batch, time,
// features].
// RUN: %kiln build %s -o %t.model 2> %t.err; test $? -eq 1
// RUN: FileCheck %s < %t.err
// RUN: not test -e %t.model
// RUN: test "$(grep -c 'error:' %t.err)" -eq 1
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(lstm_rank, m) {
  Tensor x = m.input("x", {batch, 28});
  Tensor y = m.label("y", {batch}, DType::i32);
  // CHECK: {{.*}}lstm_rank.cpp:[[# @LINE + 1]]:{{[0-9]+}}: error: lstm layer 'lstm' needs an input [batch, time, features] with a static time dim, got rank 2
  Tensor h = lstm(m, "lstm", x, 16);
  Tensor logits = dense(m, "out", h, 10);
  m.loss(softmax_cross_entropy(logits, y));
}
