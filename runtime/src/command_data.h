//===- command_data.h - what the model binary's commands share --*- C++ -*-===//
//
// The data options (--dataset, --data, --threads, the split and the
// normalisation), a checkpoint to restore, the first batch. Data compiled
// into the model (kiln_model::dataset) is used when no other data is given.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_COMMAND_DATA_H
#define KILN_RUNTIME_COMMAND_DATA_H

#include "args.h"
#include "checkpoint.h"
#include "data.h"
#include "session.h"
#include "trainer.h"

#include "kiln/model_abi.h"

#include <optional>
#include <vector>

namespace kiln::rt {

/// A data set split and normalised for a model, from the data options.
struct Prepared {
  Dataset data;
  Split split;
  std::optional<Normalizer> normalizer; // fitted on the training split
};

/// Loads, splits and normalises the data the options name (nullopt for a
/// model without feature inputs and no data given). `fit`: fit the
/// normalisation on the training split (train); otherwise the caller
/// applies a checkpoint's (eval, predict). `targets`: the default of
/// --target-columns.
std::optional<Prepared> prepareData(const kiln_model &model, Args &a,
                                    bool fit = true, int64_t targets = 1);

/// Every row index of a data set of `n` rows.
std::vector<int64_t> allRows(int64_t n);

/// "HEAD  loss L  accuracy A% (c/n)", without a newline.
void printScore(const char *head, const EvalResult &r);

/// --test: the named data set's separate test split.
Dataset testSplit(Args &a);

/// Loads --checkpoint into `state` and puts its feature map on `data`.
TrainingPosition restore(Args &a, ModelState &state, Dataset *data);

/// derivatives and grad-check: the state at its initial parameters
/// (--seed), fed with the first batch (--batch-size) of the training split.
struct FirstBatch {
  std::optional<Prepared> prepared;
  std::vector<int64_t> rows;
  uint64_t seed = 0;
  const Dataset *data() const { return prepared ? &prepared->data : nullptr; }
};
FirstBatch firstBatch(const kiln_model &model, Args &a, ModelState &state,
                      Session &session);

} // namespace kiln::rt

#endif // KILN_RUNTIME_COMMAND_DATA_H
