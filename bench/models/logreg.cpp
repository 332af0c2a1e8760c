// Benchmark model: softmax regression on Fashion-MNIST (784 → 10), softmax
// cross-entropy with integer labels, Adam (lr 1e-3). Matches
// bench/torch_reference.py logreg.
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(bench_logreg, m) {
  Tensor x = m.input("x", {batch, 784});
  Tensor y = m.label("y", {batch}, DType::i32);
  Tensor logits = dense(m, "fc", x, 10);
  m.output("logits", logits, Metric::accuracy);
  m.loss(softmax_cross_entropy(logits, y));
  m.optimizer(optim::adam(1e-3));
}
