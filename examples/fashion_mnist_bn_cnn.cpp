// A batch-normalised Fashion-MNIST CNN: two 3×3 "same" convolutions (32
// and 64 filters, no bias: batch norm's β replaces it), each followed by
// batch norm, ReLU and 2×2 max pooling; a 128-unit dense layer with
// dropout 0.5 and 10 logits. Batch norm uses the batch's statistics in
// training and its running ones in evaluation.
//
//   kiln build examples/fashion_mnist_bn_cnn.cpp -o bn_cnn
//   ./bn_cnn train --dataset fashion-mnist --epochs 10 --batch-size 128 \
//       --val-split 0 --test
#include <kiln/dsl.h>

using namespace kiln;

static Tensor block(Model &m, const std::string &name, Tensor x,
                    int64_t filters) {
  ConvLayer conv{.conv = {.padding = Padding::same()}, .bias = false};
  Tensor c = conv2d(m, name, x, filters, {3, 3}, conv);
  return max_pool2d(relu(batch_norm(m, name + "_bn", c)), {2, 2});
}

KILN_MODEL(fashion_mnist_bn_cnn, m) {
  Tensor x = m.input("x", {batch, 784});
  Tensor y = m.label("y", {batch}, DType::i32);
  Tensor b1 = block(m, "conv1", reshape(x, {batch, 28, 28, 1}), 32);
  Tensor b2 = block(m, "conv2", b1, 64);
  Tensor h = relu(dense(m, "fc1", flatten(b2), 128, init::he_uniform()));
  Tensor logits = dense(m, "out", dropout(m, h, 0.5), 10);
  m.output("logits", logits, Metric::accuracy);
  m.loss(softmax_cross_entropy(logits, y));
  m.optimizer(optim::adam(1e-3));
}
