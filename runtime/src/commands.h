//===- commands.h - the model binary's commands -----------------*- C++ -*-===//
#ifndef KILN_RUNTIME_COMMANDS_H
#define KILN_RUNTIME_COMMANDS_H

#include "kiln/model_abi.h"

namespace kiln::rt {

/// One function per command, one file each (<command>_command.cpp): each
/// parses argv[2...], prints its --help, and returns the exit code.
int trainCommand(const kiln_model &model, int argc, char **argv);
int evalCommand(const kiln_model &model, int argc, char **argv);
int predictCommand(const kiln_model &model, int argc, char **argv);
int derivativesCommand(const kiln_model &model, int argc, char **argv);
int gradCheckCommand(const kiln_model &model, int argc, char **argv);
int infoCommand(const kiln_model &model, int argc, char **argv);

} // namespace kiln::rt

#endif // KILN_RUNTIME_COMMANDS_H
