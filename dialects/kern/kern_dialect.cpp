//===- kern_dialect.cpp - the kern dialect --------------------------------===//
//
// A kern.kernel is IsolatedFromAbove: its body reads only its block
// arguments (one per input) and the constants cloned into it, so a kernel is
// a self-contained unit that the back end lowers, and compares with other
// kernels, on its own. The verifier checks as many body arguments as
// inputs, of the same types; a body ending in kern.yield with the results'
// types; an autoscheduler name exactly when the schedule is auto; a body
// its schedule's template takes (templateOf: one matmul for "matmul", one
// convolution for "conv", neither elsewhere; a reduction for "reduction",
// none for "pointwise"); and one `slots` and one `inplace` entry per
// result when they are present (test/dialects/kern/invalid.mlir).
//
//===----------------------------------------------------------------------===//
#include "dialects/kern/kern_dialect.h"
#include "dialects/nn/nn_dialect.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace kiln::kern;
namespace nn = kiln::nn;

#include "dialects/kern/kern_dialect.cpp.inc"
#include "dialects/kern/kern_enums.cpp.inc"

Schedule kiln::kern::templateOf(Operation *op) {
  if (isa<nn::MatmulOp>(op))
    return Schedule::matmul;
  if (isa<nn::Conv2dOp, nn::Conv2dInputGradOp, nn::Conv2dFilterGradOp>(op))
    return Schedule::conv;
  // Pooling reduces a window per output.
  if (isa<nn::ReduceSumOp, nn::ReduceMeanOp, nn::ReduceMaxOp, nn::SumToOp,
          nn::MseOp, nn::BinaryCrossEntropyOp, nn::SoftmaxOp,
          nn::LogSoftmaxOp, nn::SoftmaxCrossEntropyOp, nn::ArgmaxOp,
          nn::MaxPool2dOp, nn::MaxPool2dGradOp, nn::AvgPool2dOp,
          nn::AvgPool2dGradOp>(op))
    return Schedule::reduction;
  return Schedule::pointwise;
}

/// `"matmul"`, `"conv"`, `"reduction"`, `"pointwise"` or `"auto:<name>"`.
static ParseResult parseSchedule(OpAsmParser &parser, ScheduleAttr &schedule,
                                 StringAttr &autoscheduler) {
  SMLoc loc = parser.getCurrentLocation();
  std::string text;
  if (parser.parseString(&text))
    return failure();
  Builder &b = parser.getBuilder();
  StringRef s = text;
  if (s.consume_front("auto:")) {
    if (s.empty())
      return parser.emitError(loc) << "schedule 'auto:' names no autoscheduler";
    schedule = ScheduleAttr::get(b.getContext(), Schedule::autoschedule);
    autoscheduler = b.getStringAttr(s);
    return success();
  }
  std::optional<Schedule> kind = symbolizeSchedule(s);
  if (!kind || *kind == Schedule::autoschedule)
    return parser.emitError(loc)
           << "unknown schedule '" << s
           << "' (expected matmul, conv, reduction, pointwise or auto:<name>)";
  schedule = ScheduleAttr::get(b.getContext(), *kind);
  return success();
}

static void printSchedule(OpAsmPrinter &p, KernelOp op, ScheduleAttr,
                          StringAttr) {
  p << '"' << op.getScheduleName() << '"';
}

std::string KernelOp::getScheduleName() {
  if (getSchedule() == Schedule::autoschedule)
    return "auto:" + getAutoscheduler().value_or("").str();
  return stringifySchedule(getSchedule()).str();
}

void KernDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/kern/kern_ops.cpp.inc"
      >();
}

#define GET_OP_CLASSES
#include "dialects/kern/kern_ops.cpp.inc"

LogicalResult KernelOp::verify() {
  Block &body = getBodyBlock();
  if (body.getNumArguments() != getInputs().size())
    return emitOpError() << "has " << getInputs().size() << " inputs but its "
                         << "body takes " << body.getNumArguments();
  for (auto [i, in, arg] : llvm::enumerate(getInputs(), body.getArguments()))
    if (in.getType() != arg.getType())
      return emitOpError() << "input #" << i << " is " << in.getType()
                           << " but the body's argument is " << arg.getType();
  auto yield = dyn_cast<YieldOp>(body.getTerminator());
  if (!yield)
    return emitOpError() << "body must end in kern.yield";
  if (yield.getValues().getTypes() != getResultTypes())
    return emitOpError() << "yields " << yield.getValues().size()
                         << " value(s) of other types than its results";
  if ((getSchedule() == Schedule::autoschedule) !=
      getAutoscheduler().has_value())
    return emitOpError() << "has an autoscheduler name exactly when its "
                            "schedule is auto";
  // The body must be what its schedule's template takes: the back end
  // builds the template the schedule names.
  int matmuls = 0, convs = 0, reductions = 0;
  for (Operation &op : body.without_terminator()) {
    Schedule t = templateOf(&op);
    matmuls += t == Schedule::matmul;
    convs += t == Schedule::conv;
    reductions += t == Schedule::reduction;
  }
  std::string name = getScheduleName();
  auto mismatch = [&](StringRef why) {
    return emitOpError() << "is scheduled \"" << name << "\" but its body "
                         << why;
  };
  switch (getSchedule()) {
  case Schedule::matmul:
    if (matmuls != 1)
      return mismatch("holds " + std::to_string(matmuls) +
                      " nn.matmul (the template takes one)");
    if (convs)
      return mismatch("holds a convolution");
    break;
  case Schedule::conv:
    if (convs != 1)
      return mismatch("holds " + std::to_string(convs) +
                      " convolutions (the template takes one)");
    if (matmuls)
      return mismatch("holds an nn.matmul");
    break;
  case Schedule::reduction:
  case Schedule::pointwise:
  case Schedule::autoschedule:
    if (matmuls || convs)
      return mismatch(std::string("holds ") +
                      (matmuls ? "an nn.matmul" : "a convolution") +
                      " (only the matmul and conv templates compute them)");
    if (getSchedule() == Schedule::reduction && !reductions)
      return mismatch("holds no reduction (schedule it \"pointwise\")");
    if (getSchedule() == Schedule::pointwise && reductions)
      return mismatch("holds a reduction (schedule it \"reduction\")");
    break;
  }
  if (auto slots = getSlots(); slots && slots->size() != getNumResults())
    return emitOpError() << "needs one slot per result";
  if (auto in = getInplace(); in && in->size() != getNumResults())
    return emitOpError() << "needs one inplace entry per result";
  return success();
}
