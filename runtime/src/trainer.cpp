//===- trainer.cpp - the training loop and evaluation ---------------------===//
//
// Shuffled mini-batches, the last partial batch kept; the shuffle of epoch e
// is a function of (seed, e), so a resumed run replays it. Before each step
// the `step` hyperparameter is set, and `lr` from the schedule
// (schedule.cpp). After it, the updates not written in place are swapped
// in: the old storage becomes the next step's output buffer, with no copy
// and no allocation. After each epoch: the metrics CSV row, the checkpoint
// (never written over with non-finite parameters), early stopping
// (patience on the validation loss); at the end the plot (metrics.cpp).
// Evaluation runs in chunks of 1024 rows, scoring binary accuracy or
// accuracy (argmax against an i32 class label); without a validation split
// it scores the training rows. SIGINT/SIGTERM (StopSignals) stop between two
// steps, after a mid-epoch checkpoint when the run has one; the binary
// exits with 128 + the signal (cli.cpp). --profile prints the heaviest
// train_step kernels with their ops and DSL lines, and on a GPU the steps'
// uploads.
//
//===----------------------------------------------------------------------===//
#include "trainer.h"
#include "device.h"
#include "error.h"
#include "metrics.h"
#include "rng.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <string>
#include <unistd.h>

namespace kiln::rt {

namespace {
/// The signal that asked training to stop (SIGINT, SIGTERM), or 0. The
/// loop looks at it between steps, so a stop never splits an update.
volatile std::sig_atomic_t gStopSignal = 0;
extern "C" void onStopSignal(int sig) { gStopSignal = sig; }

/// Catches SIGINT and SIGTERM while it lives. SA_RESETHAND: a second
/// Ctrl-C kills at once, should the step itself hang.
class StopSignals {
public:
  StopSignals() {
    gStopSignal = 0;
    struct sigaction sa = {};
    sa.sa_handler = onStopSignal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &oldInt_);
    sigaction(SIGTERM, &sa, &oldTerm_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &oldInt_, nullptr);
    sigaction(SIGTERM, &oldTerm_, nullptr);
  }

private:
  struct sigaction oldInt_, oldTerm_;
};
} // namespace

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
                      int64_t index, int64_t first, double lossSum) {
  const TrainOptions &opts = *opts_;
  int64_t batch = opts.batchSize;
  // The shuffle is a function of (seed, epoch): a resumed run replays it.
  Rng rng(seed_ * 1000003 + index + 1, /*stream=*/2);
  for (int64_t i = static_cast<int64_t>(rows.size()) - 1; i > 0; --i)
    std::swap(rows[i], rows[rng.below(i + 1)]);
  double total = lossSum;
  ModelState &state = session_.state;
  std::vector<Tensor> &params = state.params;
  bool counted = state.hasHyper("step"), scheduled = state.hasHyper("lr");
  int64_t totalSteps = stepsPerEpoch_ * opts.epochs;
  auto t0 = std::chrono::steady_clock::now();
  double lastDraw = 0;
  for (size_t start = first * batch; start < rows.size(); start += batch) {
    int64_t n = std::min<int64_t>(batch, rows.size() - start);
    size_t following = start + n;
    session_.feed(data, rows.data() + start, n, /*labels=*/true,
                  rows.data() + following,
                  std::min<int64_t>(batch, rows.size() - following));
    if (counted)
      state.setHyper("step", static_cast<double>(state.steps + 1));
    if (scheduled)
      state.setHyper(
          "lr", opts.schedule.at(lr0_, state.steps + 1, index, totalSteps));
    train_->run(n);
    ++state.steps;
    double loss = trainLoss_ >= 0 ? train_->result(trainLoss_).data()[0] : 0;
    if (!std::isfinite(loss))
      throw Error("the training loss became " + std::to_string(loss) +
                  " at step " + std::to_string(state.steps) + " (epoch " +
                  std::to_string(index + 1) + ", batch " +
                  std::to_string(start / batch + 1) + "; try a smaller --lr)" +
                  (opts.checkpointDir.empty()
                       ? std::string()
                       : "; " + checkpointPath(opts.checkpointDir) +
                             " keeps the last good state"));
    total += loss * n;
    // The new parameters become the state; their old storage becomes the
    // step's output buffer for the next step (no copy, no allocation).
    for (auto [r, p] : updates_) {
      Tensor &updated = train_->result(r);
      if (&updated != &params[p])
        std::swap(updated, params[p]);
    }
    // A stop at an epoch's last batch waits for the epoch's own bookkeeping
    // and checkpoint (fit).
    int64_t batchesDone = start / batch + 1;
    bool last = start + n >= rows.size();
    if (gStopSignal && !last) {
      if (!opts.checkpointDir.empty())
        checkpoint(data, index, batchesDone, total);
      stopNow(index + 1, batchesDone);
    }
    if (opts.checkpointEvery > 0 && !last && !opts.checkpointDir.empty() &&
        state.steps % opts.checkpointEvery == 0)
      checkpoint(data, index, batchesDone, total);
    if (bar_) {
      double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
              .count();
      size_t done = start + n;
      if (secs - lastDraw >= 0.1 || done == rows.size()) {
        lastDraw = secs;
        drawBar(log_, index + 1, opts.epochs, done, rows.size(), secs,
                total / done);
      }
    }
  }
  return rows.empty() ? 0 : total / rows.size();
}

void Trainer::checkpoint(const Dataset &data, int64_t epochs, int64_t batches,
                         double lossSum) {
  ModelState &state = session_.state;
  // The last good state stays on disk: parameters gone to NaN/Inf are not
  // saved over it.
  for (int p = 0; p < state.desc.num_params; ++p) {
    const Tensor &t = state.params[p];
    for (int64_t i = 0; i < t.size(); ++i)
      if (!std::isfinite(t.data()[i]))
        throw Error(std::string("'") + state.desc.params[p].name + "' holds " +
                    std::to_string(t.data()[i]) + " after step " +
                    std::to_string(state.steps) + " (try a smaller --lr); " +
                    checkpointPath(opts_->checkpointDir) +
                    " keeps the last good state");
  }
  TrainingPosition pos{state.steps,      epochs,         seed_,
                       opts_->batchSize, best_.bestLoss, best_.bestEpoch,
                       data.scale,       data.shift};
  pos.batches = batches;
  pos.lossSum = lossSum;
  for (int i = 0; i < state.desc.num_hypers; ++i) {
    std::string name = state.desc.hypers[i].name;
    if (name != "step")
      pos.hypers.emplace_back(name, name == "lr" ? lr0_ : state.hyper(name));
  }
  saveCheckpoint(opts_->checkpointDir, state, pos);
}

void Trainer::stopNow(int64_t epoch, int64_t batch) {
  if (bar_)
    std::fprintf(log_, "\r\033[K");
  int sig = gStopSignal;
  std::string what =
      std::string(sig == SIGINT ? "SIGINT" : "SIGTERM") +
      ": stopped after step " + std::to_string(session_.state.steps) +
      " (epoch " + std::to_string(epoch) + ", batch " + std::to_string(batch) +
      "/" + std::to_string(stepsPerEpoch_) + "); ";
  if (opts_->checkpointDir.empty())
    what += "nothing saved (train with --checkpoint DIR to keep the state)";
  else
    what += "saved " + checkpointPath(opts_->checkpointDir) +
            " (continue with --resume)";
  throw Interrupted{sig, what};
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
      if (b.metric == KILN_METRIC_BINARY_ACCURACY) {
        for (int64_t k = 0; k < t.size(); ++k)
          res.correct += (t.get(k) > 0.5) == (session_.y.get(k) > 0.5);
        res.counted += t.size();
      } else if (b.metric == KILN_METRIC_ACCURACY) {
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
                  const TrainOptions &opts, uint64_t seed, RunStart start) {
  opts_ = &opts;
  seed_ = seed;
  stepsPerEpoch_ =
      (static_cast<int64_t>(split.train.size()) + opts.batchSize - 1) /
      opts.batchSize;
  ModelState &state = session_.state;
  lr0_ = state.hasHyper("lr") ? state.hyper("lr") : 0;
  bar_ = !opts.quiet &&
         (opts.progress == Progress::Bar ||
          (opts.progress == Progress::Auto && isatty(fileno(log_))));
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
        std::fprintf(log_, " (%lld/%lld)",
                     static_cast<long long>(score.correct),
                     static_cast<long long>(score.counted));
    }
  };
  best_ = start;
  StopSignals signals;
  MetricsLog metrics(opts.metricsPath, haveVal,
                     /*append=*/start.epochs > 0 || start.batches > 0);
  const int64_t startEpochs = start.epochs;
  int64_t trained = opts.epochs - startEpochs;
  std::vector<EpochRecord> history;
  double loss = 0;
  EvalResult score;
  if (opts.profile)
    train_->setProfile(&profile_);
  auto started = std::chrono::steady_clock::now();
  // A resumed run that had already stopped early trains no further.
  bool stopped = opts.patience > 0 && best_.bestEpoch > 0 &&
                 startEpochs - best_.bestEpoch >= opts.patience;
  for (int64_t e = start.epochs + 1; e <= opts.epochs && !stopped; ++e) {
    auto t0 = std::chrono::steady_clock::now();
    bool resumed = e == startEpochs + 1;
    loss = epoch(data, split.train, e - 1, resumed ? start.batches : 0,
                 resumed ? start.lossSum : 0);
    double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count();
    double rate = secs > 0 ? split.train.size() / secs : 0.0;
    bool report = !opts.quiet && (e % every == 0 || e == 1 || e == opts.epochs);
    bool recorded = !opts.metricsPath.empty() || !opts.plotPath.empty() ||
                    opts.patience > 0;
    if (report || recorded || e == opts.epochs)
      score = evaluate(data, scored);
    double lr = state.hasHyper("lr") ? state.hyper("lr") : 0;
    EpochRecord rec{e,
                    loss,
                    haveVal ? std::optional(score.loss) : std::nullopt,
                    score.accuracy(),
                    lr,
                    rate,
                    secs};
    history.push_back(rec);
    metrics.write(rec);
    if (bar_)
      std::fprintf(log_, "\r\033[K");
    if (report) {
      char head[64];
      std::snprintf(head, sizeof head, "epoch %*lld/%lld",
                    static_cast<int>(std::to_string(opts.epochs).size()),
                    static_cast<long long>(e),
                    static_cast<long long>(opts.epochs));
      line(head, loss, score, false);
      std::fprintf(log_, "  (%.0f samples/s)\n", rate);
      std::fflush(log_);
    }
    bool stop = false;
    if (opts.patience > 0) {
      if (best_.bestEpoch == 0 || score.loss < best_.bestLoss) {
        best_.bestLoss = score.loss;
        best_.bestEpoch = e;
      } else if (e - best_.bestEpoch >= opts.patience) {
        stop = true;
      }
    }
    if (!opts.checkpointDir.empty())
      checkpoint(data, e, 0, 0);
    if (gStopSignal && !stop && e < opts.epochs)
      stopNow(e, stepsPerEpoch_);
    if (stop) {
      std::fprintf(log_,
                   "early stopping after epoch %lld: val_loss has not "
                   "improved for %lld epochs (best %.6g at epoch %lld)\n",
                   static_cast<long long>(e),
                   static_cast<long long>(opts.patience), best_.bestLoss,
                   static_cast<long long>(best_.bestEpoch));
      trained = e - startEpochs;
      break;
    }
  }
  double total =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
          .count();
  if (stopped) {
    score = evaluate(data, scored);
    trained = 0;
    std::fprintf(log_,
                 "the checkpoint's run stopped early after epoch %lld (best "
                 "val_loss at epoch %lld); nothing to train\n",
                 static_cast<long long>(startEpochs),
                 static_cast<long long>(best_.bestEpoch));
  } else if (startEpochs >= opts.epochs) {
    score = evaluate(data, scored);
    trained = 0;
    std::fprintf(log_,
                 "the checkpoint has %lld epochs already; nothing to "
                 "train (raise --epochs)\n",
                 static_cast<long long>(startEpochs));
  }
  line("final:", loss, score, true);
  std::fprintf(log_, "  (%lld epochs in %.3f s)\n",
               static_cast<long long>(std::max<int64_t>(trained, 0)), total);
  if (!opts.plotPath.empty())
    writePlot(opts.plotPath, history, haveVal);
  if (opts.profile && !profile_.empty()) {
    const kiln_function &fn = *session_.state.desc.train_step;
    // The kernels' entries, then the step's uploads (Executor::run).
    std::vector<int> order(fn.num_calls);
    for (size_t i = 0; i < order.size(); ++i)
      order[i] = static_cast<int>(i);
    std::sort(order.begin(), order.end(),
              [&](int a, int b) { return profile_[a] > profile_[b]; });
    double sum = 0;
    for (int i : order)
      sum += profile_[i];
    std::fprintf(log_,
                 "profile: train_step kernels, %.3f s in %d calls per "
                 "step; the heaviest:\n",
                 sum, fn.num_calls);
    for (size_t i = 0; i < std::min<size_t>(order.size(), 15); ++i) {
      const kiln_call &c = fn.calls[order[i]];
      std::fprintf(log_, "  %6.2f%%  %8.3f s  %-10s %-28s %s\n",
                   100 * profile_[order[i]] / sum, profile_[order[i]], c.kernel,
                   c.op, c.loc);
    }
    if (onDevice() && profile_.size() > order.size())
      std::fprintf(log_,
                   "profile: copying the steps' inputs to the device, %.3f "
                   "s\n",
                   profile_.back());
  }
  std::fflush(log_);
}

} // namespace kiln::rt
