//===- error.h - runtime errors ---------------------------------*- C++ -*-===//
#ifndef KILN_RUNTIME_ERROR_H
#define KILN_RUNTIME_ERROR_H

#include <stdexcept>
#include <string>

namespace kiln::rt {

/// A user-facing error: main prints "error: <what>" and exits 1.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

} // namespace kiln::rt

#endif // KILN_RUNTIME_ERROR_H
