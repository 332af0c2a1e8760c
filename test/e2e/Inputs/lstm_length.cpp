// An LSTM over SEQ steps of 4 features (scan_length.test builds it at
// several lengths): the loop is one nn.scan, so the kernels and the binary
// do not depend on SEQ.
#include <kiln/dsl.h>

using namespace kiln;

#ifndef SEQ
#define SEQ 16
#endif

KILN_MODEL(lstm_length, m) {
  Tensor x = m.input("x", {batch, SEQ * 4});
  Tensor y = m.label("y", {batch}, DType::i32);
  Tensor h = lstm(m, "lstm", reshape(x, {batch, SEQ, 4}), 32);
  Tensor logits = dense(m, "out", h, 3);
  m.output("logits", logits, Metric::accuracy);
  m.loss(softmax_cross_entropy(logits, y));
  m.optimizer(optim::adam(1e-2));
}
