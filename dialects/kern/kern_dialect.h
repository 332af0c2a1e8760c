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

#define GET_OP_CLASSES
#include "dialects/kern/kern_ops.h.inc"

#endif // KILN_DIALECTS_KERN_KERN_DIALECT_H
