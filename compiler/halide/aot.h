//===- aot.h - the Halide back end: AOT compilation ------------*- C++ -*-===//
//
// Halide-free interface so that only the back end's own files include
// Halide.h and need -fexceptions.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_HALIDE_AOT_H
#define KILN_COMPILER_HALIDE_AOT_H

#include "compiler/halide/step_table.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>
#include <vector>

namespace kiln::hl {

struct BackendOptions {
  /// A Halide target string (x86-64-linux-avx2-fma-f16c-sse41) or "host".
  std::string target = "host";
  /// Where objects are written.
  std::string outDir;
  /// If set, each kernel's lowered statement (.stmt), its HTML view, its
  /// assembly (.s) and its device code (.ptx or .cl, for a GPU target) are
  /// written here too.
  std::string dumpDir;
};

struct BackendResult {
  std::string target;               // the resolved target string
  std::vector<std::string> objects; // to link with the runtime
};

/// Lowers every kernel of `plan` to a Halide pipeline and AOT-compiles them
/// all, plus Halide's runtime, into objects under opts.outDir.
mlir::FailureOr<BackendResult> compileKernels(const ModelPlan &plan,
                                              const BackendOptions &opts);

/// Prints each kernel's lowered Halide statement (--emit=halide).
mlir::LogicalResult printLoweredKernels(const ModelPlan &plan,
                                        const BackendOptions &opts,
                                        llvm::raw_ostream &os);

/// Prints each kernel's device code (--emit=device): PTX for a CUDA target,
/// OpenCL C for an OpenCL one. Fails for a target without a GPU.
mlir::LogicalResult printDeviceCode(const ModelPlan &plan,
                                    const BackendOptions &opts,
                                    llvm::raw_ostream &os);

/// Resolves "host" or checks a Halide target string; on failure returns
/// std::nullopt and sets `error`.
std::optional<std::string> resolveTarget(const std::string &target,
                                         std::string &error);

} // namespace kiln::hl

#endif // KILN_COMPILER_HALIDE_AOT_H
