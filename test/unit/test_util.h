//===- test_util.h - helpers for runtime unit tests -------------*- C++ -*-===//
#ifndef KILN_TEST_UNIT_TEST_UTIL_H
#define KILN_TEST_UNIT_TEST_UTIL_H

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <string>

namespace kiln::test {

/// Writes `content` to a fresh file under the test temp dir; gzip'd if asked.
inline std::string writeTemp(const std::string &name, const std::string &content,
                             bool gzip = false) {
  std::string path = ::testing::TempDir() + "kiln_" + name;
  if (gzip) {
    gzFile f = gzopen(path.c_str(), "wb");
    gzwrite(f, content.data(), static_cast<unsigned>(content.size()));
    gzclose(f);
  } else {
    std::ofstream(path, std::ios::binary) << content;
  }
  return path;
}

/// Runs `fn` and returns the message of the kiln::rt::Error it throws.
template <typename F> std::string errorOf(F fn) {
  try {
    fn();
  } catch (const std::exception &e) {
    return e.what();
  }
  return "<no error>";
}

} // namespace kiln::test

#endif // KILN_TEST_UNIT_TEST_UTIL_H
