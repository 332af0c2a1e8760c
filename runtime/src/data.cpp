//===- data.cpp - data sets: reading files, gathering batches, splits -----===//
//
// The readers live one per format (see data.h). Here: readFile (gzip'd or
// plain, through zlib), the seeded split, and the batch gather, which
// applies the feature map with AVX-512/AVX2 clones (the runtime is built
// for the baseline ISA) and prefetches random rows three ahead, since the
// hardware prefetcher cannot guess them.
//
//===----------------------------------------------------------------------===//
#include "data.h"
#include "data_util.h"
#include "error.h"
#include "rng.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace kiln::rt {

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

namespace {
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

} // namespace kiln::rt
