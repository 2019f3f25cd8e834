// The tiled prompt attention (AttentionBatch with AVX2) against the pair by
// pair computation it replaces (internal::AttentionBatchByPairs), bit for bit.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "kernels/avx512_emulated.h"
#include "kernels/kernels.h"
#include "kernels/ops.h"

namespace hearth::ops {
namespace {

bool HasAvx2() { return kernels::BestIsa() >= kernels::Isa::kAvx2; }

std::vector<float> Random(int64_t n, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

std::vector<uint16_t> RandomHalf(int64_t n, uint32_t seed) {
  const auto f = Random(n, seed, 1.0f);
  std::vector<uint16_t> h(f.size());
  FloatToHalfRow(f.data(), h.data(), static_cast<int64_t>(f.size()));
  return h;
}

struct Sequence {
  int64_t n_tokens;
  int32_t pos0;
  int64_t v_stride;
  std::vector<float> q;
  std::vector<uint16_t> k, v;
};

Sequence MakeSequence(const AttentionShape& shape, int64_t n_tokens, int32_t pos0, uint32_t seed) {
  const int64_t n_kv = pos0 + n_tokens;
  const int64_t v_stride = (n_kv + 31) / 32 * 32 + 32;  // room past the filled positions
  // Queries large enough that the softmax is far from uniform.
  return {n_tokens,
          pos0,
          v_stride,
          Random(n_tokens * shape.n_head * shape.head_dim, seed, 2.0f),
          RandomHalf(n_kv * shape.n_head_kv * shape.head_dim, seed + 1),
          RandomHalf(shape.n_head_kv * shape.head_dim * v_stride, seed + 2)};
}

// Runs both paths over `seqs` and expects equal bits in every output.
void ExpectTiledEqualsPairs(const AttentionShape& shape, const AttentionParams& params,
                            std::vector<Sequence>& seqs, int n_threads) {
  ThreadPool pool(n_threads);
  std::vector<std::vector<float>> tiled, pairs;
  std::vector<AttentionSequence> batch_tiled, batch_pairs;
  for (Sequence& s : seqs) {
    tiled.emplace_back(s.q.size(), -1.0f);
    pairs.emplace_back(s.q.size(), -2.0f);
  }
  for (size_t i = 0; i < seqs.size(); ++i) {
    Sequence& s = seqs[i];
    batch_tiled.push_back(
        {s.q.data(), s.n_tokens, s.pos0, s.k.data(), s.v.data(), s.v_stride, tiled[i].data()});
    batch_pairs.push_back(
        {s.q.data(), s.n_tokens, s.pos0, s.k.data(), s.v.data(), s.v_stride, pairs[i].data()});
  }
  AttentionBatch(batch_tiled, shape, params, pool);
  internal::AttentionBatchByPairs(batch_pairs, shape, params, pool);
  for (size_t i = 0; i < seqs.size(); ++i) {
    for (size_t j = 0; j < tiled[i].size(); ++j) {
      ASSERT_EQ(std::bit_cast<uint32_t>(tiled[i][j]), std::bit_cast<uint32_t>(pairs[i][j]))
          << "sequence " << i << " (pos0 " << seqs[i].pos0 << ", " << seqs[i].n_tokens
          << " tokens) element " << j << ": " << tiled[i][j] << " vs " << pairs[i][j];
    }
  }
}

struct Case {
  AttentionShape shape;
  AttentionParams params;
};

class AttentionTileTest : public ::testing::TestWithParam<Case> {};

TEST_P(AttentionTileTest, PromptsAtVariousPositionsEqualPairByPairBitForBit) {
  if (!HasAvx2()) GTEST_SKIP() << "no AVX2: AttentionBatch is the pair by pair path itself";
  const Case& c = GetParam();
  uint32_t seed = 1;
  // Token counts around the tile sizes; starts that are and are not aligned.
  for (int64_t n_tokens : {2, 3, 5, 12, 13, 37}) {
    for (int32_t pos0 : {0, 7, 32, 45}) {
      std::vector<Sequence> seqs{MakeSequence(c.shape, n_tokens, pos0, seed += 3)};
      ExpectTiledEqualsPairs(c.shape, c.params, seqs, 2);
    }
  }
}

TEST_P(AttentionTileTest, MixedBatchEqualsPairByPairBitForBit) {
  if (!HasAvx2()) GTEST_SKIP() << "no AVX2: AttentionBatch is the pair by pair path itself";
  const Case& c = GetParam();
  // One-token sequences (GEMV order) beside prompt chunks, each with its own cache.
  std::vector<Sequence> seqs;
  seqs.push_back(MakeSequence(c.shape, 1, 40, 100));
  seqs.push_back(MakeSequence(c.shape, 9, 3, 200));
  seqs.push_back(MakeSequence(c.shape, 1, 0, 300));
  seqs.push_back(MakeSequence(c.shape, 20, 70, 400));
  for (int n_threads : {1, 3}) ExpectTiledEqualsPairs(c.shape, c.params, seqs, n_threads);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, AttentionTileTest,
    ::testing::Values(Case{{9, 3, 64}, {0.125f, 0.0f, 0}},     // SmolLM2: GQA group 3
                      Case{{4, 1, 256}, {0.0625f, 0.0f, 0}},   // Gemma 3 270M: group 4
                      Case{{4, 1, 256}, {0.0625f, 0.0f, 11}},  // its sliding window
                      Case{{2, 2, 64}, {0.125f, 0.0f, 0}},     // no grouping
                      Case{{8, 2, 64}, {0.125f, 0.0f, 6}},     // group 4, short window
                      Case{{6, 2, 32}, {0.2f, 3.0f, 0}},       // softcap
                      Case{{3, 1, 24}, {0.2f, 0.0f, 9}},       // head_dim not a multiple of 16
                      Case{{4, 2, 12}, {0.25f, 0.0f, 0}}));    // not a multiple of 8: pairs path

using TileKernel = void (*)(const uint16_t*, int64_t, int64_t, const float* const*, int64_t,
                            int64_t, float* const*);

void ExpectEveryTileShapeEqualsDotF16(TileKernel kernel);

// The kernels alone: every (row, column) against DotF16 of the same fp16 values, for the AVX2
// kernel and the AVX-512 one (natively where the CPU has AVX-512, and over SIMDe's emulation).
TEST(AttentionTileKernelTest, EveryTileShapeEqualsDotF16BitForBit) {
  if (!HasAvx2()) GTEST_SKIP() << "the kernel needs AVX2";
  std::vector<std::pair<const char*, TileKernel>> kernels = {
      {"avx2", internal::DotF16TileAvx2}, {"avx512_emulated", internal::EmulatedDotF16TileAvx512}};
  if (kernels::IsaAvailable(kernels::Isa::kAvx512)) {
    kernels.push_back({"avx512", internal::DotF16TileAvx512});
  }
  for (const auto& [name, kernel] : kernels) {
    SCOPED_TRACE(name);
    ExpectEveryTileShapeEqualsDotF16(kernel);
  }
}

using SoftmaxKernel = void (*)(float*, int64_t, int64_t, int64_t, float, float*);

// The AVX-512 softmax (natively where the CPU has AVX-512, and over SIMDe) against the AVX2 one
// bit for bit: rows of 8 to 72 scores (whole and half 16-lane steps), visible ranges at either
// end and in the middle, and scores spread enough to reach Exp8's |n| > 126 and > 192 paths.
TEST(AttentionTileKernelTest, Avx512SoftmaxEqualsAvx2BitForBit) {
  if (!HasAvx2()) GTEST_SKIP() << "the kernel needs AVX2";
  std::vector<std::pair<const char*, SoftmaxKernel>> kernels = {
      {"avx512_emulated", internal::EmulatedSoftmaxGroupsAvx512}};
  if (kernels::IsaAvailable(kernels::Isa::kAvx512)) {
    kernels.push_back({"avx512", internal::SoftmaxGroupsAvx512});
  }
  for (const auto& [name, kernel] : kernels) {
    for (int64_t n = 8; n <= 72; n += 8) {
      for (const auto& [first, last] : {std::pair<int64_t, int64_t>{0, n - 1},
                                        {3, n - 1},
                                        {0, n - 6},
                                        {n / 2, n / 2},
                                        {n > 8 ? 5 : 0, n - 2}}) {
        for (float spread : {1.0f, 40.0f, 400.0f}) {
          SCOPED_TRACE(
              fmt::format("{} n={} visible [{}, {}] spread={}", name, n, first, last, spread));
          const auto scores = Random(n, static_cast<uint32_t>(n * 7 + first), spread);
          std::vector<float> x_avx2 = scores, x_avx512 = scores;
          std::vector<float> want(n, NAN), got(n, NAN);
          internal::SoftmaxGroupsAvx2(x_avx2.data(), n, first, last, 0.125f, want.data());
          kernel(x_avx512.data(), n, first, last, 0.125f, got.data());
          for (int64_t i = 0; i < n; ++i) {
            ASSERT_EQ(std::bit_cast<uint32_t>(got[i]), std::bit_cast<uint32_t>(want[i])) << i;
            ASSERT_EQ(std::bit_cast<uint32_t>(x_avx512[i]), std::bit_cast<uint32_t>(x_avx2[i]))
                << "scratch " << i;
          }
        }
      }
    }
  }
}

void ExpectEveryTileShapeEqualsDotF16(TileKernel kernel) {
  for (int64_t n_a : {1, 3, 4, 7, 8, 9, 16, 19}) {
    for (int64_t n_b : {1, 2, 3, 4, 5, 7, 8, 9, 12, 17}) {
      const int64_t n = 40, lda = 48;
      const auto a = RandomHalf(n_a * lda, static_cast<uint32_t>(n_a * 10 + n_b));
      const auto bh = RandomHalf(n_b * n, static_cast<uint32_t>(n_a * 10 + n_b + 500));
      std::vector<float> b(bh.size());
      for (size_t i = 0; i < bh.size(); ++i) b[i] = HalfToFloat(bh[i]);
      std::vector<const float*> b_rows;
      std::vector<std::vector<float>> c(n_b, std::vector<float>(n_a));
      std::vector<float*> c_rows;
      for (int64_t j = 0; j < n_b; ++j) {
        b_rows.push_back(b.data() + j * n);
        c_rows.push_back(c[j].data());
      }
      kernel(a.data(), lda, n_a, b_rows.data(), n_b, n, c_rows.data());
      for (int64_t j = 0; j < n_b; ++j) {
        for (int64_t i = 0; i < n_a; ++i) {
          const float want = DotF16(a.data() + i * lda, bh.data() + j * n, n);
          ASSERT_EQ(std::bit_cast<uint32_t>(c[j][i]), std::bit_cast<uint32_t>(want))
              << n_a << "x" << n_b << " at " << i << "," << j;
        }
      }
    }
  }
}

}  // namespace
}  // namespace hearth::ops
