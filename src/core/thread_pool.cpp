#include "core/thread_pool.h"

#include <algorithm>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

namespace hearth {
namespace {

// A waiting thread polls with the CPU's pause hint for a few microseconds
// (the serial gap between two operations of one token on an idle machine),
// then blocks on a condition variable. Polling longer, or yielding in the
// loop, was measured to be several times slower on a loaded machine: the
// poller burns the time slice its peer needs.
constexpr int kPauseIterations = 256;

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
  for (int i = 0; i < kPauseIterations; ++i) {
    if (done()) return true;
    CpuRelax();
  }
  return done();
}

ThreadPool::ThreadPool(int n_threads) : n_threads_(std::max(1, n_threads)) {
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
  if (n_threads_ == 1) {
    fn(0, 1);
    return;
  }
  job_.store(&fn, std::memory_order_relaxed);
  pending_.store(n_threads_ - 1, std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_release);  // publishes job_ and pending_
  {
    // A worker either saw the new generation in its wait predicate or is
    // counted in sleeping_workers_ and gets the notification.
    std::lock_guard<std::mutex> lock(mutex_);
    if (sleeping_workers_ > 0) work_ready_.notify_all();
  }
  fn(0, n_threads_);
  const auto all_done = [this] { return pending_.load(std::memory_order_acquire) == 0; };
  if (SpinUntil(all_done)) return;
  std::unique_lock<std::mutex> lock(mutex_);
  caller_sleeping_ = true;
  work_done_.wait(lock, all_done);
  caller_sleeping_ = false;
}

void ThreadPool::ParallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  Run([&](int thread_index, int n_threads) {
    const int64_t chunk = (n + n_threads - 1) / n_threads;
    const int64_t begin = std::min<int64_t>(n, chunk * thread_index);
    const int64_t end = std::min<int64_t>(n, begin + chunk);
    if (begin < end) fn(begin, end);
  });
}

int ThreadPool::DefaultThreadCount() { return std::max(1u, std::thread::hardware_concurrency()); }

void ThreadPool::WorkerLoop(int thread_index) {
  uint64_t seen_generation = 0;
  const auto has_news = [&] {
    return stopping_.load(std::memory_order_relaxed) ||
           generation_.load(std::memory_order_acquire) != seen_generation;
  };
  for (;;) {
    if (!SpinUntil(has_news)) {
      std::unique_lock<std::mutex> lock(mutex_);
      ++sleeping_workers_;
      work_ready_.wait(lock, has_news);
      --sleeping_workers_;
    }
    if (stopping_.load()) return;
    seen_generation = generation_.load(std::memory_order_acquire);
    (*job_.load(std::memory_order_relaxed))(thread_index, n_threads_);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (caller_sleeping_) work_done_.notify_one();
    }
  }
}

}  // namespace hearth
