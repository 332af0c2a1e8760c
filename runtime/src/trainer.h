//===- trainer.h - parameters, training loop and evaluation -----*- C++ -*-===//
#ifndef KILN_RUNTIME_TRAINER_H
#define KILN_RUNTIME_TRAINER_H

#include "data.h"
#include "executor.h"
#include "kiln/model_abi.h"
#include "tensor.h"

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kiln::rt {

/// The model's state: parameters (in table order) and hyperparameters.
class ModelState {
public:
  explicit ModelState(const kiln_model &desc);

  /// Initialises every parameter from its initializer, reproducibly: each
  /// parameter draws from its own stream of `seed`.
  void initialize(uint64_t seed);
  void setHyper(const std::string &name, double value);

  const kiln_model &desc;
  std::vector<Tensor> params;
  std::vector<Tensor> hypers; // scalars
  int featureInput = -1, labelInput = -1;
  int64_t parameterCount() const;
};

/// fan_in, fan_out of a parameter shape: [in, out] for rank 2, [n] → n, n;
/// rank > 2 treats dims 2.. as a receptive field ([out, in, kh, kw]).
std::pair<double, double> fans(const std::vector<int64_t> &dims);

struct TrainOptions {
  int64_t epochs = 10;
  int64_t batchSize = 32;
  int64_t logEvery = 0; // 0: about 20 lines per run
  bool quiet = false;
};

struct EvalResult {
  double loss = 0;
  std::optional<double> accuracy; // outputs with metric binary_accuracy
};

/// Feeds batches of `data` rows to the step functions.
class Trainer {
public:
  Trainer(ModelState &state, FILE *log);

  /// Checks the data fits the model's inputs (features and targets).
  void checkData(const Dataset &data) const;
  /// One epoch of mini-batch steps over `rows` in a shuffled order; returns
  /// the sample-weighted mean training loss.
  double epoch(const Dataset &data, std::vector<int64_t> rows, int64_t batch,
               uint64_t shuffleSeed);
  EvalResult evaluate(const Dataset &data, const std::vector<int64_t> &rows);
  /// Runs epochs with per-epoch lines and a final summary line.
  void fit(const Dataset &data, const Split &split, const TrainOptions &opts,
           uint64_t seed);

private:
  void gather(const Dataset &data, const int64_t *rows, int64_t n);
  void bind(Executor &ex);

  ModelState &state_;
  FILE *log_;
  std::unique_ptr<Executor> train_, eval_;
  int trainLoss_ = -1;
  std::vector<std::pair<int, int>> updates_; // result index, param index
  Tensor x_, y_;
};

} // namespace kiln::rt

#endif // KILN_RUNTIME_TRAINER_H
