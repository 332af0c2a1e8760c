//===- analysis.h - derivatives and gradient checks of a model --*- C++ -*-===//
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
  int64_t samples = 16;    // coordinates checked per parameter
  double step = 1e-3;      // h = step · max(1, |θ|): small enough not to
                           // straddle ReLU/abs kinks often; the float32
                           // round-off this brings is discounted
  double tolerance = 1e-2; // relative error that fails the check
  uint64_t seed = 0;
};

/// Compares the compiled gradient with central finite differences of the
/// compiled loss on one batch, per parameter; prints the worst relative
/// error of each and returns whether all are within the tolerance.
bool gradCheck(Session &session, const Dataset *data,
               const std::vector<int64_t> &rows, const GradCheckOptions &opts,
               FILE *out);

} // namespace kiln::rt

#endif // KILN_RUNTIME_ANALYSIS_H
