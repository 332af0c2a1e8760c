//===- kiln.cpp - the kiln compiler driver --------------------------------===//
//
//   kiln build model.cpp -o model      DSL file -> native executable
//   kiln build model.mlir -o model     nn-dialect file -> native executable
//   kiln build model.cpp --emit=grad   print one stage and stop
//   kiln build model.cpp -o model --dump-ir=DIR   write every stage
//
// The way through: a model.cpp is compiled against libkiln_dsl.so (with
// the -D macros) into a generator, which runs and writes 00-nn.mlir; a .mlir
// input is read as it is. Either is checked for forward references
// (compiler/precheck) before MLIR parses it. The stages of pipeline.cpp
// follow (00-nn ... 05-plan). The back end then plans the step table
// (step_table.cpp), compiles the kernels with Halide (aot.cpp: kernels.o,
// or one object per GPU kernel, and halide_runtime.o; 06-halide/), emits
// kiln_model_desc as C (emit_table.cpp, 07-table.cpp), and links
//   c++ table.cpp kernels.o halide_runtime.o libkiln_runtime.a
//       -lz -lpthread -ldl -lm
// into the model binary. --stats prints memoryStats of every step function,
// with fusion and without.
//
//===----------------------------------------------------------------------===//
#include "compiler/driver/config.h"
#include "compiler/driver/toolchain.h"
#include "compiler/halide/aot.h"
#include "compiler/halide/emit_table.h"
#include "compiler/halide/step_table.h"
#include "compiler/passes/passes.h"
#include "compiler/precheck/forward_refs.h"
#include "dialects/kern/kern_dialect.h"
#include "dialects/nn/nn_dialect.h"
#include "dialects/nn/shape.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/Statistic.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace {

enum class Emit {
  Binary,
  NN,
  Grad,
  Jvp,
  Optimizer,
  Steps,
  Kern,
  Plan,
  Table,
  Halide,
  Device
};

cl::OptionCategory buildCategory("kiln build options");

cl::opt<std::string> inputFile(cl::Positional, cl::Required,
                               cl::desc("<model.cpp | model.mlir>"),
                               cl::cat(buildCategory));
cl::opt<std::string> outputFile("o",
                                cl::desc("Output file (executable, or "
                                         "the stage --emit prints)"),
                                cl::value_desc("file"), cl::cat(buildCategory));
cl::opt<Emit> emit(
    "emit", cl::desc("Print one stage instead of building an executable"),
    cl::init(Emit::Binary),
    cl::values(
        clEnumValN(Emit::NN, "nn", "the model as written (00-nn)"),
        clEnumValN(Emit::Grad, "grad", "after reverse-mode autodiff (01-grad)"),
        clEnumValN(Emit::Jvp, "jvp",
                   "after autodiff and forward mode (implies --jvp)"),
        clEnumValN(Emit::Optimizer, "optimizer",
                   "after the optimizer update (02-optimizer)"),
        clEnumValN(Emit::Steps, "steps",
                   "train_step/eval_step/predict functions (03-steps)"),
        clEnumValN(Emit::Kern, "kern", "the fused kern.kernel ops (04-kern)"),
        clEnumValN(Emit::Plan, "plan",
                   "kernels with buffer slots and in-place updates (05-plan)"),
        clEnumValN(Emit::Halide, "halide",
                   "each kernel's lowered Halide statement"),
        clEnumValN(Emit::Device, "device",
                   "each kernel's GPU code (PTX for a CUDA target, OpenCL C "
                   "for an OpenCL one)"),
        clEnumValN(Emit::Table, "table", "the generated step table (C)")),
    cl::cat(buildCategory));
cl::opt<std::string> dumpDir("dump-ir",
                             cl::desc("Write every stage into this directory "
                                      "(numbered: 00-nn.mlir ... 05-plan.mlir, "
                                      "06-halide/, 07-table.cpp)"),
                             cl::value_desc("dir"), cl::cat(buildCategory));
cl::opt<std::string> target(
    "target",
    cl::desc("Halide target: 'host' (default: this CPU), 'host-cuda' (NVIDIA "
             "GPUs; compute capability 8.0 unless a cuda_capability_NN "
             "feature is given, e.g. host-cuda-cuda_capability_86), "
             "'host-opencl', or a Halide target string such as "
             "x86-64-linux-avx2-fma-f16c-sse41"),
    cl::init("host"), cl::cat(buildCategory));
cl::opt<std::string> jvpWrt(
    "jvp", cl::ValueOptional,
    cl::desc("Also derive forward-mode tangents of the loss (the binary's "
             "`derivatives` prints them): of every parameter, or of the "
             "comma-separated parameters/inputs given"),
    cl::value_desc("names"), cl::cat(buildCategory));
cl::opt<bool> noFusion("no-fusion",
                       cl::desc("One kernel per op (to compare with fusion)"),
                       cl::cat(buildCategory));
cl::opt<std::string> schedule(
    "schedule",
    cl::desc("Schedules of the pointwise and reduction kernels: 'kiln' "
             "(default) or "
             "auto:Adams2019, auto:Li2018, auto:Mullapudi2016 (Halide's "
             "autoschedulers); matmul and convolution kernels always use "
             "kiln's templates"),
    cl::init("kiln"), cl::cat(buildCategory));
// --stats is LLVM's own -stats flag (registered by LLVM; statistics are
// compiled out of Debian's release build), re-described and read through
// llvm::AreStatisticsEnabled().
bool stats = false;
const char *kStatsHelp =
    "Print kernels and memory per step function at batch 128, with and "
    "without fusion: bytes of kernel results before and after "
    "--kiln-plan-memory, the arena, in-place updates";
cl::list<std::string>
    defines("D", cl::Prefix, cl::value_desc("NAME[=VALUE]"),
            cl::desc("Define a macro while compiling a DSL model file (one "
                     "file, several variants: -DOPTIMIZER=adam)"),
            cl::cat(buildCategory));
cl::opt<bool> keepTemps("keep-temps",
                        cl::desc("Keep the work directory and print its path"),
                        cl::cat(buildCategory));
cl::opt<bool> verbose("v", cl::desc("Print the commands kiln runs"),
                      cl::cat(buildCategory));
// Tests only: a deliberately wrong gradient (--kiln-autodiff=break-vjp),
// to show that the binary's grad-check catches it.
cl::opt<std::string> breakVjp(
    "test-break-vjp", cl::Hidden,
    cl::desc("Build a deliberately wrong gradient: conv2d-filter, max-pool "
             "or batch-norm (tests of grad-check)"),
    cl::cat(buildCategory));

struct StageInfo {
  kiln::Stage stage;
  Emit emit;
  const char *file;
};
constexpr StageInfo kStages[] = {
    {kiln::Stage::NN, Emit::NN, "00-nn.mlir"},
    {kiln::Stage::Grad, Emit::Grad, "01-grad.mlir"},
    {kiln::Stage::Optimizer, Emit::Optimizer, "02-optimizer.mlir"},
    {kiln::Stage::Steps, Emit::Steps, "03-steps.mlir"},
    {kiln::Stage::Kern, Emit::Kern, "04-kern.mlir"},
    {kiln::Stage::Plan, Emit::Plan, "05-plan.mlir"},
};

std::string pathJoin(llvm::StringRef dir, llvm::StringRef file) {
  llvm::SmallString<256> p(dir);
  llvm::sys::path::append(p, file);
  return std::string(p);
}

/// Writes `text` to `path` ("-" is stdout); false after printing an error.
bool writeFile(llvm::StringRef path,
               llvm::function_ref<void(llvm::raw_ostream &)> write) {
  std::string error;
  auto file = openOutputFile(path, &error);
  if (!file) {
    llvm::errs() << "error: " << error << "\n";
    return false;
  }
  write(file->os());
  file->keep();
  return true;
}

/// A work directory removed on exit unless --keep-temps.
struct WorkDir {
  std::string path;
  ~WorkDir() {
    if (path.empty())
      return;
    if (keepTemps)
      llvm::errs() << "kiln: kept work directory " << path << "\n";
    else
      llvm::sys::fs::remove_directories(path);
  }
};

constexpr int64_t kStatsBatch = kiln::nn::kPlannedBatch;

/// One line per step function of `module` (planned, with `fusion` on/off).
LogicalResult printStatsOf(ModuleOp module, bool fusion,
                           llvm::raw_ostream &os) {
  // Small models have kilobytes, the MLP megabytes: scale the unit.
  auto mib = [](int64_t b) {
    if (b < 1024)
      return llvm::formatv("{0} B", b).str();
    if (b < 1024 * 1024)
      return llvm::formatv("{0:f1} KiB", b / 1024.0).str();
    return llvm::formatv("{0:f2} MiB", b / (1024.0 * 1024.0)).str();
  };
  for (const char *name : kiln::hl::kStepFunctions) {
    auto fn = module.lookupSymbol<func::FuncOp>(name);
    if (!fn)
      continue;
    FailureOr<kiln::MemoryStats> s = kiln::memoryStats(fn, kStatsBatch);
    if (failed(s))
      return failure();
    int64_t updates = 0;
    for (unsigned i = 0; i < fn.getNumResults(); ++i)
      updates += fn.getResultAttr(i, "nn.update") != nullptr;
    os << llvm::formatv("  {0,-11} fusion {1,-3} {2,4} kernels {3,4} ops  "
                        "results {4,10} -> {5,10}  arena {6,10} in {7,3} "
                        "slots  own {8,10}  in place {9}/{10}  peak live "
                        "{11}\n",
                        name, fusion ? "on" : "off", s->kernels, s->ops,
                        mib(s->bytesBefore), mib(s->arenaBytes + s->ownBytes),
                        mib(s->arenaBytes), s->slots, mib(s->ownBytes),
                        s->inPlace, updates, mib(s->peakLiveBytes));
  }
  return success();
}

/// --stats: the build's functions, and the same functions (`steps`, the
/// module before fusion) built with fusion flipped.
LogicalResult printStats(ModuleOp planned, ModuleOp steps,
                         const kiln::StageOptions &options,
                         llvm::raw_ostream &os) {
  os << "kiln --stats (batch " << kStatsBatch
     << "): kernels; bytes of kernel results, each in its own buffer -> "
        "after --kiln-plan-memory (arena slots + buffers of their own); "
        "parameter and optimizer-state updates written in place\n";
  PassManager pm(planned.getContext());
  kiln::StageOptions flipped = options;
  flipped.fusion = !options.fusion;
  OwningOpRef<ModuleOp> other = steps.clone();
  kiln::addStagePasses(pm, kiln::Stage::Kern, flipped);
  kiln::addStagePasses(pm, kiln::Stage::Plan, flipped);
  if (failed(pm.run(*other)))
    return failure();
  ModuleOp off = options.fusion ? *other : planned;
  ModuleOp on = options.fusion ? planned : *other;
  if (failed(printStatsOf(off, false, os)) ||
      failed(printStatsOf(on, true, os)))
    return failure();
  return success();
}

class Build {
public:
  Build(kiln::Toolchain tc) : tc(std::move(tc)) {}
  int run();

private:
  bool runGenerator(const std::string &nnFile);
  bool dump(llvm::StringRef file, ModuleOp module);
  bool link(const kiln::hl::BackendResult &objects,
            const std::string &tableFile);

  kiln::Toolchain tc;
  WorkDir work;
};

bool Build::runGenerator(const std::string &nnFile) {
  // The model file is an ordinary C++ program: compile it against the DSL
  // library and run it; it writes the model's nn IR with DSL locations.
  std::string gen = pathJoin(work.path, "generator");
  std::string error;
  std::vector<std::string> cmd = {tc.cxx, "-std=c++20", "-O0",
                                  "-I" + tc.includeDir};
  for (const std::string &d : defines)
    cmd.push_back("-D" + d);
  llvm::append_range(cmd, tc.sanitizeFlags);
  cmd.insert(cmd.end(), {inputFile, "-o", gen, "-L" + tc.libDir, "-lkiln_dsl",
                         "-Wl,-rpath," + tc.libDir});
  int rc = kiln::runTool(cmd, verbose, error);
  if (rc != 0) {
    llvm::errs() << "error: " << inputFile << " did not compile"
                 << (error.empty() ? "" : ": " + error)
                 << " (a model file is C++20 that includes <kiln/dsl.h> and "
                    "defines its model with KILN_MODEL)\n";
    return false;
  }
  rc = kiln::runTool({gen, "--output", nnFile}, verbose, error);
  if (rc != 0) {
    // The generator already reported the model's errors at their DSL lines.
    if (!error.empty())
      llvm::errs() << "error: running the model generator failed: " << error
                   << "\n";
    return false;
  }
  return true;
}

bool Build::dump(llvm::StringRef file, ModuleOp module) {
  if (dumpDir.empty())
    return true;
  return writeFile(pathJoin(dumpDir, file), [&](llvm::raw_ostream &os) {
    module->print(os, OpPrintingFlags().enableDebugInfo(true, false));
  });
}

bool Build::link(const kiln::hl::BackendResult &objects,
                 const std::string &tableFile) {
  std::vector<std::string> cmd = {tc.cxx, "-O2", "-I" + tc.includeDir,
                                  tableFile};
  for (const std::string &o : objects.objects)
    cmd.push_back(o);
  llvm::append_range(cmd, tc.sanitizeFlags);
  cmd.insert(cmd.end(), {pathJoin(tc.libDir, "libkiln_runtime.a"), "-lz",
                         "-lpthread", "-ldl", "-lm", "-o", outputFile});
  std::string error;
  if (kiln::runTool(cmd, verbose, error) != 0) {
    llvm::errs() << "error: linking " << outputFile << " failed"
                 << (error.empty() ? "" : ": " + error) << "\n";
    return false;
  }
  return true;
}

int Build::run() {
  llvm::StringRef ext = llvm::sys::path::extension(inputFile);
  bool isMlir = ext == ".mlir";
  if (!isMlir && ext != ".cpp" && ext != ".cc" && ext != ".cxx") {
    llvm::errs() << "error: " << inputFile
                 << ": expected a C++ model file (.cpp) or an nn-dialect "
                    "file (.mlir)\n";
    return 1;
  }
  if (isMlir && !defines.empty()) {
    llvm::errs() << "error: -D defines macros of a C++ model file; "
                 << inputFile << " is an nn-dialect file\n";
    return 1;
  }
  if (!llvm::sys::fs::exists(inputFile)) {
    llvm::errs() << "error: " << inputFile << ": no such file\n";
    return 1;
  }
  if (emit == Emit::Binary && outputFile.empty()) {
    llvm::errs() << "error: no output file: pass -o <executable> (or "
                    "--emit=<stage> to print a stage)\n";
    return 1;
  }
  std::string targetError;
  std::optional<std::string> resolvedTarget =
      kiln::hl::resolveTarget(target, targetError);
  if (!resolvedTarget) {
    llvm::errs() << "error: " << targetError << "\n";
    return 1;
  }
  llvm::SmallString<128> tmp;
  if (auto ec = llvm::sys::fs::createUniqueDirectory("kiln", tmp)) {
    llvm::errs() << "error: cannot create a work directory: " << ec.message()
                 << "\n";
    return 1;
  }
  work.path = std::string(tmp);
  if (!dumpDir.empty())
    if (auto ec = llvm::sys::fs::create_directories(dumpDir)) {
      llvm::errs() << "error: cannot create " << dumpDir << ": " << ec.message()
                   << "\n";
      return 1;
    }

  std::string nnFile = inputFile;
  if (!isMlir) {
    nnFile = pathJoin(work.path, "00-nn.mlir");
    if (!runGenerator(nnFile))
      return 1;
  }

  DialectRegistry registry;
  registry.insert<kiln::nn::NNDialect, kiln::kern::KernDialect,
                  func::FuncDialect>();
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  // Errors point at the user's lines; a generic dump of the op is noise.
  context.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  // One mistake, one error: MLIR's verifier follows a shape error with a
  // generic "failed to infer returned types" at the same op.
  llvm::DenseSet<Location> errorLocs;
  ScopedDiagnosticHandler firstErrorOnly(&context, [&](Diagnostic &d) {
    if (d.getSeverity() != DiagnosticSeverity::Error)
      return failure(); // not handled: print it
    return success(!errorLocs.insert(d.getLocation()).second);
  });
  auto buffer = llvm::MemoryBuffer::getFile(nnFile);
  if (!buffer) {
    llvm::errs() << "error: cannot read " << nnFile << ": "
                 << buffer.getError().message() << "\n";
    return 1;
  }
  unsigned id = sourceMgr.AddNewSourceBuffer(std::move(*buffer), SMLoc());
  if (!kiln::checkNoForwardReferences(sourceMgr, id, /*split=*/false))
    return 1;
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
  if (!module)
    return 1;

  std::string out = outputFile.empty() ? "-" : outputFile.getValue();
  kiln::StageOptions stageOptions;
  stageOptions.jvp = jvpWrt.getNumOccurrences() > 0 || emit == Emit::Jvp;
  stageOptions.fusion = !noFusion;
  stageOptions.breakVjp = breakVjp;
  if (schedule != "kiln") {
    llvm::StringRef s = schedule;
    llvm::StringRef name = s.drop_front(5);
    if (!s.starts_with("auto:") ||
        (name != "Adams2019" && name != "Li2018" && name != "Mullapudi2016")) {
      llvm::errs() << "error: --schedule must be kiln or auto:Adams2019, "
                      "auto:Li2018 or auto:Mullapudi2016, got '"
                   << s << "'\n";
      return 1;
    }
    stageOptions.autoschedule = name.str();
    // Halide 14's autoschedulers and GPU targets (tried on PoCL): say so.
    llvm::SmallVector<llvm::StringRef> features;
    llvm::StringRef(*resolvedTarget).split(features, '-');
    if (llvm::is_contained(features, "cuda") ||
        llvm::is_contained(features, "opencl"))
      llvm::errs()
          << "warning: --schedule=" << s << " on a GPU target: "
          << (name == "Li2018"
                  ? "Halide 14's Li2018 GPU schedules can index out of "
                    "bounds at run time (ShiftInwards tiles over batch-sized "
                    "dims; the MLP's softmax cross-entropy kernel fails), "
                    "which the binary reports as a kernel error"
                  : "Halide 14's " + name.str() +
                        " has no GPU support: the kernels it schedules run "
                        "on the host, copying their buffers from and to the "
                        "device")
          << "; kiln's GPU schedule (the default, --schedule=kiln) has "
             "neither problem\n";
  }
  for (llvm::StringRef name : llvm::split(jvpWrt.getValue(), ','))
    if (!name.trim().empty())
      stageOptions.jvpWrt.push_back(name.trim().str());
  llvm::raw_ostream &statsOs = out == "-" ? llvm::errs() : llvm::outs();
  OwningOpRef<ModuleOp> beforeFusion;
  for (const StageInfo &s : kStages) {
    PassManager pm(&context);
    if (failed(applyPassManagerCLOptions(pm)))
      return 1;
    kiln::addStagePasses(pm, s.stage, stageOptions);
    if (failed(pm.run(*module)))
      return 1;
    if (!dump(s.file, *module))
      return 1;
    if (stats && s.stage == kiln::Stage::Steps)
      beforeFusion = module->clone();
    if (stats && s.stage == kiln::Stage::Plan &&
        failed(printStats(*module, *beforeFusion, stageOptions, statsOs)))
      return 1;
    if (emit == s.emit || (emit == Emit::Jvp && s.stage == kiln::Stage::Grad))
      return writeFile(out,
                       [&](llvm::raw_ostream &os) {
                         module->print(os, OpPrintingFlags());
                       })
                 ? 0
                 : 1;
  }

  FailureOr<kiln::hl::ModelPlan> plan = kiln::hl::planModel(*module);
  if (failed(plan))
    return 1;
  kiln::hl::BackendOptions opts;
  opts.target = target;
  opts.outDir = work.path;
  if (emit == Emit::Halide || emit == Emit::Device) {
    std::string error;
    auto file = openOutputFile(out, &error);
    if (!file) {
      llvm::errs() << "error: " << error << "\n";
      return 1;
    }
    if (failed(emit == Emit::Halide
                   ? kiln::hl::printLoweredKernels(*plan, opts, file->os())
                   : kiln::hl::printDeviceCode(*plan, opts, file->os())))
      return 1;
    file->keep();
    return 0;
  }
  if (!dumpDir.empty()) {
    opts.dumpDir = pathJoin(dumpDir, "06-halide");
    if (auto ec = llvm::sys::fs::create_directories(opts.dumpDir)) {
      llvm::errs() << "error: cannot create " << opts.dumpDir << ": "
                   << ec.message() << "\n";
      return 1;
    }
  }
  const std::string &resolved = *resolvedTarget;
  if (emit == Emit::Table)
    return writeFile(out,
                     [&](llvm::raw_ostream &os) {
                       kiln::hl::emitTable(*plan, resolved, os);
                     })
               ? 0
               : 1;

  FailureOr<kiln::hl::BackendResult> objects =
      kiln::hl::compileKernels(*plan, opts);
  if (failed(objects))
    return 1;
  std::string tableFile = pathJoin(work.path, "table.cpp");
  auto writeTable = [&](llvm::raw_ostream &os) {
    kiln::hl::emitTable(*plan, objects->target, os);
  };
  if (!writeFile(tableFile, writeTable) ||
      (!dumpDir.empty() &&
       !writeFile(pathJoin(dumpDir, "07-table.cpp"), writeTable)))
    return 1;
  return link(*objects, tableFile) ? 0 : 1;
}

void printUsage(llvm::raw_ostream &os) {
  os << "kiln " KILN_VERSION
        " - compile a neural-network model to a native executable\n\n"
        "USAGE:\n"
        "  kiln build <model.cpp|model.mlir> -o <executable> [options]\n"
        "  kiln build <model> "
        "--emit=nn|grad|jvp|optimizer|steps|kern|plan|halide|table\n"
        "  kiln build --help     all build options\n"
        "  kiln --version\n\n"
        "The executable trains and runs the model: ./model train --help\n";
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::StringRef command = argc > 1 ? argv[1] : "";
  if (command.empty()) {
    printUsage(llvm::errs());
    return 1;
  }
  if (command == "--help" || command == "-h" || command == "help") {
    printUsage(llvm::outs());
    return 0;
  }
  if (command == "--version") {
    llvm::outs() << "kiln " KILN_VERSION " (MLIR " LLVM_VERSION_STRING
                    ", Halide 14)\n";
    return 0;
  }
  if (command != "build") {
    llvm::errs() << "error: unknown command '" << command
                 << "' (try: kiln --help)\n";
    return 1;
  }
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  cl::HideUnrelatedOptions(buildCategory);
  cl::Option *statsOption = cl::getRegisteredOptions().lookup("stats");
  if (statsOption) {
    statsOption->setDescription(kStatsHelp);
    statsOption->addCategory(buildCategory);
    statsOption->setHiddenFlag(cl::NotHidden);
  }
  std::string name = std::string(argv[0]) + " build";
  std::vector<const char *> args{name.c_str()};
  for (int i = 2; i < argc; ++i)
    args.push_back(argv[i]);
  if (!cl::ParseCommandLineOptions(
          args.size(), args.data(),
          "kiln build: compile a model (C++ DSL file or nn-dialect .mlir) "
          "into an executable that trains and runs it.\n\n"
          "MLIR's --mlir-print-ir-after-all, --mlir-print-debuginfo and "
          "related flags also work (see --help-hidden).\n",
          &llvm::errs()))
    return 1;

  stats = llvm::AreStatisticsEnabled();
  std::string error;
  std::optional<kiln::Toolchain> tc = kiln::Toolchain::find(argv[0], error);
  if (!tc) {
    llvm::errs() << "error: " << error << "\n";
    return 1;
  }
  return Build(*tc).run();
}
