//===- shape.cpp - shape rules shared by inference and lowering -----------===//
#include "dialects/nn/shape.h"

#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace kiln::nn {

std::string formatShape(llvm::ArrayRef<int64_t> shape) {
  if (shape.empty())
    return "scalar";
  std::string s;
  llvm::raw_string_ostream os(s);
  llvm::interleave(
      shape, os,
      [&](int64_t d) {
        if (ShapedType::isDynamic(d))
          os << '?';
        else
          os << d;
      },
      "x");
  return s;
}

std::optional<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b,
                std::string *why) {
  size_t rank = std::max(a.size(), b.size());
  llvm::SmallVector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Right-aligned: position i of the result, counted from the left.
    int64_t da = i + a.size() >= rank ? a[i + a.size() - rank] : 1;
    int64_t db = i + b.size() >= rank ? b[i + b.size() - rank] : 1;
    if (da == db) {
      out[i] = da;
    } else if (da == 1) {
      out[i] = db;
    } else if (db == 1) {
      out[i] = da;
    } else {
      if (why) {
        llvm::raw_string_ostream os(*why);
        os << "dimension " << i << " of the broadcast result: ";
        auto fmt = [&](int64_t d) {
          if (ShapedType::isDynamic(d))
            os << "? (batch)";
          else
            os << d;
        };
        fmt(da);
        os << " vs ";
        fmt(db);
      }
      return std::nullopt;
    }
  }
  return out;
}

bool isBroadcastableTo(llvm::ArrayRef<int64_t> from,
                       llvm::ArrayRef<int64_t> to) {
  if (from.size() > to.size())
    return false;
  size_t off = to.size() - from.size();
  for (size_t i = 0; i < from.size(); ++i)
    if (from[i] != 1 && from[i] != to[i + off])
      return false;
  return true;
}

llvm::SmallVector<int64_t> broadcastAxes(llvm::ArrayRef<int64_t> small,
                                         llvm::ArrayRef<int64_t> big) {
  llvm::SmallVector<int64_t> axes;
  size_t off = big.size() - small.size();
  for (size_t i = 0; i < big.size(); ++i)
    if (i < off || (small[i - off] == 1 && big[i] != 1))
      axes.push_back(i);
  return axes;
}

FailureOr<llvm::SmallVector<int64_t>>
reducedShape(llvm::ArrayRef<int64_t> shape, llvm::ArrayRef<int64_t> axes,
             bool keepdims,
             llvm::function_ref<InFlightDiagnostic()> emitError) {
  int64_t prev = -1;
  for (int64_t a : axes) {
    if (a < 0 || a >= static_cast<int64_t>(shape.size()))
      return emitError() << "reduction axis " << a << " is out of range for a "
                         << "rank-" << shape.size() << " tensor";
    if (a <= prev)
      return emitError() << "reduction axes must be sorted and unique";
    prev = a;
  }
  llvm::SmallVector<int64_t> out;
  for (size_t i = 0; i < shape.size(); ++i) {
    bool reduced = llvm::is_contained(axes, static_cast<int64_t>(i));
    if (!reduced)
      out.push_back(shape[i]);
    else if (keepdims)
      out.push_back(1);
  }
  return out;
}

} // namespace kiln::nn
