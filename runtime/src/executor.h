//===- executor.h - run one step function of the table ----------*- C++ -*-===//
#ifndef KILN_RUNTIME_EXECUTOR_H
#define KILN_RUNTIME_EXECUTOR_H

#include "kiln/model_abi.h"
#include "tensor.h"

#include <memory>
#include <string>
#include <vector>

namespace kiln::rt {

/// Runs a kiln_function: the caller binds each argument to a tensor it owns,
/// `run` computes every call (intermediates are owned here and reused across
/// steps of the same batch size), then results are read back.
class Executor {
public:
  explicit Executor(const kiln_function &fn);

  const kiln_function &function() const { return fn_; }
  /// Index of the argument / result of this kind and name, or -1.
  int findArg(kiln_binding_kind kind, const std::string &name) const;
  int findResult(kiln_binding_kind kind, const std::string &name) const;

  void bindArg(int index, Tensor *tensor) { args_[index] = tensor; }
  /// Times every kernel call into `profile` (seconds per call index), and
  /// the copies of the arguments to the device at its end (one more entry),
  /// from the second run on.
  void setProfile(std::vector<double> *profile) {
    profile_ = profile;
    profiledRuns_ = 0;
  }
  /// Runs every kernel for a batch of `batch` samples. Checks the bound
  /// arguments' shapes first.
  void run(int64_t batch);
  Tensor &result(int index);

  /// Bytes of the arena holding the step's planned tensors.
  int64_t arenaBytes() const { return arenaBytes_; }

private:
  Tensor &slot(int tensorId);
  /// Runs calls [begin, end); a loop runs its body once per step.
  void runCalls(int begin, int end, std::vector<double> *profile);
  /// The loop at call `c` (kiln_loop: slices in, body, outputs and
  /// carries back).
  void runLoop(int c, std::vector<double> *profile);
  /// Sizes the owned tensors and the arena for `batch`.
  void prepare(int64_t batch);

  const kiln_function &fn_;
  std::vector<Tensor *> args_;   // per argument
  std::vector<int> argOfTensor_; // tensor id -> argument index or -1
  // Arguments a kernel reads before any writes them: copied to the device
  // (a GPU target) before the first kernel runs.
  std::vector<int> readArgs_;
  std::vector<Tensor> owned_; // per tensor id (unused for arguments)
  // The slots' bytes, 64-byte aligned. Plain storage, not a Tensor: it
  // may pass a tensor's 2^31 elements (CNNs at batch 4096).
  std::unique_ptr<uint8_t[], Tensor::Free> arenaStorage_;
  uint8_t *arena_ = nullptr; // 64-byte aligned, in arenaStorage_
  int64_t arenaBytes_ = 0, arenaCapacity_ = 0;
  std::vector<void *> argv_; // scratch for kernel calls
  std::vector<double> *profile_ = nullptr;
  int64_t profiledRuns_ = 0; // runs since setProfile
  int64_t preparedBatch_ = -1;
  int32_t batch32_ = 0;
};

} // namespace kiln::rt

#endif // KILN_RUNTIME_EXECUTOR_H
