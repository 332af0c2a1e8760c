//===- train_command.cpp - ./model train ----------------------------------===//
#include "command_data.h"
#include "commands.h"
#include "device.h"
#include "error.h"
#include "metrics.h"
#include "thread_pool.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

namespace kiln::rt {

namespace {
const char *kTrainHelp = R"(usage: %s train [data options] [options]

Trains the model and reports the loss (and metrics) per epoch.

%s  --write-split FILE    write the validation rows' indices, one per line

training:
  --epochs N            passes over the training split (default 10); with
                        --resume, the total including the checkpoint's
  --batch-size N        samples per step (default 32; the last batch of an
                        epoch may be smaller)
  --lr X                initial learning rate (default: the model's)
  --momentum X, --beta1 X, --beta2 X, --eps X, --rho X, --weight-decay X
                        override the optimizer's other hyperparameters
                        (those it has; see info)
  --lr-schedule S       constant, step:FACTOR,EVERY_EPOCHS,
                        exponential:RATE,STEPS (lr·RATE^(t/STEPS)),
                        inverse_time:RATE,STEPS (lr/(1+RATE·t/STEPS)) or
                        cosine[:STEPS[,MIN_LR]] (default: the model's)
  --early-stopping N    stop when the validation loss has not improved for
                        N epochs (needs a validation split)
  --test                after training, score the data set's test split
                        (fashion-mnist's t10k files, cifar10's
                        test_batch.bin)

output:
  --progress MODE       auto (a live bar on a terminal, epoch lines
                        otherwise), bar or lines (default auto)
  --metrics FILE        write a CSV row per epoch (loss, accuracy, lr, ...)
  --plot FILE.svg       draw the loss and accuracy curves (FILE.png: drawn
                        by gnuplot, if installed)
  --checkpoint DIR      save parameters, optimizer state and position to
                        DIR/checkpoint.kiln after every epoch (atomically)
  --checkpoint-every N  also save every N steps inside an epoch
  --resume              continue from DIR's checkpoint, bit for bit as if
                        never stopped (same data options, seed and batch)
                        (SIGINT/SIGTERM stop between two steps and save a
                        checkpoint first; exit status 130/143)
  --log-every N         print every N epochs (default: about 20 lines)
  --quiet               print only the final line
  --profile             time every kernel of train_step and print the
                        heaviest (on a GPU, each waits for its kernel; the
                        first step, which sets the device up, is not timed)
)";

} // namespace

int trainCommand(const kiln_model &model, int argc, char **argv) {
  Args a = parseArgs(
      argc, argv,
      withData({"write-split", "epochs", "batch-size", "lr", "log-every",
                "lr-schedule", "progress", "metrics", "plot", "checkpoint",
                "checkpoint-every", "early-stopping", "momentum", "beta1",
                "beta2", "eps", "rho", "weight-decay"}),
      {"quiet", "help", "profile", "resume", "test"});
  if (a.flags.count("help")) {
    std::printf(kTrainHelp, argv[0], kDataHelp);
    return 0;
  }
  std::optional<Prepared> p = prepareData(model, a);
  if (!p)
    throw Error(std::string("model '") + model.name +
                "' has no inputs to train on");
  ModelState state(model);
  Session session(state);
  session.checkData(p->data);
  Trainer trainer(session, stdout);
  if (a.has("write-split")) {
    const std::string &path = a.values["write-split"];
    FILE *f = std::fopen(path.c_str(), "w");
    if (!f)
      throw Error(path + ": cannot write: " + std::strerror(errno));
    for (int64_t r : p->split.validation)
      std::fprintf(f, "%lld\n", static_cast<long long>(r));
    if (std::fclose(f) != 0)
      throw Error(path + ": write failed");
  }
  uint64_t seed = static_cast<uint64_t>(toInt(a, "seed", 0, 0));
  state.initialize(seed);
  if (auto lr = toDouble(a, "lr")) {
    if (!(*lr > 0))
      throw Error("--lr must be positive");
    state.setHyper("lr", *lr);
  }
  // The optimizer's hyperparameters are runtime scalars too; a complement
  // 1 − x the rule reads is set with x, in double precision.
  for (const char *flag :
       {"momentum", "beta1", "beta2", "eps", "rho", "weight-decay"}) {
    std::optional<double> v = toDouble(a, flag);
    if (!v)
      continue;
    std::string name = flag;
    if (name == "weight-decay")
      name = "weight_decay";
    if (!state.hasHyper(name))
      throw Error(std::string("--") + flag + ": optimizer '" + model.optimizer +
                  "' of model '" + model.name + "' has no " + name);
    bool unit = name != "eps" && name != "weight_decay";
    bool ok = unit ? *v >= 0 && *v < 1 : name == "eps" ? *v > 0 : *v >= 0;
    if (!ok)
      throw Error(std::string("--") + flag + " must be " +
                  (unit            ? "in [0, 1)"
                   : name == "eps" ? "above 0"
                                   : "at least 0"));
    state.setHyper(name, *v);
    if (state.hasHyper("1-" + name))
      state.setHyper("1-" + name, 1 - *v);
  }
  TrainOptions opts;
  opts.epochs = toInt(a, "epochs", 10, 1);
  opts.batchSize = toInt(a, "batch-size", 32, 1);
  opts.logEvery = toInt(a, "log-every", 0, 0);
  opts.quiet = a.flags.count("quiet");
  opts.profile = a.flags.count("profile");
  opts.schedule = a.has("lr-schedule")
                      ? LrSchedule::parse(a.values["lr-schedule"])
                      : LrSchedule::fromModel(model.schedule);
  if (a.has("progress")) {
    const std::string &m = a.values["progress"];
    if (m == "bar")
      opts.progress = Progress::Bar;
    else if (m == "lines")
      opts.progress = Progress::Lines;
    else if (m != "auto")
      throw Error("--progress must be auto, bar or lines, got '" + m + "'");
  }
  opts.metricsPath = a.values["metrics"];
  opts.plotPath = a.values["plot"];
  if (!opts.plotPath.empty())
    checkPlotPath(opts.plotPath);
  opts.checkpointDir = a.values["checkpoint"];
  opts.checkpointEvery = toInt(a, "checkpoint-every", 0, 1);
  if (opts.checkpointEvery > 0 && opts.checkpointDir.empty())
    throw Error("--checkpoint-every needs --checkpoint DIR");
  opts.patience = toInt(a, "early-stopping", 0, 1);
  if (opts.patience > 0 && p->split.validation.empty())
    throw Error("--early-stopping watches the validation loss: hold out a "
                "validation split (--val-split > 0)");
  RunStart start;
  if (a.flags.count("resume")) {
    if (opts.checkpointDir.empty())
      throw Error("--resume needs --checkpoint DIR");
    TrainingPosition pos = loadCheckpoint(opts.checkpointDir, state);
    if (pos.seed != seed)
      throw Error(checkpointPath(opts.checkpointDir) +
                  ": trained with --seed " + std::to_string(pos.seed) +
                  "; resume with the same seed (it fixes the split and the "
                  "shuffles)");
    if (pos.batchSize != opts.batchSize)
      throw Error(checkpointPath(opts.checkpointDir) +
                  ": trained with --batch-size " +
                  std::to_string(pos.batchSize) + "; resume with the same");
    start.epochs = pos.epochs;
    start.batches = pos.batches;
    start.lossSum = pos.lossSum;
    start.bestLoss = pos.bestLoss;
    start.bestEpoch = pos.bestEpoch;
    // The run's hyperparameters, unless a flag sets them anew (x's flag
    // also sets its complement 1-x).
    for (const auto &[name, value] : pos.hypers) {
      std::string base = name.rfind("1-", 0) == 0 ? name.substr(2) : name;
      std::string flag = base == "weight_decay" ? "weight-decay" : base;
      if (!a.has(flag))
        state.setHyper(name, value);
    }
  }
  std::optional<Dataset> test;
  if (a.flags.count("test")) {
    test = testSplit(a);
    session.checkData(*test);
    if (p->normalizer)
      p->normalizer->apply(*test);
  }
  if (!opts.quiet) {
    std::printf("model %s: %lld parameters; %s: %lld training / %lld "
                "validation samples, %lld features\n",
                model.name, static_cast<long long>(state.parameterCount()),
                p->data.source.c_str(),
                static_cast<long long>(p->split.train.size()),
                static_cast<long long>(p->split.validation.size()),
                static_cast<long long>(p->data.features));
    if (opts.schedule.kind != KILN_SCHEDULE_CONSTANT)
      std::printf("learning rate: %s from %g\n",
                  opts.schedule.describe().c_str(),
                  state.hasHyper("lr") ? state.hyper("lr") : 0.0);
    if (start.batches > 0)
      std::printf("resuming in epoch %lld after batch %lld (step %lld) from "
                  "%s\n",
                  static_cast<long long>(start.epochs + 1),
                  static_cast<long long>(start.batches),
                  static_cast<long long>(state.steps),
                  checkpointPath(opts.checkpointDir).c_str());
    else if (start.epochs > 0)
      std::printf("resuming after epoch %lld (step %lld) from %s\n",
                  static_cast<long long>(start.epochs),
                  static_cast<long long>(state.steps),
                  checkpointPath(opts.checkpointDir).c_str());
  }
  std::fflush(stdout); // the header reaches a log file before training
  trainer.fit(p->data, p->split, opts, seed, start);
  if (test) {
    printScore("test:", trainer.evaluate(*test, allRows(test->rows)));
    std::printf("  (%lld samples of %s's test split)\n",
                static_cast<long long>(test->rows),
                a.values["dataset"].c_str());
  }
  return 0;
}

} // namespace kiln::rt
