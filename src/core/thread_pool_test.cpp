#include "core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace hearth {
namespace {

TEST(ThreadPoolTest, RunCallsEveryThreadOnce) {
  ThreadPool pool(4);
  std::vector<std::atomic<int>> calls(4);
  for (int round = 0; round < 100; ++round) {
    pool.Run([&](int index, int n) {
      EXPECT_EQ(n, 4);
      calls[index].fetch_add(1);
    });
  }
  for (auto& count : calls) EXPECT_EQ(count.load(), 100);
}

TEST(ThreadPoolTest, ParallelForCoversRangeExactlyOnce) {
  for (int threads : {1, 2, 3, 8}) {
    ThreadPool pool(threads);
    for (int64_t n : {0, 1, 5, 64, 1001}) {
      std::vector<std::atomic<int>> hits(n);
      pool.ParallelFor(n, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) hits[i].fetch_add(1);
      });
      for (auto& hit : hits) EXPECT_EQ(hit.load(), 1);
    }
  }
}

TEST(ThreadPoolTest, ParallelForManySmallJobsInARow) {
  // Back-to-back operations of a forward pass: the job handoff must not lose
  // or repeat a range when workers join late or not at all.
  ThreadPool pool(2);
  std::vector<int64_t> sums(3000, 0);
  for (size_t round = 0; round < sums.size(); ++round) {
    const int64_t n = static_cast<int64_t>(round % 23);
    std::atomic<int64_t> sum{0};
    pool.ParallelFor(n, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) sum.fetch_add(i + 1);
    });
    sums[round] = sum.load();
    ASSERT_EQ(sums[round], n * (n + 1) / 2) << "round " << round;
  }
}

TEST(ThreadPoolTest, ParallelForRangesAreContiguousAndDisjoint) {
  ThreadPool pool(3);
  for (int64_t n : {1, 7, 100, 4099}) {
    std::vector<std::atomic<int>> owner(n);
    pool.ParallelFor(n, [&](int64_t begin, int64_t end) {
      ASSERT_LT(begin, end);
      ASSERT_LE(end, n);
      for (int64_t i = begin; i < end; ++i) owner[i].fetch_add(1);
    });
    for (auto& count : owner) EXPECT_EQ(count.load(), 1);
  }
}

TEST(ThreadPoolTest, IdleThreadTakesOverTheWorkOfABusyOne) {
  // The call that gets index 0 waits until the last index of thread 0's
  // share is done by another call: that completes only if a thread takes over
  // the rest of the blocked thread's share (with one range per thread, index 0
  // and that index would be in the same blocked call, forever).
  ThreadPool pool(2);
  constexpr int64_t kN = 16;
  constexpr int64_t kLastOfFirstShare = kN / 2 - 1;
  std::vector<std::atomic<bool>> done(kN);
  std::atomic<bool> timed_out{false};
  pool.ParallelFor(kN, [&](int64_t begin, int64_t end) {
    if (begin == 0) {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (!done[kLastOfFirstShare].load()) {
        if (std::chrono::steady_clock::now() > deadline) {
          timed_out = true;
          break;
        }
        std::this_thread::yield();
      }
    }
    for (int64_t i = begin; i < end; ++i) done[i] = true;
  });
  EXPECT_FALSE(timed_out.load());
  for (auto& flag : done) EXPECT_TRUE(flag.load());
}

TEST(ThreadPoolTest, SingleThreadPoolRunsOnTheCaller) {
  ThreadPool pool(1);
  const std::thread::id caller = std::this_thread::get_id();
  int calls = 0;
  pool.ParallelFor(10, [&](int64_t begin, int64_t end) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    EXPECT_EQ(begin, 0);
    EXPECT_EQ(end, 10);
    ++calls;
  });
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace hearth
