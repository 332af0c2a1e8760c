//===- checkpoint_test.cpp - saving and restoring training state ----------===//
#include "checkpoint.h"
#include "error.h"
#include "test_util.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

using namespace kiln::rt;
using kiln::test::errorOf;
using ::testing::HasSubstr;

namespace {

const kiln_param kParams[] = {
    {"w", KILN_PARAM, 2, {2, 3}, KILN_INIT_NORMAL, {0, 1}, "m.cpp:1:1"},
    {"w.adam_m", KILN_STATE, 2, {2, 3}, KILN_INIT_ZEROS, {0, 0}, "m.cpp:1:1"},
};
const kiln_param kWider[] = {
    {"w", KILN_PARAM, 2, {2, 4}, KILN_INIT_NORMAL, {0, 1}, "m.cpp:1:1"},
    {"w.adam_m", KILN_STATE, 2, {2, 4}, KILN_INIT_ZEROS, {0, 0}, "m.cpp:1:1"},
};

const kiln_hyper kHypers[] = {{"lr", 0.5}};

kiln_model modelWith(const char *name, const kiln_param *params) {
  kiln_model m{};
  m.num_hypers = 1;
  m.hypers = kHypers;
  m.abi_version = KILN_ABI_VERSION;
  m.name = name;
  m.num_params = 2;
  m.params = params;
  return m;
}

std::string freshDir(const std::string &name) {
  std::string dir = ::testing::TempDir() + "kiln_ckpt_" + name;
  std::filesystem::remove_all(dir);
  return dir;
}

std::string slurp(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void spit(const std::string &path, const std::string &bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

} // namespace

TEST(Checkpoint, RoundTripsParametersStateAndPosition) {
  kiln_model desc = modelWith("m", kParams);
  ModelState a(desc);
  a.initialize(7);
  a.params[1].data()[4] = 0.25f;
  a.steps = 42;
  std::string dir = freshDir("roundtrip");
  // Creates the directory.
  saveCheckpoint(dir, a,
                 {42, 3, 7, 16, 0.25, 2, {0.5f, 2}, {-1, 3}, {{"lr", 0.125}},
                  5, 1.75});
  ModelState b(desc);
  b.initialize(8);
  TrainingPosition pos = loadCheckpoint(dir, b);
  EXPECT_EQ(pos.steps, 42);
  EXPECT_EQ(pos.epochs, 3);
  EXPECT_EQ(pos.seed, 7u);
  EXPECT_EQ(pos.batchSize, 16);
  EXPECT_EQ(pos.bestLoss, 0.25);
  EXPECT_EQ(pos.bestEpoch, 2);
  EXPECT_EQ(pos.scale, (std::vector<float>{0.5f, 2}));
  EXPECT_EQ(pos.shift, (std::vector<float>{-1, 3}));
  ASSERT_EQ(pos.hypers.size(), 1u);
  EXPECT_EQ(pos.hypers[0].first, "lr");
  EXPECT_EQ(pos.hypers[0].second, 0.125);
  EXPECT_EQ(pos.batches, 5);
  EXPECT_EQ(pos.lossSum, 1.75);
  EXPECT_EQ(b.steps, 42);
  for (int i = 0; i < 2; ++i)
    EXPECT_EQ(std::memcmp(a.params[i].data(), b.params[i].data(),
                          a.params[i].size() * sizeof(float)),
              0);
  // Saving again replaces the file whole and leaves no temporary behind.
  saveCheckpoint(dir, a, {43, 4, 7, 16});
  EXPECT_EQ(loadCheckpoint(dir, b).epochs, 4);
  int files = 0;
  for (auto &e : std::filesystem::directory_iterator(dir))
    files += e.is_regular_file();
  EXPECT_EQ(files, 1);
}

TEST(Checkpoint, AKilledWriteLeavesThePreviousOneWhole) {
  kiln_model desc = modelWith("m", kParams);
  ModelState a(desc);
  a.initialize(1);
  std::string dir = freshDir("killed");
  saveCheckpoint(dir, a, {10, 1, 1, 8});
  std::string good = slurp(checkpointPath(dir));
  // What a write killed midway leaves: a partial temporary file, never a
  // partial checkpoint (the rename is the commit).
  spit(checkpointPath(dir) + ".tmp.12345", good.substr(0, good.size() / 2));
  ModelState b(desc);
  EXPECT_EQ(loadCheckpoint(dir, b).steps, 10);
  EXPECT_EQ(slurp(checkpointPath(dir)), good);
  // The next save clears the leftover.
  saveCheckpoint(dir, a, {11, 2, 1, 8});
  EXPECT_FALSE(std::filesystem::exists(checkpointPath(dir) + ".tmp.12345"));
}

TEST(Checkpoint, CorruptTruncatedOrForeignFilesAreRefused) {
  kiln_model desc = modelWith("m", kParams);
  ModelState a(desc);
  a.initialize(1);
  std::string dir = freshDir("bad");
  saveCheckpoint(dir, a, {1, 1, 1, 8});
  std::string good = slurp(checkpointPath(dir));
  ModelState b(desc);
  b.initialize(2);
  float before = b.params[0].data()[0];

  std::string flipped = good;
  flipped[40] ^= 0x10;
  spit(checkpointPath(dir), flipped);
  EXPECT_THAT(errorOf([&] { loadCheckpoint(dir, b); }),
              HasSubstr("checkpoint.kiln: checksum mismatch (the file is "
                        "corrupt or truncated)"));
  spit(checkpointPath(dir), good.substr(0, good.size() - 9));
  EXPECT_THAT(errorOf([&] { loadCheckpoint(dir, b); }),
              HasSubstr("checksum mismatch"));
  spit(checkpointPath(dir), "hello");
  EXPECT_THAT(errorOf([&] { loadCheckpoint(dir, b); }),
              HasSubstr("not a kiln checkpoint"));
  EXPECT_THAT(errorOf([&] { loadCheckpoint(dir + "/none", b); }),
              HasSubstr("none/checkpoint.kiln: cannot resume"));
  EXPECT_EQ(b.params[0].data()[0], before); // nothing half restored

  spit(checkpointPath(dir), good);
  kiln_model other = modelWith("other", kParams);
  ModelState c(other);
  EXPECT_THAT(errorOf([&] { loadCheckpoint(dir, c); }),
              HasSubstr("a checkpoint of model 'm', not 'other'"));
  kiln_model wider = modelWith("m", kWider);
  ModelState d(wider);
  EXPECT_THAT(errorOf([&] { loadCheckpoint(dir, d); }),
              HasSubstr("tensor 'w' has shape 2x3, the model's is 2x4"));
}
