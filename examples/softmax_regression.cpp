// Softmax regression on iris: logits = x·W + b over the 4 measurements,
// softmax cross-entropy against the 3 species as integer labels, plain
// mini-batch SGD. The multi-class step up from logistic regression.
//
//   kiln build examples/softmax_regression.cpp -o softmax
//   ./softmax train --dataset iris --epochs 200 --batch-size 16
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(softmax_regression, m) {
  Tensor x = m.input("x", {batch, 4});
  Tensor y = m.label("y", {batch}, DType::i32);
  Tensor logits = dense(m, "linear", x, 3, init::zeros());
  m.output("logits", logits, Metric::accuracy);
  m.loss(softmax_cross_entropy(logits, y));
  m.optimizer(optim::sgd(0.1));
}
