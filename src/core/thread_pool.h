// A persistent pool of worker threads for data-parallel kernels.
//
// Run(fn) calls fn(thread_index, n_threads) once on every thread (the caller
// is thread 0) and returns when all calls have returned. Workers stay alive
// between calls so the per-operation overhead is one wake-up, not a spawn:
// small models run hundreds of operations per token. Waiting threads (idle
// workers, the caller waiting for the last worker) first spin for a short
// while, so back-to-back operations cost an atomic handoff rather than a
// futex wake-up, then block on a condition variable so an idle pool takes no
// CPU.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hearth {

class ThreadPool {
 public:
  // n_threads >= 1; 1 means "run everything on the caller".
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Not reentrant: fn must not call Run on the same pool.
  void Run(const std::function<void(int thread_index, int n_threads)>& fn);

  // Splits [0, n) into contiguous chunks, one per thread.
  void ParallelFor(int64_t n, const std::function<void(int64_t begin, int64_t end)>& fn);

  // Number of hardware threads, at least 1.
  static int DefaultThreadCount();

 private:
  void WorkerLoop(int thread_index);

  int n_threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable work_done_;
  // Spins until done() or the spin budget is spent; true if done().
  template <typename Done>
  static bool SpinUntil(const Done& done);

  std::atomic<const std::function<void(int, int)>*> job_{nullptr};
  // Bumped (release) for each Run after job_ is set; workers wait for a new value.
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};  // workers still running the current job
  // Guarded by mutex_: who is blocked (so wake-ups are only sent when needed).
  int sleeping_workers_ = 0;
  bool caller_sleeping_ = false;
  std::atomic<bool> stopping_{false};
};

}  // namespace hearth
