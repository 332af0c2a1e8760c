// Every verifier error of the nn dialect, with its message.
// RUN: kiln-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{unknown initializer 'glorot'}}
#bad = #nn.init<glorot>

// -----

// expected-error @+1 {{initializer 'constant' takes 1 argument(s), got 0}}
#bad = #nn.init<constant>

// -----

// expected-error @+1 {{uniform initializer needs low < high, got [1, -1]}}
#bad = #nn.init<uniform, 1.0, -1.0>

// -----

// expected-error @+1 {{normal initializer needs a positive standard deviation, got 0}}
#bad = #nn.init<normal, 0.0, 0.0>

// -----

nn.model @m {
  // expected-error @+1 {{parameter 'w' must have a static shape, got ?x3}}
  %w = nn.param "w" init <zeros> : tensor<?x3xf32>
}

// -----

nn.model @m {
  // expected-error @+1 {{parameter 'w' has no elements}}
  %w = nn.param "w" init <zeros> : tensor<0x3xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<?x3xf32>
  // expected-error @+1 {{the loss must be a scalar, got a ?x3 tensor (reduce it, e.g. with reduce_mean)}}
  nn.loss %x : tensor<?x3xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<?x3xf32>
  // expected-error @+1 {{unknown metric 'f1' (expected none or binary_accuracy)}}
  nn.output "o" %x {metric = "f1"} : tensor<?x3xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<3xf32>
  // expected-error @+1 {{first operand must be an nn.param}}
  nn.gradient %x, %x : tensor<3xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<3xf32>
  // expected-error @+1 {{first operand must be an nn.param}}
  nn.update %x, %x : tensor<3xf32>
}

// -----

nn.model @m {
  %w = nn.param "w" init <zeros> : tensor<3xf32>
  %x = nn.input "x" : tensor<4xf32>
  // expected-error @+1 {{all of {param, grad} have same type}}
  "nn.gradient"(%w, %x) : (tensor<3xf32>, tensor<4xf32>) -> ()
}

// -----

// expected-error @+1 {{'nn.input' op expects parent op 'nn.model'}}
%x = nn.input "x" : tensor<3xf32>

// -----

nn.model @m {
  // expected-error @+1 {{input/parameter name must not be empty}}
  %x = nn.input "" : tensor<3xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<?x3xf32>
  // expected-error @+1 {{duplicate input/parameter name 'x'}}
  %w = nn.param "x" init <zeros> : tensor<3xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<?x3xf32>
  nn.output "o" %x : tensor<?x3xf32>
  // expected-error @+1 {{duplicate output name 'o'}}
  nn.output "o" %x : tensor<?x3xf32>
}

// -----

nn.model @m {
  %s = nn.param "s" init <zeros> : tensor<f32>
  nn.loss %s : tensor<f32>
  // expected-error @+1 {{a model has at most one loss}}
  nn.loss %s : tensor<f32>
}

// -----

// expected-error @+1 {{optimizer needs a string 'kind'}}
nn.model @m attributes {optimizer = {lr = 0.1 : f64}} {
}

// -----

// expected-error @+1 {{unknown optimizer 'adam' (supported: sgd)}}
nn.model @m attributes {optimizer = {kind = "adam"}} {
}

// -----

// expected-error @+1 {{optimizer 'sgd' has no hyperparameter 'momentum' (it takes: lr)}}
nn.model @m attributes {optimizer = {kind = "sgd", momentum = 0.9 : f64}} {
}

// -----

// expected-error @+1 {{optimizer learning rate must be a positive float}}
nn.model @m attributes {optimizer = {kind = "sgd", lr = -1.0 : f64}} {
}

// -----

func.func @f(%a: tensor<4xf32>, %b: tensor<4x2xf32>) {
  // expected-note @-1 {{lhs (4) is defined here}}
  // expected-note @-2 {{rhs (4x2) is defined here}}
  // expected-error @+2 {{matmul needs rank-2 operands, got 4 and 4x2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.matmul %a, %b : (tensor<4xf32>, tensor<4x2xf32>) -> tensor<4x2xf32>
  return
}

// -----

func.func @f(%a: tensor<4x3xf32>, %b: tensor<5x2xf32>) {
  // expected-note @-1 {{lhs (4x3) is defined here}}
  // expected-note @-2 {{rhs (5x2) is defined here}}
  // expected-error @+2 {{matmul inner dimensions differ: lhs 4x3 has 3 columns but rhs 5x2 has 5 rows}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.matmul %a, %b : (tensor<4x3xf32>, tensor<5x2xf32>) -> tensor<4x2xf32>
  return
}

// -----

func.func @f(%a: tensor<?x3xf32>, %b: tensor<3x2xf32>) {
  // expected-note @-1 {{lhs (?x3) is defined here}}
  // expected-note @-2 {{rhs (3x2) is defined here}}
  // expected-error @+2 {{matmul inner dimensions differ: lhs ?x3 (transposed) has ? (batch) columns but rhs 3x2 has 3 rows}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.matmul %a, %b transpose_lhs : (tensor<?x3xf32>, tensor<3x2xf32>) -> tensor<3x2xf32>
  return
}

// -----

func.func @f(%a: tensor<4x3xf32>, %b: tensor<4xf32>) {
  // expected-note @-1 {{lhs (4x3) is defined here}}
  // expected-note @-2 {{rhs (4) is defined here}}
  // expected-error @+2 {{add operands have incompatible shapes 4x3 and 4 (dimension 1 of the broadcast result: 3 vs 4)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.add %a, %b : (tensor<4x3xf32>, tensor<4xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @f(%a: tensor<?x3xf32>, %b: tensor<8x3xf32>) {
  // expected-note @-1 {{lhs (?x3) is defined here}}
  // expected-note @-2 {{rhs (8x3) is defined here}}
  // expected-error @+2 {{mul operands have incompatible shapes ?x3 and 8x3 (dimension 0 of the broadcast result: ? (batch) vs 8)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.mul %a, %b : (tensor<?x3xf32>, tensor<8x3xf32>) -> tensor<?x3xf32>
  return
}

// -----

func.func @f(%a: tensor<4x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{'nn.sub' op inferred type(s) 'tensor<4x3xf32>' are incompatible with return type(s) of operation 'tensor<3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.sub %a, %b : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @f(%a: tensor<4x3xf32>) {
  // expected-error @+2 {{reduction axis 2 is out of range for a rank-2 tensor}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.reduce_sum %a axes = [2] : tensor<4x3xf32> -> tensor<4xf32>
  return
}

// -----

func.func @f(%a: tensor<4x3xf32>) {
  // expected-error @+2 {{reduction axes must be sorted and unique}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.reduce_mean %a axes = [1, 0] : tensor<4x3xf32> -> tensor<f32>
  return
}

// -----

func.func @f(%a: tensor<4x3xf32>) {
  // expected-error @+1 {{cannot broadcast 4x3 to 2x4x2}}
  %0 = nn.broadcast_to %a : tensor<4x3xf32> -> tensor<2x4x2xf32>
  return
}

// -----

func.func @f(%a: tensor<4x3xf32>) {
  // expected-error @+1 {{cannot sum 4x3 down to 2: the result must broadcast to the input}}
  %0 = nn.sum_to %a : tensor<4x3xf32> -> tensor<2xf32>
  return
}

// -----

func.func @f(%a: tensor<4x3xf32>) {
  // expected-error @+1 {{cannot reshape 4x3 to 5x2: element counts differ}}
  %0 = nn.reshape %a : tensor<4x3xf32> -> tensor<5x2xf32>
  return
}

// -----

func.func @f(%a: tensor<?x3xf32>) {
  // expected-error @+1 {{cannot reshape ?x3 to 3: element counts differ}}
  %0 = nn.reshape %a : tensor<?x3xf32> -> tensor<3xf32>
  return
}

// -----

func.func @f(%a: tensor<?x3xf32>) {
  // expected-error @+1 {{reduction axis 5 is out of range for a rank-2 tensor}}
  %0 = nn.element_count %a axes = [5] : tensor<?x3xf32>
  return
}

// -----

func.func @f(%a: tensor<?x1xf32>, %b: tensor<?x2xf32>) {
  // expected-note @-1 {{prediction (?x1) is defined here}}
  // expected-note @-2 {{target (?x2) is defined here}}
  // expected-error @+2 {{mse needs prediction and target of the same shape, got ?x1 and ?x2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.mse %a, %b : (tensor<?x1xf32>, tensor<?x2xf32>) -> tensor<f32>
  return
}

// -----

func.func @f(%a: tensor<?x1xf32>, %b: tensor<1xf32>) {
  // expected-note @-1 {{prediction (?x1) is defined here}}
  // expected-note @-2 {{target (1) is defined here}}
  // expected-error @+2 {{binary_cross_entropy needs prediction and target of the same shape, got ?x1 and 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.binary_cross_entropy %a, %b : (tensor<?x1xf32>, tensor<1xf32>) -> tensor<f32>
  return
}

// -----

func.func @f(%a: tensor<?x1xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{all of {prediction, target, result} have same type}}
  %0 = "nn.binary_cross_entropy_grad"(%a, %a, %s) : (tensor<?x1xf32>, tensor<?x1xf32>, tensor<f32>) -> tensor<1xf32>
  return
}

// -----

func.func @f(%a: tensor<3xi32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float values}}
  %0 = nn.exp %a : tensor<3xi32>
  return
}
