//===- emit_table.h - the step table a model binary runs --------*- C++ -*-===//
#ifndef KILN_COMPILER_HALIDE_EMIT_TABLE_H
#define KILN_COMPILER_HALIDE_EMIT_TABLE_H

#include "compiler/halide/step_table.h"
#include "llvm/Support/raw_ostream.h"

namespace kiln::hl {

/// Writes C source defining `kiln_model_desc` (runtime/include/kiln/
/// model_abi.h) for `plan`, whose kernels were compiled for `target`.
void emitTable(const ModelPlan &plan, const std::string &target,
               llvm::raw_ostream &os);

} // namespace kiln::hl

#endif // KILN_COMPILER_HALIDE_EMIT_TABLE_H
