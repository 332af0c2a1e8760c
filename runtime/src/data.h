//===- data.h - data sets, splits and normalisation -------------*- C++ -*-===//
//
// One reader per format: csv_reader.cpp (scikit-learn's CSVs, diabetes,
// plain CSV/TSV with header and delimiter detection), idx_reader.cpp,
// cifar_reader.cpp (CIFAR-10's binary batches), npy_reader.cpp; the named
// sets (where Debian installs them) in named_datasets.cpp, normalisation in
// normalize.cpp, and data.cpp for reading gzip'd or plain files, the batch
// gather and the seeded split. Errors name the file, and the line or record
// where there is one.
//
// Features are kept as read (IDX and CIFAR pixels as bytes; CIFAR's planes
// transposed once, at load, to channels last) behind a per-feature affine
// map. Normalisation (z-score, min-max to [0, 1] or [LO, HI], per-channel
// z-score over planes or channels last), fitted on the training rows,
// composes into that map instead of rewriting the table.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_DATA_H
#define KILN_RUNTIME_DATA_H

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::rt {

/// Samples as rows: features rows × features, y rows × targets (row-major).
/// Features are stored as read — floats in `x`, or bytes in `x8` for image
/// files, a quarter of the memory and of the traffic of each batch gather —
/// and seen through a per-feature affine map raw·scale + shift, which
/// normalisation composes into instead of rewriting the table.
struct Dataset {
  std::string source;    // file or data set name, for messages
  std::string labelFile; // where the labels come from, when not `source`
  int64_t rows = 0, features = 0, targets = 0;
  std::vector<float> x;            // raw features, when stored as floats
  std::vector<uint8_t> x8;         // raw features, when stored as bytes
  std::vector<float> scale, shift; // per feature; empty: the identity
  std::vector<float> y;
  std::vector<std::string> classNames;

  /// Feature c of a row, after the affine map.
  float feature(int64_t row, int64_t c) const {
    float raw = x8.empty() ? x[row * features + c] : x8[row * features + c];
    return scale.empty() ? raw : raw * scale[c] + shift[c];
  }
  /// Writes rows[lo..hi) to dst (row i at dst + i·features), mapped.
  void gather(const int64_t *rows, int64_t lo, int64_t hi, float *dst) const;
  /// Starts fetching rows[lo..hi) into the cache (for the next gather).
  void prefetch(const int64_t *rows, int64_t lo, int64_t hi) const;
  /// Composes the map with v ↦ (v - sub[c])·mul[c].
  void normalize(const std::vector<float> &sub, const std::vector<float> &mul);
};

/// Reads a whole file, gunzipping it if it is gzip-compressed.
std::string readFile(const std::string &path);

/// scikit-learn's bundled CSVs: a first line "n_samples,n_features,class
/// names...", then rows of features and one target.
Dataset loadSklearnCsv(const std::string &path);

/// scikit-learn's diabetes: features and target in two space-separated
/// (gzip'd) files.
Dataset loadDiabetes(const std::string &featuresPath,
                     const std::string &targetPath);

/// IDX images (magic 0x803) and labels (0x801), as (Fashion-)MNIST ship them;
/// pixels scaled to [0, 1], labels as class indices.
Dataset loadIdx(const std::string &imagesPath, const std::string &labelsPath);

/// CIFAR-10 binary files (gzip'd or not), concatenated: records of one label
/// byte (0..9) and 3072 pixel bytes, 1024 each of red, green and blue, every
/// plane 32×32 row-major. Pixels are stored transposed to channels last
/// (feature (h·32 + w)·3 + c), as bytes scaled to [0, 1]; labels as class
/// indices.
Dataset loadCifar(const std::vector<std::string> &files);

struct CsvOptions {
  enum class Header { Auto, Yes, No };
  Header header = Header::Auto;
  char delimiter = 0; // 0: detect (tab, comma, semicolon, whitespace)
  int targets = 1;    // the last `targets` columns are the targets
};

/// A NumPy .npy array (gzip'd or not): samples × columns (or a 1-d
/// column), f4/f8/integer/bool, little-endian, C order; the last `targets`
/// columns are the targets.
Dataset loadNpy(const std::string &path, int targets);

/// A plain CSV/TSV file (gzip'd or not).
Dataset loadCsv(const std::string &path, const CsvOptions &opts);

/// The data sets known by name and where Debian installs them; `path`
/// overrides the location (a directory, or the file for one-file sets).
/// `test`: the set's separate test split (fashion-mnist's t10k files,
/// cifar10's test_batch.bin). cifar10 has no default location: `path` is
/// the directory holding data_batch_1.bin … data_batch_5.bin.
Dataset loadNamed(const std::string &name, const std::string &path,
                  bool test = false);
std::vector<std::string> namedDatasets();

/// A seeded split of rows into training and validation.
struct Split {
  std::vector<int64_t> train, validation;
};
Split splitRows(int64_t rows, double validationFraction, uint64_t seed);

/// Per-feature normalisation fitted on some rows (the training split) and
/// applied to all: z-score (v - mean)/sd, or min-max (v - min)/(max - min).
/// A constant feature (e.g. a border pixel) is centred, not divided by 0.
struct Normalizer {
  enum class Kind { ZScore, MinMax };
  Kind kind = Kind::ZScore;
  double low = 0, high = 1; // min-max's target range
  /// > 0: statistics per channel, pooled over its features, for images
  /// stored channel by channel (C planes of H·W features), or with
  /// `channelsLast` pixel by pixel (feature f in channel f mod C).
  int64_t channels = 0;
  bool channelsLast = false;
  std::vector<float> offset, factor; // v ↦ (v - offset)·factor
  /// "zscore", "minmax", "minmax:LO,HI", "zscore-channels:C" or
  /// "zscore-channels-last:C"; throws for anything else.
  static Normalizer parse(const std::string &spec);
  void fit(const Dataset &data, const std::vector<int64_t> &rows);
  void apply(Dataset &data) const { data.normalize(offset, factor); }
};

} // namespace kiln::rt

#endif // KILN_RUNTIME_DATA_H
