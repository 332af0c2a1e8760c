// --kiln-optimizer expands each gradient with the model's update rule (SGD: θ − lr·g), lr a
// runtime hyperparameter.
// RUN: kiln-opt %s -split-input-file --kiln-optimizer | FileCheck %s
// RUN: kiln-opt %s -split-input-file --kiln-optimizer --mlir-print-debuginfo --mlir-print-local-scope | FileCheck %s --check-prefix=LOC

// CHECK-LABEL: nn.model @sgd
// CHECK:       %[[W:.*]] = nn.param "w"
// CHECK:       %[[B:.*]] = nn.param "b"
// The gradients stay for the gradient function.
// CHECK:       nn.gradient %[[W]], %[[GW:[^ ]*]]
// CHECK:       nn.gradient %[[B]]
// CHECK:       %[[LR:.*]] = nn.hyper "lr" default 2.500000e-01 : tensor<f32>
// CHECK:       %[[S1:.*]] = nn.mul %[[LR]], %[[GW]] : (tensor<f32>, tensor<2x1xf32>) -> tensor<2x1xf32>
// CHECK:       %[[N1:.*]] = nn.sub %[[W]], %[[S1]]
// CHECK:       nn.update %[[W]], %[[N1]] : tensor<2x1xf32>
// CHECK:       %[[S2:.*]] = nn.mul %[[LR]], %{{.*}} : (tensor<f32>, tensor<1xf32>) -> tensor<1xf32>
// CHECK:       %[[N2:.*]] = nn.sub %[[B]], %[[S2]]
// CHECK:       nn.update %[[B]], %[[N2]] : tensor<1xf32>
// The update keeps the parameter's location.
// LOC:         nn.update {{.*}} loc("model.cpp":7:3)
nn.model @sgd attributes {optimizer = {kind = "sgd", lr = 0.25 : f64}} {
  %w = nn.param "w" init <zeros> : tensor<2x1xf32> loc("model.cpp":7:3)
  %b = nn.param "b" init <zeros> : tensor<1xf32>
  %gw = nn.param "gw" init <zeros> : tensor<2x1xf32>
  %gb = nn.param "gb" init <zeros> : tensor<1xf32>
  nn.gradient %w, %gw : tensor<2x1xf32> loc("model.cpp":7:3)
  nn.gradient %b, %gb : tensor<1xf32>
}

// -----

// Without an optimizer attribute: SGD with lr 0.01.
// CHECK-LABEL: nn.model @default
// CHECK:       nn.hyper "lr" default 1.000000e-02 : tensor<f32>
nn.model @default {
  %w = nn.param "w" init <zeros> : tensor<f32>
  nn.gradient %w, %w : tensor<f32>
}

// -----

// Gradients of inputs (asked for with wrt) are not updated.
// CHECK-LABEL: nn.model @input_gradient
// CHECK:       nn.update %{{.*}}, %{{.*}} : tensor<f32>
// CHECK-NOT:   nn.update
nn.model @input_gradient {
  %x = nn.input "x" : tensor<?x2xf32>
  %w = nn.param "w" init <zeros> : tensor<f32>
  nn.gradient %x, %x : tensor<?x2xf32>
  nn.gradient %w, %w : tensor<f32>
}

// -----

// Nesterov: v ← βv + lr·g; θ ← θ − (βv + lr·g), v a zero-initialised state.
// CHECK-LABEL: nn.model @nesterov
// CHECK:       %[[W:.*]] = nn.param "w"
// CHECK:       %[[G:.*]] = nn.param "gw"
// CHECK:       %[[LR:.*]] = nn.hyper "lr" default 5.000000e-01
// CHECK:       %[[BETA:.*]] = nn.hyper "momentum" default 7.500000e-01
// CHECK:       %[[LG:.*]] = nn.mul %[[LR]], %[[G]]
// CHECK:       %[[V:.*]] = nn.state "w.velocity" : tensor<2xf32>
// CHECK:       %[[BV:.*]] = nn.mul %[[BETA]], %[[V]]
// CHECK:       %[[NV:.*]] = nn.add %[[BV]], %[[LG]]
// CHECK:       %[[LOOK:.*]] = nn.mul %[[BETA]], %[[NV]]
// CHECK:       %[[STEP:.*]] = nn.add %[[LOOK]], %[[LG]]
// CHECK:       %[[NW:.*]] = nn.sub %[[W]], %[[STEP]]
// CHECK:       nn.update %[[W]], %[[NW]]
// CHECK:       nn.update %[[V]], %[[NV]]
nn.model @nesterov attributes {optimizer = {kind = "nesterov", lr = 0.5 : f64, momentum = 0.75 : f64}} {
  %w = nn.param "w" init <zeros> : tensor<2xf32>
  %gw = nn.param "gw" init <zeros> : tensor<2xf32>
  nn.gradient %w, %gw : tensor<2xf32>
}

// -----

// Momentum: the same velocity, θ ← θ − v.
// CHECK-LABEL: nn.model @momentum
// CHECK:       %[[V:.*]] = nn.state "w.velocity"
// CHECK:       %[[NV:.*]] = nn.add
// CHECK-NEXT:  %[[NW:.*]] = nn.sub %{{.*}}, %[[NV]]
// CHECK-NEXT:  nn.update %{{.*}}, %[[NW]]
// CHECK-NEXT:  nn.update %[[V]], %[[NV]]
nn.model @momentum attributes {optimizer = {kind = "momentum", lr = 0.5 : f64}} {
  %w = nn.param "w" init <zeros> : tensor<2xf32>
  %gw = nn.param "gw" init <zeros> : tensor<2xf32>
  nn.gradient %w, %gw : tensor<2xf32>
}

// -----

// RMSProp: s ← ρs + (1−ρ)g²; θ ← θ − lr·g/√(s + ε).
// CHECK-LABEL: nn.model @rmsprop
// CHECK:       %[[G:.*]] = nn.param "gw"
// CHECK:       %[[LR:.*]] = nn.hyper "lr"
// The hyperparameters are runtime scalars (flags override them); 1 − ρ is
// one of its own, which the runtime sets in double precision.
// CHECK:       %[[EPS:.*]] = nn.hyper "eps" default 9.9999999999999995E-7
// CHECK:       %[[RHO:.*]] = nn.hyper "rho" default 7.500000e-01
// CHECK:       %[[REST:.*]] = nn.hyper "1-rho" default 2.500000e-01
// CHECK:       %[[G2:.*]] = nn.mul %[[G]], %[[G]]
// CHECK:       %[[S:.*]] = nn.state "w.rmsprop_s"
// CHECK:       %[[A:.*]] = nn.mul %[[REST]], %[[G2]]
// CHECK:       %[[B:.*]] = nn.mul %[[RHO]], %[[S]]
// CHECK:       %[[NS:.*]] = nn.add %[[B]], %[[A]]
// CHECK:       %[[SE:.*]] = nn.add %[[NS]], %[[EPS]]
// CHECK:       %[[R:.*]] = nn.sqrt %[[SE]]
// CHECK:       %[[Q:.*]] = nn.div %[[G]], %[[R]]
// CHECK:       nn.mul %[[LR]], %[[Q]]
// CHECK:       nn.update %[[S]], %[[NS]]
nn.model @rmsprop attributes {optimizer = {kind = "rmsprop", lr = 0.5 : f64, rho = 0.75 : f64, eps = 1.0e-6 : f64}} {
  %w = nn.param "w" init <zeros> : tensor<2xf32>
  %gw = nn.param "gw" init <zeros> : tensor<2xf32>
  nn.gradient %w, %gw : tensor<2xf32>
}

// -----

// Adagrad: s ← s + g², no decay.
// CHECK-LABEL: nn.model @adagrad
// CHECK:       %[[G:.*]] = nn.param "gw"
// CHECK:       %[[G2:.*]] = nn.mul %[[G]], %[[G]]
// CHECK:       %[[S:.*]] = nn.state "w.adagrad_s"
// CHECK-NEXT:  %[[NS:.*]] = nn.add %[[S]], %[[G2]]
// CHECK:       nn.update %[[S]], %[[NS]]
nn.model @adagrad attributes {optimizer = {kind = "adagrad"}} {
  %w = nn.param "w" init <zeros> : tensor<2xf32>
  %gw = nn.param "gw" init <zeros> : tensor<2xf32>
  nn.gradient %w, %gw : tensor<2xf32>
}

// -----

// AdamW: the decay λθ joins Adam's direction, not the gradient (the moments
// see g only).
// CHECK-LABEL: nn.model @adamw
// CHECK:       %[[W:.*]] = nn.param "w"
// CHECK:       %[[LR:.*]] = nn.hyper "lr"
// CHECK:       nn.hyper "step"
// CHECK:       %[[LAMBDA:.*]] = nn.hyper "weight_decay" default 2.500000e-01
// CHECK:       %[[DIR:.*]] = nn.div %{{.*}}, %{{.*}} : (tensor<2xf32>, tensor<2xf32>)
// CHECK-NEXT:  %[[DECAY:.*]] = nn.mul %[[LAMBDA]], %[[W]]
// CHECK-NEXT:  %[[SUM:.*]] = nn.add %[[DIR]], %[[DECAY]]
// CHECK-NEXT:  %[[STEP:.*]] = nn.mul %[[LR]], %[[SUM]]
// CHECK-NEXT:  %[[NW:.*]] = nn.sub %[[W]], %[[STEP]]
// CHECK-NEXT:  nn.update %[[W]], %[[NW]]
nn.model @adamw attributes {optimizer = {kind = "adamw", lr = 0.5 : f64, weight_decay = 0.25 : f64}} {
  %w = nn.param "w" init <zeros> : tensor<2xf32>
  %gw = nn.param "gw" init <zeros> : tensor<2xf32>
  nn.gradient %w, %gw : tensor<2xf32>
}

// -----

// Clipping by global norm comes before the rule: one norm over every
// parameter's gradient, each gradient scaled by c / max(‖g‖, c).
// CHECK-LABEL: nn.model @clip_norm
// CHECK:       %[[GW:.*]] = nn.param "gw"
// CHECK:       %[[GB:.*]] = nn.param "gb"
// CHECK:       %[[W2:.*]] = nn.mul %[[GW]], %[[GW]]
// CHECK:       %[[SW:.*]] = nn.reduce_sum %[[W2]] axes = [0, 1]
// CHECK:       %[[B2:.*]] = nn.mul %[[GB]], %[[GB]]
// CHECK:       %[[SB:.*]] = nn.reduce_sum %[[B2]] axes = [0]
// CHECK:       %[[TOTAL:.*]] = nn.add %[[SW]], %[[SB]]
// CHECK:       %[[NORM:.*]] = nn.sqrt %[[TOTAL]]
// CHECK:       %[[C:.*]] = nn.constant dense<5.000000e-01>
// CHECK:       %[[MAX:.*]] = nn.maximum %[[NORM]], %[[C]]
// CHECK:       %[[SCALE:.*]] = nn.div %[[C]], %[[MAX]]
// CHECK:       %[[CW:.*]] = nn.mul %[[GW]], %[[SCALE]]
// CHECK:       %[[CB:.*]] = nn.mul %[[GB]], %[[SCALE]]
// CHECK:       nn.mul %{{.*}}, %[[CW]]
// CHECK:       nn.mul %{{.*}}, %[[CB]]
nn.model @clip_norm attributes {optimizer = {kind = "sgd", lr = 0.25 : f64, clip_norm = 0.5 : f64}} {
  %w = nn.param "w" init <zeros> : tensor<2x1xf32>
  %b = nn.param "b" init <zeros> : tensor<1xf32>
  %gw = nn.param "gw" init <zeros> : tensor<2x1xf32>
  %gb = nn.param "gb" init <zeros> : tensor<1xf32>
  nn.gradient %w, %gw : tensor<2x1xf32>
  nn.gradient %b, %gb : tensor<1xf32>
}

// -----

// Clipping by value: each element into [−c, c].
// CHECK-LABEL: nn.model @clip_value
// CHECK:       %[[G:.*]] = nn.param "gw"
// CHECK:       %[[HI:.*]] = nn.constant dense<2.000000e+00>
// CHECK:       %[[LO:.*]] = nn.constant dense<-2.000000e+00>
// CHECK:       %[[X:.*]] = nn.maximum %[[G]], %[[LO]]
// CHECK:       %[[CG:.*]] = nn.minimum %[[X]], %[[HI]]
// CHECK:       nn.mul %{{.*}}, %[[CG]]
nn.model @clip_value attributes {optimizer = {kind = "sgd", clip_value = 2.0 : f64}} {
  %w = nn.param "w" init <zeros> : tensor<2xf32>
  %gw = nn.param "gw" init <zeros> : tensor<2xf32>
  nn.gradient %w, %gw : tensor<2xf32>
}
