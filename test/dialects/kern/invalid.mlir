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
  // expected-error @+1 {{'kern.kernel' op unknown schedule 'fast' (expected matmul, conv, reduction, pointwise or auto:<name>)}}
  %0 = kern.kernel "fast"(%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    kern.yield %a : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
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
