//===- trainer.h - the training loop and evaluation -------------*- C++ -*-===//
#ifndef KILN_RUNTIME_TRAINER_H
#define KILN_RUNTIME_TRAINER_H

#include "data.h"
#include "session.h"

#include <cstdio>
#include <optional>
#include <vector>

namespace kiln::rt {

struct TrainOptions {
  int64_t epochs = 10;
  int64_t batchSize = 32;
  int64_t logEvery = 0; // 0: about 20 lines per run
  bool quiet = false;
  bool profile = false; // time every kernel of train_step
};

struct EvalResult {
  double loss = 0;
  int64_t correct = 0, counted = 0; // outputs with metric binary_accuracy
  std::optional<double> accuracy() const {
    if (!counted)
      return std::nullopt;
    return static_cast<double>(correct) / counted;
  }
};

/// Mini-batch training: train_step over shuffled batches, eval_step to score.
class Trainer {
public:
  Trainer(Session &session, FILE *log);

  /// One epoch of steps over `rows` in a shuffled order; returns the
  /// sample-weighted mean training loss.
  double epoch(const Dataset &data, std::vector<int64_t> rows, int64_t batch,
               uint64_t shuffleSeed);
  EvalResult evaluate(const Dataset &data, const std::vector<int64_t> &rows);
  /// Runs epochs with per-epoch lines and a final summary line. Without a
  /// validation split the metrics are those of the training rows.
  void fit(const Dataset &data, const Split &split, const TrainOptions &opts,
           uint64_t seed);

private:
  Session &session_;
  FILE *log_;
  Executor *train_, *eval_;
  std::vector<double> profile_;
  int trainLoss_ = -1;
  std::vector<std::pair<int, int>> updates_; // result index, param index
};

} // namespace kiln::rt

#endif // KILN_RUNTIME_TRAINER_H
