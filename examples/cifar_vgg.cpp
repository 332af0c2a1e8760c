// A small VGG-style net for 32×32×3 images in CIFAR-10's binary format:
// two blocks of two 3×3 convolutions with batch norm and ReLU, each
// ending in 2×2 max pooling, then a 128-unit dense layer with dropout.
// Pixels arrive channels-last (the loader transposes CIFAR's planes);
// z-score them per channel.
//
//   kiln build examples/cifar_vgg.cpp -o vgg
//   ./vgg train --dataset cifar10 --data-path DIR \
//       --normalize zscore-channels-last:3 --epochs 20 --test
#include <kiln/dsl.h>

using namespace kiln;

static Tensor convBnRelu(Model &m, const std::string &name, Tensor x,
                         int64_t filters) {
  ConvLayer conv{.conv = {.padding = Padding::same()}, .bias = false};
  return relu(
      batch_norm(m, name + "_bn", conv2d(m, name, x, filters, {3, 3}, conv)));
}

KILN_MODEL(cifar_vgg, m) {
  Tensor x = m.input("x", {batch, 3072});
  Tensor y = m.label("y", {batch}, DType::i32);
  Tensor h = reshape(x, {batch, 32, 32, 3});
  h = convBnRelu(m, "conv1a", h, 32);
  h = max_pool2d(convBnRelu(m, "conv1b", h, 32), {2, 2}); // 16×16
  h = convBnRelu(m, "conv2a", h, 64);
  h = max_pool2d(convBnRelu(m, "conv2b", h, 64), {2, 2}); // 8×8
  h = relu(dense(m, "fc1", flatten(h), 128, init::he_uniform()));
  Tensor logits = dense(m, "out", dropout(m, h, 0.5), 10);
  m.output("logits", logits, Metric::accuracy);
  m.loss(softmax_cross_entropy(logits, y) + l2_penalty(m, 5e-4));
  m.optimizer(optim::adam(1e-3));
}
