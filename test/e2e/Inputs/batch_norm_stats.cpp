// Batch norm on 2 features (momentum 0.25), for batch_norm_stats.test.
#include <kiln/dsl.h>
using namespace kiln;
KILN_MODEL(batch_norm_stats, m) {
  Tensor x = m.input("x", {batch, 2});
  Tensor y = m.label("y", {batch, 2});
  Tensor h = batch_norm(m, "bn", x, {.momentum = 0.25});
  m.output("h", h);
  m.loss(mse(h, y));
  m.optimizer(optim::sgd(0.1));
}
