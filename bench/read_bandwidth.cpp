// Memory read bandwidth of this machine, for docs/PERFORMANCE.md's generation bound (run by
// hand): T threads each stream-read their part of a 1 GiB buffer with AVX2 loads; the best of
// R repetitions, in GB/s (10^9 bytes/s).
//   g++ -O2 -mavx2 -pthread bench/read_bandwidth.cpp -o /tmp/read_bandwidth && /tmp/read_bandwidth 2
#include <immintrin.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const int reps = argc > 2 ? std::atoi(argv[2]) : 5;
  const size_t bytes = size_t{1} << 30;
  auto* data = static_cast<char*>(std::aligned_alloc(64, bytes));
  std::memset(data, 1, bytes);  // touch every page before timing
  std::vector<long long> sinks(threads);
  double best = 0.0;
  for (int rep = 0; rep < reps; ++rep) {
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        const size_t part = bytes / threads;
        const auto* p = reinterpret_cast<const __m256i*>(data + t * part);
        __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
        for (size_t i = 0; i < part / 32; i += 2) {
          acc0 = _mm256_add_epi64(acc0, _mm256_load_si256(p + i));
          acc1 = _mm256_add_epi64(acc1, _mm256_load_si256(p + i + 1));
        }
        sinks[t] = _mm256_extract_epi64(_mm256_add_epi64(acc0, acc1), 0);
      });
    }
    for (auto& th : pool) th.join();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, static_cast<double>(bytes) / s / 1e9);
  }
  long long sink = 0;
  for (long long v : sinks) sink += v;
  std::printf("%d threads: best read bandwidth %.2f GB/s (checksum %lld)\n", threads, best, sink);
  std::free(data);
  return 0;
}
