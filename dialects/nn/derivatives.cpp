//===- derivatives.cpp - VJP and JVP rules of the nn ops ------------------===//
//
// One place per op, both directions. buildVJP receives the adjoint of the
// result and builds the adjoints of the operands `needed` asks for; an
// adjoint of a broadcast operand is summed back to the operand's shape.
// buildJVP receives the operands' tangents (null = zero) and builds the
// result's tangent. Rules build their ops in named steps (Grad), never as
// two op-building arguments of one call: C++ leaves argument order
// unspecified, and the IR must not depend on the compiler.
//
// Rules reuse saved results where the identity allows it: σ(1 − σ), eˣ,
// 1/(2√x), ReLU's mask from its output, the softmax Jacobian from the
// softmax, the quotient in div's rule. maximum, minimum, select and
// reduce_max route the derivative through a mask (ties: to the lhs, resp.
// shared equally). slice and pad are each other's adjoints, and so are
// broadcast_to and sum_to. softmax_cross_entropy's slope is
// (softmax − one_hot(label)) / n; binary_cross_entropy's adjoint is one op,
// nn.binary_cross_entropy_grad, which also guards a(1 − a) against zero;
// nn.element_count divides by the batch size known at run time. The three
// convolutions are bilinear forms of one sum, so each one's VJP and JVP are
// the other two; max_pool2d with values and max_pool2d_grad are each other's
// adjoints, as are avg_pool2d and avg_pool2d_grad. Dropout's VJP and JVP are
// the same dropout (the mask is recomputed, never stored); noise's
// derivative is the identity.
//
// Not differentiable, deliberately (each with its reason in the
// gradient-check coverage test): compare (a mask) and argmax (an index),
// one_hot (its operand is an integer label), cast (meant for masks and
// labels) and binary_cross_entropy_grad (first order only).
//
//===----------------------------------------------------------------------===//
#include "dialects/nn/nn_dialect.h"
#include "dialects/nn/shape.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;
using namespace kiln::nn;

namespace {

/// Small builder for the ops derivative rules are made of. Rules create ops
/// in named steps, never as two op-building arguments of one call: C++
/// leaves argument order unspecified, and the IR must not depend on the
/// compiler.
struct Grad {
  OpBuilder &b;
  Location loc;

  RankedTensorType f32(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, b.getF32Type());
  }
  Value scalar(float v) { return b.create<ConstantOp>(loc, f32({}), v); }
  Value add(Value x, Value y) { return b.create<AddOp>(loc, x, y); }
  Value sub(Value x, Value y) { return b.create<SubOp>(loc, x, y); }
  Value mul(Value x, Value y) { return b.create<MulOp>(loc, x, y); }
  Value div(Value x, Value y) { return b.create<DivOp>(loc, x, y); }
  Value neg(Value x) { return b.create<NegOp>(loc, x); }
  Value log(Value x) { return b.create<LogOp>(loc, x); }
  Value pow(Value x, Value y) { return b.create<PowOp>(loc, x, y); }
  Value sign(Value x) { return b.create<SignOp>(loc, x); }
  Value sin(Value x) { return b.create<SinOp>(loc, x); }
  Value cos(Value x) { return b.create<CosOp>(loc, x); }
  Value compare(ComparePredicate p, Value x, Value y) {
    return b.create<CompareOp>(loc, p, x, y);
  }
  Value select(Value c, Value x, Value y) {
    return b.create<SelectOp>(loc, c, x, y);
  }
  Value toF32(Value mask) {
    auto t = cast<RankedTensorType>(mask.getType());
    return b.create<CastOp>(loc, f32(t.getShape()), mask);
  }
  Value matmul(Value x, Value y, bool tx, bool ty) {
    auto xs = cast<RankedTensorType>(x.getType()).getShape();
    auto ys = cast<RankedTensorType>(y.getType()).getShape();
    auto type = f32({tx ? xs[1] : xs[0], ty ? ys[0] : ys[1]});
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
    if (g.getType() == f32(shape))
      return g;
    return b.create<ReshapeOp>(loc, f32(shape), g);
  }
  Value count(Value x, ArrayRef<int64_t> axes) {
    return b.create<ElementCountOp>(loc, x, b.getDenseI64ArrayAttr(axes));
  }
  Value reduceSum(Value x, ArrayRef<int64_t> axes, bool keepdims) {
    return b.create<ReduceSumOp>(loc, x, b.getDenseI64ArrayAttr(axes),
                                 keepdims);
  }
  /// Zeros shaped like `like` (a broadcast scalar when the shape is dynamic).
  Value zerosLike(Value like) {
    auto t = cast<RankedTensorType>(like.getType());
    if (t.hasStaticShape())
      return b.create<ConstantOp>(loc, t, 0.0f);
    return broadcastTo(scalar(0.0f), t);
  }
  /// A tangent that may be null (zero), as a value of `like`'s type.
  Value orZeros(Value t, Value like) { return t ? t : zerosLike(like); }
};

SmallVector<int64_t> allAxes(Value v) {
  auto rank = cast<RankedTensorType>(v.getType()).getRank();
  return llvm::to_vector(llvm::seq<int64_t>(0, rank));
}

ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

/// `x`'s shape with the reduced axes kept as size 1.
SmallVector<int64_t> keptShape(Value x, ArrayRef<int64_t> axes) {
  auto shape = llvm::to_vector(shapeOf(x));
  for (int64_t a : axes)
    shape[a] = 1;
  return shape;
}

/// Adjoint of a reduction: put the reduced dims back as size 1, then
/// broadcast over them, optionally scaled (1/count for a mean).
Value unreduce(Grad &g, Value dy, Value x, ArrayRef<int64_t> axes,
               Value scale) {
  Value kept = g.reshape(dy, keptShape(x, axes));
  if (scale)
    kept = g.mul(kept, scale);
  return g.broadcastTo(kept, x.getType());
}

/// The common shape of a broadcasting binary op's rule: each needed operand
/// gets its adjoint from `dLhs`/`dRhs`, summed back to its shape.
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

/// Result tangent of a broadcasting binary op: the sum of each operand's
/// contribution (built only for operands with a tangent), at result shape.
template <typename BinaryOp>
LogicalResult binaryJVP(BinaryOp op, OpBuilder &b, ValueRange tangents,
                        SmallVectorImpl<Value> &resultTangents,
                        function_ref<Value(Grad &, Value ta)> fromLhs,
                        function_ref<Value(Grad &, Value tb)> fromRhs) {
  Grad g{b, op.getLoc()};
  Value t;
  if (tangents[0])
    t = fromLhs(g, tangents[0]);
  if (tangents[1]) {
    Value u = fromRhs(g, tangents[1]);
    t = t ? g.add(t, u) : u;
  }
  resultTangents.assign(1, t ? g.broadcastTo(t, op.getType()) : Value());
  return success();
}

/// Unary rules: the result tangent is `scale(t)`, the operand adjoint
/// `scale(dy)` for the same linear map.
template <typename UnaryOp>
LogicalResult unaryVJP(UnaryOp op, OpBuilder &b, ValueRange resultGrads,
                       ArrayRef<bool> needed,
                       SmallVectorImpl<Value> &operandGrads,
                       function_ref<Value(Grad &, Value)> linear) {
  Grad g{b, op.getLoc()};
  operandGrads.assign(1, needed[0] ? linear(g, resultGrads[0]) : Value());
  return success();
}
template <typename UnaryOp>
LogicalResult unaryJVP(UnaryOp op, OpBuilder &b, ValueRange tangents,
                       SmallVectorImpl<Value> &resultTangents,
                       function_ref<Value(Grad &, Value)> linear) {
  Grad g{b, op.getLoc()};
  resultTangents.assign(1, tangents[0] ? linear(g, tangents[0]) : Value());
  return success();
}

} // namespace

// Each op's pair below: VJP then JVP.
#define KILN_UNARY_RULES(OpClass, LINEAR)                                      \
  LogicalResult OpClass::buildVJP(OpBuilder &b, ValueRange resultGrads,        \
                                  ArrayRef<bool> needed,                       \
                                  SmallVectorImpl<Value> &operandGrads) {      \
    return unaryVJP(*this, b, resultGrads, needed, operandGrads, LINEAR);      \
  }                                                                            \
  LogicalResult OpClass::buildJVP(OpBuilder &b, ValueRange tangents,           \
                                  SmallVectorImpl<Value> &resultTangents) {    \
    return unaryJVP(*this, b, tangents, resultTangents, LINEAR);               \
  }

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
    operandGrads[0] = !ta ? g.matmul(dc, bm, false, !tb) // dC·op(B)ᵀ
                          : g.matmul(bm, dc, tb, true);  // (dC·op(B)ᵀ)ᵀ
  if (needed[1])
    operandGrads[1] = !tb ? g.matmul(a, dc, !ta, false) // op(A)ᵀ·dC
                          : g.matmul(dc, a, true, ta);  // (op(A)ᵀ·dC)ᵀ
  return success();
}

// dC = op(dA)·op(B) + op(A)·op(dB)
LogicalResult MatmulOp::buildJVP(OpBuilder &b, ValueRange tangents,
                                 SmallVectorImpl<Value> &resultTangents) {
  bool ta = getTransposeLhs(), tb = getTransposeRhs();
  return binaryJVP(
      *this, b, tangents, resultTangents,
      [&](Grad &g, Value da) { return g.matmul(da, getRhs(), ta, tb); },
      [&](Grad &g, Value db) { return g.matmul(getLhs(), db, ta, tb); });
}

//===----------------------------------------------------------------------===//
// Elementwise binary
//===----------------------------------------------------------------------===//

LogicalResult AddOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                              ArrayRef<bool> needed,
                              SmallVectorImpl<Value> &operandGrads) {
  return binaryVJP(
      *this, b, resultGrads, needed, operandGrads,
      [](Grad &, Value dy) { return dy; }, [](Grad &, Value dy) { return dy; });
}
LogicalResult AddOp::buildJVP(OpBuilder &b, ValueRange tangents,
                              SmallVectorImpl<Value> &resultTangents) {
  return binaryJVP(
      *this, b, tangents, resultTangents, [](Grad &, Value t) { return t; },
      [](Grad &, Value t) { return t; });
}

LogicalResult SubOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                              ArrayRef<bool> needed,
                              SmallVectorImpl<Value> &operandGrads) {
  return binaryVJP(
      *this, b, resultGrads, needed, operandGrads,
      [](Grad &, Value dy) { return dy; },
      [](Grad &g, Value dy) { return g.neg(dy); });
}
LogicalResult SubOp::buildJVP(OpBuilder &b, ValueRange tangents,
                              SmallVectorImpl<Value> &resultTangents) {
  return binaryJVP(
      *this, b, tangents, resultTangents, [](Grad &, Value t) { return t; },
      [](Grad &g, Value t) { return g.neg(t); });
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
LogicalResult MulOp::buildJVP(OpBuilder &b, ValueRange tangents,
                              SmallVectorImpl<Value> &resultTangents) {
  Value x = getLhs(), y = getRhs();
  return binaryJVP(
      *this, b, tangents, resultTangents,
      [&](Grad &g, Value t) { return g.mul(t, y); },
      [&](Grad &g, Value t) { return g.mul(x, t); });
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
// q̇ = ẋ / y − q·ẏ / y
LogicalResult DivOp::buildJVP(OpBuilder &b, ValueRange tangents,
                              SmallVectorImpl<Value> &resultTangents) {
  Value y = getRhs(), q = getResult();
  return binaryJVP(
      *this, b, tangents, resultTangents,
      [&](Grad &g, Value t) { return g.div(t, y); },
      [&](Grad &g, Value t) { return g.neg(g.div(g.mul(q, t), y)); });
}

// p = aᵇ:  ∂p/∂a = b·a^(b−1),  ∂p/∂b = p·ln a  (a > 0).
LogicalResult PowOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                              ArrayRef<bool> needed,
                              SmallVectorImpl<Value> &operandGrads) {
  Value x = getLhs(), e = getRhs(), p = getResult();
  return binaryVJP(
      *this, b, resultGrads, needed, operandGrads,
      [&](Grad &g, Value dy) {
        Value one = g.scalar(1.0f);
        Value slope = g.mul(e, g.pow(x, g.sub(e, one)));
        return g.mul(dy, slope);
      },
      [&](Grad &g, Value dy) { return g.mul(dy, g.mul(p, g.log(x))); });
}
LogicalResult PowOp::buildJVP(OpBuilder &b, ValueRange tangents,
                              SmallVectorImpl<Value> &resultTangents) {
  Value x = getLhs(), e = getRhs(), p = getResult();
  return binaryJVP(
      *this, b, tangents, resultTangents,
      [&](Grad &g, Value t) {
        Value one = g.scalar(1.0f);
        Value slope = g.mul(e, g.pow(x, g.sub(e, one)));
        return g.mul(t, slope);
      },
      [&](Grad &g, Value t) { return g.mul(t, g.mul(p, g.log(x))); });
}

/// max/min: the derivative follows whichever operand was chosen (the lhs on
/// ties); `pick` is that mask.
template <typename Op>
LogicalResult chooseVJP(Op op, ComparePredicate pick, OpBuilder &b,
                        ValueRange resultGrads, ArrayRef<bool> needed,
                        SmallVectorImpl<Value> &operandGrads) {
  Grad g{b, op.getLoc()};
  Value mask = g.compare(pick, op.getLhs(), op.getRhs());
  Value zero = g.scalar(0.0f);
  Value dy = resultGrads[0];
  operandGrads.assign(2, Value());
  if (needed[0])
    operandGrads[0] = g.sumTo(g.select(mask, dy, zero), op.getLhs().getType());
  if (needed[1])
    operandGrads[1] = g.sumTo(g.select(mask, zero, dy), op.getRhs().getType());
  return success();
}
template <typename Op>
LogicalResult chooseJVP(Op op, ComparePredicate pick, OpBuilder &b,
                        ValueRange tangents,
                        SmallVectorImpl<Value> &resultTangents) {
  Grad g{b, op.getLoc()};
  if (!tangents[0] && !tangents[1]) {
    resultTangents.assign(1, Value());
    return success();
  }
  Value mask = g.compare(pick, op.getLhs(), op.getRhs());
  Value ta = tangents[0] ? tangents[0] : g.scalar(0.0f);
  Value tb = tangents[1] ? tangents[1] : g.scalar(0.0f);
  resultTangents.assign(1, g.select(mask, ta, tb));
  return success();
}

LogicalResult MaximumOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                  ArrayRef<bool> needed,
                                  SmallVectorImpl<Value> &operandGrads) {
  return chooseVJP(*this, ComparePredicate::ge, b, resultGrads, needed,
                   operandGrads);
}
LogicalResult MaximumOp::buildJVP(OpBuilder &b, ValueRange tangents,
                                  SmallVectorImpl<Value> &resultTangents) {
  return chooseJVP(*this, ComparePredicate::ge, b, tangents, resultTangents);
}
LogicalResult MinimumOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                  ArrayRef<bool> needed,
                                  SmallVectorImpl<Value> &operandGrads) {
  return chooseVJP(*this, ComparePredicate::le, b, resultGrads, needed,
                   operandGrads);
}
LogicalResult MinimumOp::buildJVP(OpBuilder &b, ValueRange tangents,
                                  SmallVectorImpl<Value> &resultTangents) {
  return chooseJVP(*this, ComparePredicate::le, b, tangents, resultTangents);
}

// The condition is a mask: only the chosen branch gets the derivative.
// Dropout is linear in its input with a fixed mask: the adjoint and the
// tangent go through the same dropout (same seed, rate and salt), which
// recomputes the mask instead of saving it.
bool DropoutOp::isDifferentiableOperand(unsigned index) { return index == 0; }
LogicalResult DropoutOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                  ArrayRef<bool> needed,
                                  SmallVectorImpl<Value> &operandGrads) {
  operandGrads.assign(2, Value());
  if (needed[0])
    operandGrads[0] = b.create<DropoutOp>(getLoc(), resultGrads[0], getSeed(),
                                          getRateAttr(), getSaltAttr());
  return success();
}
LogicalResult DropoutOp::buildJVP(OpBuilder &b, ValueRange tangents,
                                  SmallVectorImpl<Value> &resultTangents) {
  resultTangents.assign(
      1, tangents[0] ? b.create<DropoutOp>(getLoc(), tangents[0], getSeed(),
                                           getRateAttr(), getSaltAttr())
                           .getResult()
                     : Value());
  return success();
}

/// The adjoint of an op that is the identity in its first operand and
/// passes no derivative to the others (noise's seed, train_eval's eval).
static LogicalResult identityToFirst(ValueRange resultGrads,
                                     ArrayRef<bool> needed,
                                     SmallVectorImpl<Value> &operandGrads) {
  operandGrads.assign(needed.size(), Value());
  if (needed[0])
    operandGrads[0] = resultGrads[0];
  return success();
}

// Additive noise: the derivative in x is the identity, none in the seed.
bool GaussianNoiseOp::isDifferentiableOperand(unsigned index) {
  return index == 0;
}
LogicalResult GaussianNoiseOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                        ArrayRef<bool> needed,
                                        SmallVectorImpl<Value> &operandGrads) {
  return identityToFirst(resultGrads, needed, operandGrads);
}
LogicalResult
GaussianNoiseOp::buildJVP(OpBuilder &b, ValueRange tangents,
                          SmallVectorImpl<Value> &resultTangents) {
  resultTangents.assign(1, tangents[0]);
  return success();
}

bool SelectOp::isDifferentiableOperand(unsigned index) { return index != 0; }
LogicalResult SelectOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                 ArrayRef<bool> needed,
                                 SmallVectorImpl<Value> &operandGrads) {
  Grad g{b, getLoc()};
  Value zero = g.scalar(0.0f), dy = resultGrads[0];
  operandGrads.assign(3, Value());
  if (needed[1])
    operandGrads[1] =
        g.sumTo(g.select(getCondition(), dy, zero), getOnTrue().getType());
  if (needed[2])
    operandGrads[2] =
        g.sumTo(g.select(getCondition(), zero, dy), getOnFalse().getType());
  return success();
}
LogicalResult SelectOp::buildJVP(OpBuilder &b, ValueRange tangents,
                                 SmallVectorImpl<Value> &resultTangents) {
  Grad g{b, getLoc()};
  if (!tangents[1] && !tangents[2]) {
    resultTangents.assign(1, Value());
    return success();
  }
  Value ta = tangents[1] ? tangents[1] : g.scalar(0.0f);
  Value tb = tangents[2] ? tangents[2] : g.scalar(0.0f);
  resultTangents.assign(1, g.select(getCondition(), ta, tb));
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise unary: the derivative is a pointwise linear map.
//===----------------------------------------------------------------------===//

KILN_UNARY_RULES(NegOp, [](Grad &g, Value t) { return g.neg(t); })
// (eˣ)' = eˣ: reuse the result.
KILN_UNARY_RULES(ExpOp,
                 [this](Grad &g, Value t) { return g.mul(t, getResult()); })
KILN_UNARY_RULES(LogOp,
                 [this](Grad &g, Value t) { return g.div(t, getInput()); })
// σ' = σ(1 − σ): reuse the saved output rather than recomputing σ.
KILN_UNARY_RULES(SigmoidOp, [this](Grad &g, Value t) {
  Value s = getResult();
  Value one = g.scalar(1.0f);
  Value slope = g.mul(s, g.sub(one, s));
  return g.mul(t, slope);
})
// (√x)' = 1 / (2√x): reuse the result.
KILN_UNARY_RULES(SqrtOp, [this](Grad &g, Value t) {
  Value two = g.scalar(2.0f);
  Value twice = g.mul(two, getResult());
  return g.div(t, twice);
})
KILN_UNARY_RULES(AbsOp, [this](Grad &g, Value t) {
  return g.mul(t, g.sign(getInput()));
})
KILN_UNARY_RULES(SinOp, [this](Grad &g, Value t) {
  return g.mul(t, g.cos(getInput()));
})
KILN_UNARY_RULES(CosOp, [this](Grad &g, Value t) {
  return g.neg(g.mul(t, g.sin(getInput())));
})

// Piecewise constant: the derivative is zero (null) wherever it exists.
LogicalResult SignOp::buildVJP(OpBuilder &, ValueRange, ArrayRef<bool>,
                               SmallVectorImpl<Value> &operandGrads) {
  operandGrads.assign(1, Value());
  return success();
}
LogicalResult SignOp::buildJVP(OpBuilder &, ValueRange,
                               SmallVectorImpl<Value> &resultTangents) {
  resultTangents.assign(1, Value());
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions
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
LogicalResult ReduceSumOp::buildJVP(OpBuilder &b, ValueRange tangents,
                                    SmallVectorImpl<Value> &resultTangents) {
  resultTangents.assign(1, Value());
  if (tangents[0])
    resultTangents[0] = b.create<ReduceSumOp>(getLoc(), tangents[0],
                                              getAxesAttr(), getKeepdims());
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
    operandGrads[0] = unreduce(g, resultGrads[0], getInput(), getAxes(), scale);
  }
  return success();
}
LogicalResult ReduceMeanOp::buildJVP(OpBuilder &b, ValueRange tangents,
                                     SmallVectorImpl<Value> &resultTangents) {
  resultTangents.assign(1, Value());
  if (tangents[0])
    resultTangents[0] = b.create<ReduceMeanOp>(getLoc(), tangents[0],
                                               getAxesAttr(), getKeepdims());
  return success();
}

/// The elements equal to their reduction's max, as f32 weights that sum to
/// one per reduced slice (ties share the derivative equally).
static Value maxWeights(Grad &g, ReduceMaxOp op) {
  Value x = op.getInput();
  SmallVector<int64_t> kept = keptShape(x, op.getAxes());
  Value m = g.reshape(op.getResult(), kept);
  Value hit = g.toF32(g.compare(ComparePredicate::eq, x, m));
  Value ties = g.reduceSum(hit, op.getAxes(), /*keepdims=*/true);
  return g.div(hit, ties);
}

LogicalResult ReduceMaxOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                    ArrayRef<bool> needed,
                                    SmallVectorImpl<Value> &operandGrads) {
  Grad g{b, getLoc()};
  operandGrads.assign(1, Value());
  if (needed[0]) {
    Value w = maxWeights(g, *this);
    Value dy = g.reshape(resultGrads[0], keptShape(getInput(), getAxes()));
    operandGrads[0] = g.mul(w, dy);
  }
  return success();
}
LogicalResult ReduceMaxOp::buildJVP(OpBuilder &b, ValueRange tangents,
                                    SmallVectorImpl<Value> &resultTangents) {
  Grad g{b, getLoc()};
  resultTangents.assign(1, Value());
  if (tangents[0]) {
    Value w = maxWeights(g, *this);
    Value weighted = g.mul(w, tangents[0]);
    resultTangents[0] =
        b.create<ReduceSumOp>(getLoc(), weighted, getAxesAttr(), getKeepdims());
  }
  return success();
}

// Depends on the input's shape only: the derivative is zero (null).
LogicalResult ElementCountOp::buildVJP(OpBuilder &, ValueRange, ArrayRef<bool>,
                                       SmallVectorImpl<Value> &operandGrads) {
  operandGrads.assign(1, Value());
  return success();
}
LogicalResult ElementCountOp::buildJVP(OpBuilder &, ValueRange,
                                       SmallVectorImpl<Value> &resultTangents) {
  resultTangents.assign(1, Value());
  return success();
}

//===----------------------------------------------------------------------===//
// Shape moves: each is linear, its VJP the opposite move.
//===----------------------------------------------------------------------===//

LogicalResult BroadcastToOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                      ArrayRef<bool> needed,
                                      SmallVectorImpl<Value> &operandGrads) {
  Grad g{b, getLoc()};
  operandGrads.assign(
      1, needed[0] ? g.sumTo(resultGrads[0], getInput().getType()) : Value());
  return success();
}
LogicalResult BroadcastToOp::buildJVP(OpBuilder &b, ValueRange tangents,
                                      SmallVectorImpl<Value> &resultTangents) {
  Grad g{b, getLoc()};
  resultTangents.assign(1, tangents[0] ? g.broadcastTo(tangents[0], getType())
                                       : Value());
  return success();
}

LogicalResult SumToOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                ArrayRef<bool> needed,
                                SmallVectorImpl<Value> &operandGrads) {
  Grad g{b, getLoc()};
  operandGrads.assign(
      1, needed[0] ? g.broadcastTo(resultGrads[0], getInput().getType())
                   : Value());
  return success();
}
LogicalResult SumToOp::buildJVP(OpBuilder &b, ValueRange tangents,
                                SmallVectorImpl<Value> &resultTangents) {
  Grad g{b, getLoc()};
  resultTangents.assign(1, tangents[0] ? g.sumTo(tangents[0], getType())
                                       : Value());
  return success();
}

LogicalResult ReshapeOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                  ArrayRef<bool> needed,
                                  SmallVectorImpl<Value> &operandGrads) {
  Grad g{b, getLoc()};
  operandGrads.assign(
      1, needed[0] ? g.reshape(resultGrads[0], shapeOf(getInput())) : Value());
  return success();
}
LogicalResult ReshapeOp::buildJVP(OpBuilder &b, ValueRange tangents,
                                  SmallVectorImpl<Value> &resultTangents) {
  Grad g{b, getLoc()};
  resultTangents.assign(
      1, tangents[0] ? g.reshape(tangents[0], shapeOf(getResult())) : Value());
  return success();
}

LogicalResult TransposeOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                    ArrayRef<bool> needed,
                                    SmallVectorImpl<Value> &operandGrads) {
  operandGrads.assign(1, Value());
  if (!needed[0])
    return success();
  ArrayRef<int64_t> perm = getPermutation();
  SmallVector<int64_t> inverse(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    inverse[p] = i;
  operandGrads[0] = b.create<TransposeOp>(getLoc(), resultGrads[0],
                                          b.getDenseI64ArrayAttr(inverse));
  return success();
}
LogicalResult TransposeOp::buildJVP(OpBuilder &b, ValueRange tangents,
                                    SmallVectorImpl<Value> &resultTangents) {
  resultTangents.assign(1, Value());
  if (tangents[0])
    resultTangents[0] =
        b.create<TransposeOp>(getLoc(), tangents[0], getPermutationAttr());
  return success();
}

// Each operand's adjoint is its slice of the result's adjoint.
LogicalResult ConcatOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                 ArrayRef<bool> needed,
                                 SmallVectorImpl<Value> &operandGrads) {
  operandGrads.assign(getInputs().size(), Value());
  int64_t axis = getAxis(), offset = 0;
  ArrayRef<int64_t> out = shapeOf(getResult());
  for (auto [i, in] : llvm::enumerate(getInputs())) {
    ArrayRef<int64_t> s = shapeOf(in);
    if (needed[i]) {
      SmallVector<int64_t> starts, limits, strides(out.size(), 1);
      for (size_t d = 0; d < out.size(); ++d) {
        bool batch = ShapedType::isDynamic(out[d]);
        starts.push_back(d == static_cast<size_t>(axis) ? offset : 0);
        limits.push_back(batch                            ? -1
                         : d == static_cast<size_t>(axis) ? offset + s[d]
                                                          : out[d]);
      }
      operandGrads[i] = b.create<SliceOp>(
          getLoc(), resultGrads[0], b.getDenseI64ArrayAttr(starts),
          b.getDenseI64ArrayAttr(limits), b.getDenseI64ArrayAttr(strides));
    }
    offset += s[axis];
  }
  return success();
}
LogicalResult ConcatOp::buildJVP(OpBuilder &b, ValueRange tangents,
                                 SmallVectorImpl<Value> &resultTangents) {
  Grad g{b, getLoc()};
  resultTangents.assign(1, Value());
  if (llvm::none_of(tangents, [](Value t) { return static_cast<bool>(t); }))
    return success();
  SmallVector<Value> parts;
  for (auto [t, in] : llvm::zip(tangents, getInputs()))
    parts.push_back(g.orZeros(t, in));
  resultTangents[0] = b.create<ConcatOp>(getLoc(), parts, getAxisAttr());
  return success();
}

// The adjoint of a slice pads the adjoint back: zeros before the start,
// between strided elements and after the last one taken.
LogicalResult SliceOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                ArrayRef<bool> needed,
                                SmallVectorImpl<Value> &operandGrads) {
  operandGrads.assign(1, Value());
  if (!needed[0])
    return success();
  ArrayRef<int64_t> in = shapeOf(getInput()), out = shapeOf(getResult());
  SmallVector<int64_t> low, high, interior;
  for (size_t d = 0; d < in.size(); ++d) {
    if (ShapedType::isDynamic(in[d])) {
      low.push_back(0);
      high.push_back(0);
      interior.push_back(0);
      continue;
    }
    int64_t start = getStarts()[d], stride = getStrides()[d];
    if (out[d] == 0) {
      low.push_back(in[d]);
      high.push_back(0);
      interior.push_back(0);
      continue;
    }
    int64_t last = start + (out[d] - 1) * stride;
    low.push_back(start);
    high.push_back(in[d] - last - 1);
    interior.push_back(stride - 1);
  }
  operandGrads[0] = b.create<PadOp>(
      getLoc(), resultGrads[0], b.getDenseI64ArrayAttr(low),
      b.getDenseI64ArrayAttr(high), b.getDenseI64ArrayAttr(interior));
  return success();
}
LogicalResult SliceOp::buildJVP(OpBuilder &b, ValueRange tangents,
                                SmallVectorImpl<Value> &resultTangents) {
  resultTangents.assign(1, Value());
  if (tangents[0])
    resultTangents[0] =
        b.create<SliceOp>(getLoc(), tangents[0], getStartsAttr(),
                          getLimitsAttr(), getStridesAttr());
  return success();
}

// The adjoint of a pad is the slice of the elements it placed.
LogicalResult PadOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                              ArrayRef<bool> needed,
                              SmallVectorImpl<Value> &operandGrads) {
  operandGrads.assign(1, Value());
  if (!needed[0])
    return success();
  ArrayRef<int64_t> in = shapeOf(getInput());
  SmallVector<int64_t> starts, limits, strides;
  for (size_t d = 0; d < in.size(); ++d) {
    if (ShapedType::isDynamic(in[d])) {
      starts.push_back(0);
      limits.push_back(-1);
      strides.push_back(1);
      continue;
    }
    int64_t step = getInterior()[d] + 1;
    starts.push_back(getLow()[d]);
    limits.push_back(in[d] ? getLow()[d] + (in[d] - 1) * step + 1
                           : getLow()[d]);
    strides.push_back(step);
  }
  operandGrads[0] = b.create<SliceOp>(
      getLoc(), resultGrads[0], b.getDenseI64ArrayAttr(starts),
      b.getDenseI64ArrayAttr(limits), b.getDenseI64ArrayAttr(strides));
  return success();
}
LogicalResult PadOp::buildJVP(OpBuilder &b, ValueRange tangents,
                              SmallVectorImpl<Value> &resultTangents) {
  resultTangents.assign(1, Value());
  if (tangents[0])
    resultTangents[0] = b.create<PadOp>(getLoc(), tangents[0], getLowAttr(),
                                        getHighAttr(), getInteriorAttr());
  return success();
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

// l = (1/n) Σ (a − y)²:  da = (2 dl / n)(a − y),  dy = −da.
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
// l̇ = (2/n) Σ (a − y)(ȧ − ẏ)
LogicalResult MseOp::buildJVP(OpBuilder &b, ValueRange tangents,
                              SmallVectorImpl<Value> &resultTangents) {
  Grad g{b, getLoc()};
  resultTangents.assign(1, Value());
  Value ta = tangents[0], ty = tangents[1];
  if (!ta && !ty)
    return success();
  Value a = getPrediction(), y = getTarget();
  Value move = !ty ? ta : !ta ? g.neg(ty) : g.sub(ta, ty);
  Value diff = g.sub(a, y);
  Value total = g.reduceSum(g.mul(diff, move), allAxes(a), false);
  Value two = g.scalar(2.0f);
  Value count = g.count(a, allAxes(a));
  Value scale = g.div(two, count);
  resultTangents[0] = g.mul(total, scale);
  return success();
}

// da comes from one op that also guards a(1 − a) against zero;
// dy = −(dl / n)(ln a − ln(1 − a)) (soft targets that depend on parameters).
LogicalResult
BinaryCrossEntropyOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                               ArrayRef<bool> needed,
                               SmallVectorImpl<Value> &operandGrads) {
  Grad g{b, getLoc()};
  Value a = getPrediction(), y = getTarget(), dl = resultGrads[0];
  operandGrads.assign(2, Value());
  if (needed[0])
    operandGrads[0] =
        b.create<BinaryCrossEntropyGradOp>(getLoc(), a.getType(), a, y, dl);
  if (needed[1]) {
    Value logA = g.log(a);
    Value one = g.scalar(1.0f);
    Value log1mA = g.log(g.sub(one, a));
    Value logit = g.sub(logA, log1mA);
    Value count = g.count(a, allAxes(a));
    Value scale = g.div(dl, count);
    operandGrads[1] = g.neg(g.mul(logit, scale));
  }
  return success();
}
// l̇ = Σ ∂l/∂a · ȧ + Σ ∂l/∂y · ẏ, with the same partials as the VJP.
LogicalResult
BinaryCrossEntropyOp::buildJVP(OpBuilder &b, ValueRange tangents,
                               SmallVectorImpl<Value> &resultTangents) {
  Grad g{b, getLoc()};
  resultTangents.assign(1, Value());
  Value a = getPrediction(), y = getTarget();
  Value total;
  if (tangents[0]) {
    Value one = g.scalar(1.0f);
    Value da =
        b.create<BinaryCrossEntropyGradOp>(getLoc(), a.getType(), a, y, one);
    total = g.reduceSum(g.mul(da, tangents[0]), allAxes(a), false);
  }
  if (tangents[1]) {
    Value logA = g.log(a);
    Value one = g.scalar(1.0f);
    Value log1mA = g.log(g.sub(one, a));
    Value logit = g.sub(logA, log1mA);
    Value count = g.count(a, allAxes(a));
    Value sum = g.reduceSum(g.mul(logit, tangents[1]), allAxes(a), false);
    Value part = g.neg(g.div(sum, count));
    total = total ? g.add(total, part) : part;
  }
  resultTangents[0] = total;
  return success();
}

//===----------------------------------------------------------------------===//
// relu, softmax, log_softmax, softmax_cross_entropy
//===----------------------------------------------------------------------===//

// relu' = [x > 0] = [relu(x) > 0]: read from the saved output, so the
// forward kernel need not also keep its input for the backward pass.
KILN_UNARY_RULES(ReluOp, [this](Grad &g, Value t) {
  Value zero = g.scalar(0.0f);
  Value positive = g.compare(ComparePredicate::gt, getResult(), zero);
  return g.select(positive, t, zero);
})

/// y ⊙ (v − Σ_axis v ⊙ y): the softmax Jacobian (diag(y) − y yᵀ) applied to
/// v, which is symmetric, so VJP and JVP are the same map.
static Value softmaxLinear(Grad &g, Value y, Value v, int64_t axis) {
  Value weighted = g.mul(v, y);
  Value total = g.reduceSum(weighted, {axis}, /*keepdims=*/true);
  Value centred = g.sub(v, total);
  return g.mul(y, centred);
}

LogicalResult SoftmaxOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                  ArrayRef<bool> needed,
                                  SmallVectorImpl<Value> &operandGrads) {
  Grad g{b, getLoc()};
  operandGrads.assign(
      1, needed[0] ? softmaxLinear(g, getResult(), resultGrads[0], getAxis())
                   : Value());
  return success();
}
LogicalResult SoftmaxOp::buildJVP(OpBuilder &b, ValueRange tangents,
                                  SmallVectorImpl<Value> &resultTangents) {
  Grad g{b, getLoc()};
  resultTangents.assign(
      1, tangents[0] ? softmaxLinear(g, getResult(), tangents[0], getAxis())
                     : Value());
  return success();
}

// y = x − log Σ eˣ:  dx = dy − softmax(x)·Σ dy,  ẏ = ẋ − Σ softmax(x)·ẋ,
// with softmax(x) = exp(y) from the saved result.
LogicalResult LogSoftmaxOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                     ArrayRef<bool> needed,
                                     SmallVectorImpl<Value> &operandGrads) {
  Grad g{b, getLoc()};
  operandGrads.assign(1, Value());
  if (!needed[0])
    return success();
  Value dy = resultGrads[0];
  Value p = b.create<ExpOp>(getLoc(), getResult());
  Value total =
      g.reduceSum(dy, {static_cast<int64_t>(getAxis())}, /*keepdims=*/true);
  operandGrads[0] = g.sub(dy, g.mul(p, total));
  return success();
}
LogicalResult LogSoftmaxOp::buildJVP(OpBuilder &b, ValueRange tangents,
                                     SmallVectorImpl<Value> &resultTangents) {
  Grad g{b, getLoc()};
  resultTangents.assign(1, Value());
  if (!tangents[0])
    return success();
  Value p = b.create<ExpOp>(getLoc(), getResult());
  Value weighted = g.mul(p, tangents[0]);
  Value total = g.reduceSum(weighted, {static_cast<int64_t>(getAxis())},
                            /*keepdims=*/true);
  resultTangents[0] = g.sub(tangents[0], total);
  return success();
}

/// (softmax(z) − one_hot(labels)) / n: the derivative of the mean
/// cross-entropy with respect to the logits.
static Value crossEntropySlope(Grad &g, SoftmaxCrossEntropyOp op) {
  Value z = op.getLogits(), labels = op.getLabels();
  auto zType = cast<RankedTensorType>(z.getType());
  int64_t axis = zType.getRank() - 1;
  Value p = g.b.create<SoftmaxOp>(g.loc, z, g.b.getI64IntegerAttr(axis));
  Value target = g.b.create<OneHotOp>(
      g.loc, labels, g.b.getI64IntegerAttr(zType.getDimSize(axis)));
  Value diff = g.sub(p, target);
  Value count = g.count(labels, allAxes(labels));
  return g.div(diff, count);
}

bool SoftmaxCrossEntropyOp::isDifferentiableOperand(unsigned index) {
  return index == 0; // labels are data
}
LogicalResult
SoftmaxCrossEntropyOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                ArrayRef<bool> needed,
                                SmallVectorImpl<Value> &operandGrads) {
  Grad g{b, getLoc()};
  operandGrads.assign(2, Value());
  if (needed[0])
    operandGrads[0] = g.mul(crossEntropySlope(g, *this), resultGrads[0]);
  return success();
}
LogicalResult
SoftmaxCrossEntropyOp::buildJVP(OpBuilder &b, ValueRange tangents,
                                SmallVectorImpl<Value> &resultTangents) {
  Grad g{b, getLoc()};
  resultTangents.assign(1, Value());
  if (!tangents[0])
    return success();
  Value weighted = g.mul(crossEntropySlope(g, *this), tangents[0]);
  resultTangents[0] = g.reduceSum(weighted, allAxes(getLogits()), false);
  return success();
}

//===----------------------------------------------------------------------===//
// Convolution and pooling
//===----------------------------------------------------------------------===//

// The three convolutions are bilinear forms of one sum, so each one's
// derivatives are the other two: conv(x, w) has adjoints
// input_grad(dy, w) and filter_grad(x, dy), and so on around the triangle.
namespace {
template <typename Op> struct ConvBuilder {
  Op op;
  OpBuilder &b;
  SmallVector<int64_t> spatial(Value v) {
    ArrayRef<int64_t> s = shapeOf(v);
    return {s[1], s[2]};
  }
  Value conv(Value x, Value w) {
    return b.create<Conv2dOp>(op.getLoc(), x, w, op.getStridesAttr(),
                              op.getPaddingAttr(), op.getDilationAttr(),
                              op.getGroupsAttr());
  }
  Value inputGrad(Value dy, Value w, ArrayRef<int64_t> inputSize) {
    return b.create<Conv2dInputGradOp>(op.getLoc(), dy, w, op.getStridesAttr(),
                                       op.getPaddingAttr(),
                                       op.getDilationAttr(), op.getGroupsAttr(),
                                       b.getDenseI64ArrayAttr(inputSize));
  }
  Value filterGrad(Value x, Value dy, ArrayRef<int64_t> kernel) {
    return b.create<Conv2dFilterGradOp>(
        op.getLoc(), x, dy, op.getStridesAttr(), op.getPaddingAttr(),
        op.getDilationAttr(), op.getGroupsAttr(),
        b.getDenseI64ArrayAttr(kernel));
  }
  /// The tangent of a bilinear f(a, c) (each of the three convolutions is
  /// one): f(ta, c) + f(a, tc), a null tangent contributing nothing.
  template <typename F>
  Value bilinearJVP(ValueRange tangents, Value a, Value c, F f) {
    Value viaA = tangents[0] ? f(tangents[0], c) : Value();
    Value viaC = tangents[1] ? f(a, tangents[1]) : Value();
    if (!viaA || !viaC)
      return viaA ? viaA : viaC;
    return b.create<AddOp>(op.getLoc(), viaA, viaC);
  }
};
template <typename Op> ConvBuilder<Op> convBuilder(Op op, OpBuilder &b) {
  return ConvBuilder<Op>{op, b};
}
} // namespace

LogicalResult Conv2dOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                 ArrayRef<bool> needed,
                                 SmallVectorImpl<Value> &operandGrads) {
  auto c = convBuilder(*this, b);
  Value x = getInput(), w = getFilter(), dy = resultGrads[0];
  operandGrads.assign(2, Value());
  if (needed[0])
    operandGrads[0] = c.inputGrad(dy, w, c.spatial(x));
  if (needed[1])
    operandGrads[1] = c.filterGrad(x, dy, shapeOf(w).take_front(2));
  return success();
}
LogicalResult Conv2dOp::buildJVP(OpBuilder &b, ValueRange tangents,
                                 SmallVectorImpl<Value> &resultTangents) {
  auto c = convBuilder(*this, b);
  resultTangents.assign(
      1, c.bilinearJVP(tangents, getInput(), getFilter(),
                       [&](Value x, Value w) { return c.conv(x, w); }));
  return success();
}

// dx = input_grad(dy, w): adjoints dy ← conv(g, w), w ← filter_grad(g, dy).
LogicalResult
Conv2dInputGradOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                            ArrayRef<bool> needed,
                            SmallVectorImpl<Value> &operandGrads) {
  auto c = convBuilder(*this, b);
  Value g = resultGrads[0];
  operandGrads.assign(2, Value());
  if (needed[0])
    operandGrads[0] = c.conv(g, getFilter());
  if (needed[1])
    operandGrads[1] =
        c.filterGrad(g, getOutputGrad(), shapeOf(getFilter()).take_front(2));
  return success();
}
LogicalResult
Conv2dInputGradOp::buildJVP(OpBuilder &b, ValueRange tangents,
                            SmallVectorImpl<Value> &resultTangents) {
  auto c = convBuilder(*this, b);
  resultTangents.assign(1, c.bilinearJVP(tangents, getOutputGrad(), getFilter(),
                                         [&](Value dy, Value w) {
                                           return c.inputGrad(dy, w,
                                                              getInputSize());
                                         }));
  return success();
}

// dw = filter_grad(x, dy): adjoints x ← input_grad(dy, g), dy ← conv(x, g).
LogicalResult
Conv2dFilterGradOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                             ArrayRef<bool> needed,
                             SmallVectorImpl<Value> &operandGrads) {
  auto c = convBuilder(*this, b);
  Value g = resultGrads[0];
  operandGrads.assign(2, Value());
  if (needed[0])
    operandGrads[0] = c.inputGrad(getOutputGrad(), g, c.spatial(getInput()));
  if (needed[1])
    operandGrads[1] = c.conv(getInput(), g);
  return success();
}
LogicalResult
Conv2dFilterGradOp::buildJVP(OpBuilder &b, ValueRange tangents,
                             SmallVectorImpl<Value> &resultTangents) {
  auto c = convBuilder(*this, b);
  resultTangents.assign(1, c.bilinearJVP(tangents, getInput(), getOutputGrad(),
                                         [&](Value x, Value dy) {
                                           return c.filterGrad(x, dy,
                                                               getKernelSize());
                                         }));
  return success();
}

// Max pooling picks one element per window; where it picks is piecewise
// constant in x, so only the picked values carry a derivative. The
// gather (max_pool2d with values) and the scatter (max_pool2d_grad) are
// each other's adjoints, and both are linear in their second operand.
// Average pooling is linear too: its adjoint spreads each window's
// adjoint evenly (avg_pool2d_grad), whose adjoint is the pooling again.
namespace {
/// The four pooling ops with `op`'s window.
template <typename Op> struct PoolBuilder {
  Op op;
  OpBuilder &b;
  Value gather(Value where, Value values) {
    return b.create<MaxPool2dOp>(op.getLoc(), where, values, op.getWindowAttr(),
                                 op.getStridesAttr(), op.getPaddingAttr());
  }
  Value scatter(Value where, Value dy) {
    return b.create<MaxPool2dGradOp>(op.getLoc(), where, dy, op.getWindowAttr(),
                                     op.getStridesAttr(), op.getPaddingAttr());
  }
  Value average(Value x) {
    return b.create<AvgPool2dOp>(op.getLoc(), x, op.getWindowAttr(),
                                 op.getStridesAttr(), op.getPaddingAttr());
  }
  Value spread(Value dy, ArrayRef<int64_t> inputSize) {
    return b.create<AvgPool2dGradOp>(op.getLoc(), dy, op.getWindowAttr(),
                                     op.getStridesAttr(), op.getPaddingAttr(),
                                     b.getDenseI64ArrayAttr(inputSize));
  }
};
template <typename Op> PoolBuilder<Op> poolBuilder(Op op, OpBuilder &b) {
  return PoolBuilder<Op>{op, b};
}
} // namespace

bool MaxPool2dOp::isDifferentiableOperand(unsigned index) {
  // max_pool2d(x) picks from x itself; with `values` only those count.
  return index == (getValues() ? 1u : 0u);
}
LogicalResult MaxPool2dOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                    ArrayRef<bool> needed,
                                    SmallVectorImpl<Value> &operandGrads) {
  unsigned picked = getValues() ? 1 : 0;
  operandGrads.assign(getNumOperands(), Value());
  if (needed[picked])
    operandGrads[picked] =
        poolBuilder(*this, b).scatter(getInput(), resultGrads[0]);
  return success();
}
LogicalResult MaxPool2dOp::buildJVP(OpBuilder &b, ValueRange tangents,
                                    SmallVectorImpl<Value> &resultTangents) {
  Value t = tangents[getValues() ? 1 : 0];
  resultTangents.assign(1, t ? poolBuilder(*this, b).gather(getInput(), t)
                             : Value());
  return success();
}

bool MaxPool2dGradOp::isDifferentiableOperand(unsigned index) {
  return index == 1;
}
LogicalResult MaxPool2dGradOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                        ArrayRef<bool> needed,
                                        SmallVectorImpl<Value> &operandGrads) {
  operandGrads.assign(2, Value());
  if (needed[1])
    operandGrads[1] = poolBuilder(*this, b).gather(getInput(), resultGrads[0]);
  return success();
}
LogicalResult
MaxPool2dGradOp::buildJVP(OpBuilder &b, ValueRange tangents,
                          SmallVectorImpl<Value> &resultTangents) {
  Value t = tangents[1];
  resultTangents.assign(1, t ? poolBuilder(*this, b).scatter(getInput(), t)
                             : Value());
  return success();
}

bool AvgPool2dOp::isDifferentiableOperand(unsigned) { return true; }
LogicalResult AvgPool2dOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                    ArrayRef<bool> needed,
                                    SmallVectorImpl<Value> &operandGrads) {
  ArrayRef<int64_t> in = shapeOf(getInput());
  return unaryVJP(*this, b, resultGrads, needed, operandGrads,
                  [&](Grad &, Value g) {
                    return poolBuilder(*this, b).spread(g, {in[1], in[2]});
                  });
}
LogicalResult AvgPool2dOp::buildJVP(OpBuilder &b, ValueRange tangents,
                                    SmallVectorImpl<Value> &resultTangents) {
  return unaryJVP(*this, b, tangents, resultTangents, [&](Grad &, Value t) {
    return poolBuilder(*this, b).average(t);
  });
}

bool AvgPool2dGradOp::isDifferentiableOperand(unsigned) { return true; }
LogicalResult AvgPool2dGradOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                        ArrayRef<bool> needed,
                                        SmallVectorImpl<Value> &operandGrads) {
  return unaryVJP(
      *this, b, resultGrads, needed, operandGrads,
      [&](Grad &, Value g) { return poolBuilder(*this, b).average(g); });
}
LogicalResult
AvgPool2dGradOp::buildJVP(OpBuilder &b, ValueRange tangents,
                          SmallVectorImpl<Value> &resultTangents) {
  return unaryJVP(*this, b, tangents, resultTangents, [&](Grad &, Value t) {
    return poolBuilder(*this, b).spread(t, getInputSize());
  });
}

// The differentiated functions are training's, where the op is its first
// operand: the evaluation operand (batch norm's running statistics, which
// depend on the parameters too) gets a zero derivative, not an error.
bool TrainEvalOp::isDifferentiableOperand(unsigned) { return true; }
LogicalResult TrainEvalOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                    ArrayRef<bool> needed,
                                    SmallVectorImpl<Value> &operandGrads) {
  return identityToFirst(resultGrads, needed, operandGrads);
}
LogicalResult TrainEvalOp::buildJVP(OpBuilder &b, ValueRange tangents,
                                    SmallVectorImpl<Value> &resultTangents) {
  resultTangents.assign(1, tangents[0]);
  return success();
}

//===----------------------------------------------------------------------===//
// nn.scan: the derivatives of a loop are loops over the body's derivatives.
//===----------------------------------------------------------------------===//

namespace {

bool isF32(Value v) {
  return cast<RankedTensorType>(v.getType()).getElementType().isF32();
}

/// The reverse sweep of one step's ops (in block order), seeded with
/// `adjoint`: every op an adjoint reaches applies its VJP to its f32
/// operands, and operands with several users sum their adjoints.
LogicalResult sweepBack(OpBuilder &b, ArrayRef<Operation *> ops,
                        llvm::DenseMap<Value, Value> &adjoint) {
  for (Operation *op : llvm::reverse(ops)) {
    SmallVector<Value> resultGrads;
    bool any = false;
    for (Value r : op->getResults()) {
      resultGrads.push_back(adjoint.lookup(r));
      any |= static_cast<bool>(resultGrads.back());
    }
    if (!any)
      continue;
    auto diff = dyn_cast<DifferentiableOpInterface>(op);
    if (!diff)
      return op->emitError() << "'" << op->getName()
                             << "' in an nn.scan body is not differentiable, "
                                "but the loss depends on it";
    SmallVector<bool> needed;
    for (auto [i, x] : llvm::enumerate(op->getOperands()))
      needed.push_back(isF32(x) && diff.isDifferentiableOperand(i) &&
                       !x.getDefiningOp<ConstantOp>());
    SmallVector<Value> grads;
    if (failed(diff.buildVJP(b, resultGrads, needed, grads)))
      return failure();
    for (auto [x, g] : llvm::zip(op->getOperands(), grads))
      if (g) {
        auto [it, inserted] = adjoint.try_emplace(x, g);
        if (!inserted)
          it->second = b.create<AddOp>(op->getLoc(), it->second, g);
      }
  }
  return success();
}

} // namespace

bool ScanOp::isDifferentiableOperand(unsigned i) {
  return isF32(getOperand(i));
}

// The backward scan runs the other way. Its carries: each f32 carry's
// adjoint (from the final carry's), then each needed closure's adjoint
// summed over the steps so far. Its sequences: the recorded carries, the
// forward sequences (the step is recomputed from them), the stacked
// outputs' adjoints. Its step outputs: the sequences' adjoints.
LogicalResult ScanOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                               ArrayRef<bool> needed,
                               SmallVectorImpl<Value> &operandGrads) {
  Grad g{b, getLoc()};
  unsigned n = getNumCarries(), s = getSequences().size(),
           c = getClosures().size(), m = getStacked().size();
  ScanOp fwd = *this;
  for (unsigned i = 0; i < n; ++i)
    if (!getRecordedCarry(i)) {
      fwd = withRecordedCarries(b);
      break;
    }
  SmallVector<unsigned> carries, closures, seqs, outs;
  for (unsigned i = 0; i < n; ++i)
    if (isF32(getInits()[i]))
      carries.push_back(i);
  for (unsigned k = 0; k < c; ++k)
    if (needed[n + s + k])
      closures.push_back(k);
  for (unsigned j = 0; j < s; ++j)
    if (needed[n + j])
      seqs.push_back(j);
  for (unsigned o = 0; o < m; ++o)
    if (resultGrads[n + o])
      outs.push_back(o);

  SmallVector<Value> inits, sequences;
  for (unsigned i : carries)
    inits.push_back(g.orZeros(resultGrads[i], getInits()[i]));
  for (unsigned k : closures)
    inits.push_back(g.zerosLike(getClosures()[k]));
  for (unsigned i = 0; i < n; ++i)
    sequences.push_back(fwd.getRecordedCarry(i));
  llvm::append_range(sequences, getSequences());
  for (unsigned o : outs)
    sequences.push_back(resultGrads[n + o]);
  SmallVector<Type> types;
  for (Value v : inits)
    types.push_back(v.getType());
  for (unsigned j : seqs)
    types.push_back(getSequences()[j].getType());
  auto bwd = b.create<ScanOp>(getLoc(), types, inits, sequences, getClosures(),
                              getLengthAttr(), getAxisAttr(),
                              getReverse() ? UnitAttr() : b.getUnitAttr());

  Block *body = new Block();
  bwd.getBody().push_back(body);
  for (Value v : inits)
    body->addArgument(v.getType(), getLoc());
  for (Value v : sequences)
    body->addArgument(sliceType(v.getType(), getAxis()), getLoc());
  for (Value v : getClosures())
    body->addArgument(v.getType(), getLoc());
  unsigned nb = inits.size(), slices = nb + n, outSlices = slices + s,
           closureArgs = outSlices + outs.size();

  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(body);
  Block &fb = getBodyBlock();
  IRMapping map;
  for (unsigned i = 0; i < n; ++i)
    map.map(fb.getArgument(i), body->getArgument(nb + i));
  for (unsigned j = 0; j < s; ++j)
    map.map(fb.getArgument(n + j), body->getArgument(slices + j));
  for (unsigned k = 0; k < c; ++k)
    map.map(fb.getArgument(n + s + k), body->getArgument(closureArgs + k));
  SmallVector<Operation *> step;
  for (Operation &op : fb.without_terminator())
    step.push_back(b.clone(op, map));

  llvm::DenseMap<Value, Value> adjoint;
  auto seed = [&](Value v, Value a) {
    auto [it, inserted] = adjoint.try_emplace(v, a);
    if (!inserted)
      it->second = g.add(it->second, a);
  };
  ValueRange yielded = getYield().getValues();
  for (auto [p, i] : llvm::enumerate(carries))
    seed(map.lookupOrDefault(yielded[i]), body->getArgument(p));
  for (auto [p, o] : llvm::enumerate(outs))
    seed(map.lookupOrDefault(yielded[n + o]), body->getArgument(outSlices + p));
  if (failed(sweepBack(b, step, adjoint)))
    return failure();

  SmallVector<Value> yields;
  for (unsigned i : carries) {
    Value carryIn = body->getArgument(nb + i);
    yields.push_back(g.orZeros(adjoint.lookup(carryIn), carryIn));
  }
  for (auto [p, k] : llvm::enumerate(closures)) {
    Value acc = body->getArgument(carries.size() + p);
    Value d = adjoint.lookup(body->getArgument(closureArgs + k));
    yields.push_back(d ? g.add(acc, d) : acc);
  }
  for (unsigned j : seqs) {
    Value slice = body->getArgument(slices + j);
    yields.push_back(g.orZeros(adjoint.lookup(slice), slice));
  }
  b.create<YieldOp>(getLoc(), yields);

  operandGrads.assign(getNumOperands(), Value());
  for (auto [p, i] : llvm::enumerate(carries))
    if (needed[i])
      operandGrads[i] = bwd.getResult(p);
  for (auto [p, k] : llvm::enumerate(closures))
    operandGrads[n + s + k] = bwd.getResult(carries.size() + p);
  for (auto [p, j] : llvm::enumerate(seqs))
    operandGrads[n + j] = bwd.getResult(nb + p);
  return success();
}

// A scan of the body and its JVP side by side: the carries gain their
// tangents (every f32 carry: a closure's tangent reaches a carry whose
// initial tangent is zero), the sequences and closures theirs, and each
// step yields its outputs' tangents after its outputs.
LogicalResult ScanOp::buildJVP(OpBuilder &b, ValueRange tangents,
                               SmallVectorImpl<Value> &resultTangents) {
  Grad g{b, getLoc()};
  unsigned n = getNumCarries(), s = getSequences().size(),
           c = getClosures().size(), m = getStacked().size();
  SmallVector<unsigned> carries, seqs, closures, outs;
  for (unsigned i = 0; i < n; ++i)
    if (isF32(getInits()[i]))
      carries.push_back(i);
  for (unsigned j = 0; j < s; ++j)
    if (tangents[n + j])
      seqs.push_back(j);
  for (unsigned k = 0; k < c; ++k)
    if (tangents[n + s + k])
      closures.push_back(k);
  for (unsigned o = 0; o < m; ++o)
    if (isF32(getStacked()[o]))
      outs.push_back(o);

  SmallVector<Value> inits(getInits()), sequences(getSequences()),
      closed(getClosures());
  for (unsigned i : carries)
    inits.push_back(g.orZeros(tangents[i], getInits()[i]));
  for (unsigned j : seqs)
    sequences.push_back(tangents[n + j]);
  for (unsigned k : closures)
    closed.push_back(tangents[n + s + k]);
  SmallVector<Type> types;
  for (Value v : inits)
    types.push_back(v.getType());
  for (Value r : getStacked())
    types.push_back(r.getType());
  for (unsigned o : outs)
    types.push_back(getStacked()[o].getType());
  auto scan =
      b.create<ScanOp>(getLoc(), types, inits, sequences, closed,
                       getLengthAttr(), getAxisAttr(), getReverseAttr());

  Block *body = new Block();
  scan.getBody().push_back(body);
  for (Value v : inits)
    body->addArgument(v.getType(), getLoc());
  for (Value v : sequences)
    body->addArgument(sliceType(v.getType(), getAxis()), getLoc());
  for (Value v : closed)
    body->addArgument(v.getType(), getLoc());
  unsigned slices = inits.size(), closureArgs = slices + sequences.size();

  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(body);
  Block &fb = getBodyBlock();
  IRMapping map;
  llvm::DenseMap<Value, Value> tangent;
  for (unsigned i = 0; i < n; ++i)
    map.map(fb.getArgument(i), body->getArgument(i));
  for (auto [p, i] : llvm::enumerate(carries))
    tangent[body->getArgument(i)] = body->getArgument(n + p);
  for (unsigned j = 0; j < s; ++j)
    map.map(fb.getArgument(n + j), body->getArgument(slices + j));
  for (auto [p, j] : llvm::enumerate(seqs))
    tangent[body->getArgument(slices + j)] = body->getArgument(slices + s + p);
  for (unsigned k = 0; k < c; ++k)
    map.map(fb.getArgument(n + s + k), body->getArgument(closureArgs + k));
  for (auto [p, k] : llvm::enumerate(closures))
    tangent[body->getArgument(closureArgs + k)] =
        body->getArgument(closureArgs + c + p);

  for (Operation &op : fb.without_terminator()) {
    Operation *copy = b.clone(op, map);
    SmallVector<Value> operandTangents;
    bool any = false;
    for (Value x : copy->getOperands()) {
      operandTangents.push_back(tangent.lookup(x));
      any |= static_cast<bool>(operandTangents.back());
    }
    if (!any ||
        llvm::none_of(copy->getResults(), [](Value r) { return isF32(r); }))
      continue;
    auto diff = dyn_cast<DifferentiableOpInterface>(copy);
    if (!diff)
      return copy->emitError() << "'" << copy->getName()
                               << "' in an nn.scan body is not "
                                  "differentiable, but a tangent reaches it";
    SmallVector<Value> results;
    if (failed(diff.buildJVP(b, operandTangents, results)))
      return failure();
    for (auto [r, t] : llvm::zip(copy->getResults(), results))
      if (t)
        tangent[r] = t;
  }
  ValueRange yielded = getYield().getValues();
  SmallVector<Value> yields;
  for (Value v : yielded.take_front(n))
    yields.push_back(map.lookupOrDefault(v));
  for (unsigned i : carries) {
    Value v = map.lookupOrDefault(yielded[i]);
    yields.push_back(g.orZeros(tangent.lookup(v), v));
  }
  for (Value v : yielded.drop_front(n))
    yields.push_back(map.lookupOrDefault(v));
  for (unsigned o : outs) {
    Value v = map.lookupOrDefault(yielded[n + o]);
    yields.push_back(g.orZeros(tangent.lookup(v), v));
  }
  b.create<YieldOp>(getLoc(), yields);

  resultTangents.assign(getNumResults(), Value());
  for (auto [p, i] : llvm::enumerate(carries))
    resultTangents[i] = scan.getResult(n + p);
  unsigned tangentOuts = inits.size() + m;
  for (auto [p, o] : llvm::enumerate(outs))
    resultTangents[n + o] = scan.getResult(tangentOuts + p);
  return success();
}
