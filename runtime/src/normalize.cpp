//===- normalize.cpp - per-feature normalisation --------------------------===//
#include "data.h"
#include "data_util.h"
#include "error.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <sys/stat.h>

namespace kiln::rt {

void Dataset::normalize(const std::vector<float> &sub,
                        const std::vector<float> &mul) {
  if (scale.empty()) {
    scale.assign(features, 1);
    shift.assign(features, 0);
  }
  // (raw·a + b - s)·m = raw·(a·m) + (b - s)·m
  for (int64_t c = 0; c < features; ++c) {
    scale[c] *= mul[c];
    shift[c] = (shift[c] - sub[c]) * mul[c];
  }
}

Normalizer Normalizer::parse(const std::string &spec) {
  Normalizer n;
  auto number = [&](const std::string &text) {
    char *end = nullptr;
    double v = std::strtod(text.c_str(), &end);
    if (text.empty() || *end || !std::isfinite(v))
      throw Error("--normalize '" + spec + "': '" + text + "' is not a number");
    return v;
  };
  if (spec == "zscore")
    return n;
  if (spec == "minmax" || spec.rfind("minmax:", 0) == 0) {
    n.kind = Kind::MinMax;
    if (spec.size() > 6) {
      std::string range = spec.substr(7);
      size_t comma = range.find(',');
      if (comma == std::string::npos)
        throw Error("--normalize '" + spec + "': expected minmax:LO,HI");
      n.low = number(range.substr(0, comma));
      n.high = number(range.substr(comma + 1));
      if (!(n.high > n.low))
        throw Error("--normalize '" + spec + "': HI must exceed LO");
    }
    return n;
  }
  for (bool last : {false, true}) {
    std::string prefix = last ? "zscore-channels-last:" : "zscore-channels:";
    if (spec.rfind(prefix, 0) != 0)
      continue;
    double c = number(spec.substr(prefix.size()));
    if (c < 1 || c != std::floor(c))
      throw Error("--normalize '" + spec +
                  "': channels must be a positive "
                  "integer");
    n.channels = static_cast<int64_t>(c);
    n.channelsLast = last;
    return n;
  }
  throw Error("--normalize must be zscore, minmax, minmax:LO,HI, "
              "zscore-channels:C, zscore-channels-last:C or none, got '" +
              spec + "'");
}

void Normalizer::fit(const Dataset &data, const std::vector<int64_t> &rows) {
  int64_t d = data.features;
  offset.assign(d, 0);
  factor.assign(d, 1);
  if (kind == Kind::MinMax) {
    std::vector<float> lo(d, INFINITY), hi(d, -INFINITY);
    for (int64_t r : rows)
      for (int64_t c = 0; c < d; ++c) {
        float v = data.feature(r, c);
        lo[c] = std::min(lo[c], v);
        hi[c] = std::max(hi[c], v);
      }
    // (v - lo)/(hi - lo)·(high - low) + low = (v - offset)·factor.
    double span = high - low;
    for (int64_t c = 0; c < d && !rows.empty(); ++c) {
      double f = hi[c] - lo[c] > 1e-12f ? span / (hi[c] - lo[c]) : 1.0;
      factor[c] = static_cast<float>(f);
      offset[c] = static_cast<float>(lo[c] - low / f);
    }
    return;
  }
  // Per feature, or pooled over each channel: a plane of consecutive
  // features (channels first), or every C-th feature (channels last).
  int64_t groups = channels > 0 ? channels : d;
  if (d % groups)
    throw Error(data.source + ": " + std::to_string(d) +
                " features do not split into " + std::to_string(groups) +
                " channels");
  int64_t per = d / groups;
  auto group = [&](int64_t c) { return channelsLast ? c % groups : c / per; };
  std::vector<double> sum(groups, 0), sq(groups, 0);
  for (int64_t r : rows)
    for (int64_t c = 0; c < d; ++c) {
      double v = data.feature(r, c);
      sum[group(c)] += v;
      sq[group(c)] += v * v;
    }
  double n = std::max<double>(rows.size() * per, 1);
  std::vector<float> mean(groups), inv(groups, 1);
  for (int64_t g = 0; g < groups; ++g) {
    double m = sum[g] / n;
    double var = std::max(sq[g] / n - m * m, 0.0);
    mean[g] = static_cast<float>(m);
    if (var > 1e-12)
      inv[g] = static_cast<float>(1.0 / std::sqrt(var));
  }
  for (int64_t c = 0; c < d; ++c) {
    offset[c] = mean[group(c)];
    factor[c] = inv[group(c)];
  }
}

} // namespace kiln::rt
