// Every activation, loss and regularizer of the training toolkit in one
// model, for test/e2e/toolkit_ops.test: its compiled gradient is checked
// against finite differences of its compiled loss, and it trains.
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(toolkit_ops, m) {
  Tensor x = m.input("x", {batch, 30});
  Tensor y = m.label("y", {batch, 1});
  Tensor h = dense(m, "a", gaussian_noise(m, x, 0.05), 6, init::he_uniform());
  Tensor acts =
      tanh(h) + leaky_relu(h, 0.1) + elu(h, 0.7) + swish(h) + softplus(h);
  Tensor z = dense(m, "b", dropout(m, acts, 0.25), 1, init::xavier_normal());
  Tensor p = sigmoid(z);
  m.output("probability", p, Metric::binary_accuracy);
  Tensor pm = 2.0 * At(y) - 1.0; // labels 0/1 as ±1 for the hinge loss
  m.loss(binary_cross_entropy_with_logits(z, y) + 0.1 * At(mse(p, y)) +
         0.1 * At(mae(p, y)) + 0.1 * At(huber(z, y, 0.5)) +
         0.1 * At(hinge(z, pm)) + elastic_net(m, 1e-3, 1e-3));
  m.optimizer(optim::nesterov(0.05).clip_by_norm(5.0));
}
