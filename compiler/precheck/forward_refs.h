//===- forward_refs.h - refuse forward references before parsing -*- C++
//-*-===//
//
// kiln IR never needs a forward reference: its regions are single blocks
// and every value is defined before it is used. MLIR 19's parser, though,
// can write into freed memory when a forward reference made outside a
// region is resolved by a definition inside it and the parse then fails
// (llvm-project #107121, fixed only in LLVM 21). So kiln's front ends
// (kiln build x.mlir, kiln-opt) look for a use before any definition in
// the text first, and report it instead of handing it to the parser.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_PRECHECK_FORWARD_REFS_H
#define KILN_COMPILER_PRECHECK_FORWARD_REFS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SourceMgr.h"

#include <optional>

namespace kiln {

/// The first SSA use in `text` (`%x`, `%x#1`) whose name has no definition
/// earlier in the text (`%x =`, `%x, %y =`, `%x:2 =`, or an argument
/// `%x: type` of a function or block): its offset. Comments and strings
/// are skipped.
std::optional<size_t> findForwardReference(llvm::StringRef text);

/// Reports the first forward reference of each chunk of `buffer` (split at
/// lines `// -----` when `split`), as an error at its file:line:col;
/// returns false when there was one.
bool checkNoForwardReferences(llvm::SourceMgr &sources, unsigned buffer,
                              bool split);

} // namespace kiln

#endif // KILN_COMPILER_PRECHECK_FORWARD_REFS_H
