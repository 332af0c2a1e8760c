//===- fuzz_checkpoint.cpp - libFuzzer target: the checkpoint reader ------===//
//
// Loads mutated checkpoint files into a small fixed model (two tensors and
// a hyperparameter). It must restore the state or throw kiln::rt::Error.
// With KILN_FUZZ_WRITE_SEED=DIR set it writes a valid checkpoint of that
// model to DIR/checkpoint.kiln and exits: the corpus's seed.
//
//===----------------------------------------------------------------------===//
#include "checkpoint.h"
#include "error.h"
#include "fuzz_util.h"

#include <cstdlib>
#include <sys/stat.h>

using namespace kiln;

namespace {
const kiln_param kParams[] = {
    {"w", KILN_PARAM, 2, {2, 3}, KILN_INIT_NORMAL, {0, 1}, "m.cpp:1:1"},
    {"w.adam_m", KILN_STATE, 2, {2, 3}, KILN_INIT_ZEROS, {0, 0}, "m.cpp:1:1"},
};
const kiln_hyper kHypers[] = {{"lr", 0.5}, {"beta1", 0.9}};

kiln_model model() {
  kiln_model m{};
  m.abi_version = KILN_ABI_VERSION;
  m.name = "fuzzed";
  m.num_params = 2;
  m.params = kParams;
  m.num_hypers = 2;
  m.hypers = kHypers;
  return m;
}
} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  if (const char *dir = std::getenv("KILN_FUZZ_WRITE_SEED")) {
    kiln_model desc = model();
    rt::ModelState state(desc);
    state.initialize(1);
    state.steps = 12;
    rt::TrainingPosition pos{
        12,        3,       1,
        16,        0.5,     2,
        {0.5f, 2}, {-1, 3}, {{"lr", 0.125}, {"beta1", 0.9}},
        4,         1.5};
    rt::saveCheckpoint(dir, state, pos);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const std::string dir = fuzz::scratchPath(".ckpt");
  static bool made = ::mkdir(dir.c_str(), 0777) == 0 || errno == EEXIST;
  (void)made;
  fuzz::writeFile(rt::checkpointPath(dir), data, size);
  static kiln_model desc = model();
  rt::ModelState state(desc);
  try {
    rt::loadCheckpoint(dir, state);
  } catch (const rt::Error &) {
  }
  return 0;
}
