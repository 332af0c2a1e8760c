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
  // expected-error @+1 {{unknown metric 'f1' (expected none, binary_accuracy or accuracy)}}
  nn.output "o" %x {metric = "f1"} : tensor<?x3xf32>
}

// -----

nn.model @m {
  %y = nn.input "y" label : tensor<3xf32>
  // expected-error @+1 {{first operand must be an nn.param or a feature nn.input}}
  nn.gradient %y, %y : tensor<3xf32>
}

// -----

nn.model @m {
  %y = nn.input "y" label : tensor<3xf32>
  %t = nn.param "t" init <zeros> : tensor<f32>
  // expected-error @+1 {{first operand must be an nn.param or a feature nn.input}}
  nn.loss_tangent %y, %t : tensor<3xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<3xf32>
  // expected-error @+1 {{first operand must be an nn.param or an nn.state}}
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

// expected-error @+1 {{unknown optimizer 'lbfgs' (supported: sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw)}}
nn.model @m attributes {optimizer = {kind = "lbfgs"}} {
}

// -----

// expected-error @+1 {{optimizer 'sgd' has no hyperparameter 'momentum' (it takes: lr, clip_value, clip_norm)}}
nn.model @m attributes {optimizer = {kind = "sgd", momentum = 0.9 : f64}} {
}

// -----

// expected-error @+1 {{optimizer momentum must be a float in [0, 1)}}
nn.model @m attributes {optimizer = {kind = "nesterov", momentum = 1.0 : f64}} {
}

// -----

// expected-error @+1 {{optimizer weight_decay must be a float at least 0}}
nn.model @m attributes {optimizer = {kind = "adamw", weight_decay = -0.1 : f64}} {
}

// -----

// expected-error @+1 {{optimizer 'adam' has no hyperparameter 'weight_decay' (it takes: lr, beta1, beta2, eps, clip_value, clip_norm)}}
nn.model @m attributes {optimizer = {kind = "adam", weight_decay = 0.1 : f64}} {
}

// -----

// expected-error @+1 {{optimizer schedule must be a dictionary}}
nn.model @m attributes {optimizer = {kind = "sgd", schedule = "cosine"}} {
}

// -----

// expected-error @+1 {{unknown schedule 'linear' (supported: constant, step, exponential, inverse_time, cosine)}}
nn.model @m attributes {optimizer = {kind = "sgd", schedule = {kind = "linear"}}} {
}

// -----

// expected-error @+1 {{schedule 'step' has no parameter 'rate' (it takes: factor, every)}}
nn.model @m attributes {optimizer = {kind = "sgd", schedule = {kind = "step", rate = 0.5 : f64}}} {
}

// -----

// expected-error @+1 {{schedule 'exponential' needs steps above 0}}
nn.model @m attributes {optimizer = {kind = "sgd", schedule = {kind = "exponential", rate = 0.5 : f64, steps = 0.0 : f64}}} {
}

// -----

// expected-error @+1 {{schedule every must be a float above 0}}
nn.model @m attributes {optimizer = {kind = "sgd", schedule = {kind = "step", factor = 0.5 : f64, every = 0.0 : f64}}} {
}

// -----

// expected-error @+1 {{optimizer lr must be a float above 0}}
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

// -----

func.func @f(%a: tensor<3xf32>, %b: tensor<3xi32>) {
  // expected-note @-1 {{lhs (3) is defined here}}
  // expected-note @-2 {{rhs (3) is defined here}}
  // expected-error @+2 {{compare needs operands of one element type}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.compare gt, %a, %b : (tensor<3xf32>, tensor<3xi32>) -> tensor<3xi1>
  return
}

// -----

func.func @f(%a: tensor<3xf32>, %b: tensor<4xf32>) {
  // expected-note @-1 {{lhs (3) is defined here}}
  // expected-note @-2 {{rhs (4) is defined here}}
  // expected-error @+2 {{compare operands have incompatible shapes 3 and 4 (dimension 0 of the broadcast result: 3 vs 4)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.compare lt, %a, %b : (tensor<3xf32>, tensor<4xf32>) -> tensor<3xi1>
  return
}

// -----

func.func @f(%c: tensor<2xi1>, %a: tensor<3xf32>) {
  // expected-note @-1 {{condition (2) is defined here}}
  // expected-note @-2 {{on_true (3) is defined here}}
  // expected-note @-3 {{on_false (3) is defined here}}
  // expected-error @+2 {{select operands have incompatible shapes 2, 3 and 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.select %c, %a, %a : (tensor<2xi1>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @f(%a: tensor<3xf32>) {
  // expected-error @+1 {{'nn.cast' op requires the same shape for all operands and results}}
  %0 = nn.cast %a : tensor<3xf32> -> tensor<4xi32>
  return
}

// -----

func.func @f(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{permutation [0, 0] is not a permutation of the 2 dims of a 2x3 tensor}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.transpose %a permutation = [0, 0] : tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @f(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) {
  // expected-error @+2 {{concat axis 2 is out of range for rank-2 operands}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.concat %a, %b axis = 2 : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<2x7xf32>
  return
}

// -----

func.func @f(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) {
  // expected-note @-1 {{operand #0 (2x3) is defined here}}
  // expected-note @-2 {{this operand (3x4) is defined here}}
  // expected-error @+2 {{concat operand #1 is 3x4, which does not match 2x3 outside axis 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.concat %a, %b axis = 1 : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x7xf32>
  return
}

// -----

func.func @f(%a: tensor<?x3xf32>) {
  // expected-error @+2 {{cannot concatenate along the batch dimension}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.concat %a, %a axis = 0 : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  return
}

// -----

func.func @f(%a: tensor<?x6xf32>) {
  // expected-error @+2 {{dim 0 is the batch dim: it can only be kept whole (start 0, limit -1, stride 1)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.slice %a starts = [1, 0] limits = [-1, 6] strides = [1, 1] : tensor<?x6xf32> -> tensor<?x6xf32>
  return
}

// -----

func.func @f(%a: tensor<4x6xf32>) {
  // expected-error @+2 {{dim 1 of size 6 cannot be sliced from 2 to 7 by 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.slice %a starts = [0, 2] limits = [4, 7] strides = [1, 1] : tensor<4x6xf32> -> tensor<4x5xf32>
  return
}

// -----

func.func @f(%a: tensor<4xf32>) {
  // expected-error @+2 {{slice of a rank-1 tensor needs that many starts, limits and strides}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.slice %a starts = [0, 0] limits = [4] strides = [1] : tensor<4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @f(%a: tensor<?x3xf32>) {
  // expected-error @+2 {{dim 0 is the batch dim and cannot be padded}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.pad %a low = [1, 0] high = [0, 0] interior = [0, 0] : tensor<?x3xf32> -> tensor<?x3xf32>
  return
}

// -----

func.func @f(%a: tensor<3xf32>) {
  // expected-error @+2 {{padding of dim 0 must not be negative}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.pad %a low = [-1] high = [0] interior = [0] : tensor<3xf32> -> tensor<2xf32>
  return
}

// -----

func.func @f(%a: tensor<?xi32>) {
  // expected-error @+2 {{one_hot needs at least one class, got 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.one_hot %a classes = 0 : tensor<?xi32> -> tensor<?x0xf32>
  return
}

// -----

func.func @f(%a: tensor<?xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit signless integer values}}
  %0 = nn.one_hot %a classes = 3 : tensor<?xf32> -> tensor<?x3xf32>
  return
}

// -----

func.func @f(%a: tensor<?x10xf32>) {
  // expected-error @+2 {{reduction axis 2 is out of range for a rank-2 tensor}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.argmax %a axis = 2 : tensor<?x10xf32> -> tensor<?xi32>
  return
}

// -----

func.func @f(%a: tensor<3xi1>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float values}}
  %0 = nn.sqrt %a : tensor<3xi1>
  return
}

// -----

// expected-error @+1 {{optimizer beta2 must be a float in [0, 1)}}
nn.model @m attributes {optimizer = {kind = "adam", beta2 = 1.0 : f64}} {
}

// -----

func.func @f(%a: tensor<?x3xf32>) {
  // expected-error @+1 {{'nn.softmax' op axis 2 is out of range for a rank-2 tensor}}
  %0 = nn.softmax %a axis = 2 : tensor<?x3xf32>
  return
}

// -----

func.func @f(%z: tensor<?x3xf32>, %l: tensor<?x1xi32>) {
  // expected-note @-1 {{logits (?x3) is defined here}}
  // expected-note @-2 {{labels (?x1) is defined here}}
  // expected-error @+2 {{softmax_cross_entropy needs logits [..., classes] and labels [...] of the same leading shape, got ?x3 and ?x1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.softmax_cross_entropy %z, %l : (tensor<?x3xf32>, tensor<?x1xi32>) -> tensor<f32>
  return
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<?x4xf32>
  %s = nn.hyper "step" default 1.0 : tensor<f32>
  // expected-error @+1 {{dropout rate must be in [0, 1), got 1}}
  %d = nn.dropout %x, %s rate = 1.0 salt = 0 : tensor<?x4xf32>, tensor<f32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<?x4xf32>
  // expected-error @+1 {{dropout seed must be a scalar tensor<f32>, got 'tensor<?x4xf32>'}}
  %d = nn.dropout %x, %x rate = 0.5 salt = 0 : tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<?x4xf32>
  %s = nn.hyper "step" default 1.0 : tensor<f32>
  // expected-error @+1 {{noise stddev must be finite and at least 0, got -1}}
  %d = nn.gaussian_noise %x, %s stddev = -1.0 salt = 0 : tensor<?x4xf32>, tensor<f32>
}

// -----

// expected-error @+1 {{optimizer clip_norm must be a float above 0}}
nn.model @m attributes {optimizer = {kind = "adam", clip_norm = 0.0 : f64}} {
}
