//===- idx_reader.cpp - IDX files ((Fashion-)MNIST) -----------------------===//
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

} // namespace kiln::rt
