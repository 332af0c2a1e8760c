//===- analysis.cpp - derivatives and gradient checks of a model ----------===//
#include "analysis.h"
#include "error.h"
#include "rng.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <string>

namespace kiln::rt {

namespace {

/// Feeds the batch and returns its size (1 for a model without inputs,
/// whose step functions have no batch dim to size).
int64_t prepareBatch(Session &session, const Dataset *data,
                     const std::vector<int64_t> &rows) {
  if (!data)
    return 1;
  if (rows.empty())
    throw Error("no samples to evaluate the derivatives on");
  session.feed(*data, rows.data(), rows.size());
  return rows.size();
}

const kiln_function &require(const kiln_function *fn, const kiln_model &m,
                             const char *what) {
  if (!fn)
    throw Error(std::string("model '") + m.name + "' was compiled without " +
                what);
  return *fn;
}

std::string preview(const Tensor &t) {
  char buf[64];
  std::string s;
  int64_t n = std::min<int64_t>(t.size(), 4);
  for (int64_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "%s%.6g", i ? ", " : "", t.data()[i]);
    s += buf;
  }
  return t.size() > n ? s + ", ..." : s;
}

double sum(const Tensor &t) {
  double s = 0;
  for (int64_t i = 0; i < t.size(); ++i)
    s += t.data()[i];
  return s;
}

double norm(const Tensor &t) {
  double s = 0;
  for (int64_t i = 0; i < t.size(); ++i)
    s += double(t.data()[i]) * t.data()[i];
  return std::sqrt(s);
}

/// Width of the parameter-name column: the longest name, at least 14.
int nameWidth(const kiln_model &m) {
  size_t w = 14;
  for (int p = 0; p < m.num_params; ++p)
    w = std::max(w, std::strlen(m.params[p].name));
  return static_cast<int>(w);
}

} // namespace

void printDerivatives(Session &session, const Dataset *data,
                      const std::vector<int64_t> &rows, FILE *out) {
  const kiln_model &m = session.state.desc;
  const kiln_function &grad = require(m.gradient, m, "a gradient function");
  int64_t n = prepareBatch(session, data, rows);
  Executor &g = session.executor(grad);
  g.run(n);
  double loss = g.result(Session::findResult(grad, KILN_BIND_LOSS)).data()[0];
  std::fprintf(out, "model %s: loss %.6g", m.name, loss);
  if (data)
    std::fprintf(out, " on %lld samples of %s", static_cast<long long>(n),
                 data->source.c_str());
  std::fprintf(out, "\nreverse mode (d loss / d parameter):\n");
  int w = nameWidth(m);
  std::vector<double> sums(m.num_params, NAN);
  for (int p = 0; p < m.num_params; ++p) {
    int r = Session::findResult(grad, KILN_BIND_GRADIENT, m.params[p].name);
    if (r < 0)
      continue;
    const Tensor &t = g.result(r);
    sums[p] = sum(t);
    if (t.size() == 1)
      std::fprintf(out, "  %-*s %.6g\n", w, m.params[p].name, t.data()[0]);
    else
      std::fprintf(out, "  %-*s %-10s norm %.6g  [%s]\n", w, m.params[p].name,
                   Tensor::format(t.dims()).c_str(), norm(t),
                   preview(t).c_str());
  }
  if (!m.jvp)
    return;
  Executor &j = session.executor(*m.jvp);
  j.run(n);
  std::fprintf(out, "forward mode (d loss along ones(parameter)):\n");
  for (int p = 0; p < m.num_params; ++p) {
    int r =
        Session::findResult(*m.jvp, KILN_BIND_LOSS_TANGENT, m.params[p].name);
    if (r < 0)
      continue;
    std::fprintf(out, "  %-*s %.6g  (sum of the reverse gradient: %.6g)\n", w,
                 m.params[p].name, j.result(r).data()[0], sums[p]);
  }
}

bool gradCheck(Session &session, const Dataset *data,
               const std::vector<int64_t> &rows, const GradCheckOptions &opts,
               FILE *out) {
  const kiln_model &m = session.state.desc;
  const kiln_function &gradFn = require(m.gradient, m, "a gradient function");
  int64_t n = prepareBatch(session, data, rows);
  Executor &grad = session.executor(gradFn);
  // The training loss, as the gradient function computes it: eval_step's
  // would leave out dropout and noise injection. (Each run recomputes the
  // gradient too; the central differences only read the loss.)
  int gradLoss = Session::findResult(gradFn, KILN_BIND_LOSS);
  auto lossAt = [&] {
    grad.run(n);
    return static_cast<double>(grad.result(gradLoss).data()[0]);
  };
  grad.run(n);

  std::fprintf(out,
               "grad-check of %s on %lld sample(s)%s%s: compiled gradient vs "
               "central differences of the compiled loss (float32, h = %g * "
               "max(1, |x|))\n",
               m.name, static_cast<long long>(n), data ? " of " : "",
               data ? data->source.c_str() : "", opts.step);
  int w = nameWidth(m);
  std::fprintf(out, "  %-*s %-10s %8s %12s %12s\n", w, "parameter", "shape",
               "checked", "max |grad|", "worst error");
  Rng rng(opts.seed, /*stream=*/3);
  double worstAll = 0;
  for (int p = 0; p < m.num_params; ++p) {
    int r = Session::findResult(gradFn, KILN_BIND_GRADIENT, m.params[p].name);
    if (r < 0)
      continue;
    // Copy: the gradient buffer is reused by later runs.
    const Tensor &gt = grad.result(r);
    std::vector<float> g(gt.data(), gt.data() + gt.size());
    Tensor &theta = session.state.params[p];
    std::vector<int64_t> coords(theta.size());
    std::iota(coords.begin(), coords.end(), 0);
    for (int64_t i = static_cast<int64_t>(coords.size()) - 1; i > 0; --i)
      std::swap(coords[i], coords[rng.below(i + 1)]);
    coords.resize(std::min<int64_t>(coords.size(), opts.samples));
    double worst = 0, maxGrad = 0;
    for (int64_t c : coords) {
      float saved = theta.data()[c];
      double h = opts.step * std::max(1.0, std::fabs(double(saved)));
      theta.data()[c] = static_cast<float>(saved + h);
      double up = lossAt();
      theta.data()[c] = static_cast<float>(saved - h);
      double down = lossAt();
      theta.data()[c] = saved;
      double fd = (up - down) / (2 * h);
      // The float32 losses carry round-off of a few ulps each; divided by
      // 2h it is noise in fd, not a gradient error: discount it.
      double roundoff =
          4 * 0x1p-24 * std::max(std::fabs(up), std::fabs(down)) / h;
      double err = std::max(std::fabs(fd - g[c]) - roundoff, 0.0) /
                   std::max({std::fabs(fd), std::fabs(double(g[c])), 1e-4});
      worst = std::max(worst, err);
      maxGrad = std::max(maxGrad, std::fabs(double(g[c])));
    }
    worstAll = std::max(worstAll, worst);
    std::fprintf(out, "  %-*s %-10s %8zu %12.4g %12.3e  %s\n", w,
                 m.params[p].name, Tensor::format(theta.dims()).c_str(),
                 coords.size(), maxGrad, worst,
                 worst <= opts.tolerance ? "ok" : "FAILED");
  }
  bool ok = worstAll <= opts.tolerance;
  std::fprintf(out, "worst relative error %.3e (tolerance %g): %s\n", worstAll,
               opts.tolerance, ok ? "ok" : "FAILED");
  return ok;
}

} // namespace kiln::rt
