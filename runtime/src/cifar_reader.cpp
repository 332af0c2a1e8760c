//===- cifar_reader.cpp - CIFAR-10 binary batches -------------------------===//
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

} // namespace kiln::rt
