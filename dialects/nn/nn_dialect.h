//===- nn_dialect.h - the nn dialect ----------------------------*- C++ -*-===//
#ifndef KILN_DIALECTS_NN_NN_DIALECT_H
#define KILN_DIALECTS_NN_NN_DIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/RegionKindInterface.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/nn/nn_dialect.h.inc"
#include "dialects/nn/nn_enums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/nn/nn_attrs.h.inc"

#include "dialects/nn/nn_interfaces.h.inc"

#define GET_OP_CLASSES
#include "dialects/nn/nn_ops.h.inc"

#endif // KILN_DIALECTS_NN_NN_DIALECT_H
