//===- pool.cpp - pooling -------------------------------------------------===//
//
// max_pool2d (optionally the values at each window's first maximum),
// avg_pool2d (padding counted as zeros) and their gradients, as gathers over
// each window's taps. Their schedules are the pointwise ones (the ReLU before
// a pool is inlined); max pooling's gradient reads the winning tap of every
// window, computed once per kernel, and is inlined into split sums.
//
//===----------------------------------------------------------------------===//
#include "compiler/halide/lowering.h"
#include "dialects/nn/shape.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace kiln::nn;

namespace kiln::hl {

/// Tap (a, b) of the window of output (n, i, j, c) on NHWC operand `k`:
/// whether it lies inside the input (not in the padding), and the index
/// of the element it reads, clamped into the input.
std::pair<H::Expr, Index> Lowering::tap(unsigned k, const Taps &t,
                                        const Index &o, H::Expr a, H::Expr b) {
  Value v = op->getOperand(k);
  int32_t H_ = dim(v, 1), W = dim(v, 2);
  H::Expr h = o[1] * t.sh + a - t.top, w = o[2] * t.sw + b - t.left;
  H::Expr inside = h >= 0 && h < H_ && w >= 0 && w < W;
  return {inside, {o[0], H::clamp(h, 0, H_ - 1), H::clamp(w, 0, W - 1), o[3]}};
}

/// The largest element of output o's window on operand 0 (the padding
/// never wins).
H::Expr Lowering::windowMax(const Taps &t, const Index &o) {
  H::RDom r({{0, t.kw}, {0, t.kh}}, name + "_r");
  auto [inside, at] = tap(0, t, o, r.y, r.x);
  return H::maximum(H::select(inside, in[0].at(at), floatType.min()),
                    name + "_max");
}

/// At the first tap (row-major) of output o's window whose operand-0
/// element equals `best`, pick(a, b, index); `none` if no tap does.
template <typename Pick>
H::Expr Lowering::firstMaxTap(const Taps &t, const Index &o, H::Expr best,
                              H::Expr none, Pick pick) {
  // Selects from the last tap back, so the first match wins.
  H::Expr picked = none;
  for (int32_t a = t.kh - 1; a >= 0; --a)
    for (int32_t b = t.kw - 1; b >= 0; --b) {
      auto [inside, at] = tap(0, t, o, a, b);
      picked =
          H::select(inside && in[0].at(at) == best, pick(a, b, at), picked);
    }
  return picked;
}

/// max_pool2d: the first maximum of each window (row-major), or the
/// `values` element at its position.
H::Func Lowering::maxPool(MaxPool2dOp p) {
  begin();
  isReduction = true;
  Taps t(poolWindow(p));
  H::Expr best = windowMax(t, idx);
  out(vars) = !p.getValues()
                  ? best
                  : firstMaxTap(t, idx, best, fconst(0),
                                [&](int32_t, int32_t, const Index &at) {
                                  return in[1].at(at);
                                });
  return out;
}

/// Pool gradients: each input element gathers the output-gradient
/// elements of the windows that hold it (through tap (a, b)); max
/// pooling's only where that tap holds the window's first maximum.
template <typename Op>
H::Func Lowering::poolGrad(Op p, unsigned dyOperand, bool max) {
  // A gather, not a reduction: inlined into its consumers (batch norm's
  // gradient sums), it reads the pooled gradient and the picks instead
  // of writing and rereading a full-size tensor.
  begin();
  Taps t(poolWindow(p));
  Value dyv = op->getOperand(dyOperand);
  int32_t OH = dim(dyv, 1), OW = dim(dyv, 2);
  H::Expr c = idx[3], w = idx[2], h = idx[1], n = idx[0];
  H::Func pick;
  if (max) {
    // Which tap of each window holds its first maximum, a·KW + b.
    Index po;
    std::vector<H::Var> pv = makeVars(name + "_k", 4, po);
    pick = H::Func(name + "_pick");
    pick(pv) = firstMaxTap(t, po, windowMax(t, po), 0,
                           [&](int32_t a, int32_t b, const Index &) {
                             return H::Expr(a * t.kw + b);
                           });
    picks.emplace_back(pick, llvm::to_vector(shapeOf(dyv)));
  }
  H::Expr sum = fconst(0);
  for (int32_t a = 0; a < t.kh; ++a)
    for (int32_t b = 0; b < t.kw; ++b) {
      H::Expr ri = h + t.top - a, rj = w + t.left - b;
      H::Expr i = ri / t.sh, j = rj / t.sw;
      H::Expr valid = ri >= 0 && rj >= 0 && i < OH && j < OW;
      if (t.sh > 1)
        valid = valid && ri % t.sh == 0;
      if (t.sw > 1)
        valid = valid && rj % t.sw == 0;
      H::Expr ic = H::clamp(i, 0, OH - 1), jc = H::clamp(j, 0, OW - 1);
      if (max)
        valid = valid && pick(c, jc, ic, n) == a * t.kw + b;
      sum += H::select(valid, in[dyOperand].at({n, ic, jc, c}), fconst(0));
    }
  out(vars) = max ? sum : sum * (1.0f / static_cast<float>(t.kh * t.kw));
  return out;
}

H::Func Lowering::avgPool(AvgPool2dOp p) {
  begin();
  isReduction = true;
  Taps t(poolWindow(p));
  H::Expr sum = fconst(0);
  for (int32_t a = 0; a < t.kh; ++a)
    for (int32_t b = 0; b < t.kw; ++b) {
      auto [inside, at] = tap(0, t, idx, a, b);
      sum += H::select(inside, in[0].at(at), fconst(0));
    }
  out(vars) = sum * (1.0f / static_cast<float>(t.kh * t.kw));
  return out;
}

std::optional<H::Func> Lowering::lowerPool() {
  using R = std::optional<H::Func>;
  return llvm::TypeSwitch<Operation *, R>(op)
      .Case([&](MaxPool2dOp p) { return maxPool(p); })
      .Case([&](MaxPool2dGradOp p) { return poolGrad(p, 1, true); })
      .Case([&](AvgPool2dOp p) { return avgPool(p); })
      .Case([&](AvgPool2dGradOp p) { return poolGrad(p, 0, false); })
      .Default([](Operation *) -> R { return std::nullopt; });
}
} // namespace kiln::hl
