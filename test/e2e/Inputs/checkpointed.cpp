// A small MLP with Adam and a step-decay schedule, for the checkpoint and
// resume tests (test/e2e/checkpoint_resume.test): optimizer state, the step
// count and the schedule all have to survive a resume.
#include <kiln/dsl.h>

using namespace kiln;

#ifndef HIDDEN
#define HIDDEN 8
#endif

KILN_MODEL(checkpointed, m) {
  Tensor x = m.input("x", {batch, 30});
  Tensor y = m.label("y", {batch, 1});
  Tensor h = relu(dense(m, "hidden", x, HIDDEN, init::he_normal()));
  Tensor p = sigmoid(dense(m, "out", h, 1));
  m.output("probability", p, Metric::binary_accuracy);
  m.loss(binary_cross_entropy(p, y));
  m.optimizer(optim::adam(1e-2).with(schedule::step(0.5, 1)));
}
