//===- command_data.cpp - what the model binary's commands share ----------===//
#include "command_data.h"
#include "error.h"
#include "thread_pool.h"

#include <cstdio>
#include <cstring>

namespace kiln::rt {

/// `fit`: fit the normalisation on the training split (train); otherwise
/// the caller applies a checkpoint's (eval, predict). `targets`: the
/// default of --target-columns.
std::optional<Prepared> prepareData(const kiln_model &model, Args &a, bool fit,
                                    int64_t targets) {
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

std::vector<int64_t> allRows(int64_t n) {
  std::vector<int64_t> rows(n);
  for (int64_t i = 0; i < n; ++i)
    rows[i] = i;
  return rows;
}

void printScore(const char *head, const EvalResult &r) {
  std::printf("%s  loss %.6g", head, r.loss);
  if (auto acc = r.accuracy())
    std::printf("  accuracy %.2f%% (%lld/%lld)", 100 * *acc,
                static_cast<long long>(r.correct),
                static_cast<long long>(r.counted));
}

Dataset testSplit(Args &a) {
  if (!a.has("dataset"))
    throw Error("--test takes a named data set's test split (--dataset)");
  return loadNamed(a.values["dataset"], a.values["data-path"], /*test=*/true);
}

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

FirstBatch firstBatch(const kiln_model &model, Args &a, ModelState &state,
                      Session &session) {
  FirstBatch b;
  b.prepared = prepareData(model, a);
  if (b.prepared) {
    session.checkData(b.prepared->data);
    b.rows = b.prepared->split.train;
    b.rows.resize(
        std::min<size_t>(b.rows.size(), toInt(a, "batch-size", 32, 1)));
  }
  b.seed = static_cast<uint64_t>(toInt(a, "seed", 0, 0));
  state.initialize(b.seed);
  return b;
}

} // namespace kiln::rt
