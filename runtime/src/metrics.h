//===- metrics.h - progress bar, metrics CSV, loss/accuracy plot -*- C++
//-*-===//
#ifndef KILN_RUNTIME_METRICS_H
#define KILN_RUNTIME_METRICS_H

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace kiln::rt {

/// One epoch's figures. `accuracy` is the validation split's when there is
/// one, the training split's otherwise.
struct EpochRecord {
  int64_t epoch;
  double loss;
  std::optional<double> valLoss, accuracy;
  double lr, samplesPerSecond, seconds;
};

/// The metrics CSV: a header, then one row per epoch, flushed as it goes.
/// A resumed run appends to the file it finds.
class MetricsLog {
public:
  MetricsLog(const std::string &path, bool validation, bool append);
  ~MetricsLog();
  void write(const EpochRecord &r);

private:
  FILE *f_ = nullptr;
  std::string path_;
};

/// Redraws the progress line of an epoch in place: done/total samples,
/// mean loss so far, samples/s and the time left.
void drawBar(FILE *out, int64_t epoch, int64_t epochs, size_t done,
             size_t total, double seconds, double loss);

/// Fails early (before training) when `path` cannot be drawn: a .png
/// without gnuplot.
void checkPlotPath(const std::string &path);

/// Two panels, loss (training, and validation when there is one) and
/// accuracy against the epoch: an SVG written here, or for a .png path a
/// PNG drawn by gnuplot when it is installed.
void writePlot(const std::string &path, const std::vector<EpochRecord> &h,
               bool validation);

} // namespace kiln::rt

#endif // KILN_RUNTIME_METRICS_H
