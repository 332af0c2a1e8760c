//===- schedule_test.cpp - learning-rate schedules ------------------------===//
#include "error.h"
#include "schedule.h"
#include "test_util.h"

#include <cmath>

using namespace kiln::rt;
using kiln::test::errorOf;
using ::testing::HasSubstr;

TEST(LrSchedule, Formulas) {
  LrSchedule s = LrSchedule::parse("step:0.5,3");
  EXPECT_DOUBLE_EQ(s.at(0.1, 1, 0, 100), 0.1);
  EXPECT_DOUBLE_EQ(s.at(0.1, 50, 2, 100), 0.1);
  EXPECT_DOUBLE_EQ(s.at(0.1, 51, 3, 100), 0.05);
  EXPECT_DOUBLE_EQ(s.at(0.1, 99, 7, 100), 0.025);
  s = LrSchedule::parse("exponential:0.96,100");
  EXPECT_DOUBLE_EQ(s.at(0.2, 250, 0, 0), 0.2 * std::pow(0.96, 2.5));
  s = LrSchedule::parse("inverse_time:0.5,10");
  EXPECT_DOUBLE_EQ(s.at(0.2, 20, 0, 0), 0.2 / (1 + 0.5 * 2));
  s = LrSchedule::parse("cosine");
  EXPECT_DOUBLE_EQ(s.at(0.2, 0, 0, 100), 0.2);
  EXPECT_NEAR(s.at(0.2, 50, 0, 100), 0.1, 1e-12);
  EXPECT_NEAR(s.at(0.2, 100, 0, 100), 0, 1e-12);
  s = LrSchedule::parse("cosine:10,0.01");
  EXPECT_NEAR(s.at(0.2, 25, 0, 100), 0.01, 1e-12); // floor after `steps`
  EXPECT_DOUBLE_EQ(LrSchedule::parse("constant").at(0.3, 9, 9, 9), 0.3);
}

TEST(LrSchedule, FromTheModelTable) {
  kiln_schedule k{KILN_SCHEDULE_STEP, 0.1, 2};
  EXPECT_EQ(LrSchedule::fromModel(k).describe(), "step:0.1,2");
  kiln_schedule none{KILN_SCHEDULE_CONSTANT, 0, 0};
  EXPECT_EQ(LrSchedule::fromModel(none).kind, KILN_SCHEDULE_CONSTANT);
  // Every kind has its --lr-schedule name, and parses back to itself.
  for (int k = KILN_SCHEDULE_CONSTANT; k <= KILN_SCHEDULE_COSINE; ++k) {
    auto kind = static_cast<kiln_schedule_kind>(k);
    std::string spec = LrSchedule::name(kind);
    if (kind != KILN_SCHEDULE_CONSTANT)
      spec += ":0.5,2";
    EXPECT_EQ(LrSchedule::parse(spec).kind, kind) << spec;
  }
  kiln_schedule bad{7, 0, 0};
  EXPECT_THAT(errorOf([&] { LrSchedule::fromModel(bad); }),
              HasSubstr("unknown kind 7"));
}

TEST(LrSchedule, BadSpecsAreExplained) {
  EXPECT_THAT(errorOf([] { LrSchedule::parse("linear"); }),
              HasSubstr("unknown learning-rate schedule 'linear' (known: "
                        "constant, step:FACTOR,EVERY_EPOCHS"));
  EXPECT_THAT(errorOf([] { LrSchedule::parse("step:0.5"); }),
              HasSubstr("--lr-schedule 'step:0.5': expected"));
  EXPECT_THAT(errorOf([] { LrSchedule::parse("step:0.5,x"); }),
              HasSubstr("'x' is not a number"));
  EXPECT_THAT(errorOf([] { LrSchedule::parse("exponential:0.5,0"); }),
              HasSubstr("rate must be at least 0 and steps above 0"));
  EXPECT_THAT(errorOf([] { LrSchedule::parse("constant:1"); }),
              HasSubstr("expected"));
}
