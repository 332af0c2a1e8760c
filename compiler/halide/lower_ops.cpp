//===- lower_ops.cpp - kernels as Halide pipelines ------------------------===//
//
// Each op of a kernel defines Halide Funcs (no schedule); the kernel then
// chooses one schedule for the whole pipeline: the matmul template on the
// output that has the matmul's shape (its epilogue runs per register tile),
// vectorized and parallel loops elsewhere, and every reduction inside the
// kernel computed once rather than inlined into each use.
//
// Tensors are row-major with MLIR's dim 0 outermost; Halide's first Var is
// innermost, so every index list here is in MLIR order and reversed only
// where a Halide Func or buffer is called.
//
//===----------------------------------------------------------------------===//
#include "compiler/halide/lower_ops.h"
#include "dialects/kern/kern_dialect.h"
#include "dialects/nn/dropout_mask.h"
#include "dialects/nn/nn_dialect.h"
#include "dialects/nn/shape.h"

#include "llvm/ADT/TypeSwitch.h"

#include <cstdlib>
#include <map>

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

/// Static extents and strides let Halide check the caller's buffers and
/// specialise the code; a dynamic (batch) dim gets the batch size. Only
/// strides for the second and later buffers of a Tuple output (Halide
/// ties their extents to the first's).
template <typename Dims>
void constrainDims(Dims dimOf, ArrayRef<int64_t> shape, H::Expr batch,
                   bool stridesOnly = false) {
  int rank = shape.size();
  std::optional<int64_t> stride = 1;
  for (int hd = 0; hd < rank; ++hd) { // Halide dim hd = MLIR dim rank-1-hd
    int64_t d = shape[rank - 1 - hd];
    auto dim = dimOf(hd);
    if (!stridesOnly) {
      dim.set_min(0);
      dim.set_extent(
          ShapedType::isDynamic(d) ? batch : H::Expr(static_cast<int32_t>(d)));
    }
    if (stride)
      dim.set_stride(static_cast<int32_t>(*stride));
    if (ShapedType::isDynamic(d))
      stride.reset();
    else if (stride)
      *stride *= d;
  }
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
  return H::cast(floatType, n);
}

/// Per-slice max and Σ exp(x − max) along an axis, as Funcs over the other
/// dims (MLIR order), computed once and shared by every op of the kernel
/// that needs them (the loss and the gradient of a cross-entropy).
struct SliceStats {
  H::Func max, sum;
  int64_t axis;
  SmallVector<int64_t> shape; // of the statistics (the operand's, less axis)
  Index drop(const Index &full) const {
    Index slice(full);
    slice.erase(slice.begin() + axis);
    return slice;
  }
};
using StatsCache = std::map<std::pair<void *, int64_t>, SliceStats>;

/// What a matmul leaves for the kernel's schedule.
struct MatmulParts {
  H::Func prod, panel;
  H::Var x, y, panelX;
  H::RDom r;
  int64_t m = 0, n = 0;
  bool transposedB = false, ragged = false;
  // Aᵀ·B with a narrow static B (a weight gradient with 10 columns):
  // vectorized along A's contiguous rows instead (see scheduleMatmul).
  bool narrowTN = false;
  // Split-K (see Lowering::matmul): `partial` holds one partial sum per
  // slice of the reduction, over the extra pure dim `part`.
  int parts = 0;
  H::Func partial;
  H::Var part;
};

/// What a convolution leaves for the kernel's schedule. Forward and input
/// gradient are one template: `prod(v, j, i, n)` sums a window of `staged`
/// (the zero-padded input, or the zero-upsampled output gradient, built
/// once per sample) against `weights`, vectorized along the channels `v`
/// (contiguous in NHWC) and register-tiled along the width `j`. The filter
/// gradient sums over every sample's pixels: `inner` per sample, `partial`
/// per slice of the batch (in parallel), the result their sum.
struct ConvParts {
  enum class Kind { Forward, InputGrad, FilterGrad } kind = Kind::Forward;
  H::Func prod, staged, weights, inner, partial;
  H::Var v, j, i, n, part;
  H::RDom r, rn;
  int64_t vectorExtent = 0; // the vectorized channels: F, C or F
  int64_t width = 0;        // j's extent (the output width), forward only
  bool ragged = false;      // vectorExtent is not a whole number of vectors
  bool grouped = false;     // groups > 1: channels gather across groups
  int parts = 0;            // filter gradient: slices of the batch
};

/// Slices of the reduction a split-K matmul computes in parallel. Four
/// keeps 2 and 4 threads busy, and with the runtime's pool (each thread
/// starts on its own contiguous share) thread t sums the batch rows it
/// gathered itself.
constexpr int kSplitKParts = 4;
/// Largest result a split-K matmul is used for (its partials stay in L2).
constexpr int64_t kSplitKMaxElements = 1 << 14;
/// Smallest: below it the whole product takes a few microseconds and the
/// two parallel loops cost more than they save (256x128x10 on 2 Zen 4
/// cores: 61 GFLOP/s split, 125 not).
constexpr int64_t kSplitKMinElements = 1 << 12;

/// A sum over the batch cut into slices: `partial(result dims..., part)`
/// sums slice `part` over the domain `r` (the batch slice outermost); the
/// reduction is the sum of the parts. Bias and batch-norm gradients reduce
/// N·H·W elements into a few channels: without the split one thread does it.
struct SplitSum {
  H::Func partial;
  H::Var part;
  H::RDom r;
  int parts = 0;
  SmallVector<int64_t> shape; // of the result
};

/// Threads per block along each of the two dims a GPU template tiles (the
/// generic schedule: kGpuTile² along its one fused dim).
constexpr int kGpuTile = 16;

/// On the GPU a matmul with few output tiles splits its reduction until
/// there are about this many blocks (4 resident per SM fill an H100's 132)...
constexpr int64_t kGpuSplitKBlocks = 512;
/// ...in slices of at least this many products, at most this many slices.
constexpr int64_t kGpuSplitKMinSlice = 256;
constexpr int kGpuSplitKMaxParts = 8;
/// The rows a GPU matmul is planned for when they are the batch (dynamic).
/// A larger batch has blocks enough without the split, which then costs it
/// one more pass over the result.
constexpr int64_t kGpuPlannedRows = kPlannedBatch;

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

/// Columns of the GPU matmul template's register tile for a result n
/// wide: one for a narrow result (10 classes), else two. Rows: two.
int gpuMatmulTileCols(int64_t n) {
  return !ShapedType::isDynamic(n) && n <= kGpuTile ? 1 : 2;
}
constexpr int kGpuMatmulTileRows = 2;

/// Slices of a GPU matmul's reduction over K (1: unsplit) for an m × n
/// result in scheduleMatmulGpu's blocks: at batch 128, fc1's 128 blocks
/// each made all 3,136 products, a quarter of the H100's resident blocks.
int gpuSplitK(int64_t m, int64_t n, int64_t k) {
  if (ShapedType::isDynamic(n) || ShapedType::isDynamic(k))
    return 1;
  if (ShapedType::isDynamic(m))
    m = kGpuPlannedRows;
  int64_t cols = kGpuTile * gpuMatmulTileCols(n);
  int64_t rows = kGpuTile * kGpuMatmulTileRows;
  int64_t blocks = ((n + cols - 1) / cols) * ((m + rows - 1) / rows);
  int64_t parts = (kGpuSplitKBlocks + blocks - 1) / blocks;
  parts =
      std::min<int64_t>({parts, k / kGpuSplitKMinSlice, kGpuSplitKMaxParts});
  return static_cast<int>(std::max<int64_t>(parts, 1));
}

/// Defines one op's Func from its operands' views. No schedules here:
/// the kernel schedules its pipeline as a whole.
struct Lowering {
  Operation *op;
  std::vector<View> &in;
  ArrayRef<int64_t> result; // result shape
  H::Expr batch;
  std::string name;
  int vectorWidth;
  StatsCache &stats;
  MatmulParts &mm;
  ConvParts &cv;
  // Kiln's GPU schedule: its templates compute whole register tiles, past
  // the result's last rows and channels, which read the inputs' last ones.
  bool gpu;

  std::vector<H::Var> vars;
  Index idx;
  H::Func out;
  bool isReduction = false; // holds an inline reduction: never inline it
  // Max pooling's winning tap per window, over the pooled shape.
  std::vector<std::pair<H::Func, SmallVector<int64_t>>> picks;
  // The batch-split sum of the reduction being built (see reduceOver).
  std::optional<SplitSum> splitSum;
  H::Expr sumCount; // elements each result element sums

  int rank() const { return result.size(); }
  static int keptFrom(bool keepdims) {
    return keepdims ? 0 : std::numeric_limits<int>::max();
  }

  H::Func begin() {
    vars = makeVars(name, rank(), idx);
    out = H::Func(name);
    return out;
  }

  H::Expr operand(unsigned i) {
    return in[i].at(broadcastIndex(shapeOf(op->getOperand(i)), result, idx));
  }

  /// The hash inputs of dropout and noise: the seed operand (#1, the step
  /// count) and the element's coordinates, as UInt(32).
  H::Expr randomSeed() {
    return H::cast<uint32_t>(H::cast<int32_t>(operand(1)));
  }
  Index randomCoords() {
    Index coords;
    for (const H::Expr &i : idx)
      coords.push_back(H::cast<uint32_t>(i));
    return coords;
  }

  template <typename F> H::Func pointwise(F f) {
    begin();
    out(vars) = f();
    return out;
  }

  /// RDom over `axes` of operand `i` (undefined when there are none); fills
  /// `full` with an index into that operand where reduced dims take the
  /// RDom's variables and the others the result's. Reduced dims from
  /// `keptFrom` on stay in the result (size 1); earlier ones are dropped.
  /// The RDom runs innermost dim first, so the reduction streams through
  /// memory. With `split`, a reduction over the batch (axis 0) whose result
  /// keeps some dim is cut into batchSlices() slices of the batch: `full`
  /// then depends on `sumPart`, and sum() builds the parallel partials.
  H::RDom reduceOver(unsigned i, ArrayRef<int64_t> axes, int keptFrom,
                     Index &full, bool split = false) {
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
  H::Expr sum(H::Expr e, const H::RDom &r) {
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

  H::Func matmul(MatmulOp op) {
    // C(x, y) = Σ_k a(k, y) · b(x, k), x the column (innermost), y the row.
    begin();
    bool ta = op.getTransposeLhs(), tb = op.getTransposeRhs();
    H::Expr kExtent = ta ? in[0].extents[0] : in[0].extents[1];
    mm.r = H::RDom(0, kExtent, name + "_k");
    mm.m = result[0];
    mm.n = result[1];
    mm.transposedB = tb;
    // A narrow result (n not a multiple of the vector width, e.g. 10
    // classes): the accumulator rounds up to whole vectors, reading B's
    // columns clamped, and only the copy into the result is guarded.
    mm.ragged = !ShapedType::isDynamic(mm.n) && mm.n % vectorWidth != 0;
    mm.narrowTN = ta && !tb && !ShapedType::isDynamic(mm.n) &&
                  mm.n < vectorWidth && !ShapedType::isDynamic(mm.m) &&
                  mm.m >= 2 * vectorWidth;
    H::Expr rows = ta ? in[0].extents[1] : in[0].extents[0];
    auto a = [&](H::Expr k, H::Expr row) {
      if (gpu)
        row = H::min(row, rows - 1);
      return ta ? in[0].at({k, row}) : in[0].at({row, k});
    };
    // b(x, k): with B transposed its columns are strided, so the schedule
    // packs a transposed panel once per column block.
    mm.panel = H::Func(name + "_bpanel");
    mm.panelX = H::Var(name + "_bx");
    H::Var bk(name + "_bk");
    H::Expr cols = tb ? in[1].extents[0] : in[1].extents[1];
    H::Expr col =
        mm.ragged || gpu ? H::min(mm.panelX, cols - 1) : H::Expr(mm.panelX);
    mm.panel(mm.panelX, bk) = tb ? in[1].at({col, bk}) : in[1].at({bk, col});
    mm.prod = H::Func(name + "_prod");
    mm.x = H::Var(name + "_px");
    mm.y = H::Var(name + "_py");
    // A small result reduced over the batch (a weight gradient such as
    // 784x10 = xᵀ·dZ) has too few output tiles to share between threads
    // without every thread reading the whole batch: split the reduction
    // instead, each thread summing a slice of the rows into a partial.
    // (On the GPU every output element has its own thread anyway.)
    ArrayRef<int64_t> lhs = shapeOf(op.getLhs());
    int gpuParts = gpu ? gpuSplitK(mm.m, mm.n, ta ? lhs[0] : lhs[1]) : 1;
    bool splitK =
        gpuParts > 1 ||
        (!gpu && ta && !tb && !ShapedType::isDynamic(mm.m) &&
         !ShapedType::isDynamic(mm.n) && mm.m * mm.n <= kSplitKMaxElements &&
         mm.m * mm.n >= kSplitKMinElements && ShapedType::isDynamic(lhs[0]));
    if (!splitK) {
      mm.prod(mm.x, mm.y) = fconst(0);
      mm.prod(mm.x, mm.y) += a(mm.r.x, mm.y) * mm.panel(mm.x, mm.r.x);
      out(vars) = mm.prod(vars[0], vars[1]);
      return out;
    }
    mm.parts = gpu ? gpuParts : kSplitKParts;
    mm.part = H::Var(name + "_part");
    H::Expr slice = (kExtent + (mm.parts - 1)) / mm.parts;
    mm.r = H::RDom(0, slice, name + "_k");
    H::Expr k = mm.part * slice + mm.r.x;
    mm.r.where(k < kExtent);
    // Bounds inference does not see the predicate (it involves `part`):
    // clamp too, so the last slice's reads stay inside the inputs.
    k = H::min(k, kExtent - 1);
    mm.prod(mm.x, mm.y, mm.part) = fconst(0);
    mm.prod(mm.x, mm.y, mm.part) += a(k, mm.y) * mm.panel(mm.x, k);
    mm.partial = H::Func(name + "_partial");
    mm.partial(mm.x, mm.y, mm.part) = mm.prod(mm.x, mm.y, mm.part);
    H::Expr sum = mm.partial(vars[0], vars[1], 0);
    for (int i = 1; i < mm.parts; ++i)
      sum += mm.partial(vars[0], vars[1], i);
    out(vars) = sum;
    return out;
  }

  H::Func reduce(ArrayRef<int64_t> axes, bool keepdims, bool mean) {
    begin();
    Index full;
    H::RDom r = reduceOver(0, axes, keptFrom(keepdims), full, true);
    H::Expr s = sum(in[0].at(full), r);
    out(vars) = mean ? s / product(in[0].extents, axes) : s;
    return out;
  }

  H::Func reduceMax(ArrayRef<int64_t> axes, bool keepdims) {
    begin();
    Index full;
    H::RDom r = reduceOver(0, axes, keptFrom(keepdims), full);
    out(vars) = reduceExpr(Reduce::Max, in[0].at(full), r, name + "_max");
    return out;
  }

  H::Func sumTo() {
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

  H::Func reshape() {
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

  H::Func loss(bool bce) {
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

  H::Func castTo(Type resultType) {
    H::Type t = halideType(resultType);
    return pointwise([&] {
      H::Expr x = operand(0);
      return t.is_bool() ? H::Expr(x != H::Internal::make_zero(x.type()))
                         : H::cast(t, x);
    });
  }

  H::Func transpose(ArrayRef<int64_t> perm) {
    begin();
    Index src(perm.size());
    for (auto [i, p] : llvm::enumerate(perm))
      src[p] = idx[i];
    out(vars) = in[0].at(src);
    return out;
  }

  H::Func concat(int64_t axis) {
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

  H::Func slice(SliceOp op) {
    begin();
    Index src(rank());
    for (int d = 0; d < rank(); ++d)
      src[d] = static_cast<int32_t>(op.getStarts()[d]) +
               idx[d] * static_cast<int32_t>(op.getStrides()[d]);
    out(vars) = in[0].at(src);
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
    out(vars) = H::select(inside, in[0].at(src), fconst(0));
    return out;
  }

  H::Func oneHot() {
    begin();
    Index rest(idx.begin(), idx.end() - 1);
    H::Expr cls = idx.back();
    out(vars) = H::select(in[0].at(rest) == cls, fconst(1), fconst(0));
    return out;
  }

  H::Func argmax(ArgmaxOp op) {
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
    out(vars) =
        H::cast<int32_t>(H::argmax(in[0].at(full), name + "_argmax")[0]);
    return out;
  }

  SliceStats sliceStats(unsigned i, int64_t axis) {
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

  H::Func softmax(int64_t axis, bool log) {
    SliceStats st = sliceStats(0, axis);
    begin();
    Index slice = reversed(st.drop(idx));
    H::Expr shifted = in[0].at(idx) - st.max(slice);
    H::Expr total = st.sum(slice);
    out(vars) = log ? shifted - H::log(total) : H::exp(shifted) / total;
    return out;
  }

  H::Func softmaxCrossEntropy() {
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

  /// Static int of an MLIR dim.
  static int32_t dim(Value v, int d) {
    return static_cast<int32_t>(shapeOf(v)[d]);
  }

  /// An NHWC operand as a Func over (c, w, h, n), zero outside [0, W) ×
  /// [0, H) when `padded` (convolution padding reads these zeros). With
  /// `clamped`, reads outside come from the nearest edge: the GPU template's
  /// tiles past the output's edge read there (their results are dropped).
  H::Func nhwc(unsigned operand, bool padded, const std::string &tag,
               bool clamped = false) {
    H::Var c(name + tag + "_c"), w(name + tag + "_w"), h(name + tag + "_h"),
        n(name + tag + "_n");
    H::Func f(name + tag);
    Value v = op->getOperand(operand);
    int32_t H_ = dim(v, 1), W = dim(v, 2);
    View view = in[operand];
    if (!padded) {
      f(c, w, h, n) =
          clamped
              ? view.at({n, H::clamp(h, 0, H_ - 1), H::clamp(w, 0, W - 1), c})
              : view.at({n, h, w, c});
      return f;
    }
    H::Expr inside = w >= 0 && w < W && h >= 0 && h < H_;
    f(c, w, h, n) = H::select(
        inside, view.at({n, H::clamp(h, 0, H_ - 1), H::clamp(w, 0, W - 1), c}),
        fconst(0));
    return f;
  }

  template <typename Op> H::Func conv(Op c, ConvParts::Kind kind) {
    begin();
    cv.kind = kind;
    ArrayRef<int64_t> st = c.getStrides(), pad = c.getPadding(),
                      dil = c.getDilation();
    int32_t sh = st[0], sw = st[1], top = pad[0], left = pad[2], dh = dil[0],
            dw = dil[1], groups = c.getGroups();
    bool padded = llvm::any_of(pad, [](int64_t p) { return p != 0; });
    cv.grouped = groups > 1;
    cv.v = H::Var(name + "_pv");
    cv.j = H::Var(name + "_pj");
    cv.i = H::Var(name + "_pi");
    cv.n = H::Var(name + "_pn");
    H::Var &v = cv.v, &j = cv.j, &i = cv.i, &n = cv.n;
    cv.prod = H::Func(name + "_prod");
    if (kind == ConvParts::Kind::Forward) {
      // y(f, j, i, n) = Σ_{c, kw, kh} x(g·cg + c, j·sw + kw·dw − left,
      //                                 i·sh + kh·dh − top, n) · w(f, c, kw,
      //                                 kh)
      Value w = op->getOperand(1);
      int32_t KH = dim(w, 0), KW = dim(w, 1), cg = dim(w, 2), F = dim(w, 3);
      cv.vectorExtent = F;
      cv.width = result[2];
      cv.ragged = F % vectorWidth != 0;
      cv.staged = nhwc(0, padded, "_xpad", /*clamped=*/gpu);
      H::Var wf(name + "_wf"), wc(name + "_wc"), wkw(name + "_wkw"),
          wkh(name + "_wkh");
      cv.weights = H::Func(name + "_w");
      cv.weights(wf, wc, wkw, wkh) = in[1].at(
          {wkh, wkw, wc, cv.ragged || gpu ? H::min(wf, F - 1) : H::Expr(wf)});
      cv.r = H::RDom({{0, cg}, {0, KW}, {0, KH}}, name + "_r");
      H::Expr chan = groups == 1
                         ? H::Expr(cv.r.x)
                         : (H::min(v, F - 1) / (F / groups)) * cg + cv.r.x;
      cv.prod(v, j, i, n) = fconst(0);
      cv.prod(v, j, i, n) += cv.staged(chan, j * sw + cv.r.y * dw - left,
                                       i * sh + cv.r.z * dh - top, n) *
                             cv.weights(v, cv.r.x, cv.r.y, cv.r.z);
      out(vars) = cv.prod(vars[0], vars[1], vars[2], vars[3]);
      return out;
    }
    if (kind == ConvParts::Kind::InputGrad) {
      // dx(c, x, y, n) = Σ_{f, kw, kh} up(f, x + left − kw·dw,
      //                                   y + top − kh·dh, n) · w(f, c, kw, kh)
      // with up(f, q, p, n) = dy(f, q / sw, p / sh, n) on the stride's
      // grid and zero elsewhere (the padding included).
      Value dy = op->getOperand(0), w = op->getOperand(1);
      int32_t OH = dim(dy, 1), OW = dim(dy, 2), KH = dim(w, 0), KW = dim(w, 1),
              cg = dim(w, 2), F = dim(w, 3);
      int32_t C = cg * groups, fg = F / groups;
      cv.vectorExtent = C;
      cv.width = result[2];
      cv.ragged = C % vectorWidth != 0;
      H::Func dyf = nhwc(0, false, "_dy");
      H::Var uf(name + "_uf"), uq(name + "_uq"), up(name + "_up"),
          un(name + "_un");
      H::Expr qs = uq / sw, ps = up / sh;
      H::Expr onGrid = uq >= 0 && up >= 0 && uq % sw == 0 && up % sh == 0 &&
                       qs < OW && ps < OH;
      cv.staged = H::Func(name + "_dyup");
      cv.staged(uf, uq, up, un) = H::select(
          onGrid, dyf(uf, H::clamp(qs, 0, OW - 1), H::clamp(ps, 0, OH - 1), un),
          fconst(0));
      // Transposed weights, channels innermost: packed once per call.
      H::Var tc(name + "_tc"), tf(name + "_tf"), tkw(name + "_tkw"),
          tkh(name + "_tkh");
      cv.weights = H::Func(name + "_wt");
      H::Expr local = groups == 1 ? H::Expr(tc) : tc % cg;
      cv.weights(tc, tf, tkw, tkh) = in[1].at(
          {tkh, tkw, cv.ragged || gpu ? H::min(local, cg - 1) : local, tf});
      cv.r = H::RDom({{0, fg}, {0, KW}, {0, KH}}, name + "_r");
      H::Expr f =
          groups == 1 ? H::Expr(cv.r.x) : (H::min(v, C - 1) / cg) * fg + cv.r.x;
      cv.prod(v, j, i, n) = fconst(0);
      cv.prod(v, j, i, n) +=
          cv.staged(f, j + left - cv.r.y * dw, i + top - cv.r.z * dh, n) *
          cv.weights(v, f, cv.r.y, cv.r.z);
      out(vars) = cv.prod(vars[0], vars[1], vars[2], vars[3]);
      return out;
    }
    // Filter gradient: dw(f, c, kw, kh) = Σ_{n, i, j} dy(f, j, i, n) ·
    //   x(g·cg + c, j·sw + kw·dw − left, i·sh + kh·dh − top, n).
    Value dy = op->getOperand(1);
    int32_t OH = dim(dy, 1), OW = dim(dy, 2), F = dim(dy, 3);
    int32_t cg = result[2], fg = F / groups;
    cv.vectorExtent = F;
    cv.ragged = F % vectorWidth != 0;
    cv.staged = nhwc(0, padded, "_xpad");
    H::Func dyf = nhwc(1, false, "_dy");
    // Here v is f, j is c, i is kw and n is kh; `inner` adds a sample dim.
    H::Var s(name + "_ps");
    cv.inner = H::Func(name + "_inner");
    cv.r = H::RDom({{0, OW}, {0, OH}}, name + "_r");
    H::Expr fv = cv.ragged ? H::min(v, F - 1) : H::Expr(v);
    H::Expr chan = groups == 1 ? H::Expr(j) : (fv / fg) * cg + j;
    cv.inner(v, j, i, n, s) = fconst(0);
    cv.inner(v, j, i, n, s) += dyf(fv, cv.r.x, cv.r.y, s) *
                               cv.staged(chan, cv.r.x * sw + i * dw - left,
                                         cv.r.y * sh + n * dh - top, s);
    cv.parts = batchSlices(result, gpu);
    cv.part = H::Var(name + "_part");
    H::Expr N = in[0].extents[0]; // the batch size, or a static count
    H::Expr slice = (N + (cv.parts - 1)) / cv.parts;
    cv.rn = H::RDom(0, slice, name + "_rn");
    H::Expr sample = cv.part * slice + cv.rn.x;
    cv.rn.where(sample < N);
    cv.partial = H::Func(name + "_partial");
    cv.partial(v, j, i, n, cv.part) = fconst(0);
    cv.partial(v, j, i, n, cv.part) +=
        cv.inner(v, j, i, n, H::min(sample, N - 1));
    H::Expr sum = cv.partial(vars[0], vars[1], vars[2], vars[3], 0);
    for (int p = 1; p < cv.parts; ++p)
      sum += cv.partial(vars[0], vars[1], vars[2], vars[3], p);
    out(vars) = sum;
    return out;
  }

  /// A pooling window in int32 (Halide's index type).
  struct Taps {
    int32_t kh, kw, sh, sw, top, left;
    explicit Taps(const Window &w)
        : kh(w.kh), kw(w.kw), sh(w.sh), sw(w.sw), top(w.top), left(w.left) {}
  };

  /// Tap (a, b) of the window of output (n, i, j, c) on NHWC operand `k`:
  /// whether it lies inside the input (not in the padding), and the index
  /// of the element it reads, clamped into the input.
  std::pair<H::Expr, Index> tap(unsigned k, const Taps &t, const Index &o,
                                H::Expr a, H::Expr b) {
    Value v = op->getOperand(k);
    int32_t H_ = dim(v, 1), W = dim(v, 2);
    H::Expr h = o[1] * t.sh + a - t.top, w = o[2] * t.sw + b - t.left;
    H::Expr inside = h >= 0 && h < H_ && w >= 0 && w < W;
    return {inside,
            {o[0], H::clamp(h, 0, H_ - 1), H::clamp(w, 0, W - 1), o[3]}};
  }

  /// The largest element of output o's window on operand 0 (the padding
  /// never wins).
  H::Expr windowMax(const Taps &t, const Index &o) {
    H::RDom r({{0, t.kw}, {0, t.kh}}, name + "_r");
    auto [inside, at] = tap(0, t, o, r.y, r.x);
    return H::maximum(H::select(inside, in[0].at(at), floatType.min()),
                      name + "_max");
  }

  /// At the first tap (row-major) of output o's window whose operand-0
  /// element equals `best`, pick(a, b, index); `none` if no tap does.
  template <typename Pick>
  H::Expr firstMaxTap(const Taps &t, const Index &o, H::Expr best, H::Expr none,
                      Pick pick) {
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
  H::Func maxPool(MaxPool2dOp p) {
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
  template <typename Op> H::Func poolGrad(Op p, unsigned dyOperand, bool max) {
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

  H::Func avgPool(AvgPool2dOp p) {
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

  std::optional<H::Func> lower() {
    using R = std::optional<H::Func>;
    return llvm::TypeSwitch<Operation *, R>(op)
        .Case([&](MatmulOp mmOp) { return matmul(mmOp); })
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
        .Case([&](ExpOp) {
          return pointwise([&] { return H::exp(operand(0)); });
        })
        .Case([&](LogOp) {
          return pointwise([&] { return H::log(operand(0)); });
        })
        .Case([&](SigmoidOp) {
          return pointwise([&] { return 1.0f / (1.0f + H::exp(-operand(0))); });
        })
        .Case([&](SqrtOp) {
          return pointwise([&] { return H::sqrt(operand(0)); });
        })
        .Case([&](AbsOp) {
          return pointwise([&] { return H::abs(operand(0)); });
        })
        .Case([&](SignOp) {
          return pointwise([&] {
            H::Expr x = operand(0);
            return H::select(x > 0.0f, fconst(1),
                             H::select(x < 0.0f, fconst(-1), fconst(0)));
          });
        })
        .Case([&](SinOp) {
          return pointwise([&] { return H::sin(operand(0)); });
        })
        .Case([&](CosOp) {
          return pointwise([&] { return H::cos(operand(0)); });
        })
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
            H::Expr h = dropoutHash<H::Expr>(randomSeed(), H::Expr(salt),
                                             randomCoords());
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
        .Case([&](BroadcastToOp) {
          return pointwise([&] { return operand(0); });
        })
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
        .Case([&](Conv2dOp c) { return conv(c, ConvParts::Kind::Forward); })
        .Case([&](Conv2dInputGradOp c) {
          return conv(c, ConvParts::Kind::InputGrad);
        })
        .Case([&](Conv2dFilterGradOp c) {
          return conv(c, ConvParts::Kind::FilterGrad);
        })
        .Case([&](MaxPool2dOp p) { return maxPool(p); })
        .Case([&](MaxPool2dGradOp p) { return poolGrad(p, 1, true); })
        .Case([&](AvgPool2dOp p) { return avgPool(p); })
        .Case([&](AvgPool2dGradOp p) { return poolGrad(p, 0, false); })
        .Case(
            [&](TrainEvalOp) { return pointwise([&] { return operand(0); }); })
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
void scheduleSplitSum(SplitSum &s, int V) {
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
bool sameLoops(const SplitSum &a, const SplitSum &b) {
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

/// The register-tiled matmul schedule on `out`, a Func over the matmul's
/// output space (the matmul itself, or its epilogue): TY × TX tiles of
/// accumulators, column blocks outermost so a packed B panel is reused by
/// every row tile, parallel over the larger block count. Returns the loop
/// level of one row of a tile.
H::LoopLevel scheduleMatmul(H::Func out, MatmulParts &mm, int V) {
  std::vector<H::Var> vars;
  for (const H::Var &v : out.args())
    vars.push_back(v);
  H::Var x = vars[0], y = vars[1];
  if (mm.narrowTN) {
    // Vectors run along the result's rows, which are A's contiguous
    // columns: a 2V-row tile keeps n × 2 accumulators, each k loads two
    // vectors of A and broadcasts n values of B; no lane is wasted on
    // the narrow side.
    const int TM = 2 * V;
    H::Var xo(out.name() + "_xo"), yo(out.name() + "_yo"),
        xi(out.name() + "_xi"), yi(out.name() + "_yi");
    out.tile(x, y, xo, yo, xi, yi, static_cast<int>(mm.n), TM,
             H::TailStrategy::GuardWithIf)
        .reorder(yi, xi, yo, xo)
        .vectorize(yi, V, H::TailStrategy::GuardWithIf)
        .unroll(xi);
    mm.prod.compute_at(out, yo)
        .reorder_storage(mm.y, mm.x)
        .vectorize(mm.y, V, H::TailStrategy::GuardWithIf)
        .unroll(mm.y)
        .unroll(mm.x);
    mm.prod.update()
        .reorder(mm.y, mm.x, mm.r.x)
        .vectorize(mm.y, V, H::TailStrategy::GuardWithIf)
        .unroll(mm.y)
        .unroll(mm.x);
    if (mm.parts) {
      // Split-K: `out` is the partial sums, one per slice of the batch, in
      // parallel. The pool starts thread t on the t-th share of this loop
      // and of the runtime's gather, so a thread mostly sums rows its own
      // cache holds (a slice stolen by a faster thread is the exception);
      // reading every row from both threads cost the next gather a
      // cross-core invalidation per line. Tiles are stored whole, rows
      // contiguous.
      out.compute_root().reorder_storage(y, x, mm.part).parallel(mm.part);
      return H::LoopLevel(out, xi);
    }
    out.parallel(yo);
    return H::LoopLevel(out, xi);
  }
  bool staticN = !ShapedType::isDynamic(mm.n);
  const int TX = staticN && mm.n <= V ? V : 2 * V;
  // Register tile: TY rows × TX columns of accumulators, plus the B
  // vectors and one broadcast of A. AVX-512 has 32 vector registers
  // (14 × 2 accumulators), AVX2 16 (6 × 2). Measured on Sapphire Rapids
  // with bench/matmul_bench.cpp.
  //
  // A result one vector wide (10 classes) needs a single accumulator per
  // row: 16 rows (12 on AVX2) still leave registers for B, and a batch of
  // 128 splits into whole tiles, evenly over 2 or 4 threads (14-row tiles
  // gave one thread 70 rows and the other 58).
  const int TY = TX == V ? (V >= 16 ? 16 : 12) : (V >= 16 ? 14 : 6);
  H::Var xo(out.name() + "_xo"), yo(out.name() + "_yo"), xi(out.name() + "_xi"),
      yi(out.name() + "_yi");
  out.tile(x, y, xo, yo, xi, yi, TX, TY, H::TailStrategy::GuardWithIf)
      .reorder(xi, yi, yo, xo)
      .vectorize(xi, V, H::TailStrategy::GuardWithIf);
  H::TailStrategy prodTail =
      mm.ragged ? H::TailStrategy::RoundUp : H::TailStrategy::GuardWithIf;
  mm.prod.compute_at(out, yo)
      .vectorize(mm.x, V, prodTail)
      .unroll(mm.x)
      .unroll(mm.y);
  mm.prod.update()
      .reorder(mm.x, mm.y, mm.r.x)
      .vectorize(mm.x, V, prodTail)
      .unroll(mm.x)
      .unroll(mm.y);
  if (mm.transposedB)
    mm.panel.compute_at(out, xo).vectorize(mm.panelX, V, prodTail);
  if (mm.parts) { // split-K: `out` is the partial sums, one per slice
    out.compute_root().parallel(mm.part);
    return H::LoopLevel(out, yi);
  }
  bool manyColumns = staticN && mm.n >= 4 * TX;
  if (manyColumns || (!ShapedType::isDynamic(mm.m) && mm.m < 2 * TY))
    out.parallel(xo);
  else
    out.parallel(yo);
  return H::LoopLevel(out, yi);
}

/// The epilogue of a split-K narrow Aᵀ·B (a 784x10 weight's gradient
/// and optimizer update): vectors along the rows, where the partial sums
/// are contiguous, all columns of a vector of rows per iteration, the
/// vectors of rows in parallel. Returns the level of one vector.
H::LoopLevel scheduleNarrowEpilogue(H::Func out, int V) {
  H::Var x = out.args()[0], y = out.args()[1];
  H::Var yo(out.name() + "_yo"), yi(out.name() + "_yi");
  out.split(y, yo, yi, V, H::TailStrategy::GuardWithIf)
      .reorder(yi, x, yo)
      .vectorize(yi)
      .parallel(yo);
  return H::LoopLevel(out, x);
}

/// Accumulators of a convolution template: a whole vector when the
/// vectorized channels are ragged (reading clamped), else guarded.
H::TailStrategy convTail(const ConvParts &cv) {
  return cv.ragged ? H::TailStrategy::RoundUp : H::TailStrategy::GuardWithIf;
}
/// Channels per register tile: one vector, or two when there are more.
int convTileWidth(const ConvParts &cv, int V) {
  return cv.vectorExtent <= V ? V : 2 * V;
}

/// The filter gradient's template (see ConvParts): per slice of the batch
/// (in parallel), per sample, per tile of TY input channels × TX filters,
/// the sample's pixels are summed in registers, then added to the slice's
/// partial sum (in L2). The output (with the optimizer update fused) adds
/// the slices pointwise.
void scheduleFilterGrad(ConvParts &cv, int V) {
  H::TailStrategy prodTail = convTail(cv);
  const int TX = convTileWidth(cv, V), TY = 8;
  H::Func p = cv.partial;
  H::Var fo(p.name() + "_fo"), fi(p.name() + "_fi"), co(p.name() + "_co"),
      ci(p.name() + "_ci");
  p.compute_root().vectorize(cv.v, V, prodTail).parallel(cv.part);
  H::Stage u = p.update();
  u.split(cv.v, fo, fi, TX, prodTail)
      .split(cv.j, co, ci, TY, H::TailStrategy::GuardWithIf)
      .reorder(fi, ci, fo, co, cv.i, cv.n, cv.rn.x, cv.part)
      .vectorize(fi, V)
      .unroll(ci)
      .parallel(cv.part);
  H::Var s = cv.inner.args()[4];
  cv.inner.compute_at(p, fo)
      .vectorize(cv.v, V, prodTail)
      .unroll(cv.v)
      .unroll(cv.j);
  cv.inner.update()
      .reorder(cv.v, cv.j, cv.r.x, cv.r.y, cv.i, cv.n, s)
      .vectorize(cv.v, V, prodTail)
      .unroll(cv.v)
      .unroll(cv.j);
  cv.staged.compute_at(p, cv.rn.x);
  cv.staged.vectorize(cv.staged.args()[0], V, H::TailStrategy::GuardWithIf);
}

/// The forward and input-gradient template (see ConvParts) on `out`, a
/// Func over the convolution's output space (c or f innermost, then width,
/// height, batch): tiles of TX channels × TY pixels of one output row in
/// registers, each reduction step loading TX/V vectors of weights and
/// broadcasting TY inputs; samples in parallel, each staging its padded
/// input (or upsampled gradient) once. Returns the loop level of one tile
/// row.
H::LoopLevel scheduleConv(H::Func out, ConvParts &cv, int V) {
  H::TailStrategy prodTail = convTail(cv);
  const int TX = convTileWidth(cv, V);
  std::vector<H::Var> vars;
  for (const H::Var &v : out.args())
    vars.push_back(v);
  H::Var x = vars[0], y = vars[1], n = vars[3];
  // 14 × 2 accumulators fill AVX-512's 32 registers (as the matmul);
  // a narrower row takes its own width.
  const int TY = static_cast<int>(
      std::min<int64_t>(V >= 16 ? 14 : 6, std::max<int64_t>(cv.width, 1)));
  H::Var xo(out.name() + "_xo"), yo(out.name() + "_yo"), xi(out.name() + "_xi"),
      yi(out.name() + "_yi");
  out.tile(x, y, xo, yo, xi, yi, TX, TY, H::TailStrategy::GuardWithIf)
      .reorder(xi, yi, xo, yo, vars[2], n)
      .vectorize(xi, V, H::TailStrategy::GuardWithIf)
      .parallel(n);
  if (cv.grouped) {
    // Grouped convolutions (depthwise and the like) are not a kiln model's
    // hot path: scalar accumulators, channels innermost.
    cv.prod.compute_at(out, xo);
    cv.prod.update().reorder(cv.v, cv.j, cv.r.x, cv.r.y, cv.r.z);
  } else {
    cv.prod.compute_at(out, xo)
        .vectorize(cv.v, V, prodTail)
        .unroll(cv.v)
        .unroll(cv.j);
    cv.prod.update()
        .reorder(cv.v, cv.j, cv.r.x, cv.r.y, cv.r.z)
        .vectorize(cv.v, V, prodTail)
        .unroll(cv.v)
        .unroll(cv.j);
  }
  // The staged input once per sample, vectorized along its channels.
  cv.staged.compute_at(out, n).vectorize(cv.staged.args()[0], V,
                                         H::TailStrategy::GuardWithIf);
  if (cv.kind == ConvParts::Kind::InputGrad)
    cv.weights.compute_root().vectorize(cv.weights.args()[0], V,
                                        H::TailStrategy::GuardWithIf);
  return H::LoopLevel(out, yi);
}

/// Whether update `u` of `f` writes f(args...) with its pure vars in place
/// (a reduction into each element), so its pure loops can become threads.
bool pureUpdate(const H::Func &f, int u) {
  std::vector<H::Expr> lhs = f.update_args(u);
  std::vector<H::Var> args = f.args();
  if (lhs.size() != args.size())
    return false;
  for (size_t d = 0; d < lhs.size(); ++d) {
    const auto *v = lhs[d].as<H::Internal::Variable>();
    if (!v || v->name != args[d].name())
      return false;
  }
  return true;
}

/// The generic GPU schedule of one stage over `vars` (innermost first):
/// every pure dim fused into one, innermost fastest, in blocks of 256
/// threads, the stage's reduction serial in each thread. Fused, a warp's
/// loads are 32 consecutive elements, and a stage whose inner dims are
/// small fills its blocks (16 × 16 tiles over conv1's 32 filters × 1 input
/// channel left 15 of 16 threads idle). A stage with no pure dim runs as
/// one thread. Returns the loop level of one thread.
H::LoopLevel gpuTile(H::Func f, H::Stage s, std::vector<H::Var> vars) {
  if (vars.empty()) {
    s.gpu_single_thread();
    return H::LoopLevel::inlined();
  }
  H::VarOrRVar all = vars[0];
  for (size_t d = 1; d < vars.size(); ++d) {
    H::Var fused(f.name() + "_gf" + std::to_string(d));
    s.fuse(all, vars[d], fused);
    all = fused;
  }
  H::Var bx(f.name() + "_gbx"), tx(f.name() + "_gtx");
  s.gpu_tile(all, bx, tx, kGpuTile * kGpuTile, H::TailStrategy::GuardWithIf);
  return H::LoopLevel(f, tx);
}

/// Kiln's GPU templates: `out`'s two innermost dims in blocks of 16 × 16
/// threads, each thread a register tile of RX × RY elements whose sums
/// `prod` (over its dims px, py) accumulates over the whole reduction, so
/// every value a thread loads feeds RX or RY multiply-adds (the generic
/// schedule: one). The loads go through the L1 cache, where a block's
/// threads share what they read. Outer dims, fused, are the first block
/// dim (the tile's columns and rows the second and third). Tiles
/// past the edge read clamped inputs (see Lowering::gpu), so every tile has
/// a constant size and stays in registers; only the stores are guarded.
/// Returns the level of one output element.
H::LoopLevel gpuRegisterTiles(H::Func out, H::Func prod, H::Var px, H::Var py,
                              std::vector<H::VarOrRVar> reduction, int RX,
                              int RY) {
  auto guard = H::TailStrategy::GuardWithIf;
  std::vector<H::Var> vars = out.args();
  std::string n = out.name();
  H::Var xo(n + "_gbx"), yo(n + "_gby"), xi(n + "_xi"), yi(n + "_yi"),
      tx(n + "_gtx"), ty(n + "_gty"), xii(n + "_xii"), yii(n + "_yii");
  out.tile(vars[0], vars[1], xo, yo, xi, yi, kGpuTile * RX, kGpuTile * RY,
           guard)
      .split(xi, tx, xii, RX, guard)
      .split(yi, ty, yii, RY, guard)
      .gpu_threads(tx, ty)
      .unroll(xii)
      .unroll(yii);
  if (vars.size() > 2) {
    // The outer dims (a convolution's batch × rows) are the first block
    // dim, the only one CUDA lets exceed 65,535 blocks.
    H::VarOrRVar outer = vars[2];
    for (size_t d = 3; d < vars.size(); ++d) {
      H::Var fused(n + "_gf" + std::to_string(d));
      out.fuse(outer, vars[d], fused);
      outer = fused;
    }
    out.reorder(xii, yii, tx, ty, outer, xo, yo).gpu_blocks(outer, xo, yo);
  } else {
    out.reorder(xii, yii, tx, ty, xo, yo).gpu_blocks(xo, yo);
  }
  prod.compute_at(out, tx)
      .bound_extent(px, RX)
      .bound_extent(py, RY)
      .unroll(px)
      .unroll(py);
  std::vector<H::VarOrRVar> order{px, py};
  llvm::append_range(order, reduction);
  prod.update().reorder(order).unroll(px).unroll(py);
  return H::LoopLevel(out, xii);
}

/// The GPU matmul template: 2 × 2 register tiles (one column per thread
/// for a narrow result such as 10 classes).
H::LoopLevel scheduleMatmulGpu(H::Func out, MatmulParts &mm) {
  return gpuRegisterTiles(out, mm.prod, mm.x, mm.y, {mm.r.x},
                          gpuMatmulTileCols(mm.n), kGpuMatmulTileRows);
}

/// The GPU convolution template (forward and input gradient): each thread
/// sums two channels of one pixel when there are 32 or more, so each input
/// value it loads feeds two multiply-adds.
H::LoopLevel scheduleConvGpu(H::Func out, ConvParts &cv) {
  int RV = cv.vectorExtent >= 2 * kGpuTile ? 2 : 1;
  return gpuRegisterTiles(out, cv.prod, cv.v, cv.j, {cv.r.x, cv.r.y, cv.r.z},
                          RV, 1);
}

/// A Func computed on its own on the GPU: every stage tiled over its pure
/// dims (an update that scatters runs as one thread).
H::LoopLevel gpuRoot(H::Func f, bool root = true) {
  if (root)
    f.compute_root();
  H::LoopLevel thread = gpuTile(f, f, f.args());
  for (int u = 0; u < f.num_update_definitions(); ++u) {
    if (pureUpdate(f, u))
      gpuTile(f, f.update(u), f.args());
    else
      f.update(u).gpu_single_thread();
  }
  return thread;
}

} // namespace

std::optional<KernelPipeline> buildKernel(const KernelPlan &kernel,
                                          const H::Target &target,
                                          bool kilnSchedule) {
  Operation *root = kernel.op;
  const std::string &p = kernel.name;
  // A float64 variant computes in Float(64) with kiln's own schedule (it
  // checks gradients, so its speed hardly matters).
  struct FloatTypeScope {
    H::Type saved = floatType;
    explicit FloatTypeScope(bool f64) {
      floatType = f64 ? H::Float(64) : H::Float(32);
    }
    ~FloatTypeScope() { floatType = saved; }
  } floatScope(kernel.f64);
  kilnSchedule |= kernel.f64;
  // The kernel's ops, inputs and results: a kern.kernel's body, or one op.
  SmallVector<Operation *> ops;
  SmallVector<Value> inputs, results;
  // The schedule is the contract (the kernel's verifier checked the body
  // against it): it names the template built below. A single op (tests)
  // gets its own template.
  kern::Schedule schedule = kern::templateOf(root);
  if (auto k = dyn_cast<kern::KernelOp>(root)) {
    for (Operation &op : k.getBodyBlock().without_terminator())
      ops.push_back(&op);
    llvm::append_range(inputs, k.getBodyBlock().getArguments());
    llvm::append_range(results,
                       k.getBodyBlock().getTerminator()->getOperands());
    schedule = k.getSchedule();
    if (kilnSchedule && schedule == kern::Schedule::autoschedule) {
      schedule = kern::Schedule::pointwise;
      for (Operation *op : ops)
        schedule = std::max(schedule, kern::templateOf(op));
    }
  } else {
    ops.push_back(root);
    for (Value v : root->getOperands())
      if (!isInlinedConstant(v))
        inputs.push_back(v);
    results.push_back(root->getResult(0));
  }

  KernelPipeline kp;
  kp.batch = H::Param<int32_t>(p + "_batch");
  kp.batch.set_estimate(static_cast<int32_t>(kPlannedBatch));
  H::Expr batch = kp.batch;
  const int V = target.natural_vector_size<float>();
  llvm::DenseMap<Value, View> views;
  // Inputs a result overwrites in place: every read of them goes through a
  // wrapper computed per vector of the output, before its stores (a Tuple
  // output would otherwise reload an old value after storing a new one).
  SmallVector<bool> inPlace = inputsWrittenInPlace(root);
  std::vector<std::pair<ArrayRef<int64_t>, H::Func>> inPlaceWrappers;
  for (auto [i, v] : llvm::enumerate(inputs)) {
    ArrayRef<int64_t> shape = shapeOf(v);
    H::ImageParam img(halideType(v.getType()), shape.size(),
                      p + "_in" + std::to_string(i));
    if (i < inPlace.size() && inPlace[i])
      inPlaceWrappers.emplace_back(shape, img.in());
    constrainDims([&](int d) { return img.dim(d); }, shape, batch);
    // Estimates for the autoschedulers: static extents, a batch of 128.
    for (int hd = 0; hd < static_cast<int>(shape.size()); ++hd) {
      int64_t d = shape[shape.size() - 1 - hd];
      img.dim(hd).set_estimate(
          0,
          static_cast<int32_t>(ShapedType::isDynamic(d) ? kPlannedBatch : d));
    }
    kp.args.push_back(img);
    kp.inputs.push_back(img);
    View view;
    view.extents = extentsOf(shape, batch);
    view.at = [img](const Index &idx) { return img(reversed(idx)); };
    views[v] = view;
  }
  kp.args.push_back(kp.batch);

  bool autoschedule = schedule == kern::Schedule::autoschedule;
  // Kiln's GPU schedule (an autoscheduler targets the GPU itself) or its
  // CPU templates.
  bool gpu = !autoschedule && target.has_gpu_feature();
  bool cpu = !autoschedule && !gpu;
  StatsCache stats;
  std::optional<MatmulParts> matmul;
  Value matmulResult;
  std::optional<ConvParts> conv;
  Value convResult;
  std::optional<H::Func> convFunc;
  std::vector<std::pair<H::Func, SmallVector<int64_t>>> picks;
  std::vector<SplitSum> splitSums;
  SmallVector<std::pair<Value, H::Func>> reductions; // computed once each
  unsigned counter = 0;
  for (Operation *op : ops) {
    Value result = op->getResult(0);
    if (auto c = dyn_cast<ConstantOp>(op)) {
      views[result] = constantView(c, p + "_c" + std::to_string(counter++));
      continue;
    }
    std::vector<View> in;
    for (Value x : op->getOperands()) {
      if (auto it = views.find(x); it != views.end())
        in.push_back(it->second);
      else if (auto c = x.getDefiningOp<ConstantOp>())
        in.push_back(constantView(c, p + "_c" + std::to_string(counter++)));
      else {
        op->emitError() << "kernel " << p << ": an operand has no value";
        return std::nullopt;
      }
    }
    MatmulParts parts;
    ConvParts convParts;
    Lowering l{op,
               in,
               shapeOf(result),
               batch,
               p + "_f" + std::to_string(counter++),
               V,
               stats,
               parts,
               convParts,
               gpu};
    std::optional<H::Func> f = l.lower();
    if (!f)
      return std::nullopt;
    llvm::append_range(picks, l.picks);
    if (l.splitSum && l.splitSum->partial.defined())
      splitSums.push_back(*l.splitSum);
    kern::Schedule needs = kern::templateOf(op);
    if ((needs == kern::Schedule::conv || needs == kern::Schedule::matmul) &&
        (needs != schedule || conv || matmul)) {
      op->emitError() << "kernel " << p << " is scheduled \""
                      << kern::stringifySchedule(schedule) << "\" but holds '"
                      << op->getName() << "'";
      return std::nullopt;
    }
    if (needs == kern::Schedule::conv) {
      conv = convParts;
      convResult = result;
      convFunc = *f;
    } else if (needs == kern::Schedule::matmul) {
      matmul = parts;
      matmulResult = result;
    } else if (l.isReduction) {
      reductions.emplace_back(result, *f);
    }
    H::Func func = *f;
    View view;
    view.extents = extentsOf(shapeOf(result), batch);
    view.at = [func](const Index &idx) { return func(reversed(idx)); };
    views[result] = view;
  }

  // One output Func per result shape: a Tuple when several results share
  // it, so one loop nest writes them all.
  SmallVector<Type> resultTypes;
  for (Value r : results)
    resultTypes.push_back(r.getType());
  for (auto [c, members] : llvm::enumerate(resultGroups(resultTypes))) {
    ArrayRef<int64_t> shape = shapeOf(results[members.front()]);
    Index idx;
    std::vector<H::Var> vars =
        makeVars(p + "_o" + std::to_string(c), shape.size(), idx);
    H::Func out(p + "_out" + std::to_string(c));
    std::vector<H::Expr> values;
    for (unsigned r : members)
      values.push_back(views[results[r]].at(idx));
    if (values.size() == 1)
      out(vars) = values[0];
    else
      out(vars) = H::Tuple(values);
    // The output buffers must be exactly the tensors the runtime passes.
    for (unsigned i = 0; i < members.size(); ++i) {
      H::OutputImageParam buf = out.output_buffers()[i];
      constrainDims([&](int d) { return buf.dim(d); }, shape, batch, i > 0);
    }
    if (gpu) {
      // In-place inputs read per element, before the element's stores.
      bool tiled = matmul && shape == shapeOf(matmulResult) && !matmul->parts;
      bool convTiled = conv && shape == shapeOf(convResult) &&
                       conv->kind != ConvParts::Kind::FilterGrad;
      H::LoopLevel element = tiled       ? scheduleMatmulGpu(out, *matmul)
                             : convTiled ? scheduleConvGpu(out, *conv)
                                         : gpuRoot(out, /*root=*/false);
      for (auto &[inShape, wrapper] : inPlaceWrappers)
        if (inShape == shape && !shape.empty())
          wrapper.compute_at(element);
    }
    if (cpu) {
      bool tiled = matmul && shape == shapeOf(matmulResult) && !matmul->parts;
      bool narrowSplit = matmul && shape == shapeOf(matmulResult) &&
                         matmul->parts && matmul->narrowTN;
      // The convolution's epilogue runs per tile, like the matmul's.
      bool convTiled = conv && shape == shapeOf(convResult) &&
                       conv->kind != ConvParts::Kind::FilterGrad;
      H::LoopLevel element = tiled         ? scheduleMatmul(out, *matmul, V)
                             : narrowSplit ? scheduleNarrowEpilogue(out, V)
                             : convTiled   ? scheduleConv(out, *conv, V)
                                           : schedulePointwise(out, shape, V);
      // Read in-place inputs along the output's vectors (its rows for a
      // narrow Aᵀ·B, else its innermost dim).
      int vectorDim = (tiled && matmul->narrowTN) || narrowSplit ? 1 : 0;
      for (auto &[inShape, wrapper] : inPlaceWrappers)
        if (inShape == shape) {
          wrapper.compute_at(element);
          if (!shape.empty())
            wrapper.vectorize(wrapper.args()[vectorDim], V,
                              H::TailStrategy::GuardWithIf);
        }
    }
    kp.outputs.push_back(out);
    llvm::append_range(kp.bufferOrder, members);
  }
  // Split-K partials are the matmul's tiled loop nest; the sums and the
  // epilogue read them pointwise.
  if (matmul && matmul->parts && cpu)
    scheduleMatmul(matmul->partial, *matmul, V);
  // A convolution whose own result is not an output (a ReLU or pooling
  // reads it inside the kernel) is computed whole, with its template; the
  // filter gradient schedules its partial sums (its output reads them).
  if (conv && cpu) {
    bool isOutput = llvm::any_of(
        results, [&](Value r) { return shapeOf(r) == shapeOf(convResult); });
    if (conv->kind == ConvParts::Kind::FilterGrad) {
      scheduleFilterGrad(*conv, V);
    } else if (!isOutput) {
      convFunc->compute_root();
      scheduleConv(*convFunc, *conv, V);
    }
  }
  // Max pooling's gradient reads the winning tap of every window.
  if (cpu)
    for (auto &[pick, shape] : picks) {
      pick.compute_root();
      schedulePointwise(pick, shape, V);
    }
  if (cpu)
    scheduleSplitSums(splitSums, V);
  // A reduction read inside the kernel is computed once, not per use; so
  // are a softmax's row statistics. An autoscheduler decides for itself.
  if (cpu) {
    for (auto &[value, func] : reductions)
      if (!llvm::is_contained(results, value)) {
        // Vectorized over its innermost dim, the reduction loop inside:
        // a bias gradient sums 16 columns per instruction, rows streaming.
        func.compute_root();
        schedulePointwise(func, shapeOf(value), V);
      }
    for (auto &[key, st] : stats) {
      st.max.compute_root();
      st.sum.compute_root();
      schedulePointwise(st.max, st.shape, V);
      schedulePointwise(st.sum, st.shape, V);
    }
  }
  // On the GPU the templates' intermediates are computed whole, each stage
  // over the threads of its pure dims; a matmul's or convolution's sums
  // (and any other update of an inlined Func) run inside the consumer's
  // threads, one element each.
  if (gpu) {
    // A transposed B is packed into columns once per call, as on the CPU:
    // read in place, a warp's consecutive columns load floats K apart
    // (fc1's input gradient: 1,024).
    if (matmul && matmul->transposedB)
      gpuRoot(matmul->panel);
    // Split-K partials: the register-tiled template, a block dim per slice.
    if (matmul && matmul->parts) {
      matmul->partial.compute_root();
      scheduleMatmulGpu(matmul->partial, *matmul);
    }
    if (conv && conv->kind == ConvParts::Kind::FilterGrad)
      gpuRoot(conv->partial);
    // The input gradient's transposed filters, packed once per call as on
    // the CPU: read in place, a warp's consecutive channels load filters
    // F floats apart, 32 cache lines a load (conv2's input gradient took
    // 44% of the CNN's step on an H100).
    if (conv && conv->kind == ConvParts::Kind::InputGrad)
      gpuRoot(conv->weights);
    for (auto &pick : picks)
      gpuRoot(pick.first);
    for (SplitSum &sum : splitSums)
      gpuRoot(sum.partial);
    for (auto &[value, func] : reductions)
      if (!llvm::is_contained(results, value))
        gpuRoot(func);
    for (auto &[key, st] : stats) {
      gpuRoot(st.max);
      gpuRoot(st.sum);
    }
  }
  return kp;
}

} // namespace kiln::hl
