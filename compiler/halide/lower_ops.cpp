//===- lower_ops.cpp - nn ops as Halide Funcs -----------------------------===//
//
// Tensors are row-major with MLIR's dim 0 outermost; Halide's first Var is
// innermost, so every index list here is in MLIR order and reversed only
// where a Halide Func or buffer is called.
//
//===----------------------------------------------------------------------===//
#include "compiler/halide/lower_ops.h"
#include "dialects/nn/nn_dialect.h"
#include "dialects/nn/shape.h"

#include "llvm/ADT/TypeSwitch.h"

#include <cstdlib>

using namespace mlir;
using namespace kiln::nn;
namespace H = Halide;

namespace kiln::hl {
namespace {

using Index = std::vector<H::Expr>;

/// A tensor as one pipeline sees it: its extents and an element accessor,
/// both in MLIR dim order.
struct View {
  Index extents;
  std::function<H::Expr(const Index &)> at;
};

Index reversed(const Index &idx) { return Index(idx.rbegin(), idx.rend()); }

ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

/// f32 → Float(32), i32 → Int(32), i1 → Bool (one byte per element).
H::Type halideType(Type t) {
  Type e = cast<RankedTensorType>(t).getElementType();
  if (e.isF32())
    return H::Float(32);
  if (e.isInteger(32))
    return H::Int(32);
  return H::Bool();
}

Index extentsOf(ArrayRef<int64_t> shape, H::Expr batch) {
  Index e;
  for (int64_t d : shape)
    e.push_back(ShapedType::isDynamic(d) ? batch
                                         : H::Expr(static_cast<int32_t>(d)));
  return e;
}

/// Static extents and strides let Halide check the caller's buffers and
/// specialise the code; a dynamic (batch) dim gets the batch size.
template <typename Dims>
void constrainDims(Dims dimOf, ArrayRef<int64_t> shape, H::Expr batch) {
  int rank = shape.size();
  std::optional<int64_t> stride = 1;
  for (int hd = 0; hd < rank; ++hd) { // Halide dim hd = MLIR dim rank-1-hd
    int64_t d = shape[rank - 1 - hd];
    auto dim = dimOf(hd);
    dim.set_min(0);
    dim.set_extent(ShapedType::isDynamic(d) ? batch
                                            : H::Expr(static_cast<int32_t>(d)));
    if (stride)
      dim.set_stride(static_cast<int32_t>(*stride));
    if (ShapedType::isDynamic(d))
      stride.reset();
    else if (stride)
      *stride *= d;
  }
}

/// Result Func with one Var per dim; `idx` gets them in MLIR order.
H::Func makeFunc(const std::string &name, int rank, std::vector<H::Var> &vars,
                 Index &idx) {
  vars.clear();
  for (int i = 0; i < rank; ++i)
    vars.emplace_back(name + "_v" + std::to_string(i));
  idx.assign(rank, H::Expr());
  for (int d = 0; d < rank; ++d)
    idx[d] = vars[rank - 1 - d];
  return H::Func(name);
}

/// The operand element that broadcasts to result element `idx`.
Index broadcastIndex(ArrayRef<int64_t> operand, ArrayRef<int64_t> result,
                     const Index &idx) {
  size_t off = result.size() - operand.size();
  Index out;
  for (size_t i = 0; i < operand.size(); ++i)
    out.push_back(operand[i] == 1 && result[i + off] != 1 ? H::Expr(0)
                                                          : idx[i + off]);
  return out;
}

/// Halide's inline reductions need an expression over a reduction domain.
/// Reducing over no dims (an undefined domain) is the value itself, and a
/// value that does not vary over the domain (an inlined splat constant)
/// sums to value × size and maxes to the value.
enum class Reduce { Sum, Max };
H::Expr reduceExpr(Reduce kind, H::Expr e, const H::RDom &r,
                   const std::string &name) {
  if (!r.defined())
    return e;
  bool varies = false;
  H::Expr size = 1;
  for (int i = 0; i < r.dimensions(); ++i) {
    varies |= H::Internal::expr_uses_var(e, r[i].name());
    size = size * r[i].extent();
  }
  if (!varies)
    return kind == Reduce::Sum ? e * H::cast(e.type(), size) : e;
  return kind == Reduce::Sum ? H::sum(e, name) : H::maximum(e, name);
}

H::Expr product(const Index &extents, ArrayRef<int64_t> axes) {
  H::Expr n = 1;
  for (int64_t a : axes)
    n = n * extents[a];
  return H::cast<float>(n);
}

struct Lowering {
  Operation *op;
  std::vector<View> &in;
  ArrayRef<int64_t> result; // result shape
  H::Expr batch;
  std::string name;
  int vectorWidth;

  std::vector<H::Var> vars;
  Index idx;
  H::Func out;

  int rank() const { return result.size(); }

  H::Func begin() {
    out = makeFunc(name, rank(), vars, idx);
    return out;
  }

  /// Elementwise results: vectorize the innermost dim when it is wide.
  void schedulePointwise() {
    if (rank() == 0)
      return;
    int64_t inner = result.back();
    if (ShapedType::isDynamic(inner) || inner >= vectorWidth)
      out.vectorize(vars[0], vectorWidth, H::TailStrategy::GuardWithIf);
  }

  H::Expr operand(unsigned i) {
    return in[i].at(broadcastIndex(shapeOf(op->getOperand(i)), result, idx));
  }

  template <typename F> H::Func pointwise(F f) {
    begin();
    out(vars) = f();
    schedulePointwise();
    return out;
  }

  /// RDom over `axes` of operand `i`; fills `full` with an index into that
  /// operand where reduced dims take the RDom's variables and the others
  /// take the result's (kept or dropped per `keepdims`).
  /// The reduction domain (undefined when there is nothing to reduce).
  H::RDom reduceOver(unsigned i, ArrayRef<int64_t> axes, bool keepdims,
                     Index &full) {
    std::vector<H::Range> ranges;
    for (int64_t a : axes)
      ranges.emplace_back(0, in[i].extents[a]);
    H::RDom r = ranges.empty() ? H::RDom() : H::RDom(ranges, name + "_r");
    int inRank = in[i].extents.size();
    full.assign(inRank, H::Expr());
    unsigned next = 0, resultDim = 0;
    for (int d = 0; d < inRank; ++d) {
      if (llvm::is_contained(axes, d)) {
        full[d] = r[next++];
        if (keepdims)
          ++resultDim;
      } else {
        full[d] = idx[resultDim++];
      }
    }
    return r;
  }

  H::Func matmul(MatmulOp mm) {
    // C(x, y) = Σ_k a(k, y) · b(x, k), x the column (innermost), y the row.
    begin();
    bool ta = mm.getTransposeLhs(), tb = mm.getTransposeRhs();
    H::Expr kExtent = ta ? in[0].extents[0] : in[0].extents[1];
    H::RDom r(0, kExtent, name + "_k");
    H::Var x = vars[0], y = vars[1];
    auto a = [&](H::Expr k, H::Expr row) {
      return ta ? in[0].at({k, row}) : in[0].at({row, k});
    };
    auto env = [](const char *n, int d) {
      const char *v = std::getenv(n);
      return v ? std::atoi(v) : d;
    };
    const int V = vectorWidth;
    int64_t n = result[1], m = result[0];
    // A narrow result (n < 2 vectors, e.g. 10 classes) gets one vector of
    // columns; its accumulator rounds up to whole vectors (reading B's
    // columns clamped) and only the copy into the result is guarded.
    bool staticN = !ShapedType::isDynamic(n);
    bool ragged = staticN && n % V != 0;
    const int TX = env("KILN_MM_TX", staticN && n <= V ? V : 2 * V);
    // Register tile: TY rows × TX columns of accumulators, plus the B
    // vectors and one broadcast of A. AVX-512 has 32 vector registers
    // (14 × 2 accumulators), AVX2 16 (6 × 2). Measured on Sapphire Rapids
    // with bench/matmul_bench.cpp.
    const int TY = env("KILN_MM_TY", V >= 16 ? 14 : 6);
    // b(x, k): with B transposed its columns are strided, so a transposed
    // panel is packed once per column block.
    H::Func bp(name + "_bpanel");
    H::Var bx(name + "_bx"), bk(name + "_bk");
    H::Expr col = ragged ? H::min(bx, static_cast<int32_t>(n - 1)) : H::Expr(bx);
    bp(bx, bk) = tb ? in[1].at({col, bk}) : in[1].at({bk, col});
    H::Func prod(name + "_prod");
    prod(x, y) = 0.0f;
    prod(x, y) += a(r.x, y) * bp(x, r.x);
    out(x, y) = prod(x, y);

    H::Var xo(name + "_xo"), yo(name + "_yo"), xi(name + "_xi"),
        yi(name + "_yi");
    out.tile(x, y, xo, yo, xi, yi, TX, TY, H::TailStrategy::GuardWithIf)
        .reorder(xi, yi, yo, xo)
        .vectorize(xi, V, H::TailStrategy::GuardWithIf);
    H::TailStrategy prodTail =
        ragged ? H::TailStrategy::RoundUp : H::TailStrategy::GuardWithIf;
    prod.compute_at(out, yo)
        .vectorize(x, V, prodTail)
        .unroll(x)
        .unroll(y);
    prod.update()
        .reorder(x, y, r.x)
        .vectorize(x, V, prodTail)
        .unroll(x)
        .unroll(y);
    if (tb && env("KILN_MM_PACK", 1)) {
      bp.compute_at(out, xo).vectorize(bx, V, prodTail);
    }
    bool manyColumns = staticN && n >= 4 * TX;
    if (manyColumns || ShapedType::isDynamic(m) == false && m < 2 * TY)
      out.parallel(xo);
    else
      out.parallel(yo);
    return out;
  }

  H::Func reduce(ArrayRef<int64_t> axes, bool keepdims, bool mean) {
    begin();
    Index full;
    H::RDom r = reduceOver(0, axes, keepdims, full);
    H::Expr s = reduceExpr(Reduce::Sum, in[0].at(full), r, name + "_sum");
    out(vars) = mean ? s / product(in[0].extents, axes) : s;
    return out;
  }

  H::Func sumTo() {
    // Reduce over the broadcast axes, keeping size-1 dims the result has.
    ArrayRef<int64_t> big = shapeOf(op->getOperand(0));
    SmallVector<int64_t> axes = broadcastAxes(result, big);
    begin();
    std::vector<H::Range> ranges;
    for (int64_t a : axes)
      ranges.emplace_back(0, in[0].extents[a]);
    H::RDom r = ranges.empty() ? H::RDom() : H::RDom(ranges, name + "_r");
    size_t off = big.size() - result.size();
    Index full(big.size());
    unsigned next = 0;
    for (size_t d = 0; d < big.size(); ++d)
      full[d] = llvm::is_contained(axes, static_cast<int64_t>(d))
                    ? H::Expr(r[next++])
                    : idx[d - off];
    out(vars) = reduceExpr(Reduce::Sum, in[0].at(full), r, name + "_sum");
    return out;
  }

  H::Func reshape() {
    // Row-major flat index of the result element, unflattened into the input.
    Index outExt = extentsOf(result, batch);
    begin();
    H::Expr flat = 0;
    for (int d = 0; d < rank(); ++d)
      flat = flat * outExt[d] + idx[d];
    const Index &inExt = in[0].extents;
    Index src(inExt.size());
    for (int d = static_cast<int>(inExt.size()) - 1; d >= 0; --d) {
      src[d] = flat % inExt[d];
      flat = flat / inExt[d];
    }
    out(vars) = in[0].at(src);
    schedulePointwise();
    return out;
  }

  H::Func loss(bool bce) {
    begin();
    Index full;
    SmallVector<int64_t> all =
        llvm::to_vector(llvm::seq<int64_t>(0, in[0].extents.size()));
    H::RDom r = reduceOver(0, all, false, full);
    H::Expr a = in[0].at(full), y = in[1].at(full), term;
    if (bce) {
      // Logs clamped at -100 as PyTorch does: a saturated sigmoid gives a
      // large finite loss rather than inf.
      H::Expr la = H::max(H::log(a), -100.0f);
      H::Expr l1a = H::max(H::log(1.0f - a), -100.0f);
      term = -(y * la + (1.0f - y) * l1a);
    } else {
      H::Expr d = a - y;
      term = d * d;
    }
    out() = reduceExpr(Reduce::Sum, term, r, name + "_sum") /
            product(in[0].extents, all);
    return out;
  }

  H::Func bceGrad() {
    SmallVector<int64_t> all = llvm::to_vector(llvm::seq<int64_t>(0, rank()));
    H::Expr n = product(in[0].extents, all);
    return pointwise([&] {
      H::Expr a = in[0].at(idx), y = in[1].at(idx), dl = in[2].at({});
      return dl * (a - y) / H::max(a * (1.0f - a), 1e-12f) / n;
    });
  }

  H::Func compare(ComparePredicate p) {
    return pointwise([&]() -> H::Expr {
      H::Expr a = operand(0), b = operand(1);
      switch (p) {
      case ComparePredicate::eq: return a == b;
      case ComparePredicate::ne: return a != b;
      case ComparePredicate::lt: return a < b;
      case ComparePredicate::le: return a <= b;
      case ComparePredicate::gt: return a > b;
      case ComparePredicate::ge: return a >= b;
      }
      llvm_unreachable("unknown predicate");
    });
  }

  H::Func castTo(Type resultType) {
    H::Type t = halideType(resultType);
    return pointwise([&] {
      H::Expr x = operand(0);
      return t.is_bool() ? H::Expr(x != H::Internal::make_zero(x.type())) : H::cast(t, x);
    });
  }

  H::Func transpose(ArrayRef<int64_t> perm) {
    begin();
    Index src(perm.size());
    for (auto [i, p] : llvm::enumerate(perm))
      src[p] = idx[i];
    out(vars) = in[0].at(src);
    schedulePointwise();
    return out;
  }

  H::Func concat(int64_t axis) {
    // Each operand is read at a clamped index so bounds inference never
    // reaches outside it; the select picks the operand that owns idx[axis].
    begin();
    H::Expr offset = 0, value;
    std::vector<std::pair<H::Expr, H::Expr>> pieces; // (end, value)
    for (auto &view : in) {
      H::Expr extent = view.extents[axis];
      Index at = idx;
      at[axis] = H::clamp(idx[axis] - offset, 0, extent - 1);
      pieces.emplace_back(offset + extent, view.at(at));
      offset = offset + extent;
    }
    value = pieces.back().second;
    for (int i = static_cast<int>(pieces.size()) - 2; i >= 0; --i)
      value = H::select(idx[axis] < pieces[i].first, pieces[i].second, value);
    out(vars) = value;
    schedulePointwise();
    return out;
  }

  H::Func slice(SliceOp op) {
    begin();
    Index src(rank());
    for (int d = 0; d < rank(); ++d)
      src[d] = static_cast<int32_t>(op.getStarts()[d]) +
               idx[d] * static_cast<int32_t>(op.getStrides()[d]);
    out(vars) = in[0].at(src);
    schedulePointwise();
    return out;
  }

  H::Func pad(PadOp op) {
    // Element idx comes from input (idx − low) / (interior + 1) when that
    // lands on an input element; everything else is zero.
    begin();
    H::Expr inside = H::Internal::const_true();
    Index src(rank());
    for (int d = 0; d < rank(); ++d) {
      int32_t low = op.getLow()[d], step = op.getInterior()[d] + 1;
      H::Expr rel = idx[d] - low;
      H::Expr extent = in[0].extents[d];
      H::Expr q = rel / step; // Halide's division rounds toward -inf
      inside = inside && rel >= 0 && rel % step == 0 && q < extent;
      src[d] = H::clamp(q, 0, extent - 1);
    }
    out(vars) = H::select(inside, in[0].at(src), 0.0f);
    schedulePointwise();
    return out;
  }

  H::Func oneHot() {
    begin();
    Index rest(idx.begin(), idx.end() - 1);
    H::Expr cls = idx.back();
    out(vars) = H::select(in[0].at(rest) == cls, 1.0f, 0.0f);
    schedulePointwise();
    return out;
  }

  H::Func argmax(ArgmaxOp op) {
    begin();
    int64_t axis = op.getAxis();
    H::RDom r(0, in[0].extents[axis], name + "_r");
    Index full;
    unsigned resultDim = 0;
    for (int d = 0; d < static_cast<int>(in[0].extents.size()); ++d) {
      if (d == axis) {
        full.push_back(r.x);
        if (op.getKeepdims())
          ++resultDim;
      } else {
        full.push_back(idx[resultDim++]);
      }
    }
    out(vars) = H::cast<int32_t>(H::argmax(in[0].at(full), name + "_argmax")[0]);
    return out;
  }

  H::Func reduceMax(ArrayRef<int64_t> axes, bool keepdims) {
    begin();
    Index full;
    H::RDom r = reduceOver(0, axes, keepdims, full);
    out(vars) = reduceExpr(Reduce::Max, in[0].at(full), r, name + "_max");
    return out;
  }

  /// Per-slice max and Σ exp(x − max) of operand `i` along `axis`, as
  /// Funcs over the other dims (MLIR order), computed once per slice.
  struct SliceStats {
    H::Func max, sum;
    std::function<Index(const Index &)> drop; // full index → slice index
  };
  SliceStats sliceStats(unsigned i, int64_t axis) {
    int r = static_cast<int>(in[i].extents.size());
    std::vector<H::Var> v;
    Index sliceIdx;
    for (int d = 0; d < r - 1; ++d)
      v.emplace_back(name + "_s" + std::to_string(d));
    for (int d = r - 2; d >= 0; --d) // Halide order: innermost first
      sliceIdx.push_back(v[d]);
    std::reverse(sliceIdx.begin(), sliceIdx.end());
    auto expand = [axis](const Index &slice, H::Expr at) {
      Index full(slice.begin(), slice.end());
      full.insert(full.begin() + axis, at);
      return full;
    };
    H::RDom k(0, in[i].extents[axis], name + "_k");
    SliceStats s;
    s.max = H::Func(name + "_max");
    s.sum = H::Func(name + "_sum");
    std::vector<H::Var> hv(v.rbegin(), v.rend());
    s.max(hv) = H::maximum(in[i].at(expand(sliceIdx, k.x)));
    s.sum(hv) = H::sum(H::exp(in[i].at(expand(sliceIdx, k.x)) - s.max(hv)));
    s.max.compute_root();
    s.sum.compute_root();
    s.drop = [axis](const Index &full) {
      Index slice(full);
      slice.erase(slice.begin() + axis);
      return slice;
    };
    return s;
  }

  static H::Expr callReversed(H::Func f, const Index &mlirIdx) {
    return f(reversed(mlirIdx));
  }

  H::Func softmax(int64_t axis, bool log) {
    SliceStats st = sliceStats(0, axis);
    begin();
    Index slice = st.drop(idx);
    H::Expr shifted = in[0].at(idx) - callReversed(st.max, slice);
    H::Expr total = callReversed(st.sum, slice);
    out(vars) = log ? shifted - H::log(total) : H::exp(shifted) / total;
    schedulePointwise();
    return out;
  }

  H::Func softmaxCrossEntropy() {
    // mean over samples of log Σ exp(z) − z[label] (max subtracted)
    int64_t axis = static_cast<int64_t>(in[0].extents.size()) - 1;
    SliceStats st = sliceStats(0, axis);
    begin();
    const Index &labelExt = in[1].extents;
    std::vector<H::Range> ranges;
    for (const H::Expr &e : labelExt)
      ranges.emplace_back(0, e);
    H::RDom rows = ranges.empty() ? H::RDom() : H::RDom(ranges, name + "_rows");
    Index row;
    for (int d = 0; d < static_cast<int>(labelExt.size()); ++d)
      row.push_back(rows[d]);
    H::Expr classes = in[0].extents[axis];
    H::Expr label = H::clamp(in[1].at(row), 0, classes - 1);
    Index picked(row);
    picked.push_back(label);
    H::Expr lse = callReversed(st.max, row) + H::log(callReversed(st.sum, row));
    H::Expr term = lse - in[0].at(picked);
    SmallVector<int64_t> all =
        llvm::to_vector(llvm::seq<int64_t>(0, labelExt.size()));
    out() = reduceExpr(Reduce::Sum, term, rows, name + "_total") /
            product(labelExt, all);
    return out;
  }

  std::optional<H::Func> lower() {
    using R = std::optional<H::Func>;
    return llvm::TypeSwitch<Operation *, R>(op)
        .Case([&](MatmulOp mm) { return matmul(mm); })
        .Case([&](AddOp) { return pointwise([&] { return operand(0) + operand(1); }); })
        .Case([&](SubOp) { return pointwise([&] { return operand(0) - operand(1); }); })
        .Case([&](MulOp) { return pointwise([&] { return operand(0) * operand(1); }); })
        .Case([&](DivOp) { return pointwise([&] { return operand(0) / operand(1); }); })
        .Case([&](NegOp) { return pointwise([&] { return -operand(0); }); })
        .Case([&](ExpOp) { return pointwise([&] { return H::exp(operand(0)); }); })
        .Case([&](LogOp) { return pointwise([&] { return H::log(operand(0)); }); })
        .Case([&](SigmoidOp) {
          return pointwise([&] { return 1.0f / (1.0f + H::exp(-operand(0))); });
        })
        .Case([&](SqrtOp) { return pointwise([&] { return H::sqrt(operand(0)); }); })
        .Case([&](AbsOp) { return pointwise([&] { return H::abs(operand(0)); }); })
        .Case([&](SignOp) {
          return pointwise([&] {
            H::Expr x = operand(0);
            return H::select(x > 0.0f, 1.0f, H::select(x < 0.0f, -1.0f, 0.0f));
          });
        })
        .Case([&](SinOp) { return pointwise([&] { return H::sin(operand(0)); }); })
        .Case([&](CosOp) { return pointwise([&] { return H::cos(operand(0)); }); })
        .Case([&](ReluOp) { return pointwise([&] { return H::max(operand(0), 0.0f); }); })
        .Case([&](SoftmaxOp op) { return softmax(op.getAxis(), false); })
        .Case([&](LogSoftmaxOp op) { return softmax(op.getAxis(), true); })
        .Case([&](SoftmaxCrossEntropyOp) { return softmaxCrossEntropy(); })
        .Case([&](PowOp) { return pointwise([&] { return H::pow(operand(0), operand(1)); }); })
        .Case([&](MaximumOp) { return pointwise([&] { return H::max(operand(0), operand(1)); }); })
        .Case([&](MinimumOp) { return pointwise([&] { return H::min(operand(0), operand(1)); }); })
        .Case([&](CompareOp c) { return compare(c.getPredicate()); })
        .Case([&](SelectOp) {
          return pointwise([&] { return H::select(operand(0), operand(1), operand(2)); });
        })
        .Case([&](CastOp c) { return castTo(c.getType()); })
        .Case([&](ReduceMaxOp r) { return reduceMax(r.getAxes(), r.getKeepdims()); })
        .Case([&](TransposeOp t) { return transpose(t.getPermutation()); })
        .Case([&](ConcatOp c) { return concat(c.getAxis()); })
        .Case([&](SliceOp sl) { return slice(sl); })
        .Case([&](PadOp p) { return pad(p); })
        .Case([&](OneHotOp) { return oneHot(); })
        .Case([&](ArgmaxOp a) { return argmax(a); })
        .Case([&](BroadcastToOp) { return pointwise([&] { return operand(0); }); })
        .Case([&](ReduceSumOp r) { return reduce(r.getAxes(), r.getKeepdims(), false); })
        .Case([&](ReduceMeanOp r) { return reduce(r.getAxes(), r.getKeepdims(), true); })
        .Case([&](SumToOp) { return sumTo(); })
        .Case([&](ReshapeOp) { return reshape(); })
        .Case([&](ElementCountOp c) {
          begin();
          out() = product(in[0].extents, c.getAxes());
          return out;
        })
        .Case([&](MseOp) { return loss(false); })
        .Case([&](BinaryCrossEntropyOp) { return loss(true); })
        .Case([&](BinaryCrossEntropyGradOp) { return bceGrad(); })
        .Default([&](Operation *) -> R {
          op->emitError() << "the Halide back end cannot lower '"
                          << op->getName() << "'";
          return std::nullopt;
        });
  }
};

template <typename T>
View bufferView(DenseElementsAttr dense, const std::string &name) {
  ArrayRef<int64_t> shape = dense.getType().getShape();
  std::vector<int> sizes(shape.rbegin(), shape.rend());
  H::Buffer<T> buf(sizes, name);
  T *dst = buf.data();
  for (auto x : dense.getValues<T>())
    *dst++ = x;
  View v;
  v.extents = extentsOf(shape, H::Expr());
  v.at = [buf](const Index &idx) { return buf(reversed(idx)); };
  return v;
}

View constantView(ConstantOp c, const std::string &name) {
  auto dense = cast<DenseElementsAttr>(c.getValue());
  Type e = dense.getElementType();
  if (dense.isSplat()) {
    H::Expr x = e.isF32()            ? H::Expr(dense.getSplatValue<float>())
                : e.isInteger(32) ? H::Expr(dense.getSplatValue<int32_t>())
                                  : H::cast<bool>(dense.getSplatValue<bool>());
    View v;
    v.extents = extentsOf(dense.getType().getShape(), H::Expr());
    v.at = [x](const Index &) { return x; };
    return v;
  }
  if (e.isF32())
    return bufferView<float>(dense, name);
  if (e.isInteger(32))
    return bufferView<int32_t>(dense, name);
  return bufferView<bool>(dense, name);
}

} // namespace

std::optional<KernelPipeline> buildKernel(const KernelPlan &kernel,
                                          const H::Target &target) {
  Operation *op = kernel.op;
  const std::string &p = kernel.name;
  KernelPipeline kp;
  kp.batch = H::Param<int32_t>(p + "_batch");
  H::Param<int32_t> batch = kp.batch;
  std::vector<View> views;
  int inputs = 0;
  for (auto [i, v] : llvm::enumerate(op->getOperands())) {
    if (auto c = v.getDefiningOp<ConstantOp>()) {
      views.push_back(constantView(c, p + "_c" + std::to_string(i)));
      continue;
    }
    ArrayRef<int64_t> shape = shapeOf(v);
    H::ImageParam img(halideType(v.getType()), shape.size(),
                      p + "_in" + std::to_string(inputs++));
    constrainDims([&](int d) { return img.dim(d); }, shape, batch);
    kp.args.push_back(img);
    kp.inputs.push_back(img);
    View view;
    view.extents = extentsOf(shape, batch);
    view.at = [img](const Index &idx) { return img(reversed(idx)); };
    views.push_back(std::move(view));
  }
  if (kernel.usesBatch)
    kp.args.push_back(batch);

  ArrayRef<int64_t> result = shapeOf(op->getResult(0));
  Lowering l{op, views, result, batch, p + "_out",
             target.natural_vector_size<float>()};
  std::optional<H::Func> out = l.lower();
  if (!out)
    return std::nullopt;
  constrainDims([&](int d) { return out->output_buffer().dim(d); }, result,
                batch);
  kp.output = *out;
  return kp;
}

} // namespace kiln::hl
