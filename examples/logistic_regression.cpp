// Logistic regression: p = σ(x·w + b), trained with binary cross-entropy and
// SGD. Shows the smallest classifier: one dense unit, a sigmoid, and an
// accuracy metric on its probability.
//
//   kiln build examples/logistic_regression.cpp -o logreg
//   ./logreg train --dataset breast-cancer --epochs 100
#include <kiln/dsl.h>

using namespace kiln;

// The Wisconsin breast-cancer data set: 30 features, label 1 = benign.
constexpr int64_t kFeatures = 30;

KILN_MODEL(logistic_regression, m) {
  Tensor x = m.input("x", {batch, kFeatures});
  Tensor y = m.label("y", {batch, 1});
  Tensor p = sigmoid(dense(m, "linear", x, 1));
  m.output("probability", p, Metric::binary_accuracy);
  m.loss(binary_cross_entropy(p, y));
  m.optimizer(optim::sgd(0.1));
}
