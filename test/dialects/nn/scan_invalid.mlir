// Every error of nn.scan's verifier, with its message.
// RUN: kiln-opt %s -split-input-file -verify-diagnostics

func.func @f(%h0: tensor<?x8xf32>) {
  // expected-error @+1 {{'nn.scan' op length must be at least 1, got 0}}
  %r = nn.scan length 0 axis 1 carries(%h0) sequences() closures() : (tensor<?x8xf32>) -> (tensor<?x8xf32>) {
  ^bb0(%h: tensor<?x8xf32>):
    nn.yield %h : tensor<?x8xf32>
  }
  return
}

// -----

func.func @f(%h0: tensor<?x8xf32>, %x: tensor<5x?x4xf32>) {
  // expected-error @+1 {{'nn.scan' op axis must be 1 or more (dim 0 is the batch), got 0}}
  %r = nn.scan length 5 axis 0 carries(%h0) sequences(%x) closures() : (tensor<?x8xf32>, tensor<5x?x4xf32>) -> (tensor<?x8xf32>) {
  ^bb0(%h: tensor<?x8xf32>, %xt: tensor<?x4xf32>):
    nn.yield %h : tensor<?x8xf32>
  }
  return
}

// -----

func.func @f(%h0: tensor<?x8xf32>, %x: tensor<?x6x4xf32>) {
  // expected-error @+1 {{'nn.scan' op sequence #0 ('tensor<?x6x4xf32>') has 6 along axis 1, but the scan runs 5 steps}}
  %r = nn.scan length 5 axis 1 carries(%h0) sequences(%x) closures() : (tensor<?x8xf32>, tensor<?x6x4xf32>) -> (tensor<?x8xf32>) {
  ^bb0(%h: tensor<?x8xf32>, %xt: tensor<?x4xf32>):
    nn.yield %h : tensor<?x8xf32>
  }
  return
}

// -----

func.func @f(%h0: tensor<?x8xf32>, %x: tensor<?x?x4xf32>) {
  // expected-error @+1 {{'nn.scan' op sequence #0 ('tensor<?x?x4xf32>') has a dynamic size along axis 1, but the scan runs 5 steps}}
  %r = nn.scan length 5 axis 1 carries(%h0) sequences(%x) closures() : (tensor<?x8xf32>, tensor<?x?x4xf32>) -> (tensor<?x8xf32>) {
  ^bb0(%h: tensor<?x8xf32>, %xt: tensor<?x4xf32>):
    nn.yield %h : tensor<?x8xf32>
  }
  return
}

// -----

func.func @f(%h0: tensor<?x8xf32>, %x: tensor<?xf32>) {
  // expected-error @+1 {{'nn.scan' op sequence #0 ('tensor<?xf32>') has no axis 1}}
  %r = nn.scan length 5 axis 1 carries(%h0) sequences(%x) closures() : (tensor<?x8xf32>, tensor<?xf32>) -> (tensor<?x8xf32>) {
  ^bb0(%h: tensor<?x8xf32>, %xt: tensor<?xf32>):
    nn.yield %h : tensor<?x8xf32>
  }
  return
}

// -----

func.func @f(%h0: tensor<?x8xf32>, %w: tensor<4x8xf32>) {
  // expected-error @+1 {{'nn.scan' op body takes 1 arguments, expected 2 (1 carries, 0 sequence slices, 1 closures)}}
  %r = nn.scan length 5 axis 1 carries(%h0) sequences() closures(%w) : (tensor<?x8xf32>, tensor<4x8xf32>) -> (tensor<?x8xf32>) {
  ^bb0(%h: tensor<?x8xf32>):
    nn.yield %h : tensor<?x8xf32>
  }
  return
}

// -----

func.func @f(%h0: tensor<?x8xf32>) {
  // expected-error @+1 {{'nn.scan' op body argument #0 (carry #0) is 'tensor<?x4xf32>', but the initial carry is 'tensor<?x8xf32>'}}
  %r = nn.scan length 5 axis 1 carries(%h0) sequences() closures() : (tensor<?x8xf32>) -> (tensor<?x8xf32>) {
  ^bb0(%h: tensor<?x4xf32>):
    nn.yield %h : tensor<?x4xf32>
  }
  return
}

// -----

func.func @f(%h0: tensor<?x8xf32>, %x: tensor<?x5x4xf32>) {
  // expected-error @+1 {{'nn.scan' op body argument #1 (a step of sequence #0) is 'tensor<?x5xf32>', but a step of 'tensor<?x5x4xf32>' along axis 1 is 'tensor<?x4xf32>'}}
  %r = nn.scan length 5 axis 1 carries(%h0) sequences(%x) closures() : (tensor<?x8xf32>, tensor<?x5x4xf32>) -> (tensor<?x8xf32>) {
  ^bb0(%h: tensor<?x8xf32>, %xt: tensor<?x5xf32>):
    nn.yield %h : tensor<?x8xf32>
  }
  return
}

// -----

func.func @f(%h0: tensor<?x8xf32>, %w: tensor<4x8xf32>) {
  // expected-error @+1 {{'nn.scan' op body argument #1 (closure #0) is 'tensor<8x4xf32>', but the closure is 'tensor<4x8xf32>'}}
  %r = nn.scan length 5 axis 1 carries(%h0) sequences() closures(%w) : (tensor<?x8xf32>, tensor<4x8xf32>) -> (tensor<?x8xf32>) {
  ^bb0(%h: tensor<?x8xf32>, %w0: tensor<8x4xf32>):
    nn.yield %h : tensor<?x8xf32>
  }
  return
}

// -----

func.func @f(%h0: tensor<?x8xf32>, %c0: tensor<?x8xf32>) {
  %r:2 = nn.scan length 5 axis 1 carries(%h0, %c0) sequences() closures() : (tensor<?x8xf32>, tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  ^bb0(%h: tensor<?x8xf32>, %c: tensor<?x8xf32>):
    // expected-error @+1 {{'nn.yield' op yields 1 values, but the scan has 2 carries}}
    nn.yield %h : tensor<?x8xf32>
  }
  return
}

// -----

func.func @f(%h0: tensor<?x8xf32>, %w: tensor<8x4xf32>) {
  %r = nn.scan length 5 axis 1 carries(%h0) sequences() closures(%w) : (tensor<?x8xf32>, tensor<8x4xf32>) -> (tensor<?x8xf32>) {
  ^bb0(%h: tensor<?x8xf32>, %w0: tensor<8x4xf32>):
    %y = nn.matmul %h, %w0 : (tensor<?x8xf32>, tensor<8x4xf32>) -> tensor<?x4xf32>
    // expected-error @+1 {{'nn.yield' op yields carry #0 as 'tensor<?x4xf32>', but the carry is 'tensor<?x8xf32>'}}
    nn.yield %y : tensor<?x4xf32>
  }
  return
}

// -----

func.func @f(%h0: tensor<?x8xf32>) {
  // expected-error @+1 {{'nn.scan' op has 1 results, expected 2 (1 final carries, 1 stacked step outputs)}}
  %r = nn.scan length 5 axis 1 carries(%h0) sequences() closures() : (tensor<?x8xf32>) -> (tensor<?x8xf32>) {
  ^bb0(%h: tensor<?x8xf32>):
    nn.yield %h, %h : tensor<?x8xf32>, tensor<?x8xf32>
  }
  return
}

// -----

func.func @f(%h0: tensor<?x8xf32>) {
  // expected-error @+1 {{'nn.scan' op result #1 (step output #0 stacked) is 'tensor<?x8x5xf32>', expected 'tensor<?x5x8xf32>'}}
  %r:2 = nn.scan length 5 axis 1 carries(%h0) sequences() closures() : (tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8x5xf32>) {
  ^bb0(%h: tensor<?x8xf32>):
    nn.yield %h, %h : tensor<?x8xf32>, tensor<?x8xf32>
  }
  return
}

// -----

func.func @f(%h0: tensor<?x8xf32>, %s0: tensor<f32>) {
  %r:3 = nn.scan length 5 axis 1 carries(%h0, %s0) sequences() closures() : (tensor<?x8xf32>, tensor<f32>) -> (tensor<?x8xf32>, tensor<f32>, tensor<5xf32>) {
  ^bb0(%h: tensor<?x8xf32>, %s: tensor<f32>):
    // expected-error @+1 {{'nn.yield' op step output #0 ('tensor<f32>') cannot be stacked along axis 1}}
    nn.yield %h, %s, %s : tensor<?x8xf32>, tensor<f32>, tensor<f32>
  }
  return
}

// -----

// The body is isolated from above: what it reads from outside must be a
// closure.
func.func @f(%h0: tensor<?x8xf32>, %w: tensor<8x8xf32>) {
  // expected-note @+1 {{required by region isolation constraints}}
  %r = nn.scan length 5 axis 1 carries(%h0) sequences() closures() : (tensor<?x8xf32>) -> (tensor<?x8xf32>) {
  ^bb0(%h: tensor<?x8xf32>):
    // expected-error @+1 {{'nn.matmul' op using value defined outside the region}}
    %y = nn.matmul %h, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
    nn.yield %y : tensor<?x8xf32>
  }
  return
}
