// The classic Fashion-MNIST CNN: two 5×5 "same" convolutions (32 and 64
// filters) each followed by ReLU and 2×2 max pooling, a 1024-unit dense
// layer with dropout 0.4, and 10 logits. Channels-last: the 784 pixels of
// a row are already a 28×28×1 image.
//
//   kiln build examples/fashion_mnist_cnn.cpp -o cnn
//   ./cnn train --dataset fashion-mnist --epochs 10 --batch-size 128 \
//       --val-split 0 --test
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(fashion_mnist_cnn, m) {
  Tensor x = m.input("x", {batch, 784});
  Tensor y = m.label("y", {batch}, DType::i32);
  ConvLayer same{.conv = {.padding = Padding::same()}};
  Tensor image = reshape(x, {batch, 28, 28, 1});
  Tensor c1 =
      max_pool2d(relu(conv2d(m, "conv1", image, 32, {5, 5}, same)), {2, 2});
  Tensor c2 =
      max_pool2d(relu(conv2d(m, "conv2", c1, 64, {5, 5}, same)), {2, 2});
  Tensor h = relu(dense(m, "fc1", flatten(c2), 1024, init::he_uniform()));
  Tensor logits = dense(m, "out", dropout(m, h, 0.4), 10);
  m.output("logits", logits, Metric::accuracy);
  m.loss(softmax_cross_entropy(logits, y));
  m.optimizer(optim::adam(1e-3));
}
