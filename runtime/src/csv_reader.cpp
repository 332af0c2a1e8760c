//===- csv_reader.cpp - CSV files: scikit-learn's, diabetes and the user's ===//
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

} // namespace kiln::rt
