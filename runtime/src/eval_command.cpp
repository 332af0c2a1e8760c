//===- eval_command.cpp - ./model eval ------------------------------------===//
#include "command_data.h"
#include "commands.h"
#include "error.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

namespace kiln::rt {

namespace {
const char *kEvalHelp =
    R"(usage: %s eval --checkpoint DIR [data options] [--test]

Scores a checkpoint's parameters: on the validation split (the one training
held out, fixed by the same --seed and --val-split), on all of the data with
--val-split 0, or on the data set's test split with --test. Features go
through the checkpoint's normalisation.

%s  --checkpoint DIR      the training run's checkpoint directory
  --test                score the data set's test split (fashion-mnist,
                        cifar10)
)";

} // namespace

int evalCommand(const kiln_model &model, int argc, char **argv) {
  Args a = parseArgs(argc, argv, withData({"checkpoint"}), {"help", "test"});
  if (a.flags.count("help")) {
    std::printf(kEvalHelp, argv[0], kDataHelp);
    return 0;
  }
  if (!model.eval_step)
    throw Error(std::string("model '") + model.name + "' has no loss to score");
  std::optional<Prepared> p = prepareData(model, a, /*fit=*/false);
  if (!p)
    throw Error(std::string("model '") + model.name + "' has no inputs");
  ModelState state(model);
  Session session(state);
  Dataset test;
  Dataset *data = &p->data;
  std::vector<int64_t> rows =
      p->split.validation.empty() ? p->split.train : p->split.validation;
  const char *what =
      p->split.validation.empty() ? "all data" : "validation split";
  if (a.flags.count("test")) {
    test = testSplit(a);
    data = &test;
    rows = allRows(test.rows);
    what = "test split";
  }
  session.checkData(*data);
  TrainingPosition pos = restore(a, state, data);
  Trainer trainer(session, stdout);
  printScore("eval:", trainer.evaluate(*data, rows));
  std::printf("  (%s, %lld samples; checkpoint after epoch %lld)\n", what,
              static_cast<long long>(rows.size()),
              static_cast<long long>(pos.epochs));
  return 0;
}

} // namespace kiln::rt
