//===- cli.cpp - the model binary's command line --------------------------===//
#include "cli.h"
#include "data.h"
#include "error.h"
#include "trainer.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>

namespace kiln::rt {
namespace {

const char *kTrainHelp = R"(usage: %s train (--dataset NAME | --data FILE) [options]

Trains the model and reports the loss (and validation metrics) per epoch.

data:
  --dataset NAME        iris, breast-cancer, diabetes or fashion-mnist, from
                        where Debian installs them (python3-sklearn,
                        dataset-fashion-mnist)
  --data-path PATH      where to find --dataset's files instead
  --data FILE           your own CSV/TSV (gzip'd or not); the last columns
                        are the targets
  --target-columns N    number of target columns in --data (default 1)
  --header yes|no|auto  whether --data starts with a header (default auto)
  --delimiter C         ',' ';' 'tab' or 'space' (default: detected)
  --normalize zscore|none
                        feature scaling fitted on the training split
                        (default zscore)
  --val-split F         fraction held out for validation (default 0.2)
  --write-split FILE    write the validation rows' indices, one per line

training:
  --epochs N            passes over the training split (default 10)
  --batch-size N        samples per step (default 32; the last batch of an
                        epoch may be smaller)
  --lr X                learning rate (default: the model's)
  --seed N              seeds initialisation, split and shuffling (default 0)
  --log-every N         print every N epochs (default: about 20 lines)
  --quiet               print only the final line
)";

const char *kUsage = R"(usage: %s <command> [options]

commands:
  train     train the model on a data set (%s train --help)
  info      describe the model: inputs, parameters, kernels
  help      this text
)";

struct Args {
  std::map<std::string, std::string> values;
  std::set<std::string> flags;
};

/// --key value / --key=value / --flag; only the names in `valued` and
/// `flagNames` are accepted.
Args parseArgs(int argc, char **argv, int first,
               const std::set<std::string> &valued,
               const std::set<std::string> &flagNames) {
  Args a;
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0)
      throw Error("unexpected argument '" + arg + "' (options start with --)");
    std::string key = arg.substr(2), value;
    bool inline_ = false;
    if (size_t eq = key.find('='); eq != std::string::npos) {
      value = key.substr(eq + 1);
      key = key.substr(0, eq);
      inline_ = true;
    }
    if (flagNames.count(key)) {
      if (inline_)
        throw Error("option --" + key + " takes no value");
      a.flags.insert(key);
      continue;
    }
    if (!valued.count(key))
      throw Error("unknown option --" + key + " (see --help)");
    if (!inline_) {
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

int train(const kiln_model &model, int argc, char **argv) {
  Args a = parseArgs(argc, argv, 2,
                     {"dataset", "data-path", "data", "target-columns",
                      "header", "delimiter", "normalize", "val-split",
                      "write-split", "epochs", "batch-size", "lr", "seed",
                      "log-every"},
                     {"quiet", "help"});
  if (a.flags.count("help")) {
    std::printf(kTrainHelp, argv[0]);
    return 0;
  }
  bool named = a.values.count("dataset"), file = a.values.count("data");
  if (named == file)
    throw Error("give exactly one of --dataset NAME or --data FILE");

  Dataset data;
  if (named) {
    if (a.values.count("target-columns") || a.values.count("header") ||
        a.values.count("delimiter"))
      throw Error("--target-columns, --header and --delimiter apply to "
                  "--data files, not --dataset");
    data = loadNamed(a.values["dataset"], a.values["data-path"]);
  } else {
    CsvOptions csv;
    csv.targets = static_cast<int>(toInt(a, "target-columns", 1, 0));
    if (a.values.count("header")) {
      const std::string &h = a.values["header"];
      if (h == "yes")
        csv.header = CsvOptions::Header::Yes;
      else if (h == "no")
        csv.header = CsvOptions::Header::No;
      else if (h != "auto")
        throw Error("--header must be yes, no or auto, got '" + h + "'");
    }
    if (a.values.count("delimiter")) {
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
    data = loadCsv(a.values["data"], csv);
  }

  ModelState state(model);
  Trainer trainer(state, stdout);
  trainer.checkData(data);

  uint64_t seed = static_cast<uint64_t>(toInt(a, "seed", 0, 0));
  double valSplit = toDouble(a, "val-split").value_or(0.2);
  Split split = splitRows(data.rows, valSplit, seed);
  std::string normalize =
      a.values.count("normalize") ? a.values["normalize"] : "zscore";
  if (normalize == "zscore") {
    Standardizer z;
    z.fit(data, split.train);
    z.apply(data);
  } else if (normalize != "none") {
    throw Error("--normalize must be zscore or none, got '" + normalize + "'");
  }
  if (a.values.count("write-split")) {
    const std::string &path = a.values["write-split"];
    FILE *f = std::fopen(path.c_str(), "w");
    if (!f)
      throw Error(path + ": cannot write: " + std::strerror(errno));
    for (int64_t r : split.validation)
      std::fprintf(f, "%lld\n", static_cast<long long>(r));
    if (std::fclose(f) != 0)
      throw Error(path + ": write failed");
  }

  state.initialize(seed);
  if (auto lr = toDouble(a, "lr")) {
    if (!(*lr > 0))
      throw Error("--lr must be positive");
    state.setHyper("lr", *lr);
  }
  TrainOptions opts;
  opts.epochs = toInt(a, "epochs", 10, 1);
  opts.batchSize = toInt(a, "batch-size", 32, 1);
  opts.logEvery = toInt(a, "log-every", 0, 0);
  opts.quiet = a.flags.count("quiet");
  if (!opts.quiet)
    std::printf("model %s: %lld parameters; %s: %lld training / %lld "
                "validation samples, %lld features\n",
                model.name, static_cast<long long>(state.parameterCount()),
                data.source.c_str(),
                static_cast<long long>(split.train.size()),
                static_cast<long long>(split.validation.size()),
                static_cast<long long>(data.features));
  trainer.fit(data, split, opts, seed);
  return 0;
}

std::string shape(int32_t rank, const int64_t *dims) {
  return Tensor::format({dims, dims + rank});
}

int info(const kiln_model &m, int argc, char **argv) {
  parseArgs(argc, argv, 2, {}, {});
  const char *inits[] = {"zeros",          "ones",          "constant",
                         "uniform",        "normal",        "xavier_uniform",
                         "xavier_normal",  "he_uniform",    "he_normal"};
  std::printf("model:     %s\ntarget:    %s\noptimizer: %s\n", m.name, m.target,
              m.optimizer);
  std::printf("inputs:\n");
  for (int i = 0; i < m.num_inputs; ++i)
    std::printf("  %-12s %-12s %s\n", m.inputs[i].name,
                shape(m.inputs[i].rank, m.inputs[i].dims).c_str(),
                m.inputs[i].label ? "label" : "features");
  int64_t total = 0;
  std::printf("parameters:\n");
  for (int i = 0; i < m.num_params; ++i) {
    const kiln_param &p = m.params[i];
    int64_t n = 1;
    for (int d = 0; d < p.rank; ++d)
      n *= p.dims[d];
    total += n;
    std::printf("  %-12s %-12s %-15s %8lld  %s\n", p.name,
                shape(p.rank, p.dims).c_str(),
                p.init >= 0 && p.init < 9 ? inits[p.init] : "?",
                static_cast<long long>(n), p.loc);
  }
  std::printf("  total %lld\n", static_cast<long long>(total));
  std::printf("hyperparameters:\n");
  for (int i = 0; i < m.num_hypers; ++i)
    std::printf("  %-12s %g\n", m.hypers[i].name, m.hypers[i].default_value);
  std::printf("functions (%d kernels):\n", m.num_kernels);
  for (const kiln_function *f : {m.train_step, m.eval_step, m.predict})
    if (f)
      std::printf("  %-12s %d kernel calls, %d tensors\n", f->name,
                  f->num_calls, f->num_tensors);
  return 0;
}

} // namespace

int runCli(const kiln_model &model, int argc, char **argv) {
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
    if (cmd == "train")
      return train(model, argc, argv);
    if (cmd == "info")
      return info(model, argc, argv);
    throw Error("unknown command '" + cmd + "' (try: " + argv[0] + " help)");
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
