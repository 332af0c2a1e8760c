//===- analysis.h - derivatives and gradient checks of a model --*- C++ -*-===//
//
// `./model derivatives` and `./model grad-check`. grad-check judges the
// float64 twin of the gradient function (gradient_f64, every kernel in
// float64 on the CPU) against central differences of its own loss at h and
// h/2 (a coordinate whose two differences disagree has a kink within h and
// is skipped; a miss is judged again at h/10), and the model's float32
// gradient against the float64 one over whole tensors. The differentiated
// loss is the gradient function's, so dropout and noise are on (both
// precisions draw the same masks).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_ANALYSIS_H
#define KILN_RUNTIME_ANALYSIS_H

#include "session.h"

#include <cstdio>
#include <vector>

namespace kiln::rt {

/// Prints the loss and its derivatives at the current parameters on one
/// batch (`rows` of `data`; no data for a model without inputs): the reverse
/// gradient of every parameter and, when the model was built with --jvp,
/// the forward-mode tangents next to the matching sums of the gradient.
void printDerivatives(Session &session, const Dataset *data,
                      const std::vector<int64_t> &rows, FILE *out);

struct GradCheckOptions {
  int64_t samples = 16; // coordinates checked per parameter
  // Central differences of the float64 loss at h = step · max(1, |θ|) and
  // h/2: float64 round-off is ~1e-9 of the gradient there, and a kink
  // (ReLU, max) falls within h of one coordinate in tens of thousands.
  double step = 1e-6;
  double tolerance = 1e-4;    // relative error of the float64 gradient
  // |g32 - g64| / |g64| of each parameter: float32 round-off reaches 8e-4
  // in a ResNet's batch-normalised stem (a broken kernel is off by 1e-2
  // or more).
  double f32Tolerance = 1e-2;
  bool verbose = false;       // print every coordinate checked
  // Added to every trained parameter, uniform in ±jitter, before checking:
  // off any kink the initializer sits on (zero biases on zero inputs).
  double jitter = 1e-3;
  uint64_t seed = 0;
};

/// Checks the compiled gradient on one batch, per parameter, the way
/// PyTorch's gradcheck does in float64: the model's float64 gradient
/// function (gradient_f64) against central differences of its loss at
/// sampled coordinates (kinks detected and skipped), and the model's own
/// float32 gradient against the float64 one. Prints what was checked and
/// returns whether every parameter passed.
bool gradCheck(Session &session, const Dataset *data,
               const std::vector<int64_t> &rows, const GradCheckOptions &opts,
               FILE *out);

} // namespace kiln::rt

#endif // KILN_RUNTIME_ANALYSIS_H
