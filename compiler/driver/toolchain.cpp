//===- toolchain.cpp - where kiln finds its pieces; running tools ---------===//
#include "compiler/driver/toolchain.h"
#include "compiler/driver/config.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

namespace kiln {

std::optional<Toolchain> Toolchain::find(const char *argv0,
                                         std::string &error) {
  static int anchor;
  std::string exe = llvm::sys::fs::getMainExecutable(argv0, &anchor);
  llvm::SmallString<256> prefix(llvm::sys::path::parent_path(exe));
  llvm::sys::path::remove_filename(prefix); // <prefix>/bin/kiln -> <prefix>
  Toolchain tc;
  llvm::SmallString<256> inc(prefix), lib(prefix);
  llvm::sys::path::append(inc, "include");
  llvm::sys::path::append(lib, "lib");
  tc.includeDir = std::string(inc);
  tc.libDir = std::string(lib);
  const char *cxx = std::getenv("KILN_CXX");
  tc.cxx = cxx && *cxx ? cxx : KILN_CONFIGURED_CXX;
  llvm::SmallVector<llvm::StringRef> flags;
  llvm::StringRef(KILN_SANITIZE_FLAGS).split(flags, ' ', -1, false);
  for (llvm::StringRef f : flags)
    tc.sanitizeFlags.push_back(f.str());

  llvm::SmallString<256> header(inc);
  llvm::sys::path::append(header, "kiln", "dsl.h");
  if (!llvm::sys::fs::exists(header)) {
    error = "kiln's headers are missing: expected " + std::string(header) +
            " next to the kiln executable";
    return std::nullopt;
  }
  return tc;
}

int runTool(llvm::ArrayRef<std::string> argv, bool verbose,
            std::string &error) {
  if (verbose) {
    for (const std::string &a : argv)
      llvm::errs() << a << ' ';
    llvm::errs() << '\n';
  }
  auto program = llvm::sys::findProgramByName(argv[0]);
  if (!program) {
    error = "cannot find '" + argv[0] + "' on PATH";
    return -1;
  }
  std::vector<llvm::StringRef> args(argv.begin(), argv.end());
  bool failedToRun = false;
  int rc = llvm::sys::ExecuteAndWait(*program, args, std::nullopt, {}, 0, 0,
                                     &error, &failedToRun);
  if (failedToRun)
    return -1;
  if (rc < 0 && error.empty())
    error = "'" + argv[0] + "' crashed";
  return rc;
}

} // namespace kiln
