// Every op the DSL builds carries the file:line of the call that made it,
// operators included, and the layers' parameters carry the layer's line.
// RUN: %kiln build %s --emit=nn --mlir-print-debuginfo --mlir-print-local-scope | FileCheck %s
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(located, m) {
  // The optimizer is an attribute of the model.
  // CHECK: nn.model @located attributes {optimizer = {kind = "sgd", lr = 5.000000e-01 : f64}}
  // CHECK: nn.input "x" : tensor<?x2xf32> loc("{{.*}}locations.cpp":[[# @LINE + 1]]:{{[0-9]+}})
  Tensor x = m.input("x", {batch, 2});
  // CHECK: nn.input "y" label : tensor<?x1xf32> loc("{{.*}}locations.cpp":[[# @LINE + 1]]:{{[0-9]+}})
  Tensor y = m.label("y", {batch, 1});
  // CHECK: nn.param "fc.w" init <he_normal> : tensor<2x1xf32> loc("{{.*}}locations.cpp":[[# @LINE + 4]]:{{[0-9]+}})
  // CHECK: nn.param "fc.b" init <constant, 1.000000e-01> : tensor<1xf32> loc("{{.*}}locations.cpp":[[# @LINE + 3]]:{{[0-9]+}})
  // CHECK: nn.matmul {{.*}} loc("{{.*}}locations.cpp":[[# @LINE + 2]]:{{[0-9]+}})
  // CHECK: nn.add {{.*}} loc("{{.*}}locations.cpp":[[# @LINE + 1]]:{{[0-9]+}})
  Tensor z = dense(m, "fc", x, 1, init::he_normal(), init::constant(0.1));
  // CHECK: nn.constant dense<1.000000e+00> : tensor<f32> loc("{{.*}}locations.cpp":[[# @LINE + 2]]:{{[0-9]+}})
  // CHECK: nn.sub {{.*}} loc("{{.*}}locations.cpp":[[# @LINE + 1]]:{{[0-9]+}})
  Tensor q = 1.0 - sigmoid(z);
  // CHECK: nn.output "q" {{.*}} {metric = "binary_accuracy"} : tensor<?x1xf32> loc("{{.*}}locations.cpp":[[# @LINE + 1]]:{{[0-9]+}})
  m.output("q", q, Metric::binary_accuracy);
  // CHECK: nn.binary_cross_entropy {{.*}} loc("{{.*}}locations.cpp":[[# @LINE + 1]]:{{[0-9]+}})
  m.loss(binary_cross_entropy(q, y));
  m.optimizer(optim::sgd(0.5));
}
