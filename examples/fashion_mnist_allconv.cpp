// An all-convolutional Fashion-MNIST net: strided convolutions instead of
// pooling, and a 1×1 convolution to the 10 classes averaged over the
// image (global average pooling) instead of dense layers.
//
//   kiln build examples/fashion_mnist_allconv.cpp -o allconv
//   ./allconv train --dataset fashion-mnist --epochs 10 --val-split 0 --test
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(fashion_mnist_allconv, m) {
  Tensor x = m.input("x", {batch, 784});
  Tensor y = m.label("y", {batch}, DType::i32);
  ConvLayer same{.conv = {.padding = Padding::same()}};
  ConvLayer down{.conv = {.strides = {2, 2}, .padding = Padding::same()}};
  Tensor h = reshape(x, {batch, 28, 28, 1});
  h = relu(conv2d(m, "conv1", h, 32, {3, 3}, same));
  h = relu(conv2d(m, "down1", h, 32, {3, 3}, down)); // 14×14
  h = relu(conv2d(m, "conv2", h, 64, {3, 3}, same));
  h = relu(conv2d(m, "down2", h, 64, {3, 3}, down)); // 7×7
  Tensor classes = conv2d(m, "classes", h, 10, {1, 1});
  Tensor logits = global_avg_pool2d(classes);
  m.output("logits", logits, Metric::accuracy);
  m.loss(softmax_cross_entropy(logits, y));
  m.optimizer(optim::adam(1e-3));
}
