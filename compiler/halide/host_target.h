//===- host_target.h - this machine's Halide target -------------*- C++ -*-===//
#ifndef KILN_COMPILER_HALIDE_HOST_TARGET_H
#define KILN_COMPILER_HALIDE_HOST_TARGET_H

#include "Halide.h"

namespace kiln::hl {

/// The target of this machine's CPU (Halide 14's own detection mistakes
/// AMD Zen 4 for Sapphire Rapids; see host_target.cpp), and the same for JIT.
Halide::Target hostTarget();
Halide::Target jitTarget();

} // namespace kiln::hl

#endif // KILN_COMPILER_HALIDE_HOST_TARGET_H
