// The AMX packed K-quant GEMMs (packed_kquant_amx.cpp) against the AVX2 packed GEMM: MatMul on
// the AVX-512 kernels (which take AMX) must return the AVX2 kernels' bits exactly, for every
// batch size (tiles of 16 tokens and their tails), thread split (pairs of row groups and an
// odd group left over) and extreme weights and activations. A disabled microbenchmark times
// both on one thread.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/float16.h"
#include "kernels/kernel_registry.h"
#include "kernels/kernels_test_util.h"
#include "kernels/matmul.h"
#include "kernels/packed.h"

namespace hearth::kernels {
namespace {

constexpr TensorType kTypes[] = {TensorType::kQ4_K, TensorType::kQ5_K, TensorType::kQ6_K};

// A [n_out, n_in] weight of `type` (rows from make_row), packed.
struct PackedTestWeight {
  std::vector<uint8_t> data;
  TensorView view;
  std::unique_ptr<uint8_t[], decltype(&std::free)> packed_data{nullptr, &std::free};
  TensorView packed;
};

template <typename MakeRow>
std::unique_ptr<PackedTestWeight> MakePacked(TensorType type, int64_t n_in, int64_t n_out,
                                             MakeRow make_row, ThreadPool& pool) {
  auto w = std::make_unique<PackedTestWeight>();
  for (int64_t r = 0; r < n_out; ++r) {
    const std::vector<uint8_t> row = make_row();
    w->data.insert(w->data.end(), row.begin(), row.end());
  }
  w->view.name = "w";
  w->view.type = type;
  w->view.n_dims = 2;
  w->view.ne = {n_in, n_out, 1, 1};
  w->view.data = w->data.data();
  w->view.nbytes = w->data.size();
  w->packed_data.reset(
      static_cast<uint8_t*>(std::aligned_alloc(32, (w->data.size() + 31) / 32 * 32)));
  w->packed = PackWeight(w->view, w->packed_data.get(), pool);
  return w;
}

// Every payload byte 0xff (Q4_K/Q5_K: all scales, mins and values maximal; Q6_K: values 31,
// scales -1), the fp16 fields finite.
std::vector<uint8_t> ExtremeRow(TensorType type, int64_t n, std::mt19937& rng) {
  std::vector<uint8_t> row = testing::RandomRow(type, n, rng);
  const uint64_t block_bytes = TraitsOf(type).block_bytes;
  std::vector<uint8_t> fp16(row.size());
  for (size_t b = 0; b < row.size() / block_bytes; ++b) {
    for (int offset : testing::Fp16FieldOffsets(type)) {
      std::memcpy(&fp16[b * block_bytes + offset], &row[b * block_bytes + offset], 2);
    }
  }
  std::fill(row.begin(), row.end(), 0xff);
  for (size_t b = 0; b < row.size() / block_bytes; ++b) {
    for (int offset : testing::Fp16FieldOffsets(type)) {
      std::memcpy(&row[b * block_bytes + offset], &fp16[b * block_bytes + offset], 2);
    }
  }
  return row;
}

// MatMul of the AVX-512 kernels (AMX) equals the AVX2 kernels' exactly.
void ExpectAmxEqualsAvx2(const TensorView& w, const std::vector<float>& x, int64_t n_tokens,
                         ThreadPool& pool) {
  const int64_t n_out = w.ne[1];
  std::vector<float> amx(n_tokens * n_out, -1.0f), avx2(n_tokens * n_out, -2.0f);
  MatMul(w, x.data(), n_tokens, amx.data(), pool, KernelsFor(Isa::kAvx512));
  MatMul(w, x.data(), n_tokens, avx2.data(), pool, KernelsFor(Isa::kAvx2));
  ASSERT_EQ(std::memcmp(amx.data(), avx2.data(), amx.size() * sizeof(float)), 0);
}

bool SkipWithoutAmx() { return !internal::AmxAvailable(); }
constexpr const char* kNoAmx =
    "AMX unavailable (no AVX-512/AMX-INT8 on this CPU, no tile state from the OS, or "
    "HEARTH_AMX=0)";

TEST(PackedKQuantAmxTest, DispatchTakesTheAmxGemm) {
  if (SkipWithoutAmx()) GTEST_SKIP() << kNoAmx;
  for (TensorType type : kTypes) {
    ASSERT_NE(internal::AmxPackedKQuantGemm(type), nullptr) << TensorTypeName(type);
    EXPECT_EQ(internal::PackedKernelsFor(Isa::kAvx512, type).gemm,
              internal::AmxPackedKQuantGemm(type))
        << TensorTypeName(type);
  }
  EXPECT_EQ(internal::AmxPackedKQuantGemm(TensorType::kQ4_0), nullptr);
}

TEST(PackedKQuantAmxTest, EqualsAvx2BitForBit) {
  if (SkipWithoutAmx()) GTEST_SKIP() << kNoAmx;
  struct Shape {
    int64_t n_in, n_out;
  };
  std::mt19937 rng(11);
  for (TensorType type : kTypes) {
    for (const Shape shape : {Shape{256, 24}, Shape{512, 40}, Shape{1024, 16}}) {
      ThreadPool setup(1);
      const auto w = MakePacked(
          type, shape.n_in, shape.n_out, [&] { return testing::RandomRow(type, shape.n_in, rng); },
          setup);
      for (int threads : {1, 2, 3}) {
        ThreadPool pool(threads);
        for (int64_t n_tokens : {1, 15, 16, 17, 31, 32, 33, 47, 64, 100}) {
          SCOPED_TRACE(fmt::format("{} {}x{} threads={} tokens={}", TensorTypeName(type),
                                   shape.n_in, shape.n_out, threads, n_tokens));
          const std::vector<float> x = testing::RandomFloats(n_tokens * shape.n_in, rng);
          ExpectAmxEqualsAvx2(w->packed, x, n_tokens, pool);
        }
      }
    }
  }
}

// Weights at their largest magnitudes against activations that quantize to +-127.
TEST(PackedKQuantAmxTest, ExtremeValuesEqualAvx2) {
  if (SkipWithoutAmx()) GTEST_SKIP() << kNoAmx;
  std::mt19937 rng(12);
  constexpr int64_t kIn = 768, kOut = 40, kTokens = 48;
  ThreadPool pool(2);
  for (TensorType type : kTypes) {
    SCOPED_TRACE(TensorTypeName(type));
    const auto w = MakePacked(
        type, kIn, kOut, [&] { return ExtremeRow(type, kIn, rng); }, pool);
    std::vector<float> x(kTokens * kIn);
    for (int64_t i = 0; i < kTokens * kIn; ++i) x[i] = (i / 3 + i / kIn) % 2 == 0 ? 4.0f : -4.0f;
    ExpectAmxEqualsAvx2(w->packed, x, kTokens, pool);
    std::fill(x.begin(), x.end(), -4.0f);
    ExpectAmxEqualsAvx2(w->packed, x, kTokens, pool);
  }
}

// Milliseconds of MatMul (best of 3) on a 2048 x 5632 weight ([n_out, n_in]) with 512 tokens,
// one thread: AMX (AVX-512 kernels) against AVX2. Run with --gtest_also_run_disabled_tests.
TEST(PackedKQuantAmxTest, DISABLED_Bench) {
  if (SkipWithoutAmx()) GTEST_SKIP() << kNoAmx;
  constexpr int64_t kIn = 5632, kOut = 2048, kTokens = 512;
  std::mt19937 rng(13);
  ThreadPool pool(1);
  const std::vector<float> x = testing::RandomFloats(kTokens * kIn, rng);
  std::vector<float> y(kTokens * kOut);
  for (TensorType type : kTypes) {
    const auto w = MakePacked(
        type, kIn, kOut, [&] { return testing::RandomRow(type, kIn, rng); }, pool);
    const auto ms = [&](Isa isa) {
      double best = 1e30;
      for (int rep = 0; rep < 3; ++rep) {
        const auto start = std::chrono::steady_clock::now();
        MatMul(w->packed, x.data(), kTokens, y.data(), pool, KernelsFor(isa));
        best = std::min(best, std::chrono::duration<double, std::milli>(
                                  std::chrono::steady_clock::now() - start)
                                  .count());
      }
      return best;
    };
    const double amx = ms(Isa::kAvx512), avx2 = ms(Isa::kAvx2);
    const double macs = static_cast<double>(kIn) * kOut * kTokens;
    fmt::print(
        "{} {}x{} x {} tokens, 1 thread: AMX {:.1f} ms ({:.0f} GMAC/s), AVX2 {:.1f} ms "
        "({:.0f} GMAC/s): {:.2f}x\n",
        TensorTypeName(type), kOut, kIn, kTokens, amx, macs / amx * 1e-6, avx2, macs / avx2 * 1e-6,
        avx2 / amx);
  }
}

}  // namespace
}  // namespace hearth::kernels
