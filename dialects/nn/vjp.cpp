//===- vjp.cpp - reverse-mode rules of the nn ops -------------------------===//
//
// One place per op: buildVJP receives the adjoint of the op's result and
// builds the adjoints of the operands that `needed` asks for. Adjoints of
// broadcast operands are summed back to the operand's shape.
//
//===----------------------------------------------------------------------===//
#include "dialects/nn/nn_dialect.h"
#include "dialects/nn/shape.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace kiln::nn;

namespace {
/// Small builder for the ops VJP rules are made of. Rules create ops in
/// named steps, never as two op-building arguments of one call: C++ leaves
/// argument order unspecified, and the IR must not depend on the compiler.
struct Grad {
  OpBuilder &b;
  Location loc;

  Value scalar(float v) {
    return b.create<ConstantOp>(
        loc, RankedTensorType::get({}, b.getF32Type()), v);
  }
  Value add(Value x, Value y) { return b.create<AddOp>(loc, x, y); }
  Value sub(Value x, Value y) { return b.create<SubOp>(loc, x, y); }
  Value mul(Value x, Value y) { return b.create<MulOp>(loc, x, y); }
  Value div(Value x, Value y) { return b.create<DivOp>(loc, x, y); }
  Value neg(Value x) { return b.create<NegOp>(loc, x); }
  Value matmul(Value x, Value y, bool tx, bool ty) {
    auto xs = llvm::cast<RankedTensorType>(x.getType()).getShape();
    auto ys = llvm::cast<RankedTensorType>(y.getType()).getShape();
    auto type = RankedTensorType::get({tx ? xs[1] : xs[0], ty ? ys[0] : ys[1]},
                                      b.getF32Type());
    return b.create<MatmulOp>(loc, type, x, y, tx, ty);
  }
  /// Adjoint of a value broadcast from `type`: sum it back down.
  Value sumTo(Value g, Type type) {
    if (g.getType() == type)
      return g;
    return b.create<SumToOp>(loc, type, g);
  }
  Value broadcastTo(Value g, Type type) {
    if (g.getType() == type)
      return g;
    return b.create<BroadcastToOp>(loc, type, g);
  }
  Value reshape(Value g, ArrayRef<int64_t> shape) {
    auto type = RankedTensorType::get(shape, b.getF32Type());
    if (g.getType() == type)
      return g;
    return b.create<ReshapeOp>(loc, type, g);
  }
  Value count(Value x, ArrayRef<int64_t> axes) {
    return b.create<ElementCountOp>(loc, x, b.getDenseI64ArrayAttr(axes));
  }
};

SmallVector<int64_t> allAxes(Value v) {
  auto rank = llvm::cast<RankedTensorType>(v.getType()).getRank();
  return llvm::to_vector(llvm::seq<int64_t>(0, rank));
}

/// Adjoint of a reduction: put the reduced dims back as size 1, then
/// broadcast over them, optionally scaled (1/count for a mean).
Value unreduce(Grad &g, Value dy, Value x, ArrayRef<int64_t> axes,
               Value scale) {
  auto shape = llvm::to_vector(
      llvm::cast<RankedTensorType>(x.getType()).getShape());
  for (int64_t a : axes)
    shape[a] = 1;
  Value kept = g.reshape(dy, shape);
  if (scale)
    kept = g.mul(kept, scale);
  return g.broadcastTo(kept, x.getType());
}

template <typename BinaryOp>
LogicalResult binaryVJP(BinaryOp op, OpBuilder &b, ValueRange resultGrads,
                        ArrayRef<bool> needed,
                        SmallVectorImpl<Value> &operandGrads,
                        function_ref<Value(Grad &, Value dy)> dLhs,
                        function_ref<Value(Grad &, Value dy)> dRhs) {
  Grad g{b, op.getLoc()};
  Value dy = resultGrads[0];
  operandGrads.assign(2, Value());
  if (needed[0])
    operandGrads[0] = g.sumTo(dLhs(g, dy), op.getLhs().getType());
  if (needed[1])
    operandGrads[1] = g.sumTo(dRhs(g, dy), op.getRhs().getType());
  return success();
}
} // namespace

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

// C = op(A)·op(B).  dA, dB keep the operands' own layouts, so each case
// picks the product whose transposition flags produce them directly.
LogicalResult MatmulOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                 ArrayRef<bool> needed,
                                 SmallVectorImpl<Value> &operandGrads) {
  Grad g{b, getLoc()};
  Value dc = resultGrads[0], a = getLhs(), bm = getRhs();
  bool ta = getTransposeLhs(), tb = getTransposeRhs();
  operandGrads.assign(2, Value());
  if (needed[0])
    operandGrads[0] = !ta ? g.matmul(dc, bm, false, !tb)  // dC·op(B)ᵀ
                          : g.matmul(bm, dc, tb, true);   // (dC·op(B)ᵀ)ᵀ
  if (needed[1])
    operandGrads[1] = !tb ? g.matmul(a, dc, !ta, false)   // op(A)ᵀ·dC
                          : g.matmul(dc, a, true, ta);    // (op(A)ᵀ·dC)ᵀ
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

LogicalResult AddOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                              ArrayRef<bool> needed,
                              SmallVectorImpl<Value> &operandGrads) {
  return binaryVJP(
      *this, b, resultGrads, needed, operandGrads,
      [](Grad &, Value dy) { return dy; }, [](Grad &, Value dy) { return dy; });
}

LogicalResult SubOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                              ArrayRef<bool> needed,
                              SmallVectorImpl<Value> &operandGrads) {
  return binaryVJP(
      *this, b, resultGrads, needed, operandGrads,
      [](Grad &, Value dy) { return dy; },
      [](Grad &g, Value dy) { return g.neg(dy); });
}

LogicalResult MulOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                              ArrayRef<bool> needed,
                              SmallVectorImpl<Value> &operandGrads) {
  Value x = getLhs(), y = getRhs();
  return binaryVJP(
      *this, b, resultGrads, needed, operandGrads,
      [&](Grad &g, Value dy) { return g.mul(dy, y); },
      [&](Grad &g, Value dy) { return g.mul(dy, x); });
}

// q = x / y:  dx = dq / y,  dy = -dq·q / y  (reuses q instead of x / y²).
LogicalResult DivOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                              ArrayRef<bool> needed,
                              SmallVectorImpl<Value> &operandGrads) {
  Value y = getRhs(), q = getResult();
  return binaryVJP(
      *this, b, resultGrads, needed, operandGrads,
      [&](Grad &g, Value dq) { return g.div(dq, y); },
      [&](Grad &g, Value dq) { return g.neg(g.div(g.mul(dq, q), y)); });
}

LogicalResult NegOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                              ArrayRef<bool> needed,
                              SmallVectorImpl<Value> &operandGrads) {
  Grad g{b, getLoc()};
  operandGrads.assign(1, needed[0] ? g.neg(resultGrads[0]) : Value());
  return success();
}

// (e^x)' = e^x: reuse the result.
LogicalResult ExpOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                              ArrayRef<bool> needed,
                              SmallVectorImpl<Value> &operandGrads) {
  Grad g{b, getLoc()};
  operandGrads.assign(1, needed[0] ? g.mul(resultGrads[0], getResult())
                                   : Value());
  return success();
}

LogicalResult LogOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                              ArrayRef<bool> needed,
                              SmallVectorImpl<Value> &operandGrads) {
  Grad g{b, getLoc()};
  operandGrads.assign(1, needed[0] ? g.div(resultGrads[0], getInput())
                                   : Value());
  return success();
}

// σ' = σ(1 - σ): reuse the saved output rather than recomputing σ.
LogicalResult SigmoidOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                  ArrayRef<bool> needed,
                                  SmallVectorImpl<Value> &operandGrads) {
  Grad g{b, getLoc()};
  operandGrads.assign(1, Value());
  if (needed[0]) {
    Value s = getResult();
    Value one = g.scalar(1.0f);
    Value slope = g.mul(s, g.sub(one, s));
    operandGrads[0] = g.mul(resultGrads[0], slope);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions and shape moves
//===----------------------------------------------------------------------===//

LogicalResult ReduceSumOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                    ArrayRef<bool> needed,
                                    SmallVectorImpl<Value> &operandGrads) {
  Grad g{b, getLoc()};
  operandGrads.assign(1, Value());
  if (needed[0])
    operandGrads[0] =
        unreduce(g, resultGrads[0], getInput(), getAxes(), Value());
  return success();
}

LogicalResult ReduceMeanOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                     ArrayRef<bool> needed,
                                     SmallVectorImpl<Value> &operandGrads) {
  Grad g{b, getLoc()};
  operandGrads.assign(1, Value());
  if (needed[0]) {
    Value one = g.scalar(1.0f);
    Value count = g.count(getInput(), getAxes());
    Value scale = g.div(one, count);
    operandGrads[0] =
        unreduce(g, resultGrads[0], getInput(), getAxes(), scale);
  }
  return success();
}

LogicalResult BroadcastToOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                      ArrayRef<bool> needed,
                                      SmallVectorImpl<Value> &operandGrads) {
  Grad g{b, getLoc()};
  operandGrads.assign(
      1, needed[0] ? g.sumTo(resultGrads[0], getInput().getType()) : Value());
  return success();
}

LogicalResult SumToOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                ArrayRef<bool> needed,
                                SmallVectorImpl<Value> &operandGrads) {
  Grad g{b, getLoc()};
  operandGrads.assign(1, needed[0] ? g.broadcastTo(resultGrads[0],
                                                   getInput().getType())
                                   : Value());
  return success();
}

LogicalResult ReshapeOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                  ArrayRef<bool> needed,
                                  SmallVectorImpl<Value> &operandGrads) {
  Grad g{b, getLoc()};
  auto in = llvm::cast<RankedTensorType>(getInput().getType());
  operandGrads.assign(
      1, needed[0] ? g.reshape(resultGrads[0], in.getShape()) : Value());
  return success();
}

// Depends on the input's shape only: the adjoint is zero (null).
LogicalResult ElementCountOp::buildVJP(OpBuilder &, ValueRange,
                                       ArrayRef<bool>,
                                       SmallVectorImpl<Value> &operandGrads) {
  operandGrads.assign(1, Value());
  return success();
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

// l = (1/n) Σ (a - y)²:  da = (2 dl / n)(a - y),  dy = -da.
LogicalResult MseOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                              ArrayRef<bool> needed,
                              SmallVectorImpl<Value> &operandGrads) {
  Grad g{b, getLoc()};
  Value a = getPrediction(), y = getTarget();
  Value two = g.scalar(2.0f);
  Value twice = g.mul(resultGrads[0], two);
  Value count = g.count(a, allAxes(a));
  Value scale = g.div(twice, count);
  Value diff = g.sub(a, y);
  Value da = g.mul(diff, scale);
  operandGrads.assign(2, Value());
  if (needed[0])
    operandGrads[0] = da;
  if (needed[1])
    operandGrads[1] = g.neg(da);
  return success();
}

// da comes from one op that also guards a(1 - a) against zero;
// dy = -(dl / n)(ln a - ln(1 - a)) (soft targets that depend on parameters).
LogicalResult BinaryCrossEntropyOp::buildVJP(
    OpBuilder &b, ValueRange resultGrads, ArrayRef<bool> needed,
    SmallVectorImpl<Value> &operandGrads) {
  Grad g{b, getLoc()};
  Value a = getPrediction(), y = getTarget(), dl = resultGrads[0];
  operandGrads.assign(2, Value());
  if (needed[0])
    operandGrads[0] =
        b.create<BinaryCrossEntropyGradOp>(getLoc(), a.getType(), a, y, dl);
  if (needed[1]) {
    Value logA = b.create<LogOp>(getLoc(), a);
    Value one = g.scalar(1.0f);
    Value log1mA = b.create<LogOp>(getLoc(), g.sub(one, a));
    Value logit = g.sub(logA, log1mA);
    Value count = g.count(a, allAxes(a));
    Value scale = g.div(dl, count);
    operandGrads[1] = g.neg(g.mul(logit, scale));
  }
  return success();
}
