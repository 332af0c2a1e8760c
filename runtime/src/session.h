//===- session.h - a model's state, fed with batches ------------*- C++ -*-===//
#ifndef KILN_RUNTIME_SESSION_H
#define KILN_RUNTIME_SESSION_H

#include "data.h"
#include "executor.h"
#include "kiln/model_abi.h"
#include "tensor.h"

#include <map>
#include <memory>
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
  bool hasHyper(const std::string &name) const;
  double hyper(const std::string &name) const;
  /// Trained parameters (optimizer state not counted).
  int64_t parameterCount() const;
  /// Index of the parameter called `name`, or -1.
  int findParam(const std::string &name) const;

  const kiln_model &desc;
  std::vector<Tensor> params; // parameters and optimizer state, table order
  std::vector<Tensor> hypers; // scalars
  int featureInput = -1, labelInput = -1;
  /// Training steps taken; the `step` hyperparameter (Adam's t) is the
  /// next one, 1-based.
  int64_t steps = 0;
};

/// fan_in, fan_out of a parameter shape: [in, out] for rank 2, [n] → n, n;
/// rank > 2 treats dims 2.. as a receptive field ([out, in, kh, kw]).
std::pair<double, double> fans(const std::vector<int64_t> &dims);

/// Runs the model's step functions on batches of a data set: one tensor per
/// input, filled from data rows, and one executor per function, bound once.
class Session {
public:
  explicit Session(ModelState &state);

  /// Checks the data fits the model's inputs (features and targets).
  void checkData(const Dataset &data) const;
  /// Checks the features only (predict needs no labels).
  void checkFeatures(const Dataset &data) const;
  /// Checks integer labels are class indices the model has.
  void checkClasses(const Dataset &data) const;
  /// Copies `n` rows of `data` into the input tensors (the labels too
  /// unless `labels` is false); `data` has passed checkData (or
  /// checkFeatures, without labels).
  /// `next`/`nextN`: the rows the following feed will gather, prefetched
  /// by each thread after its share of this batch (the kernels then run
  /// while they come in from memory).
  void feed(const Dataset &data, const int64_t *rows, int64_t n,
            bool labels = true, const int64_t *next = nullptr,
            int64_t nextN = 0);
  /// The executor of `fn`, its arguments bound to the state and the inputs.
  Executor &executor(const kiln_function &fn);
  /// The state or input tensor that argument `b` of `fn` binds to.
  Tensor &argTensor(const kiln_function &fn, const kiln_binding &b);
  /// Index of the result of `fn` with this kind (and name), or -1.
  static int findResult(const kiln_function &fn, kiln_binding_kind kind,
                        const char *name = nullptr);

  ModelState &state;
  Tensor x, y; // the feature and label batches

private:
  std::map<const kiln_function *, std::unique_ptr<Executor>> executors_;
};

} // namespace kiln::rt

#endif // KILN_RUNTIME_SESSION_H
