//===- thread_pool_test.cpp - the kernels' parallel loops -----------------===//
#include "thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>

using kiln::rt::ThreadPool;

namespace {

struct Counts {
  std::vector<std::atomic<int>> hits;
  explicit Counts(int n) : hits(n) {}
};

int countTask(void *, int i, uint8_t *closure) {
  reinterpret_cast<Counts *>(closure)->hits[i].fetch_add(1);
  return 0;
}

int failAt7(void *, int i, uint8_t *) { return i == 7 ? 42 : 0; }

struct Nested {
  ThreadPool *pool;
  Counts *inner;
};
int nestedTask(void *, int i, uint8_t *closure) {
  auto *n = reinterpret_cast<Nested *>(closure);
  // A kernel's parallel loop inside another one runs inline.
  return n->pool->parFor(nullptr, countTask, i * 10, 10,
                         reinterpret_cast<uint8_t *>(n->inner));
}

} // namespace

TEST(ThreadPool, EveryIndexRunsOnce) {
  for (int threads : {1, 2, 3, 4}) {
    ThreadPool pool(threads);
    for (int size : {0, 1, 2, 5, 64, 1000}) {
      Counts c(size + 3);
      ASSERT_EQ(pool.parFor(nullptr, countTask, 3, size,
                            reinterpret_cast<uint8_t *>(&c)),
                0);
      for (int i = 0; i < size + 3; ++i)
        EXPECT_EQ(c.hits[i].load(), i >= 3 ? 1 : 0)
            << "threads " << threads << " size " << size << " index " << i;
    }
  }
}

TEST(ThreadPool, ManyLoopsBackToBack) {
  // Loops follow each other faster than workers leave the previous one:
  // the hand-over between loops must neither lose nor repeat an index.
  ThreadPool pool(4);
  Counts c(17);
  for (int loop = 0; loop < 20000; ++loop)
    ASSERT_EQ(
        pool.parFor(nullptr, countTask, 0, 17, reinterpret_cast<uint8_t *>(&c)),
        0);
  for (int i = 0; i < 17; ++i)
    EXPECT_EQ(c.hits[i].load(), 20000);
}

TEST(ThreadPool, ReturnsTheTaskError) {
  ThreadPool pool(2);
  EXPECT_EQ(pool.parFor(nullptr, failAt7, 0, 16, nullptr), 42);
  EXPECT_EQ(pool.parFor(nullptr, failAt7, 0, 5, nullptr), 0);
  ThreadPool serial(1);
  EXPECT_EQ(serial.parFor(nullptr, failAt7, 0, 16, nullptr), 42);
}

TEST(ThreadPool, NestedLoopsRunInline) {
  ThreadPool pool(3);
  Counts inner(80);
  Nested n{&pool, &inner};
  ASSERT_EQ(
      pool.parFor(nullptr, nestedTask, 0, 8, reinterpret_cast<uint8_t *>(&n)),
      0);
  for (int i = 0; i < 80; ++i)
    EXPECT_EQ(inner.hits[i].load(), 1);
}

TEST(ThreadPool, WakesSleepingWorkers) {
  // With no spin budget the workers sleep between loops; each loop must
  // still complete (woken workers or the caller alone).
  setenv("KILN_SPIN_US", "0", 1);
  ThreadPool pool(2);
  unsetenv("KILN_SPIN_US");
  Counts c(32);
  for (int loop = 0; loop < 200; ++loop) {
    ASSERT_EQ(
        pool.parFor(nullptr, countTask, 0, 32, reinterpret_cast<uint8_t *>(&c)),
        0);
    if (loop % 50 == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  for (int i = 0; i < 32; ++i)
    EXPECT_EQ(c.hits[i].load(), 200);
}

TEST(ThreadPool, ParallelRangesCoverExactly) {
  ThreadPool pool(3);
  for (int64_t n : {1, 2, 3, 10, 1001}) {
    std::vector<std::atomic<int>> hits(n);
    pool.parallel(n, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i)
        hits[i].fetch_add(1);
    });
    for (int64_t i = 0; i < n; ++i)
      EXPECT_EQ(hits[i].load(), 1) << "n " << n << " index " << i;
  }
}

TEST(ThreadPool, DefaultThreadsFollowsHalidesVariable) {
  setenv("HL_NUM_THREADS", "3", 1);
  EXPECT_EQ(ThreadPool::defaultThreads(), 3);
  unsetenv("HL_NUM_THREADS");
  EXPECT_GE(ThreadPool::defaultThreads(), 1);
}
