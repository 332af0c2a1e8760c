//===- lowering.h - what the back end's op families share -------*- C++ -*-===//
//
// The back end's internal header. Each op of a kernel defines Halide Funcs
// (no schedule) through a `Lowering`; build_kernel.cpp then chooses one
// schedule for the whole pipeline. An op family keeps its algorithm, its
// CPU template and its GPU template in one file:
//
//   pointwise.cpp     views, indices, elementwise ops, reductions, shape
//                     moves, softmax and losses; the pointwise and
//                     split-sum schedules
//   matmul.cpp        the matmul, its register-tiled CPU template, the
//                     narrow epilogue, split-K, the GPU template
//   conv.cpp          conv2d and its two gradients, their CPU and GPU
//                     templates
//   pool.cpp          max and average pooling and their gradients
//   gpu_schedule.cpp  the GPU tiling every template builds on
//   build_kernel.cpp  the driver: operands to views, ops to Funcs, one
//                     output per result shape, then the schedules in order
//
// Tensors are row-major with MLIR's dim 0 outermost; Halide's first Var is
// innermost, so every index list here is in MLIR order and reversed only
// where a Halide Func or buffer is called.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_HALIDE_LOWERING_H
#define KILN_COMPILER_HALIDE_LOWERING_H

#include "dialects/nn/nn_dialect.h"
#include "dialects/nn/shape.h"

#include "mlir/IR/BuiltinTypes.h"

#include "Halide.h"

#include <functional>
#include <map>

namespace kiln::hl {

namespace H = Halide;
using Index = std::vector<H::Expr>;

/// A tensor as one pipeline sees it: its extents and an element accessor,
/// both in MLIR dim order.
struct View {
  Index extents;
  std::function<H::Expr(const Index &)> at;
};

//===-- Shared helpers (pointwise.cpp) ------------------------------------===//

Index reversed(const Index &idx);
llvm::ArrayRef<int64_t> shapeOf(mlir::Value v);

/// The type f32 tensors compute in: Float(32), or Float(64) while a
/// kernel's float64 variant is built (grad-check's reference gradient).
/// Set by buildKernel for the kernel it builds.
extern thread_local H::Type floatType;

/// A constant of the float type (a float literal would be f32 whatever the
/// pipeline's precision, and Halide refuses mixed selects and updates).
H::Expr fconst(double v);

/// f32 → floatType, i32 → Int(32), i1 → Bool (one byte per element).
H::Type halideType(mlir::Type t);

/// The extents of `shape`, a dynamic (batch) dim taking `batch`.
Index extentsOf(llvm::ArrayRef<int64_t> shape, H::Expr batch);

/// Static extents and strides let Halide check the caller's buffers and
/// specialise the code; a dynamic (batch) dim gets the batch size. Only
/// strides for the second and later buffers of a Tuple output (Halide
/// ties their extents to the first's).
template <typename Dims>
void constrainDims(Dims dimOf, llvm::ArrayRef<int64_t> shape, H::Expr batch,
                   bool stridesOnly = false) {
  int rank = shape.size();
  std::optional<int64_t> stride = 1;
  for (int hd = 0; hd < rank; ++hd) { // Halide dim hd = MLIR dim rank-1-hd
    int64_t d = shape[rank - 1 - hd];
    auto dim = dimOf(hd);
    if (!stridesOnly) {
      dim.set_min(0);
      dim.set_extent(mlir::ShapedType::isDynamic(d)
                         ? batch
                         : H::Expr(static_cast<int32_t>(d)));
    }
    if (stride)
      dim.set_stride(static_cast<int32_t>(*stride));
    if (mlir::ShapedType::isDynamic(d))
      stride.reset();
    else if (stride)
      *stride *= d;
  }
}

/// `rank` Vars (Halide order) and the same as an MLIR-order index.
std::vector<H::Var> makeVars(const std::string &name, int rank, Index &idx);

/// The operand element that broadcasts to result element `idx`.
Index broadcastIndex(llvm::ArrayRef<int64_t> operand,
                     llvm::ArrayRef<int64_t> result, const Index &idx);

/// Halide's inline reductions need an expression over a reduction domain.
/// Reducing over no dims (an undefined domain) is the value itself, and a
/// value that does not vary over the domain (an inlined splat constant)
/// sums to value × size and maxes to the value.
enum class Reduce { Sum, Max };
H::Expr reduceExpr(Reduce kind, H::Expr e, const H::RDom &r,
                   const std::string &name);

/// The number of elements along `axes`, in the float type.
H::Expr product(const Index &extents, llvm::ArrayRef<int64_t> axes);

/// A constant operand as a view: a splat inline, else a buffer compiled
/// into the pipeline.
View constantView(kiln::nn::ConstantOp c, const std::string &name);

//===-- What an op leaves for the kernel's schedule -----------------------===//

/// Per-slice max and Σ exp(x − max) along an axis, as Funcs over the other
/// dims (MLIR order), computed once and shared by every op of the kernel
/// that needs them (the loss and the gradient of a cross-entropy).
struct SliceStats {
  H::Func max, sum;
  int64_t axis;
  llvm::SmallVector<int64_t> shape; // of the statistics (operand's, less axis)
  Index drop(const Index &full) const {
    Index slice(full);
    slice.erase(slice.begin() + axis);
    return slice;
  }
};
using StatsCache = std::map<std::pair<void *, int64_t>, SliceStats>;

/// What a matmul leaves for the kernel's schedule (matmul.cpp).
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

/// What a convolution leaves for the kernel's schedule (conv.cpp). Forward
/// and input gradient are one template: `prod(v, j, i, n)` sums a window of
/// `staged` (the zero-padded input, or the zero-upsampled output gradient,
/// built once per sample) against `weights`, vectorized along the channels
/// `v` (contiguous in NHWC) and register-tiled along the width `j`. The
/// filter gradient sums over every sample's pixels: `inner` per sample,
/// `partial` per slice of the batch (in parallel), the result their sum.
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

/// A sum over the batch cut into slices: `partial(result dims..., part)`
/// sums slice `part` over the domain `r` (the batch slice outermost); the
/// reduction is the sum of the parts. Bias and batch-norm gradients reduce
/// N·H·W elements into a few channels: without the split one thread does it.
struct SplitSum {
  H::Func partial;
  H::Var part;
  H::RDom r;
  int parts = 0;
  llvm::SmallVector<int64_t> shape; // of the result
};

/// Slices of the batch for a split reduction into a result of `shape`
/// (pointwise.cpp): the CPU's fixed count, or enough to fill the GPU.
int batchSlices(llvm::ArrayRef<int64_t> shape, bool gpu);

/// Threads per block along each of the two dims a GPU template tiles (the
/// generic schedule: kGpuTile² along its one fused dim).
constexpr int kGpuTile = 16;

//===-- One op's Funcs ----------------------------------------------------===//

/// Defines one op's Func from its operands' views. No schedules here:
/// the kernel schedules its pipeline as a whole.
struct Lowering {
  mlir::Operation *op;
  std::vector<View> &in;
  llvm::ArrayRef<int64_t> result; // result shape
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
  std::vector<std::pair<H::Func, llvm::SmallVector<int64_t>>> picks;
  // The batch-split sum of the reduction being built (see reduceOver).
  std::optional<SplitSum> splitSum;
  H::Expr sumCount; // elements each result element sums

  /// The op's Func, or std::nullopt (with an error on the op) for an op the
  /// back end cannot lower (build_kernel.cpp dispatches to the families).
  std::optional<H::Func> lower();

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

  /// Static int of an MLIR dim.
  static int32_t dim(mlir::Value v, int d) {
    return static_cast<int32_t>(shapeOf(v)[d]);
  }

  template <typename F> H::Func pointwise(F f) {
    begin();
    out(vars) = f();
    return out;
  }

  // pointwise.cpp
  std::optional<H::Func> lowerPointwise();
  H::Expr randomSeed();
  Index randomCoords();
  H::RDom reduceOver(unsigned i, llvm::ArrayRef<int64_t> axes, int keptFrom,
                     Index &full, bool split = false);
  H::Expr sum(H::Expr e, const H::RDom &r);
  H::Func reduce(llvm::ArrayRef<int64_t> axes, bool keepdims, bool mean);
  H::Func reduceMax(llvm::ArrayRef<int64_t> axes, bool keepdims);
  H::Func sumTo();
  H::Func reshape();
  H::Func loss(bool bce);
  H::Func bceGrad();
  H::Func compare(kiln::nn::ComparePredicate p);
  H::Func castTo(mlir::Type resultType);
  H::Func transpose(llvm::ArrayRef<int64_t> perm);
  H::Func concat(int64_t axis);
  H::Func slice(kiln::nn::SliceOp op);
  H::Func pad(kiln::nn::PadOp op);
  H::Func oneHot();
  H::Func argmax(kiln::nn::ArgmaxOp op);
  SliceStats sliceStats(unsigned i, int64_t axis);
  H::Func softmax(int64_t axis, bool log);
  H::Func softmaxCrossEntropy();

  // matmul.cpp
  H::Func matmul(kiln::nn::MatmulOp op);

  // conv.cpp
  std::optional<H::Func> lowerConv();
  H::Func nhwc(unsigned operand, bool padded, const std::string &tag,
               bool clamped = false);
  template <typename Op> H::Func conv(Op c, ConvParts::Kind kind);

  // pool.cpp
  /// A pooling window in int32 (Halide's index type).
  struct Taps {
    int32_t kh, kw, sh, sw, top, left;
    explicit Taps(const kiln::nn::Window &w)
        : kh(w.kh), kw(w.kw), sh(w.sh), sw(w.sw), top(w.top), left(w.left) {}
  };
  std::optional<H::Func> lowerPool();
  std::pair<H::Expr, Index> tap(unsigned k, const Taps &t, const Index &o,
                                H::Expr a, H::Expr b);
  H::Expr windowMax(const Taps &t, const Index &o);
  template <typename Pick>
  H::Expr firstMaxTap(const Taps &t, const Index &o, H::Expr best, H::Expr none,
                      Pick pick);
  H::Func maxPool(kiln::nn::MaxPool2dOp p);
  template <typename Op> H::Func poolGrad(Op p, unsigned dyOperand, bool max);
  H::Func avgPool(kiln::nn::AvgPool2dOp p);
};

//===-- Schedules ---------------------------------------------------------===//
// Each returns the loop level of one vector, tile row or thread of the Func
// it schedules, where the kernel computes in-place inputs' reads.

// pointwise.cpp
H::LoopLevel schedulePointwise(H::Func f, llvm::ArrayRef<int64_t> shape,
                               int vectorWidth);
void scheduleSplitSums(std::vector<SplitSum> &sums, int V);

// matmul.cpp
H::LoopLevel scheduleMatmul(H::Func out, MatmulParts &mm, int V);
H::LoopLevel scheduleNarrowEpilogue(H::Func out, int V);
H::LoopLevel scheduleMatmulGpu(H::Func out, MatmulParts &mm);

// conv.cpp
void scheduleFilterGrad(ConvParts &cv, int V);
H::LoopLevel scheduleConv(H::Func out, ConvParts &cv, int V);
H::LoopLevel scheduleConvGpu(H::Func out, ConvParts &cv);

// gpu_schedule.cpp
H::LoopLevel gpuTile(H::Func f, H::Stage s, std::vector<H::Var> vars);
H::LoopLevel gpuRegisterTiles(H::Func out, H::Func prod, H::Var px, H::Var py,
                              std::vector<H::VarOrRVar> reduction, int RX,
                              int RY);
H::LoopLevel gpuRoot(H::Func f, bool root = true);

} // namespace kiln::hl

#endif // KILN_COMPILER_HALIDE_LOWERING_H
