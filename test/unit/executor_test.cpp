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

// A stand-in for Halide's halide_device_free (the runtime references it
// weakly; only a buffer with a device copy calls it): records the extent
// of dim 0 it sees, as Halide's CUDA runtime reads the dims to size the
// allocation it caches.
int gDeviceFrees = 0;
int64_t gFreedExtent = -1;

} // namespace

extern "C" int halide_device_free(void *, halide_buffer_t *buf) {
  ++gDeviceFrees;
  gFreedExtent = buf->dimensions > 0 && buf->dim ? buf->dim[0].extent : -1;
  buf->device = 0;
  buf->device_interface = nullptr;
  return 0;
}

namespace {

// f(x: [?, 2], c: constant [?... no: 2]) : t2 = x + c * batch
const float kConst[] = {10, 20};
const kiln_tensor kTensors[] = {
    {KILN_F32, 2, {KILN_BATCH_DIM, 2}, nullptr, -1},
    {KILN_F32, 2, {KILN_BATCH_DIM, 2}, nullptr, -1},
    {KILN_F32, 2, {KILN_BATCH_DIM, 2}, nullptr, -1},
};
const kiln_binding kArgs[] = {{"x", KILN_BIND_INPUT, 0, KILN_METRIC_NONE},
                              {"y", KILN_BIND_INPUT, 1, KILN_METRIC_NONE}};
const kiln_binding kResults[] = {{"out", KILN_BIND_OUTPUT, 2, KILN_METRIC_NONE}};
const int32_t kInputs[] = {0, 1};
const int32_t kOutputs[] = {2};
const kiln_call kCalls[] = {
    {fakeAddScaled, "kiln_k0", "add", "m.cpp:3:4", 2, kInputs, 1, kOutputs}};
const kiln_function kFn = {"f",   3, kTensors, 0, 2,
                           kArgs, 1, kResults, 1, kCalls};

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

// A chain through an arena: t2 = x + x*b, t3 = t2 + x*b (t2 dead after
// the second call), t4 = t3 + x*b. t2 and t4 share slot 0, t3 has slot 1.
TEST(Executor, ArenaSlotsShareStorageAndKeepValues) {
  const kiln_tensor tensors[] = {
      {KILN_F32, 2, {KILN_BATCH_DIM, 2}, nullptr, -1},
      {KILN_F32, 2, {KILN_BATCH_DIM, 2}, nullptr, 0},
      {KILN_F32, 2, {KILN_BATCH_DIM, 2}, nullptr, 1},
      {KILN_F32, 2, {KILN_BATCH_DIM, 2}, nullptr, 0},
  };
  const kiln_binding args[] = {{"x", KILN_BIND_INPUT, 0, KILN_METRIC_NONE}};
  const kiln_binding results[] = {{"out", KILN_BIND_OUTPUT, 3, KILN_METRIC_NONE}};
  const int32_t in0[] = {0, 0}, out0[] = {1}, in1[] = {1, 0}, out1[] = {2},
                in2[] = {2, 0}, out2[] = {3};
  const kiln_call calls[] = {
      {fakeAddScaled, "k0", "add", "", 2, in0, 1, out0},
      {fakeAddScaled, "k0", "add", "", 2, in1, 1, out1},
      {fakeAddScaled, "k0", "add", "", 2, in2, 1, out2},
  };
  const kiln_function fn = {"h", 4, tensors, 2, 1, args, 1, results, 3, calls};
  Executor ex(fn);
  Tensor x({2, 2});
  for (int i = 0; i < 4; ++i)
    x.data()[i] = i + 1;
  ex.bindArg(0, &x);
  ex.run(2);
  // out = x + 3·(x·2) = 7x
  for (int i = 0; i < 4; ++i)
    EXPECT_FLOAT_EQ(ex.result(0).data()[i], 7 * (i + 1));
  // Two slots of 2x2 floats, each rounded up to 64 bytes.
  EXPECT_EQ(ex.arenaBytes(), 128);
  // A bigger batch regrows the arena and re-points the views.
  Tensor x3({3, 2});
  for (int i = 0; i < 6; ++i)
    x3.data()[i] = 1;
  ex.bindArg(0, &x3);
  ex.run(3);
  for (int i = 0; i < 6; ++i)
    EXPECT_FLOAT_EQ(ex.result(0).data()[i], 10);
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
  const kiln_function fn = {"g",   3, kTensors, 0, 2,
                            kArgs, 1, kResults, 1, calls};
  Executor ex(fn);
  Tensor x({1, 2}), y({1, 2});
  ex.bindArg(0, &x);
  ex.bindArg(1, &y);
  EXPECT_THAT(errorOf([&] { ex.run(1); }),
              HasSubstr("kernel kiln_k7 (matmul+add at m.cpp:9:1) failed "
                        "with Halide error -3"));
}

TEST(Executor, ProfileSkipsTheFirstRun) {
  // The first run sets a GPU up (context, modules): not a kernel's time.
  Executor ex(kFn);
  Tensor x({2, 2}), y({2, 2});
  ex.bindArg(0, &x);
  ex.bindArg(1, &y);
  std::vector<double> profile;
  ex.setProfile(&profile);
  ex.run(2);
  EXPECT_TRUE(profile.empty());
  ex.run(2);
  // One entry per call, and the uploads (none on the CPU) at the end.
  ASSERT_EQ(profile.size(), 2u);
  EXPECT_GT(profile[0], 0.0);
  EXPECT_GE(profile[1], 0.0);
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

// A tensor moved (the trainer swaps updated state in) and then destroyed
// or overwritten frees its device copy with its dims in view; the CUDA
// runtime crashed on a null dim array at the end of the batch-norm CNN's
// training.
TEST(Tensor, MovedDeviceCopyIsFreedWithItsDims) {
  gDeviceFrees = 0;
  {
    Tensor a({2, 3});
    a.raw()->device = 42; // as if a kernel had given it a device copy
    Tensor b(std::move(a));
    gFreedExtent = -1;
  }
  EXPECT_EQ(gDeviceFrees, 1);
  EXPECT_EQ(gFreedExtent, 3);
  Tensor c({5, 7}), d({1, 4});
  c.raw()->device = 43;
  d.raw()->device = 44;
  Tensor e(std::move(c));
  e = std::move(d); // frees e's copy (from c), then takes d's
  EXPECT_EQ(gDeviceFrees, 2);
  EXPECT_EQ(gFreedExtent, 7);
  e.reshape({2, 2}); // a new shape drops the old device copy
  EXPECT_EQ(gDeviceFrees, 3);
  EXPECT_EQ(gFreedExtent, 4);
}

// The arena may pass 2^31 bytes (a tensor's most elements): two slots of
// 1 GiB each (the batch-norm CNN's is 4 GB at batch 4096). No kernel
// writes them, so the pages are never touched.
TEST(Executor, ArenaBeyondTwoGiB) {
  constexpr int64_t kQuarterG = int64_t(1) << 28; // floats: 1 GiB
  const kiln_tensor tensors[] = {
      {KILN_F32, 2, {KILN_BATCH_DIM, 1}, nullptr, -1},
      {KILN_F32, 2, {KILN_BATCH_DIM, kQuarterG}, nullptr, 0},
      {KILN_F32, 2, {KILN_BATCH_DIM, kQuarterG}, nullptr, 1},
  };
  const kiln_binding args[] = {{"x", KILN_BIND_INPUT, 0, KILN_METRIC_NONE}};
  const kiln_binding results[] = {{"out", KILN_BIND_OUTPUT, 2, KILN_METRIC_NONE}};
  const kiln_function fn = {"big", 3, tensors, 2, 1,
                            args,  1, results, 0, nullptr};
  Executor ex(fn);
  Tensor x({1, 1});
  ex.bindArg(0, &x);
  ex.run(1);
  EXPECT_EQ(ex.arenaBytes(), int64_t(1) << 31);
  EXPECT_EQ(ex.result(0).dims(), (std::vector<int64_t>{1, kQuarterG}));
}
