//===- kern_dialect.h - the kern dialect ------------------------*- C++ -*-===//
#ifndef KILN_DIALECTS_KERN_KERN_DIALECT_H
#define KILN_DIALECTS_KERN_KERN_DIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/kern/kern_dialect.h.inc"
#include "dialects/kern/kern_enums.h.inc"

#define GET_OP_CLASSES
#include "dialects/kern/kern_ops.h.inc"

namespace kiln::kern {

/// The template an nn op needs of the kernel that holds it: matmul, conv,
/// reduction (sums, softmax, losses, pooling, argmax) or pointwise. A
/// kernel's schedule is the strongest of its ops' (matmul > conv >
/// reduction > pointwise): --kiln-fuse picks it, the verifier checks it.
Schedule templateOf(mlir::Operation *op);

} // namespace kiln::kern

#endif // KILN_DIALECTS_KERN_KERN_DIALECT_H
