// --mlir-print-ir-after-all shows the module after every pass of the
// registered pipeline, in order, each dump valid IR of that stage.
// RUN: kiln-opt %s --kiln-train-pipeline --mlir-print-ir-after-all -o /dev/null 2>&1 | FileCheck %s
// CHECK: IR Dump After VerifyShapes (kiln-verify-shapes)
// CHECK: nn.model @tiny
// CHECK: IR Dump After Autodiff (kiln-autodiff)
// CHECK: nn.gradient
// CHECK: IR Dump After Optimizer (kiln-optimizer)
// CHECK: nn.update
// CHECK: IR Dump After OutlineSteps (kiln-outline-steps)
// CHECK: func.func @train_step
// CHECK: IR Dump After Canonicalizer (canonicalize)
// CHECK: IR Dump After CSE (cse)
// CHECK: IR Dump After Fuse (kiln-fuse)
// CHECK: kern.kernel "matmul"
// CHECK: IR Dump After PlanMemory (kiln-plan-memory)
// CHECK: kern.kernel "matmul"{{.*}} {inplace = array<i64: {{.*}}>, slots = array<i64: {{.*}}>}

nn.model @tiny attributes {optimizer = {kind = "sgd", lr = 0.1 : f64}} {
  %x = nn.input "x" : tensor<?x4xf32>
  %y = nn.input "y" label : tensor<?x1xf32>
  %w = nn.param "w" init <xavier_uniform> : tensor<4x1xf32>
  %0 = nn.matmul %x, %w : (tensor<?x4xf32>, tensor<4x1xf32>) -> tensor<?x1xf32>
  %1 = nn.mse %0, %y : (tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<f32>
  nn.output "prediction" %0 : tensor<?x1xf32>
  nn.loss %1 : tensor<f32>
}
