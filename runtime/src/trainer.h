//===- trainer.h - the training loop and evaluation -------------*- C++ -*-===//
#ifndef KILN_RUNTIME_TRAINER_H
#define KILN_RUNTIME_TRAINER_H

#include "checkpoint.h"
#include "data.h"
#include "schedule.h"
#include "session.h"

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace kiln::rt {

/// How progress is shown: a live bar on a terminal, plain epoch lines
/// otherwise (auto), or forced either way.
enum class Progress { Auto, Bar, Lines };

struct TrainOptions {
  int64_t epochs = 10;
  int64_t batchSize = 32;
  int64_t logEvery = 0; // 0: about 20 lines per run
  bool quiet = false;
  bool profile = false; // time every kernel of train_step
  Progress progress = Progress::Auto;
  LrSchedule schedule;
  std::string checkpointDir;   // save after every epoch when set
  int64_t checkpointEvery = 0; // and every this many steps (0: epochs only)
  std::string metricsPath;     // CSV, one row per epoch
  std::string plotPath;        // SVG of the loss and accuracy curves
  /// Early stopping: stop when the validation loss has not improved for
  /// this many epochs (0: off).
  int64_t patience = 0;
};

/// Where a run starts: 0 epochs, or a checkpoint's position.
struct RunStart {
  int64_t epochs = 0;
  // A checkpoint taken inside epoch `epochs + 1`: its batches already
  // trained and their summed sample-weighted loss.
  int64_t batches = 0;
  double lossSum = 0;
  double bestLoss = 0;   // early stopping's best validation loss so far
  int64_t bestEpoch = 0; // 0: none yet
};

struct EvalResult {
  double loss = 0;
  // Over the outputs scored by a metric (accuracy: rows; binary_accuracy:
  // elements).
  int64_t correct = 0, counted = 0;
  std::optional<double> accuracy() const {
    if (!counted)
      return std::nullopt;
    return static_cast<double>(correct) / counted;
  }
};

/// Thrown when SIGINT or SIGTERM stopped training between two steps (after
/// saving a checkpoint when the run has one); main exits with 128 + signal.
struct Interrupted {
  int signal;
  std::string message;
};

/// Mini-batch training: train_step over shuffled batches, eval_step to score.
class Trainer {
public:
  Trainer(Session &session, FILE *log);

  /// One epoch (0-based `index`) of steps over `rows` in a shuffled order,
  /// from batch `first` on (`lossSum`: the loss of the batches before);
  /// returns the sample-weighted mean training loss.
  double epoch(const Dataset &data, std::vector<int64_t> rows, int64_t index,
               int64_t first = 0, double lossSum = 0);
  EvalResult evaluate(const Dataset &data, const std::vector<int64_t> &rows);
  /// Runs the epochs after `start` up to opts.epochs with per-epoch lines
  /// and a final summary line, checkpoints, metrics and plot. Without a
  /// validation split the metrics are those of the training rows.
  void fit(const Dataset &data, const Split &split, const TrainOptions &opts,
           uint64_t seed, RunStart start = {});

private:
  Session &session_;
  FILE *log_;
  Executor *train_, *eval_;
  std::vector<double> profile_;
  int trainLoss_ = -1;
  std::vector<std::pair<int, int>> updates_; // result index, param index
  /// Saves the run's checkpoint at `epochs` completed epochs and `batches`
  /// into the next (after checking the parameters are still finite).
  void checkpoint(const Dataset &data, int64_t epochs, int64_t batches,
                  double lossSum);
  /// Throws Interrupted for the stop signal, after `batch` of `epoch`.
  [[noreturn]] void stopNow(int64_t epoch, int64_t batch);
  // The run fit() is in.
  const TrainOptions *opts_ = nullptr;
  RunStart best_; // early stopping's memory (bestLoss, bestEpoch)
  uint64_t seed_ = 0;
  int64_t stepsPerEpoch_ = 0;
  double lr0_ = 0;
  bool bar_ = false;
};

} // namespace kiln::rt

#endif // KILN_RUNTIME_TRAINER_H
