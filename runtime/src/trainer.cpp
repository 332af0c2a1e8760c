//===- trainer.cpp - the training loop and evaluation ---------------------===//
#include "trainer.h"
#include "error.h"
#include "rng.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <string>

namespace kiln::rt {

Trainer::Trainer(Session &session, FILE *log) : session_(session), log_(log) {
  const kiln_model &d = session.state.desc;
  if (!d.train_step || !d.eval_step)
    throw Error(std::string("model '") + d.name +
                "' was compiled without a train_step/eval_step (it has no "
                "loss or no parameters)");
  train_ = &session.executor(*d.train_step);
  eval_ = &session.executor(*d.eval_step);
  trainLoss_ = Session::findResult(*d.train_step, KILN_BIND_LOSS);
  for (int r = 0; r < d.train_step->num_results; ++r) {
    const kiln_binding &b = d.train_step->results[r];
    if (b.kind == KILN_BIND_UPDATE)
      updates_.emplace_back(r, session.state.findParam(b.name));
  }
}

double Trainer::epoch(const Dataset &data, std::vector<int64_t> rows,
                      int64_t batch, uint64_t shuffleSeed) {
  Rng rng(shuffleSeed, /*stream=*/2);
  for (int64_t i = static_cast<int64_t>(rows.size()) - 1; i > 0; --i)
    std::swap(rows[i], rows[rng.below(i + 1)]);
  double total = 0;
  ModelState &state = session_.state;
  std::vector<Tensor> &params = state.params;
  bool counted = state.hasHyper("step");
  for (size_t start = 0; start < rows.size(); start += batch) {
    int64_t n = std::min<int64_t>(batch, rows.size() - start);
    session_.feed(data, rows.data() + start, n);
    if (counted)
      state.setHyper("step", static_cast<double>(state.steps + 1));
    train_->run(n);
    ++state.steps;
    double loss = trainLoss_ >= 0 ? train_->result(trainLoss_).data()[0] : 0;
    if (!std::isfinite(loss))
      throw Error("the training loss became " + std::to_string(loss) +
                  " (try a smaller --lr)");
    total += loss * n;
    // The new parameters become the state; their old storage becomes the
    // step's output buffer for the next step (no copy, no allocation).
    for (auto [r, p] : updates_) {
      Tensor &updated = train_->result(r);
      if (&updated != &params[p])
        std::swap(updated, params[p]);
    }
  }
  return rows.empty() ? 0 : total / rows.size();
}

EvalResult Trainer::evaluate(const Dataset &data,
                             const std::vector<int64_t> &rows) {
  const kiln_function &fn = *session_.state.desc.eval_step;
  constexpr int64_t kChunk = 1024;
  EvalResult res;
  for (size_t start = 0; start < rows.size(); start += kChunk) {
    int64_t n = std::min<int64_t>(kChunk, rows.size() - start);
    session_.feed(data, rows.data() + start, n);
    eval_->run(n);
    for (int r = 0; r < fn.num_results; ++r) {
      const kiln_binding &b = fn.results[r];
      Tensor &t = eval_->result(r);
      if (b.kind == KILN_BIND_LOSS)
        res.loss += t.data()[0] * n; // mean losses: weight by chunk size
      if (b.kind != KILN_BIND_OUTPUT)
        continue;
      if (!std::strcmp(b.metric, "binary_accuracy")) {
        for (int64_t k = 0; k < t.size(); ++k)
          res.correct += (t.get(k) > 0.5) == (session_.y.get(k) > 0.5);
        res.counted += t.size();
      } else if (!std::strcmp(b.metric, "accuracy")) {
        // Scores [rows, classes] against class labels [rows].
        int64_t classes = t.dims().back(), rowsHere = t.size() / classes;
        for (int64_t r = 0; r < rowsHere; ++r) {
          int64_t best = 0;
          for (int64_t c = 1; c < classes; ++c)
            if (t.get(r * classes + c) > t.get(r * classes + best))
              best = c;
          res.correct += best == static_cast<int64_t>(session_.y.get(r));
        }
        res.counted += rowsHere;
      }
    }
  }
  if (!rows.empty())
    res.loss /= rows.size();
  return res;
}

void Trainer::fit(const Dataset &data, const Split &split,
                  const TrainOptions &opts, uint64_t seed) {
  int64_t every = opts.logEvery > 0 ? opts.logEvery
                                    : std::max<int64_t>(1, opts.epochs / 20);
  bool haveVal = !split.validation.empty();
  const char *prefix = haveVal ? "val_" : "";
  const std::vector<int64_t> &scored = haveVal ? split.validation : split.train;
  auto line = [&](const char *head, double loss, const EvalResult &score,
                  bool withCounts) {
    std::fprintf(log_, "%s  loss %.6g", head, loss);
    if (haveVal)
      std::fprintf(log_, "  val_loss %.6g", score.loss);
    if (auto acc = score.accuracy()) {
      std::fprintf(log_, "  %saccuracy %.2f%%", prefix, 100 * *acc);
      if (withCounts)
        std::fprintf(log_, " (%lld/%lld)", static_cast<long long>(score.correct),
                     static_cast<long long>(score.counted));
    }
  };
  double loss = 0;
  EvalResult score;
  if (opts.profile)
    train_->setProfile(&profile_);
  auto started = std::chrono::steady_clock::now();
  for (int64_t e = 1; e <= opts.epochs; ++e) {
    auto t0 = std::chrono::steady_clock::now();
    loss = epoch(data, split.train, opts.batchSize, seed * 1000003 + e);
    double secs = std::chrono::duration<double>(
                      std::chrono::steady_clock::now() - t0)
                      .count();
    bool report = !opts.quiet && (e % every == 0 || e == 1 || e == opts.epochs);
    if (report || e == opts.epochs)
      score = evaluate(data, scored);
    if (report) {
      char head[64];
      std::snprintf(head, sizeof head, "epoch %*lld/%lld",
                    static_cast<int>(std::to_string(opts.epochs).size()),
                    static_cast<long long>(e),
                    static_cast<long long>(opts.epochs));
      line(head, loss, score, false);
      std::fprintf(log_, "  (%.0f samples/s)\n",
                   secs > 0 ? split.train.size() / secs : 0.0);
      std::fflush(log_);
    }
  }
  double total = std::chrono::duration<double>(
                     std::chrono::steady_clock::now() - started)
                     .count();
  line("final:", loss, score, true);
  std::fprintf(log_, "  (%lld epochs in %.3f s)\n",
               static_cast<long long>(opts.epochs), total);
  if (opts.profile && !profile_.empty()) {
    const kiln_function &fn = *session_.state.desc.train_step;
    std::vector<int> order(profile_.size());
    for (size_t i = 0; i < order.size(); ++i)
      order[i] = static_cast<int>(i);
    std::sort(order.begin(), order.end(),
              [&](int a, int b) { return profile_[a] > profile_[b]; });
    double sum = 0;
    for (double t : profile_)
      sum += t;
    std::fprintf(log_, "profile: train_step kernels, %.3f s in %d calls per "
                       "step; the heaviest:\n",
                 sum, fn.num_calls);
    for (size_t i = 0; i < std::min<size_t>(order.size(), 15); ++i) {
      const kiln_call &c = fn.calls[order[i]];
      std::fprintf(log_, "  %6.2f%%  %8.3f s  %-10s %-28s %s\n",
                   100 * profile_[order[i]] / sum, profile_[order[i]],
                   c.kernel, c.op, c.loc);
    }
  }
  std::fflush(log_);
}

} // namespace kiln::rt
