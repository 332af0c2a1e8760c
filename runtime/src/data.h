//===- data.h - data sets, splits and normalisation -------------*- C++ -*-===//
#ifndef KILN_RUNTIME_DATA_H
#define KILN_RUNTIME_DATA_H

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::rt {

/// Samples as rows: x is rows × features, y rows × targets (row-major).
struct Dataset {
  std::string source; // file or data set name, for messages
  int64_t rows = 0, features = 0, targets = 0;
  std::vector<float> x, y;
  std::vector<std::string> classNames;
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

struct CsvOptions {
  enum class Header { Auto, Yes, No };
  Header header = Header::Auto;
  char delimiter = 0; // 0: detect (tab, comma, semicolon, whitespace)
  int targets = 1;    // the last `targets` columns are the targets
};

/// A plain CSV/TSV file (gzip'd or not).
Dataset loadCsv(const std::string &path, const CsvOptions &opts);

/// The data sets known by name and where Debian installs them; `path`
/// overrides the location (a directory, or the file for one-file sets).
Dataset loadNamed(const std::string &name, const std::string &path);
std::vector<std::string> namedDatasets();

/// A seeded split of rows into training and validation.
struct Split {
  std::vector<int64_t> train, validation;
};
Split splitRows(int64_t rows, double validationFraction, uint64_t seed);

/// z-score per feature, fitted on some rows and applied to all.
struct Standardizer {
  std::vector<float> mean, scale;
  void fit(const Dataset &data, const std::vector<int64_t> &rows);
  void apply(Dataset &data) const;
};

} // namespace kiln::rt

#endif // KILN_RUNTIME_DATA_H
