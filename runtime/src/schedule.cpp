//===- schedule.cpp - learning-rate schedules -----------------------------===//
#include "schedule.h"
#include "error.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <vector>

namespace kiln::rt {

namespace {
constexpr const char *kSpecs =
    "constant, step:FACTOR,EVERY_EPOCHS, exponential:RATE,STEPS, "
    "inverse_time:RATE,STEPS or cosine[:STEPS[,MIN_LR]]";

/// Indexed by kiln_schedule_kind.
constexpr const char *kNames[] = {"constant", "step", "exponential",
                                  "inverse_time", "cosine"};

void check(const LrSchedule &s) {
  auto bad = [&](const std::string &why) {
    throw Error("learning-rate schedule '" + s.describe() + "': " + why);
  };
  switch (s.kind) {
  case KILN_SCHEDULE_CONSTANT:
    return;
  case KILN_SCHEDULE_STEP:
    if (!(s.a > 0) || !(s.b > 0))
      bad("factor and every must be above 0");
    return;
  case KILN_SCHEDULE_EXPONENTIAL:
  case KILN_SCHEDULE_INVERSE_TIME:
    if (!(s.a >= 0) || !(s.b > 0))
      bad("rate must be at least 0 and steps above 0");
    return;
  case KILN_SCHEDULE_COSINE:
    if (!(s.a >= 0) || !(s.b >= 0))
      bad("steps and min_lr must be at least 0");
    return;
  }
}
} // namespace

const char *LrSchedule::name(kiln_schedule_kind kind) {
  return kind >= 0 && kind < static_cast<int>(std::size(kNames)) ? kNames[kind]
                                                                 : "unknown";
}

LrSchedule LrSchedule::fromModel(const kiln_schedule &s) {
  LrSchedule r;
  if (s.kind < 0 || s.kind >= static_cast<int>(std::size(kNames)))
    throw Error("the model's learning-rate schedule has unknown kind " +
                std::to_string(s.kind));
  r.kind = static_cast<kiln_schedule_kind>(s.kind);
  r.a = s.a;
  r.b = s.b;
  check(r);
  return r;
}

LrSchedule LrSchedule::parse(const std::string &spec) {
  LrSchedule s;
  size_t colon = spec.find(':');
  std::string kind = spec.substr(0, colon);
  const auto *known = std::find(std::begin(kNames), std::end(kNames), kind);
  if (known == std::end(kNames))
    throw Error("unknown learning-rate schedule '" + kind + "' (known: " +
                kSpecs + ")");
  s.kind = static_cast<kiln_schedule_kind>(known - std::begin(kNames));
  std::vector<double> args;
  if (colon != std::string::npos) {
    std::string rest = spec.substr(colon + 1);
    size_t at = 0;
    while (at <= rest.size()) {
      size_t comma = rest.find(',', at);
      std::string field = rest.substr(
          at, comma == std::string::npos ? std::string::npos : comma - at);
      char *end = nullptr;
      double v = std::strtod(field.c_str(), &end);
      if (field.empty() || *end)
        throw Error("--lr-schedule '" + spec + "': '" + field +
                    "' is not a number (expected " + kSpecs + ")");
      args.push_back(v);
      if (comma == std::string::npos)
        break;
      at = comma + 1;
    }
  }
  size_t want = s.kind == KILN_SCHEDULE_CONSTANT ? 0 : 2;
  bool optional = s.kind == KILN_SCHEDULE_COSINE;
  if (args.size() > want || (!optional && args.size() != want))
    throw Error("--lr-schedule '" + spec + "': expected " + kSpecs);
  if (args.size() > 0)
    s.a = args[0];
  if (args.size() > 1)
    s.b = args[1];
  check(s);
  return s;
}

double LrSchedule::at(double lr0, int64_t step, int64_t epoch,
                      int64_t totalSteps) const {
  double t = static_cast<double>(step);
  switch (kind) {
  case KILN_SCHEDULE_CONSTANT:
    return lr0;
  case KILN_SCHEDULE_STEP:
    return lr0 * std::pow(a, std::floor(epoch / b));
  case KILN_SCHEDULE_EXPONENTIAL:
    return lr0 * std::pow(a, t / b);
  case KILN_SCHEDULE_INVERSE_TIME:
    return lr0 / (1 + a * t / b);
  case KILN_SCHEDULE_COSINE: {
    double span =
        a > 0 ? a : static_cast<double>(std::max<int64_t>(totalSteps, 1));
    double progress = std::min(t, span) / span;
    return b + (lr0 - b) * 0.5 * (1 + std::cos(M_PI * progress));
  }
  }
  return lr0;
}

std::string LrSchedule::describe() const {
  if (kind == KILN_SCHEDULE_CONSTANT)
    return name(kind);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s:%g,%g", name(kind), a, b);
  return buf;
}

} // namespace kiln::rt
