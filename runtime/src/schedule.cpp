//===- schedule.cpp - learning-rate schedules -----------------------------===//
#include "schedule.h"
#include "error.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace kiln::rt {

namespace {
constexpr const char *kSpecs =
    "constant, step:FACTOR,EVERY_EPOCHS, exponential:RATE,STEPS, "
    "inverse_time:RATE,STEPS or cosine[:STEPS[,MIN_LR]]";

void check(const LrSchedule &s) {
  auto bad = [&](const std::string &why) {
    throw Error("learning-rate schedule '" + s.describe() + "': " + why);
  };
  if (s.kind == "constant")
    return;
  if (s.kind == "step") {
    if (!(s.a > 0) || !(s.b > 0))
      bad("factor and every must be above 0");
  } else if (s.kind == "exponential" || s.kind == "inverse_time") {
    if (!(s.a >= 0) || !(s.b > 0))
      bad("rate must be at least 0 and steps above 0");
  } else if (s.kind == "cosine") {
    if (!(s.a >= 0) || !(s.b >= 0))
      bad("steps and min_lr must be at least 0");
  } else {
    throw Error("unknown learning-rate schedule '" + s.kind +
                "' (known: " + kSpecs + ")");
  }
}
} // namespace

LrSchedule LrSchedule::fromModel(const kiln_schedule &s) {
  LrSchedule r;
  if (s.kind)
    r.kind = s.kind;
  r.a = s.a;
  r.b = s.b;
  check(r);
  return r;
}

LrSchedule LrSchedule::parse(const std::string &spec) {
  LrSchedule s;
  size_t colon = spec.find(':');
  s.kind = spec.substr(0, colon);
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
  if (s.kind != "constant" && s.kind != "step" && s.kind != "exponential" &&
      s.kind != "inverse_time" && s.kind != "cosine")
    check(s); // names the known ones
  size_t want = s.kind == "constant" ? 0 : 2;
  bool optional = s.kind == "cosine";
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
  if (kind == "step")
    return lr0 * std::pow(a, std::floor(epoch / b));
  if (kind == "exponential")
    return lr0 * std::pow(a, t / b);
  if (kind == "inverse_time")
    return lr0 / (1 + a * t / b);
  if (kind == "cosine") {
    double span =
        a > 0 ? a : static_cast<double>(std::max<int64_t>(totalSteps, 1));
    double progress = std::min(t, span) / span;
    return b + (lr0 - b) * 0.5 * (1 + std::cos(M_PI * progress));
  }
  return lr0;
}

std::string LrSchedule::describe() const {
  if (kind == "constant")
    return kind;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s:%g,%g", kind.c_str(), a, b);
  return buf;
}

} // namespace kiln::rt
