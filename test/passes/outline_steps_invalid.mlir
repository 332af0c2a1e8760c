// Errors of --kiln-outline-steps.
// RUN: kiln-opt %s -split-input-file --kiln-outline-steps -verify-diagnostics

nn.model @m {
  %x = nn.input "x" : tensor<?x1xf32>
  %y = nn.input "y" label : tensor<?x1xf32>
  %d = nn.sub %x, %y : (tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<?x1xf32>
  // expected-error @+1 {{output 'residual' depends on label input 'y', so predict could not compute it}}
  nn.output "residual" %d : tensor<?x1xf32>
}


// -----

nn.model @a {
}
// expected-error @+1 {{kiln compiles one model per module}}
nn.model @b {
}
