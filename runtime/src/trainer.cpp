//===- trainer.cpp - parameters, training loop and evaluation -------------===//
#include "trainer.h"
#include "error.h"
#include "rng.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

namespace kiln::rt {

//===----------------------------------------------------------------------===//
// ModelState
//===----------------------------------------------------------------------===//

ModelState::ModelState(const kiln_model &d) : desc(d) {
  if (desc.abi_version != KILN_ABI_VERSION)
    throw Error("model table has ABI version " +
                std::to_string(desc.abi_version) + ", runtime expects " +
                std::to_string(KILN_ABI_VERSION));
  for (int i = 0; i < desc.num_params; ++i)
    params.emplace_back(resolveDims(desc.params[i].rank, desc.params[i].dims, 1));
  for (int i = 0; i < desc.num_hypers; ++i) {
    hypers.emplace_back(std::vector<int64_t>{});
    hypers.back().data()[0] = static_cast<float>(desc.hypers[i].default_value);
  }
  for (int i = 0; i < desc.num_inputs; ++i) {
    int &slot = desc.inputs[i].label ? labelInput : featureInput;
    if (slot >= 0)
      throw Error(std::string("model '") + desc.name + "' has more than one " +
                  (desc.inputs[i].label ? "label" : "feature") +
                  " input; this runtime feeds one of each");
    slot = i;
  }
}

std::pair<double, double> fans(const std::vector<int64_t> &dims) {
  if (dims.empty())
    return {1, 1};
  if (dims.size() == 1)
    return {double(dims[0]), double(dims[0])};
  if (dims.size() == 2)
    return {double(dims[0]), double(dims[1])};
  double field = 1;
  for (size_t i = 2; i < dims.size(); ++i)
    field *= dims[i];
  return {dims[1] * field, dims[0] * field};
}

void ModelState::initialize(uint64_t seed) {
  for (int i = 0; i < desc.num_params; ++i) {
    const kiln_param &p = desc.params[i];
    Tensor &t = params[i];
    Rng rng(seed, /*stream=*/1000 + i);
    auto [fanIn, fanOut] = fans(t.dims());
    auto fill = [&](auto draw) {
      for (int64_t k = 0; k < t.size(); ++k)
        t.data()[k] = static_cast<float>(draw());
    };
    auto uniform = [&](double lo, double hi) {
      fill([&] { return lo + (hi - lo) * rng.uniform(); });
    };
    auto normal = [&](double mean, double sd) {
      fill([&] { return mean + sd * rng.normal(); });
    };
    switch (p.init) {
    case KILN_INIT_ZEROS: fill([] { return 0.0; }); break;
    case KILN_INIT_ONES: fill([] { return 1.0; }); break;
    case KILN_INIT_CONSTANT: fill([&] { return p.init_args[0]; }); break;
    case KILN_INIT_UNIFORM: uniform(p.init_args[0], p.init_args[1]); break;
    case KILN_INIT_NORMAL: normal(p.init_args[0], p.init_args[1]); break;
    case KILN_INIT_XAVIER_UNIFORM: {
      double a = std::sqrt(6.0 / (fanIn + fanOut));
      uniform(-a, a);
      break;
    }
    case KILN_INIT_XAVIER_NORMAL: normal(0, std::sqrt(2.0 / (fanIn + fanOut))); break;
    case KILN_INIT_HE_UNIFORM: {
      double a = std::sqrt(6.0 / fanIn);
      uniform(-a, a);
      break;
    }
    case KILN_INIT_HE_NORMAL: normal(0, std::sqrt(2.0 / fanIn)); break;
    default:
      throw Error(std::string("parameter '") + p.name +
                  "' has an unknown initializer " + std::to_string(p.init));
    }
  }
}

void ModelState::setHyper(const std::string &name, double value) {
  for (int i = 0; i < desc.num_hypers; ++i)
    if (name == desc.hypers[i].name) {
      hypers[i].data()[0] = static_cast<float>(value);
      return;
    }
  throw Error("model '" + std::string(desc.name) + "' has no hyperparameter '" +
              name + "'");
}

int64_t ModelState::parameterCount() const {
  int64_t n = 0;
  for (const Tensor &t : params)
    n += t.size();
  return n;
}

//===----------------------------------------------------------------------===//
// Trainer
//===----------------------------------------------------------------------===//

Trainer::Trainer(ModelState &state, FILE *log) : state_(state), log_(log) {
  const kiln_model &d = state.desc;
  if (!d.train_step || !d.eval_step)
    throw Error(std::string("model '") + d.name +
                "' was compiled without a train_step/eval_step (it has no "
                "loss or no parameters)");
  if (state.featureInput < 0)
    throw Error(std::string("model '") + d.name + "' has no feature input");
  train_ = std::make_unique<Executor>(*d.train_step);
  eval_ = std::make_unique<Executor>(*d.eval_step);
  bind(*train_);
  bind(*eval_);
  for (int r = 0; r < d.train_step->num_results; ++r) {
    const kiln_binding &b = d.train_step->results[r];
    if (b.kind == KILN_BIND_LOSS)
      trainLoss_ = r;
    if (b.kind != KILN_BIND_UPDATE)
      continue;
    for (int p = 0; p < d.num_params; ++p)
      if (!std::strcmp(d.params[p].name, b.name))
        updates_.emplace_back(r, p);
  }
}

void Trainer::bind(Executor &ex) {
  const kiln_model &d = state_.desc;
  const kiln_function &fn = ex.function();
  for (int i = 0; i < fn.num_args; ++i) {
    const kiln_binding &b = fn.args[i];
    Tensor *t = nullptr;
    auto find = [&](auto *items, int n, std::vector<Tensor> &store) {
      for (int k = 0; k < n; ++k)
        if (!std::strcmp(items[k].name, b.name))
          return &store[k];
      return static_cast<Tensor *>(nullptr);
    };
    if (b.kind == KILN_BIND_PARAM)
      t = find(d.params, d.num_params, state_.params);
    else if (b.kind == KILN_BIND_HYPER)
      t = find(d.hypers, d.num_hypers, state_.hypers);
    else if (b.kind == KILN_BIND_INPUT)
      t = &x_;
    else if (b.kind == KILN_BIND_LABEL)
      t = &y_;
    if (!t)
      throw Error(std::string(fn.name) + ": cannot bind argument '" + b.name +
                  "'");
    ex.bindArg(i, t);
  }
}

void Trainer::checkData(const Dataset &data) const {
  const kiln_model &d = state_.desc;
  const kiln_input &x = d.inputs[state_.featureInput];
  if (x.rank != 2 || x.dims[0] != KILN_BATCH_DIM)
    throw Error(std::string("feature input '") + x.name + "' has shape " +
                Tensor::format({x.dims, x.dims + x.rank}) +
                "; this runtime feeds [batch, features] tables");
  if (x.dims[1] != data.features)
    throw Error(std::string("model input '") + x.name + "' expects " +
                std::to_string(x.dims[1]) + " features per sample, but " +
                data.source + " has " + std::to_string(data.features));
  if (state_.labelInput >= 0) {
    const kiln_input &y = d.inputs[state_.labelInput];
    if (y.rank != 2 || y.dims[0] != KILN_BATCH_DIM ||
        y.dims[1] != data.targets)
      throw Error(std::string("model label '") + y.name + "' has shape " +
                  Tensor::format({y.dims, y.dims + y.rank}) + " but " +
                  data.source + " has " + std::to_string(data.targets) +
                  " target(s) per sample");
  }
}

void Trainer::gather(const Dataset &data, const int64_t *rows, int64_t n) {
  x_.reshape({n, data.features});
  y_.reshape({n, data.targets});
  for (int64_t i = 0; i < n; ++i) {
    std::memcpy(x_.data() + i * data.features, &data.x[rows[i] * data.features],
                data.features * sizeof(float));
    std::memcpy(y_.data() + i * data.targets, &data.y[rows[i] * data.targets],
                data.targets * sizeof(float));
  }
}

double Trainer::epoch(const Dataset &data, std::vector<int64_t> rows,
                      int64_t batch, uint64_t shuffleSeed) {
  Rng rng(shuffleSeed, /*stream=*/2);
  for (int64_t i = static_cast<int64_t>(rows.size()) - 1; i > 0; --i)
    std::swap(rows[i], rows[rng.below(i + 1)]);
  double total = 0;
  for (size_t start = 0; start < rows.size(); start += batch) {
    int64_t n = std::min<int64_t>(batch, rows.size() - start);
    gather(data, rows.data() + start, n);
    train_->run(n);
    double loss = trainLoss_ >= 0 ? train_->result(trainLoss_).data()[0] : 0;
    if (!std::isfinite(loss))
      throw Error("the training loss became " + std::to_string(loss) +
                  " (try a smaller --lr)");
    total += loss * n;
    for (auto [r, p] : updates_) {
      Tensor &updated = train_->result(r);
      if (&updated != &state_.params[p])
        std::swap(updated, state_.params[p]);
    }
  }
  return rows.empty() ? 0 : total / rows.size();
}

EvalResult Trainer::evaluate(const Dataset &data,
                             const std::vector<int64_t> &rows) {
  const kiln_function &fn = *state_.desc.eval_step;
  constexpr int64_t kChunk = 1024;
  EvalResult res;
  int64_t correct = 0, counted = 0;
  for (size_t start = 0; start < rows.size(); start += kChunk) {
    int64_t n = std::min<int64_t>(kChunk, rows.size() - start);
    gather(data, rows.data() + start, n);
    eval_->run(n);
    for (int r = 0; r < fn.num_results; ++r) {
      const kiln_binding &b = fn.results[r];
      Tensor &t = eval_->result(r);
      if (b.kind == KILN_BIND_LOSS)
        res.loss += t.data()[0] * n; // mean losses: weight by chunk size
      if (b.kind == KILN_BIND_OUTPUT &&
          !std::strcmp(b.metric, "binary_accuracy")) {
        for (int64_t k = 0; k < t.size(); ++k)
          correct += (t.data()[k] > 0.5f) == (y_.data()[k] > 0.5f);
        counted += t.size();
      }
    }
  }
  if (!rows.empty())
    res.loss /= rows.size();
  if (counted)
    res.accuracy = static_cast<double>(correct) / counted;
  return res;
}

void Trainer::fit(const Dataset &data, const Split &split,
                  const TrainOptions &opts, uint64_t seed) {
  int64_t every = opts.logEvery > 0 ? opts.logEvery
                                    : std::max<int64_t>(1, opts.epochs / 20);
  auto line = [&](const char *head, double loss, const EvalResult *val) {
    std::fprintf(log_, "%s  loss %.6g", head, loss);
    if (val) {
      std::fprintf(log_, "  val_loss %.6g", val->loss);
      if (val->accuracy)
        std::fprintf(log_, "  val_accuracy %.2f%%", 100 * *val->accuracy);
    }
  };
  double loss = 0;
  EvalResult val;
  bool haveVal = !split.validation.empty();
  auto started = std::chrono::steady_clock::now();
  for (int64_t e = 1; e <= opts.epochs; ++e) {
    auto t0 = std::chrono::steady_clock::now();
    loss = epoch(data, split.train, opts.batchSize, seed * 1000003 + e);
    double secs = std::chrono::duration<double>(
                      std::chrono::steady_clock::now() - t0)
                      .count();
    bool report = !opts.quiet && (e % every == 0 || e == 1 || e == opts.epochs);
    if (haveVal && (report || e == opts.epochs))
      val = evaluate(data, split.validation);
    if (report) {
      char head[64];
      std::snprintf(head, sizeof head, "epoch %*lld/%lld",
                    static_cast<int>(std::to_string(opts.epochs).size()),
                    static_cast<long long>(e),
                    static_cast<long long>(opts.epochs));
      line(head, loss, haveVal ? &val : nullptr);
      std::fprintf(log_, "  (%.0f samples/s)\n",
                   secs > 0 ? split.train.size() / secs : 0.0);
      std::fflush(log_);
    }
  }
  double total = std::chrono::duration<double>(
                     std::chrono::steady_clock::now() - started)
                     .count();
  line("final:", loss, haveVal ? &val : nullptr);
  std::fprintf(log_, "  (%lld epochs in %.3f s)\n",
               static_cast<long long>(opts.epochs), total);
  std::fflush(log_);
}

} // namespace kiln::rt
