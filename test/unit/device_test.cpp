//===- device_test.cpp - choosing and checking the GPU
//---------------------===//
#include "device.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace kiln::rt;
using ::testing::HasSubstr;

namespace {

// PTX for a newer compute capability than the GPU's does not load: say so
// before the first kernel fails with a driver error code.
TEST(DeviceTest, CapabilityNewerThanTheGpuIsAProblem) {
  std::string t = "x86-64-linux-avx2-cuda-cuda_capability_86-f16c";
  std::string why = capabilityProblem(t, 8, 0);
  EXPECT_THAT(why, HasSubstr("needs compute capability 8.6, the GPU has 8.0"));
  EXPECT_THAT(why, HasSubstr("--target=host-cuda-cuda_capability_80"));
  EXPECT_EQ(capabilityProblem(t, 8, 6), "");
  EXPECT_EQ(capabilityProblem(t, 9, 0), ""); // an H100 JITs sm_86 PTX
}

TEST(DeviceTest, CapabilityOfTheLastFeatureAndOfNone) {
  EXPECT_EQ(capabilityProblem("x86-64-linux-cuda-cuda_capability_80", 7, 5),
            "the kernels' PTX needs compute capability 8.0, the GPU has 7.5: "
            "rebuild with --target=host-cuda-cuda_capability_75 (or lower)");
  EXPECT_EQ(capabilityProblem("x86-64-linux-avx2", 3, 0), "");
  EXPECT_EQ(capabilityProblem("x86-64-linux-opencl", 1, 0), "");
}

} // namespace
