//===- conv.cpp - the convolution template --------------------------------===//
//
// conv2d (NHWC data, HWIO filters, strides, padding, dilation, groups) and
// its input and filter gradients: their algorithms, CPU templates and GPU
// template. Channels innermost make them the vector lanes of all three: the
// forward pass and the input gradient vectorize along the output's channels
// (F, resp. C) and broadcast input pixels, the filter gradient along F.
//
// Forward and input gradient (scheduleConv): tiles of 2V channels × 14
// output pixels of a row in registers (as the matmul's 14 × 2), the reduction
// over (C, KW, KH) inside; samples in parallel, each staging its zero-padded
// input (for the input gradient, its gradient upsampled to the stride's grid
// and padded) once; the input gradient packs transposed filters once per
// call. The epilogue (bias, ReLU) runs per tile. A convolution kernel never
// takes prologue ops.
//
// Filter gradient (scheduleFilterGrad): each sample's pixels summed in
// registers per tile of 8 input channels × 2V filters, added into a partial
// sum per slice of the batch (batchSlices: in parallel, in L2); the output
// (with the optimizer update fused) adds the slices. Grouped convolutions
// keep scalar accumulators.
//
// GPU (scheduleConvGpu): blocks of 16 × 16 threads, each 2 channels of a
// pixel when there are 32 or more; the weights' last channel and the
// (unpadded) input's last column and row are read past the edge (`clamped`
// views) so tiles keep a constant size; the input gradient's transposed
// filters are packed by their own kernel.
//
//===----------------------------------------------------------------------===//
#include "compiler/halide/lowering.h"
#include "dialects/nn/shape.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace kiln::nn;

namespace kiln::hl {

/// An NHWC operand as a Func over (c, w, h, n), zero outside [0, W) ×
/// [0, H) when `padded` (convolution padding reads these zeros). With
/// `clamped`, reads outside come from the nearest edge: the GPU template's
/// tiles past the output's edge read there (their results are dropped).
H::Func Lowering::nhwc(unsigned operand, bool padded, const std::string &tag,
                       bool clamped) {
  H::Var c(name + tag + "_c"), w(name + tag + "_w"), h(name + tag + "_h"),
      n(name + tag + "_n");
  H::Func f(name + tag);
  Value v = op->getOperand(operand);
  int32_t H_ = dim(v, 1), W = dim(v, 2);
  View view = in[operand];
  if (!padded) {
    f(c, w, h, n) =
        clamped ? view.at({n, H::clamp(h, 0, H_ - 1), H::clamp(w, 0, W - 1), c})
                : view.at({n, h, w, c});
    return f;
  }
  H::Expr inside = w >= 0 && w < W && h >= 0 && h < H_;
  f(c, w, h, n) = H::select(
      inside, view.at({n, H::clamp(h, 0, H_ - 1), H::clamp(w, 0, W - 1), c}),
      fconst(0));
  return f;
}

template <typename Op> H::Func Lowering::conv(Op c, ConvParts::Kind kind) {
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
  cv.inner(v, j, i, n, s) +=
      dyf(fv, cv.r.x, cv.r.y, s) * cv.staged(chan, cv.r.x * sw + i * dw - left,
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

std::optional<H::Func> Lowering::lowerConv() {
  using R = std::optional<H::Func>;
  return llvm::TypeSwitch<Operation *, R>(op)
      .Case([&](Conv2dOp c) { return conv(c, ConvParts::Kind::Forward); })
      .Case([&](Conv2dInputGradOp c) {
        return conv(c, ConvParts::Kind::InputGrad);
      })
      .Case([&](Conv2dFilterGradOp c) {
        return conv(c, ConvParts::Kind::FilterGrad);
      })
      .Default([](Operation *) -> R { return std::nullopt; });
}

/// Accumulators of a convolution template: a whole vector when the
/// vectorized channels are ragged (reading clamped), else guarded.
static H::TailStrategy convTail(const ConvParts &cv) {
  return cv.ragged ? H::TailStrategy::RoundUp : H::TailStrategy::GuardWithIf;
}
/// Channels per register tile: one vector, or two when there are more.
static int convTileWidth(const ConvParts &cv, int V) {
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

/// sums two channels of one pixel when there are 32 or more, so each input
/// value it loads feeds two multiply-adds.
H::LoopLevel scheduleConvGpu(H::Func out, ConvParts &cv) {
  int RV = cv.vectorExtent >= 2 * kGpuTile ? 2 : 1;
  return gpuRegisterTiles(out, cv.prod, cv.v, cv.j, {cv.r.x, cv.r.y, cv.r.z},
                          RV, 1);
}
} // namespace kiln::hl
