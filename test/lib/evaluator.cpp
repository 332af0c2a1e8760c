//===- evaluator.cpp - reference evaluator for the nn dialect -------------===//
#include "test/lib/evaluator.h"
#include "dialects/nn/dropout_mask.h"
#include "dialects/nn/nn_dialect.h"
#include "dialects/nn/shape.h"

#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

using namespace mlir;
using namespace kiln::nn;

namespace kiln::ref {

Tensor::Tensor(std::vector<int64_t> s, DType d)
    : dtype(d), shape(std::move(s)) {
  int64_t n = 1;
  for (int64_t x : shape)
    n *= x;
  data.assign(n, 0.0);
}

std::string Tensor::describe() const {
  std::string s;
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  return s + (dtype == DType::F32 ? "f32" : dtype == DType::I32 ? "i32" : "i1");
}

DType dtypeOf(Type t) {
  Type e = cast<RankedTensorType>(t).getElementType();
  return e.isF32() ? DType::F32 : e.isInteger(32) ? DType::I32 : DType::Bool;
}

namespace {

using Shape = std::vector<int64_t>;
using Index = std::vector<int64_t>;

int64_t numel(const Shape &s) {
  int64_t n = 1;
  for (int64_t d : s)
    n *= d;
  return n;
}

int64_t ravel(const Index &idx, const Shape &s) {
  int64_t flat = 0;
  for (size_t d = 0; d < s.size(); ++d)
    flat = flat * s[d] + idx[d];
  return flat;
}

Index unravel(int64_t flat, const Shape &s) {
  Index idx(s.size());
  for (int d = static_cast<int>(s.size()) - 1; d >= 0; --d) {
    idx[d] = flat % s[d];
    flat /= s[d];
  }
  return idx;
}

/// Calls f(index) for every index of `s` in row-major order.
void forEach(const Shape &s, const std::function<void(const Index &)> &f) {
  int64_t n = numel(s);
  for (int64_t i = 0; i < n; ++i)
    f(unravel(i, s));
}

double at(const Tensor &t, const Index &idx) {
  return t.data[ravel(idx, t.shape)];
}

/// The element of `t` that broadcasts to result element `idx`.
double bcast(const Tensor &t, const Shape &result, const Index &idx) {
  size_t off = result.size() - t.shape.size();
  Index src(t.shape.size());
  for (size_t i = 0; i < t.shape.size(); ++i)
    src[i] = t.shape[i] == 1 ? 0 : idx[i + off];
  return at(t, src);
}

/// Round to the element type a kernel would store.
double store(double v, DType d) {
  switch (d) {
  case DType::F32:
    return v;
  case DType::I32:
    return std::trunc(v);
  case DType::Bool:
    return v != 0 ? 1.0 : 0.0;
  }
  return v;
}

/// Calls f(h, w, a, b) for the taps (a, b) of output (i, j)'s window that
/// lie inside an H×W input (the padding skipped).
template <typename F>
void forEachTap(const Window &g, int64_t i, int64_t j, int64_t H, int64_t W,
                F f) {
  for (int64_t a = 0; a < g.kh; ++a)
    for (int64_t b = 0; b < g.kw; ++b) {
      int64_t h = i * g.sh + a * g.dh - g.top, w = j * g.sw + b * g.dw - g.left;
      if (h >= 0 && h < H && w >= 0 && w < W)
        f(h, w, a, b);
    }
}

/// Σ over every (output, window tap, input channel of the group) of a
/// convolution: f(x index, w index, y index), all flat row-major.
template <typename F>
void convSum(const Window &g, int64_t groups, const Shape &x, const Shape &w,
             const Shape &y, F f) {
  int64_t N = y[0], OH = y[1], OW = y[2], F_ = y[3], C = x[3];
  int64_t cg = w[2], fg = F_ / groups;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t i = 0; i < OH; ++i)
      for (int64_t j = 0; j < OW; ++j)
        for (int64_t fo = 0; fo < F_; ++fo) {
          int64_t group = fo / fg;
          int64_t yi = ((n * OH + i) * OW + j) * F_ + fo;
          forEachTap(g, i, j, x[1], x[2],
                     [&](int64_t h, int64_t ww, int64_t a, int64_t b) {
                       for (int64_t c = 0; c < cg; ++c)
                         f(((n * x[1] + h) * x[2] + ww) * C + group * cg + c,
                           ((a * w[1] + b) * cg + c) * F_ + fo, yi);
                     });
        }
}

/// The first maximum (row-major in the window) of each pooling window:
/// f(x index, y index).
template <typename F>
void maxPoolPick(const Window &g, const Tensor &x, const Shape &y, F f) {
  const Shape &xs = x.shape;
  for (int64_t n = 0; n < y[0]; ++n)
    for (int64_t i = 0; i < y[1]; ++i)
      for (int64_t j = 0; j < y[2]; ++j)
        for (int64_t c = 0; c < y[3]; ++c) {
          int64_t best = -1;
          double bestValue = 0;
          forEachTap(g, i, j, xs[1], xs[2],
                     [&](int64_t h, int64_t w, int64_t, int64_t) {
                       int64_t k = ((n * xs[1] + h) * xs[2] + w) * xs[3] + c;
                       if (best < 0 || x.data[k] > bestValue) {
                         best = k;
                         bestValue = x.data[k];
                       }
                     });
          f(best, ((n * y[1] + i) * y[2] + j) * y[3] + c);
        }
}

/// Every (input, output) pair of an average pool: f(x index, y index).
template <typename F>
void avgPoolTaps(const Window &g, const Shape &x, const Shape &y, F f) {
  for (int64_t n = 0; n < y[0]; ++n)
    for (int64_t i = 0; i < y[1]; ++i)
      for (int64_t j = 0; j < y[2]; ++j)
        for (int64_t c = 0; c < y[3]; ++c)
          forEachTap(g, i, j, x[1], x[2],
                     [&](int64_t h, int64_t w, int64_t, int64_t) {
                       f(((n * x[1] + h) * x[2] + w) * x[3] + c,
                         ((n * y[1] + i) * y[2] + j) * y[3] + c);
                     });
}

struct Evaluator {
  int64_t batch = -1;
  llvm::DenseMap<Value, Tensor> env;

  /// The concrete shape of a value's type, binding `?` to the batch size.
  FailureOr<Shape> shapeOf(Value v, Operation *where) {
    Shape s;
    for (int64_t d : cast<RankedTensorType>(v.getType()).getShape()) {
      if (ShapedType::isDynamic(d)) {
        if (batch < 0)
          return where->emitError("reference evaluator: a batch dim with no "
                                  "batched argument to size it");
        s.push_back(batch);
      } else {
        s.push_back(d);
      }
    }
    return s;
  }

  const Tensor &get(Value v) { return env.find(v)->second; }

  Tensor pointwise(Operation *op, const Shape &out, DType dt,
                   const std::function<double(const Index &)> &f) {
    Tensor r(out, dt);
    forEach(out, [&](const Index &idx) {
      r.data[ravel(idx, out)] = store(f(idx), dt);
    });
    return r;
  }

  /// Folds `combine` over the reduced axes of `x` into the result layout.
  Tensor reduce(const Tensor &x, ArrayRef<int64_t> axes, bool keepdims,
                double init,
                const std::function<double(double, double)> &combine) {
    Shape out;
    for (size_t d = 0; d < x.shape.size(); ++d) {
      bool r = llvm::is_contained(axes, static_cast<int64_t>(d));
      if (!r)
        out.push_back(x.shape[d]);
      else if (keepdims)
        out.push_back(1);
    }
    Tensor res(out);
    std::fill(res.data.begin(), res.data.end(), init);
    forEach(x.shape, [&](const Index &idx) {
      Index o;
      for (size_t d = 0; d < idx.size(); ++d) {
        bool r = llvm::is_contained(axes, static_cast<int64_t>(d));
        if (!r)
          o.push_back(idx[d]);
        else if (keepdims)
          o.push_back(0);
      }
      double &slot = res.data[ravel(o, out)];
      slot = combine(slot, at(x, idx));
    });
    return res;
  }

  /// softmax (or log_softmax) of `x` along `axis`, max subtracted.
  Tensor softmax(const Tensor &x, int64_t axis, bool log) {
    Tensor m = reduce(x, {axis}, true, -std::numeric_limits<double>::infinity(),
                      [](double a, double b) { return std::max(a, b); });
    Tensor e(x.shape);
    forEach(x.shape, [&](const Index &idx) {
      Index k(idx);
      k[axis] = 0;
      e.data[ravel(idx, x.shape)] = std::exp(at(x, idx) - at(m, k));
    });
    Tensor s =
        reduce(e, {axis}, true, 0, [](double a, double b) { return a + b; });
    Tensor r(x.shape);
    forEach(x.shape, [&](const Index &idx) {
      Index k(idx);
      k[axis] = 0;
      double v = at(e, idx) / at(s, k);
      r.data[ravel(idx, x.shape)] =
          log ? at(x, idx) - at(m, k) - std::log(at(s, k)) : v;
    });
    return r;
  }

  double count(const Tensor &x, ArrayRef<int64_t> axes) {
    double n = 1;
    for (int64_t a : axes)
      n *= x.shape[a];
    return n;
  }

  FailureOr<Tensor> run(Operation *op);
  /// Runs a block's ops on `args`; returns its terminator's operands.
  FailureOr<std::vector<Tensor>> runBlock(Block &block, ArrayRef<Tensor> args);
  /// nn.scan: the body once per step, slices in, stacked outputs out.
  FailureOr<std::vector<Tensor>> runScan(ScanOp scan);
};

/// Slice `t` of `x` along `axis` (that axis removed).
Tensor sliceAlong(const Tensor &x, int64_t axis, int64_t t) {
  Shape s(x.shape);
  s.erase(s.begin() + axis);
  Tensor r(s, x.dtype);
  forEach(s, [&](const Index &idx) {
    Index full(idx);
    full.insert(full.begin() + axis, t);
    r.data[ravel(idx, s)] = at(x, full);
  });
  return r;
}

FailureOr<std::vector<Tensor>> Evaluator::runBlock(Block &block,
                                                   ArrayRef<Tensor> args) {
  for (auto [arg, t] : llvm::zip(block.getArguments(), args))
    env[arg] = t;
  for (Operation &op : block) {
    if (op.hasTrait<OpTrait::IsTerminator>()) {
      std::vector<Tensor> results;
      for (Value v : op.getOperands())
        results.push_back(get(v));
      return results;
    }
    if (auto scan = dyn_cast<ScanOp>(op)) {
      FailureOr<std::vector<Tensor>> rs = runScan(scan);
      if (failed(rs))
        return failure();
      for (auto [r, t] : llvm::zip(scan->getResults(), *rs))
        env[r] = std::move(t);
      continue;
    }
    if (op.getNumResults() != 1)
      return op.emitError()
             << "reference evaluator: no rule for '" << op.getName() << "'";
    FailureOr<Tensor> t = run(&op);
    if (failed(t))
      return failure();
    env[op.getResult(0)] = std::move(*t);
  }
  return block.getParentOp()->emitError() << "reference evaluator: no "
                                             "terminator";
}

FailureOr<std::vector<Tensor>> Evaluator::runScan(ScanOp scan) {
  int64_t length = scan.getLength(), axis = scan.getAxis();
  unsigned carries = scan.getNumCarries();
  std::vector<Tensor> carry;
  for (Value v : scan.getInits())
    carry.push_back(get(v));
  std::vector<Tensor> stacked;
  for (Value r : scan.getStacked()) {
    FailureOr<Shape> s = shapeOf(r, scan);
    if (failed(s))
      return failure();
    stacked.emplace_back(*s, dtypeOf(r.getType()));
  }
  for (int64_t k = 0; k < length; ++k) {
    int64_t t = scan.getReverse() ? length - 1 - k : k;
    std::vector<Tensor> args(carry);
    for (Value s : scan.getSequences())
      args.push_back(sliceAlong(get(s), axis, t));
    for (Value c : scan.getClosures())
      args.push_back(get(c));
    FailureOr<std::vector<Tensor>> out = runBlock(scan.getBodyBlock(), args);
    if (failed(out))
      return failure();
    for (unsigned i = 0; i < carries; ++i)
      carry[i] = std::move((*out)[i]);
    for (auto [j, st] : llvm::enumerate(stacked)) {
      const Tensor &y = (*out)[carries + j];
      forEach(y.shape, [&](const Index &idx) {
        Index full(idx);
        full.insert(full.begin() + axis, t);
        st.data[ravel(full, st.shape)] = at(y, idx);
      });
    }
  }
  carry.insert(carry.end(), std::make_move_iterator(stacked.begin()),
               std::make_move_iterator(stacked.end()));
  return carry;
}

FailureOr<Tensor> Evaluator::run(Operation *op) {
  Value result = op->getResult(0);
  FailureOr<Shape> outShape = shapeOf(result, op);
  if (failed(outShape))
    return failure();
  const Shape &out = *outShape;
  DType dt = dtypeOf(result.getType());
  auto in = [&](unsigned i) -> const Tensor & {
    return get(op->getOperand(i));
  };
  auto elementwise1 = [&](const std::function<double(double)> &f) {
    return pointwise(op, out, dt,
                     [&](const Index &idx) { return f(at(in(0), idx)); });
  };
  auto elementwise2 = [&](const std::function<double(double, double)> &f) {
    return pointwise(op, out, dt, [&](const Index &idx) {
      return f(bcast(in(0), out, idx), bcast(in(1), out, idx));
    });
  };
  using R = FailureOr<Tensor>;
  return llvm::TypeSwitch<Operation *, R>(op)
      .Case([&](ConstantOp c) -> R {
        auto dense = cast<DenseElementsAttr>(c.getValue());
        Tensor t(out, dt);
        int64_t i = 0;
        if (dt == DType::F32)
          for (float v : dense.getValues<float>())
            t.data[i++] = v;
        else if (dt == DType::I32)
          for (int32_t v : dense.getValues<int32_t>())
            t.data[i++] = v;
        else
          for (bool v : dense.getValues<bool>())
            t.data[i++] = v;
        return t;
      })
      .Case([&](MatmulOp mm) -> R {
        bool ta = mm.getTransposeLhs(), tb = mm.getTransposeRhs();
        const Tensor &a = in(0), &b = in(1);
        int64_t k = ta ? a.shape[0] : a.shape[1];
        return pointwise(op, out, dt, [&](const Index &idx) {
          double s = 0;
          for (int64_t r = 0; r < k; ++r) {
            double x = ta ? at(a, {r, idx[0]}) : at(a, {idx[0], r});
            double y = tb ? at(b, {idx[1], r}) : at(b, {r, idx[1]});
            s += x * y;
          }
          return s;
        });
      })
      .Case([&](AddOp) {
        return elementwise2([](double a, double b) { return a + b; });
      })
      .Case([&](SubOp) {
        return elementwise2([](double a, double b) { return a - b; });
      })
      .Case([&](MulOp) {
        return elementwise2([](double a, double b) { return a * b; });
      })
      .Case([&](DivOp) {
        return elementwise2([](double a, double b) { return a / b; });
      })
      .Case([&](PowOp) {
        return elementwise2([](double a, double b) { return std::pow(a, b); });
      })
      .Case([&](MaximumOp) {
        return elementwise2([](double a, double b) { return std::max(a, b); });
      })
      .Case([&](MinimumOp) {
        return elementwise2([](double a, double b) { return std::min(a, b); });
      })
      .Case([&](CompareOp c) {
        ComparePredicate p = c.getPredicate();
        return elementwise2([p](double a, double b) -> double {
          switch (p) {
          case ComparePredicate::eq:
            return a == b;
          case ComparePredicate::ne:
            return a != b;
          case ComparePredicate::lt:
            return a < b;
          case ComparePredicate::le:
            return a <= b;
          case ComparePredicate::gt:
            return a > b;
          case ComparePredicate::ge:
            return a >= b;
          }
          return 0;
        });
      })
      .Case([&](DropoutOp d) {
        double rate = d.getRate().convertToDouble();
        uint32_t threshold = nn::dropoutThreshold(rate);
        auto seed = static_cast<uint32_t>(static_cast<int32_t>(in(1).data[0]));
        auto salt = static_cast<uint32_t>(d.getSalt());
        // The kernels scale by this float; the same factor here.
        double scale = 1.0f / (1.0f - static_cast<float>(rate));
        return pointwise(op, out, dt, [&](const Index &idx) {
          std::vector<uint32_t> coords(idx.begin(), idx.end());
          uint32_t h = nn::dropoutHash<uint32_t>(seed, salt, coords);
          return (h >> 8) >= threshold ? bcast(in(0), out, idx) * scale : 0.0;
        });
      })
      .Case([&](GaussianNoiseOp g) {
        double sd = g.getStddev().convertToDouble();
        auto seed = static_cast<uint32_t>(static_cast<int32_t>(in(1).data[0]));
        auto salt = static_cast<uint32_t>(g.getSalt());
        return pointwise(op, out, dt, [&](const Index &idx) {
          std::vector<uint32_t> coords(idx.begin(), idx.end());
          double z = nn::gaussianDraw<uint32_t, double>(
              seed, salt, coords, [](uint32_t v) { return double(v); },
              [](double v) { return std::sqrt(v); },
              [](double v) { return std::log(v); },
              [](double v) { return std::cos(v); });
          return bcast(in(0), out, idx) + sd * z;
        });
      })
      .Case([&](SelectOp) {
        return pointwise(op, out, dt, [&](const Index &idx) {
          return bcast(in(0), out, idx) != 0 ? bcast(in(1), out, idx)
                                             : bcast(in(2), out, idx);
        });
      })
      .Case([&](CastOp) { return elementwise1([](double x) { return x; }); })
      .Case([&](NegOp) { return elementwise1([](double x) { return -x; }); })
      .Case([&](ExpOp) {
        return elementwise1([](double x) { return std::exp(x); });
      })
      .Case([&](LogOp) {
        return elementwise1([](double x) { return std::log(x); });
      })
      .Case([&](SigmoidOp) {
        return elementwise1(
            [](double x) { return 1.0 / (1.0 + std::exp(-x)); });
      })
      .Case([&](SqrtOp) {
        return elementwise1([](double x) { return std::sqrt(x); });
      })
      .Case([&](AbsOp) {
        return elementwise1([](double x) { return std::fabs(x); });
      })
      .Case([&](SignOp) {
        return elementwise1([](double x) {
          return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0;
        });
      })
      .Case([&](SinOp) {
        return elementwise1([](double x) { return std::sin(x); });
      })
      .Case([&](CosOp) {
        return elementwise1([](double x) { return std::cos(x); });
      })
      .Case([&](ReluOp) {
        return elementwise1([](double x) { return std::max(x, 0.0); });
      })
      .Case([&](SoftmaxOp) -> R {
        return softmax(in(0), op->getAttrOfType<IntegerAttr>("axis").getInt(),
                       false);
      })
      .Case([&](LogSoftmaxOp) -> R {
        return softmax(in(0), op->getAttrOfType<IntegerAttr>("axis").getInt(),
                       true);
      })
      .Case([&](SoftmaxCrossEntropyOp) -> R {
        const Tensor &z = in(0), &labels = in(1);
        int64_t classes = z.shape.back();
        Tensor lsm = softmax(z, z.shape.size() - 1, true);
        double total = 0;
        forEach(labels.shape, [&](const Index &row) {
          Index at(row);
          at.push_back(std::clamp<int64_t>(
              static_cast<int64_t>(labels.data[ravel(row, labels.shape)]), 0,
              classes - 1));
          total -= lsm.data[ravel(at, z.shape)];
        });
        Tensor r(out);
        r.data[0] = total / std::max<int64_t>(labels.size(), 1);
        return r;
      })
      .Case([&](ReduceSumOp r) -> R {
        return reduce(in(0), r.getAxes(), r.getKeepdims(), 0,
                      [](double a, double b) { return a + b; });
      })
      .Case([&](ReduceMeanOp r) -> R {
        Tensor t = reduce(in(0), r.getAxes(), r.getKeepdims(), 0,
                          [](double a, double b) { return a + b; });
        double n = count(in(0), r.getAxes());
        for (double &v : t.data)
          v /= n;
        return t;
      })
      .Case([&](ReduceMaxOp r) -> R {
        return reduce(in(0), r.getAxes(), r.getKeepdims(),
                      -std::numeric_limits<double>::infinity(),
                      [](double a, double b) { return std::max(a, b); });
      })
      .Case([&](BroadcastToOp) {
        return pointwise(op, out, dt, [&](const Index &idx) {
          return bcast(in(0), out, idx);
        });
      })
      .Case([&](SumToOp) -> R {
        const Tensor &x = in(0);
        Tensor r(out);
        size_t off = x.shape.size() - out.size();
        forEach(x.shape, [&](const Index &idx) {
          Index o(out.size());
          for (size_t d = 0; d < out.size(); ++d)
            o[d] = out[d] == 1 ? 0 : idx[d + off];
          r.data[ravel(o, out)] += at(x, idx);
        });
        return r;
      })
      .Case([&](ReshapeOp) -> R {
        Tensor r(out, dt);
        r.data = in(0).data;
        return r;
      })
      .Case([&](ElementCountOp c) -> R {
        Tensor r(out);
        r.data[0] = count(in(0), c.getAxes());
        return r;
      })
      .Case([&](TransposeOp t) {
        ArrayRef<int64_t> perm = t.getPermutation();
        return pointwise(op, out, dt, [&](const Index &idx) {
          Index src(perm.size());
          for (size_t i = 0; i < perm.size(); ++i)
            src[perm[i]] = idx[i];
          return at(in(0), src);
        });
      })
      .Case([&](ConcatOp c) {
        int64_t axis = c.getAxis();
        return pointwise(op, out, dt, [&](const Index &idx) {
          Index src = idx;
          for (unsigned i = 0; i < op->getNumOperands(); ++i) {
            int64_t extent = in(i).shape[axis];
            if (src[axis] < extent)
              return at(in(i), src);
            src[axis] -= extent;
          }
          return 0.0;
        });
      })
      .Case([&](SliceOp s) {
        return pointwise(op, out, dt, [&](const Index &idx) {
          Index src(idx.size());
          for (size_t d = 0; d < idx.size(); ++d)
            src[d] = s.getStarts()[d] + idx[d] * s.getStrides()[d];
          return at(in(0), src);
        });
      })
      .Case([&](PadOp p) {
        return pointwise(op, out, dt, [&](const Index &idx) {
          Index src(idx.size());
          for (size_t d = 0; d < idx.size(); ++d) {
            int64_t rel = idx[d] - p.getLow()[d], step = p.getInterior()[d] + 1;
            if (rel < 0 || rel % step || rel / step >= in(0).shape[d])
              return 0.0;
            src[d] = rel / step;
          }
          return at(in(0), src);
        });
      })
      .Case([&](OneHotOp) {
        return pointwise(op, out, dt, [&](const Index &idx) {
          Index rest(idx.begin(), idx.end() - 1);
          return at(in(0), rest) == static_cast<double>(idx.back()) ? 1.0 : 0.0;
        });
      })
      .Case([&](ArgmaxOp a) {
        int64_t axis = a.getAxis();
        return pointwise(op, out, dt, [&](const Index &idx) {
          Index src;
          size_t k = 0;
          for (size_t d = 0; d < in(0).shape.size(); ++d) {
            if (static_cast<int64_t>(d) == axis) {
              src.push_back(0);
              if (a.getKeepdims())
                ++k;
            } else {
              src.push_back(idx[k++]);
            }
          }
          int64_t best = 0;
          double bestValue = -std::numeric_limits<double>::infinity();
          for (int64_t i = 0; i < in(0).shape[axis]; ++i) {
            src[axis] = i;
            double v = at(in(0), src);
            if (v > bestValue) { // strictly greater: the first max wins
              bestValue = v;
              best = i;
            }
          }
          return static_cast<double>(best);
        });
      })
      .Case([&](MseOp) -> R {
        const Tensor &a = in(0), &y = in(1);
        double s = 0;
        for (int64_t i = 0; i < a.size(); ++i)
          s += (a.data[i] - y.data[i]) * (a.data[i] - y.data[i]);
        Tensor r(out);
        r.data[0] = s / a.size();
        return r;
      })
      .Case([&](BinaryCrossEntropyOp) -> R {
        const Tensor &a = in(0), &y = in(1);
        double s = 0;
        for (int64_t i = 0; i < a.size(); ++i) {
          double la = std::max(std::log(a.data[i]), -100.0);
          double l1a = std::max(std::log(1 - a.data[i]), -100.0);
          s -= y.data[i] * la + (1 - y.data[i]) * l1a;
        }
        Tensor r(out);
        r.data[0] = s / a.size();
        return r;
      })
      .Case([&](BinaryCrossEntropyGradOp) -> R {
        const Tensor &a = in(0), &y = in(1);
        double dl = in(2).data[0], n = a.size();
        Tensor r(out);
        for (int64_t i = 0; i < a.size(); ++i) {
          double p = a.data[i];
          r.data[i] = dl * (p - y.data[i]) / std::max(p * (1 - p), 1e-12) / n;
        }
        return r;
      })
      .Case([&](Conv2dOp c) -> R {
        Tensor r(out);
        const Tensor &x = in(0), &w = in(1);
        convSum(convWindow(c, w.shape), c.getGroups(), x.shape, w.shape, out,
                [&](int64_t xi, int64_t wi, int64_t yi) {
                  r.data[yi] += x.data[xi] * w.data[wi];
                });
        return r;
      })
      .Case([&](Conv2dInputGradOp c) -> R {
        Tensor r(out);
        const Tensor &dy = in(0), &w = in(1);
        convSum(convWindow(c, w.shape), c.getGroups(), out, w.shape, dy.shape,
                [&](int64_t xi, int64_t wi, int64_t yi) {
                  r.data[xi] += dy.data[yi] * w.data[wi];
                });
        return r;
      })
      .Case([&](Conv2dFilterGradOp c) -> R {
        Tensor r(out);
        const Tensor &x = in(0), &dy = in(1);
        convSum(convWindow(c, c.getKernelSize()), c.getGroups(), x.shape, out,
                dy.shape, [&](int64_t xi, int64_t wi, int64_t yi) {
                  r.data[wi] += x.data[xi] * dy.data[yi];
                });
        return r;
      })
      .Case([&](MaxPool2dOp p) -> R {
        Tensor r(out);
        const Tensor &values = p.getValues() ? in(1) : in(0);
        maxPoolPick(poolWindow(p), in(0), out, [&](int64_t xi, int64_t yi) {
          r.data[yi] = values.data[xi];
        });
        return r;
      })
      .Case([&](MaxPool2dGradOp p) -> R {
        Tensor r(out);
        const Tensor &dy = in(1);
        maxPoolPick(poolWindow(p), in(0), dy.shape,
                    [&](int64_t xi, int64_t yi) { r.data[xi] += dy.data[yi]; });
        return r;
      })
      .Case([&](AvgPool2dOp p) -> R {
        Tensor r(out);
        Window g = poolWindow(p);
        double scale = 1.0 / static_cast<double>(g.kh * g.kw);
        avgPoolTaps(g, in(0).shape, out, [&](int64_t xi, int64_t yi) {
          r.data[yi] += in(0).data[xi] * scale;
        });
        return r;
      })
      .Case([&](AvgPool2dGradOp p) -> R {
        Tensor r(out);
        Window g = poolWindow(p);
        double scale = 1.0 / static_cast<double>(g.kh * g.kw);
        avgPoolTaps(g, out, in(0).shape, [&](int64_t xi, int64_t yi) {
          r.data[xi] += in(0).data[yi] * scale;
        });
        return r;
      })
      .Case([&](TrainEvalOp) -> R { return in(0); })
      .Default([&](Operation *) -> R {
        return op->emitError()
               << "reference evaluator: no rule for '" << op->getName() << "'";
      });
}

} // namespace

FailureOr<std::vector<Tensor>> evaluate(func::FuncOp fn,
                                        const std::vector<Tensor> &args) {
  Evaluator ev;
  if (args.size() != fn.getNumArguments())
    return fn.emitError() << "reference evaluator: " << fn.getName()
                          << " takes " << fn.getNumArguments()
                          << " arguments, got " << args.size();
  for (auto [i, arg] : llvm::enumerate(fn.getArguments())) {
    auto type = cast<RankedTensorType>(arg.getType());
    const Tensor &t = args[i];
    bool fits = static_cast<int64_t>(t.shape.size()) == type.getRank() &&
                t.dtype == dtypeOf(type) &&
                static_cast<int64_t>(t.data.size()) == numel(t.shape);
    for (int64_t d = 0; fits && d < type.getRank(); ++d) {
      int64_t want = type.getDimSize(d);
      if (ShapedType::isDynamic(want)) {
        if (ev.batch >= 0 && ev.batch != t.shape[d])
          fits = false;
        ev.batch = t.shape[d];
      } else {
        fits = want == t.shape[d];
      }
    }
    if (!fits)
      return fn.emitError() << "reference evaluator: argument #" << i << " is "
                            << t.describe() << ", expected " << type;
    ev.env[arg] = t;
  }
  return ev.runBlock(fn.getBody().front(), {});
}

} // namespace kiln::ref
