//===- kiln_opt.cpp - mlir-opt with kiln's dialects and passes ------------===//
//
// mlir-opt with the nn, kern and func dialects, kiln's passes and the
// kiln-train-pipeline, for lit tests. Like kiln build, it refuses an input
// with a forward reference before MLIR 19's parser sees it
// (compiler/precheck/forward_refs.h).
//
//===----------------------------------------------------------------------===//
#include "compiler/passes/passes.h"
#include "compiler/precheck/forward_refs.h"
#include "dialects/kern/kern_dialect.h"
#include "dialects/nn/nn_dialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstring>

/// Refuses an input file with a forward reference before MLIR's parser
/// sees it (forward_refs.h). Reads the command line only for the input
/// file and -split-input-file; stdin is left to the parser.
static bool precheckInput(int argc, char **argv) {
  const char *input = nullptr;
  bool split = false;
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef a = argv[i];
    if (a == "-o" || a == "--o") {
      ++i;
    } else if (a.ltrim('-').starts_with("split-input-file")) {
      split = true;
    } else if (a == "--") {
      input = i + 1 < argc ? argv[i + 1] : nullptr;
      break;
    } else if (!a.starts_with("-") && !input) {
      input = argv[i];
    }
  }
  if (!input)
    return true;
  auto buffer = llvm::MemoryBuffer::getFile(input);
  if (!buffer)
    return true; // MlirOptMain reports it
  llvm::SourceMgr sources;
  unsigned id = sources.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
  return kiln::checkNoForwardReferences(sources, id, split);
}

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<kiln::nn::NNDialect, kiln::kern::KernDialect,
                  mlir::func::FuncDialect>();
  kiln::registerAllPasses();
  if (!precheckInput(argc, argv))
    return 1;
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "kiln-opt: run kiln's passes on .mlir files\n", registry));
}
