// --kiln-plan-memory: arena slots by liveness, in-place updates.
// RUN: kiln-opt %s --kiln-plan-memory | FileCheck %s
// The planned module is valid IR and prints back identically.
// RUN: kiln-opt %s --kiln-plan-memory | kiln-opt | FileCheck %s

// A slot is reused once the kernel that last read its value has run; a
// kernel never writes into a slot it reads.
// CHECK-LABEL: func.func @slot_reuse(
// CHECK:         kern.kernel "pointwise"(%arg0) {inplace = array<i64: -1>, slots = array<i64: 0>}
// CHECK:         kern.kernel "pointwise"(%{{.*}}) {inplace = array<i64: -1>, slots = array<i64: 1>}
// CHECK:         kern.kernel "pointwise"(%{{.*}}) {inplace = array<i64: -1>, slots = array<i64: 0>}
func.func @slot_reuse(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %a = kern.kernel "pointwise"(%x) : (tensor<?x8xf32>) -> tensor<?x8xf32> {
  ^bb0(%x0: tensor<?x8xf32>):
    %0 = nn.exp %x0 : tensor<?x8xf32>
    kern.yield %0 : tensor<?x8xf32>
  }
  %b = kern.kernel "pointwise"(%a) : (tensor<?x8xf32>) -> tensor<?x8xf32> {
  ^bb0(%a0: tensor<?x8xf32>):
    %0 = nn.sqrt %a0 : tensor<?x8xf32>
    kern.yield %0 : tensor<?x8xf32>
  }
  %c = kern.kernel "pointwise"(%b) : (tensor<?x8xf32>) -> tensor<?x8xf32> {
  ^bb0(%b0: tensor<?x8xf32>):
    %0 = nn.neg %b0 : tensor<?x8xf32>
    kern.yield %0 : tensor<?x8xf32>
  }
  return %c : tensor<?x8xf32>
}

// Among the free slots the smallest that fits wins (best fit): D goes to
// B's small slot, not A's large one.
// CHECK-LABEL: func.func @best_fit(
// CHECK:         kern.kernel "pointwise"(%arg0) {inplace = array<i64: -1>, slots = array<i64: 0>}
// CHECK:         kern.kernel "pointwise"(%arg1) {inplace = array<i64: -1>, slots = array<i64: 1>}
// CHECK:         kern.kernel "pointwise"({{.*}}) {inplace = array<i64: -1>, slots = array<i64: 2>}
// CHECK:         kern.kernel "pointwise"({{.*}}) {inplace = array<i64: -1>, slots = array<i64: 1>}
func.func @best_fit(%x: tensor<?x64xf32>, %y: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %a = kern.kernel "pointwise"(%x) : (tensor<?x64xf32>) -> tensor<?x64xf32> {
  ^bb0(%x0: tensor<?x64xf32>):
    %0 = nn.exp %x0 : tensor<?x64xf32>
    kern.yield %0 : tensor<?x64xf32>
  }
  %b = kern.kernel "pointwise"(%y) : (tensor<?x4xf32>) -> tensor<?x4xf32> {
  ^bb0(%y0: tensor<?x4xf32>):
    %0 = nn.exp %y0 : tensor<?x4xf32>
    kern.yield %0 : tensor<?x4xf32>
  }
  %c = kern.kernel "pointwise"(%a, %b) : (tensor<?x64xf32>, tensor<?x4xf32>) -> tensor<?x4xf32> {
  ^bb0(%a0: tensor<?x64xf32>, %b0: tensor<?x4xf32>):
    %0 = nn.neg %b0 : tensor<?x4xf32>
    kern.yield %0 : tensor<?x4xf32>
  }
  %d = kern.kernel "pointwise"(%c) : (tensor<?x4xf32>) -> tensor<?x4xf32> {
  ^bb0(%c0: tensor<?x4xf32>):
    %0 = nn.sqrt %c0 : tensor<?x4xf32>
    kern.yield %0 : tensor<?x4xf32>
  }
  return %d : tensor<?x4xf32>
}

// The SGD update overwrites the weight it reads element by element.
// CHECK-LABEL: func.func @inplace_update(
// CHECK:         kern.kernel "pointwise"(%arg0, %arg1, %arg2) {inplace = array<i64: 0>, slots = array<i64: -1>}
func.func @inplace_update(%w: tensor<4x4xf32> {nn.param = "w"}, %lr: tensor<f32> {nn.hyper = "lr"}, %g: tensor<4x4xf32>) -> (tensor<4x4xf32> {nn.update = "w"}) {
  %w1 = kern.kernel "pointwise"(%w, %lr, %g) : (tensor<4x4xf32>, tensor<f32>, tensor<4x4xf32>) -> tensor<4x4xf32> {
  ^bb0(%w0: tensor<4x4xf32>, %lr0: tensor<f32>, %g0: tensor<4x4xf32>):
    %0 = nn.mul %lr0, %g0 : (tensor<f32>, tensor<4x4xf32>) -> tensor<4x4xf32>
    %1 = nn.sub %w0, %0 : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
    kern.yield %1 : tensor<4x4xf32>
  }
  return %w1 : tensor<4x4xf32>
}

// A later kernel still reads the old weight: the update gets a buffer of
// its own (slot -1), swapped in by the runtime after the step.
// CHECK-LABEL: func.func @old_value_read_later(
// CHECK:         kern.kernel "pointwise"(%arg0, %arg1) {inplace = array<i64: -1>, slots = array<i64: -1>}
// CHECK:         kern.kernel "pointwise"(%arg0) {inplace = array<i64: -1>, slots = array<i64: 0>}
func.func @old_value_read_later(%w: tensor<4xf32> {nn.param = "w"}, %g: tensor<4xf32>) -> (tensor<4xf32> {nn.update = "w"}, tensor<4xf32>) {
  %w1 = kern.kernel "pointwise"(%w, %g) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%w0: tensor<4xf32>, %g0: tensor<4xf32>):
    %0 = nn.sub %w0, %g0 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    kern.yield %0 : tensor<4xf32>
  }
  %e = kern.kernel "pointwise"(%w) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%w0: tensor<4xf32>):
    %0 = nn.exp %w0 : tensor<4xf32>
    kern.yield %0 : tensor<4xf32>
  }
  return %w1, %e : tensor<4xf32>, tensor<4xf32>
}

// The old weight is also returned: it must survive the step.
// CHECK-LABEL: func.func @old_value_returned(
// CHECK:         kern.kernel "pointwise"(%arg0, %arg1) {inplace = array<i64: -1>, slots = array<i64: -1>}
func.func @old_value_returned(%w: tensor<4xf32> {nn.param = "w"}, %g: tensor<4xf32>) -> (tensor<4xf32> {nn.update = "w"}, tensor<4xf32>) {
  %w1 = kern.kernel "pointwise"(%w, %g) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%w0: tensor<4xf32>, %g0: tensor<4xf32>):
    %0 = nn.sub %w0, %g0 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    kern.yield %0 : tensor<4xf32>
  }
  return %w1, %w : tensor<4xf32>, tensor<4xf32>
}

// The kernel reads the weight through a matmul (other elements than the
// one it writes): writing in place would corrupt its own input.
// CHECK-LABEL: func.func @non_elementwise_read(
// CHECK:         kern.kernel "matmul"(%arg0) {inplace = array<i64: -1>, slots = array<i64: -1>}
func.func @non_elementwise_read(%w: tensor<4x4xf32> {nn.param = "w"}) -> (tensor<4x4xf32> {nn.update = "w"}) {
  %w1 = kern.kernel "matmul"(%w) : (tensor<4x4xf32>) -> tensor<4x4xf32> {
  ^bb0(%w0: tensor<4x4xf32>):
    %0 = nn.matmul %w0, %w0 : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
    %1 = nn.sub %w0, %0 : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
    kern.yield %1 : tensor<4x4xf32>
  }
  return %w1 : tensor<4x4xf32>
}

// An autoscheduled kernel may compute its output in any order: no aliasing.
// CHECK-LABEL: func.func @autoscheduled(
// CHECK:         kern.kernel "auto:Mullapudi2016"(%arg0, %arg1) {inplace = array<i64: -1>, slots = array<i64: -1>}
func.func @autoscheduled(%w: tensor<4xf32> {nn.param = "w"}, %g: tensor<4xf32>) -> (tensor<4xf32> {nn.update = "w"}) {
  %w1 = kern.kernel "auto:Mullapudi2016"(%w, %g) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%w0: tensor<4xf32>, %g0: tensor<4xf32>):
    %0 = nn.sub %w0, %g0 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    kern.yield %0 : tensor<4xf32>
  }
  return %w1 : tensor<4xf32>
}

// Beside an in-place update, a kernel's other results take arena slots.
// CHECK-LABEL: func.func @update_beside_result(
// CHECK:         kern.kernel "pointwise"(%arg0, %arg1) {inplace = array<i64: 0, -1>, slots = array<i64: -1, 0>}
func.func @update_beside_result(%w: tensor<4xf32> {nn.param = "w"}, %g: tensor<4xf32>) -> (tensor<4xf32> {nn.update = "w"}, tensor<4xf32>) {
  %r:2 = kern.kernel "pointwise"(%w, %g) : (tensor<4xf32>, tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  ^bb0(%w0: tensor<4xf32>, %g0: tensor<4xf32>):
    %0 = nn.sub %w0, %g0 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    %1 = nn.add %w0, %g0 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    kern.yield %0, %1 : tensor<4xf32>, tensor<4xf32>
  }
  return %r#0, %r#1 : tensor<4xf32>, tensor<4xf32>
}
