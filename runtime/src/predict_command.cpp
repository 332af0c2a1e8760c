//===- predict_command.cpp - ./model predict ------------------------------===//
#include "command_data.h"
#include "commands.h"
#include "error.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

namespace kiln::rt {

namespace {
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

} // namespace

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

} // namespace kiln::rt
