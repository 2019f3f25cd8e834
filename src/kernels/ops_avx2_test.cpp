// Checks the AVX2 paths of ops against F16C hardware conversion and the scalar code.
#include <gtest/gtest.h>
#include <immintrin.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <random>
#include <utility>
#include <vector>

#include "kernels/ops.h"

namespace hearth::ops {
namespace {

bool HaveAvx2() {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
         __builtin_cpu_supports("f16c");
}

TEST(OpsAvx2Test, FloatToHalfMatchesF16c) {
  if (!HaveAvx2()) GTEST_SKIP() << "this CPU lacks AVX2/FMA/F16C";
  std::mt19937 rng(3);
  for (int i = 0; i < 200000; ++i) {
    const uint32_t bits = rng();
    float x;
    std::memcpy(&x, &bits, 4);
    if (std::isnan(x)) continue;
    ASSERT_EQ(FloatToHalf(x), _cvtss_sh(x, _MM_FROUND_TO_NEAREST_INT)) << x;
    const uint16_t h = static_cast<uint16_t>(bits);
    if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff)) continue;
    ASSERT_EQ(HalfToFloat(h), _cvtsh_ss(h)) << h;
  }
}

TEST(OpsAvx2Test, DotF16GemvRowsMatchesDotF16GemvBitForBit) {
  if (!HaveAvx2()) GTEST_SKIP() << "this CPU lacks AVX2/FMA/F16C";
  std::mt19937 rng(7);
  std::normal_distribution<float> dist;
  // Key rows (n = head_dim, odd or even row counts) and value rows (n = positions).
  for (auto [n, n_rows] : {std::pair<int, int>{64, 7},
                           {64, 8},
                           {80, 5},
                           {128, 3},
                           {13, 4},
                           {32, 1},
                           {1024, 6},
                           {96, 64}}) {
    const int64_t stride = n + 24;
    std::vector<uint16_t> rows(stride * n_rows), x(n);
    for (auto& h : rows) h = FloatToHalf(dist(rng));
    for (auto& h : x) h = FloatToHalf(dist(rng));
    std::vector<float> scalar(n_rows), avx2(n_rows);
    internal::DotF16GemvRowsScalar(rows.data(), stride, n_rows, x.data(), n, scalar.data());
    internal::DotF16GemvRowsAvx2(rows.data(), stride, n_rows, x.data(), n, avx2.data());
    for (int j = 0; j < n_rows; ++j) {
      const float one = internal::DotF16GemvScalar(rows.data() + j * stride, x.data(), n);
      ASSERT_EQ(std::bit_cast<uint32_t>(scalar[j]), std::bit_cast<uint32_t>(one)) << n << " " << j;
      ASSERT_EQ(std::bit_cast<uint32_t>(avx2[j]), std::bit_cast<uint32_t>(one)) << n << " " << j;
    }
  }
}

TEST(OpsAvx2Test, RotateHeadMatchesScalarBitForBit) {
  if (!HaveAvx2()) GTEST_SKIP() << "this CPU lacks AVX2/FMA/F16C";
  std::mt19937 rng(10);
  std::normal_distribution<float> dist(0.0f, 4.0f);
  for (bool neox : {false, true}) {
    for (int n_pairs : {1, 3, 4, 8, 13, 32, 64}) {
      const int head_dim = 2 * n_pairs + 6;  // dimensions past the rotated ones pass through
      std::vector<float> cos(n_pairs), sin(n_pairs), expected(head_dim);
      for (int i = 0; i < n_pairs; ++i) {
        const float angle = dist(rng) * 40.0f;
        cos[i] = std::cos(angle);
        sin[i] = std::sin(angle);
      }
      for (float& x : expected) x = dist(rng);
      auto actual = expected;
      internal::RotateHeadScalar(expected.data(), cos.data(), sin.data(), n_pairs, neox);
      internal::RotateHeadAvx2(actual.data(), cos.data(), sin.data(), n_pairs, neox);
      for (int i = 0; i < head_dim; ++i) {
        ASSERT_EQ(std::bit_cast<uint32_t>(actual[i]), std::bit_cast<uint32_t>(expected[i]))
            << "neox=" << neox << " pairs=" << n_pairs << " i=" << i;
      }
    }
  }
}

TEST(OpsAvx2Test, ScaleRowAndMaxMatchesScalar) {
  if (!HaveAvx2()) GTEST_SKIP() << "this CPU lacks AVX2/FMA/F16C";
  std::mt19937 rng(8);
  std::normal_distribution<float> dist(0.0f, 5.0f);
  for (int n : {0, 1, 7, 8, 9, 64, 515}) {
    std::vector<float> expected(n);
    for (float& v : expected) v = dist(rng);
    auto actual = expected;
    const float max_scalar = internal::ScaleRowAndMaxScalar(expected.data(), n, 0.125f);
    const float max_avx2 = internal::ScaleRowAndMaxAvx2(actual.data(), n, 0.125f);
    EXPECT_EQ(max_avx2, max_scalar) << n;
    if (n == 0) {
      EXPECT_EQ(max_avx2, -INFINITY);
    }
    for (int i = 0; i < n; ++i) ASSERT_EQ(actual[i], expected[i]) << n << " " << i;
  }
}

TEST(OpsAvx2Test, FloatToHalfRowMatchesScalar) {
  if (!HaveAvx2()) GTEST_SKIP() << "this CPU lacks AVX2/FMA/F16C";
  std::mt19937 rng(6);
  const int64_t n = 4099;  // whole groups of 8 and a tail
  std::vector<float> x(n);
  for (float& value : x) {
    do {
      value = std::bit_cast<float>(static_cast<uint32_t>(rng()));
    } while (std::isnan(value));
  }
  std::vector<uint16_t> expected(n), actual(n);
  internal::FloatToHalfRowScalar(x.data(), expected.data(), n);
  internal::FloatToHalfRowAvx2(x.data(), actual.data(), n);
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(actual[i], expected[i]) << x[i];
}

TEST(OpsAvx2Test, DotF16MatchesScalarBitForBit) {
  if (!HaveAvx2()) GTEST_SKIP() << "this CPU lacks AVX2/FMA/F16C";
  std::mt19937 rng(4);
  std::normal_distribution<float> dist;
  for (int n : {8, 16, 64, 72, 256, 13, 3, 32, 96, 100, 512}) {
    std::vector<uint16_t> a(n), b(n);
    for (int i = 0; i < n; ++i) {
      a[i] = FloatToHalf(dist(rng));
      b[i] = FloatToHalf(dist(rng));
    }
    ASSERT_EQ(internal::DotF16Avx2(a.data(), b.data(), n),
              internal::DotF16Scalar(a.data(), b.data(), n))
        << n;
    ASSERT_EQ(internal::DotF16GemvAvx2(a.data(), b.data(), n),
              internal::DotF16GemvScalar(a.data(), b.data(), n))
        << n;
  }
}

TEST(OpsAvx2Test, SwiGluMatchesScalarBitForBit) {
  if (!HaveAvx2()) GTEST_SKIP() << "this CPU lacks AVX2/FMA/F16C";
  std::mt19937 rng(5);
  std::normal_distribution<float> dist(0.0f, 30.0f);  // reaches the |n| > 126 paths
  const int n = 4099;                                 // 512 groups of 8 and a tail
  std::vector<float> gate(n), up(n), a(n), b(n);
  for (int i = 0; i < n; ++i) {
    gate[i] = dist(rng);
    up[i] = dist(rng) / 30.0f;
  }
  gate[0] = -150.0f;  // exp(150): overflows to inf, silu -> -0
  gate[1] = 150.0f;
  internal::SwiGluAvx2(gate.data(), up.data(), a.data(), n);
  internal::SwiGluScalar(gate.data(), up.data(), b.data(), n);
  for (int i = 0; i < n; ++i)
    ASSERT_EQ(std::bit_cast<uint32_t>(a[i]), std::bit_cast<uint32_t>(b[i])) << gate[i];
}

TEST(OpsAvx2Test, DotF16RowsMatchesDotF16BitForBit) {
  if (!HaveAvx2()) GTEST_SKIP() << "this CPU lacks AVX2/FMA/F16C";
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 2.0f);
  for (int64_t n : {8, 64, 67, 256}) {
    const int64_t n_rows = 11, stride = n + 5;  // 4-row groups and a rest
    std::vector<uint16_t> rows(n_rows * stride), x(n);
    for (auto& h : rows) h = FloatToHalf(dist(rng));
    for (auto& h : x) h = FloatToHalf(dist(rng));
    std::vector<float> a(n_rows), b(n_rows);
    internal::DotF16RowsAvx2(rows.data(), stride, n_rows, x.data(), n, a.data());
    internal::DotF16RowsScalar(rows.data(), stride, n_rows, x.data(), n, b.data());
    for (int64_t j = 0; j < n_rows; ++j) {
      ASSERT_EQ(std::bit_cast<uint32_t>(a[j]), std::bit_cast<uint32_t>(b[j])) << n << " " << j;
    }
  }
}

TEST(OpsAvx2Test, SoftmaxRowsMatchScalarBitForBit) {
  if (!HaveAvx2()) GTEST_SKIP() << "this CPU lacks AVX2/FMA/F16C";
  std::mt19937 rng(6);
  std::normal_distribution<float> dist(0.0f, 40.0f);  // exp underflow and |n| > 126 paths
  const int n = 1027;                                 // groups of 8 and a tail
  std::vector<float> x(n);
  for (float& v : x) v = dist(rng);
  std::vector<float> a = x, b = x;
  internal::ExpShiftedRowAvx2(a.data(), n, 3.5f);
  internal::ExpShiftedRowScalar(b.data(), n, 3.5f);
  for (int i = 0; i < n; ++i)
    ASSERT_EQ(std::bit_cast<uint32_t>(a[i]), std::bit_cast<uint32_t>(b[i])) << x[i];
  // Probabilities down to fp16 subnormals and up past fp16's range.
  std::vector<uint16_t> ha(n), hb(n);
  for (float scale : {1.0f, 1e-7f, 3e4f}) {
    internal::ScaledToHalfRowAvx2(a.data(), scale, ha.data(), n);
    internal::ScaledToHalfRowScalar(a.data(), scale, hb.data(), n);
    for (int i = 0; i < n; ++i) ASSERT_EQ(ha[i], hb[i]) << a[i] << " * " << scale;
  }
}

}  // namespace
}  // namespace hearth::ops
