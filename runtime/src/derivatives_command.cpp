//===- derivatives_command.cpp - ./model derivatives ----------------------===//
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
const char *kDerivativesHelp =
    R"(usage: %s derivatives [data options] [--batch-size N]

Prints the loss and its derivatives at the initial parameters (--seed) on
the first batch of the training split: reverse mode for every parameter,
and forward mode too when the model was built with `kiln build --jvp`.

%s  --batch-size N        samples in the batch (default 32)
)";

} // namespace

int derivativesCommand(const kiln_model &model, int argc, char **argv) {
  Args a = parseArgs(argc, argv, withData({"batch-size"}), {"help"});
  if (a.flags.count("help")) {
    std::printf(kDerivativesHelp, argv[0], kDataHelp);
    return 0;
  }
  ModelState state(model);
  Session session(state);
  FirstBatch b = firstBatch(model, a, state, session);
  printDerivatives(session, b.data(), b.rows, stdout);
  return 0;
}

} // namespace kiln::rt
