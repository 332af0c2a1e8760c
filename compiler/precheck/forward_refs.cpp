//===- forward_refs.cpp - refuse forward references before parsing
//---------===//
#include "compiler/precheck/forward_refs.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/raw_ostream.h"

#include <cctype>

namespace kiln {

namespace {
bool isIdChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' ||
         c == '$' || c == '-';
}

struct Scanner {
  llvm::StringRef text;
  size_t at = 0;

  size_t skipSpace(size_t i) const {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])))
      ++i;
    return i;
  }
  /// The end of `%name` starting at i (text[i] == '%'), or i if none.
  size_t nameEnd(size_t i) const {
    size_t j = i + 1;
    while (j < text.size() && isIdChar(text[j]))
      ++j;
    return j;
  }
  size_t digits(size_t i) const {
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
      ++i;
    return i;
  }
  /// From the end of a name: `(:N)? (, %name(:N)?)* =` (not `==`) makes it
  /// a result definition.
  bool startsResultList(size_t i) const {
    while (true) {
      if (i < text.size() && text[i] == ':')
        i = digits(i + 1);
      i = skipSpace(i);
      if (i < text.size() && text[i] == ',') {
        i = skipSpace(i + 1);
        if (i >= text.size() || text[i] != '%')
          return false;
        i = nameEnd(i);
        continue;
      }
      return i < text.size() && text[i] == '=' &&
             (i + 1 >= text.size() || text[i + 1] != '=');
    }
  }
};
} // namespace

std::optional<size_t> findForwardReference(llvm::StringRef text) {
  Scanner s{text};
  // Names in scope: one set per open region, as MLIR's parser scopes them
  // (a region's definitions and arguments end with it). Braces of an
  // attribute dictionary open no scope (nullopt); a region misread as a
  // dictionary only makes the check less strict, never wrong.
  llvm::SmallVector<std::optional<llvm::StringSet<>>> scopes(1);
  llvm::StringSet<> pendingArgs; // a function's arguments, for its region
  auto defined = [&](llvm::StringRef name) {
    for (auto &scope : scopes)
      if (scope && scope->contains(name))
        return true;
    return false;
  };
  auto define = [&](llvm::StringRef name) {
    for (auto it = scopes.rbegin(); it != scopes.rend(); ++it)
      if (*it) {
        (*it)->insert(name);
        return;
      }
  };
  // Whether the `{` at i opens a region: what follows is an op, a value or
  // a block, not `key = value`, `key,` or `}`.
  auto opensRegion = [&](size_t i) {
    size_t j = s.skipSpace(i + 1);
    while (j + 1 < text.size() && text[j] == '/' && text[j + 1] == '/') {
      j = text.find('\n', j);
      if (j == llvm::StringRef::npos)
        return false;
      j = s.skipSpace(j);
    }
    if (j >= text.size() || text[j] == '}')
      return false;
    if (text[j] == '%' || text[j] == '^' || text[j] == '"')
      return true;
    size_t k = j;
    while (k < text.size() && isIdChar(text[k]))
      ++k;
    if (k == j)
      return false;
    k = s.skipSpace(k);
    return !(k < text.size() &&
             (text[k] == '=' || text[k] == ',' || text[k] == '}'));
  };
  // Open parentheses: whether each holds arguments, and whose (@f: the
  // function's region; ^bb: the current one).
  enum class Args { None, Function, Block };
  llvm::SmallVector<Args> parens;
  Args lastSymbol = Args::None; // the previous token was @name or ^name
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
      i = text.find('\n', i);
      if (i == llvm::StringRef::npos)
        break;
      continue;
    }
    if (c == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i)
        if (text[i] == '\\')
          ++i;
      ++i;
      lastSymbol = Args::None;
      continue;
    }
    if (c == '@' || c == '^') {
      size_t j = i + 1;
      while (j < text.size() && isIdChar(text[j]))
        ++j;
      lastSymbol = j == i + 1 ? Args::None
                   : c == '@' ? Args::Function
                              : Args::Block;
      i = j;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    Args symbol = lastSymbol;
    lastSymbol = Args::None;
    if (c == '(') {
      parens.push_back(symbol);
      ++i;
      continue;
    }
    if (c == ')') {
      if (!parens.empty())
        parens.pop_back();
      ++i;
      continue;
    }
    if (c == '{') {
      if (opensRegion(i)) {
        scopes.emplace_back(llvm::StringSet<>());
        for (auto &arg : pendingArgs)
          scopes.back()->insert(arg.getKey());
        pendingArgs.clear();
      } else {
        scopes.emplace_back(std::nullopt);
      }
      ++i;
      continue;
    }
    if (c == '}') {
      if (scopes.size() > 1)
        scopes.pop_back();
      ++i;
      continue;
    }
    if (c != '%') {
      ++i;
      continue;
    }
    size_t end = s.nameEnd(i);
    if (end == i + 1) {
      ++i;
      continue;
    }
    llvm::StringRef name = text.slice(i + 1, end);
    size_t after = s.skipSpace(end);
    Args argOf = parens.empty() ? Args::None : parens.back();
    bool argument = argOf != Args::None && after < text.size() &&
                    text[after] == ':' &&
                    (after + 1 >= text.size() || text[after + 1] != ':');
    if (argument && argOf == Args::Function)
      pendingArgs.insert(name);
    else if (argument || s.startsResultList(end))
      define(name);
    else if (!defined(name))
      return i;
    i = end;
  }
  return std::nullopt;
}

bool checkNoForwardReferences(llvm::SourceMgr &sources, unsigned buffer,
                              bool split) {
  llvm::StringRef text = sources.getMemoryBuffer(buffer)->getBuffer();
  const char *base = text.data();
  bool ok = true;
  while (true) {
    size_t cut = split ? text.find("\n// -----") : llvm::StringRef::npos;
    llvm::StringRef chunk = text.substr(0, cut);
    if (std::optional<size_t> at = findForwardReference(chunk)) {
      const char *p = chunk.data() + *at;
      size_t n = 1;
      while (p + n < base + sources.getMemoryBuffer(buffer)->getBufferSize() &&
             isIdChar(p[n]))
        ++n;
      sources.PrintMessage(llvm::SMLoc::getFromPointer(p),
                           llvm::SourceMgr::DK_Error,
                           "'" + llvm::StringRef(p, n) +
                               "' is used before it is defined (kiln IR has "
                               "no forward references)");
      ok = false;
    }
    if (cut == llvm::StringRef::npos)
      break;
    text = text.substr(cut + 1);
    size_t eol = text.find('\n');
    text = eol == llvm::StringRef::npos ? llvm::StringRef() : text.substr(eol);
  }
  return ok;
}

} // namespace kiln
