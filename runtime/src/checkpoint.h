//===- checkpoint.h - training state saved and restored ---------*- C++ -*-===//
//
// A checkpoint is one file, DIR/checkpoint.kiln: the model's name, the
// training position (steps, completed epochs, batches into the next one and
// their summed loss, seed, batch size, early stopping's best epoch), the
// run's hyperparameters (lr as at the start; a resume restores those no flag
// sets anew), the feature normalisation, every parameter and optimizer-state
// tensor by name and shape, and a CRC-32 of all of it. The random state
// needs no bytes of its own: every draw is a function of (seed, stream), and
// the streams are the epoch (shuffling) and the parameter (initialisation),
// so (seed, epochs) restores it exactly.
//
// Writes are atomic: a temporary file in DIR, fsync'd, renamed over the old
// checkpoint, and the directory fsync'd, so a write killed at any point
// leaves the previous checkpoint whole. Loading checks the magic, the
// checksum, the format version, the model's name and every tensor's name and
// shape before it touches the state.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_CHECKPOINT_H
#define KILN_RUNTIME_CHECKPOINT_H

#include "session.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace kiln::rt {

struct TrainingPosition {
  int64_t steps = 0, epochs = 0;
  uint64_t seed = 0;
  int64_t batchSize = 0;
  /// Early stopping's memory: the best validation loss so far and its epoch.
  double bestLoss = 0;
  int64_t bestEpoch = 0;
  /// The map from raw features (as in the data file) to the model's input,
  /// normalisation included, so eval and predict see what training saw;
  /// empty: the identity.
  std::vector<float> scale, shift;
  /// The run's hyperparameters as set at its start (lr: the initial rate,
  /// before the schedule), so a resume without the same flags is still the
  /// same run; the step count is not among them (it is `steps`).
  std::vector<std::pair<std::string, double>> hypers;
  /// A checkpoint taken inside epoch `epochs + 1` (--checkpoint-every, an
  /// interrupt): the batches of it already trained and their summed
  /// sample-weighted loss; 0 at an epoch's end.
  int64_t batches = 0;
  double lossSum = 0;
};

/// The checkpoint file of a directory.
std::string checkpointPath(const std::string &dir);

/// Saves `state` (parameters, optimizer state, steps) and `pos` atomically
/// into `dir`, creating it if needed.
void saveCheckpoint(const std::string &dir, const ModelState &state,
                    const TrainingPosition &pos);

/// Restores `state` from `dir`'s checkpoint and returns its position. Throws
/// a clear error for a missing, corrupt or truncated file, another model's
/// checkpoint, or a tensor whose name or shape differs (named).
TrainingPosition loadCheckpoint(const std::string &dir, ModelState &state);

} // namespace kiln::rt

#endif // KILN_RUNTIME_CHECKPOINT_H
