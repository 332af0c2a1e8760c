//===- args_test.cpp - the model binary's option parsing ------------------===//
#include "args.h"
#include "test_util.h"

using namespace kiln::rt;
using kiln::test::errorOf;
using ::testing::HasSubstr;

namespace {
/// parseArgs over "model <cmd> words...".
Args parse(std::vector<std::string> words, std::set<std::string> valued,
           std::set<std::string> flags = {}) {
  std::vector<std::string> all = {"./model", "cmd"};
  all.insert(all.end(), words.begin(), words.end());
  std::vector<char *> argv;
  for (std::string &w : all)
    argv.push_back(w.data());
  return parseArgs(static_cast<int>(argv.size()), argv.data(), valued, flags);
}
} // namespace

TEST(Args, ValuesBothWaysAndFlags) {
  Args a = parse({"--epochs", "3", "--lr=0.5", "--test"}, {"epochs", "lr"},
                 {"test"});
  EXPECT_EQ(a.values["epochs"], "3");
  EXPECT_EQ(a.values["lr"], "0.5");
  EXPECT_TRUE(a.flags.count("test"));
  EXPECT_TRUE(a.has("lr"));
  EXPECT_FALSE(a.has("test")); // a flag, not a value
  EXPECT_EQ(toInt(a, "epochs", 10, 1), 3);
  EXPECT_EQ(toInt(a, "missing", 10, 1), 10);
  EXPECT_DOUBLE_EQ(*toDouble(a, "lr"), 0.5);
  EXPECT_FALSE(toDouble(a, "missing"));
  // A value may start with a dash (a negative number).
  EXPECT_EQ(parse({"--shift", "-2"}, {"shift"}).values["shift"], "-2");
}

TEST(Args, BadOptionsAreNamed) {
  EXPECT_THAT(errorOf([] { parse({"--nope", "1"}, {"epochs"}); }),
              HasSubstr("unknown option --nope (see --help)"));
  EXPECT_THAT(errorOf([] { parse({"epochs"}, {"epochs"}); }),
              HasSubstr("unexpected argument 'epochs' (options start with --)"));
  EXPECT_THAT(errorOf([] { parse({"--epochs"}, {"epochs"}); }),
              HasSubstr("option --epochs needs a value"));
  EXPECT_THAT(errorOf([] { parse({"--test=1"}, {}, {"test"}); }),
              HasSubstr("option --test takes no value"));
}

TEST(Args, NumbersAreChecked) {
  Args a = parse({"--n", "2x", "--m", "0", "--x", "nan", "--y", ""},
                 {"n", "m", "x", "y"});
  EXPECT_THAT(errorOf([&] { toInt(a, "n", 0, 1); }),
              HasSubstr("--n needs an integer >= 1, got '2x'"));
  EXPECT_THAT(errorOf([&] { toInt(a, "m", 0, 1); }),
              HasSubstr("--m needs an integer >= 1, got '0'"));
  EXPECT_THAT(errorOf([&] { toDouble(a, "x"); }),
              HasSubstr("--x needs a number, got 'nan'"));
  EXPECT_THAT(errorOf([&] { toDouble(a, "y"); }),
              HasSubstr("--y needs a number, got ''"));
}

TEST(Args, DataOptionsJoinACommandsOwn) {
  std::set<std::string> all = withData({"epochs"});
  for (const char *k : {"epochs", "dataset", "data", "seed", "val-split",
                        "normalize", "subset", "threads"})
    EXPECT_TRUE(all.count(k)) << k;
  EXPECT_THAT(kDataHelp, HasSubstr("--dataset"));
}
