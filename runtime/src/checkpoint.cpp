//===- checkpoint.cpp - training state saved and restored -----------------===//
#include "checkpoint.h"
#include "error.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kiln::rt {

namespace {

constexpr char kMagic[8] = {'K', 'I', 'L', 'N', 'C', 'K', 'P', 'T'};
// 2: the position within an epoch (batches, lossSum); 1 is read as 0 of it.
constexpr uint32_t kVersion = 2;

/// Little-endian-as-stored binary writer into a string.
struct Writer {
  std::string bytes;
  void raw(const void *p, size_t n) {
    bytes.append(static_cast<const char *>(p), n);
  }
  template <typename T> void put(T v) { raw(&v, sizeof v); }
  void str(const std::string &s) {
    put<uint32_t>(s.size());
    raw(s.data(), s.size());
  }
};

/// Bounds-checked reader; `what` names the file in errors.
struct Reader {
  const std::string &bytes;
  const std::string &what;
  size_t at = 0;
  void raw(void *p, size_t n) {
    if (n > bytes.size() - at)
      throw Error(what + ": truncated checkpoint");
    if (n) // (an empty vector's data() may be null)
      std::memcpy(p, bytes.data() + at, n);
    at += n;
  }
  template <typename T> T get() {
    T v;
    raw(&v, sizeof v);
    return v;
  }
  std::string str() {
    uint32_t n = get<uint32_t>();
    if (n > bytes.size() - at)
      throw Error(what + ": truncated checkpoint");
    std::string s = bytes.substr(at, n);
    at += n;
    return s;
  }
};

std::string shapeText(const std::vector<int64_t> &dims) {
  return Tensor::format(dims);
}

void fsyncPath(const std::string &path, int flags) {
  int fd = ::open(path.c_str(), flags);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

} // namespace

std::string checkpointPath(const std::string &dir) {
  return dir + "/checkpoint.kiln";
}

void saveCheckpoint(const std::string &dir, const ModelState &state,
                    const TrainingPosition &pos) {
  if (::mkdir(dir.c_str(), 0777) != 0 && errno != EEXIST)
    throw Error(dir + ": cannot create the checkpoint directory: " +
                std::strerror(errno));
  // Temporary files of writes that were killed midway.
  if (DIR *d = ::opendir(dir.c_str())) {
    std::string stale = "checkpoint.kiln.tmp.";
    while (dirent *e = ::readdir(d))
      if (!std::strncmp(e->d_name, stale.c_str(), stale.size()))
        ::unlink((dir + "/" + e->d_name).c_str());
    ::closedir(d);
  }
  Writer w;
  w.raw(kMagic, sizeof kMagic);
  w.put(kVersion);
  w.str(state.desc.name);
  w.put(pos.steps);
  w.put(pos.epochs);
  w.put(pos.seed);
  w.put(pos.batchSize);
  w.put(pos.bestLoss);
  w.put(pos.bestEpoch);
  w.put(pos.batches);
  w.put(pos.lossSum);
  w.put<uint32_t>(pos.scale.size());
  w.raw(pos.scale.data(), pos.scale.size() * sizeof(float));
  w.raw(pos.shift.data(), pos.shift.size() * sizeof(float));
  w.put<uint32_t>(pos.hypers.size());
  for (const auto &[name, value] : pos.hypers) {
    w.str(name);
    w.put(value);
  }
  w.put<uint32_t>(state.desc.num_params);
  for (int i = 0; i < state.desc.num_params; ++i) {
    const kiln_param &p = state.desc.params[i];
    const Tensor &t = state.params[i];
    w.str(p.name);
    w.put<uint32_t>(t.dims().size());
    for (int64_t d : t.dims())
      w.put(d);
    w.raw(t.data(), t.size() * sizeof(float));
  }
  w.put<uint32_t>(crc32(0, reinterpret_cast<const Bytef *>(w.bytes.data()),
                        w.bytes.size()));

  std::string final = checkpointPath(dir);
  std::string tmp = final + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
  if (fd < 0)
    throw Error(tmp + ": cannot write: " + std::strerror(errno));
  size_t done = 0;
  while (done < w.bytes.size()) {
    ssize_t n = ::write(fd, w.bytes.data() + done, w.bytes.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw Error(tmp + ": write failed: " + std::strerror(err) +
                  " (the previous checkpoint is kept)");
    }
    done += n;
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    throw Error(tmp + ": write failed: " + std::strerror(errno) +
                " (the previous checkpoint is kept)");
  }
  if (::rename(tmp.c_str(), final.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw Error(final + ": cannot replace: " + std::strerror(err));
  }
  fsyncPath(dir, O_RDONLY | O_DIRECTORY); // the rename itself is durable
}

TrainingPosition loadCheckpoint(const std::string &dir, ModelState &state) {
  std::string path = checkpointPath(dir);
  std::string bytes;
  {
    FILE *f = std::fopen(path.c_str(), "rb");
    if (!f)
      throw Error(path + ": cannot resume: " + std::strerror(errno));
    char buf[1 << 16];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0)
      bytes.append(buf, n);
    bool failed = std::ferror(f);
    std::fclose(f);
    if (failed)
      throw Error(path + ": read failed");
  }
  if (bytes.size() < sizeof kMagic + 4 ||
      std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    throw Error(path + ": not a kiln checkpoint");
  uint32_t stored;
  std::memcpy(&stored, bytes.data() + bytes.size() - 4, 4);
  uint32_t actual =
      crc32(0, reinterpret_cast<const Bytef *>(bytes.data()), bytes.size() - 4);
  if (stored != actual)
    throw Error(path + ": checksum mismatch (the file is corrupt or "
                       "truncated)");
  bytes.resize(bytes.size() - 4);
  Reader r{bytes, path};
  r.at = sizeof kMagic;
  uint32_t version = r.get<uint32_t>();
  if (version < 1 || version > kVersion)
    throw Error(path + ": checkpoint format " + std::to_string(version) +
                ", this runtime reads 1 to " + std::to_string(kVersion));
  std::string model = r.str();
  if (model != state.desc.name)
    throw Error(path + ": a checkpoint of model '" + model + "', not '" +
                state.desc.name + "'");
  TrainingPosition pos;
  pos.steps = r.get<int64_t>();
  pos.epochs = r.get<int64_t>();
  pos.seed = r.get<uint64_t>();
  pos.batchSize = r.get<int64_t>();
  pos.bestLoss = r.get<double>();
  pos.bestEpoch = r.get<int64_t>();
  if (version >= 2) {
    pos.batches = r.get<int64_t>();
    pos.lossSum = r.get<double>();
  }
  if (pos.steps < 0 || pos.epochs < 0 || pos.batchSize < 1 || pos.batches < 0)
    throw Error(path + ": implausible training position (step " +
                std::to_string(pos.steps) + ", epoch " +
                std::to_string(pos.epochs) + ", batch size " +
                std::to_string(pos.batchSize) + ")");
  uint32_t features = r.get<uint32_t>();
  if (features > (1u << 26))
    throw Error(path + ": implausible feature count " +
                std::to_string(features));
  pos.scale.resize(features);
  pos.shift.resize(features);
  r.raw(pos.scale.data(), features * sizeof(float));
  r.raw(pos.shift.data(), features * sizeof(float));
  uint32_t hypers = r.get<uint32_t>();
  if (hypers > 1024)
    throw Error(path + ": implausible hyperparameter count " +
                std::to_string(hypers));
  for (uint32_t i = 0; i < hypers; ++i) {
    std::string name = r.str();
    double value = r.get<double>();
    if (!state.hasHyper(name))
      throw Error(path + ": hyperparameter '" + name + "' is not the model's");
    pos.hypers.emplace_back(name, value);
  }
  uint32_t count = r.get<uint32_t>();
  if (count != static_cast<uint32_t>(state.desc.num_params))
    throw Error(path + ": " + std::to_string(count) +
                " tensors, the model has " +
                std::to_string(state.desc.num_params));
  // Read everything before touching the state: a bad tensor late in the
  // file must not leave the model half restored.
  std::vector<std::vector<float>> data(count);
  for (uint32_t i = 0; i < count; ++i) {
    const kiln_param &p = state.desc.params[i];
    std::string name = r.str();
    if (name != p.name)
      throw Error(path + ": tensor " + std::to_string(i) + " is '" + name +
                  "', the model's is '" + p.name + "'");
    uint32_t rank = r.get<uint32_t>();
    if (rank > KILN_MAX_RANK)
      throw Error(path + ": tensor '" + name + "' has rank " +
                  std::to_string(rank));
    std::vector<int64_t> dims(rank);
    for (int64_t &d : dims)
      d = r.get<int64_t>();
    const Tensor &t = state.params[i];
    if (dims != t.dims())
      throw Error(path + ": tensor '" + name + "' has shape " +
                  shapeText(dims) + ", the model's is " + shapeText(t.dims()));
    data[i].resize(t.size());
    r.raw(data[i].data(), t.size() * sizeof(float));
  }
  if (r.at != bytes.size())
    throw Error(path + ": trailing bytes after the last tensor");
  for (uint32_t i = 0; i < count; ++i)
    std::memcpy(state.params[i].data(), data[i].data(),
                data[i].size() * sizeof(float));
  state.steps = pos.steps;
  return pos;
}

} // namespace kiln::rt
