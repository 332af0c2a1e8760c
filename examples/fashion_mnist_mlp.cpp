// The Fashion-MNIST MLP: 784-512-256-10 with ReLU, the course's toolkit in
// one model — He initialisation for the ReLU layers, dropout after each
// hidden layer, an L2 penalty on the weights, Adam with a step-decay
// learning-rate schedule, softmax cross-entropy on integer labels.
// Trains on Debian's dataset-fashion-mnist (z-scored pixels) and scores
// the separate 10,000-image test set.
//
//   kiln build examples/fashion_mnist_mlp.cpp -o fmnist
//   ./fmnist train --dataset fashion-mnist --epochs 10 --batch-size 128 \
//       --val-split 0 --test --plot curves.svg
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(fashion_mnist_mlp, m) {
  Tensor x = m.input("x", {batch, 784});
  Tensor y = m.label("y", {batch}, DType::i32);
  Tensor h1 = relu(dense(m, "fc1", x, 512, init::he_normal()));
  Tensor h2 =
      relu(dense(m, "fc2", dropout(m, h1, 0.2), 256, init::he_normal()));
  Tensor logits = dense(m, "out", dropout(m, h2, 0.2), 10);
  m.output("logits", logits, Metric::accuracy);
  m.loss(softmax_cross_entropy(logits, y) + l2_penalty(m, 1e-5));
  // lr 1e-3, halved every 4 epochs.
  m.optimizer(optim::adam(1e-3).with(schedule::step(0.5, 4)));
}
