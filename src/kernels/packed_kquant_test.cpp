// The packed K-quant kernels (Avx2PackedKQuant) against independent references: packing is
// undone exactly by unpacking, the packed GEMM equals the scalar vec_dot (bit for bit when
// every float operation is exact, within f32 rounding otherwise), and a batch gives the same
// bits as its tokens one at a time or as any split of the row groups.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "kernels/float16.h"
#include "kernels/kernel_registry.h"
#include "kernels/kernels_test_util.h"
#include "kernels/packed.h"
#include "kernels/packed_gemm_blocking.h"
#include "kernels/quant_blocks.h"

namespace hearth::kernels {
namespace {

using internal::PackedGemmArgs;
using internal::PackedTypeKernels;
using testing::RandomFloats;
using testing::RandomRow;

constexpr TensorType kPackedKTypes[] = {TensorType::kQ4_K, TensorType::kQ5_K, TensorType::kQ6_K};

struct FreeDeleter {
  void operator()(uint8_t* p) const { std::free(p); }
};
using AlignedBytes = std::unique_ptr<uint8_t[], FreeDeleter>;

AlignedBytes Aligned32(uint64_t n) {
  return AlignedBytes(static_cast<uint8_t*>(std::aligned_alloc(32, (n + 31) / 32 * 32)));
}

uint64_t BlockBytes(TensorType type) { return TraitsOf(type).block_bytes; }

// A weight of n_rows row-major rows of n_cols values, and its packed copy.
struct Weight {
  TensorType type;
  int64_t n_rows = 0, n_cols = 0;
  uint64_t row_bytes = 0;
  std::vector<uint8_t> rows;
  AlignedBytes packed;

  int64_t n_groups() const { return n_rows / kPackRows; }
  uint64_t group_bytes() const { return kPackRows * row_bytes; }
};

Weight PackedWeight(TensorType type, std::vector<uint8_t> rows, int64_t n_rows, int64_t n_cols) {
  Weight w{type, n_rows, n_cols, n_cols / kQkK * BlockBytes(type), std::move(rows), nullptr};
  w.packed = Aligned32(w.rows.size());
  const PackedTypeKernels k = internal::Avx2PackedKQuant(type);
  for (int64_t g = 0; g < w.n_groups(); ++g) {
    k.pack(w.rows.data() + g * w.group_bytes(), w.row_bytes, w.packed.get() + g * w.group_bytes());
  }
  return w;
}

Weight RandomWeight(TensorType type, int64_t n_rows, int64_t n_cols, std::mt19937& rng) {
  std::vector<uint8_t> rows;
  for (int64_t r = 0; r < n_rows; ++r) {
    const std::vector<uint8_t> row = RandomRow(type, n_cols, rng);
    rows.insert(rows.end(), row.begin(), row.end());
  }
  return PackedWeight(type, std::move(rows), n_rows, n_cols);
}

// [n_tokens] Q8_K rows of random activations, quantized by the scalar reference.
std::vector<uint8_t> RandomActivations(int64_t n_tokens, int64_t n_cols, std::mt19937& rng) {
  const auto quantize = internal::ScalarTypeKernels(TensorType::kQ8_K).quantize;
  const uint64_t row_bytes = n_cols / kQkK * sizeof(BlockQ8_K);
  std::vector<uint8_t> act(n_tokens * row_bytes);
  for (int64_t t = 0; t < n_tokens; ++t) {
    const std::vector<float> x = RandomFloats(n_cols, rng);
    quantize(x.data(), act.data() + t * row_bytes, n_cols);
  }
  return act;
}

// y[t * n_rows + r] by the packed GEMM over groups [g0, g0 + n_groups) and tokens [t0, t0 + n).
void PackedGemm(const Weight& w, const std::vector<uint8_t>& act, int64_t t0, int64_t n_tokens,
                int64_t g0, int64_t n_groups, std::vector<float>& y) {
  const uint64_t act_row_bytes = act.size() / (y.size() / w.n_rows);
  PackedGemmArgs args;
  args.w = w.packed.get() + g0 * w.group_bytes();
  args.group_bytes = w.group_bytes();
  args.n_groups = n_groups;
  args.n_blocks = w.n_cols / kQkK;
  args.n_tokens = n_tokens;
  args.act_rows = act.data() + t0 * act_row_bytes;
  args.act_row_bytes = act_row_bytes;
  args.y = y.data() + t0 * w.n_rows + g0 * kPackRows;
  args.y_stride = w.n_rows;
  internal::Avx2PackedKQuant(w.type).gemm(args);
}

std::vector<float> PackedGemmAll(const Weight& w, const std::vector<uint8_t>& act,
                                 int64_t n_tokens) {
  std::vector<float> y(n_tokens * w.n_rows, NAN);
  PackedGemm(w, act, 0, n_tokens, 0, w.n_groups(), y);
  return y;
}

float ScalarDot(const Weight& w, int64_t r, const std::vector<uint8_t>& act, int64_t t) {
  const uint64_t act_row_bytes = w.n_cols / kQkK * sizeof(BlockQ8_K);
  return internal::ScalarTypeKernels(w.type).vec_dot(w.n_cols, w.rows.data() + r * w.row_bytes,
                                                     act.data() + t * act_row_bytes);
}

// An upper bound of the magnitude of every term the dot product of row r and token t sums:
// per super-block |d_a| * max|weight integer * scale| (+ the min term) * sum |q_a|.
double TermBound(const Weight& w, int64_t r, const std::vector<uint8_t>& act, int64_t t) {
  const uint64_t act_row_bytes = w.n_cols / kQkK * sizeof(BlockQ8_K);
  double bound = 0.0;
  for (int64_t b = 0; b < w.n_cols / kQkK; ++b) {
    const uint8_t* x = w.rows.data() + r * w.row_bytes + b * BlockBytes(w.type);
    BlockQ8_K a;
    std::memcpy(&a, act.data() + t * act_row_bytes + b * sizeof a, sizeof a);
    double abs_sum = 0.0;
    for (int8_t q : a.qs) abs_sum += std::abs(q);
    uint16_t d, dmin = 0;
    double per_value;
    if (w.type == TensorType::kQ4_K || w.type == TensorType::kQ5_K) {
      const int q_max = w.type == TensorType::kQ4_K ? 15 : 31;
      std::memcpy(&d, x, 2);
      std::memcpy(&dmin, x + 2, 2);
      per_value = std::fabs(Fp16ToFp32(d)) * 63 * q_max + std::fabs(Fp16ToFp32(dmin)) * 63;
    } else {
      std::memcpy(&d, x + 208, 2);
      per_value = std::fabs(Fp16ToFp32(d)) * 128 * 96;
    }
    bound += std::fabs(a.d) * per_value * abs_sum;
  }
  return bound;
}

TEST(PackedKQuantTest, UnpackUndoesPackExactly) {
  std::mt19937 rng(3);
  for (TensorType type : kPackedKTypes) {
    for (int64_t n_cols : {256, 768, 2048}) {
      SCOPED_TRACE(fmt::format("{} n_cols={}", TensorTypeName(type), n_cols));
      const Weight w = RandomWeight(type, 16, n_cols, rng);
      ASSERT_NE(std::memcmp(w.rows.data(), w.packed.get(), w.rows.size()), 0);
      const PackedTypeKernels k = internal::Avx2PackedKQuant(type);
      std::vector<uint8_t> row(w.row_bytes);
      for (int64_t r = 0; r < w.n_rows; ++r) {
        k.unpack_row(w.packed.get() + (r / kPackRows) * w.group_bytes(), w.row_bytes,
                     static_cast<int>(r % kPackRows), row.data());
        ASSERT_EQ(std::memcmp(row.data(), w.rows.data() + r * w.row_bytes, w.row_bytes), 0)
            << "row " << r;
      }
    }
  }
}

// Every float operation exact (all d = 1, integer results below 2^24): the packed GEMM must
// return vec_dot's integers exactly. Activations span the full int8 range [-128, 127] and
// include the worst case for int16 overflow (all values maximal against -128).
std::vector<uint8_t> UnitScaleActivations(int64_t n_tokens, int64_t n_cols, std::mt19937& rng,
                                          bool extreme) {
  const uint64_t row_bytes = n_cols / kQkK * sizeof(BlockQ8_K);
  std::vector<uint8_t> act(n_tokens * row_bytes);
  std::uniform_int_distribution<int> q8(-128, 127);
  for (int64_t i = 0; i < n_tokens * n_cols / kQkK; ++i) {
    BlockQ8_K a;
    a.d = 1.0f;
    for (auto& q : a.qs) q = static_cast<int8_t>(extreme ? -128 : q8(rng));
    for (int g = 0; g < 16; ++g) {
      int sum = 0;
      for (int l = 0; l < 16; ++l) sum += a.qs[16 * g + l];
      a.bsums[g] = static_cast<int16_t>(sum);
    }
    std::memcpy(act.data() + i * sizeof a, &a, sizeof a);
  }
  return act;
}

std::vector<uint8_t> UnitScaleRows(TensorType type, int64_t n_rows, int64_t n_cols,
                                   std::mt19937& rng, bool extreme) {
  std::vector<uint8_t> rows;
  for (int64_t r = 0; r < n_rows; ++r) {
    std::vector<uint8_t> row = RandomRow(type, n_cols, rng);
    if (extreme) std::fill(row.begin(), row.end(), 0xff);  // all scales, mins, values maximal
    for (size_t b = 0; b < row.size() / BlockBytes(type); ++b) {
      for (int offset : testing::Fp16FieldOffsets(type)) {
        const uint16_t one = Fp32ToFp16(1.0f);
        std::memcpy(&row[b * BlockBytes(type) + offset], &one, 2);
      }
    }
    rows.insert(rows.end(), row.begin(), row.end());
  }
  return rows;
}

TEST(PackedKQuantTest, IntegersEqualVecDotExactly) {
  if (!IsaAvailable(Isa::kAvx2)) GTEST_SKIP() << "this CPU has no AVX2";
  std::mt19937 rng(5);
  for (TensorType type : kPackedKTypes) {
    for (bool extreme : {false, true}) {
      // One super-block when extreme: its integers exceed 2^24, but both sides round them
      // once, identically.
      // 40 rows: 5 groups in one call, enough for the GEMM to expand the activations of a
      // prompt (more than kSmallBatchTokens tokens).
      const int64_t n_cols = extreme ? 256 : 1024, n_rows = 40;
      const int64_t n_tokens = internal::kSmallBatchTokens + 5;
      SCOPED_TRACE(fmt::format("{} extreme={}", TensorTypeName(type), extreme));
      const Weight w =
          PackedWeight(type, UnitScaleRows(type, n_rows, n_cols, rng, extreme), n_rows, n_cols);
      const auto act = UnitScaleActivations(n_tokens, n_cols, rng, extreme);
      const std::vector<float> y = PackedGemmAll(w, act, n_tokens);
      for (int64_t t = 0; t < n_tokens; ++t) {
        for (int64_t r = 0; r < n_rows; ++r) {
          ASSERT_EQ(y[t * n_rows + r], ScalarDot(w, r, act, t)) << "row " << r << " token " << t;
        }
      }
    }
  }
}

TEST(PackedKQuantTest, GemmMatchesScalarVecDot) {
  if (!IsaAvailable(Isa::kAvx2)) GTEST_SKIP() << "this CPU has no AVX2";
  std::mt19937 rng(7);
  for (TensorType type : kPackedKTypes) {
    for (int64_t n_cols : {256, 768, 2048}) {
      for (int64_t n_rows : {8, 24, 40}) {  // 1, 3 groups: broadcast in place; 5: expanded
        const Weight w = RandomWeight(type, n_rows, n_cols, rng);
        for (int64_t n_tokens = 1; n_tokens <= internal::kSmallBatchTokens + 5; ++n_tokens) {
          SCOPED_TRACE(
              fmt::format("{} {}x{} tokens={}", TensorTypeName(type), n_rows, n_cols, n_tokens));
          const auto act = RandomActivations(n_tokens, n_cols, rng);
          const std::vector<float> y = PackedGemmAll(w, act, n_tokens);
          for (int64_t t = 0; t < n_tokens; ++t) {
            for (int64_t r = 0; r < n_rows; ++r) {
              const double tolerance = 1e-6 * TermBound(w, r, act, t);
              ASSERT_NEAR(y[t * n_rows + r], ScalarDot(w, r, act, t), tolerance)
                  << "row " << r << " token " << t;
            }
          }
        }
      }
    }
  }
}

// The scheduler's contract: outputs do not depend on the batch, the token's tile or the
// groups a thread is given.
TEST(PackedKQuantTest, BatchEqualsTokenByTokenAndAnyGroupSplit) {
  if (!IsaAvailable(Isa::kAvx2)) GTEST_SKIP() << "this CPU has no AVX2";
  std::mt19937 rng(9);
  for (TensorType type : kPackedKTypes) {
    SCOPED_TRACE(TensorTypeName(type));
    // Tokens [6, n_tokens) form a prompt (the GEMM's other loop order).
    const int64_t n_rows = 32, n_cols = 1280, n_tokens = internal::kSmallBatchTokens + 7;
    const Weight w = RandomWeight(type, n_rows, n_cols, rng);
    const auto act = RandomActivations(n_tokens, n_cols, rng);
    const std::vector<float> batch = PackedGemmAll(w, act, n_tokens);
    std::vector<float> single(batch.size(), NAN), split(batch.size(), NAN);
    for (int64_t t = 0; t < n_tokens; ++t) PackedGemm(w, act, t, 1, 0, w.n_groups(), single);
    // Tokens [0, 6) and [6, n_tokens) with groups {0}, {1, 2}, {3}.
    for (auto [t0, n] : {std::pair<int64_t, int64_t>{0, 6}, {6, n_tokens - 6}}) {
      PackedGemm(w, act, t0, n, 0, 1, split);
      PackedGemm(w, act, t0, n, 1, 2, split);
      PackedGemm(w, act, t0, n, 3, 1, split);
    }
    ASSERT_EQ(std::memcmp(batch.data(), single.data(), batch.size() * sizeof(float)), 0);
    ASSERT_EQ(std::memcmp(batch.data(), split.data(), batch.size() * sizeof(float)), 0);
  }
}

TEST(PackedKQuantTest, OnlyKQuantsWithAPackedLayout) {
  EXPECT_NE(internal::Avx2PackedKQuant(TensorType::kQ4_K).gemm, nullptr);
  EXPECT_NE(internal::Avx2PackedKQuant(TensorType::kQ5_K).gemm, nullptr);
  EXPECT_NE(internal::Avx2PackedKQuant(TensorType::kQ6_K).gemm, nullptr);
  EXPECT_EQ(internal::Avx2PackedKQuant(TensorType::kQ4_0).gemm, nullptr);
  EXPECT_EQ(internal::Avx2PackedKQuant(TensorType::kQ3_K).pack, nullptr);
}

}  // namespace
}  // namespace hearth::kernels
