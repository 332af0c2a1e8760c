// A small residual network for 32×32×3 CIFAR-format images: a stem
// convolution, then residual blocks y = ReLU(x + BN(conv(ReLU(BN(conv(x))))))
// — the second and third halve the size and double the channels, so their
// skip path is a strided 1×1 projection — then global average pooling and
// 10 logits. One block also joins its paths by channel concatenation.
//
//   kiln build examples/cifar_resnet.cpp -o resnet
//   ./resnet train --dataset cifar10 --data-path DIR \
//       --normalize zscore-channels-last:3 --epochs 20 --test
#include <kiln/dsl.h>

using namespace kiln;

static Tensor convBn(Model &m, const std::string &name, Tensor x,
                     int64_t filters, int64_t kernel, int64_t stride) {
  ConvLayer conv{
      .conv = {.strides = {stride, stride}, .padding = Padding::same()},
      .bias = false};
  return batch_norm(m, name + "_bn",
                    conv2d(m, name, x, filters, {kernel, kernel}, conv));
}

static Tensor residual(Model &m, const std::string &name, Tensor x,
                       int64_t filters, int64_t stride) {
  Tensor h = relu(convBn(m, name + "_a", x, filters, 3, stride));
  h = convBn(m, name + "_b", h, filters, 3, 1);
  // A 1×1 projection where the shapes differ (stride or channels).
  Tensor skip = stride != 1 || x.dim(3) != filters
                    ? convBn(m, name + "_proj", x, filters, 1, stride)
                    : x;
  return relu(h + skip);
}

KILN_MODEL(cifar_resnet, m) {
  Tensor x = m.input("x", {batch, 3072});
  Tensor y = m.label("y", {batch}, DType::i32);
  Tensor h = relu(convBn(m, "stem", reshape(x, {batch, 32, 32, 3}), 16, 3, 1));
  h = residual(m, "block1", h, 16, 1);
  // Channel concatenation: 16 + 16 channels from two parallel paths.
  Tensor wide = concat({h, relu(convBn(m, "branch", h, 16, 3, 1))}, 3);
  h = residual(m, "block2", wide, 32, 2); // 16×16
  h = residual(m, "block3", h, 64, 2);    // 8×8
  Tensor logits = dense(m, "out", global_avg_pool2d(h), 10);
  m.output("logits", logits, Metric::accuracy);
  m.loss(softmax_cross_entropy(logits, y));
  m.optimizer(optim::adam(1e-3));
}
