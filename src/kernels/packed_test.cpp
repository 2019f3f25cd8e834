// Packed weights (kernels/packed.h): the packing round trip, the packed GEMM against the
// scalar reference vec_dot, and the numerics contract (a batch equals its tokens one at a
// time, whatever the thread split), through MatMul and GetRow as the model uses them.
#include "kernels/packed.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <random>

#include "kernels/kernel_registry.h"
#include "kernels/kernels_test_util.h"
#include "kernels/matmul.h"
#include "kernels/packed_gemm_blocking.h"

namespace hearth::kernels {
namespace {

using testing::Dequantized;
using testing::QuantizedRow;
using testing::RandomFloats;
using testing::RandomRow;

constexpr TensorType kLegacyTypes[] = {TensorType::kQ4_0, TensorType::kQ4_1, TensorType::kQ5_0,
                                       TensorType::kQ5_1, TensorType::kQ8_0};

// A random [n_out, n_in] row-major weight and its packed copy (32-byte aligned).
struct TestWeight {
  std::vector<uint8_t> data;
  std::vector<std::vector<uint8_t>> rows;
  TensorView view;
  std::unique_ptr<uint8_t[], decltype(&std::free)> packed_data{nullptr, &std::free};
  TensorView packed;
};

TestWeight MakeWeight(TensorType type, int64_t n_in, int64_t n_out, std::mt19937& rng,
                      ThreadPool& pool) {
  TestWeight w;
  for (int64_t r = 0; r < n_out; ++r) {
    w.rows.push_back(RandomRow(type, n_in, rng));
    w.data.insert(w.data.end(), w.rows.back().begin(), w.rows.back().end());
  }
  w.view.name = "w";
  w.view.type = type;
  w.view.n_dims = 2;
  w.view.ne = {n_in, n_out, 1, 1};
  w.view.data = w.data.data();
  w.view.nbytes = w.data.size();
  const size_t padded = (w.data.size() + 31) / 32 * 32;
  w.packed_data.reset(static_cast<uint8_t*>(std::aligned_alloc(32, padded)));
  w.packed = PackWeight(w.view, w.packed_data.get(), pool);
  return w;
}

bool HavePackedKernels() { return IsaAvailable(Isa::kAvx2); }

// Token counts that reach every tile edge in both loop orders of the packed GEMMs: small
// batches (<= kSmallBatchTokens, each group through all tiles) and prompts (groups in
// blocks, expanded tiles).
std::vector<int64_t> TileEdgeTokenCounts() {
  std::vector<int64_t> counts;
  for (int64_t n = 1; n <= 13; ++n) counts.push_back(n);
  for (int64_t n = 1; n <= 7; ++n) counts.push_back(internal::kSmallBatchTokens + n);
  return counts;
}

TEST(PackedTest, CanPackNeedsWholeGroupsAndBlocks) {
  if (!HavePackedKernels()) GTEST_SKIP() << "this CPU has no AVX2";
  for (TensorType type : kLegacyTypes) {
    EXPECT_TRUE(CanPack(Isa::kAvx2, type, 16, 64)) << TensorTypeName(type);
    EXPECT_FALSE(CanPack(Isa::kAvx2, type, 12, 64)) << TensorTypeName(type);
    EXPECT_FALSE(CanPack(Isa::kAvx2, type, 16, 48)) << TensorTypeName(type);
    EXPECT_FALSE(CanPack(Isa::kScalar, type, 16, 64)) << TensorTypeName(type);
  }
  EXPECT_FALSE(CanPack(Isa::kAvx2, TensorType::kF32, 16, 64));
  EXPECT_FALSE(CanPack(Isa::kAvx2, TensorType::kF16, 16, 64));
}

TEST(PackedTest, UnpackRowInvertsPackWeight) {
  if (!HavePackedKernels()) GTEST_SKIP() << "this CPU has no AVX2";
  std::mt19937 rng(1);
  ThreadPool pool(2);
  for (TensorType type : kLegacyTypes) {
    SCOPED_TRACE(std::string(TensorTypeName(type)));
    const TestWeight w = MakeWeight(type, 96, 24, rng, pool);
    EXPECT_EQ(w.packed.layout, TensorLayout::kPacked);
    EXPECT_NE(std::memcmp(w.packed.data, w.data.data(), w.data.size()), 0) << "not rearranged";
    std::vector<uint8_t> row(w.view.row_bytes());
    for (int64_t r = 0; r < w.view.rows(); ++r) {
      UnpackRow(w.packed, r, row.data());
      EXPECT_EQ(row, w.rows[r]) << "row " << r;
    }
  }
}

// The packed GEMM (through MatMul) against the scalar reference vec_dot of each output,
// within f32 rounding of the block terms (the reference sums in another order).
TEST(PackedTest, GemmMatchesScalarVecDot) {
  if (!HavePackedKernels()) GTEST_SKIP() << "this CPU has no AVX2";
  const KernelSet& scalar = KernelsFor(Isa::kScalar);
  std::mt19937 rng(2);
  ThreadPool pool(2);
  for (TensorType type : kLegacyTypes) {
    for (auto [n_in, n_out] : {std::pair<int64_t, int64_t>{32, 8}, {576, 24}, {160, 40}}) {
      const TestWeight w = MakeWeight(type, n_in, n_out, rng, pool);
      const TensorType act_type = ActivationTypeFor(type);
      std::vector<std::vector<float>> row_values;
      for (const auto& row : w.rows) row_values.push_back(Dequantized(scalar, type, row, n_in));
      for (int64_t n_tokens = 1; n_tokens <= 17; ++n_tokens) {
        SCOPED_TRACE(
            fmt::format("{} {}x{} tokens={}", TensorTypeName(type), n_out, n_in, n_tokens));
        const std::vector<float> x = RandomFloats(n_in * n_tokens, rng);
        std::vector<float> y(n_out * n_tokens, NAN);
        MatMul(w.packed, x.data(), n_tokens, y.data(), pool, KernelsFor(Isa::kAvx2));
        for (int64_t t = 0; t < n_tokens; ++t) {
          const std::vector<float> xt(x.begin() + t * n_in, x.begin() + (t + 1) * n_in);
          const std::vector<uint8_t> a = QuantizedRow(scalar, act_type, xt);
          const std::vector<float> a_values = Dequantized(scalar, act_type, a, n_in);
          for (int64_t r = 0; r < n_out; ++r) {
            const float expected = scalar.vec_dot(type, n_in, w.rows[r].data(), a.data());
            double magnitude = 0.0;
            for (int64_t i = 0; i < n_in; ++i) {
              magnitude += std::fabs(row_values[r][i] * a_values[i]);
            }
            EXPECT_NEAR(y[t * n_out + r], expected, 1e-5 * magnitude + 1e-6)
                << "row " << r << " token " << t;
          }
        }
      }
    }
  }
}

// MatMul on the packed view equals MatMul on the row-major view (both quantize the
// activations alike; only the f32 order over blocks differs), and on an ISA without packed
// kernels the packed view falls back to unpacked rows and gives the row-major numbers.
TEST(PackedTest, MatMulPackedMatchesRowMajor) {
  if (!HavePackedKernels()) GTEST_SKIP() << "this CPU has no AVX2";
  std::mt19937 rng(3);
  ThreadPool pool(2);
  for (TensorType type : kLegacyTypes) {
    SCOPED_TRACE(std::string(TensorTypeName(type)));
    const int64_t n_in = 256, n_out = 48, n_tokens = 5;
    const TestWeight w = MakeWeight(type, n_in, n_out, rng, pool);
    const std::vector<float> x = RandomFloats(n_in * n_tokens, rng);
    std::vector<float> packed(n_out * n_tokens), row_major(n_out * n_tokens);
    MatMul(w.packed, x.data(), n_tokens, packed.data(), pool, KernelsFor(Isa::kAvx2));
    MatMul(w.view, x.data(), n_tokens, row_major.data(), pool, KernelsFor(Isa::kAvx2));
    float max_abs = 0.0f;
    for (float v : row_major) max_abs = std::max(max_abs, std::fabs(v));
    for (size_t i = 0; i < packed.size(); ++i) {
      EXPECT_NEAR(packed[i], row_major[i], 1e-5f * max_abs) << "index " << i;
    }
    std::vector<float> fallback(n_out * n_tokens), scalar(n_out * n_tokens);
    MatMul(w.packed, x.data(), n_tokens, fallback.data(), pool, KernelsFor(Isa::kScalar));
    MatMul(w.view, x.data(), n_tokens, scalar.data(), pool, KernelsFor(Isa::kScalar));
    EXPECT_EQ(fallback, scalar);
  }
}

// A weight whose rows are row-major copies of `rows` (each n_in values of `type`), packed.
TestWeight WeightFromRows(TensorType type, int64_t n_in,
                          const std::vector<std::vector<uint8_t>>& rows, ThreadPool& pool) {
  TestWeight w;
  w.rows = rows;
  for (const auto& row : rows) w.data.insert(w.data.end(), row.begin(), row.end());
  w.view.name = "w";
  w.view.type = type;
  w.view.n_dims = 2;
  w.view.ne = {n_in, static_cast<int64_t>(rows.size()), 1, 1};
  w.view.data = w.data.data();
  w.view.nbytes = w.data.size();
  w.packed_data.reset(
      static_cast<uint8_t*>(std::aligned_alloc(32, (w.data.size() + 31) / 32 * 32)));
  w.packed = PackWeight(w.view, w.packed_data.get(), pool);
  return w;
}

// n_out rows of n_in values of `type`: random, or (extreme) the rows that bound the int16 pair
// sums: per block one value at the most negative level and the others at the top level.
std::vector<std::vector<uint8_t>> TestRows(TensorType type, int64_t n_in, int64_t n_out,
                                           bool extreme, std::mt19937& rng) {
  const KernelSet& scalar = KernelsFor(Isa::kScalar);
  std::vector<std::vector<uint8_t>> rows;
  for (int64_t r = 0; r < n_out; ++r) {
    if (!extreme) {
      rows.push_back(RandomRow(type, n_in, rng));
      continue;
    }
    std::vector<float> values(n_in, type == TensorType::kQ8_0 ? 8.0f : 7.0f);
    for (int64_t i = 0; i < n_in; i += 32) values[i] = -8.0f;
    rows.push_back(QuantizedRow(scalar, type, values));
  }
  return rows;
}

// With many row groups per call the GEMM expands each token tile's activations once per range
// of blocks and shares them across the groups; with few it broadcasts in place. Both must give
// the scalar vec_dot's value per output, and the same bits as each other, for every tile edge
// (small batches and prompts), an odd number of groups, several block ranges, and the extreme
// values that bound the int16 pair sums (every weight at its largest magnitude bar one, activations
// all +-127).
TEST(PackedTest, ExpandedAndInPlaceTilesMatchScalarVecDot) {
  if (!HavePackedKernels()) GTEST_SKIP() << "this CPU has no AVX2";
  const KernelSet& scalar = KernelsFor(Isa::kScalar);
  std::mt19937 rng(6);
  ThreadPool pool(1);                        // one call sees every group
  const int64_t n_in = 32 * 30, n_out = 72;  // 30 blocks (3 ranges), 9 groups
  for (TensorType type : kLegacyTypes) {
    for (bool extreme : {false, true}) {
      const std::vector<std::vector<uint8_t>> rows = TestRows(type, n_in, n_out, extreme, rng);
      const TestWeight w = WeightFromRows(type, n_in, rows, pool);
      const std::vector<std::vector<uint8_t>> first_rows(rows.begin(), rows.begin() + 24);
      const TestWeight few = WeightFromRows(type, n_in, first_rows, pool);  // 3 groups: in place
      const TensorType act_type = ActivationTypeFor(type);
      for (int64_t n_tokens : TileEdgeTokenCounts()) {
        SCOPED_TRACE(
            fmt::format("{} extreme={} tokens={}", TensorTypeName(type), extreme, n_tokens));
        std::vector<float> x = RandomFloats(n_in * n_tokens, rng);
        if (extreme) {
          for (int64_t i = 0; i < n_in * n_tokens; ++i) x[i] = (i / n_in) % 2 == 0 ? 1.0f : -1.0f;
        }
        std::vector<float> y(n_out * n_tokens, NAN), y_few(24 * n_tokens, NAN);
        MatMul(w.packed, x.data(), n_tokens, y.data(), pool, KernelsFor(Isa::kAvx2));
        MatMul(few.packed, x.data(), n_tokens, y_few.data(), pool, KernelsFor(Isa::kAvx2));
        for (int64_t t = 0; t < n_tokens; ++t) {
          const std::vector<float> xt(x.begin() + t * n_in, x.begin() + (t + 1) * n_in);
          const std::vector<uint8_t> a = QuantizedRow(scalar, act_type, xt);
          for (int64_t r = 0; r < n_out; ++r) {
            const float expected = scalar.vec_dot(type, n_in, rows[r].data(), a.data());
            EXPECT_NEAR(y[t * n_out + r], expected, 1e-5 * std::fabs(expected) + 1e-3)
                << "row " << r << " token " << t;
            if (r < 24) {
              ASSERT_EQ(y[t * n_out + r], y_few[t * 24 + r]) << "row " << r << " token " << t;
            }
          }
        }
      }
    }
  }
}

// Long rows: the GEMM takes the row groups a few at a time (their weights kept in L2 across the
// token tiles); each output still equals its value from a call on fewer groups, bit for bit.
TEST(PackedTest, GroupBlocksOfLongRowsEqualFewGroups) {
  if (!HavePackedKernels()) GTEST_SKIP() << "this CPU has no AVX2";
  std::mt19937 rng(7);
  ThreadPool pool(1);
  // Q4_0: 57.6 KB per group; a prompt's token count (groups taken in blocks).
  const int64_t n_in = 32 * 400, n_out = 72, n_tokens = internal::kSmallBatchTokens + 7;
  for (TensorType type : {TensorType::kQ4_0, TensorType::kQ8_0}) {
    SCOPED_TRACE(std::string(TensorTypeName(type)));
    std::vector<std::vector<uint8_t>> rows;
    for (int64_t r = 0; r < n_out; ++r) rows.push_back(RandomRow(type, n_in, rng));
    const TestWeight w = WeightFromRows(type, n_in, rows, pool);
    const std::vector<float> x = RandomFloats(n_in * n_tokens, rng);
    std::vector<float> y(n_out * n_tokens, NAN);
    MatMul(w.packed, x.data(), n_tokens, y.data(), pool, KernelsFor(Isa::kAvx2));
    for (int64_t g0 = 0; g0 < n_out; g0 += 24) {  // 3 groups a call
      const std::vector<std::vector<uint8_t>> part(rows.begin() + g0, rows.begin() + g0 + 24);
      const TestWeight few = WeightFromRows(type, n_in, part, pool);
      std::vector<float> y_few(24 * n_tokens, NAN);
      MatMul(few.packed, x.data(), n_tokens, y_few.data(), pool, KernelsFor(Isa::kAvx2));
      for (int64_t t = 0; t < n_tokens; ++t) {
        for (int64_t r = 0; r < 24; ++r) {
          ASSERT_EQ(y[t * n_out + g0 + r], y_few[t * 24 + r]) << "row " << g0 + r << " token " << t;
        }
      }
    }
  }
}

TEST(PackedTest, GetRowOnPackedEqualsRowMajor) {
  if (!HavePackedKernels()) GTEST_SKIP() << "this CPU has no AVX2";
  std::mt19937 rng(4);
  ThreadPool pool(2);
  for (TensorType type : kLegacyTypes) {
    SCOPED_TRACE(std::string(TensorTypeName(type)));
    const TestWeight w = MakeWeight(type, 64, 16, rng, pool);
    for (int64_t r = 0; r < 16; ++r) {
      std::vector<float> packed(64), row_major(64);
      GetRow(w.packed, r, packed.data());
      GetRow(w.view, r, row_major.data());
      EXPECT_EQ(packed, row_major) << "row " << r;
    }
  }
}

// A batch equals its tokens one at a time bit for bit, for 1 to 3 threads (different row
// group splits) and batch sizes that leave ragged token tiles.
TEST(PackedTest, BatchEqualsTokenByTokenForAnyThreadSplit) {
  if (!HavePackedKernels()) GTEST_SKIP() << "this CPU has no AVX2";
  std::mt19937 rng(5);
  ThreadPool setup(1);
  for (TensorType type : kLegacyTypes) {
    SCOPED_TRACE(std::string(TensorTypeName(type)));
    // A small batch and a prompt (the GEMM's two loop orders).
    for (const int64_t n_tokens : {int64_t{13}, internal::kSmallBatchTokens + 7}) {
      const int64_t n_in = 192, n_out = 56;
      const TestWeight w = MakeWeight(type, n_in, n_out, rng, setup);
      const std::vector<float> x = RandomFloats(n_in * n_tokens, rng);
      std::vector<float> reference;
      for (int threads : {1, 2, 3}) {
        ThreadPool pool(threads);
        std::vector<float> batch(n_out * n_tokens, NAN), single(n_out * n_tokens, NAN);
        MatMul(w.packed, x.data(), n_tokens, batch.data(), pool, KernelsFor(Isa::kAvx2));
        for (int64_t t = 0; t < n_tokens; ++t) {
          MatMul(w.packed, x.data() + t * n_in, 1, single.data() + t * n_out, pool,
                 KernelsFor(Isa::kAvx2));
        }
        for (size_t i = 0; i < batch.size(); ++i) ASSERT_EQ(batch[i], single[i]) << "index " << i;
        if (reference.empty()) reference = batch;
        EXPECT_EQ(batch, reference) << threads << " threads";
      }
    }
  }
}

// MatMulMany equals one MatMul per product bit for bit: products sharing one activation
// type (one quantization and one dispatch), mixed activation types, a row-major weight and
// more products than one dispatch takes (the fallbacks), for 1 and 6 tokens and 1-3 threads.
TEST(PackedTest, MatMulManyEqualsOneMatMulPerProduct) {
  if (!HavePackedKernels()) GTEST_SKIP() << "this CPU has no AVX2";
  std::mt19937 rng(6);
  ThreadPool setup(1);
  const int64_t n_in = 512;
  struct Spec {
    TensorType type;
    int64_t n_out;
  };
  const std::vector<std::vector<Spec>> cases = {
      {{TensorType::kQ4_0, 64}, {TensorType::kQ4_0, 16}, {TensorType::kQ4_0, 16}},
      {{TensorType::kQ8_0, 24}, {TensorType::kQ5_0, 40}},
      {{TensorType::kQ4_K, 32}, {TensorType::kQ6_K, 8}, {TensorType::kQ5_K, 16}},
      {{TensorType::kQ4_1, 16}, {TensorType::kQ4_0, 8}},
      {{TensorType::kQ5_1, 8},
       {TensorType::kQ5_1, 8},
       {TensorType::kQ5_1, 8},
       {TensorType::kQ5_1, 8},
       {TensorType::kQ5_1, 16}},
  };
  for (size_t c = 0; c < cases.size(); ++c) {
    std::vector<TestWeight> weights;
    for (const Spec& spec : cases[c])
      weights.push_back(MakeWeight(spec.type, n_in, spec.n_out, rng, setup));
    for (bool row_major_first : {false, true}) {
      for (int64_t n_tokens : {1, 6}) {
        const std::vector<float> x = RandomFloats(n_in * n_tokens, rng);
        for (int threads : {1, 2, 3}) {
          SCOPED_TRACE(fmt::format("case {} row_major_first={} n_tokens={} threads={}", c,
                                   row_major_first, n_tokens, threads));
          ThreadPool pool(threads);
          std::vector<std::vector<float>> many, alone;
          std::vector<LinearOutput> products;
          for (size_t i = 0; i < weights.size(); ++i) {
            many.emplace_back(weights[i].packed.rows() * n_tokens, NAN);
            alone.emplace_back(weights[i].packed.rows() * n_tokens, NAN);
            const TensorView& w = row_major_first && i == 0 ? weights[i].view : weights[i].packed;
            products.push_back({&w, many.back().data()});
            MatMul(w, x.data(), n_tokens, alone.back().data(), pool, KernelsFor(Isa::kAvx2));
          }
          MatMulMany(products, x.data(), n_tokens, pool, KernelsFor(Isa::kAvx2));
          for (size_t i = 0; i < weights.size(); ++i)
            EXPECT_EQ(many[i], alone[i]) << "product " << i;
        }
      }
    }
  }
}

// The AMX GEMM (Isa::kAvx512 where the CPU has AMX) equals the AVX2 packed GEMM bit for bit:
// token counts around the 16-token tile (under a tile, a tail, several tiles), odd and even row
// group counts (an odd last group is paired with itself), 1-3 threads (other group splits), odd and
// even block counts (the software pipeline's edges), and the extreme values of
// ExpandedAndInPlaceTiles.
TEST(PackedTest, AmxGemmEqualsAvx2Gemm) {
  if (!internal::AmxAvailable()) GTEST_SKIP() << "this CPU (or OS) offers no AMX-INT8";
  std::mt19937 rng(8);
  ThreadPool setup(1);
  for (TensorType type : kLegacyTypes) {
    ASSERT_EQ(internal::PackedKernelsFor(Isa::kAvx512, type).gemm,
              internal::AmxPackedLegacyGemm(type))
        << TensorTypeName(type) << ": AVX-512 prompts must take the AMX GEMM";
    for (auto [n_in, n_out] : {std::pair<int64_t, int64_t>{32 * 7, 24}, {576, 48}, {96, 8}}) {
      for (bool extreme : {false, true}) {
        const std::vector<std::vector<uint8_t>> rows = TestRows(type, n_in, n_out, extreme, rng);
        const TestWeight w = WeightFromRows(type, n_in, rows, setup);
        for (int64_t n_tokens : {1, 15, 16, 17, 31, 32, 33, 50}) {
          std::vector<float> x = RandomFloats(n_in * n_tokens, rng);
          if (extreme) {
            for (int64_t i = 0; i < n_in * n_tokens; ++i) x[i] = (i / n_in) % 2 == 0 ? 1.0f : -1.0f;
          }
          std::vector<float> avx2(n_out * n_tokens, NAN);
          MatMul(w.packed, x.data(), n_tokens, avx2.data(), setup, KernelsFor(Isa::kAvx2));
          for (int threads : {1, 2, 3}) {
            SCOPED_TRACE(fmt::format("{} {}x{} extreme={} tokens={} threads={}",
                                     TensorTypeName(type), n_out, n_in, extreme, n_tokens,
                                     threads));
            ThreadPool pool(threads);
            std::vector<float> amx(n_out * n_tokens, NAN);
            MatMul(w.packed, x.data(), n_tokens, amx.data(), pool, KernelsFor(Isa::kAvx512));
            for (size_t i = 0; i < amx.size(); ++i) ASSERT_EQ(amx[i], avx2[i]) << "index " << i;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace hearth::kernels
