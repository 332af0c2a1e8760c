//===- fuzz_mlir.cpp - libFuzzer target: kiln-opt's front end and passes --===//
//
// Parses the input as MLIR with kiln's dialects (after kiln's forward-
// reference check, as kiln build and kiln-opt do), verifies it, runs the
// passes a user can run from kiln-opt on a copy each: the whole training
// pipeline (verify-shapes, autodiff, optimizer, outline-steps, fuse,
// plan-memory), autodiff and jvp alone, fuse and plan-memory alone.
// Diagnostics are expected; a crash, an assertion or a sanitizer report
// is a bug.
//
//===----------------------------------------------------------------------===//
#include "compiler/passes/passes.h"
#include "compiler/precheck/forward_refs.h"
#include "dialects/kern/kern_dialect.h"
#include "dialects/nn/nn_dialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  kiln::registerAllPasses();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *pipelines[] = {
      "builtin.module(kiln-train-pipeline)",
      "builtin.module(kiln-verify-shapes,kiln-autodiff)",
      "builtin.module(kiln-verify-shapes,kiln-jvp)",
      "builtin.module(kiln-fuse,kiln-plan-memory)",
      "builtin.module(kiln-outline-steps)",
  };
  // As kiln build and kiln-opt do: forward references never reach MLIR
  // 19's parser (test/fuzz/regressions/README.md).
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  if (kiln::findForwardReference(text))
    return 0;
  // A fresh context per input: nothing one input interns leaks into the
  // next, and memory stays flat over a long run.
  DialectRegistry registry;
  registry.insert<kiln::nn::NNDialect, kiln::kern::KernDialect,
                  func::FuncDialect>();
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  context.loadAllAvailableDialects();
  ScopedDiagnosticHandler quiet(&context,
                                [](Diagnostic &) { return success(); });
  llvm::SourceMgr sources;
  sources.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(text, "input"), llvm::SMLoc());
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sources, &context);
  if (!module)
    return 0;
  for (const char *pipeline : pipelines) {
    OwningOpRef<ModuleOp> copy = module->clone();
    PassManager pm(&context);
    if (failed(parsePassPipeline(pipeline, pm)))
      __builtin_trap(); // the harness's own mistake
    (void)pm.run(*copy);
  }
  return 0;
}
