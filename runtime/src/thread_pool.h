//===- thread_pool.h - the kernels' parallel loops --------------*- C++ -*-===//
//
// A small spinning thread pool that replaces Halide's default one (through
// halide_set_custom_do_par_for). A training step calls a handful of short
// kernels back to back; Halide's pool lets its workers sleep between them
// and pays a futex wake-up per parallel loop (measured: 1 thread beat 2 on
// the logistic-regression benchmark). Here workers spin for a while after
// each loop, so the next kernel finds them awake, then sleep.
//
// Its size is --threads, else HL_NUM_THREADS, else the CPUs the process may
// run on. Nested and concurrent loops run inline on the caller's thread.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_THREAD_POOL_H
#define KILN_RUNTIME_THREAD_POOL_H

#include <cstdint>
#include <functional>

namespace kiln::rt {

/// Halide's task signature: (user_context, index, closure) -> error code.
using TaskFn = int (*)(void *, int, uint8_t *);

class ThreadPool {
public:
  /// The process-wide pool, created on first use with `defaultThreads()`.
  static ThreadPool &global();
  /// The size of the global pool; only before its first use.
  static void setGlobalThreads(int threads);
  /// HL_NUM_THREADS when set, else the CPUs this process may run on.
  static int defaultThreads();

  /// `threads` counts the calling thread: 1 runs everything inline.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  int threads() const { return threads_; }
  /// Runs task(context, i, closure) for i in [min, min + size), spread over
  /// the pool; returns the first non-zero result (0 when all succeeded).
  /// Nested or concurrent calls run inline on the caller's thread.
  int parFor(void *context, TaskFn task, int min, int size, uint8_t *closure);
  /// Runs body(lo, hi) over [0, n) split in one range per thread.
  void parallel(int64_t n, const std::function<void(int64_t, int64_t)> &body);

  /// Makes Halide's generated code use the global pool (no-op when the
  /// binary has no Halide runtime, as in the runtime's unit tests).
  static void installForHalide();

private:
  struct Shared;
  void workerLoop(int self);
  int threads_;
  Shared *shared_;
};

} // namespace kiln::rt

#endif // KILN_RUNTIME_THREAD_POOL_H
