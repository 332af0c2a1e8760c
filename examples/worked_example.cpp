// The worked example of automatic differentiation from the course material:
//
//   f(x1, x2) = ln(x1) + x1·x2 − sin(x2)   at (x1, x2) = (2, 5)
//   f = 11.652,  ∂f/∂x1 = 1/x1 + x2 = 5.5,  ∂f/∂x2 = x1 − cos(x2) = 1.716
//
// x1 and x2 are parameters starting at 2 and 5 and f is the "loss", so the
// compiled binary computes f and both partial derivatives, by reverse mode
// (one backward sweep for both) and, built with --jvp, by forward mode (one
// sweep per input).
//
//   kiln build examples/worked_example.cpp -o worked --jvp
//   ./worked derivatives
#include <kiln/dsl.h>

using namespace kiln;

KILN_MODEL(worked_example, m) {
  Tensor x1 = m.param("x1", {}, init::constant(2.0));
  Tensor x2 = m.param("x2", {}, init::constant(5.0));
  Tensor f = log(x1) + x1 * x2 - sin(x2);
  m.loss(f);
}
