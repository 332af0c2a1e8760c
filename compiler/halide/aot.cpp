//===- aot.cpp - AOT-compile a model's kernels with Halide ----------------===//
//
// All CPU kernels are linked into one Halide module (one LLVM code
// generation, one object) compiled with Target::NoRuntime; Halide's runtime
// is compiled once, separately, for the same target. Each GPU kernel is an
// object of its own: link_modules keeps one device program symbol for all
// modules, so linked kernels would load the first kernel's program.
//
// Autoschedulers are Halide plugins (libautoschedule_<name>.so, loaded
// once, their search log silenced). An autoscheduled kernel is
// trial-compiled first: Halide 14 cannot generate every schedule they choose
// (Li2018's vectorized atomic reductions with a tail), so kiln warns and
// uses its own. When code generation fails, each kernel is compiled alone so
// the error names the kernel, its ops and its DSL line. --dump-ir writes
// each kernel's .stmt, .html and .s (and .ptx/.cl) to 06-halide/.
//
//===----------------------------------------------------------------------===//
#include "compiler/halide/aot.h"
#include "compiler/halide/build_kernel.h"
#include "compiler/halide/host_target.h"
#include "dialects/kern/kern_dialect.h"
#include "dialects/nn/shape.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <fcntl.h>
#include <unistd.h>

using namespace mlir;
namespace H = Halide;

namespace kiln::hl {

std::optional<std::string> resolveTarget(const std::string &target,
                                         std::string &error) {
  H::Target t;
  // "host-<features>" (host-cuda, host-opencl) is this CPU with features
  // added: the host part goes through kiln's CPU detection too.
  std::string spelled = target;
  if (target == "host" || target.rfind("host-", 0) == 0)
    spelled = hostTarget().to_string() + target.substr(4);
  if (!H::Target::validate_target_string(spelled)) {
    error = "invalid Halide target '" + target +
            "' (expected 'host', 'host-cuda', 'host-opencl' or a Halide "
            "target string such as x86-64-linux-avx2-fma-f16c-sse41)";
    return std::nullopt;
  }
  t = H::Target(spelled);
  // Halide's CUDA default is compute capability 2.0 (PTX 3.2), which no
  // current driver loads: without a cuda_capability_NN, use 8.0 (A100; its
  // PTX also JIT-compiles for newer GPUs such as the H100).
  static const H::Target::Feature capabilities[] = {
      H::Target::CUDACapability30, H::Target::CUDACapability32,
      H::Target::CUDACapability35, H::Target::CUDACapability50,
      H::Target::CUDACapability61, H::Target::CUDACapability70,
      H::Target::CUDACapability75, H::Target::CUDACapability80,
      H::Target::CUDACapability86};
  if (t.has_feature(H::Target::CUDA) &&
      !llvm::any_of(capabilities,
                    [&](H::Target::Feature f) { return t.has_feature(f); }))
    t = t.with_feature(H::Target::CUDACapability80);
#ifdef KILN_SANITIZE_ADDRESS
  // A sanitized kiln instruments the kernels too (scripts/sanitize.sh).
  t = t.with_feature(H::Target::ASAN);
#endif
  return t.to_string();
}

namespace {

/// Halide 14's autoschedulers print their search ("Pass 0 of 5, cost: ...")
/// to stderr unconditionally; a build prints only diagnostics.
class QuietStderr {
  int saved_ = -1;

public:
  QuietStderr() {
    int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null < 0)
      return;
    std::fflush(stderr);
    saved_ = ::dup(2);
    ::dup2(null, 2);
    ::close(null);
  }
  ~QuietStderr() {
    if (saved_ < 0)
      return;
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
  }
};

/// Kernels scheduled "auto:<name>" get that Halide autoscheduler (its
/// plugin loaded once), with estimates from the static shapes and the
/// planned batch.
LogicalResult autoschedule(H::Pipeline &pipeline, const KernelPlan &k,
                           const H::Target &target) {
  auto kernel = dyn_cast<kern::KernelOp>(k.op);
  if (k.f64 || !kernel || kernel.getSchedule() != kern::Schedule::autoschedule)
    return success();
  std::string name = kernel.getAutoscheduler()->str();
  static llvm::StringSet<> loaded;
  if (!loaded.contains(name)) {
    std::string lower = llvm::StringRef(name).lower();
    std::string path = std::string(KILN_HALIDE_PLUGIN_DIR) +
                       "/libautoschedule_" + lower + ".so";
    try {
      H::load_plugin(path);
    } catch (const H::Error &e) {
      return k.op->emitError() << "cannot load the Halide autoscheduler '"
                               << name << "' from " << path << ": " << e.what();
    }
    loaded.insert(name);
  }
  // Estimates: every buffer's extents, kPlannedBatch for dynamic dims.
  auto extent = [](int64_t d) {
    return static_cast<int>(ShapedType::isDynamic(d) ? nn::kPlannedBatch : d);
  };
  std::vector<std::vector<unsigned>> groups =
      resultGroups(kernel.getResultTypes());
  for (auto [f, group] : llvm::zip(pipeline.outputs(), groups)) {
    ArrayRef<int64_t> shape =
        cast<RankedTensorType>(kernel.getResult(group[0]).getType()).getShape();
    std::vector<H::Var> args = f.args();
    for (size_t hd = 0; hd < args.size(); ++hd)
      f.set_estimate(args[hd], 0, extent(shape[shape.size() - 1 - hd]));
  }
  try {
    QuietStderr quiet;
    pipeline.auto_schedule(name, target, H::MachineParams(2, 4 << 20, 40));
  } catch (const H::Error &e) {
    return k.op->emitError()
           << "the Halide autoscheduler '" << name << "' failed on kernel "
           << k.name << ": " << e.what();
  }
  return success();
}

/// For an autoscheduled kernel: Halide's error when generating its code,
/// if any (a trial compile to a scratch object).
std::optional<std::string> autoscheduledCodegenError(const KernelPlan &k,
                                                     H::Module &m) {
  auto kernel = dyn_cast<kern::KernelOp>(k.op);
  if (k.f64 || !kernel || kernel.getSchedule() != kern::Schedule::autoschedule)
    return std::nullopt;
  llvm::SmallString<128> tmp;
  if (llvm::sys::fs::createTemporaryFile("kiln-trial", "o", tmp))
    return std::nullopt; // the real compile reports it
  std::optional<std::string> error;
  try {
    m.compile({{H::OutputFileType::object, std::string(tmp)}});
  } catch (const H::Error &e) {
    llvm::StringRef text = llvm::StringRef(e.what()).trim();
    text.consume_front("Error: ");
    error = text.rtrim('.').str();
  }
  llvm::sys::fs::remove(tmp);
  return error;
}

/// The target a kernel is compiled for: the model's, or its CPU part for a
/// float64 kernel (grad-check's reference runs on the host, so a GPU
/// build's float32 kernels are checked against the CPU's float64 ones).
H::Target kernelTarget(const KernelPlan &k, const H::Target &target) {
  if (!k.f64)
    return target;
  return target.without_feature(H::Target::CUDA)
      .without_feature(H::Target::OpenCL)
      .without_feature(H::Target::CLDoubles)
      .without_feature(H::Target::Metal);
}

/// Builds every kernel's Halide module; nullopt after an error was emitted.
std::optional<std::vector<H::Module>> buildModules(const ModelPlan &plan,
                                                   const H::Target &model) {
  std::vector<H::Module> modules;
  for (const KernelPlan &k : plan.kernels) {
    H::Target target = kernelTarget(k, model);
    try {
      std::optional<KernelPipeline> kp = buildKernel(k, target);
      if (!kp)
        return std::nullopt;
      H::Pipeline pipeline(kp->outputs);
      if (failed(autoschedule(pipeline, k, target)))
        return std::nullopt;
      H::Module m = pipeline.compile_to_module(kp->args, k.name, target);
      if (auto error = autoscheduledCodegenError(k, m)) {
        // Halide 14 cannot generate every schedule its autoschedulers
        // choose (Li2018's vectorized atomic reductions with a tail): keep
        // the build going with kiln's schedule for this kernel.
        k.op->emitWarning()
            << "Halide cannot generate code for the "
            << cast<kern::KernelOp>(k.op).getScheduleName()
            << " schedule of kernel " << k.name << " (" << k.ops
            << "): " << *error << "; using kiln's schedule for it";
        kp = buildKernel(k, target, /*kilnSchedule=*/true);
        if (!kp)
          return std::nullopt;
        m = H::Pipeline(kp->outputs)
                .compile_to_module(kp->args, k.name, target);
      }
      modules.push_back(m);
    } catch (const H::Error &e) {
      k.op->emitError() << "Halide failed to compile kernel " << k.name << " ("
                        << k.ops << "): " << e.what();
      return std::nullopt;
    }
  }
  return modules;
}

/// The device code a GPU module embeds (Halide keeps it as a buffer named
/// <api>_gpu_source_kernels): PTX or OpenCL C text, or "" without one.
std::string deviceCode(const H::Module &m) {
  for (const H::Buffer<void> &b : m.buffers())
    if (llvm::StringRef(b.name()).ends_with("gpu_source_kernels")) {
      const char *text = static_cast<const char *>(b.data());
      return std::string(text, strnlen(text, b.size_in_bytes()));
    }
  return "";
}

/// The file extension of a target's device code.
std::string deviceExtension(const H::Target &t) {
  return t.has_feature(H::Target::CUDA) ? ".ptx" : ".cl";
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
        if (std::string code = deviceCode(m); !code.empty()) {
          std::error_code ec;
          llvm::raw_fd_ostream file(base + deviceExtension(target), ec);
          if (ec) {
            llvm::errs() << "error: cannot write " << base
                         << deviceExtension(target) << ": " << ec.message()
                         << "\n";
            return failure();
          }
          file << code;
        }
      }
    }
    if (target.has_gpu_feature()) {
      // One object per kernel: each GPU module embeds its device code under
      // one fixed symbol name, which Halide's link_modules does not keep
      // apart (every kernel would load the first kernel's program).
      for (auto [k, m] : llvm::zip(plan.kernels, *modules)) {
        result.objects.push_back(join(opts.outDir, k.name + ".o"));
        m.compile({{H::OutputFileType::object, result.objects.back()}});
      }
    } else {
      H::Module all = H::link_modules("kiln_kernels", *modules);
      all.compile({{H::OutputFileType::object, kernels}});
      result.objects.push_back(kernels);
    }
    H::compile_standalone_runtime(runtime, target);
  } catch (const H::Error &e) {
    // Code generation runs on all kernels at once; find the one that fails
    // so that the error names its place in the model.
    for (auto [k, m] : llvm::zip(plan.kernels, *modules)) {
      try {
        m.compile({{H::OutputFileType::object, kernels}});
      } catch (const H::Error &each) {
        k.op->emitError() << "Halide failed to generate code for kernel "
                          << k.name << " (" << k.ops << "): " << each.what();
        return failure();
      }
    }
    llvm::errs() << "error: Halide code generation failed: " << e.what()
                 << "\n";
    return failure();
  }
  result.objects.push_back(runtime);
  return result;
}

/// The target of the --emit printers (kernels without Halide's runtime);
/// nullopt after reporting a bad --target.
std::optional<H::Target> printingTarget(const BackendOptions &opts) {
  std::string error;
  std::optional<std::string> resolved = resolveTarget(opts.target, error);
  if (!resolved) {
    llvm::errs() << "error: " << error << "\n";
    return std::nullopt;
  }
  return H::Target(*resolved).with_feature(H::Target::NoRuntime);
}

LogicalResult printLoweredKernels(const ModelPlan &plan,
                                  const BackendOptions &opts,
                                  llvm::raw_ostream &os) {
  std::optional<H::Target> target = printingTarget(opts);
  if (!target)
    return failure();
  auto modules = buildModules(plan, *target);
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
    os << "// ----- " << k.name << ": " << k.ops << (k.f64 ? " (float64)" : "")
       << " at " << k.loc << "\n";
    if (buffer)
      os << (*buffer)->getBuffer() << "\n";
  }
  llvm::sys::fs::remove(tmp);
  return success();
}

LogicalResult printDeviceCode(const ModelPlan &plan, const BackendOptions &opts,
                              llvm::raw_ostream &os) {
  std::optional<H::Target> target = printingTarget(opts);
  if (!target)
    return failure();
  if (!target->has_gpu_feature()) {
    llvm::errs() << "error: --emit=device needs a GPU target (host-cuda, "
                    "host-opencl), not '"
                 << opts.target << "'\n";
    return failure();
  }
  auto modules = buildModules(plan, *target);
  if (!modules)
    return failure();
  for (auto [k, m] : llvm::zip(plan.kernels, *modules)) {
    if (k.f64)
      continue; // on the CPU: no device code
    os << "// ----- " << k.name << ": " << k.ops << " at " << k.loc << "\n";
    os << deviceCode(m) << "\n";
  }
  return success();
}

} // namespace kiln::hl
