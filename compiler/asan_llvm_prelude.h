//===- asan_llvm_prelude.h - ASan builds against a plain LLVM ---*- C++ -*-===//
//
// Force-included into every C++ file of a KILN_SANITIZE=address build.
// LLVM's headers poison and unpoison BumpPtrAllocator slabs when compiled
// with ASan, but Debian's static LLVM/MLIR libraries were not: an inline
// allocator function instantiated in kiln's code (poisoning) and the same
// function from the library (not unpoisoning) then meet, and ASan reports
// use-after-poison inside MLIR. Compiling the allocator's hooks out of
// kiln's copies keeps both sides alike; kiln's own memory stays checked.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_ASAN_LLVM_PRELUDE_H
#define KILN_COMPILER_ASAN_LLVM_PRELUDE_H
#if __has_include("llvm/Support/Compiler.h")
#include "llvm/Support/Compiler.h"
#define __asan_poison_memory_region(p, size) ((void)(p), (void)(size))
#define __asan_unpoison_memory_region(p, size) ((void)(p), (void)(size))
#endif
#endif // KILN_COMPILER_ASAN_LLVM_PRELUDE_H
