//===- cli.cpp - the model binary's command line --------------------------===//
//
// Dispatches to the commands (one file each, commands.h); options are
// parsed by args.cpp, data and checkpoints prepared by command_data.cpp;
// `help` is this file's. Commands that run kernels first require the
// model's device (device.cpp); a command's --help prints without probing
// it. An Interrupted run exits with 128 + the signal.
//
//===----------------------------------------------------------------------===//
#include "cli.h"
#include "commands.h"
#include "device.h"
#include "error.h"
#include "thread_pool.h"
#include "trainer.h"

#include <cstdio>
#include <cstring>
#include <string>

namespace kiln::rt {
namespace {

const char *kUsage = R"(usage: %s <command> [options]

commands:
  train        train the model on a data set (%s train --help)
  eval         score a checkpoint on a data set's validation or test split
  predict      write the model's outputs for each sample as CSV
  derivatives  print the loss and its derivatives on one batch
  grad-check   check the compiled gradient in float64 against finite
               differences, and float32 against float64
  info         describe the model: inputs, parameters, kernels
  help         this text
)";

} // namespace

int runCli(const kiln_model &model, int argc, char **argv) {
  ThreadPool::installForHalide();
  try {
    std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd.empty()) {
      std::fprintf(stderr, kUsage, argv[0], argv[0]);
      return 1;
    }
    if (cmd == "help" || cmd == "--help" || cmd == "-h") {
      std::printf(kUsage, argv[0], argv[0]);
      return 0;
    }
    // Commands that run kernels need the device the model was built for
    // (their --help does not: it prints on any machine).
    bool help = false;
    for (int i = 2; i < argc; ++i)
      help |= !std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h");
    if (!help && (cmd == "train" || cmd == "derivatives" ||
                  cmd == "grad-check" || cmd == "eval" || cmd == "predict"))
      requireDevice(model.target);
    if (cmd == "train")
      return trainCommand(model, argc, argv);
    if (cmd == "derivatives")
      return derivativesCommand(model, argc, argv);
    if (cmd == "grad-check")
      return gradCheckCommand(model, argc, argv);
    if (cmd == "info")
      return infoCommand(model, argc, argv);
    if (cmd == "eval")
      return evalCommand(model, argc, argv);
    if (cmd == "predict")
      return predictCommand(model, argc, argv);
    throw Error("unknown command '" + cmd + "' (try: " + argv[0] + " help)");
  } catch (const Interrupted &i) {
    std::fflush(stdout);
    std::fprintf(stderr, "%s\n", i.message.c_str());
    return 128 + i.signal;
  } catch (const Error &e) {
    std::fflush(stdout);
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc &) {
    std::fflush(stdout);
    std::fprintf(stderr, "error: out of memory\n");
    return 1;
  }
}

} // namespace kiln::rt