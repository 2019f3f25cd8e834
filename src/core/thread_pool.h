// A persistent pool of worker threads for data-parallel kernels.
//
// Workers stay alive between calls so the per-operation overhead is one
// handoff, not a spawn: small models run hundreds of operations per token.
// Waiting threads (idle workers, the caller waiting for the last worker)
// first spin for a short while, so back-to-back operations cost an atomic
// handoff rather than a futex wake-up, then block on a condition variable so
// an idle pool takes no CPU.
//
// Work is shared out by stealing: [0, n) is split into one contiguous share
// per thread, each share into a few chunks, and a thread that has finished
// its own share takes the unclaimed chunks of the others. So an operation
// never waits for a worker that has not started yet (on a machine shared
// with other processes a worker may be off the CPU for a whole time slice):
// the caller does that worker's part itself and waits only for chunks already
// being worked on.
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

  // Calls fn(i, size()) once for every i in [0, size()) and returns when all
  // calls have returned. The calls may run concurrently on the pool's threads,
  // but call i runs on whichever thread gets to it first (the caller takes
  // over a late worker's call), so fn must not rely on the identity of the
  // thread it runs on. Not reentrant: fn must not call Run/ParallelFor on the
  // same pool.
  void Run(const std::function<void(int index, int n)>& fn);

  // Calls fn(begin, end) on disjoint contiguous ranges that together cover
  // [0, n) exactly once, concurrently on the pool's threads, and returns when
  // all calls have returned. A thread may get several ranges (in any order),
  // so per-range setup should be cheap. Not reentrant.
  void ParallelFor(int64_t n, const std::function<void(int64_t begin, int64_t end)>& fn);

  // Number of hardware threads, at least 1.
  static int DefaultThreadCount();

 private:
  // One thread's part of the current operation: indices [next, end), claimed
  // `grain` at a time by fetch_add on `next` (by the owner, or by a thief).
  struct alignas(64) Share {
    std::atomic<int64_t> next{0};
    int64_t end = 0;
  };

  void WorkerLoop(int thread_index);
  // Runs thread `self`'s share, then steals the others' unclaimed chunks.
  void Work(int self);
  // Publishes the current job (job_, grain_, shares_) and wakes idle workers.
  void Publish();
  // Stops workers from joining the current job and waits for those inside it.
  void Close();
  // Spins until done() or the spin budget is spent; true if done().
  template <typename Done>
  static bool SpinUntil(const Done& done);

  int n_threads_;
  std::vector<std::thread> workers_;
  std::vector<Share> shares_;
  const std::function<void(int64_t, int64_t)>* job_ = nullptr;  // written before Publish
  int64_t grain_ = 1;

  // The job ticket: (job sequence number << 32) | kClosed | workers inside.
  // A worker joins the job by incrementing the count while the ticket is open
  // and still carries the job's number; the caller sets kClosed when all the
  // work is claimed and then waits for the count to drop to 0.
  std::atomic<uint64_t> ticket_{0};
  uint32_t sequence_ = 0;  // caller only

  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable work_done_;
  // Guarded by mutex_: who is blocked (so wake-ups are only sent when needed).
  int sleeping_workers_ = 0;
  bool wake_sent_ = false;  // workers notified since the last one woke up
  bool caller_sleeping_ = false;
  std::atomic<bool> stopping_{false};
};

}  // namespace hearth
