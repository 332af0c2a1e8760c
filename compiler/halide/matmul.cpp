//===- matmul.cpp - the matmul template -----------------------------------===//
//
// C = A·B (nn, nt and tn alike): its algorithm, its register-tiled CPU
// template (the epilogue fused per tile), the narrow Aᵀ·B epilogue, split-K
// for small results, and its GPU template.
//
// CPU: tiles of TY rows × TX columns of accumulators fill the vector
// registers (14 × 2 vectors on AVX-512, 6 × 2 on AVX2). Column blocks are
// outermost, so a B panel is reused by every row tile; a transposed B is
// packed once per column block. The parallel loop runs over column blocks
// when there are many columns or few rows, else over row blocks. A narrow
// result (10 classes) rounds the accumulators up to whole vectors and guards
// only the store; one accumulator vector per row leaves room for taller
// tiles (16 rows on AVX-512, 12 on AVX2), so a batch of 128 splits evenly
// between 2 or 4 threads.
//
// Narrow Aᵀ·B (a weight gradient xᵀ·dZ narrower than a vector, 784×10):
// vectors run along the result's rows, which are x's contiguous columns. A
// tile of 2V rows keeps n × 2 accumulators; each k loads two vectors of x and
// broadcasts n values of dZ, and no lane is wasted.
//
// Split-K: a tn matmul reducing over the dynamic batch into a static result
// of 2^12 to 2^14 elements has too few tiles to share between threads; its K
// loop is cut into kSplitKParts slices summed in parallel and added in the
// epilogue. The pool starts thread t on the t-th share of both the batch
// gather and the slices, so a thread mostly sums the rows it gathered
// (reading every row from both threads made the next gather invalidate the
// other core's lines: logistic regression's gather took 16-18 µs per thread
// instead of 11-15; split-K raised its throughput 12%).
//
// GPU: blocks of 16 × 16 threads, each a 2 × 2 register tile (1 × 2 for a
// narrow result) summed over all of K through the L1 cache; A's last row and
// B's last column are read past the edge so every tile has a constant size
// (only stores are guarded). gpuSplitK splits K when there are fewer than
// about 512 blocks (fc1 of CNN (a) at batch 128: 128 blocks of 3,136
// products became 512 of 784, 0.68 → 0.13 ms). A transposed B is packed by
// its own kernel first, so a warp's columns read consecutive floats.
// Shared-memory staging would need Halide 14's gpu_lanes (CUDA only, not
// testable on PoCL): a block-level accumulator without it becomes a
// per-thread copy of the whole block tile.
//
//===----------------------------------------------------------------------===//
#include "compiler/halide/lowering.h"
#include "dialects/nn/shape.h"

using namespace mlir;
using namespace kiln::nn;

namespace kiln::hl {

namespace {

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

} // namespace

H::Func Lowering::matmul(MatmulOp op) {
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

/// The GPU matmul template: 2 × 2 register tiles (one column per thread
/// for a narrow result such as 10 classes).
H::LoopLevel scheduleMatmulGpu(H::Func out, MatmulParts &mm) {
  return gpuRegisterTiles(out, mm.prod, mm.x, mm.y, {mm.r.x},
                          gpuMatmulTileCols(mm.n), kGpuMatmulTileRows);
}

} // namespace kiln::hl
