//===- executor_test.cpp - running a step table ---------------------------===//
#include "error.h"
#include "executor.h"
#include "test_util.h"

using namespace kiln::rt;
using kiln::test::errorOf;
using ::testing::HasSubstr;

namespace {

/// A stand-in for a Halide kernel: out[i] = a[i] + b[i] * batch, using the
/// `_argv` convention (inputs, batch size, output).
int fakeAddScaled(void **args) {
  auto *a = static_cast<halide_buffer_t *>(args[0]);
  auto *b = static_cast<halide_buffer_t *>(args[1]);
  int32_t batch = *static_cast<int32_t *>(args[2]);
  auto *out = static_cast<halide_buffer_t *>(args[3]);
  int64_t n = 1;
  for (int d = 0; d < out->dimensions; ++d)
    n *= out->dim[d].extent;
  auto *pa = reinterpret_cast<float *>(a->host);
  auto *pb = reinterpret_cast<float *>(b->host);
  auto *po = reinterpret_cast<float *>(out->host);
  for (int64_t i = 0; i < n; ++i)
    po[i] = pa[i] + pb[i] * batch;
  return 0;
}

int failingKernel(void **) { return -3; }

// f(x: [?, 2], c: constant [?... no: 2]) : t2 = x + c * batch
const float kConst[] = {10, 20};
const kiln_tensor kTensors[] = {
    {KILN_F32, 2, {KILN_BATCH_DIM, 2}, nullptr},
    {KILN_F32, 2, {KILN_BATCH_DIM, 2}, nullptr},
    {KILN_F32, 2, {KILN_BATCH_DIM, 2}, nullptr},
};
const kiln_binding kArgs[] = {{"x", KILN_BIND_INPUT, 0, "none"},
                              {"y", KILN_BIND_INPUT, 1, "none"}};
const kiln_binding kResults[] = {{"out", KILN_BIND_OUTPUT, 2, "none"}};
const int32_t kInputs[] = {0, 1};
const int32_t kOutputs[] = {2};
const kiln_call kCalls[] = {
    {fakeAddScaled, "kiln_k0", "add", "m.cpp:3:4", 2, kInputs, 1, kOutputs}};
const kiln_function kFn = {"f", 3, kTensors, 2, kArgs, 1, kResults, 1, kCalls};

} // namespace

TEST(Executor, RunsCallsWithBatchAndReusesBuffers) {
  Executor ex(kFn);
  EXPECT_EQ(ex.findArg(KILN_BIND_INPUT, "y"), 1);
  EXPECT_EQ(ex.findArg(KILN_BIND_PARAM, "y"), -1);
  Tensor x({3, 2}), y({3, 2});
  for (int i = 0; i < 6; ++i) {
    x.data()[i] = i;
    y.data()[i] = 1;
  }
  ex.bindArg(0, &x);
  ex.bindArg(1, &y);
  ex.run(3);
  Tensor &out = ex.result(0);
  ASSERT_EQ(out.dims(), (std::vector<int64_t>{3, 2}));
  EXPECT_FLOAT_EQ(out.data()[5], 5 + 3);
  const float *storage = out.data();
  ex.run(3);
  EXPECT_EQ(ex.result(0).data(), storage) << "same batch reallocated";
}

TEST(Executor, ShapeMismatchIsReported) {
  Executor ex(kFn);
  Tensor x({3, 2}), y({4, 2});
  ex.bindArg(0, &x);
  ex.bindArg(1, &y);
  EXPECT_THAT(errorOf([&] { ex.run(3); }),
              HasSubstr("argument 'y' has shape 4x2, expected 3x2"));
}

TEST(Executor, KernelFailureNamesOpAndLocation) {
  const kiln_call calls[] = {{failingKernel, "kiln_k7", "matmul+add",
                              "m.cpp:9:1", 2, kInputs, 1, kOutputs}};
  const kiln_function fn = {"g", 3, kTensors, 2, kArgs, 1, kResults, 1, calls};
  Executor ex(fn);
  Tensor x({1, 2}), y({1, 2});
  ex.bindArg(0, &x);
  ex.bindArg(1, &y);
  EXPECT_THAT(errorOf([&] { ex.run(1); }),
              HasSubstr("kernel kiln_k7 (matmul+add at m.cpp:9:1) failed "
                        "with Halide error -3"));
}

TEST(Executor, UnboundArgument) {
  Executor ex(kFn);
  EXPECT_THAT(errorOf([&] { ex.run(1); }),
              HasSubstr("argument 'x' is not bound"));
}

TEST(Tensor, HalideViewIsRowMajorInnermostFirst) {
  Tensor t({4, 3});
  halide_buffer_t *b = t.raw();
  ASSERT_EQ(b->dimensions, 2);
  EXPECT_EQ(b->dim[0].extent, 3);
  EXPECT_EQ(b->dim[0].stride, 1);
  EXPECT_EQ(b->dim[1].extent, 4);
  EXPECT_EQ(b->dim[1].stride, 3);
  Tensor moved = std::move(t);
  EXPECT_EQ(moved.raw()->dim[1].extent, 4) << "view must follow a move";
  Tensor scalar(std::vector<int64_t>{});
  EXPECT_EQ(scalar.size(), 1);
  EXPECT_EQ(scalar.raw()->dimensions, 0);
}
