// The AVX2 quantized GEMM of MatMul against the scalar reference vec_dot
// (within f32 rounding of its terms: the scalar code sums in another order)
// and against the AVX2 vec_dot it replaces (bit for bit: same operations per
// output); a batch must give exactly the numbers of token-by-token evaluation.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "kernels/kernel_registry.h"
#include "kernels/kernels_test_util.h"
#include "kernels/matmul.h"

namespace hearth::kernels {
namespace {

using testing::Dequantized;
using testing::IsKQuant;
using testing::QuantizedRow;
using testing::RandomFloats;
using testing::RandomRow;

constexpr TensorType kTiledTypes[] = {TensorType::kQ4_0, TensorType::kQ4_1, TensorType::kQ5_0,
                                      TensorType::kQ5_1, TensorType::kQ8_0, TensorType::kQ4_K,
                                      TensorType::kQ5_K, TensorType::kQ6_K};

// Row lengths: one block, a model's n_embd, its n_ff (K-quants need multiples of 256).
std::vector<int64_t> RowLengths(TensorType type) {
  if (IsKQuant(type)) return {256, 1536};
  return {32, 576, 1536};
}

TensorView MakeWeight(TensorType type, int64_t n_in, int64_t n_out,
                      const std::vector<uint8_t>& data) {
  TensorView w;
  w.name = "w";
  w.type = type;
  w.n_dims = 2;
  w.ne = {n_in, n_out, 1, 1};
  w.data = data.data();
  w.nbytes = data.size();
  return w;
}

TEST(GemmTest, Avx2GemmMatchesScalarVecDot) {
  if (!IsaAvailable(Isa::kAvx2)) GTEST_SKIP() << "this CPU has no AVX2";
  ASSERT_NE(internal::GemmFor(Isa::kAvx2, TensorType::kQ4_1), nullptr);
  ASSERT_NE(internal::KQuantGemmFor(Isa::kAvx2, TensorType::kQ4_K), nullptr);
  const KernelSet& scalar = KernelsFor(Isa::kScalar);
  std::mt19937 rng(11);
  for (TensorType type : kTiledTypes) {
    for (int64_t n_in : RowLengths(type)) {
      for (int64_t n_tokens : {1, 3, 8, 11}) {
        SCOPED_TRACE(fmt::format("{} n_in={} tokens={}", TensorTypeName(type), n_in, n_tokens));
        const int64_t n_out = 37;
        const TensorType act_type = ActivationTypeFor(type);
        std::vector<uint8_t> data;
        std::vector<std::vector<uint8_t>> rows;
        std::vector<std::vector<float>> row_values;  // dequantized, for the tolerance
        for (int64_t r = 0; r < n_out; ++r) {
          rows.push_back(RandomRow(type, n_in, rng));
          data.insert(data.end(), rows.back().begin(), rows.back().end());
          row_values.push_back(Dequantized(scalar, type, rows.back(), n_in));
        }
        const std::vector<float> x = RandomFloats(n_in * n_tokens, rng);
        ThreadPool pool(2);
        std::vector<float> y(n_out * n_tokens, NAN);
        MatMul(MakeWeight(type, n_in, n_out, data), x.data(), n_tokens, y.data(), pool,
               KernelsFor(Isa::kAvx2));
        for (int64_t t = 0; t < n_tokens; ++t) {
          const std::vector<float> xt(x.begin() + t * n_in, x.begin() + (t + 1) * n_in);
          const std::vector<uint8_t> a = QuantizedRow(scalar, act_type, xt);
          const std::vector<float> a_values = Dequantized(scalar, act_type, a, n_in);
          const std::vector<uint8_t> a_avx2 = QuantizedRow(KernelsFor(Isa::kAvx2), act_type, xt);
          for (int64_t r = 0; r < n_out; ++r) {
            const float expected = scalar.vec_dot(type, n_in, rows[r].data(), a.data());
            // f32 rounding of each block's scaled sum and of the running total.
            double magnitude = 0.0;
            for (int64_t i = 0; i < n_in; ++i) {
              magnitude += std::fabs(row_values[r][i] * a_values[i]);
            }
            const double tolerance = 1e-5 * magnitude + 1e-6;
            EXPECT_NEAR(y[t * n_out + r], expected, tolerance) << "row " << r << " token " << t;
            EXPECT_EQ(y[t * n_out + r],
                      KernelsFor(Isa::kAvx2).vec_dot(type, n_in, rows[r].data(), a_avx2.data()))
                << "row " << r << " token " << t;
          }
        }
      }
    }
  }
}

// MatMul on a batch (token groups of 8 and a ragged rest, several threads)
// equals MatMul token by token exactly.
TEST(GemmTest, BatchEqualsTokenByToken) {
  std::mt19937 rng(12);
  for (TensorType type : kTiledTypes) {
    const int64_t n_in = 256, n_out = 37, n_tokens = 19;
    SCOPED_TRACE(std::string(TensorTypeName(type)));
    std::vector<uint8_t> data;
    for (int64_t r = 0; r < n_out; ++r) {
      const auto row = RandomRow(type, n_in, rng);
      data.insert(data.end(), row.begin(), row.end());
    }
    const TensorView w = MakeWeight(type, n_in, n_out, data);
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
