// Sanity of the scalar reference against plain float math: quantization
// round trips within the error each format allows, and quantized dot
// products equal the dot product of the dequantized rows.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "kernels/kernels.h"
#include "kernels/kernels_test_util.h"
#include "kernels/quant_blocks.h"

namespace hearth::kernels {
namespace {

using testing::Dequantized;
using testing::QuantizedRow;
using testing::RandomFloats;
using testing::RandomRow;

const KernelSet& Scalar() { return KernelsFor(Isa::kScalar); }

double Rms(const std::vector<float>& v) {
  double sum = 0.0;
  for (float x : v) sum += static_cast<double>(x) * x;
  return std::sqrt(sum / static_cast<double>(v.size()));
}

// Largest |x| over the block of `block` values containing each element.
std::vector<float> BlockAbsMax(const std::vector<float>& x, int block) {
  std::vector<float> out(x.size());
  for (size_t b = 0; b < x.size(); b += block) {
    float amax = 0.0f;
    for (int j = 0; j < block; ++j) amax = std::max(amax, std::fabs(x[b + j]));
    for (int j = 0; j < block; ++j) out[b + j] = amax;
  }
  return out;
}

struct RoundTripBound {
  double max_rms_ratio;    // rms(error) / rms(x)
  double max_err_of_amax;  // max |error| / amax of its block (of `bound_block` values)
  int bound_block;
};

// Expected errors on N(0,1) data, from each format's step size: a uniform
// quantizer with step s has rms error s/sqrt(12) and max error s/2 (a whole
// step where the top code is clipped, Q4_0/Q5_0's +amax end). The expected
// amax of 32 normals is ~2.1-2.5, of 16 ~1.8-2.0, of 256 ~2.9-3.3; the range
// of 32 is ~4.1, of 16 ~3.5. Steps: Q8_0/Q8_1 amax/127 (rms ~0.0057), Q8_K
// amax(256)/127 (~0.0075), Q4_0 amax/8 (~0.090), Q5_0 amax/16 (~0.045), Q4_1
// range/15 (~0.079), Q5_1 range/31 (~0.038), Q2_K range(16)/3 (~0.34), Q3_K
// amax(16)/4 (~0.145), Q4_K range/15 (~0.079), Q5_K range/31 (~0.038), Q6_K
// amax(16)/32 (~0.018). RMS bounds are those estimates +30%. Max-error bounds
// are half a step (whole for clipped codes) plus 2^-10 for fp16 scale/min
// rounding; for the K-quants, whose group scales are themselves quantized to
// 4-6 bits, they are 1.5x the largest error seen over several seeds.
const std::map<TensorType, RoundTripBound>& Bounds() {
  constexpr double kFp16 = 1.0 / 1024;
  static const std::map<TensorType, RoundTripBound> bounds = {
      {TensorType::kF32, {0.0, 0.0, 32}},
      {TensorType::kF16, {0.0005, 0.0005, 32}},
      {TensorType::kBF16, {0.004, 0.004, 32}},
      {TensorType::kQ8_0, {0.0075, 0.5 / 127 + kFp16, 32}},
      {TensorType::kQ8_1, {0.0075, 0.5 / 127 + kFp16, 32}},
      {TensorType::kQ8_K, {0.0095, 0.5 / 127 + 1e-6, 256}},
      {TensorType::kQ4_0, {0.117, 1.0 / 8 + kFp16, 32}},
      {TensorType::kQ5_0, {0.059, 1.0 / 16 + kFp16, 32}},
      {TensorType::kQ4_1, {0.103, 1.0 / 15 + kFp16, 32}},
      {TensorType::kQ5_1, {0.050, 1.0 / 31 + kFp16, 32}},
      {TensorType::kQ2_K, {0.44, 0.45, 256}},
      {TensorType::kQ3_K, {0.19, 0.35, 256}},
      {TensorType::kQ4_K, {0.103, 0.10, 256}},
      {TensorType::kQ5_K, {0.050, 0.05, 256}},
      {TensorType::kQ6_K, {0.024, 0.025, 256}},
  };
  return bounds;
}

TEST(QuantReferenceTest, RoundTripWithinFormatError) {
  std::mt19937 rng(1234);
  const int64_t n = 4096;
  for (const auto& [type, bound] : Bounds()) {
    SCOPED_TRACE(std::string(TensorTypeName(type)));
    const std::vector<float> x = RandomFloats(n, rng);
    const std::vector<float> y = Dequantized(Scalar(), type, QuantizedRow(Scalar(), type, x), n);
    const std::vector<float> amax = BlockAbsMax(x, bound.bound_block);
    std::vector<float> err(x.size());
    double worst = 0.0;
    for (size_t i = 0; i < x.size(); ++i) {
      err[i] = y[i] - x[i];
      worst = std::max(worst, static_cast<double>(std::fabs(err[i]) / amax[i]));
    }
    const double rms_ratio = Rms(err) / Rms(x);
    EXPECT_LE(rms_ratio, bound.max_rms_ratio);
    EXPECT_LE(worst, bound.max_err_of_amax);
    // Guard against a quantizer that is exact by accident of a broken test.
    if (type != TensorType::kF32) {
      EXPECT_GT(rms_ratio, bound.max_rms_ratio / 20);
    }
  }
}

TEST(QuantReferenceTest, ZeroBlocksQuantizeToZero) {
  const std::vector<float> zeros(512, 0.0f);
  for (const auto& [type, bound] : Bounds()) {
    SCOPED_TRACE(std::string(TensorTypeName(type)));
    const auto y = Dequantized(Scalar(), type, QuantizedRow(Scalar(), type, zeros), 512);
    for (float v : y) ASSERT_EQ(v, 0.0f);
  }
}

TEST(QuantReferenceTest, Q8_1SumFieldIsScaleTimesSum) {
  std::mt19937 rng(7);
  const std::vector<float> x = RandomFloats(256, rng);
  const auto row = QuantizedRow(Scalar(), TensorType::kQ8_1, x);
  const auto* blocks = reinterpret_cast<const BlockQ8_1*>(row.data());
  for (int b = 0; b < 8; ++b) {
    int sum = 0;
    float amax = 0.0f;
    for (int j = 0; j < 32; ++j) {
      sum += blocks[b].qs[j];
      amax = std::max(amax, std::fabs(x[b * 32 + j]));
    }
    EXPECT_EQ(blocks[b].s, Fp32ToFp16(amax / 127.f * static_cast<float>(sum)));
    EXPECT_EQ(blocks[b].d, Fp32ToFp16(amax / 127.f));
  }
}

TEST(QuantReferenceTest, Q8_KBlockSumsMatchValues) {
  std::mt19937 rng(8);
  const std::vector<float> x = RandomFloats(512, rng);
  const auto row = QuantizedRow(Scalar(), TensorType::kQ8_K, x);
  const auto* blocks = reinterpret_cast<const BlockQ8_K*>(row.data());
  for (int b = 0; b < 2; ++b) {
    int max_abs_q = 0;
    for (int g = 0; g < 16; ++g) {
      int sum = 0;
      for (int l = 0; l < 16; ++l) {
        sum += blocks[b].qs[g * 16 + l];
        max_abs_q = std::max(max_abs_q, std::abs(int{blocks[b].qs[g * 16 + l]}));
      }
      EXPECT_EQ(blocks[b].bsums[g], sum);
    }
    EXPECT_EQ(max_abs_q, 127);  // the largest value maps to -127 * sign
  }
}

// Quantized dot products equal the dot of the dequantized rows up to float
// rounding: the scalar kernel sums exact integers per block and rounds a few
// times per block, while the reference rounds each dequantized element, so
// the two differ by a few float32 ulps (2^-24) per term relative to
// sum |w_i a_i|; 1e-5 allows ~100 ulps of slack on that sum. Q4_1/Q5_1 also
// get OffsetSlack (Q8_1's rounded s field; see kernels_test_util.h).
TEST(QuantReferenceTest, VecDotMatchesDequantizedDot) {
  std::mt19937 rng(99);
  for (TensorType type : testing::WeightTypes()) {
    SCOPED_TRACE(std::string(TensorTypeName(type)));
    for (int64_t n : {256, 2048}) {
      const auto w = RandomRow(type, n, rng);
      const TensorType act_type = ActivationTypeFor(type);
      const auto a = QuantizedRow(Scalar(), act_type, RandomFloats(n, rng));
      const auto wf = Dequantized(Scalar(), type, w, n);
      const auto af = Dequantized(Scalar(), act_type, a, n);
      double expected = 0.0, magnitude = 0.0;
      for (int64_t i = 0; i < n; ++i) {
        expected += static_cast<double>(wf[i]) * af[i];
        magnitude += std::fabs(static_cast<double>(wf[i]) * af[i]);
      }
      const float got = Scalar().vec_dot(type, n, w.data(), a.data());
      EXPECT_NEAR(got, expected, 1e-5 * magnitude + testing::OffsetSlack(type, w, a));
    }
  }
}

TEST(QuantReferenceTest, ActivationTypesFollowGgml) {
  EXPECT_EQ(ActivationTypeFor(TensorType::kQ4_0), TensorType::kQ8_0);
  EXPECT_EQ(ActivationTypeFor(TensorType::kQ5_0), TensorType::kQ8_0);
  EXPECT_EQ(ActivationTypeFor(TensorType::kQ8_0), TensorType::kQ8_0);
  EXPECT_EQ(ActivationTypeFor(TensorType::kQ4_1), TensorType::kQ8_1);
  EXPECT_EQ(ActivationTypeFor(TensorType::kQ5_1), TensorType::kQ8_1);
  for (TensorType k : {TensorType::kQ2_K, TensorType::kQ3_K, TensorType::kQ4_K, TensorType::kQ5_K,
                       TensorType::kQ6_K}) {
    EXPECT_EQ(ActivationTypeFor(k), TensorType::kQ8_K);
  }
  EXPECT_EQ(ActivationTypeFor(TensorType::kF16), TensorType::kF16);
  EXPECT_EQ(ActivationTypeFor(TensorType::kBF16), TensorType::kBF16);
  EXPECT_EQ(ActivationTypeFor(TensorType::kF32), TensorType::kF32);
  for (TensorType type : testing::WeightTypes()) EXPECT_TRUE(IsWeightTypeSupported(type));
  EXPECT_FALSE(IsWeightTypeSupported(TensorType::kI32));
  EXPECT_FALSE(IsWeightTypeSupported(TensorType::kQ8_K));
}

}  // namespace
}  // namespace hearth::kernels
