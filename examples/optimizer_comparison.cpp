// The optimizer comparison: one Fashion-MNIST MLP (784-128-64-10, ReLU, He
// initialisation), trained with each of the course's six optimizers. The
// optimizer is chosen when the model is built:
//
//   kiln build examples/optimizer_comparison.cpp -DOPTIMIZER=nesterov -o mlp
//
// examples/optimizer_comparison.sh builds all six, trains each from the same
// initial parameters on the same batches, and writes one CSV of their loss
// and accuracy curves.
#include <kiln/dsl.h>

#include <cstring>

using namespace kiln;

#ifndef OPTIMIZER
#define OPTIMIZER sgd
#endif
#define KILN_STR2(x) #x
#define KILN_STR(x) KILN_STR2(x)

// Learning rates in each optimizer's usual range for this model.
static Optimizer chosen() {
  const char *name = KILN_STR(OPTIMIZER);
  if (!std::strcmp(name, "momentum"))
    return optim::momentum(0.01, 0.9);
  if (!std::strcmp(name, "nesterov"))
    return optim::nesterov(0.01, 0.9);
  if (!std::strcmp(name, "adagrad"))
    return optim::adagrad(0.01);
  if (!std::strcmp(name, "rmsprop"))
    return optim::rmsprop(1e-3);
  if (!std::strcmp(name, "adam"))
    return optim::adam(1e-3);
  // "sgd"; kiln build rejects an unknown name, listing the known ones.
  return Optimizer{name, 0.05};
}

KILN_MODEL(optimizer_comparison, m) {
  Tensor x = m.input("x", {batch, 784});
  Tensor y = m.label("y", {batch}, DType::i32);
  Tensor h1 = relu(dense(m, "fc1", x, 128, init::he_normal()));
  Tensor h2 = relu(dense(m, "fc2", h1, 64, init::he_normal()));
  Tensor logits = dense(m, "out", h2, 10);
  m.output("logits", logits, Metric::accuracy);
  m.loss(softmax_cross_entropy(logits, y));
  m.optimizer(chosen());
}
