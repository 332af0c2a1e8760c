// Linear regression: y = x·w + b, trained on the mean squared error with SGD.
// With standardised features, gradient descent converges to the
// least-squares fit (the end-to-end test compares with the closed form).
//
//   kiln build examples/linear_regression.cpp -o linreg
//   ./linreg train --dataset diabetes --epochs 200
#include <kiln/dsl.h>

using namespace kiln;

// scikit-learn's diabetes data: 10 features, one continuous target.
constexpr int64_t kFeatures = 10;

KILN_MODEL(linear_regression, m) {
  Tensor x = m.input("x", {batch, kFeatures});
  Tensor y = m.label("y", {batch, 1});
  Tensor prediction = dense(m, "linear", x, 1);
  m.output("prediction", prediction);
  m.loss(mse(prediction, y));
  m.optimizer(optim::sgd(0.01));
}
