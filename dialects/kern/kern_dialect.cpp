//===- kern_dialect.cpp - the kern dialect --------------------------------===//
#include "dialects/kern/kern_dialect.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace kiln::kern;

#include "dialects/kern/kern_dialect.cpp.inc"

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
  StringRef s = getSchedule();
  if (s != "matmul" && s != "conv" && s != "reduction" && s != "pointwise" &&
      !s.starts_with("auto:"))
    return emitOpError() << "unknown schedule '" << s
                         << "' (expected matmul, conv, reduction, pointwise or "
                            "auto:<name>)";
  if (auto slots = getSlots(); slots && slots->size() != getNumResults())
    return emitOpError() << "needs one slot per result";
  if (auto in = getInplace(); in && in->size() != getNumResults())
    return emitOpError() << "needs one inplace entry per result";
  return success();
}
