//===- data.cpp - data sets, splits and normalisation ---------------------===//
#include "data.h"
#include "error.h"
#include "rng.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <sys/mman.h>
#include <sys/stat.h>

namespace kiln::rt {

namespace {

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

} // namespace

std::string readFile(const std::string &path) {
  if (!exists(path))
    throw Error(path + ": no such file");
  if (isDirectory(path))
    throw Error(path + ": is a directory, expected a file");
  // gzread reads plain files unchanged, so one path serves both.
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f)
    throw Error(path + ": cannot open: " + std::strerror(errno));
  std::string out;
  char chunk[1 << 16];
  for (;;) {
    int n = gzread(f, chunk, sizeof chunk);
    if (n < 0) {
      int code;
      std::string why = gzerror(f, &code);
      gzclose(f);
      throw Error(path +
                  ": cannot read (corrupt or truncated gzip data?): " + why);
    }
    if (n == 0)
      break;
    out.append(chunk, n);
  }
  // A truncated stream ends "cleanly" with gzread returning 0: only gzerror
  // tells.
  int code = Z_OK;
  std::string why = gzerror(f, &code);
  gzclose(f);
  if (code != Z_OK)
    throw Error(path +
                ": cannot read (corrupt or truncated gzip data?): " + why);
  return out;
}

Dataset loadSklearnCsv(const std::string &path) {
  auto rows = lines(readFile(path));
  if (rows.empty())
    throw Error(path + ": empty file");
  std::vector<std::string> head = fields(rows[0].second, ',');
  float n, d;
  if (head.size() < 2 || !parseNumber(head[0], n) || !parseNumber(head[1], d) ||
      n < 1 || d < 1)
    throw Error(path +
                ":1: expected a scikit-learn header "
                "'n_samples,n_features,class names...', got '" +
                rows[0].second + "'");
  Dataset ds;
  ds.source = path;
  ds.rows = static_cast<int64_t>(n);
  ds.features = static_cast<int64_t>(d);
  ds.targets = 1;
  ds.classNames.assign(head.begin() + 2, head.end());
  if (static_cast<int64_t>(rows.size()) - 1 != ds.rows)
    throw Error(path + ": the header promises " + std::to_string(ds.rows) +
                " samples but the file has " + std::to_string(rows.size() - 1) +
                " (truncated?)");
  for (size_t r = 1; r < rows.size(); ++r) {
    std::vector<std::string> f = fields(rows[r].second, ',');
    if (static_cast<int64_t>(f.size()) != ds.features + 1)
      throw Error(path + ":" + std::to_string(rows[r].first) + ": expected " +
                  std::to_string(ds.features + 1) + " fields, found " +
                  std::to_string(f.size()));
    for (int64_t c = 0; c < ds.features; ++c)
      ds.x.push_back(number(f[c], path, rows[r].first, c));
    ds.y.push_back(number(f.back(), path, rows[r].first, ds.features));
  }
  return ds;
}

Dataset loadDiabetes(const std::string &featuresPath,
                     const std::string &targetPath) {
  CsvOptions opts;
  opts.header = CsvOptions::Header::No;
  opts.delimiter = 0;
  opts.targets = 0;
  Dataset ds = loadCsv(featuresPath, opts);
  Dataset t = loadCsv(targetPath, opts);
  if (t.features != 1)
    throw Error(targetPath + ": expected one target per line, found " +
                std::to_string(t.features));
  if (t.rows != ds.rows)
    throw Error(targetPath + ": " + std::to_string(t.rows) + " targets for " +
                std::to_string(ds.rows) + " samples in " + featuresPath);
  ds.targets = 1;
  ds.y = std::move(t.x);
  ds.source = featuresPath;
  return ds;
}

namespace {
/// Sizes a large feature table that training reads one random row at a
/// time: backed by 2 MiB pages where the kernel allows (THP "madvise"),
/// each row read no longer costs a TLB miss (~12% faster batch gathers
/// for Fashion-MNIST). The advice must precede the first touch.
template <typename T> void resizeForRandomRows(std::vector<T> &v, size_t n) {
  constexpr uintptr_t kHuge = 2u << 20;
  v.reserve(n);
  auto begin = reinterpret_cast<uintptr_t>(v.data());
  uintptr_t lo = (begin + kHuge - 1) & ~(kHuge - 1);
  uintptr_t hi = (begin + n * sizeof(T)) & ~(kHuge - 1);
  if (hi > lo)
    madvise(reinterpret_cast<void *>(lo), hi - lo, MADV_HUGEPAGE);
  v.resize(n);
}

// One row through the affine map. Cloned for AVX-512 and AVX2 (the runtime
// is built for the baseline ISA): the gather of each batch runs through here.
template <typename T>
[[gnu::always_inline]] inline void mapRow(const T *src, const float *scale,
                                          const float *shift, float *dst,
                                          int64_t n) {
  for (int64_t c = 0; c < n; ++c)
    dst[c] = static_cast<float>(src[c]) * scale[c] + shift[c];
}

// Rows are random, so the hardware prefetcher cannot see the next one
// coming: fetch a few rows ahead by hand, or each row waits on DRAM.
template <typename T>
[[gnu::always_inline]] inline void prefetchRow(const T *src, int64_t f,
                                               const int64_t *rows, int64_t i,
                                               int64_t hi) {
  constexpr int64_t kAhead = 3;
  if (i + kAhead >= hi)
    return;
  const char *p = reinterpret_cast<const char *>(src + rows[i + kAhead] * f);
  for (int64_t b = 0; b < f * int64_t(sizeof(T)); b += 64)
    __builtin_prefetch(p + b);
}

#define KILN_MAP_ROWS(T)                                                       \
  [[gnu::target_clones("avx512f", "avx2", "default")]] void mapRows(           \
      const T *src, int64_t f, const int64_t *rows, int64_t lo, int64_t hi,    \
      const float *scale, const float *shift, float *dst) {                    \
    for (int64_t i = lo; i < hi; ++i) {                                        \
      prefetchRow(src, f, rows, i, hi);                                        \
      mapRow(src + rows[i] * f, scale, shift, dst + i * f, f);                 \
    }                                                                          \
  }
// (target_clones does not apply to templates.)
KILN_MAP_ROWS(uint8_t)
KILN_MAP_ROWS(float)
#undef KILN_MAP_ROWS
} // namespace

Dataset loadIdx(const std::string &imagesPath, const std::string &labelsPath) {
  std::string images = readFile(imagesPath), labels = readFile(labelsPath);
  if (images.size() < 16 || bigEndian32(images, 0) != 0x803)
    throw Error(imagesPath + ": not an IDX image file (magic 0x00000803)");
  if (labels.size() < 8 || bigEndian32(labels, 0) != 0x801)
    throw Error(labelsPath + ": not an IDX label file (magic 0x00000801)");
  uint64_t count = bigEndian32(images, 4), h = bigEndian32(images, 8),
           w = bigEndian32(images, 12);
  if (count == 0 || h == 0 || w == 0 || h * w > (1u << 24))
    throw Error(imagesPath + ": implausible IDX header (" +
                std::to_string(count) + " images of " + std::to_string(h) +
                "x" + std::to_string(w) + ")");
  if (images.size() != 16 + count * h * w)
    throw Error(imagesPath + ": " + std::to_string(count) + " images of " +
                std::to_string(h) + "x" + std::to_string(w) + " need " +
                std::to_string(16 + count * h * w) + " bytes, the file has " +
                std::to_string(images.size()) + " (truncated or corrupt)");
  if (bigEndian32(labels, 4) != count || labels.size() != 8 + count)
    throw Error(labelsPath + ": expected " + std::to_string(count) +
                " labels to match " + imagesPath + ", found " +
                std::to_string(bigEndian32(labels, 4)) + " in " +
                std::to_string(labels.size() - 8) + " bytes");
  Dataset ds;
  ds.source = imagesPath;
  ds.labelFile = labelsPath;
  ds.rows = count;
  ds.features = h * w;
  ds.targets = 1;
  // Pixels stay bytes; the map scales them to [0, 1].
  resizeForRandomRows(ds.x8, count * h * w);
  std::memcpy(ds.x8.data(), images.data() + 16, ds.x8.size());
  ds.scale.assign(ds.features, 1 / 255.0f);
  ds.shift.assign(ds.features, 0);
  ds.y.resize(count);
  for (uint64_t i = 0; i < count; ++i)
    ds.y[i] = static_cast<unsigned char>(labels[8 + i]);
  return ds;
}

namespace {
constexpr int64_t kCifarPlane = 32 * 32, kCifarChannels = 3,
                  kCifarPixels = kCifarPlane * kCifarChannels,
                  kCifarRecord = 1 + kCifarPixels;
constexpr const char *kCifarClasses[] = {
    "airplane", "automobile", "bird",  "cat",  "deer",
    "dog",      "frog",       "horse", "ship", "truck"};
} // namespace

Dataset loadCifar(const std::vector<std::string> &files) {
  if (files.empty())
    throw Error("no CIFAR-10 files to read");
  // Every file is read and checked before the table is sized, so a bad last
  // batch fails fast and the table is allocated once (for huge pages).
  std::vector<std::string> contents;
  uint64_t rows = 0;
  for (const std::string &path : files) {
    std::string bytes = readFile(path);
    if (bytes.empty())
      throw Error(path + ": empty file (CIFAR-10 records are 3073 bytes: a "
                         "label and 32x32x3 pixels)");
    uint64_t whole = bytes.size() / kCifarRecord;
    if (uint64_t part = bytes.size() % kCifarRecord)
      throw Error(path + ": " + std::to_string(bytes.size()) +
                  " bytes are not a whole number of 3073-byte CIFAR-10 "
                  "records: record " +
                  std::to_string(whole) + " (counting from 0) has only " +
                  std::to_string(part) +
                  " (truncated, or not a CIFAR-10 binary file)");
    for (uint64_t r = 0; r < whole; ++r)
      if (auto label = static_cast<unsigned char>(bytes[r * kCifarRecord]);
          label > 9)
        throw Error(path + ": record " + std::to_string(r) +
                    " (counting from 0) has label " + std::to_string(label) +
                    "; CIFAR-10's are 0 to 9 (a CIFAR-100 file, with two "
                    "label bytes, is not supported)");
    rows += whole;
    contents.push_back(std::move(bytes));
  }
  Dataset ds;
  ds.source = files[0];
  for (size_t i = 1; i < files.size(); ++i)
    ds.source += ", " + files[i];
  ds.rows = rows;
  ds.features = kCifarPixels;
  ds.targets = 1;
  ds.classNames.assign(std::begin(kCifarClasses), std::end(kCifarClasses));
  resizeForRandomRows(ds.x8, rows * kCifarPixels);
  ds.y.resize(rows);
  int64_t row = 0;
  for (std::string &bytes : contents) {
    const auto *rec = reinterpret_cast<const uint8_t *>(bytes.data());
    for (const uint8_t *end = rec + bytes.size(); rec < end;
         rec += kCifarRecord, ++row) {
      ds.y[row] = rec[0];
      // The file holds planes (CHW); convolutions here take channels last
      // (HWC), so transpose once at load rather than in every batch.
      const uint8_t *planes = rec + 1;
      uint8_t *dst = ds.x8.data() + row * kCifarPixels;
      for (int64_t p = 0; p < kCifarPlane; ++p)
        for (int64_t c = 0; c < kCifarChannels; ++c)
          dst[p * kCifarChannels + c] = planes[c * kCifarPlane + p];
    }
    std::string().swap(bytes); // give each file back once it is copied
  }
  // Pixels stay bytes; the map scales them to [0, 1].
  ds.scale.assign(ds.features, 1 / 255.0f);
  ds.shift.assign(ds.features, 0);
  return ds;
}

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

Dataset loadCsv(const std::string &path, const CsvOptions &opts) {
  auto rows = lines(readFile(path));
  if (rows.empty())
    throw Error(path + ": no data");
  char delim = opts.delimiter;
  if (delim == 0) {
    const std::string &probe = rows[0].second;
    delim = probe.find('\t') != std::string::npos  ? '\t'
            : probe.find(',') != std::string::npos ? ','
            : probe.find(';') != std::string::npos ? ';'
                                                   : 0;
  }
  bool header = opts.header == CsvOptions::Header::Yes;
  if (opts.header == CsvOptions::Header::Auto) {
    float v;
    for (const std::string &f : fields(rows[0].second, delim))
      header |= !parseNumber(f, v);
  }
  size_t first = header ? 1 : 0;
  if (first >= rows.size())
    throw Error(path + ": a header but no data rows");
  Dataset ds;
  ds.source = path;
  size_t width = fields(rows[first].second, delim).size();
  if (opts.targets < 0 || static_cast<size_t>(opts.targets) >= width)
    throw Error(path + ": " + std::to_string(width) + " columns cannot hold " +
                std::to_string(opts.targets) +
                " target column(s) and at "
                "least one feature");
  ds.targets = opts.targets;
  ds.features = width - opts.targets;
  for (size_t r = first; r < rows.size(); ++r) {
    std::vector<std::string> f = fields(rows[r].second, delim);
    if (f.size() != width)
      throw Error(path + ":" + std::to_string(rows[r].first) + ": expected " +
                  std::to_string(width) + " fields, found " +
                  std::to_string(f.size()));
    for (size_t c = 0; c < width; ++c) {
      float v = number(f[c], path, rows[r].first, c);
      (c < static_cast<size_t>(ds.features) ? ds.x : ds.y).push_back(v);
    }
    ++ds.rows;
  }
  return ds;
}

namespace {
constexpr const char *kSklearnDir =
    "/usr/lib/python3/dist-packages/sklearn/datasets/data";
constexpr const char *kFashionDir = "/usr/share/datasets/fashion-mnist";

struct Named {
  const char *name, *package; // package: nullptr where Debian has none
};
constexpr Named kNamed[] = {{"iris", "python3-sklearn"},
                            {"breast-cancer", "python3-sklearn"},
                            {"diabetes", "python3-sklearn"},
                            {"fashion-mnist", "dataset-fashion-mnist"},
                            {"cifar10", nullptr}};

/// CIFAR-10's binary batches in `dir` (each .bin, or .bin.gz): the five
/// training batches that are there, or test_batch.
std::vector<std::string> cifarFiles(const std::string &dir, bool test) {
  if (dir.empty())
    throw Error("data set 'cifar10' is not packaged by Debian, so it has no "
                "default location: unpack CIFAR-10's binary version "
                "(cifar-10-binary.tar.gz) and point --data-path at its "
                "directory (cifar-10-batches-bin)");
  if (!isDirectory(dir))
    throw Error("data set 'cifar10': --data-path " + dir +
                (exists(dir) ? " is a file" : " does not exist") +
                "; point it at the directory holding data_batch_1.bin to "
                "data_batch_5.bin and test_batch.bin");
  auto find = [&](const std::string &stem) -> std::string {
    for (const char *ext : {".bin", ".bin.gz"})
      if (std::string p = joinPath(dir, stem + ext); exists(p))
        return p;
    return "";
  };
  std::vector<std::string> files;
  if (test) {
    files.push_back(find("test_batch"));
    if (files[0].empty())
      throw Error("data set 'cifar10': " + joinPath(dir, "test_batch.bin") +
                  " not found (the test split of CIFAR-10's binary version)");
    return files;
  }
  for (int i = 1; i <= 5; ++i)
    if (std::string p = find("data_batch_" + std::to_string(i)); !p.empty())
      files.push_back(p);
  if (files.empty())
    throw Error("data set 'cifar10': no training batch (data_batch_1.bin to "
                "data_batch_5.bin) in " +
                dir);
  return files;
}
} // namespace

std::vector<std::string> namedDatasets() {
  std::vector<std::string> out;
  for (const Named &n : kNamed)
    out.push_back(n.name);
  return out;
}

Dataset loadNamed(const std::string &name, const std::string &path, bool test) {
  const Named *known = nullptr;
  for (const Named &n : kNamed)
    if (name == n.name)
      known = &n;
  if (!known) {
    std::string list;
    for (const Named &n : kNamed)
      list += std::string(list.empty() ? "" : ", ") + n.name;
    throw Error("unknown data set '" + name + "' (known: " + list +
                "; use --data FILE for a CSV)");
  }
  auto locate = [&](const std::string &defaultDir, const std::string &file) {
    std::string p = path.empty()        ? joinPath(defaultDir, file)
                    : isDirectory(path) ? joinPath(path, file)
                                        : path;
    if (!exists(p))
      throw Error("data set '" + name + "': " + p +
                  " not found (install "
                  "Debian's " +
                  known->package +
                  ", or point --data-path at "
                  "the files)");
    return p;
  };
  if (test && name != "fashion-mnist" && name != "cifar10")
    throw Error("data set '" + name +
                "' has no separate test split (hold out a validation split "
                "with --val-split instead)");
  Dataset ds;
  if (name == "cifar10") {
    ds = loadCifar(cifarFiles(path, test));
  } else if (name == "iris" || name == "breast-cancer") {
    ds = loadSklearnCsv(
        locate(kSklearnDir, name == "iris" ? "iris.csv" : "breast_cancer.csv"));
  } else if (name == "diabetes") {
    if (!path.empty() && !isDirectory(path))
      throw Error("data set 'diabetes' is two files: point --data-path at "
                  "their directory");
    ds = loadDiabetes(locate(kSklearnDir, "diabetes_data_raw.csv.gz"),
                      locate(kSklearnDir, "diabetes_target.csv.gz"));
  } else if (name == "fashion-mnist") {
    if (!path.empty() && !isDirectory(path))
      throw Error("data set 'fashion-mnist' is two IDX files: point "
                  "--data-path at their directory");
    const char *part = test ? "t10k" : "train";
    ds = loadIdx(
        locate(kFashionDir, std::string(part) + "-images-idx3-ubyte.gz"),
        locate(kFashionDir, std::string(part) + "-labels-idx1-ubyte.gz"));
  }
  ds.source = name;
  return ds;
}

Split splitRows(int64_t rows, double validationFraction, uint64_t seed) {
  if (!(validationFraction >= 0 && validationFraction < 1))
    throw Error("validation fraction must be in [0, 1), got " +
                std::to_string(validationFraction));
  std::vector<int64_t> order(rows);
  for (int64_t i = 0; i < rows; ++i)
    order[i] = i;
  Rng rng(seed, /*stream=*/1);
  for (int64_t i = rows - 1; i > 0; --i)
    std::swap(order[i], order[rng.below(i + 1)]);
  int64_t nval = static_cast<int64_t>(std::llround(rows * validationFraction));
  if (validationFraction > 0 && nval == 0 && rows > 1)
    nval = 1;
  if (nval >= rows)
    throw Error("a validation fraction of " +
                std::to_string(validationFraction) +
                " leaves no training "
                "samples out of " +
                std::to_string(rows));
  Split s;
  s.train.assign(order.begin(), order.end() - nval);
  s.validation.assign(order.end() - nval, order.end());
  // Sorted, so the split does not also shuffle (epochs shuffle anyway).
  std::sort(s.train.begin(), s.train.end());
  std::sort(s.validation.begin(), s.validation.end());
  return s;
}

void Dataset::gather(const int64_t *rows, int64_t lo, int64_t hi,
                     float *dst) const {
  int64_t f = features;
  if (!x8.empty()) {
    mapRows(x8.data(), f, rows, lo, hi, scale.data(), shift.data(), dst);
  } else if (!scale.empty()) {
    mapRows(x.data(), f, rows, lo, hi, scale.data(), shift.data(), dst);
  } else {
    for (int64_t i = lo; i < hi; ++i)
      std::memcpy(dst + i * f, &x[rows[i] * f], f * sizeof(float));
  }
}

void Dataset::prefetch(const int64_t *rows, int64_t lo, int64_t hi) const {
  const char *base = !x8.empty() ? reinterpret_cast<const char *>(x8.data())
                                 : reinterpret_cast<const char *>(x.data());
  int64_t rowBytes = features * (x8.empty() ? sizeof(float) : 1);
  for (int64_t i = lo; i < hi; ++i) {
    const char *p = base + rows[i] * rowBytes;
    for (int64_t b = 0; b < rowBytes; b += 64)
      __builtin_prefetch(p + b, 0, 2);
  }
}

void Dataset::normalize(const std::vector<float> &sub,
                        const std::vector<float> &mul) {
  if (scale.empty()) {
    scale.assign(features, 1);
    shift.assign(features, 0);
  }
  // (raw·a + b - s)·m = raw·(a·m) + (b - s)·m
  for (int64_t c = 0; c < features; ++c) {
    scale[c] *= mul[c];
    shift[c] = (shift[c] - sub[c]) * mul[c];
  }
}

Normalizer Normalizer::parse(const std::string &spec) {
  Normalizer n;
  auto number = [&](const std::string &text) {
    char *end = nullptr;
    double v = std::strtod(text.c_str(), &end);
    if (text.empty() || *end || !std::isfinite(v))
      throw Error("--normalize '" + spec + "': '" + text + "' is not a number");
    return v;
  };
  if (spec == "zscore")
    return n;
  if (spec == "minmax" || spec.rfind("minmax:", 0) == 0) {
    n.kind = Kind::MinMax;
    if (spec.size() > 6) {
      std::string range = spec.substr(7);
      size_t comma = range.find(',');
      if (comma == std::string::npos)
        throw Error("--normalize '" + spec + "': expected minmax:LO,HI");
      n.low = number(range.substr(0, comma));
      n.high = number(range.substr(comma + 1));
      if (!(n.high > n.low))
        throw Error("--normalize '" + spec + "': HI must exceed LO");
    }
    return n;
  }
  for (bool last : {false, true}) {
    std::string prefix = last ? "zscore-channels-last:" : "zscore-channels:";
    if (spec.rfind(prefix, 0) != 0)
      continue;
    double c = number(spec.substr(prefix.size()));
    if (c < 1 || c != std::floor(c))
      throw Error("--normalize '" + spec +
                  "': channels must be a positive "
                  "integer");
    n.channels = static_cast<int64_t>(c);
    n.channelsLast = last;
    return n;
  }
  throw Error("--normalize must be zscore, minmax, minmax:LO,HI, "
              "zscore-channels:C, zscore-channels-last:C or none, got '" +
              spec + "'");
}

void Normalizer::fit(const Dataset &data, const std::vector<int64_t> &rows) {
  int64_t d = data.features;
  offset.assign(d, 0);
  factor.assign(d, 1);
  if (kind == Kind::MinMax) {
    std::vector<float> lo(d, INFINITY), hi(d, -INFINITY);
    for (int64_t r : rows)
      for (int64_t c = 0; c < d; ++c) {
        float v = data.feature(r, c);
        lo[c] = std::min(lo[c], v);
        hi[c] = std::max(hi[c], v);
      }
    // (v - lo)/(hi - lo)·(high - low) + low = (v - offset)·factor.
    double span = high - low;
    for (int64_t c = 0; c < d && !rows.empty(); ++c) {
      double f = hi[c] - lo[c] > 1e-12f ? span / (hi[c] - lo[c]) : 1.0;
      factor[c] = static_cast<float>(f);
      offset[c] = static_cast<float>(lo[c] - low / f);
    }
    return;
  }
  // Per feature, or pooled over each channel: a plane of consecutive
  // features (channels first), or every C-th feature (channels last).
  int64_t groups = channels > 0 ? channels : d;
  if (d % groups)
    throw Error(data.source + ": " + std::to_string(d) +
                " features do not split into " + std::to_string(groups) +
                " channels");
  int64_t per = d / groups;
  auto group = [&](int64_t c) { return channelsLast ? c % groups : c / per; };
  std::vector<double> sum(groups, 0), sq(groups, 0);
  for (int64_t r : rows)
    for (int64_t c = 0; c < d; ++c) {
      double v = data.feature(r, c);
      sum[group(c)] += v;
      sq[group(c)] += v * v;
    }
  double n = std::max<double>(rows.size() * per, 1);
  std::vector<float> mean(groups), inv(groups, 1);
  for (int64_t g = 0; g < groups; ++g) {
    double m = sum[g] / n;
    double var = std::max(sq[g] / n - m * m, 0.0);
    mean[g] = static_cast<float>(m);
    if (var > 1e-12)
      inv[g] = static_cast<float>(1.0 / std::sqrt(var));
  }
  for (int64_t c = 0; c < d; ++c) {
    offset[c] = mean[group(c)];
    factor[c] = inv[group(c)];
  }
}

} // namespace kiln::rt
