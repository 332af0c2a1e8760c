// An LSTM reading Fashion-MNIST images as sequences: 28 rows of 28 pixels,
// one row per step, 128 hidden units (PyTorch's gates and parameters), a
// dense layer on the last hidden state. The loop is one nn.scan in the IR:
// autodiff backpropagates through the 28 steps, and the step's kernels
// are compiled once whatever the sequence length.
//
//   kiln build examples/lstm_fashion_mnist.cpp -o lstm
//   ./lstm train --dataset fashion-mnist --epochs 10 --batch-size 128 \
//       --val-split 0 --test
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(lstm_fashion_mnist, m) {
  Tensor x = m.input("x", {batch, 784});
  Tensor y = m.label("y", {batch}, DType::i32);
  Tensor rows = reshape(x, {batch, 28, 28});
  Tensor h = lstm(m, "lstm", rows, 128);
  Tensor logits = dense(m, "out", h, 10);
  m.output("logits", logits, Metric::accuracy);
  m.loss(softmax_cross_entropy(logits, y));
  m.optimizer(optim::adam(1e-3));
}
