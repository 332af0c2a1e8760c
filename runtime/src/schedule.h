//===- schedule.h - learning-rate schedules --------------------*- C++ -*-===//
#ifndef KILN_RUNTIME_SCHEDULE_H
#define KILN_RUNTIME_SCHEDULE_H

#include "kiln/model_abi.h"

#include <cstdint>
#include <string>

namespace kiln::rt {

/// The learning rate as a function of the step: the model's schedule, or
/// `--lr-schedule`'s. Formulas in ../shared/CATALOG.md and model_abi.h.
struct LrSchedule {
  kiln_schedule_kind kind = KILN_SCHEDULE_CONSTANT;
  double a = 0, b = 0;

  /// "constant", "step", ... (the --lr-schedule spelling).
  static const char *name(kiln_schedule_kind kind);

  static LrSchedule fromModel(const kiln_schedule &s);
  /// "constant", "step:FACTOR,EVERY", "exponential:RATE,STEPS",
  /// "inverse_time:RATE,STEPS", "cosine[:STEPS[,MIN_LR]]".
  static LrSchedule parse(const std::string &spec);
  /// lr at 1-based `step` in 0-based `epoch` of a run of `totalSteps`.
  double at(double lr0, int64_t step, int64_t epoch, int64_t totalSteps) const;
  std::string describe() const;
};

} // namespace kiln::rt

#endif // KILN_RUNTIME_SCHEDULE_H
