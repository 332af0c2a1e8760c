// Every verifier error of the kern dialect, with its message.
// RUN: kiln-opt %s -split-input-file -verify-diagnostics

func.func @arity(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'kern.kernel' op has 1 inputs but its body takes 2}}
  %0 = kern.kernel "pointwise"(%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>, %b: tensor<4xf32>):
    kern.yield %a : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}

// -----

func.func @argument_type(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'kern.kernel' op input #0 is 'tensor<4xf32>' but the body's argument is 'tensor<8xf32>'}}
  %0 = kern.kernel "pointwise"(%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<8xf32>):
    %1 = nn.constant dense<1.0> : tensor<4xf32>
    kern.yield %1 : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}

// -----

func.func @yield_types(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'kern.kernel' op yields 2 value(s) of other types than its results}}
  %0 = kern.kernel "pointwise"(%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    kern.yield %a, %a : tensor<4xf32>, tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}

// -----

func.func @schedule(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{unknown schedule 'fast' (expected matmul, conv, reduction, pointwise or auto:<name>)}}
  %0 = kern.kernel "fast"(%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    kern.yield %a : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}

// -----

func.func @auto_unnamed(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{schedule 'auto:' names no autoscheduler}}
  %0 = kern.kernel "auto:"(%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    kern.yield %a : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}

// -----

// The schedule is the contract with the back end: the body must be what
// its template takes.
func.func @matmul_without_matmul(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'kern.kernel' op is scheduled "matmul" but its body holds 0 nn.matmul (the template takes one)}}
  %0 = kern.kernel "matmul"(%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %1 = nn.exp %a : tensor<4xf32>
    kern.yield %1 : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}

// -----

func.func @pointwise_matmul(%x: tensor<2x3xf32>, %w: tensor<3x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'kern.kernel' op is scheduled "pointwise" but its body holds an nn.matmul (only the matmul and conv templates compute them)}}
  %0 = kern.kernel "pointwise"(%x, %w) : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32> {
  ^bb0(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>):
    %1 = nn.matmul %a, %b : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
    kern.yield %1 : tensor<2x4xf32>
  }
  return %0 : tensor<2x4xf32>
}

// -----

func.func @auto_conv(%x: tensor<1x4x4x1xf32>, %w: tensor<3x3x1x2xf32>) -> tensor<1x4x4x2xf32> {
  // expected-error @+1 {{'kern.kernel' op is scheduled "auto:Adams2019" but its body holds a convolution (only the matmul and conv templates compute them)}}
  %0 = kern.kernel "auto:Adams2019"(%x, %w) : (tensor<1x4x4x1xf32>, tensor<3x3x1x2xf32>) -> tensor<1x4x4x2xf32> {
  ^bb0(%a: tensor<1x4x4x1xf32>, %b: tensor<3x3x1x2xf32>):
    %1 = nn.conv2d %a, %b strides = [1, 1] padding = [1, 1, 1, 1] dilation = [1, 1] groups = 1 : (tensor<1x4x4x1xf32>, tensor<3x3x1x2xf32>) -> tensor<1x4x4x2xf32>
    kern.yield %1 : tensor<1x4x4x2xf32>
  }
  return %0 : tensor<1x4x4x2xf32>
}

// -----

func.func @conv_and_matmul(%x: tensor<1x4x4x1xf32>, %w: tensor<3x3x1x2xf32>, %m: tensor<2x2xf32>) -> tensor<2x2xf32> {
  // expected-error @+1 {{'kern.kernel' op is scheduled "conv" but its body holds an nn.matmul}}
  %0 = kern.kernel "conv"(%x, %w, %m) : (tensor<1x4x4x1xf32>, tensor<3x3x1x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32> {
  ^bb0(%a: tensor<1x4x4x1xf32>, %b: tensor<3x3x1x2xf32>, %c: tensor<2x2xf32>):
    %1 = nn.conv2d %a, %b strides = [1, 1] padding = [1, 1, 1, 1] dilation = [1, 1] groups = 1 : (tensor<1x4x4x1xf32>, tensor<3x3x1x2xf32>) -> tensor<1x4x4x2xf32>
    %2 = nn.matmul %c, %c : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
    kern.yield %2 : tensor<2x2xf32>
  }
  return %0 : tensor<2x2xf32>
}

// -----

func.func @reduction_without_reduction(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'kern.kernel' op is scheduled "reduction" but its body holds no reduction (schedule it "pointwise")}}
  %0 = kern.kernel "reduction"(%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %1 = nn.exp %a : tensor<4xf32>
    kern.yield %1 : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}

// -----

func.func @pointwise_reduction(%x: tensor<4xf32>) -> tensor<f32> {
  // expected-error @+1 {{'kern.kernel' op is scheduled "pointwise" but its body holds a reduction (schedule it "reduction")}}
  %0 = kern.kernel "pointwise"(%x) : (tensor<4xf32>) -> tensor<f32> {
  ^bb0(%a: tensor<4xf32>):
    %1 = nn.reduce_sum %a axes = [0] : tensor<4xf32> -> tensor<f32>
    kern.yield %1 : tensor<f32>
  }
  return %0 : tensor<f32>
}

// -----

func.func @slots(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'kern.kernel' op needs one slot per result}}
  %0 = kern.kernel "pointwise"(%x) {slots = array<i64: 0, 1>} : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    kern.yield %a : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}

// -----

func.func @inplace(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'kern.kernel' op needs one inplace entry per result}}
  %0 = kern.kernel "pointwise"(%x) {inplace = array<i64>} : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    kern.yield %a : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}

// -----

func.func @yield_outside(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'kern.yield' op expects parent op 'kern.kernel'}}
  kern.yield %x : tensor<4xf32>
}

// -----

func.func @isolated(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-note @+1 {{required by region isolation constraints}}
  %0 = kern.kernel "pointwise"() : () -> tensor<4xf32> {
    // expected-error @+1 {{using value defined outside the region}}
    %1 = nn.exp %x : tensor<4xf32>
    kern.yield %1 : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}
