//===- gpu_schedule.cpp - GPU tiling shared by templates ------------------===//
//
// The generic GPU schedule (gpuRoot, gpuTile): every output and every
// intermediate the CPU templates materialize (split-K and split-sum
// partials, non-output reductions, softmax statistics, pooling picks, the
// filter gradient's partials) is computed whole, each stage over all its
// pure dims fused into one (innermost fastest, so a warp's loads are
// consecutive) in blocks of 256 threads, reductions serial per thread; a
// scalar runs as one thread. In-place inputs are read per element before its
// stores. gpuRegisterTiles is the register tiling the matmul and convolution
// templates build on (bound_extent keeps each tile in registers).
//
//===----------------------------------------------------------------------===//
#include "compiler/halide/lowering.h"

using namespace mlir;
using namespace kiln::nn;

namespace kiln::hl {

/// Whether update `u` of `f` writes f(args...) with its pure vars in place
/// (a reduction into each element), so its pure loops can become threads.
static bool pureUpdate(const H::Func &f, int u) {
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

/// A Func computed on its own on the GPU: every stage tiled over its pure
/// dims (an update that scatters runs as one thread).
H::LoopLevel gpuRoot(H::Func f, bool root) {
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
} // namespace kiln::hl
