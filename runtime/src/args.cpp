//===- args.cpp - command-line options of a model binary ------------------===//
#include "args.h"
#include "error.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace kiln::rt {

const char *const kDataHelp =
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

namespace {
const std::set<std::string> kDataOptions = {
    "dataset",   "data-path", "data", "target-columns", "header", "delimiter",
    "normalize", "val-split", "seed", "threads",        "subset"};

} // namespace

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

std::set<std::string> withData(std::set<std::string> extra) {
  extra.insert(kDataOptions.begin(), kDataOptions.end());
  return extra;
}

} // namespace kiln::rt
