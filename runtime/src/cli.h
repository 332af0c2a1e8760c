//===- cli.h - the model binary's command line ------------------*- C++ -*-===//
#ifndef KILN_RUNTIME_CLI_H
#define KILN_RUNTIME_CLI_H

#include "kiln/model_abi.h"

namespace kiln::rt {

/// `./model train|eval|predict|derivatives|grad-check|info|help ...`;
/// returns the process exit code.
int runCli(const kiln_model &model, int argc, char **argv);

} // namespace kiln::rt

#endif // KILN_RUNTIME_CLI_H
