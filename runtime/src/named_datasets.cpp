//===- named_datasets.cpp - the data sets known by name -------------------===//
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

} // namespace kiln::rt
