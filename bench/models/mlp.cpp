// Benchmark model: MLP 784-512-256-10 with ReLU on Fashion-MNIST, softmax
// cross-entropy with integer labels, Adam (lr 1e-3). Matches
// bench/torch_reference.py mlp (PyTorch's Linear default init is
// uniform(±1/√fan_in); kiln uses He uniform here, which trains at least as
// well for ReLU; throughput does not depend on it).
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(bench_mlp, m) {
  Tensor x = m.input("x", {batch, 784});
  Tensor y = m.label("y", {batch}, DType::i32);
  Tensor h1 = relu(dense(m, "fc1", x, 512, init::he_uniform()));
  Tensor h2 = relu(dense(m, "fc2", h1, 256, init::he_uniform()));
  Tensor logits = dense(m, "fc3", h2, 10);
  m.output("logits", logits, Metric::accuracy);
  m.loss(softmax_cross_entropy(logits, y));
  m.optimizer(optim::adam(1e-3));
}
