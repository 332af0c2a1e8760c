//===- grad_check_command.cpp - ./model grad-check ------------------------===//
#include "analysis.h"
#include "command_data.h"
#include "commands.h"
#include "error.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

namespace kiln::rt {

namespace {
const char *kGradCheckHelp = R"(usage: %s grad-check [data options] [options]

Checks the compiled gradient on the first batch of the training split, at
the initial parameters (--seed) moved by a little (--jitter), the way
PyTorch's gradcheck does: in float64. The binary carries a float64 build of its gradient function
(on the CPU); per parameter, grad-check compares
  - that gradient with central differences of its float64 loss at sampled
    coordinates (h and h/2, Richardson-extrapolated); a coordinate whose
    differences show a kink within h (a ReLU, max or max-pool switch) is
    counted and skipped, not judged, and a coordinate that misses is
    judged again at h/10 (kinks near x move with h, a wrong gradient
    does not); a parameter judged at fewer than a quarter of its
    coordinates fails;
  - the model's own float32 gradient (its target: CPU or GPU) with the
    float64 one, over the whole tensor.
Exits with 1 when a parameter fails either, naming it.

%s  --batch-size N        samples in the batch (default 32)
  --samples N           coordinates checked per parameter (default 16)
  --step X              h = X * max(1, |x|) (default 1e-6)
  --tolerance X         relative error of the float64 gradient against the
                        differences that fails the check (default 1e-4)
  --f32-tolerance X     |g32 - g64| / |g64| that fails the check
                        (default 1e-2)
  --jitter X            add U(-X, X) to every trained parameter first, off
                        the kinks an initializer sits on (zero biases on
                        zero inputs); 0: exactly the initial ones
                        (default 1e-3)
  --show-coordinates    print every coordinate checked: x, h, both
                        gradients and the differences
)";

} // namespace

int gradCheckCommand(const kiln_model &model, int argc, char **argv) {
  Args a = parseArgs(argc, argv,
                     withData({"batch-size", "samples", "step", "tolerance",
                               "f32-tolerance", "jitter"}),
                     {"help", "show-coordinates"});
  if (a.flags.count("help")) {
    std::printf(kGradCheckHelp, argv[0], kDataHelp);
    return 0;
  }
  GradCheckOptions opts;
  opts.samples = toInt(a, "samples", opts.samples, 1);
  opts.step = toDouble(a, "step").value_or(opts.step);
  opts.tolerance = toDouble(a, "tolerance").value_or(opts.tolerance);
  opts.f32Tolerance = toDouble(a, "f32-tolerance").value_or(opts.f32Tolerance);
  opts.verbose = a.flags.count("show-coordinates") > 0;
  opts.jitter = toDouble(a, "jitter").value_or(opts.jitter);
  if (!(opts.jitter >= 0))
    throw Error("--jitter must be at least 0");
  if (!(opts.step > 0) || !(opts.tolerance > 0) || !(opts.f32Tolerance > 0))
    throw Error("--step, --tolerance and --f32-tolerance must be positive");
  ModelState state(model);
  Session session(state);
  FirstBatch b = firstBatch(model, a, state, session);
  opts.seed = b.seed;
  return gradCheck(session, b.data(), b.rows, opts, stdout) ? 0 : 1;
}

} // namespace kiln::rt
