// Convolutions without padding whose outputs are not whole GPU tiles (26
// and 13 columns against tiles of 16): the GPU template's threads past the
// output's edge must read inside the input (test/gpu/unpadded_conv.test).
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(unpadded_conv, m) {
  Tensor x = m.input("x", {batch, 784});
  Tensor y = m.label("y", {batch}, DType::i32);
  Tensor h = reshape(x, {batch, 28, 28, 1});
  h = relu(conv2d(m, "valid3x3", h, 32, {3, 3})); // 26×26
  ConvLayer down{.conv = {.strides = {2, 2}}};
  Tensor classes = conv2d(m, "down1x1", h, 10, {1, 1}, down); // 13×13
  Tensor logits = global_avg_pool2d(classes);
  m.output("logits", logits, Metric::accuracy);
  m.loss(softmax_cross_entropy(logits, y));
  m.optimizer(optim::adam(1e-3));
}
