// Weight quantizers: accuracy against llama.cpp's own bound, edge cases, and
// rounding rules. Byte equality with llama-quantize is checked on whole
// models in engine/quantize_golden_test.cpp.
#include "kernels/quantize_weights.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/kernels.h"
#include "kernels/quant_blocks.h"

namespace hearth::kernels {
namespace {

const TensorType kTypes[] = {TensorType::kQ8_0, TensorType::kQ4_0, TensorType::kQ4_1,
                             TensorType::kQ5_0, TensorType::kQ5_1, TensorType::kQ4_K,
                             TensorType::kQ5_K, TensorType::kQ6_K, TensorType::kF16,
                             TensorType::kBF16, TensorType::kF32};

std::vector<float> RoundTrip(TensorType type, const std::vector<float>& x) {
  const int64_t n = static_cast<int64_t>(x.size());
  std::vector<uint8_t> q(RowBytes(type, static_cast<uint64_t>(n)).value());
  QuantizeWeights(type, x.data(), q.data(), n);
  std::vector<float> y(x.size());
  KernelsFor(Isa::kScalar).dequantize_row(type, q.data(), y.data(), n);
  return y;
}

// llama.cpp's tests/test-quantize-fns.cpp: data 0.1 + 2 cos(i) and its error
// measure sqrt(sum of squared errors) / n below 0.002 for every type of 4 bits
// or more.
double RoundTripSquaredError(TensorType type, const std::vector<float>& x) {
  const std::vector<float> y = RoundTrip(type, x);
  double sum_sq = 0;
  for (size_t i = 0; i < x.size(); ++i) sum_sq += (x[i] - y[i]) * (x[i] - y[i]);
  return sum_sq;
}

std::vector<float> CosineData() {
  std::vector<float> x(32 * 128);
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.1f + 2.0f * std::cos(static_cast<float>(i));
  return x;
}

TEST(QuantizeWeightsTest, RoundTripErrorWithinLlamaCppBound) {
  const std::vector<float> x = CosineData();
  for (TensorType type : kTypes) {
    SCOPED_TRACE(TensorTypeName(type));
    ASSERT_TRUE(CanQuantizeWeights(type));
    EXPECT_LT(std::sqrt(RoundTripSquaredError(type, x)) / static_cast<double>(x.size()), 0.002);
  }
}

// The K-quants' scale search must beat the single-scale legacy types of the
// same width, and each extra bit must help.
TEST(QuantizeWeightsTest, KQuantSearchBeatsLegacyTypes) {
  const std::vector<float> x = CosineData();
  const double q4_1 = RoundTripSquaredError(TensorType::kQ4_1, x);
  const double q4_k = RoundTripSquaredError(TensorType::kQ4_K, x);
  const double q5_1 = RoundTripSquaredError(TensorType::kQ5_1, x);
  const double q5_k = RoundTripSquaredError(TensorType::kQ5_K, x);
  const double q6_k = RoundTripSquaredError(TensorType::kQ6_K, x);
  EXPECT_LT(q4_k, q4_1);
  EXPECT_LT(q5_k, q5_1);
  EXPECT_LT(q5_k, q4_k);
  EXPECT_LT(q6_k, q5_k);
}

// Per-value bounds that follow from each legacy format: symmetric types are
// off by at most one step d (the end opposite the largest value has one level
// less), affine and 8-bit types by half a step, plus fp16 rounding of d and m.
TEST(QuantizeWeightsTest, LegacyTypesStayWithinOneStep) {
  std::vector<float> x(kQk * 64);
  uint32_t state = 12345;
  for (float& v : x) {
    state = state * 1664525u + 1013904223u;
    v = (static_cast<float>(state >> 8) / 16777216.0f - 0.5f) * 6.0f;
  }
  struct Case {
    TensorType type;
    float steps_per_range;  // d = range / steps
    float max_error_in_steps;
  };
  const Case cases[] = {{TensorType::kQ8_0, 254.0f, 0.5f},
                        {TensorType::kQ4_0, 16.0f, 1.0f},
                        {TensorType::kQ5_0, 32.0f, 1.0f},
                        {TensorType::kQ4_1, 15.0f, 0.5f},
                        {TensorType::kQ5_1, 31.0f, 0.5f}};
  for (const Case& c : cases) {
    SCOPED_TRACE(TensorTypeName(c.type));
    const std::vector<float> y = RoundTrip(c.type, x);
    for (size_t b = 0; b < x.size() / kQk; ++b) {
      float lo = x[b * kQk], hi = lo, amax = 0;
      for (int j = 0; j < kQk; ++j) {
        lo = std::min(lo, x[b * kQk + j]);
        hi = std::max(hi, x[b * kQk + j]);
        amax = std::max(amax, std::fabs(x[b * kQk + j]));
      }
      const bool symmetric =
          c.type == TensorType::kQ8_0 || c.type == TensorType::kQ4_0 || c.type == TensorType::kQ5_0;
      const float step = (symmetric ? 2 * amax : hi - lo) / c.steps_per_range;
      const float bound = c.max_error_in_steps * step * 1.01f + amax * 2e-3f;
      for (int j = 0; j < kQk; ++j) {
        ASSERT_LE(std::fabs(x[b * kQk + j] - y[b * kQk + j]), bound) << "block " << b;
      }
    }
  }
}

TEST(QuantizeWeightsTest, ZeroRowsStayZero) {
  const std::vector<float> x(kQkK * 2, 0.0f);
  for (TensorType type : kTypes) {
    SCOPED_TRACE(TensorTypeName(type));
    for (float v : RoundTrip(type, x)) ASSERT_EQ(v, 0.0f);
  }
}

// Groups of very different magnitudes in one super-block: the small groups
// must keep their own scale rather than collapse to zero.
TEST(QuantizeWeightsTest, KQuantsKeepSmallGroups) {
  std::vector<float> x(kQkK);
  for (int i = 0; i < kQkK; ++i) {
    const float magnitude = (i / 32) % 2 == 0 ? 1.0f : 0.05f;
    x[i] = magnitude * std::sin(0.37f * static_cast<float>(i) + 0.1f);
  }
  for (TensorType type : {TensorType::kQ4_K, TensorType::kQ5_K, TensorType::kQ6_K}) {
    SCOPED_TRACE(TensorTypeName(type));
    const std::vector<float> y = RoundTrip(type, x);
    double err_small = 0, norm_small = 0;
    for (int i = 0; i < kQkK; ++i) {
      if ((i / 32) % 2 == 0) continue;
      err_small += (x[i] - y[i]) * (x[i] - y[i]);
      norm_small += x[i] * x[i];
    }
    EXPECT_LT(err_small, 0.05 * norm_small);
  }
}

// ggml's Q8_0 weight quantizer rounds halves away from zero (roundf), unlike
// the activation quantizer (nearest even): 2.5 / d with d = 1 gives 3.
TEST(QuantizeWeightsTest, Q8_0WeightsRoundHalvesAwayFromZero) {
  std::vector<float> x(kQk, 0.0f);
  x[0] = 127.0f;  // d = 1
  x[1] = 2.5f;
  x[2] = -2.5f;
  x[3] = 3.5f;
  BlockQ8_0 block;
  QuantizeWeights(TensorType::kQ8_0, x.data(), &block, kQk);
  EXPECT_EQ(block.qs[0], 127);
  EXPECT_EQ(block.qs[1], 3);
  EXPECT_EQ(block.qs[2], -3);
  EXPECT_EQ(block.qs[3], 4);
}

TEST(QuantizeWeightsTest, ActivationOnlyTypesAreNotWeightTargets) {
  EXPECT_FALSE(CanQuantizeWeights(TensorType::kQ8_1));
  EXPECT_FALSE(CanQuantizeWeights(TensorType::kQ8_K));
  EXPECT_FALSE(CanQuantizeWeights(TensorType::kI32));
}

}  // namespace
}  // namespace hearth::kernels
