//===- thread_pool.cpp - the kernels' parallel loops ----------------------===//
//
// Each thread owns a contiguous share of a loop's indices and steals from
// the others' shares when its own is done: two loops over the same range
// then touch the same data on the same core (the batch gather and the
// kernels that read the batch), yet a late worker cannot hold a loop up.
// Idle workers spin for KILN_SPIN_US microseconds (default 2000), enough
// to bridge the gap between kernels and between steps, and then sleep.
//
//===----------------------------------------------------------------------===//
#include "thread_pool.h"

#include "HalideRuntime.h"

#include <sched.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define KILN_PAUSE() _mm_pause()
#else
#define KILN_PAUSE() std::this_thread::yield()
#endif

// Weak, so that binaries without Halide's runtime (unit tests) still link.
#pragma weak halide_set_custom_do_par_for

namespace kiln::rt {

namespace {
thread_local bool tInsideLoop = false;

/// How long an idle worker spins before it sleeps: long enough to bridge
/// the gap between two kernels of a step and between two steps.
std::chrono::microseconds spinBudget() {
  const char *v = std::getenv("KILN_SPIN_US");
  return std::chrono::microseconds(v ? std::atoll(v) : 2000);
}
} // namespace

/// One loop at a time. A worker announces itself in `refs` before it reads
/// the loop's fields and re-checks `current` afterwards, so the caller may
/// reuse the fields once `current` is cleared and `refs` drops to zero.
/// Thread t owns share t of the indices (the caller the first; see the file
/// comment).
struct ThreadPool::Shared {
  struct alignas(64) Share {
    std::atomic<int> next{0};
    int end = 0;
  };
  std::atomic<bool> current{false}; // a loop is open for workers
  std::atomic<int> refs{0};         // workers inside the open loop
  std::atomic<int> remaining{0};    // indices not finished
  std::atomic<int> result{0};
  std::atomic<uint32_t> generation{0}; // bumped per loop; sleepers wait on it
  std::atomic<int> sleepers{0};
  std::atomic<bool> stop{false};
  std::atomic<bool> busy{false}; // a caller owns the loop fields
  // The open loop (written only while `current` is false and refs == 0).
  void *context = nullptr;
  TaskFn task = nullptr;
  uint8_t *closure = nullptr;
  std::vector<Share> shares; // one per thread
  std::chrono::microseconds spin;
  std::vector<std::thread> workers;

  /// Runs the indices of thread `self`'s share, then steals.
  void work(int self) {
    bool saved = tInsideLoop;
    tInsideLoop = true;
    int n = static_cast<int>(shares.size());
    for (int k = 0; k < n; ++k) {
      Share &sh = shares[(self + k) % n];
      for (int i = sh.next.fetch_add(1); i < sh.end; i = sh.next.fetch_add(1)) {
        if (int r = task(context, i, closure)) {
          int zero = 0;
          result.compare_exchange_strong(zero, r);
        }
        remaining.fetch_sub(1, std::memory_order_release);
      }
    }
    tInsideLoop = saved;
  }
};

int ThreadPool::defaultThreads() {
  for (const char *name : {"HL_NUM_THREADS", "HL_NUMTHREADS"})
    if (const char *v = std::getenv(name)) {
      int n = std::atoi(v);
      if (n > 0)
        return n;
    }
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

namespace {
int gRequestedThreads = 0;
}

void ThreadPool::setGlobalThreads(int threads) { gRequestedThreads = threads; }

ThreadPool &ThreadPool::global() {
  static ThreadPool pool(gRequestedThreads > 0 ? gRequestedThreads
                                               : defaultThreads());
  return pool;
}

ThreadPool::ThreadPool(int threads)
    : threads_(std::max(1, threads)), shared_(new Shared) {
  shared_->spin = spinBudget();
  shared_->shares = std::vector<Shared::Share>(threads_);
  for (int i = 1; i < threads_; ++i)
    shared_->workers.emplace_back([this, i] { workerLoop(i); });
}

ThreadPool::~ThreadPool() {
  shared_->stop.store(true);
  shared_->generation.fetch_add(1);
  shared_->generation.notify_all();
  for (std::thread &t : shared_->workers)
    t.join();
  delete shared_;
}

void ThreadPool::workerLoop(int self) {
  Shared &s = *shared_;
  using Clock = std::chrono::steady_clock;
  uint32_t done = s.generation.load(); // the last loop this worker saw
  while (!s.stop.load(std::memory_order_relaxed)) {
    // Spin until a new loop opens or the budget runs out.
    auto deadline = Clock::now() + s.spin;
    uint32_t gen = done;
    for (unsigned n = 0; (gen = s.generation.load()) == done; ++n) {
      KILN_PAUSE();
      if ((n & 255) == 255 && Clock::now() > deadline) {
        // Sleep: announce first, then re-check, so that a caller opening
        // a loop meanwhile either sees a sleeper or is seen here.
        s.sleepers.fetch_add(1);
        s.generation.wait(done);
        s.sleepers.fetch_sub(1);
        deadline = Clock::now() + s.spin;
      }
    }
    if (s.stop.load())
      return;
    s.refs.fetch_add(1);
    if (s.current.load())
      s.work(self);
    s.refs.fetch_sub(1);
    done = gen;
  }
}

int ThreadPool::parFor(void *context, TaskFn task, int min, int size,
                       uint8_t *closure) {
  Shared &s = *shared_;
  bool expected = false;
  if (threads_ == 1 || size <= 1 || tInsideLoop ||
      !s.busy.compare_exchange_strong(expected, true)) {
    for (int i = min; i < min + size; ++i)
      if (int r = task(context, i, closure))
        return r;
    return 0;
  }
  s.context = context;
  s.task = task;
  s.closure = closure;
  for (int t = 0; t < threads_; ++t) {
    s.shares[t].next.store(min +
                           static_cast<int>(int64_t(size) * t / threads_));
    s.shares[t].end =
        min + static_cast<int>(int64_t(size) * (t + 1) / threads_);
  }
  s.remaining.store(size);
  s.result.store(0);
  s.current.store(true);
  s.generation.fetch_add(1);
  if (s.sleepers.load() > 0)
    s.generation.notify_all();
  s.work(0);
  while (s.remaining.load(std::memory_order_acquire) > 0)
    KILN_PAUSE();
  s.current.store(false);
  while (s.refs.load() > 0)
    KILN_PAUSE();
  int result = s.result.load();
  s.busy.store(false);
  return result;
}

namespace {
struct RangeClosure {
  const std::function<void(int64_t, int64_t)> *body;
  int64_t n, chunks;
};
int runRange(void *, int i, uint8_t *closure) {
  auto *c = reinterpret_cast<RangeClosure *>(closure);
  int64_t lo = c->n * i / c->chunks, hi = c->n * (i + 1) / c->chunks;
  if (lo < hi)
    (*c->body)(lo, hi);
  return 0;
}
int halideParFor(void *context, halide_task_t task, int min, int size,
                 uint8_t *closure) {
  return ThreadPool::global().parFor(context, task, min, size, closure);
}
} // namespace

void ThreadPool::parallel(int64_t n,
                          const std::function<void(int64_t, int64_t)> &body) {
  if (n <= 0)
    return;
  RangeClosure c{&body, n, std::min<int64_t>(n, threads_)};
  parFor(nullptr, runRange, 0, static_cast<int>(c.chunks),
         reinterpret_cast<uint8_t *>(&c));
}

void ThreadPool::installForHalide() {
  if (&halide_set_custom_do_par_for)
    halide_set_custom_do_par_for(halideParFor);
}

} // namespace kiln::rt
