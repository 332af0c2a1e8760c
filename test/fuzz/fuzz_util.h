//===- fuzz_util.h - shared bits of the libFuzzer targets -------*- C++ -*-===//
//
// The runtime's readers take paths, so each input goes through a file of
// this process's own (in $TMPDIR, /tmp by default).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TEST_FUZZ_FUZZ_UTIL_H
#define KILN_TEST_FUZZ_FUZZ_UTIL_H

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace kiln::fuzz {

/// A path unique to this process, ending in `suffix`.
inline std::string scratchPath(const std::string &suffix) {
  const char *tmp = std::getenv("TMPDIR");
  return std::string(tmp && *tmp ? tmp : "/tmp") + "/kiln-fuzz-" +
         std::to_string(::getpid()) + suffix;
}

/// Writes `size` bytes to `path`; aborts on failure (not the input's fault).
inline void writeFile(const std::string &path, const uint8_t *data,
                      size_t size) {
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f || (size && std::fwrite(data, 1, size, f) != size) ||
      std::fclose(f) != 0) {
    std::perror(path.c_str());
    std::abort();
  }
}

} // namespace kiln::fuzz

#endif // KILN_TEST_FUZZ_FUZZ_UTIL_H
