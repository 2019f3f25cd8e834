// The AVX-512 kernels (quant_avx512.cpp) beyond the scalar comparisons of
// quant_isa_test.cpp: the float kernels' tails, every block count, extreme
// payloads, and the quantized kernels' equality with the AVX2 ones. Each test
// runs on the hardware kernels (skipped on CPUs without AVX-512) and on the
// same source emulated with SIMDe (avx512_emulated.h), which runs on every
// AVX2 CPU; plus a check that the emulated table holds AVX-512 code.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <ostream>
#include <random>

#include "kernels/avx512_emulated.h"
#include "kernels/kernel_registry.h"
#include "kernels/kernels.h"
#include "kernels/kernels_test_util.h"

namespace hearth::kernels {
namespace {

using testing::QuantizedRow;
using testing::RandomFloats;
using testing::RandomRow;

struct Avx512Case {
  const char* name;
  Isa needs;  // what the CPU must have to run `kernels`
  const KernelSet* kernels;
};
void PrintTo(const Avx512Case& c, std::ostream* os) { *os << c.name; }

class QuantAvx512Test : public ::testing::TestWithParam<Avx512Case> {
 protected:
  void SetUp() override {
    if (!IsaAvailable(GetParam().needs)) {
      GTEST_SKIP() << "this CPU lacks " << IsaName(GetParam().needs) << "; " << GetParam().name
                   << " kernels are untested here";
    }
  }
  static const KernelSet& Scalar() { return KernelsFor(Isa::kScalar); }
  const KernelSet& Avx512() const { return *GetParam().kernels; }
  // sum_i |w_i a_i|, the scale of a dot product's rounding error (a: the activation type).
  static double AbsProductSum(TensorType type, const std::vector<uint8_t>& w,
                              const std::vector<uint8_t>& a, int64_t n) {
    const auto wf = testing::Dequantized(Scalar(), type, w, n);
    const auto af = testing::Dequantized(Scalar(), ActivationTypeFor(type), a, n);
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += std::fabs(static_cast<double>(wf[i]) * af[i]);
    return sum;
  }
};

// The emulated tests cover every AVX-512 kernel only if the emulated table
// replaces exactly the AVX2 entries that the real AVX-512 table replaces.
// (Comparing function pointers runs no AVX-512 code, so this holds on any CPU.)
TEST(Avx512EmulatedTest, TableHasAvx512CodeWhereTheRealTableHas) {
  std::vector<TensorType> types = testing::WeightTypes();
  types.push_back(TensorType::kQ8_1);  // the activation-only types
  types.push_back(TensorType::kQ8_K);
  int overridden = 0;
  for (TensorType type : types) {
    SCOPED_TRACE(TensorTypeName(type));
    const internal::TypeKernels avx2 = internal::Avx2TypeKernels(type);
    const internal::TypeKernels real = internal::Avx512TypeKernels(type);
    const internal::TypeKernels emulated = internal::EmulatedAvx512TypeKernels(type);
    EXPECT_EQ(emulated.vec_dot != avx2.vec_dot, real.vec_dot != avx2.vec_dot);
    EXPECT_EQ(emulated.quantize != avx2.quantize, real.quantize != avx2.quantize);
    EXPECT_EQ(emulated.dequantize != avx2.dequantize, real.dequantize != avx2.dequantize);
    if (emulated.vec_dot != avx2.vec_dot) {
      EXPECT_NE(emulated.vec_dot, real.vec_dot);  // a second compilation, not the real one
      ++overridden;
    }
  }
  // F32, F16, Q4_0, Q4_1, Q8_0, Q4_K, Q6_K (quant_avx512.cpp).
  EXPECT_EQ(overridden, 7);
}

// The float kernels take 64 values per step and finish the n % 64 tail in
// scalar code: every tail length, and rows shorter than one step.
TEST_P(QuantAvx512Test, FloatVecDotMatchesScalarForEveryTail) {
  std::mt19937 rng(21);
  for (TensorType type : {TensorType::kF32, TensorType::kF16}) {
    for (int64_t n = 1; n <= 200; ++n) {
      SCOPED_TRACE(fmt::format("{} n={}", TensorTypeName(type), n));
      const auto w = RandomRow(type, n, rng);
      const auto a = RandomRow(type, n, rng);
      const auto wf = testing::Dequantized(Scalar(), type, w, n);
      const auto af = testing::Dequantized(Scalar(), type, a, n);
      double exact = 0.0, magnitude = 0.0;
      for (int64_t i = 0; i < n; ++i) {
        exact += static_cast<double>(wf[i]) * af[i];
        magnitude += std::fabs(static_cast<double>(wf[i]) * af[i]);
      }
      // float accumulation in any order: within n * 2^-24 of the magnitude.
      const double tolerance = 1e-6 + static_cast<double>(n) * 0x1p-24 * magnitude;
      EXPECT_NEAR(Avx512().vec_dot(type, n, w.data(), a.data()), exact, tolerance);
      EXPECT_NEAR(Scalar().vec_dot(type, n, w.data(), a.data()), exact, tolerance);
    }
  }
}

// The legacy kernels work one 32-value block at a time: every block count from
// 1 to 40 (QuantIsaTest's lengths are whole 256-value super-blocks).
TEST_P(QuantAvx512Test, LegacyVecDotMatchesScalarForEveryBlockCount) {
  std::mt19937 rng(24);
  for (TensorType type : {TensorType::kQ4_0, TensorType::kQ4_1, TensorType::kQ8_0}) {
    for (int64_t n = 32; n <= 40 * 32; n += 32) {
      SCOPED_TRACE(fmt::format("{} n={}", TensorTypeName(type), n));
      const TensorType act_type = ActivationTypeFor(type);
      const auto w = RandomRow(type, n, rng);
      const auto a = QuantizedRow(Scalar(), act_type, RandomFloats(n, rng));
      const double magnitude = AbsProductSum(type, w, a, n);
      const float expected = Scalar().vec_dot(type, n, w.data(), a.data());
      const float got = Avx512().vec_dot(type, n, w.data(), a.data());
      EXPECT_NEAR(got, expected, 1e-5 * magnitude);
    }
  }
}

// The quantized AVX-512 kernels compute the AVX2 kernels' int32 lanes (VNNI
// instead of maddubs + madd) and add them in the same float order, so both
// give the same bits. That equality is what lets the AVX-512 vec_dot share
// MatMul with the AVX2 GEMMs (bit-identical to the AVX2 vec_dot) without a
// batch of tokens differing from the same tokens one by one.
TEST_P(QuantAvx512Test, QuantizedVecDotEqualsAvx2BitForBit) {
  std::mt19937 rng(22);
  const KernelSet& avx2 = KernelsFor(Isa::kAvx2);
  for (TensorType type : {TensorType::kQ4_0, TensorType::kQ4_1, TensorType::kQ8_0,
                          TensorType::kQ4_K, TensorType::kQ6_K}) {
    for (int64_t n : {256, 512, 2816}) {
      SCOPED_TRACE(fmt::format("{} n={}", TensorTypeName(type), n));
      const TensorType act_type = ActivationTypeFor(type);
      for (int trial = 0; trial < 8; ++trial) {
        const auto w = RandomRow(type, n, rng);
        const auto a = QuantizedRow(Scalar(), act_type, RandomFloats(n, rng, 4.0f));
        const float want = avx2.vec_dot(type, n, w.data(), a.data());
        const float got = Avx512().vec_dot(type, n, w.data(), a.data());
        uint32_t want_bits, got_bits;
        std::memcpy(&want_bits, &want, 4);
        std::memcpy(&got_bits, &got, 4);
        ASSERT_EQ(got_bits, want_bits) << got << " vs AVX2 " << want;
      }
    }
  }
}

// Extreme payloads: every quant at its largest magnitude (Q8 -128, nibbles 15,
// Q6 63) against activations of +-127, where 16-bit intermediate sums would
// saturate; the kernels must still match the exact scalar sums.
TEST_P(QuantAvx512Test, QuantizedVecDotAtExtremeValuesMatchesScalar) {
  std::mt19937 rng(23);
  for (TensorType type : {TensorType::kQ4_0, TensorType::kQ4_1, TensorType::kQ8_0,
                          TensorType::kQ4_K, TensorType::kQ6_K}) {
    for (uint8_t fill : {0x00, 0xff, 0x80, 0x7f}) {
      SCOPED_TRACE(fmt::format("{} payload bytes {:#04x}", TensorTypeName(type), fill));
      const int64_t n = 512;
      auto w = RandomRow(type, n, rng);
      // Keep the fp16 scales RandomRow wrote; set every other byte to `fill`.
      const auto& traits = TraitsOf(type);
      const auto scale_offsets = testing::Fp16FieldOffsets(type);
      for (size_t i = 0; i < w.size(); ++i) {
        const int in_block = static_cast<int>(i % traits.block_bytes);
        bool is_scale = false;
        for (int o : scale_offsets) is_scale |= in_block == o || in_block == o + 1;
        if (!is_scale) w[i] = fill;
      }
      std::vector<float> x(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) x[i] = (i % 3 == 0) ? -1.0f : 1.0f;
      const TensorType act_type = ActivationTypeFor(type);
      const auto a = QuantizedRow(Scalar(), act_type, x);
      const double magnitude = AbsProductSum(type, w, a, n);
      const float expected = Scalar().vec_dot(type, n, w.data(), a.data());
      const float got = Avx512().vec_dot(type, n, w.data(), a.data());
      // As in quant_isa_test: exact integer block sums, float order differs.
      EXPECT_NEAR(got, expected, 1e-5 * magnitude + testing::OffsetSlack(type, w, a));
    }
  }
}

// avx512 skips on CPUs without AVX-512 (reported as skipped); avx512_emulated
// runs the same kernel source on every AVX2 CPU, so it is tested on every CI run.
INSTANTIATE_TEST_SUITE_P(
    Kernels, QuantAvx512Test,
    ::testing::Values(Avx512Case{"avx512", Isa::kAvx512, &KernelsFor(Isa::kAvx512)},
                      Avx512Case{"avx512_emulated", Isa::kAvx2, &internal::kEmulatedAvx512Set}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace hearth::kernels
