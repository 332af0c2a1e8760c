//===- aot.cpp - AOT-compile a model's kernels with Halide ----------------===//
//
// All kernels are linked into one Halide module (one LLVM code generation,
// one object) compiled without Halide's runtime; the runtime is compiled
// once, separately, for the same target.
//
//===----------------------------------------------------------------------===//
#include "compiler/halide/backend.h"
#include "compiler/halide/lower_ops.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir;
namespace H = Halide;

namespace kiln::hl {

std::optional<std::string> resolveTarget(const std::string &target,
                                         std::string &error) {
  if (target == "host")
    return H::get_host_target().to_string();
  if (!H::Target::validate_target_string(target)) {
    error = "invalid Halide target '" + target +
            "' (expected 'host' or e.g. x86-64-linux-avx2-fma-f16c-sse41)";
    return std::nullopt;
  }
  return H::Target(target).to_string();
}

namespace {

/// Builds every kernel's Halide module; nullopt after an error was emitted.
std::optional<std::vector<H::Module>> buildModules(const ModelPlan &plan,
                                                   const H::Target &target) {
  std::vector<H::Module> modules;
  for (const KernelPlan &k : plan.kernels) {
    try {
      std::optional<KernelPipeline> kp = buildKernel(k, target);
      if (!kp)
        return std::nullopt;
      H::Pipeline pipeline(kp->output);
      modules.push_back(pipeline.compile_to_module(kp->args, k.name, target));
    } catch (const H::Error &e) {
      k.op->emitError() << "Halide failed to compile kernel " << k.name
                        << " ('" << k.op->getName() << "'): " << e.what();
      return std::nullopt;
    }
  }
  return modules;
}

std::string join(const std::string &dir, const std::string &file) {
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, file);
  return std::string(path);
}

} // namespace

FailureOr<BackendResult> compileKernels(const ModelPlan &plan,
                                        const BackendOptions &opts) {
  std::string error;
  std::optional<std::string> resolved = resolveTarget(opts.target, error);
  if (!resolved) {
    llvm::errs() << "error: " << error << "\n";
    return failure();
  }
  H::Target target(*resolved);
  auto modules = buildModules(plan, target.with_feature(H::Target::NoRuntime));
  if (!modules)
    return failure();

  BackendResult result;
  result.target = *resolved;
  std::string kernels = join(opts.outDir, "kernels.o");
  std::string runtime = join(opts.outDir, "halide_runtime.o");
  try {
    if (!opts.dumpDir.empty()) {
      // One set of files per kernel, so each reads on its own.
      for (auto [k, m] : llvm::zip(plan.kernels, *modules)) {
        std::string base = join(opts.dumpDir, k.name);
        m.compile({{H::OutputFileType::stmt, base + ".stmt"},
                   {H::OutputFileType::stmt_html, base + ".html"},
                   {H::OutputFileType::assembly, base + ".s"}});
      }
    }
    H::Module all = H::link_modules("kiln_kernels", *modules);
    all.compile({{H::OutputFileType::object, kernels}});
    H::compile_standalone_runtime(runtime, target);
  } catch (const H::Error &e) {
    llvm::errs() << "error: Halide code generation failed: " << e.what()
                 << "\n";
    return failure();
  }
  result.objects = {kernels, runtime};
  return result;
}

LogicalResult printLoweredKernels(const ModelPlan &plan,
                                  const BackendOptions &opts,
                                  llvm::raw_ostream &os) {
  std::string error;
  std::optional<std::string> resolved = resolveTarget(opts.target, error);
  if (!resolved) {
    llvm::errs() << "error: " << error << "\n";
    return failure();
  }
  H::Target target =
      H::Target(*resolved).with_feature(H::Target::NoRuntime);
  auto modules = buildModules(plan, target);
  if (!modules)
    return failure();
  llvm::SmallString<128> tmp;
  if (llvm::sys::fs::createTemporaryFile("kiln-kernel", "stmt", tmp)) {
    llvm::errs() << "error: cannot create a temporary file\n";
    return failure();
  }
  for (auto [k, m] : llvm::zip(plan.kernels, *modules)) {
    try {
      m.compile({{H::OutputFileType::stmt, std::string(tmp)}});
    } catch (const H::Error &e) {
      k.op->emitError() << "Halide failed to lower kernel " << k.name << ": "
                        << e.what();
      llvm::sys::fs::remove(tmp);
      return failure();
    }
    auto buffer = llvm::MemoryBuffer::getFile(tmp);
    os << "// ----- " << k.name << ": " << k.op->getName() << " at " << k.loc
       << "\n";
    if (buffer)
      os << (*buffer)->getBuffer() << "\n";
  }
  llvm::sys::fs::remove(tmp);
  return success();
}

} // namespace kiln::hl
