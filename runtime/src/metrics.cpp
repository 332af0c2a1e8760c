//===- metrics.cpp - progress bar, metrics CSV, loss/accuracy plot --------===//
#include "metrics.h"
#include "error.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <sys/stat.h>

namespace kiln::rt {

MetricsLog::MetricsLog(const std::string &path, bool validation, bool append)
    : path_(path) {
  if (path.empty())
    return;
  struct stat st;
  bool header = !(append && stat(path.c_str(), &st) == 0 && st.st_size > 0);
  f_ = std::fopen(path.c_str(), append ? "a" : "w");
  if (!f_)
    throw Error(path + ": cannot write the metrics: " + std::strerror(errno));
  if (header)
    std::fprintf(f_, "epoch,loss,%saccuracy,lr,samples_per_s,seconds\n",
                 validation ? "val_loss,val_" : "");
}

MetricsLog::~MetricsLog() {
  if (f_)
    std::fclose(f_);
}

void MetricsLog::write(const EpochRecord &r) {
  if (!f_)
    return;
  std::fprintf(f_, "%lld,%.9g,", static_cast<long long>(r.epoch), r.loss);
  if (r.valLoss)
    std::fprintf(f_, "%.9g,", *r.valLoss);
  if (r.accuracy)
    std::fprintf(f_, "%.6f", *r.accuracy);
  std::fprintf(f_, ",%.9g,%.0f,%.4f\n", r.lr, r.samplesPerSecond, r.seconds);
  if (std::fflush(f_) != 0)
    throw Error(path_ + ": write failed: " + std::strerror(errno));
}

void drawBar(FILE *out, int64_t epoch, int64_t epochs, size_t done,
             size_t total, double seconds, double loss) {
  constexpr int kWidth = 30;
  double frac = total ? static_cast<double>(done) / total : 1;
  int filled = static_cast<int>(frac * kWidth);
  char bar[kWidth + 1];
  for (int i = 0; i < kWidth; ++i)
    bar[i] = i < filled ? '=' : i == filled ? '>' : ' ';
  bar[kWidth] = 0;
  double rate = seconds > 0 ? done / seconds : 0;
  double left = rate > 0 ? (total - done) / rate : 0;
  std::fprintf(out,
               "\r\033[Kepoch %lld/%lld [%s] %3.0f%%  loss %.4g  %.0f "
               "samples/s  ETA %d:%02d",
               static_cast<long long>(epoch), static_cast<long long>(epochs),
               bar, 100 * frac, loss, rate, static_cast<int>(left) / 60,
               static_cast<int>(left) % 60);
  std::fflush(out);
}

namespace {

/// One panel: series of (epoch, value) in a box at (x0, y0).
struct Series {
  const char *name, *color;
  std::vector<std::pair<double, double>> points;
};

void panel(FILE *f, double x0, double y0, const char *title,
           const std::vector<Series> &series, int64_t lastEpoch) {
  constexpr double kW = 380, kH = 260, kPad = 45;
  double lo = INFINITY, hi = -INFINITY;
  for (const Series &s : series)
    for (auto [x, y] : s.points) {
      lo = std::min(lo, y);
      hi = std::max(hi, y);
    }
  if (!(hi > lo)) {
    lo = std::isfinite(lo) ? lo - 0.5 : 0;
    hi = lo + 1;
  }
  double span = hi - lo;
  lo -= 0.05 * span;
  hi += 0.05 * span;
  double firstEpoch = INFINITY;
  for (const Series &s : series)
    if (!s.points.empty())
      firstEpoch = std::min(firstEpoch, s.points.front().first);
  if (!std::isfinite(firstEpoch))
    firstEpoch = 1;
  double xspan = std::max<double>(lastEpoch - firstEpoch, 1);
  auto X = [&](double e) {
    return x0 + kPad + (e - firstEpoch) / xspan * (kW - kPad - 10);
  };
  auto Y = [&](double v) {
    return y0 + kH - kPad + 10 - (v - lo) / (hi - lo) * (kH - kPad - 10);
  };
  std::fprintf(f,
               "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' "
               "fill='none' stroke='#888'/>\n",
               x0 + kPad, y0 + 10, kW - kPad - 10, kH - kPad);
  std::fprintf(f,
               "<text x='%.1f' y='%.1f' font-size='14' "
               "text-anchor='middle'>%s</text>\n",
               x0 + kW / 2, y0 + 5, title);
  for (int i = 0; i <= 4; ++i) {
    double v = lo + (hi - lo) * i / 4;
    std::fprintf(f,
                 "<text x='%.1f' y='%.1f' font-size='10' "
                 "text-anchor='end'>%.3g</text>\n",
                 x0 + kPad - 4, Y(v) + 3, v);
  }
  std::fprintf(f,
               "<text x='%.1f' y='%.1f' font-size='10' "
               "text-anchor='middle'>epoch %g … %lld</text>\n",
               x0 + kW / 2, y0 + kH - 8, firstEpoch,
               static_cast<long long>(lastEpoch));
  double legendY = y0 + 25;
  for (const Series &s : series) {
    if (s.points.empty())
      continue;
    std::fprintf(f,
                 "<polyline fill='none' stroke='%s' stroke-width='2' "
                 "points='",
                 s.color);
    for (auto [x, y] : s.points)
      std::fprintf(f, "%.1f,%.1f ", X(x), Y(y));
    std::fprintf(f, "'/>\n");
    std::fprintf(f,
                 "<text x='%.1f' y='%.1f' font-size='11' fill='%s' "
                 "text-anchor='end'>%s</text>\n",
                 x0 + kW - 16, legendY, s.color, s.name);
    legendY += 14;
  }
}

} // namespace

namespace {

bool endsWith(const std::string &s, const char *suffix) {
  size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

/// The same two panels as a PNG, drawn by gnuplot (when installed): the
/// curves go to a data file beside the image, the script to gnuplot's
/// standard input.
void writePng(const std::string &path, const std::vector<EpochRecord> &h,
              bool validation) {
  checkPlotPath(path);
  std::string data = path + ".dat";
  FILE *f = std::fopen(data.c_str(), "w");
  if (!f)
    throw Error(data + ": cannot write: " + std::strerror(errno));
  for (const EpochRecord &r : h)
    std::fprintf(f, "%lld %.9g %.9g %.9g\n", static_cast<long long>(r.epoch),
                 r.loss, r.valLoss.value_or(NAN),
                 r.accuracy ? 100 * *r.accuracy : NAN);
  std::fclose(f);
  auto quoted = [](const std::string &p) {
    std::string q = "'";
    for (char c : p)
      q += c == '\'' ? std::string("''") : std::string(1, c);
    return q + "'";
  };
  std::string script =
      "set terminal pngcairo size 1000,360\nset output " + quoted(path) +
      "\nset multiplot layout 1,2\nset xlabel 'epoch'\nset title 'loss'\n"
      "plot " +
      quoted(data) + " using 1:2 with lines title 'training loss'" +
      (validation ? ", '' using 1:3 with lines title 'validation loss'" : "") +
      "\nset title 'accuracy (%)'\nplot " + quoted(data) +
      " using 1:4 with lines title '" +
      (validation ? "validation" : "training") +
      " accuracy'\n"
      "unset multiplot\n";
  FILE *g = popen("gnuplot 2>&1", "w");
  if (!g)
    throw Error(path + ": cannot run gnuplot: " + std::strerror(errno));
  std::fputs(script.c_str(), g);
  if (pclose(g) != 0)
    throw Error(path + ": gnuplot failed to draw the plot");
  std::remove(data.c_str());
}

} // namespace

void checkPlotPath(const std::string &path) {
  if (endsWith(path, ".png") &&
      std::system("command -v gnuplot >/dev/null 2>&1") != 0)
    throw Error(path + ": a PNG plot needs gnuplot (apt-get install "
                       "gnuplot-nox); --plot FILE.svg needs nothing");
}

void writePlot(const std::string &path, const std::vector<EpochRecord> &h,
               bool validation) {
  if (endsWith(path, ".png"))
    return writePng(path, h, validation);
  Series loss{"training loss", "#1f77b4", {}};
  Series val{"validation loss", "#ff7f0e", {}};
  Series acc{
      validation ? "validation accuracy" : "training accuracy", "#2ca02c", {}};
  for (const EpochRecord &r : h) {
    loss.points.push_back({double(r.epoch), r.loss});
    if (r.valLoss)
      val.points.push_back({double(r.epoch), *r.valLoss});
    if (r.accuracy)
      acc.points.push_back({double(r.epoch), 100 * *r.accuracy});
  }
  std::string tmp = path + ".tmp";
  FILE *f = std::fopen(tmp.c_str(), "w");
  if (!f)
    throw Error(path + ": cannot write the plot: " + std::strerror(errno));
  bool withAcc = !acc.points.empty();
  std::fprintf(f,
               "<svg xmlns='http://www.w3.org/2000/svg' width='%d' "
               "height='280' font-family='sans-serif'>\n"
               "<rect width='100%%' height='100%%' fill='white'/>\n",
               withAcc ? 780 : 400);
  int64_t last = h.empty() ? 1 : h.back().epoch;
  panel(f, 10, 10, "loss", {loss, val}, last);
  if (withAcc)
    panel(f, 400, 10, "accuracy (%)", {acc}, last);
  std::fprintf(f, "</svg>\n");
  bool failed = std::fclose(f) != 0;
  if (failed || std::rename(tmp.c_str(), path.c_str()) != 0)
    throw Error(path + ": write failed: " + std::strerror(errno));
}

} // namespace kiln::rt
