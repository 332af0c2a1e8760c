//===- rng_test.cpp - the portable seeded generator -----------------------===//
#include "rng.h"

#include <gtest/gtest.h>

#include <cmath>

using kiln::rt::Rng;

TEST(Rng, SameSeedSameStreamDifferentStreamsDiffer) {
  Rng a(42), b(42), c(42, 1);
  for (int i = 0; i < 100; ++i) {
    uint64_t x = a.next();
    EXPECT_EQ(x, b.next());
    EXPECT_NE(x, c.next());
  }
}

TEST(Rng, KnownFirstValues) {
  // Pins the stream: a changed generator would silently change every
  // initialisation, split and shuffle of every seeded run.
  Rng r(0);
  EXPECT_EQ(r.next(), 11091344671253066420ull);
  EXPECT_EQ(r.next(), 13793997310169335082ull);
  EXPECT_EQ(Rng(12345, 3).next(), 3794998253055986084ull);
}

TEST(Rng, UniformAndNormalMoments) {
  Rng r(1);
  constexpr int n = 200000;
  double su = 0, sn = 0, sn2 = 0;
  for (int i = 0; i < n; ++i) {
    double u = r.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    su += u;
    double z = r.normal();
    sn += z;
    sn2 += z * z;
  }
  EXPECT_NEAR(su / n, 0.5, 0.005);
  EXPECT_NEAR(sn / n, 0.0, 0.01);
  EXPECT_NEAR(sn2 / n, 1.0, 0.01);
}

TEST(Rng, BelowStaysInRange) {
  Rng r(3);
  int counts[7] = {};
  for (int i = 0; i < 70000; ++i) {
    uint64_t v = r.below(7);
    ASSERT_LT(v, 7u);
    ++counts[v];
  }
  for (int c : counts)
    EXPECT_NEAR(c, 10000, 500);
}
