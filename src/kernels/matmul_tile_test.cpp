// The MatMul register tiles against the per-output vec_dot they replace:
// results must be bit-identical (the tiles only share loads and unpacking),
// so prompt batches give exactly the numbers of token-by-token evaluation.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "kernels/kernel_registry.h"
#include "kernels/kernels_test_util.h"
#include "kernels/matmul.h"

namespace hearth::kernels {
namespace {

using testing::QuantizedRow;
using testing::RandomFloats;
using testing::RandomRow;

constexpr TensorType kTiledTypes[] = {TensorType::kQ4_0, TensorType::kQ4_1, TensorType::kQ8_0};

TEST(MatMulTileTest, Avx2TileEqualsVecDotBitForBit) {
  if (!IsaAvailable(Isa::kAvx2)) GTEST_SKIP() << "this CPU has no AVX2";
  std::mt19937 rng(11);
  for (TensorType type : kTiledTypes) {
    for (int64_t n : {32, 576, 1536}) {
      for (int n_tokens : {1, internal::kTileTokens}) {
        SCOPED_TRACE(fmt::format("{} n={} tokens={}", TensorTypeName(type), n, n_tokens));
        const internal::TileDotFn tile = internal::TileDotFor(Isa::kAvx2, type, n_tokens);
        ASSERT_NE(tile, nullptr);
        const internal::TypeKernels k = internal::TypeKernelsFor(Isa::kAvx2, type);
        const TensorType act_type = ActivationTypeFor(type);
        std::vector<uint8_t> w, a;
        for (int r = 0; r < internal::kTileRows; ++r) {
          const auto row = RandomRow(type, n, rng);
          w.insert(w.end(), row.begin(), row.end());
        }
        for (int t = 0; t < n_tokens; ++t) {
          const auto row = QuantizedRow(KernelsFor(Isa::kAvx2), act_type, RandomFloats(n, rng));
          a.insert(a.end(), row.begin(), row.end());
        }
        const uint64_t w_stride = w.size() / internal::kTileRows;
        const uint64_t a_stride = a.size() / n_tokens;
        const int64_t y_stride = 7;  // not the tile width, to check the strides
        std::vector<float> y(n_tokens * y_stride, NAN);
        tile(n, w.data(), w_stride, a.data(), a_stride, y.data(), y_stride);
        for (int t = 0; t < n_tokens; ++t) {
          for (int r = 0; r < internal::kTileRows; ++r) {
            const float expected = k.vec_dot(n, w.data() + r * w_stride, a.data() + t * a_stride);
            EXPECT_EQ(y[t * y_stride + r], expected) << "row " << r << " token " << t;
          }
        }
      }
    }
  }
}

// MatMul on a batch (tiles plus ragged edges, several threads) equals MatMul
// token by token (vec_dot only) exactly.
TEST(MatMulTileTest, BatchEqualsTokenByToken) {
  std::mt19937 rng(12);
  for (TensorType type : kTiledTypes) {
    const int64_t n_in = 256, n_out = 37, n_tokens = 11;
    SCOPED_TRACE(std::string(TensorTypeName(type)));
    std::vector<uint8_t> data;
    for (int64_t r = 0; r < n_out; ++r) {
      const auto row = RandomRow(type, n_in, rng);
      data.insert(data.end(), row.begin(), row.end());
    }
    TensorView w;
    w.name = "w";
    w.type = type;
    w.n_dims = 2;
    w.ne = {n_in, n_out, 1, 1};
    w.data = data.data();
    w.nbytes = data.size();
    const std::vector<float> x = RandomFloats(n_in * n_tokens, rng);
    for (int threads : {1, 3}) {
      ThreadPool pool(threads);
      std::vector<float> batch(n_out * n_tokens, NAN), single(n_out * n_tokens, NAN);
      MatMul(w, x.data(), n_tokens, batch.data(), pool);
      for (int64_t t = 0; t < n_tokens; ++t) {
        MatMul(w, x.data() + t * n_in, 1, single.data() + t * n_out, pool);
      }
      for (size_t i = 0; i < batch.size(); ++i) ASSERT_EQ(batch[i], single[i]) << "index " << i;
    }
  }
}

}  // namespace
}  // namespace hearth::kernels
