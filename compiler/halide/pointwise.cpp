//===- pointwise.cpp - elementwise ops and reductions ---------------------===//
//
// The ops without a template of their own: elementwise arithmetic, random
// masks, comparisons and casts, reductions, shape moves, softmax and the
// losses; and the helpers every family uses (views, indices, constants).
//
// Pointwise schedule: vectorize the innermost dim; parallelise the outer
// loop when the output has at least 4096 elements at batch 128 (tasks of
// about 2048 elements; the runtime's spinning pool makes that pay). A
// reduction read inside a kernel is computed once, vectorized over its own
// innermost dim with the reduction loop inside (a bias gradient sums a
// vector of columns per instruction while the rows stream by); its domain
// runs innermost dim first. A softmax's row statistics are computed once per
// kernel and shared by the loss and its gradient.
//
// Split sums (SplitSum, scheduleSplitSums): a sum over the batch that keeps
// some dim (bias gradients; batch norm's Σdy and Σdy·x̂ into C channels) is
// cut into batchSlices() slices summed in parallel, each part's row on its
// own cache line, and the result adds them. Without it one thread did all of
// batch norm's gradient sums. Sums of one kernel over the same loops share a
// loop nest (compute_with; their loop variables are named alike for it). On
// the GPU the slices are enough for about 2^18 partial threads (conv1's bias
// gradient: 32 sums × 128 slices of one sample, where 4 slices left 128
// threads summing 25,088 values each), and a sum of a whole tensor of 4,096
// elements or more is split along its first dim too (one thread summing
// fc1's 401,408 squares took 70% of the MLP's step on an H100).
//
// Division by a scalar (Adam's bias corrections, a mean's count) is a
// multiplication by its reciprocal: a divide costs about ten multiplies.
// With floatType Float(64) (a kernel's float64 twin for grad-check) every
// f32 tensor computes in double.
//
//===----------------------------------------------------------------------===//
#include "compiler/halide/lowering.h"
#include "dialects/nn/dropout_mask.h"
#include "dialects/nn/shape.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace kiln::nn;

namespace kiln::hl {

Index reversed(const Index &idx) { return Index(idx.rbegin(), idx.rend()); }

ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

/// The type f32 tensors compute in: Float(32), or Float(64) while a
/// kernel's float64 variant is built (grad-check's reference gradient).
/// Set by buildKernel for the kernel it builds.
thread_local H::Type floatType = H::Float(32);

/// A constant of the float type (a float literal would be f32 whatever the
/// pipeline's precision, and Halide refuses mixed selects and updates).
H::Expr fconst(double v) { return H::Internal::make_const(floatType, v); }

/// f32 → floatType, i32 → Int(32), i1 → Bool (one byte per element).
H::Type halideType(Type t) {
  Type e = cast<RankedTensorType>(t).getElementType();
  if (e.isF32())
    return floatType;
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

/// `rank` Vars (Halide order) and the same as an MLIR-order index.
std::vector<H::Var> makeVars(const std::string &name, int rank, Index &idx) {
  std::vector<H::Var> vars;
  for (int i = 0; i < rank; ++i)
    vars.emplace_back(name + "_v" + std::to_string(i));
  idx.assign(rank, H::Expr());
  for (int d = 0; d < rank; ++d)
    idx[d] = vars[rank - 1 - d];
  return vars;
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
  return H::cast(floatType, n);
}

/// Slices of a split sum on the CPU, as for split-K matmuls (kSplitKParts).
constexpr int kSplitSumParts = 4;
/// On the GPU, a sum over the batch into a few outputs (a bias or filter
/// gradient) is cut into enough slices that its partials fill the GPU
/// (about this many threads, each summing fewer samples): four slices of
/// the batch gave conv1's 32 bias sums 128 threads of 25,088 additions,
/// serial in each.
constexpr int64_t kGpuPartialThreads = 1 << 18;
/// At most this many slices (one sample each at batch 128); the outputs
/// add them up, a load in flight per slice.
constexpr int kGpuMaxParts = 128;

/// A sum of a whole tensor of at least this many elements is split on the
/// GPU (smaller ones, a bias's, cost one thread less than a launch).
constexpr int64_t kGpuWholeSplitElements = 1 << 12;

/// Slices of the batch for a split reduction into a result of `shape`: the
/// CPU's fixed count, or the GPU's (see kGpuPartialThreads).
int batchSlices(ArrayRef<int64_t> shape, bool gpu) {
  if (!gpu || ShapedType::isDynamicShape(shape))
    return kSplitSumParts;
  int64_t outputs = std::max<int64_t>(ShapedType::getNumElements(shape), 1);
  int64_t parts = (kGpuPartialThreads + outputs - 1) / outputs;
  return static_cast<int>(
      std::clamp<int64_t>(parts, kSplitSumParts, kGpuMaxParts));
}
/// Floats per cache line.
constexpr int kCacheLineFloats = 16;
/// The prefix of a split sum's loop variables, the same in every op.
const std::string kSplitSumName = "split";

/// The hash inputs of dropout and noise: the seed operand (#1, the step
/// count) and the element's coordinates, as UInt(32).
H::Expr Lowering::randomSeed() {
  return H::cast<uint32_t>(H::cast<int32_t>(operand(1)));
}

Index Lowering::randomCoords() {
  Index coords;
  for (const H::Expr &i : idx)
    coords.push_back(H::cast<uint32_t>(i));
  return coords;
}

/// RDom over `axes` of operand `i` (undefined when there are none); fills
/// `full` with an index into that operand where reduced dims take the
/// RDom's variables and the others the result's. Reduced dims from
/// `keptFrom` on stay in the result (size 1); earlier ones are dropped.
/// The RDom runs innermost dim first, so the reduction streams through
/// memory. With `split`, a reduction over the batch (axis 0) whose result
/// keeps some dim is cut into batchSlices() slices of the batch: `full`
/// then depends on `sumPart`, and sum() builds the parallel partials.
H::RDom Lowering::reduceOver(unsigned i, ArrayRef<int64_t> axes, int keptFrom,
                             Index &full, bool split) {
  isReduction = true;
  int inRank = in[i].extents.size();
  sumCount = product(in[i].extents, axes);
  SmallVector<int64_t> sorted(axes);
  llvm::sort(sorted);
  axes = sorted;
  // On the GPU a sum of a whole tensor is split along its first dim too:
  // unsplit, one thread makes every addition (fc1's L2 penalty took 70%
  // of the MLP's step on an H100). The CPU sums it vectorized, unsplit.
  ArrayRef<int64_t> inShape = shapeOf(op->getOperand(i));
  bool whole = static_cast<int>(axes.size()) == inRank;
  bool bigWhole =
      gpu && whole &&
      (ShapedType::isDynamicShape(inShape) ||
       ShapedType::getNumElements(inShape) >= kGpuWholeSplitElements);
  bool splitBatch =
      split && !axes.empty() && axes.front() == 0 && (!whole || bigWhole);
  int parts = batchSlices(result, gpu);
  if (bigWhole && !ShapedType::isDynamic(inShape[0]))
    parts = std::min<int64_t>(parts, inShape[0]);
  H::Expr slice =
      splitBatch ? (in[i].extents[0] + (parts - 1)) / parts : H::Expr();
  std::vector<H::Range> ranges;
  for (int64_t a : llvm::reverse(axes))
    ranges.emplace_back(0, a == 0 && splitBatch ? slice : in[i].extents[a]);
  // A split sum's loops carry the same names in every op (see
  // scheduleSplitSums: compute_with pairs loops by name).
  std::string rName = splitBatch ? kSplitSumName + "_r" : name + "_r";
  H::RDom r = ranges.empty() ? H::RDom() : H::RDom(ranges, rName);
  full.assign(inRank, H::Expr());
  unsigned resultDim = 0;
  for (int d = 0; d < inRank; ++d) {
    auto at = llvm::find(axes, d);
    if (at == axes.end()) {
      full[d] = idx[resultDim++];
      continue;
    }
    full[d] = r[axes.size() - 1 - (at - axes.begin())];
    if (d >= keptFrom)
      ++resultDim;
  }
  splitSum.reset();
  if (splitBatch) {
    SplitSum s;
    s.part = H::Var(kSplitSumName + "_part");
    H::Expr n = s.part * slice + full[0];
    r.where(n < in[i].extents[0]);
    // Bounds inference does not see the predicate (it involves the
    // part): clamp too, so the last slice reads inside the operand.
    full[0] = H::min(n, in[i].extents[0] - 1);
    s.r = r;
    s.parts = parts;
    splitSum = s;
  }
  return r;
}

/// Σ e over the domain reduceOver built: an inline sum, or, split, the
/// sum of the slices' partial sums (each a Func over the result's dims
/// and the part, scheduled in parallel by the kernel).
H::Expr Lowering::sum(H::Expr e, const H::RDom &r) {
  if (!splitSum || !r.defined())
    return reduceExpr(Reduce::Sum, e, r, name + "_sum");
  bool varies = false;
  for (int d = 0; d < r.dimensions(); ++d)
    varies |= H::Internal::expr_uses_var(e, r[d].name());
  if (!varies) {
    splitSum.reset();
    return e * sumCount;
  }
  SplitSum &s = *splitSum;
  s.partial = H::Func(name + "_partial");
  std::vector<H::Var> pv;
  std::map<std::string, H::Expr> rename;
  for (const H::Var &v : vars) {
    pv.emplace_back(kSplitSumName + "_v" + std::to_string(pv.size()));
    rename[v.name()] = pv.back();
  }
  pv.push_back(s.part);
  s.partial(pv) = fconst(0);
  s.partial(pv) += H::Internal::substitute(rename, e);
  s.shape.assign(result.begin(), result.end());
  std::vector<H::Expr> at(vars.begin(), vars.end());
  at.push_back(0);
  H::Expr total = s.partial(at);
  for (int p = 1; p < s.parts; ++p) {
    at.back() = p;
    total += s.partial(at);
  }
  return total;
}

H::Func Lowering::reduce(ArrayRef<int64_t> axes, bool keepdims, bool mean) {
  begin();
  Index full;
  H::RDom r = reduceOver(0, axes, keptFrom(keepdims), full, true);
  H::Expr s = sum(in[0].at(full), r);
  out(vars) = mean ? s / product(in[0].extents, axes) : s;
  return out;
}

H::Func Lowering::reduceMax(ArrayRef<int64_t> axes, bool keepdims) {
  begin();
  Index full;
  H::RDom r = reduceOver(0, axes, keptFrom(keepdims), full);
  out(vars) = reduceExpr(Reduce::Max, in[0].at(full), r, name + "_max");
  return out;
}

H::Func Lowering::sumTo() {
  // Reduce over the broadcast axes, keeping size-1 dims the result has
  // (the leading dims it lacks are dropped).
  ArrayRef<int64_t> big = shapeOf(op->getOperand(0));
  SmallVector<int64_t> axes = broadcastAxes(result, big);
  begin();
  Index full;
  H::RDom r = reduceOver(0, axes, big.size() - result.size(), full, true);
  out(vars) = sum(in[0].at(full), r);
  return out;
}

H::Func Lowering::reshape() {
  // Row-major flat index of the result element, unflattened into the
  // input. Leading dims the two shapes share (the batch) index directly:
  // [N,3136] -> [N,7,7,64] needs no division, which matters when the
  // reshape is inlined into a gather (max pooling's gradient).
  Index outExt = extentsOf(result, batch);
  ArrayRef<int64_t> from = shapeOf(op->getOperand(0));
  begin();
  size_t common = 0;
  while (common < from.size() && common < result.size() &&
         from[common] == result[common])
    ++common;
  H::Expr flat = 0;
  for (int d = common; d < rank(); ++d)
    flat = flat * outExt[d] + idx[d];
  const Index &inExt = in[0].extents;
  Index src(inExt.size());
  for (size_t d = 0; d < common; ++d)
    src[d] = idx[d];
  for (int d = static_cast<int>(inExt.size()) - 1;
       d >= static_cast<int>(common); --d) {
    src[d] = d == static_cast<int>(common) ? flat : flat % inExt[d];
    flat = flat / inExt[d];
  }
  out(vars) = in[0].at(src);
  return out;
}

H::Func Lowering::loss(bool bce) {
  begin();
  Index full;
  SmallVector<int64_t> all =
      llvm::to_vector(llvm::seq<int64_t>(0, in[0].extents.size()));
  H::RDom r = reduceOver(0, all, keptFrom(false), full);
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

H::Func Lowering::bceGrad() {
  SmallVector<int64_t> all = llvm::to_vector(llvm::seq<int64_t>(0, rank()));
  H::Expr n = product(in[0].extents, all);
  return pointwise([&] {
    H::Expr a = in[0].at(idx), y = in[1].at(idx), dl = in[2].at({});
    return dl * (a - y) / H::max(a * (1.0f - a), 1e-12f) / n;
  });
}

H::Func Lowering::compare(ComparePredicate p) {
  return pointwise([&]() -> H::Expr {
    H::Expr a = operand(0), b = operand(1);
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
    llvm_unreachable("unknown predicate");
  });
}

H::Func Lowering::castTo(Type resultType) {
  H::Type t = halideType(resultType);
  return pointwise([&] {
    H::Expr x = operand(0);
    return t.is_bool() ? H::Expr(x != H::Internal::make_zero(x.type()))
                       : H::cast(t, x);
  });
}

H::Func Lowering::transpose(ArrayRef<int64_t> perm) {
  begin();
  Index src(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    src[p] = idx[i];
  out(vars) = in[0].at(src);
  return out;
}

H::Func Lowering::concat(int64_t axis) {
  // Each operand is read at a clamped index so bounds inference never
  // reaches outside it; the select picks the operand that owns idx[axis].
  begin();
  H::Expr offset = 0;
  std::vector<std::pair<H::Expr, H::Expr>> pieces; // (end, value)
  for (auto &view : in) {
    H::Expr extent = view.extents[axis];
    Index at = idx;
    at[axis] = H::clamp(idx[axis] - offset, 0, extent - 1);
    pieces.emplace_back(offset + extent, view.at(at));
    offset = offset + extent;
  }
  H::Expr value = pieces.back().second;
  for (int i = static_cast<int>(pieces.size()) - 2; i >= 0; --i)
    value = H::select(idx[axis] < pieces[i].first, pieces[i].second, value);
  out(vars) = value;
  return out;
}

H::Func Lowering::slice(SliceOp op) {
  begin();
  Index src(rank());
  for (int d = 0; d < rank(); ++d)
    src[d] = static_cast<int32_t>(op.getStarts()[d]) +
             idx[d] * static_cast<int32_t>(op.getStrides()[d]);
  out(vars) = in[0].at(src);
  return out;
}

H::Func Lowering::pad(PadOp op) {
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
  out(vars) = H::select(inside, in[0].at(src), fconst(0));
  return out;
}

H::Func Lowering::oneHot() {
  begin();
  Index rest(idx.begin(), idx.end() - 1);
  H::Expr cls = idx.back();
  out(vars) = H::select(in[0].at(rest) == cls, fconst(1), fconst(0));
  return out;
}

H::Func Lowering::argmax(ArgmaxOp op) {
  begin();
  isReduction = true;
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

SliceStats Lowering::sliceStats(unsigned i, int64_t axis) {
  auto key = std::make_pair(op->getOperand(i).getAsOpaquePointer(), axis);
  if (auto it = stats.find(key); it != stats.end())
    return it->second;
  int r = static_cast<int>(in[i].extents.size());
  std::vector<H::Var> v;
  for (int d = 0; d < r - 1; ++d)
    v.emplace_back(name + "_s" + std::to_string(d));
  Index slice; // MLIR order: Halide Var r-2-d is MLIR dim d
  for (int d = 0; d < r - 1; ++d)
    slice.push_back(v[r - 2 - d]);
  Index full(slice);
  H::RDom k(0, in[i].extents[axis], name + "_k");
  full.insert(full.begin() + axis, k.x);
  SliceStats s;
  s.axis = axis;
  auto operandShape =
      cast<RankedTensorType>(op->getOperand(i).getType()).getShape();
  s.shape.assign(operandShape.begin(), operandShape.end());
  s.shape.erase(s.shape.begin() + axis);
  s.max = H::Func(name + "_rowmax");
  s.sum = H::Func(name + "_rowsum");
  s.max(v) = H::maximum(in[i].at(full));
  s.sum(v) = H::sum(H::exp(in[i].at(full) - s.max(v)));
  stats[key] = s;
  return s;
}

H::Func Lowering::softmax(int64_t axis, bool log) {
  SliceStats st = sliceStats(0, axis);
  begin();
  Index slice = reversed(st.drop(idx));
  H::Expr shifted = in[0].at(idx) - st.max(slice);
  H::Expr total = st.sum(slice);
  out(vars) = log ? shifted - H::log(total) : H::exp(shifted) / total;
  return out;
}

H::Func Lowering::softmaxCrossEntropy() {
  // mean over samples of log Σ exp(z) − z[label] (max subtracted)
  int64_t axis = static_cast<int64_t>(in[0].extents.size()) - 1;
  SliceStats st = sliceStats(0, axis);
  begin();
  isReduction = true;
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
  H::Expr lse = st.max(reversed(row)) + H::log(st.sum(reversed(row)));
  H::Expr term = lse - in[0].at(picked);
  SmallVector<int64_t> all =
      llvm::to_vector(llvm::seq<int64_t>(0, labelExt.size()));
  out() = reduceExpr(Reduce::Sum, term, rows, name + "_total") /
          product(labelExt, all);
  return out;
}

std::optional<H::Func> Lowering::lowerPointwise() {
  using R = std::optional<H::Func>;
  return llvm::TypeSwitch<Operation *, R>(op)
      .Case([&](AddOp) {
        return pointwise([&] { return operand(0) + operand(1); });
      })
      .Case([&](SubOp) {
        return pointwise([&] { return operand(0) - operand(1); });
      })
      .Case([&](MulOp) {
        return pointwise([&] { return operand(0) * operand(1); });
      })
      .Case([&](DivOp d) {
        // By a scalar (Adam's bias corrections, a mean's count): one
        // reciprocal and a multiply per element instead of a divide,
        // which costs ~10x a multiply and does not pipeline as well.
        auto rhs = cast<ShapedType>(d.getRhs().getType());
        auto res = cast<ShapedType>(d.getType());
        bool scalar = rhs.hasStaticShape() && rhs.getNumElements() == 1 &&
                      !(res.hasStaticShape() && res.getNumElements() == 1);
        return pointwise([&] {
          return scalar ? operand(0) * (1.0f / operand(1))
                        : operand(0) / operand(1);
        });
      })
      .Case([&](NegOp) { return pointwise([&] { return -operand(0); }); })
      .Case(
          [&](ExpOp) { return pointwise([&] { return H::exp(operand(0)); }); })
      .Case(
          [&](LogOp) { return pointwise([&] { return H::log(operand(0)); }); })
      .Case([&](SigmoidOp) {
        return pointwise([&] { return 1.0f / (1.0f + H::exp(-operand(0))); });
      })
      .Case([&](SqrtOp) {
        return pointwise([&] { return H::sqrt(operand(0)); });
      })
      .Case(
          [&](AbsOp) { return pointwise([&] { return H::abs(operand(0)); }); })
      .Case([&](SignOp) {
        return pointwise([&] {
          H::Expr x = operand(0);
          return H::select(x > 0.0f, fconst(1),
                           H::select(x < 0.0f, fconst(-1), fconst(0)));
        });
      })
      .Case(
          [&](SinOp) { return pointwise([&] { return H::sin(operand(0)); }); })
      .Case(
          [&](CosOp) { return pointwise([&] { return H::cos(operand(0)); }); })
      .Case([&](ReluOp) {
        return pointwise([&] { return H::max(operand(0), 0.0f); });
      })
      .Case([&](GaussianNoiseOp g) {
        float sd = static_cast<float>(g.getStddev().convertToDouble());
        auto salt = static_cast<uint32_t>(g.getSalt());
        return pointwise([&] {
          H::Expr z = gaussianDraw<H::Expr, H::Expr>(
              randomSeed(), H::Expr(salt), randomCoords(),
              [](H::Expr v) { return H::cast(floatType, v); },
              [](H::Expr v) { return H::sqrt(v); },
              [](H::Expr v) { return H::log(v); },
              [](H::Expr v) { return H::cos(v); });
          return operand(0) + sd * z;
        });
      })
      .Case([&](DropoutOp d) {
        double rate = d.getRate().convertToDouble();
        uint32_t threshold = dropoutThreshold(rate);
        float scale = 1.0f / (1.0f - static_cast<float>(rate));
        auto salt = static_cast<uint32_t>(d.getSalt());
        return pointwise([&] {
          H::Expr h =
              dropoutHash<H::Expr>(randomSeed(), H::Expr(salt), randomCoords());
          return H::select((h >> H::Expr(8u)) >= H::Expr(threshold),
                           operand(0) * scale, fconst(0));
        });
      })
      .Case([&](SoftmaxOp s) { return softmax(s.getAxis(), false); })
      .Case([&](LogSoftmaxOp s) { return softmax(s.getAxis(), true); })
      .Case([&](SoftmaxCrossEntropyOp) { return softmaxCrossEntropy(); })
      .Case([&](PowOp) {
        return pointwise([&] { return H::pow(operand(0), operand(1)); });
      })
      .Case([&](MaximumOp) {
        return pointwise([&] { return H::max(operand(0), operand(1)); });
      })
      .Case([&](MinimumOp) {
        return pointwise([&] { return H::min(operand(0), operand(1)); });
      })
      .Case([&](CompareOp c) { return compare(c.getPredicate()); })
      .Case([&](SelectOp) {
        return pointwise(
            [&] { return H::select(operand(0), operand(1), operand(2)); });
      })
      .Case([&](CastOp c) { return castTo(c.getType()); })
      .Case([&](ReduceMaxOp r) {
        return reduceMax(r.getAxes(), r.getKeepdims());
      })
      .Case([&](TransposeOp t) { return transpose(t.getPermutation()); })
      .Case([&](ConcatOp c) { return concat(c.getAxis()); })
      .Case([&](SliceOp sl) { return slice(sl); })
      .Case([&](PadOp p) { return pad(p); })
      .Case([&](OneHotOp) { return oneHot(); })
      .Case([&](ArgmaxOp a) { return argmax(a); })
      .Case(
          [&](BroadcastToOp) { return pointwise([&] { return operand(0); }); })
      .Case([&](ReduceSumOp r) {
        return reduce(r.getAxes(), r.getKeepdims(), false);
      })
      .Case([&](ReduceMeanOp r) {
        return reduce(r.getAxes(), r.getKeepdims(), true);
      })
      .Case([&](SumToOp) { return sumTo(); })
      .Case([&](ReshapeOp) { return reshape(); })
      .Case([&](ElementCountOp c) {
        begin();
        out() = product(in[0].extents, c.getAxes());
        return out;
      })
      .Case([&](TrainEvalOp) { return pointwise([&] { return operand(0); }); })
      .Case([&](MseOp) { return loss(false); })
      .Case([&](BinaryCrossEntropyOp) { return loss(true); })
      .Case([&](BinaryCrossEntropyGradOp) { return bceGrad(); })
      .Default([&](Operation *) -> R {
        op->emitError() << "the Halide back end cannot lower '" << op->getName()
                        << "'";
        return std::nullopt;
      });
}

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
    H::Expr x = e.isF32()         ? fconst(dense.getSplatValue<float>())
                : e.isInteger(32) ? H::Expr(dense.getSplatValue<int32_t>())
                                  : H::cast<bool>(dense.getSplatValue<bool>());
    View v;
    v.extents = extentsOf(dense.getType().getShape(), H::Expr());
    v.at = [x](const Index &) { return x; };
    return v;
  }
  if (e.isF32()) {
    View v = bufferView<float>(dense, name);
    if (floatType != H::Float(32))
      v.at = [at = v.at](const Index &idx) {
        return H::cast(floatType, at(idx));
      };
    return v;
  }
  if (e.isInteger(32))
    return bufferView<int32_t>(dense, name);
  return bufferView<bool>(dense, name);
}

/// Vectorize the innermost dim (when wide) and run the outermost loop in
/// parallel when there is enough work to pay for waking a thread. Returns
/// the loop level of one vector (or element) of `f`.
H::LoopLevel schedulePointwise(H::Func f, ArrayRef<int64_t> shape,
                               int vectorWidth) {
  int rank = shape.size();
  if (rank == 0)
    return H::LoopLevel::root();
  std::vector<H::Var> vars;
  for (const H::Var &v : f.args())
    vars.push_back(v);
  int64_t inner = shape.back();
  // The loop over vectors (or elements) of the innermost dim.
  H::Var vo = vars[0];
  int perIteration = 1;
  if (ShapedType::isDynamic(inner) || inner >= vectorWidth) {
    vo = H::Var(f.name() + "_vo");
    H::Var vi(f.name() + "_vi");
    f.split(vars[0], vo, vi, vectorWidth, H::TailStrategy::GuardWithIf)
        .vectorize(vi);
    perIteration = vectorWidth;
  }
  H::LoopLevel element(f, vo);
  // Estimate the work with the planned batch.
  int64_t elements = 1;
  for (int64_t d : shape)
    elements *= ShapedType::isDynamic(d) ? kPlannedBatch : d;
  // The runtime's spinning pool starts a parallel loop in well under a
  // microsecond, so a few thousand elements (an optimizer update of a
  // 784x10 weight) already pay for it.
  constexpr int64_t kParallelElements = 1 << 12, kTaskElements = 1 << 11;
  if (elements < kParallelElements)
    return element;
  if (rank >= 2) {
    int64_t rowElements = elements / (ShapedType::isDynamic(shape[0])
                                          ? kPlannedBatch
                                          : std::max<int64_t>(shape[0], 1));
    int rows = static_cast<int>(std::max<int64_t>(
        1, kTaskElements / std::max<int64_t>(rowElements, 1)));
    f.parallel(vars[rank - 1], rows, H::TailStrategy::GuardWithIf);
  } else {
    H::Var o(f.name() + "_po"), i(f.name() + "_pi");
    f.split(vo, o, i, static_cast<int>(kTaskElements / perIteration),
            H::TailStrategy::GuardWithIf)
        .parallel(o);
    element = H::LoopLevel(f, i);
  }
  return element;
}

/// A split sum's partials (see SplitSum): the slices in parallel, each
/// streaming its samples through the reduction domain (innermost dim
/// first) into an accumulator over the result's dims, vectorized along the
/// innermost. The result is a few channels (in registers) or, for a sum
/// over the batch only, one sample's worth (in L1/L2).
static void scheduleSplitSum(SplitSum &s, int V) {
  H::Func p = s.partial;
  std::vector<H::VarOrRVar> order;
  std::vector<H::Var> args = p.args();
  for (size_t d = 0; d + 1 < args.size(); ++d)
    order.push_back(args[d]);
  for (int d = 0; d < s.r.dimensions(); ++d)
    order.push_back(s.r[d]);
  order.push_back(s.part);
  // Each part's row of accumulators on cache lines of its own: threads
  // adding into one line would pass it back and forth every iteration.
  p.compute_root().parallel(s.part);
  if (!s.shape.empty())
    p.align_storage(args[0], kCacheLineFloats);
  H::Stage u = p.update();
  u.reorder(order).parallel(s.part);
  if (!s.shape.empty() &&
      (ShapedType::isDynamic(s.shape.back()) || s.shape.back() >= V)) {
    p.vectorize(args[0], V, H::TailStrategy::GuardWithIf);
    u.vectorize(args[0], V, H::TailStrategy::GuardWithIf);
  }
}

/// Whether two split sums run over the same loops (result shape and
/// reduction domain) and neither reads the other (a variance of a mean),
/// so one loop nest can compute both.
static bool sameLoops(const SplitSum &a, const SplitSum &b) {
  if (a.shape != b.shape || a.r.dimensions() != b.r.dimensions())
    return false;
  auto reads = [](const SplitSum &user, const SplitSum &used) {
    return H::Internal::find_transitive_calls(user.partial.function())
        .count(used.partial.name());
  };
  if (reads(a, b) || reads(b, a))
    return false;
  for (int d = 0; d < a.r.dimensions(); ++d)
    if (!H::Internal::equal(a.r[d].min(), b.r[d].min()) ||
        !H::Internal::equal(a.r[d].extent(), b.r[d].extent()))
      return false;
  return true;
}

/// Schedules every split sum of a kernel; sums over the same loops (batch
/// norm's gradient sums Σdy and Σdy·x̂ over one N·H·W) share one loop nest,
/// so the operands they have in common stream from memory once.
void scheduleSplitSums(std::vector<SplitSum> &sums, int V) {
  std::vector<SplitSum *> leaders;
  for (SplitSum &s : sums) {
    scheduleSplitSum(s, V);
    auto leader =
        llvm::find_if(leaders, [&](SplitSum *l) { return sameLoops(*l, s); });
    if (leader == leaders.end()) {
      leaders.push_back(&s);
      continue;
    }
    s.partial.update().compute_with((*leader)->partial.update(),
                                    (*leader)->r[0]);
  }
}
} // namespace kiln::hl
