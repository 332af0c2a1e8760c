//===- kiln_opt.cpp - mlir-opt with kiln's dialects and passes ------------===//
#include "compiler/passes/passes.h"
#include "dialects/kern/kern_dialect.h"
#include "dialects/nn/nn_dialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<kiln::nn::NNDialect, kiln::kern::KernDialect,
                  mlir::func::FuncDialect>();
  kiln::registerAllPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "kiln-opt: run kiln's passes on .mlir files\n", registry));
}
