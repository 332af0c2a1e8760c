//===- trainer_test.cpp - the trainer's evaluation ------------------------===//
#include "session.h"
#include "test_util.h"
#include "trainer.h"

#include <cstring>

using namespace kiln::rt;

namespace {

int64_t elements(const halide_buffer_t *b) {
  int64_t n = 1;
  for (int d = 0; d < b->dimensions; ++d)
    n *= b->dim[d].extent;
  return n;
}

/// Stand-in kernels (`_argv`: inputs, batch, outputs): scores = x, and a
/// loss of 0.25 + the batch size / 100 (so the weighting shows).
int copyScores(void **args) {
  auto *x = static_cast<halide_buffer_t *>(args[0]);
  auto *out = static_cast<halide_buffer_t *>(args[2]);
  std::memcpy(out->host, x->host, elements(x) * sizeof(float));
  return 0;
}
int constantLoss(void **args) {
  int32_t batch = *static_cast<int32_t *>(args[1]);
  auto *out = static_cast<halide_buffer_t *>(args[2]);
  reinterpret_cast<float *>(out->host)[0] = 0.25f + batch / 100.0f;
  return 0;
}

// eval_step(x: [?, 2], y: [?] i32) -> loss, scores (accuracy) = x.
const kiln_tensor kTensors[] = {
    {KILN_F32, 2, {KILN_BATCH_DIM, 2}, nullptr, -1},
    {KILN_I32, 1, {KILN_BATCH_DIM}, nullptr, -1},
    {KILN_F32, 0, {0}, nullptr, -1},
    {KILN_F32, 2, {KILN_BATCH_DIM, 2}, nullptr, -1},
};
const kiln_binding kArgs[] = {{"x", KILN_BIND_INPUT, 0, KILN_METRIC_NONE},
                              {"y", KILN_BIND_LABEL, 1, KILN_METRIC_NONE}};
const kiln_binding kResults[] = {
    {"loss", KILN_BIND_LOSS, 2, KILN_METRIC_NONE},
    {"scores", KILN_BIND_OUTPUT, 3, KILN_METRIC_ACCURACY}};
const int32_t kX[] = {0}, kScores[] = {3}, kLoss[] = {2};
const kiln_call kCalls[] = {
    {copyScores, "kiln_k0", "copy", "", 1, kX, 1, kScores},
    {constantLoss, "kiln_k1", "loss", "", 1, kX, 1, kLoss}};
const kiln_function kEval = {"eval_step", 4,      kTensors, 0, 2, kArgs,
                             2,           kResults, 2,      kCalls};
const kiln_input kInputs[] = {{"x", KILN_F32, 2, {KILN_BATCH_DIM, 2}, 0},
                              {"y", KILN_I32, 1, {KILN_BATCH_DIM}, 1}};

kiln_model model() {
  kiln_model m{};
  m.abi_version = KILN_ABI_VERSION;
  m.name = "scores";
  m.num_inputs = 2;
  m.inputs = kInputs;
  m.train_step = &kEval; // (never run here: the trainer needs one)
  m.eval_step = &kEval;
  return m;
}

} // namespace

TEST(Trainer, EvaluateScoresAccuracyAndWeighsTheLoss) {
  kiln_model m = model();
  ModelState state(m);
  Session session(state);
  Dataset data;
  data.source = "test";
  data.rows = 4;
  data.features = 2;
  data.targets = 1;
  // Scores (a, b) and labels: the argmax matches in rows 0, 1 and 3.
  data.x = {0.9f, 0.1f, 0.2f, 0.8f, 0.7f, 0.3f, 0.4f, 0.6f};
  data.y = {0, 1, 1, 1};
  Trainer trainer(session, nullptr);
  EvalResult r = trainer.evaluate(data, {0, 1, 2, 3});
  EXPECT_EQ(r.correct, 3);
  EXPECT_EQ(r.counted, 4);
  ASSERT_TRUE(r.accuracy());
  EXPECT_DOUBLE_EQ(*r.accuracy(), 0.75);
  // One chunk of 4: the sample-weighted mean of the chunks' losses.
  EXPECT_NEAR(r.loss, 0.29, 1e-6);
  // A subset of rows is scored on its own.
  EvalResult two = trainer.evaluate(data, {2, 3});
  EXPECT_EQ(two.correct, 1);
  EXPECT_EQ(two.counted, 2);
  EXPECT_NEAR(two.loss, 0.27, 1e-6);
}
