// fp16 / bf16 conversions against independent float math (ldexp), for every
// fp16 value and for the rounding boundaries between them.
#include "kernels/float16.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

namespace hearth::kernels {
namespace {

// The value of fp16 bits h computed from the IEEE definition.
double Fp16Value(uint16_t h) {
  const int sign = (h >> 15) ? -1 : 1;
  const int exponent = (h >> 10) & 0x1f;
  const int mantissa = h & 0x3ff;
  if (exponent == 0x1f) {
    return mantissa ? std::numeric_limits<double>::quiet_NaN()
                    : sign * std::numeric_limits<double>::infinity();
  }
  if (exponent == 0) return sign * std::ldexp(mantissa, -24);
  return sign * std::ldexp(1024 + mantissa, exponent - 25);
}

TEST(Float16Test, EveryHalfConvertsExactlyAndBack) {
  for (uint32_t h = 0; h <= 0xffff; ++h) {
    const double expected = Fp16Value(static_cast<uint16_t>(h));
    const float got = Fp16ToFp32(static_cast<uint16_t>(h));
    if (std::isnan(expected)) {
      ASSERT_TRUE(std::isnan(got)) << h;
      // Quiet NaN with the payload's top bits kept, as vcvtps2ph does.
      ASSERT_EQ(Fp32ToFp16(got), h | 0x200u) << h;
      continue;
    }
    ASSERT_EQ(static_cast<double>(got), expected) << h;
    ASSERT_EQ(std::signbit(got), (h >> 15) != 0) << h;
    ASSERT_EQ(Fp32ToFp16(got), h) << h;
  }
}

// Between two adjacent halves, values below the midpoint round down, above it
// up, and the midpoint itself to the neighbour with an even mantissa.
TEST(Float16Test, RoundsToNearestEven) {
  for (uint32_t h = 0; h < 0x7bff; ++h) {  // positive finite halves below the max
    const double lo = Fp16Value(static_cast<uint16_t>(h));
    const double hi = Fp16Value(static_cast<uint16_t>(h + 1));
    const double mid = (lo + hi) / 2;  // exact in float: halves have <= 11 bits
    const uint16_t even = (h & 1) ? static_cast<uint16_t>(h + 1) : static_cast<uint16_t>(h);
    ASSERT_EQ(Fp32ToFp16(static_cast<float>(mid)), even) << h;
    ASSERT_EQ(Fp32ToFp16(std::nextafter(static_cast<float>(mid), 0.0f)), h) << h;
    ASSERT_EQ(Fp32ToFp16(std::nextafter(static_cast<float>(mid), 1e9f)), h + 1) << h;
    ASSERT_EQ(Fp32ToFp16(static_cast<float>(-mid)), even | 0x8000u) << h;
  }
}

TEST(Float16Test, OverflowAndTinyValues) {
  EXPECT_EQ(Fp32ToFp16(65504.0f), 0x7bff);
  EXPECT_EQ(Fp32ToFp16(65519.996f), 0x7bff);
  EXPECT_EQ(Fp32ToFp16(65520.0f), 0x7c00);  // tie goes to even: infinity
  EXPECT_EQ(Fp32ToFp16(1e10f), 0x7c00);
  EXPECT_EQ(Fp32ToFp16(-std::numeric_limits<float>::infinity()), 0xfc00);
  EXPECT_EQ(Fp32ToFp16(std::ldexp(1.0f, -25)), 0x0000);  // tie with 0 -> 0
  EXPECT_EQ(Fp32ToFp16(std::nextafter(std::ldexp(1.0f, -25), 1.0f)), 0x0001);
  EXPECT_EQ(Fp32ToFp16(1e-30f), 0x0000);
  EXPECT_EQ(Fp32ToFp16(-1e-30f), 0x8000);
  EXPECT_EQ(Fp32ToFp16(std::numeric_limits<float>::denorm_min()), 0x0000);
}

TEST(Bfloat16Test, ConvertsAndRoundsLikeGgml) {
  for (uint32_t h = 0; h <= 0xffff; ++h) {
    const float f = Bf16ToFp32(static_cast<uint16_t>(h));
    if (std::isnan(f)) {
      ASSERT_EQ(Fp32ToBf16(f), h | 0x40u) << h;  // forced quiet
    } else {
      ASSERT_EQ(Fp32ToBf16(f), h) << h;
    }
  }
  // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to even (1.0).
  EXPECT_EQ(Fp32ToBf16(1.0f + std::ldexp(1.0f, -8)), 0x3f80);
  EXPECT_EQ(Fp32ToBf16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3f82);
  EXPECT_EQ(Fp32ToBf16(std::nextafter(1.0f + std::ldexp(1.0f, -8), 2.0f)), 0x3f81);
  // Subnormals round like any other value (no flush to zero).
  EXPECT_EQ(Fp32ToBf16(std::ldexp(1.0f, -133)), 0x0001);
  EXPECT_EQ(Fp32ToBf16(std::numeric_limits<float>::max()), 0x7f80);  // rounds up to inf
}

}  // namespace
}  // namespace hearth::kernels
