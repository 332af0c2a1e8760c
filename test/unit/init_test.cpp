//===- init_test.cpp - parameter initialisers -----------------------------===//
#include "session.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace kiln::rt;

namespace {
kiln_model modelWith(const kiln_param *params, int n) {
  kiln_model m{};
  m.abi_version = KILN_ABI_VERSION;
  m.name = "test";
  m.num_params = n;
  m.params = params;
  return m;
}

struct Moments {
  double mean, sd, maxAbs;
};
Moments moments(const Tensor &t) {
  double s = 0, s2 = 0, m = 0;
  for (int64_t i = 0; i < t.size(); ++i) {
    s += t.data()[i];
    s2 += t.data()[i] * t.data()[i];
    m = std::max(m, std::fabs(double(t.data()[i])));
  }
  double mean = s / t.size();
  return {mean, std::sqrt(s2 / t.size() - mean * mean), m};
}
} // namespace

TEST(Init, AnotherAbiVersionIsRefused) {
  kiln_model m = modelWith(nullptr, 0);
  m.abi_version = KILN_ABI_VERSION - 1;
  try {
    ModelState state(m);
    FAIL() << "a table of another ABI version was accepted";
  } catch (const std::exception &e) {
    EXPECT_EQ(std::string(e.what()),
              "model table 'test' has ABI version " +
                  std::to_string(KILN_ABI_VERSION - 1) +
                  " but this runtime reads version " +
                  std::to_string(KILN_ABI_VERSION) +
                  ": rebuild the model with the same kiln as its runtime");
  }
}

TEST(Init, Fans) {
  EXPECT_EQ(fans({300, 100}), std::make_pair(300.0, 100.0));
  EXPECT_EQ(fans({10}), std::make_pair(10.0, 10.0));
  EXPECT_EQ(fans({32, 16, 3, 3}), std::make_pair(16.0 * 9, 32.0 * 9));
}

TEST(Init, XavierHeAndConstantsFollowTheirFormulas) {
  const kiln_param params[] = {
      {"xu", KILN_PARAM, 2, {300, 100}, KILN_INIT_XAVIER_UNIFORM, {0, 0}, ""},
      {"hn", KILN_PARAM, 2, {400, 200}, KILN_INIT_HE_NORMAL, {0, 0}, ""},
      {"c", KILN_PARAM, 1, {5}, KILN_INIT_CONSTANT, {0.25, 0}, ""},
      {"u", KILN_PARAM, 1, {10000}, KILN_INIT_UNIFORM, {2, 3}, ""},
      {"z", KILN_PARAM, 0, {0}, KILN_INIT_ZEROS, {0, 0}, ""},
  };
  kiln_model m = modelWith(params, 5);
  ModelState s(m);
  s.initialize(0);
  // Xavier uniform: bound sqrt(6/(fan_in+fan_out)), variance bound²/3.
  double bound = std::sqrt(6.0 / 400);
  Moments xu = moments(s.params[0]);
  EXPECT_LE(xu.maxAbs, bound);
  EXPECT_NEAR(xu.sd, bound / std::sqrt(3.0), 0.01 * bound);
  // He normal: sd sqrt(2/fan_in).
  Moments hn = moments(s.params[1]);
  EXPECT_NEAR(hn.mean, 0, 0.002);
  EXPECT_NEAR(hn.sd, std::sqrt(2.0 / 400), 0.002);
  EXPECT_FLOAT_EQ(s.params[2].data()[4], 0.25f);
  Moments u = moments(s.params[3]);
  EXPECT_NEAR(u.mean, 2.5, 0.02);
  EXPECT_EQ(s.params[4].size(), 1);
  EXPECT_EQ(s.params[4].data()[0], 0.0f);
}

TEST(Init, SeedReproducesAndDiffers) {
  const kiln_param params[] = {
      {"w", KILN_PARAM, 2, {8, 8}, KILN_INIT_HE_UNIFORM, {0, 0}, ""}};
  kiln_model m = modelWith(params, 1);
  ModelState a(m), b(m), c(m);
  a.initialize(5);
  b.initialize(5);
  c.initialize(6);
  for (int i = 0; i < 64; ++i)
    EXPECT_EQ(a.params[0].data()[i], b.params[0].data()[i]);
  EXPECT_NE(a.params[0].data()[0], c.params[0].data()[0]);
}
