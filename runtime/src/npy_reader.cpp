//===- npy_reader.cpp - NumPy .npy arrays ---------------------------------===//
#include "data.h"
#include "data_util.h"
#include "error.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <sys/stat.h>

namespace kiln::rt {

Dataset loadNpy(const std::string &path, int targets) {
  std::string bytes = readFile(path);
  auto bad = [&](const std::string &why) -> Error {
    return Error(path + ": " + why);
  };
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
    throw bad("not a NumPy .npy file (magic \\x93NUMPY)");
  int major = static_cast<unsigned char>(bytes[6]);
  size_t headerLen, at;
  if (major == 1) {
    headerLen = static_cast<unsigned char>(bytes[8]) |
                static_cast<unsigned char>(bytes[9]) << 8;
    at = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      throw bad("truncated header");
    headerLen = 0;
    for (int i = 3; i >= 0; --i)
      headerLen = headerLen << 8 | static_cast<unsigned char>(bytes[8 + i]);
    at = 12;
  } else {
    throw bad("unsupported .npy version " + std::to_string(major));
  }
  if (bytes.size() < at + headerLen)
    throw bad("truncated header");
  std::string header = bytes.substr(at, headerLen);
  at += headerLen;
  auto field = [&](const std::string &key) {
    size_t k = header.find("'" + key + "'");
    if (k == std::string::npos)
      throw bad("header has no '" + key + "'");
    size_t colon = header.find(':', k);
    return header.substr(colon + 1);
  };
  std::string descr = field("descr");
  descr = descr.substr(descr.find('\'') + 1);
  descr = descr.substr(0, descr.find('\''));
  if (field("fortran_order").find("False") != 0 &&
      field("fortran_order").find(" False") != 0)
    throw bad("Fortran-ordered arrays are not supported (save with "
              "np.ascontiguousarray)");
  std::string shape = field("shape");
  shape = shape.substr(shape.find('(') + 1);
  shape = shape.substr(0, shape.find(')'));
  std::vector<int64_t> dims;
  for (size_t i = 0; i < shape.size();) {
    while (i < shape.size() && (shape[i] == ' ' || shape[i] == ','))
      ++i;
    if (i >= shape.size())
      break;
    char *end = nullptr;
    long long d = std::strtoll(shape.c_str() + i, &end, 10);
    if (end == shape.c_str() + i || d < 0)
      throw bad("bad shape (" + shape + ")");
    dims.push_back(d);
    i = end - shape.c_str();
  }
  if (dims.empty() || dims.size() > 2)
    throw bad("expected a 1-d or 2-d array (samples × columns), got shape (" +
              shape + ")");
  int64_t rows = dims[0], cols = dims.size() == 2 ? dims[1] : 1;
  size_t width;
  if (descr.size() < 2)
    throw bad("bad dtype '" + descr + "' in the header");
  bool little = descr[0] == '<' || descr[0] == '|' || descr[0] == '=';
  std::string kind = descr.substr(1);
  if (!little)
    throw bad("big-endian data ('" + descr + "') is not supported");
  if (kind == "f4" || kind == "i4" || kind == "u4")
    width = 4;
  else if (kind == "f8" || kind == "i8" || kind == "u8")
    width = 8;
  else if (kind == "u1" || kind == "i1" || kind == "b1")
    width = 1;
  else
    throw bad("unsupported dtype '" + descr +
              "' (f4, f8, i1/u1, i4/u4, i8/u8, bool)");
  // (A shape too large to hold in memory cannot match the file's size:
  // refuse it before its byte count overflows.)
  uint64_t need = 0;
  bool huge = __builtin_mul_overflow(static_cast<uint64_t>(rows),
                                     static_cast<uint64_t>(cols), &need) ||
              __builtin_mul_overflow(need, static_cast<uint64_t>(width), &need);
  if (huge || bytes.size() - at != need)
    throw bad(std::to_string(rows) + "x" + std::to_string(cols) + " of '" +
              descr + "' need " +
              (huge ? std::string("more than 2^64") : std::to_string(need)) +
              " bytes of data, the file has " +
              std::to_string(bytes.size() - at) + " (truncated or corrupt)");
  if (targets < 0 || targets >= cols)
    throw bad("has " + std::to_string(cols) + " columns; " +
              std::to_string(targets) + " target column(s) leave no features");
  const char *data = bytes.data() + at;
  auto value = [&](int64_t i) -> double {
    const char *p = data + i * width;
    if (kind == "f4") {
      float v;
      std::memcpy(&v, p, 4);
      return v;
    }
    if (kind == "f8") {
      double v;
      std::memcpy(&v, p, 8);
      return v;
    }
    if (kind == "i4" || kind == "u4") {
      int32_t v;
      std::memcpy(&v, p, 4);
      return kind == "u4" ? double(uint32_t(v)) : double(v);
    }
    if (kind == "i8" || kind == "u8") {
      int64_t v;
      std::memcpy(&v, p, 8);
      return kind == "u8" ? double(uint64_t(v)) : double(v);
    }
    return kind == "i1" ? double(int8_t(*p)) : double(uint8_t(*p));
  };
  Dataset ds;
  ds.source = path;
  ds.rows = rows;
  ds.features = cols - targets;
  ds.targets = targets;
  ds.x.reserve(rows * ds.features);
  ds.y.reserve(rows * targets);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      double v = value(r * cols + c);
      if (!std::isfinite(v))
        throw bad("row " + std::to_string(r) + ", column " + std::to_string(c) +
                  " is " + std::to_string(v));
      (c < ds.features ? ds.x : ds.y).push_back(static_cast<float>(v));
    }
  return ds;
}

} // namespace kiln::rt
