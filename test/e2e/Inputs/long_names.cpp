// Logistic regression whose parameters have names longer than the
// grad-check table's default column (test/e2e/grad_check.test).
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(long_names, m) {
  Tensor x = m.input("x", {batch, 30});
  Tensor y = m.label("y", {batch, 1});
  Tensor p = sigmoid(dense(m, "a_rather_long_layer_name", x, 1));
  m.output("probability", p, Metric::binary_accuracy);
  m.loss(binary_cross_entropy(p, y));
  m.optimizer(optim::sgd(0.1));
}
