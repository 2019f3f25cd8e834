#include "core/thread_pool.h"

#include <algorithm>
#include <chrono>

#include "core/profile.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

namespace hearth {
namespace {

// A waiting thread polls with the CPU's pause hint for a bounded time, then blocks on a
// condition variable. The bound is a time, not a count of pauses: one pause takes ~10 cycles on
// some CPUs and ~140 on others (Intel since Skylake), and 256 pauses, tuned on Zen 3, slept
// through the serial gaps between one token's operations on an Intel Xeon, so every dispatch
// paid a wake-up. Measured there (2 threads; polling 20 / 100 / 300 us): rand-llama-1b Q4_0
// generation 33 tok/s with 256 pauses, 35.7 / 37.7 / 38.2; SmolLM2 Q4_0 pp512 1630, 1590 /
// 1770 / 1790, tg128 320, 393 / 387 / 415.
// Polling much longer, or yielding in the loop, was measured to be several times slower on a
// loaded machine: the poller burns the time slice its peer needs.
constexpr auto kSpinTime = std::chrono::microseconds(200);
constexpr int kPausesPerClockRead = 32;

// Chunks per share: more chunks balance better when one thread is slow or
// late, fewer cost fewer atomic claims.
constexpr int64_t kChunksPerShare = 4;

constexpr uint64_t kClosed = uint64_t{1} << 31;
constexpr uint64_t kCountMask = kClosed - 1;

inline void CpuRelax() {
#if defined(__x86_64__) || defined(_M_X64)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

}  // namespace

template <typename Done>
bool ThreadPool::SpinUntil(const Done& done) {
  const auto deadline = std::chrono::steady_clock::now() + kSpinTime;
  for (;;) {
    for (int i = 0; i < kPausesPerClockRead; ++i) {
      if (done()) return true;
      CpuRelax();
    }
    if (std::chrono::steady_clock::now() >= deadline) return done();
  }
}

ThreadPool::ThreadPool(int n_threads)
    : n_threads_(std::max(1, n_threads)), shares_(static_cast<size_t>(n_threads_)) {
  workers_.reserve(n_threads_ - 1);
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_.store(true);
  }
  work_ready_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void ThreadPool::Run(const std::function<void(int, int)>& fn) {
  ParallelFor(n_threads_, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) fn(static_cast<int>(i), n_threads_);
  });
}

void ThreadPool::ParallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (n_threads_ == 1) {
    fn(0, n);
    return;
  }
  profile::Scope timer(profile::Op::kPoolRun);
  const int64_t per_thread = (n + n_threads_ - 1) / n_threads_;
  for (int t = 0; t < n_threads_; ++t) {
    const int64_t begin = std::min(n, per_thread * t);
    shares_[t].next.store(begin, std::memory_order_relaxed);
    shares_[t].end = std::min(n, begin + per_thread);
  }
  grain_ = std::max<int64_t>(1, (per_thread + kChunksPerShare - 1) / kChunksPerShare);
  job_ = &fn;
  Publish();
  Work(0);
  profile::Scope wait_timer(profile::Op::kPoolWait);
  Close();
}

void ThreadPool::Publish() {
  ++sequence_;
  ticket_.store(static_cast<uint64_t>(sequence_) << 32, std::memory_order_release);
  // A worker either saw the new ticket in its wait predicate or is counted
  // in sleeping_workers_ and gets the notification.
  std::lock_guard<std::mutex> lock(mutex_);
  // One wake-up per sleep: a worker that was notified but has not run yet
  // counts as sleeping until it does, and a second futex call on the
  // caller's critical path would only cost time.
  if (sleeping_workers_ > 0 && !wake_sent_) {
    wake_sent_ = true;
    work_ready_.notify_all();
  }
}

void ThreadPool::Work(int self) {
  const std::function<void(int64_t, int64_t)>& fn = *job_;
  const int64_t grain = grain_;
  for (int k = 0; k < n_threads_; ++k) {
    Share& share = shares_[(self + k) % n_threads_];
    while (share.next.load(std::memory_order_relaxed) < share.end) {
      const int64_t begin = share.next.fetch_add(grain, std::memory_order_relaxed);
      if (begin >= share.end) break;
      fn(begin, std::min(share.end, begin + grain));
    }
  }
}

void ThreadPool::Close() {
  const uint64_t before = ticket_.fetch_or(kClosed, std::memory_order_acq_rel);
  if ((before & kCountMask) == 0) return;
  const auto all_out = [this] {
    return (ticket_.load(std::memory_order_acquire) & kCountMask) == 0;
  };
  if (SpinUntil(all_out)) return;
  std::unique_lock<std::mutex> lock(mutex_);
  caller_sleeping_ = true;
  work_done_.wait(lock, all_out);
  caller_sleeping_ = false;
}

int ThreadPool::DefaultThreadCount() { return std::max(1u, std::thread::hardware_concurrency()); }

void ThreadPool::WorkerLoop(int thread_index) {
  uint64_t seen = 0;  // sequence number of the last job this worker looked at
  const auto has_news = [&] {
    return stopping_.load(std::memory_order_relaxed) ||
           (ticket_.load(std::memory_order_acquire) >> 32) != seen;
  };
  for (;;) {
    if (!SpinUntil(has_news)) {
      std::unique_lock<std::mutex> lock(mutex_);
      ++sleeping_workers_;
      work_ready_.wait(lock, has_news);
      --sleeping_workers_;
      wake_sent_ = false;
    }
    if (stopping_.load()) return;
    uint64_t ticket = ticket_.load(std::memory_order_acquire);
    seen = ticket >> 32;
    // Join unless the caller has already claimed all the work and closed the job.
    bool joined = false;
    while ((ticket >> 32) == seen && (ticket & kClosed) == 0) {
      if (ticket_.compare_exchange_weak(ticket, ticket + 1, std::memory_order_acq_rel,
                                        std::memory_order_acquire)) {
        joined = true;
        break;
      }
    }
    if (!joined) continue;
    Work(thread_index);
    const uint64_t before = ticket_.fetch_sub(1, std::memory_order_acq_rel);
    if ((before & kCountMask) == 1 && (before & kClosed) != 0) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (caller_sleeping_) work_done_.notify_one();
    }
  }
}

}  // namespace hearth
