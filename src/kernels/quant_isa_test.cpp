// Every SIMD kernel set against the scalar reference, on random data.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <ostream>
#include <random>

#include "kernels/avx512_emulated.h"
#include "kernels/kernels.h"
#include "kernels/kernels_test_util.h"

namespace hearth::kernels {
namespace {

using testing::Dequantized;
using testing::QuantizedRow;
using testing::RandomFloats;
using testing::RandomRow;

// One SIMD kernel set under test: the hardware sets, and the AVX-512 kernels
// emulated with SIMDe (avx512_emulated.h), which run wherever AVX2 does.
struct SimdCase {
  const char* name;
  Isa needs;  // what the CPU must have to run `kernels`
  const KernelSet* kernels;
};
void PrintTo(const SimdCase& c, std::ostream* os) { *os << c.name; }

class QuantIsaTest : public ::testing::TestWithParam<SimdCase> {
 protected:
  void SetUp() override {
    if (!IsaAvailable(GetParam().needs)) {
      GTEST_SKIP() << "this CPU lacks " << IsaName(GetParam().needs)
                   << " (or this build cannot run it); " << GetParam().name
                   << " kernels are untested here";
    }
  }
  const KernelSet& Simd() const { return *GetParam().kernels; }
  static const KernelSet& Scalar() { return KernelsFor(Isa::kScalar); }
};

// Lengths: one K super-block, odd numbers of blocks, and a long row.
const int64_t kLengths[] = {256, 768, 1280, 4096};

// SIMD and scalar compute the same exact integer sums per block; they differ
// only in the order of float additions across blocks and lanes (and FMA),
// each step adding <= 2^-24 relative error on partial sums bounded by
// sum |w_i a_i|. 64 blocks times a few steps stay well below 2e-6; 1e-5 gives
// margin while still catching any wrong block (which errs by ~1/n_blocks).
TEST_P(QuantIsaTest, VecDotMatchesScalar) {
  std::mt19937 rng(11);
  for (TensorType type : testing::WeightTypes()) {
    for (int64_t n : kLengths) {
      SCOPED_TRACE(fmt::format("{} n={}", TensorTypeName(type), n));
      const TensorType act_type = ActivationTypeFor(type);
      const auto w = RandomRow(type, n, rng);
      const auto a = QuantizedRow(Scalar(), act_type, RandomFloats(n, rng));
      const auto wf = Dequantized(Scalar(), type, w, n);
      const auto af = Dequantized(Scalar(), act_type, a, n);
      double magnitude = 0.0;
      for (int64_t i = 0; i < n; ++i) magnitude += std::fabs(static_cast<double>(wf[i]) * af[i]);
      const float expected = Scalar().vec_dot(type, n, w.data(), a.data());
      const float got = Simd().vec_dot(type, n, w.data(), a.data());
      EXPECT_NEAR(got, expected, 1e-5 * magnitude);
    }
  }
}

// Quantization must be bit-identical: the SIMD code performs the same float
// operations (same scale, same multiply, round-to-nearest-even) per value.
TEST_P(QuantIsaTest, QuantizeRowIsBitIdentical) {
  std::mt19937 rng(12);
  for (TensorType type : testing::ActivationTypes()) {
    for (int64_t n : kLengths) {
      SCOPED_TRACE(fmt::format("{} n={}", TensorTypeName(type), n));
      std::vector<float> x = RandomFloats(n, rng, 3.0f);
      std::fill(x.begin(), x.begin() + 256, 0.0f);  // an all-zero block
      if (n > 300) x[300] = 1e-30f;                 // a block whose amax is tiny
      for (int64_t i = 512; i < 544 && i < n; ++i) x[i] = static_cast<float>(i - 528) * 0.5f;
      EXPECT_EQ(QuantizedRow(Simd(), type, x), QuantizedRow(Scalar(), type, x));
    }
  }
}

TEST_P(QuantIsaTest, DequantizeRowIsBitIdentical) {
  std::mt19937 rng(13);
  std::vector<TensorType> types = testing::WeightTypes();
  types.push_back(TensorType::kQ8_1);
  types.push_back(TensorType::kQ8_K);
  for (TensorType type : types) {
    for (int64_t n : kLengths) {
      SCOPED_TRACE(fmt::format("{} n={}", TensorTypeName(type), n));
      const auto row = (type == TensorType::kQ8_1 || type == TensorType::kQ8_K)
                           ? QuantizedRow(Scalar(), type, RandomFloats(n, rng))
                           : RandomRow(type, n, rng);
      const auto got = Dequantized(Simd(), type, row, n);
      const auto expected = Dequantized(Scalar(), type, row, n);
      ASSERT_EQ(std::memcmp(got.data(), expected.data(), n * sizeof(float)), 0);
    }
  }
}

// avx512 skips on CPUs without AVX-512 (reported as skipped); avx512_emulated
// runs the same kernel source on every AVX2 CPU, so it is tested on every CI run.
INSTANTIATE_TEST_SUITE_P(
    Simd, QuantIsaTest,
    ::testing::Values(SimdCase{"avx2", Isa::kAvx2, &KernelsFor(Isa::kAvx2)},
                      SimdCase{"avx512", Isa::kAvx512, &KernelsFor(Isa::kAvx512)},
                      SimdCase{"avx512_emulated", Isa::kAvx2, &internal::kEmulatedAvx512Set}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(DispatchTest, BestIsaIsAvailableAndScalarAlwaysIs) {
  EXPECT_TRUE(IsaAvailable(Isa::kScalar));
  EXPECT_TRUE(IsaAvailable(BestIsa()));
  EXPECT_EQ(BestKernels().isa, BestIsa());
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512}) {
    if (IsaAvailable(isa)) {
      EXPECT_EQ(KernelsFor(isa).isa, isa);
    }
  }
}

}  // namespace
}  // namespace hearth::kernels
