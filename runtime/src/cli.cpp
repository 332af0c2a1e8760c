//===- cli.cpp - the model binary's command line --------------------------===//
#include "cli.h"
#include "analysis.h"
#include "checkpoint.h"
#include "data.h"
#include "device.h"
#include "error.h"
#include "metrics.h"
#include "session.h"
#include "thread_pool.h"
#include "trainer.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace kiln::rt {
namespace {

const char *kDataHelp =
    R"(data (the model's own data when it carries some and none is given):
  --dataset NAME        iris, breast-cancer, diabetes or fashion-mnist, from
                        where Debian installs them (python3-sklearn,
                        dataset-fashion-mnist); cifar10, which Debian does
                        not package, needs --data-path
  --data-path PATH      where to find --dataset's files instead (cifar10:
                        the directory of data_batch_1.bin ... data_batch_5.bin
                        and test_batch.bin, CIFAR-10's binary version)
  --data FILE           your own CSV/TSV or NumPy .npy (the last columns are
                        the targets), or one CIFAR-10 binary batch (.bin);
                        gzip'd or not
  --target-columns N    number of target columns in --data (default 1)
  --header yes|no|auto  whether --data starts with a header (default auto)
  --delimiter C         ',' ';' 'tab' or 'space' (default: detected)
  --normalize zscore|minmax[:LO,HI]|zscore-channels:C|
              zscore-channels-last:C|none
                        feature scaling fitted on the training split: per
                        feature; to [0, 1] (or [LO, HI]); per channel of
                        C-channel images stored plane by plane (CHW) or
                        channels last (HWC, as cifar10 is loaded) (default
                        zscore; none for the model's own data)
  --subset N            use only the first N samples of the data (quick runs)
  --val-split F         fraction held out for validation (default 0.2; 0 for
                        the model's own data)
  --seed N              seeds initialisation, split and shuffling (default 0)
  --threads N           threads the kernels run on (default: HL_NUM_THREADS,
                        else every CPU this process may use)
)";

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

const char *kDerivativesHelp =
    R"(usage: %s derivatives [data options] [--batch-size N]

Prints the loss and its derivatives at the initial parameters (--seed) on
the first batch of the training split: reverse mode for every parameter,
and forward mode too when the model was built with `kiln build --jvp`.

%s  --batch-size N        samples in the batch (default 32)
)";

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
    does not); a parameter judged at fewer than half its coordinates fails;
  - the model's own float32 gradient (its target: CPU or GPU) with the
    float64 one, over the whole tensor.
Exits with 1 when a parameter fails either, naming it.

%s  --batch-size N        samples in the batch (default 32)
  --samples N           coordinates checked per parameter (default 16)
  --step X              h = X * max(1, |x|) (default 1e-6)
  --tolerance X         relative error of the float64 gradient against the
                        differences that fails the check (default 1e-4)
  --f32-tolerance X     |g32 - g64| / |g64| that fails the check
                        (default 1e-3)
  --jitter X            add U(-X, X) to every trained parameter first, off
                        the kinks an initializer sits on (zero biases on
                        zero inputs); 0: exactly the initial ones
                        (default 1e-3)
  --show-coordinates    print every coordinate checked: x, h, both
                        gradients and the differences
)";

const char *kUsage = R"(usage: %s <command> [options]

commands:
  train        train the model on a data set (%s train --help)
  eval         score a checkpoint on a data set's validation or test split
  predict      write the model's outputs for each sample as CSV
  derivatives  print the loss and its derivatives on one batch
  grad-check   compare compiled gradients with finite differences
  info         describe the model: inputs, parameters, kernels
  help         this text
)";

const std::set<std::string> kDataOptions = {
    "dataset",   "data-path", "data", "target-columns", "header", "delimiter",
    "normalize", "val-split", "seed", "threads",        "subset"};

struct Args {
  std::map<std::string, std::string> values;
  std::set<std::string> flags;
  bool has(const std::string &k) const { return values.count(k); }
};

/// --key value / --key=value / --flag; only the names in `valued` and
/// `flagNames` are accepted.
Args parseArgs(int argc, char **argv, std::set<std::string> valued,
               const std::set<std::string> &flagNames) {
  Args a;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0)
      throw Error("unexpected argument '" + arg + "' (options start with --)");
    std::string key = arg.substr(2), value;
    bool inlined = false;
    if (size_t eq = key.find('='); eq != std::string::npos) {
      value = key.substr(eq + 1);
      key = key.substr(0, eq);
      inlined = true;
    }
    if (flagNames.count(key)) {
      if (inlined)
        throw Error("option --" + key + " takes no value");
      a.flags.insert(key);
      continue;
    }
    if (!valued.count(key))
      throw Error("unknown option --" + key + " (see --help)");
    if (!inlined) {
      if (i + 1 >= argc)
        throw Error("option --" + key + " needs a value");
      value = argv[++i];
    }
    a.values[key] = value;
  }
  return a;
}

int64_t toInt(const Args &a, const std::string &key, int64_t fallback,
              int64_t min) {
  auto it = a.values.find(key);
  if (it == a.values.end())
    return fallback;
  errno = 0;
  char *end = nullptr;
  long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (it->second.empty() || *end || errno || v < min)
    throw Error("--" + key + " needs an integer >= " + std::to_string(min) +
                ", got '" + it->second + "'");
  return v;
}

std::optional<double> toDouble(const Args &a, const std::string &key) {
  auto it = a.values.find(key);
  if (it == a.values.end())
    return std::nullopt;
  errno = 0;
  char *end = nullptr;
  double v = std::strtod(it->second.c_str(), &end);
  if (it->second.empty() || *end || errno || !std::isfinite(v))
    throw Error("--" + key + " needs a number, got '" + it->second + "'");
  return v;
}

/// A data set split and normalised for a model, from the data options.
struct Prepared {
  Dataset data;
  Split split;
  std::optional<Normalizer> normalizer; // fitted on the training split
};

/// `fit`: fit the normalisation on the training split (train); otherwise
/// the caller applies a checkpoint's (eval, predict). `targets`: the
/// default of --target-columns.
std::optional<Prepared> prepareData(const kiln_model &model, Args &a,
                                    bool fit = true, int64_t targets = 1) {
  if (a.has("threads"))
    ThreadPool::setGlobalThreads(static_cast<int>(toInt(a, "threads", 0, 1)));
  bool named = a.has("dataset"), file = a.has("data");
  if (named && file)
    throw Error("give one of --dataset NAME or --data FILE, not both");
  bool own = !named && !file;
  if (own && !model.dataset) {
    bool hasInput = false;
    for (int i = 0; i < model.num_inputs; ++i)
      hasInput |= !model.inputs[i].label;
    if (!hasInput)
      return std::nullopt; // nothing to feed
    throw Error("give exactly one of --dataset NAME or --data FILE");
  }
  if (!file &&
      (a.has("target-columns") || a.has("header") || a.has("delimiter")))
    throw Error("--target-columns, --header and --delimiter apply to --data "
                "files");

  Prepared p;
  if (own) {
    const kiln_dataset &d = *model.dataset;
    p.data.source = d.name;
    p.data.rows = d.rows;
    p.data.features = d.features;
    p.data.targets = d.targets;
    p.data.x.assign(d.x, d.x + d.rows * d.features);
    p.data.y.assign(d.y, d.y + d.rows * d.targets);
  } else if (named) {
    p.data = loadNamed(a.values["dataset"], a.values["data-path"]);
  } else {
    CsvOptions csv;
    csv.targets = static_cast<int>(toInt(a, "target-columns", targets, 0));
    if (a.has("header")) {
      const std::string &h = a.values["header"];
      if (h == "yes")
        csv.header = CsvOptions::Header::Yes;
      else if (h == "no")
        csv.header = CsvOptions::Header::No;
      else if (h != "auto")
        throw Error("--header must be yes, no or auto, got '" + h + "'");
    }
    if (a.has("delimiter")) {
      const std::string &d = a.values["delimiter"];
      if (d == "tab" || d == "\\t")
        csv.delimiter = '\t';
      else if (d == "space")
        csv.delimiter = 0;
      else if (d.size() == 1)
        csv.delimiter = d[0];
      else
        throw Error("--delimiter must be one character, 'tab' or 'space'");
    }
    const std::string &file = a.values["data"];
    auto endsWith = [&](const char *suffix) {
      size_t n = std::strlen(suffix);
      return file.size() >= n && file.compare(file.size() - n, n, suffix) == 0;
    };
    if (endsWith(".bin") || endsWith(".bin.gz")) {
      // CIFAR-10's binary format: every record has its one label byte.
      if (a.has("target-columns"))
        throw Error("--target-columns does not apply to " + file +
                    " (a CIFAR-10 .bin file has one label per record)");
      p.data = loadCifar({file});
    } else if (endsWith(".npy") || endsWith(".npy.gz")) {
      p.data = loadNpy(file, csv.targets);
    } else {
      p.data = loadCsv(file, csv);
    }
  }

  if (int64_t n = toInt(a, "subset", 0, 1); n && n < p.data.rows) {
    Dataset &d = p.data;
    d.rows = n;
    (d.x8.empty() ? d.x.resize(n * d.features) : d.x8.resize(n * d.features));
    d.y.resize(n * d.targets);
  }
  uint64_t seed = static_cast<uint64_t>(toInt(a, "seed", 0, 0));
  double valSplit = toDouble(a, "val-split").value_or(own ? 0.0 : 0.2);
  p.split = splitRows(p.data.rows, valSplit, seed);
  std::string normalize = a.has("normalize") ? a.values["normalize"]
                          : own              ? "none"
                                             : "zscore";
  if (!fit) {
    if (a.has("normalize"))
      throw Error("--normalize applies to training; eval and predict use "
                  "the checkpoint's normalisation");
  } else if (normalize != "none") {
    Normalizer n = Normalizer::parse(normalize);
    n.fit(p.data, p.split.train);
    n.apply(p.data);
    p.normalizer = n;
  }
  return p;
}

std::set<std::string> withData(std::set<std::string> extra) {
  extra.insert(kDataOptions.begin(), kDataOptions.end());
  return extra;
}

/// Every row index of a data set of `n` rows.
std::vector<int64_t> allRows(int64_t n) {
  std::vector<int64_t> rows(n);
  for (int64_t i = 0; i < n; ++i)
    rows[i] = i;
  return rows;
}

/// "HEAD  loss L  accuracy A% (c/n)", without a newline.
void printScore(const char *head, const EvalResult &r) {
  std::printf("%s  loss %.6g", head, r.loss);
  if (auto acc = r.accuracy())
    std::printf("  accuracy %.2f%% (%lld/%lld)", 100 * *acc,
                static_cast<long long>(r.correct),
                static_cast<long long>(r.counted));
}

/// --test: the named data set's separate test split.
Dataset testSplit(Args &a) {
  if (!a.has("dataset"))
    throw Error("--test takes a named data set's test split (--dataset)");
  return loadNamed(a.values["dataset"], a.values["data-path"], /*test=*/true);
}

int train(const kiln_model &model, int argc, char **argv) {
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

const char *kPredictHelp =
    R"(usage: %s predict --checkpoint DIR (--data FILE | --dataset NAME) [options]

Runs the model's predict function on every sample and writes a CSV: a
header, then one row per sample with each output's values (NAME_0, NAME_1,
...) and, for an output scored by accuracy, its class (argmax; p > 0.5 for
binary accuracy). --data files hold features only unless --target-columns
says otherwise. Features go through the checkpoint's normalisation.

%s  --checkpoint DIR      the training run's checkpoint directory
  --test                the data set's test split (fashion-mnist, cifar10)
  --output FILE         where to write the CSV (default: standard output)
)";

/// Loads a checkpoint into `state` and puts its feature map on `data`.
TrainingPosition restore(Args &a, ModelState &state, Dataset *data) {
  if (!a.has("checkpoint"))
    throw Error("give --checkpoint DIR (a training run's --checkpoint)");
  TrainingPosition pos = loadCheckpoint(a.values["checkpoint"], state);
  if (data && !pos.scale.empty()) {
    if (static_cast<int64_t>(pos.scale.size()) != data->features)
      throw Error(checkpointPath(a.values["checkpoint"]) +
                  ": normalisation of " + std::to_string(pos.scale.size()) +
                  " features, " + data->source + " has " +
                  std::to_string(data->features));
    data->scale = pos.scale;
    data->shift = pos.shift;
  }
  return pos;
}

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

int predictCommand(const kiln_model &model, int argc, char **argv) {
  Args a = parseArgs(argc, argv, withData({"checkpoint", "output"}),
                     {"help", "test"});
  if (a.flags.count("help")) {
    std::printf(kPredictHelp, argv[0], kDataHelp);
    return 0;
  }
  if (!model.predict)
    throw Error(std::string("model '") + model.name + "' has no outputs");
  if (!a.has("val-split"))
    a.values["val-split"] = "0"; // every sample
  std::optional<Prepared> p = prepareData(model, a, /*fit=*/false, 0);
  if (!p)
    throw Error(std::string("model '") + model.name + "' has no inputs");
  Dataset test;
  Dataset *data = &p->data;
  std::vector<int64_t> rows = allRows(data->rows);
  if (a.flags.count("test")) {
    test = testSplit(a);
    data = &test;
    rows = allRows(test.rows);
  }
  ModelState state(model);
  Session session(state);
  session.checkFeatures(*data);
  restore(a, state, data);
  Executor &ex = session.executor(*model.predict);

  FILE *out = stdout;
  std::string path = a.values["output"];
  if (!path.empty() && !(out = std::fopen(path.c_str(), "w")))
    throw Error(path + ": cannot write: " + std::strerror(errno));
  const kiln_function &fn = *model.predict;
  constexpr int64_t kChunk = 1024;
  bool header = true;
  for (size_t start = 0; start < rows.size(); start += kChunk) {
    int64_t n = std::min<int64_t>(kChunk, rows.size() - start);
    session.feed(*data, rows.data() + start, n, /*labels=*/false);
    ex.run(n);
    for (int64_t i = 0; i < n; ++i) {
      std::string line;
      for (int r = 0; r < fn.num_results; ++r) {
        const kiln_binding &b = fn.results[r];
        Tensor &t = ex.result(r);
        int64_t width = t.dims().empty() ? 1 : t.size() / t.dims()[0];
        bool classify = b.metric == KILN_METRIC_ACCURACY;
        bool binary = b.metric == KILN_METRIC_BINARY_ACCURACY;
        if (header && i == 0) {
          for (int64_t c = 0; c < width; ++c)
            std::fprintf(out, "%s%s_%lld", r || c ? "," : "", b.name,
                         static_cast<long long>(c));
          if (classify || binary)
            std::fprintf(out, ",%s_class", b.name);
          if (r + 1 == fn.num_results)
            std::fprintf(out, "\n");
        }
        int64_t best = 0;
        char buf[32];
        for (int64_t c = 0; c < width; ++c) {
          double v = t.get(i * width + c);
          if (v > t.get(i * width + best))
            best = c;
          std::snprintf(buf, sizeof buf, "%s%.7g", r || c ? "," : "", v);
          line += buf;
        }
        if (classify)
          line += "," + std::to_string(best);
        if (binary)
          line += t.get(i * width) > 0.5 ? ",1" : ",0";
      }
      header = false;
      std::fprintf(out, "%s\n", line.c_str());
    }
  }
  if (out != stdout && std::fclose(out) != 0)
    throw Error(path + ": write failed");
  if (out != stdout)
    std::fprintf(stderr, "predict: %lld rows to %s\n",
                 static_cast<long long>(rows.size()), path.c_str());
  return 0;
}

/// derivatives and grad-check: the first batch of the training split.
int analyse(const kiln_model &model, int argc, char **argv, bool check) {
  std::set<std::string> valued = {"batch-size"};
  if (check)
    valued.insert({"samples", "step", "tolerance", "f32-tolerance", "jitter"});
  std::set<std::string> flags = {"help"};
  if (check)
    flags.insert("show-coordinates");
  Args a = parseArgs(argc, argv, withData(valued), flags);
  if (a.flags.count("help")) {
    std::printf(check ? kGradCheckHelp : kDerivativesHelp, argv[0], kDataHelp);
    return 0;
  }
  std::optional<Prepared> p = prepareData(model, a);
  ModelState state(model);
  Session session(state);
  std::vector<int64_t> rows;
  if (p) {
    session.checkData(p->data);
    rows = p->split.train;
    rows.resize(std::min<size_t>(rows.size(), toInt(a, "batch-size", 32, 1)));
  }
  uint64_t seed = static_cast<uint64_t>(toInt(a, "seed", 0, 0));
  state.initialize(seed);
  if (!check) {
    printDerivatives(session, p ? &p->data : nullptr, rows, stdout);
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
  opts.seed = seed;
  if (!(opts.step > 0) || !(opts.tolerance > 0) || !(opts.f32Tolerance > 0))
    throw Error("--step, --tolerance and --f32-tolerance must be positive");
  return gradCheck(session, p ? &p->data : nullptr, rows, opts, stdout) ? 0 : 1;
}

std::string shape(int32_t rank, const int64_t *dims) {
  return Tensor::format({dims, dims + rank});
}

int info(const kiln_model &m, int argc, char **argv) {
  parseArgs(argc, argv, {}, {});
  const char *inits[] = {"zeros",         "ones",       "constant",
                         "uniform",       "normal",     "xavier_uniform",
                         "xavier_normal", "he_uniform", "he_normal"};
  const char *dtypes[] = {"f32", "i32", "i1"};
  std::printf("model:     %s\ntarget:    %s\n", m.name, m.target);
  Device device = probeDevice(m.target);
  std::printf("device:    %s\n",
              device.problem.empty()
                  ? device.description.c_str()
                  : (device.api + ": none usable, " + device.problem).c_str());
  std::printf("optimizer: %s\n", m.optimizer);
  std::printf("lr:        %s\n",
              LrSchedule::fromModel(m.schedule).describe().c_str());
  std::printf("inputs:\n");
  for (int i = 0; i < m.num_inputs; ++i)
    std::printf("  %-12s %-12s %-4s %s\n", m.inputs[i].name,
                shape(m.inputs[i].rank, m.inputs[i].dims).c_str(),
                dtypes[m.inputs[i].dtype],
                m.inputs[i].label ? "label" : "features");
  int64_t total = 0;
  std::printf("parameters:\n");
  for (int i = 0; i < m.num_params; ++i) {
    const kiln_param &p = m.params[i];
    int64_t n = 1;
    for (int d = 0; d < p.rank; ++d)
      n *= p.dims[d];
    if (p.kind == KILN_PARAM)
      total += n;
    if (p.kind == KILN_STATE)
      continue;
    std::printf("  %-12s %-12s %-15s %8lld  %s\n", p.name,
                shape(p.rank, p.dims).c_str(),
                p.init >= 0 && p.init < 9 ? inits[p.init] : "?",
                static_cast<long long>(n), p.loc);
  }
  std::printf("  total %lld\n", static_cast<long long>(total));
  int64_t stateCount = 0;
  for (int i = 0; i < m.num_params; ++i)
    if (m.params[i].kind == KILN_STATE) {
      int64_t n = 1;
      for (int d = 0; d < m.params[i].rank; ++d)
        n *= m.params[i].dims[d];
      stateCount += n;
    }
  if (stateCount)
    std::printf("optimizer state: %lld values\n",
                static_cast<long long>(stateCount));
  std::printf("hyperparameters:\n");
  for (int i = 0; i < m.num_hypers; ++i)
    std::printf("  %-12s %g\n", m.hypers[i].name, m.hypers[i].default_value);
  if (m.dataset)
    std::printf("data:      %s (%lld samples, compiled in)\n", m.dataset->name,
                static_cast<long long>(m.dataset->rows));
  std::printf("functions (%d kernels; FLOPs per call at batch 128):\n",
              m.num_kernels);
  auto scaled = [](double v) {
    char buf[32];
    const char *units[] = {"", "k", "M", "G", "T"};
    int u = 0;
    while (v >= 1000 && u < 4) {
      v /= 1000;
      ++u;
    }
    std::snprintf(buf, sizeof buf, "%.3g %sFLOP", v, units[u]);
    return std::string(buf);
  };
  for (const kiln_function *f :
       {m.train_step, m.eval_step, m.predict, m.gradient, m.jvp, m.gradient_f64})
    if (f)
      std::printf("  %-12s %2d kernel calls, %3d tensors, %s (%s per sample)\n",
                  f->name, f->num_calls, f->num_tensors,
                  scaled(f->flops_fixed + 128 * f->flops_per_sample).c_str(),
                  scaled(f->flops_per_sample).c_str());
  return 0;
}

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
    // Commands that run kernels need the device the model was built for.
    if (cmd == "train" || cmd == "derivatives" || cmd == "grad-check" ||
        cmd == "eval" || cmd == "predict")
      requireDevice(model.target);
    if (cmd == "train")
      return train(model, argc, argv);
    if (cmd == "derivatives")
      return analyse(model, argc, argv, /*check=*/false);
    if (cmd == "grad-check")
      return analyse(model, argc, argv, /*check=*/true);
    if (cmd == "info")
      return info(model, argc, argv);
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
