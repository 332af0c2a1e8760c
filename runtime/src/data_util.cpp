//===- data_util.cpp - what the data readers share ------------------------===//
#include "data_util.h"
#include "data.h"
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

bool isDirectory(const std::string &path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool exists(const std::string &path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

std::string joinPath(const std::string &dir, const std::string &file) {
  return dir.empty() || dir.back() == '/' ? dir + file : dir + "/" + file;
}

/// Lines of a text file with their 1-based numbers; blank lines dropped.
std::vector<std::pair<int64_t, std::string>> lines(const std::string &text) {
  std::vector<std::pair<int64_t, std::string>> out;
  int64_t number = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos)
      end = text.size();
    ++number;
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (line.find_first_not_of(" \t") != std::string::npos)
      out.emplace_back(number, std::move(line));
    start = end + 1;
  }
  return out;
}

std::string trim(const std::string &s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

/// Fields of one line; delimiter 0 splits on runs of whitespace.
std::vector<std::string> fields(const std::string &line, char delimiter) {
  std::vector<std::string> out;
  if (delimiter == 0) {
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
        ++i;
      size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t')
        ++j;
      if (j > i)
        out.push_back(line.substr(i, j - i));
      i = j;
    }
    return out;
  }
  size_t start = 0;
  for (;;) {
    size_t end = line.find(delimiter, start);
    out.push_back(trim(line.substr(start, end - start)));
    if (end == std::string::npos)
      return out;
    start = end + 1;
  }
}

bool parseNumber(const std::string &s, float &v) {
  if (s.empty())
    return false;
  errno = 0;
  char *end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (*end != '\0' || errno == ERANGE)
    return false;
  v = static_cast<float>(d);
  return true;
}

float number(const std::string &s, const std::string &file, int64_t line,
             size_t column) {
  float v;
  if (!parseNumber(s, v))
    throw Error(file + ":" + std::to_string(line) + ": field " +
                std::to_string(column + 1) + " ('" + s + "') is not a number");
  if (!std::isfinite(v))
    throw Error(file + ":" + std::to_string(line) + ": field " +
                std::to_string(column + 1) + " is " + s +
                " (NaN and infinity are not valid data)");
  return v;
}

uint32_t bigEndian32(const std::string &bytes, size_t at) {
  auto b = [&](size_t i) {
    return static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + i]));
  };
  return b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
}

} // namespace kiln::rt
