// A bidirectional GRU reading Fashion-MNIST images as 28 rows of 28
// pixels: one GRU (128 units, PyTorch's gates) from the top row down,
// one from the bottom up, their last hidden states concatenated into a
// dense layer. Each direction is one nn.scan (`reverse` for the second).
//
//   kiln build examples/gru_fashion_mnist.cpp -o gru
//   ./gru train --dataset fashion-mnist --epochs 10 --batch-size 128 \
//       --val-split 0 --test
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(gru_fashion_mnist, m) {
  Tensor x = m.input("x", {batch, 784});
  Tensor y = m.label("y", {batch}, DType::i32);
  Tensor rows = reshape(x, {batch, 28, 28});
  Tensor down = gru(m, "gru_down", rows, 128);
  Tensor up = gru(m, "gru_up", rows, 128, {.reverse = true});
  Tensor logits = dense(m, "out", concat({down, up}, 1), 10);
  m.output("logits", logits, Metric::accuracy);
  m.loss(softmax_cross_entropy(logits, y));
  m.optimizer(optim::adam(1e-3));
}
