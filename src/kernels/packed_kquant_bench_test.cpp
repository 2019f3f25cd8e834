// Microbenchmark (disabled by default; not a timed test) of the packed K-quant kernels against
// today's row-major paths: vec_dot per row for one token (GEMV) and the row-major K-quant GEMM
// for batches. Run with
//   hearth_tests --gtest_also_run_disabled_tests --gtest_filter='*PackedKQuantBench*'
// GEMV streams matrices totalling more than the L3 cache (memory bandwidth, GB/s of weights);
// GEMM multiplies 256x2048 weights (in L2) by a batch (multiply-adds per TSC cycle).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <x86intrin.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "kernels/kernel_registry.h"
#include "kernels/kernels_test_util.h"
#include "kernels/packed.h"
#include "kernels/quant_blocks.h"

namespace hearth::kernels {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int64_t kRows = 2048, kCols = 2048;
// Rows of the GEMM measurement: their weights (295 KB of Q4_K, 430 KB of Q6_K) stay in L2.
constexpr int64_t kGemmRows = 256;

struct Matrix {
  std::vector<uint8_t> rows;  // row-major
  uint8_t* packed = nullptr;  // 32-byte aligned copy, packed
};

struct BenchWeights {
  TensorType type;
  uint64_t row_bytes;
  std::vector<Matrix> copies;
  ~BenchWeights() {
    for (auto& m : copies) std::free(m.packed);
  }
};

// `n_copies` distinct copies of one random matrix (distinct memory, so GEMV over all of them
// cannot run from cache).
void MakeSetup(BenchWeights& s, TensorType type, int n_copies) {
  std::mt19937 rng(1);
  s.type = type;
  s.row_bytes = kCols / kQkK * TraitsOf(type).block_bytes;
  std::vector<uint8_t> rows;
  for (int64_t r = 0; r < kRows; ++r) {
    const auto row = testing::RandomRow(type, kCols, rng);
    rows.insert(rows.end(), row.begin(), row.end());
  }
  const auto k = internal::Avx2PackedKQuant(type);
  const uint64_t group_bytes = kPackRows * s.row_bytes;
  s.copies.resize(n_copies);
  for (auto& m : s.copies) {
    m.rows = rows;
    m.packed = static_cast<uint8_t*>(std::aligned_alloc(32, rows.size()));
    for (int64_t g = 0; g < kRows / kPackRows; ++g) {
      k.pack(rows.data() + g * group_bytes, s.row_bytes, m.packed + g * group_bytes);
    }
  }
}

std::vector<uint8_t> Activations(int64_t n_tokens) {
  std::mt19937 rng(2);
  const uint64_t row_bytes = kCols / kQkK * sizeof(BlockQ8_K);
  std::vector<uint8_t> act(n_tokens * row_bytes);
  const auto quantize = internal::ScalarTypeKernels(TensorType::kQ8_K).quantize;
  for (int64_t t = 0; t < n_tokens; ++t) {
    const auto x = testing::RandomFloats(kCols, rng);
    quantize(x.data(), act.data() + t * row_bytes, kCols);
  }
  return act;
}

void PackedGemv(const BenchWeights& s, const Matrix& m, const uint8_t* act, int64_t g0,
                int64_t n_groups, float* y, int64_t n_tokens) {
  internal::PackedGemmArgs a;
  a.w = m.packed + g0 * kPackRows * s.row_bytes;
  a.group_bytes = kPackRows * s.row_bytes;
  a.n_groups = n_groups;
  a.n_blocks = kCols / kQkK;
  a.n_tokens = n_tokens;
  a.act_rows = act;
  a.act_row_bytes = kCols / kQkK * sizeof(BlockQ8_K);
  a.y = y + g0 * kPackRows;
  a.y_stride = kRows;
  internal::Avx2PackedKQuant(s.type).gemm(a);
}

void VecDotGemv(const BenchWeights& s, const Matrix& m, const uint8_t* act, int64_t g0,
                int64_t n_groups, float* y) {
  const auto vec_dot = internal::Avx2TypeKernels(s.type).vec_dot;
  for (int64_t r = g0 * kPackRows; r < (g0 + n_groups) * kPackRows; ++r) {
    y[r] = vec_dot(kCols, m.rows.data() + r * s.row_bytes, act);
  }
}

// Weight GB/s of one GEMV pass over every copy on n_threads threads (best of 5).
template <typename Fn>
double GemvGBs(const BenchWeights& s, int n_threads, Fn fn) {
  double best = 1e30;
  for (int rep = 0; rep < 5; ++rep) {
    const auto start = Clock::now();
    std::vector<std::thread> threads;
    const int64_t n_groups = kRows / kPackRows, per = n_groups / n_threads;
    for (int i = 0; i < n_threads; ++i) {
      threads.emplace_back([&, i] {
        for (const Matrix& m : s.copies) fn(m, i * per, per);
      });
    }
    for (auto& t : threads) t.join();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
  }
  return static_cast<double>(s.copies.size() * kRows * s.row_bytes) / best * 1e-9;
}

// Multiply-adds per TSC cycle of fn (one in-cache matrix, n_tokens), best of 5.
template <typename Fn>
double MacsPerCycle(int64_t n_tokens, Fn fn) {
  fn();  // warm the caches
  uint64_t best = ~0ull;
  for (int rep = 0; rep < 5; ++rep) {
    const uint64_t start = __rdtsc();
    fn();
    best = std::min<uint64_t>(best, __rdtsc() - start);
  }
  return static_cast<double>(kGemmRows * kCols * n_tokens) / static_cast<double>(best);
}

TEST(PackedKQuantBench, DISABLED_GemvAndGemmAgainstRowMajor) {
  if (!IsaAvailable(Isa::kAvx2)) GTEST_SKIP() << "this CPU has no AVX2";
  for (TensorType type : {TensorType::kQ4_K, TensorType::kQ5_K, TensorType::kQ6_K}) {
    BenchWeights s;
    MakeSetup(s, type, 24);  // 56 MB of Q4_K, 81 MB of Q6_K: beyond the 32 MB L3
    const auto act1 = Activations(1);
    std::vector<float> y(kRows * 512);
    for (int n_threads : {1, 2}) {
      for (int round = 0; round < 2; ++round) {  // interleaved A B A B
        const double packed = GemvGBs(s, n_threads, [&](const Matrix& m, int64_t g0, int64_t n) {
          PackedGemv(s, m, act1.data(), g0, n, y.data(), 1);
        });
        const double row_major = GemvGBs(s, n_threads, [&](const Matrix& m, int64_t g0, int64_t n) {
          VecDotGemv(s, m, act1.data(), g0, n, y.data());
        });
        fmt::print(
            "{} GEMV {}x{} threads={}: packed {:.1f} GB/s, vec_dot rows {:.1f} GB/s ({:.2f}x)\n",
            TensorTypeName(type), kRows, kCols, n_threads, packed, row_major, packed / row_major);
      }
    }
    for (int64_t n_tokens : {1, 16, 128}) {
      const auto act = Activations(n_tokens);
      const Matrix& m = s.copies[0];
      const double packed = MacsPerCycle(n_tokens, [&] {
        PackedGemv(s, m, act.data(), 0, kGemmRows / kPackRows, y.data(), n_tokens);
      });
      internal::GemmArgs g;
      g.n_blocks = kCols / kQkK;
      g.w = m.rows.data();
      g.w_stride = s.row_bytes;
      g.n_rows = kGemmRows;
      g.n_tokens = n_tokens;
      g.act_rows = act.data();
      g.act_row_bytes = kCols / kQkK * sizeof(BlockQ8_K);
      g.y = y.data();
      g.y_stride = kRows;
      const auto gemm = internal::Avx2KQuantGemm(type);
      // One token: MatMul's row-major path is vec_dot per row, not the GEMM.
      const double row_major =
          n_tokens == 1
              ? MacsPerCycle(
                    1, [&] { VecDotGemv(s, m, act.data(), 0, kGemmRows / kPackRows, y.data()); })
              : MacsPerCycle(n_tokens, [&] { gemm(g); });
      fmt::print(
          "{} GEMM {}x{} tokens={} (1 thread, weights in L2): packed {:.1f} MAC/cycle, "
          "row-major {} {:.1f} MAC/cycle ({:.2f}x)\n",
          TensorTypeName(type), kGemmRows, kCols, n_tokens, packed,
          n_tokens == 1 ? "vec_dot" : "gemm_k", row_major, packed / row_major);
    }
  }
}

}  // namespace
}  // namespace hearth::kernels
