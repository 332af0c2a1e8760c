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
  H::RDom reduceOver(unsigned i, ArrayRef<int64_t> axes, bool keepdims,
                     Index &full) {
    std::vector<H::Range> ranges;
    for (int64_t a : axes)
      ranges.emplace_back(0, in[i].extents[a]);
    H::RDom r(ranges, name + "_r");
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
    begin();
    bool ta = mm.getTransposeLhs(), tb = mm.getTransposeRhs();
    H::Expr k = ta ? in[0].extents[0] : in[0].extents[1];
    H::RDom r(0, k, name + "_k");
    H::Var j = vars[0], i = vars[1];
    auto a = [&](H::Expr row, H::Expr col) {
      return ta ? in[0].at({col, row}) : in[0].at({row, col});
    };
    auto b = [&](H::Expr row, H::Expr col) {
      return tb ? in[1].at({col, row}) : in[1].at({row, col});
    };
    out(j, i) = 0.0f;
    out(j, i) += a(i, r.x) * b(r.x, j);
    // i outer (parallel in blocks of rows), k, then j innermost and vectorized.
    int64_t n = result[1];
    bool wide = ShapedType::isDynamic(n) || n >= vectorWidth;
    H::Var io(name + "_io"), ii(name + "_ii");
    if (wide) {
      out.vectorize(j, vectorWidth, H::TailStrategy::GuardWithIf);
      out.update().reorder(j, r.x, i).vectorize(j, vectorWidth,
                                                 H::TailStrategy::GuardWithIf);
    }
    int64_t m = result[0];
    if (ShapedType::isDynamic(m) || m >= 64)
      out.update().split(i, io, ii, 16, H::TailStrategy::GuardWithIf)
          .parallel(io);
    return out;
  }

  H::Func reduce(ArrayRef<int64_t> axes, bool keepdims, bool mean) {
    begin();
    Index full;
    H::RDom r = reduceOver(0, axes, keepdims, full);
    H::Expr s = H::sum(in[0].at(full), name + "_sum");
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
    H::RDom r(ranges, name + "_r");
    size_t off = big.size() - result.size();
    Index full(big.size());
    unsigned next = 0;
    for (size_t d = 0; d < big.size(); ++d)
      full[d] = llvm::is_contained(axes, static_cast<int64_t>(d))
                    ? H::Expr(r[next++])
                    : idx[d - off];
    out(vars) = H::sum(in[0].at(full), name + "_sum");
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
    out() = H::sum(term, name + "_sum") / product(in[0].extents, all);
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

View constantView(ConstantOp c, const std::string &name) {
  auto dense = cast<DenseElementsAttr>(c.getValue());
  ArrayRef<int64_t> shape = dense.getType().getShape();
  View v;
  v.extents = extentsOf(shape, H::Expr());
  if (dense.isSplat()) {
    float x = dense.getSplatValue<float>();
    v.at = [x](const Index &) { return H::Expr(x); };
    return v;
  }
  std::vector<int> sizes(shape.rbegin(), shape.rend());
  H::Buffer<float> buf(sizes, name);
  float *dst = buf.data();
  for (float x : dense.getValues<float>())
    *dst++ = x;
  v.at = [buf](const Index &idx) { return buf(reversed(idx)); };
  return v;
}

} // namespace

std::optional<KernelPipeline> buildKernel(const KernelPlan &kernel,
                                          const H::Target &target) {
  Operation *op = kernel.op;
  const std::string &p = kernel.name;
  H::Param<int32_t> batch(p + "_batch");
  KernelPipeline kp;
  std::vector<View> views;
  int inputs = 0;
  for (auto [i, v] : llvm::enumerate(op->getOperands())) {
    if (auto c = v.getDefiningOp<ConstantOp>()) {
      views.push_back(constantView(c, p + "_c" + std::to_string(i)));
      continue;
    }
    ArrayRef<int64_t> shape = shapeOf(v);
    H::ImageParam img(H::Float(32), shape.size(),
                      p + "_in" + std::to_string(inputs++));
    constrainDims([&](int d) { return img.dim(d); }, shape, batch);
    kp.args.push_back(img);
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
