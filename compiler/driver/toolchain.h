//===- toolchain.h - where kiln finds its pieces; running tools -*- C++ -*-===//
#ifndef KILN_COMPILER_DRIVER_TOOLCHAIN_H
#define KILN_COMPILER_DRIVER_TOOLCHAIN_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>
#include <vector>

namespace kiln {

/// Files kiln needs next to its own executable: <bin>/../lib and
/// <bin>/../include, both in the build tree and an install tree.
struct Toolchain {
  std::string includeDir; // kiln/dsl.h, kiln/model_abi.h
  std::string libDir;     // libkiln_dsl.so, libkiln_runtime.a
  std::string cxx;        // host C++ compiler ($KILN_CXX, else configured)
  // This build's sanitizer flags: the generator and the model binary need
  // them to link against a sanitized libkiln_dsl / libkiln_runtime.
  std::vector<std::string> sanitizeFlags;

  /// Locates the toolchain from argv[0]; on failure sets `error`.
  static std::optional<Toolchain> find(const char *argv0, std::string &error);
};

/// Runs `argv` and waits; returns its exit code (-1 if it could not start or
/// died from a signal, with `error` set). With `verbose`, echoes the command.
int runTool(llvm::ArrayRef<std::string> argv, bool verbose, std::string &error);

} // namespace kiln

#endif // KILN_COMPILER_DRIVER_TOOLCHAIN_H
