//===- analysis.cpp - derivatives and gradient checks of a model ----------===//
#include "analysis.h"
#include "error.h"
#include "rng.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
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

namespace {

/// The float64 twin of the gradient function, bound to float64 copies of
/// the state and the batch (integer labels are shared).
class Float64Gradient {
public:
  Float64Gradient(Session &session, const kiln_function &fn)
      : exec_(fn), fn_(fn) {
    copies_.reserve(fn.num_args);
    for (int i = 0; i < fn.num_args; ++i) {
      const kiln_binding &b = fn.args[i];
      Tensor &src = session.argTensor(fn, b);
      if (fn.tensors[b.tensor].dtype != KILN_F64) {
        exec_.bindArg(i, &src);
        continue;
      }
      if (src.dtype() != KILN_F32)
        throw Error(std::string(fn.name) + ": argument '" + b.name +
                    "' is not float32 in the model");
      Tensor &copy = copies_.emplace_back(src.dims(), KILN_F64);
      for (int64_t k = 0; k < src.size(); ++k)
        copy.f64()[k] = src.data()[k];
      if (b.kind == KILN_BIND_PARAM)
        params_[b.name] = &copy;
      exec_.bindArg(i, &copy);
    }
    loss_ = Session::findResult(fn, KILN_BIND_LOSS);
  }
  /// The float64 copy of parameter `name`, or null.
  Tensor *param(const char *name) {
    auto it = params_.find(name);
    return it == params_.end() ? nullptr : it->second;
  }
  double loss(int64_t batch) {
    exec_.run(batch);
    return exec_.result(loss_).f64()[0];
  }
  /// d(loss)/d(name) of the last run, or null.
  const Tensor *gradient(const char *name) {
    int r = Session::findResult(fn_, KILN_BIND_GRADIENT, name);
    return r < 0 ? nullptr : &exec_.result(r);
  }

private:
  Executor exec_;
  const kiln_function &fn_;
  std::vector<Tensor> copies_; // reserved: bound by address
  std::map<std::string, Tensor *> params_;
  int loss_ = -1;
};

/// Central differences of the float64 loss along one coordinate at h and
/// h/2, and how they judge the float64 gradient `g` there.
struct Probe {
  double h, fd, err, limit;
  bool kink;
};

template <typename LossAt>
Probe probeAt(LossAt &at, double loss0, double g, double scale,
              double lossNoise, const GradCheckOptions &opts, double h) {
  double up = at(h), down = at(-h), up2 = at(h / 2), down2 = at(-h / 2);
  double c1 = (up - down) / (2 * h), c2 = (up2 - down2) / h;
  // Smooth: c1 and c2 agree to O(h^2), and the second differences scale
  // with h. A kink within h breaks one or the other.
  double s1 = (up - 2 * loss0 + down) / h;
  double s2 = (up2 - 2 * loss0 + down2) / (h / 2);
  // The differences' round-off, from the loss's (lossNoise).
  double noise = 4 * lossNoise / h;
  double denom = std::max({std::fabs(c2), std::fabs(g), 1e-3 * scale});
  // A kink's threshold does not tighten below the default tolerance: a
  // strict --tolerance then judges truncation error, not calls it a kink.
  double allow = std::max(opts.tolerance, 1e-4) * denom + noise;
  Probe p;
  p.h = h;
  p.kink = std::fabs(c1 - c2) > allow || std::fabs(s1 - 2 * s2) > allow;
  p.fd = (4 * c2 - c1) / 3; // Richardson: O(h^4)
  // Judged against the tolerance plus the round-off bound, so that the
  // error printed is the measured one.
  p.err = denom > 0 ? std::fabs(p.fd - g) / denom : 0.0;
  p.limit = opts.tolerance + (denom > 0 ? noise / denom : 0.0);
  return p;
}

/// "[2,0,1]": the row-major coordinate of flat index `i`.
std::string coordinate(const std::vector<int64_t> &dims, int64_t i) {
  std::vector<int64_t> at(dims.size());
  for (int d = static_cast<int>(dims.size()) - 1; d >= 0; --d) {
    at[d] = i % dims[d];
    i /= dims[d];
  }
  std::string s = "[";
  for (size_t d = 0; d < at.size(); ++d)
    s += (d ? "," : "") + std::to_string(at[d]);
  return s + "]";
}

} // namespace

bool gradCheck(Session &session, const Dataset *data,
               const std::vector<int64_t> &rows, const GradCheckOptions &opts,
               FILE *out) {
  const kiln_model &m = session.state.desc;
  const kiln_function &gradFn = require(m.gradient, m, "a gradient function");
  const kiln_function &f64Fn =
      require(m.gradient_f64, m, "the float64 gradient function");
  int64_t n = prepareBatch(session, data, rows);
  // Off the initial parameters by a little: zero biases on zero inputs put
  // whole channels exactly on a ReLU's kink, where no difference can
  // judge a derivative (PyTorch's gradcheck runs at random points too).
  Rng jitter(opts.seed, /*stream=*/4);
  for (int p = 0; p < m.num_params && opts.jitter > 0; ++p)
    if (m.params[p].kind == KILN_PARAM)
      for (int64_t k = 0; k < session.state.params[p].size(); ++k)
        session.state.params[p].data()[k] +=
            static_cast<float>(opts.jitter * (2 * jitter.uniform() - 1));
  // The model's own (float32, possibly GPU) gradient, checked against the
  // float64 one over whole tensors.
  Executor &grad = session.executor(gradFn);
  grad.run(n);
  Float64Gradient ref(session, f64Fn);
  const double loss0 = ref.loss(n);
  // Copies of both gradients at θ: the differences' runs overwrite the
  // float64 one, and its buffers are reused.
  std::vector<std::vector<double>> g64s(m.num_params);
  for (int p = 0; p < m.num_params; ++p)
    if (const Tensor *t = ref.gradient(m.params[p].name))
      g64s[p].assign(t->f64(), t->f64() + t->size());

  std::fprintf(out,
               "grad-check of %s on %lld sample(s)%s%s at the initial "
               "parameters (seed %llu) + U(-%g, %g)\n"
               "  differences: float64 gradient vs central differences of "
               "the float64 loss, h = %g * max(1, |x|) and h/2, %lld "
               "coordinate(s) per parameter; tolerance %g\n"
               "  kinks: a coordinate whose differences at h and h/2 "
               "disagree (a ReLU, max or max-pool switch within h) is "
               "skipped, not judged\n"
               "  float32: the model's gradient (%s) vs the float64 one, "
               "|g32 - g64| / |g64| over the whole tensor; tolerance %g\n",
               m.name, static_cast<long long>(n), data ? " of " : "",
               data ? data->source.c_str() : "",
               static_cast<unsigned long long>(opts.seed), opts.jitter,
               opts.jitter, opts.step, static_cast<long long>(opts.samples),
               opts.tolerance, m.target, opts.f32Tolerance);
  int w = nameWidth(m);
  std::fprintf(out, "  %-*s %-10s %7s %5s %11s %11s %11s  %s\n", w, "parameter",
               "shape", "checked", "kinks", "max |grad|", "differences",
               "float32", "worst coordinate");
  Rng rng(opts.seed, /*stream=*/3);
  std::vector<std::string> failed;
  double worstAll = 0, worst32All = 0;
  for (int p = 0; p < m.num_params; ++p) {
    const char *name = m.params[p].name;
    int r = Session::findResult(gradFn, KILN_BIND_GRADIENT, name);
    Tensor *theta = ref.param(name);
    const std::vector<double> &g64 = g64s[p];
    if (r < 0 || !theta || g64.empty())
      continue;
    const Tensor &g32t = grad.result(r);
    std::vector<float> g32(g32t.data(), g32t.data() + g32t.size());
    double scale = 0, diff2 = 0, norm2 = 0;
    for (size_t k = 0; k < g64.size(); ++k) {
      scale = std::max(scale, std::fabs(g64[k]));
      diff2 += (g32[k] - g64[k]) * (g32[k] - g64[k]);
      norm2 += g64[k] * g64[k];
    }
    double err32 = norm2 > 0 ? std::sqrt(diff2 / norm2) : std::sqrt(diff2);

    std::vector<int64_t> coords(theta->size());
    std::iota(coords.begin(), coords.end(), 0);
    for (int64_t i = static_cast<int64_t>(coords.size()) - 1; i > 0; --i)
      std::swap(coords[i], coords[rng.below(i + 1)]);
    coords.resize(std::min<int64_t>(coords.size(), opts.samples));
    double worst = 0;
    int64_t worstAt = -1, kinks = 0;
    bool bad = false;
    for (int64_t c : coords) {
      double saved = theta->f64()[c];
      double g = g64[c];
      auto at = [&](double delta) {
        theta->f64()[c] = saved + delta;
        double l = ref.loss(n);
        theta->f64()[c] = saved;
        return l;
      };
      double h = opts.step * std::max(1.0, std::fabs(saved));
      // Round-off of the loss, once per coordinate: measured as its
      // departure from the tangent at h/1000 (curvature is nil there, and
      // a wrong g moves it by a thousandth of its error), at least 2 ulps.
      // A deep model's long sums (a ResNet's batch norms) carry far more
      // than a few ulps.
      double d = h / 1000;
      double lossNoise = std::max({2 * 0x1p-52 * std::fabs(loss0),
                                   std::fabs(at(d) - loss0 - g * d),
                                   std::fabs(at(-d) - loss0 + g * d)});
      Probe probe = probeAt(at, loss0, g, scale, lossNoise, opts, h);
      // A wrong gradient is wrong at every h; kinks near x (the differences'
      // fault) move with h: a miss is judged again at h/10.
      if (!probe.kink && probe.err > probe.limit) {
        Probe finer =
            probeAt(at, loss0, g, scale, lossNoise, opts, probe.h / 10);
        if (!finer.kink)
          probe = finer;
      }
      bool kink = probe.kink;
      double err = probe.err, limit = probe.limit;
      if (opts.verbose)
        std::fprintf(out,
                     "    %s%s x %.9g h %.3g: differences %.9g, float64 "
                     "%.9g, float32 %.9g: %s\n",
                     name, coordinate(theta->dims(), c).c_str(), saved, probe.h,
                     probe.fd, g, g32[c],
                     kink           ? "kink, skipped"
                     : err <= limit ? "ok"
                                    : "FAILED");
      if (kink) {
        ++kinks;
        continue;
      }
      if (worstAt < 0 || err > worst)
        worst = err, worstAt = c;
      bad |= err > limit;
    }
    // Mostly kinks: the differences cannot vouch for this gradient (a step
    // too large for the loss's curvature looks like kinks everywhere).
    int64_t judged = static_cast<int64_t>(coords.size()) - kinks;
    // (A ResNet's stem, 0.5M ReLU inputs moving with each weight, keeps
    // 7 of 16.)
    bool tooFew = 4 * judged < static_cast<int64_t>(coords.size());
    bool ok = !bad && !tooFew && err32 <= opts.f32Tolerance;
    if (!ok)
      failed.push_back(name);
    worstAll = std::max(worstAll, worst);
    worst32All = std::max(worst32All, err32);
    std::string where = worstAt < 0 ? "-" : coordinate(theta->dims(), worstAt);
    std::fprintf(
        out, "  %-*s %-10s %7zu %5lld %11.4g %11.3e %11.3e  %-14s %s\n", w,
        name, Tensor::format(theta->dims()).c_str(),
        coords.size() - static_cast<size_t>(kinks),
        static_cast<long long>(kinks), scale, worst, err32, where.c_str(),
        ok       ? "ok"
        : tooFew ? "FAILED (kinks at most coordinates: try another "
                   "--seed, --batch-size or a smaller --step)"
                 : "FAILED");
  }
  bool ok = failed.empty();
  std::fprintf(out,
               "worst relative error %.3e (differences), %.3e (float32): %s",
               worstAll, worst32All, ok ? "ok\n" : "FAILED:");
  for (size_t i = 0; i < failed.size(); ++i)
    std::fprintf(out, "%s %s", i ? "," : "", failed[i].c_str());
  if (!ok)
    std::fprintf(out, "\n");
  return ok;
}

} // namespace kiln::rt
