#include "kernels/ops.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <tuple>
#include <vector>

namespace hearth::ops {
namespace {

std::vector<float> RandomVector(int64_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

TEST(OpsHalfTest, KnownValuesAndTiesRoundToEven) {
  EXPECT_EQ(FloatToHalf(0.0f), 0x0000);
  EXPECT_EQ(FloatToHalf(-0.0f), 0x8000);
  EXPECT_EQ(FloatToHalf(1.0f), 0x3c00);
  EXPECT_EQ(FloatToHalf(-2.0f), 0xc000);
  EXPECT_EQ(FloatToHalf(65504.0f), 0x7bff);
  EXPECT_EQ(FloatToHalf(65519.0f), 0x7bff);                    // below the halfway point to inf
  EXPECT_EQ(FloatToHalf(65520.0f), 0x7c00);                    // halfway: rounds to even = inf
  EXPECT_EQ(FloatToHalf(1.0f + 0x1p-11f), 0x3c00);             // tie -> even mantissa 0
  EXPECT_EQ(FloatToHalf(1.0f + 3 * 0x1p-11f), 0x3c02);         // tie -> even mantissa 2
  EXPECT_EQ(FloatToHalf(1.0f + 0x1p-11f + 0x1p-20f), 0x3c01);  // above the tie
  EXPECT_EQ(FloatToHalf(0x1p-24f), 0x0001);                    // smallest subnormal
  EXPECT_EQ(FloatToHalf(0x1p-25f), 0x0000);                    // tie -> 0
  EXPECT_EQ(FloatToHalf(3 * 0x1p-25f), 0x0002);                // tie -> 2
  EXPECT_EQ(FloatToHalf(0x1p-14f), 0x0400);                    // smallest normal
  EXPECT_EQ(FloatToHalf(std::numeric_limits<float>::infinity()), 0x7c00);
  EXPECT_TRUE(std::isnan(HalfToFloat(FloatToHalf(std::nanf("")))));
  EXPECT_EQ(HalfToFloat(0x3555), 0.333251953125f);
  EXPECT_EQ(HalfToFloat(0x0001), 0x1p-24f);
  EXPECT_EQ(HalfToFloat(0xfbff), -65504.0f);
}

TEST(OpsHalfTest, EveryHalfRoundTrips) {
  for (uint32_t h = 0; h < 65536; ++h) {
    if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0) continue;  // nan payloads
    ASSERT_EQ(FloatToHalf(HalfToFloat(static_cast<uint16_t>(h))), h) << std::hex << h;
  }
}

TEST(OpsHalfTest, RoundsToTheNearestHalf) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-70000.0f, 70000.0f);
  for (int i = 0; i < 20000; ++i) {
    const float x = dist(rng) * (i % 2 ? 1.0f : 1e-4f);
    const uint16_t h = FloatToHalf(x);
    const double err = std::fabs(static_cast<double>(HalfToFloat(h)) - x);
    if (std::fabs(x) >= 65520.0f) {
      EXPECT_TRUE(std::isinf(HalfToFloat(h)));
      continue;
    }
    // Neither neighbour may be strictly closer.
    for (int delta : {-1, 1}) {
      const uint16_t other = static_cast<uint16_t>(h + delta);
      if ((other & 0x7c00) == 0x7c00) continue;
      if (((other ^ h) & 0x8000) != 0) continue;  // crossed the sign
      const double other_err = std::fabs(static_cast<double>(HalfToFloat(other)) - x);
      ASSERT_LE(err, other_err) << x;
    }
  }
}

TEST(OpsTest, RmsNormMatchesFormula) {
  const int64_t rows = 3, n = 37;
  const auto x = RandomVector(rows * n, 1, 3.0f);
  const auto w = RandomVector(n, 2);
  std::vector<float> y(rows * n);
  RmsNorm(x.data(), w.data(), y.data(), rows, n, 1e-5f);
  for (int64_t r = 0; r < rows; ++r) {
    double ss = 0;
    for (int64_t i = 0; i < n; ++i) ss += double(x[r * n + i]) * x[r * n + i];
    const double scale = 1.0 / std::sqrt(ss / n + 1e-5);
    for (int64_t i = 0; i < n; ++i) {
      EXPECT_NEAR(y[r * n + i], x[r * n + i] * scale * w[i], 1e-5) << r << "," << i;
    }
  }
  // In place, without weights.
  std::vector<float> z = x;
  RmsNorm(z.data(), nullptr, z.data(), rows, n, 1e-5f);
  double ss = 0;
  for (int64_t i = 0; i < n; ++i) ss += double(z[i]) * z[i];
  EXPECT_NEAR(ss / n, 1.0, 1e-4);
}

TEST(OpsTest, RmsNormOfManyRowsEqualsRowByRowBitForBit) {
  // Rows are normalized in groups (interleaved sums): each row must still get
  // ggml's sequential double sum, whatever its place in the batch.
  // (AVX2 sums 8 rows at a time, 4 elements per step: rows and n that are
  // not multiples of those take the tails.)
  for (int64_t n : {576, 67}) {
    for (int64_t rows : {1, 2, 4, 5, 8, 9, 19}) {
      const auto x = RandomVector(rows * n, 13, 4.0f);
      const auto w = RandomVector(n, 14);
      std::vector<float> batched(rows * n);
      RmsNorm(x.data(), w.data(), batched.data(), rows, n, 1e-6f);
      std::vector<float> in_place = x;
      RmsNorm(in_place.data(), w.data(), in_place.data(), rows, n, 1e-6f);
      for (int64_t r = 0; r < rows; ++r) {
        const float* xr = x.data() + r * n;
        double sum = 0.0;  // the definition: squares rounded to f32, added in order in double
        for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(xr[i] * xr[i]);
        const float scale = 1.0f / std::sqrt(static_cast<float>(sum / n) + 1e-6f);
        std::vector<float> alone(n);
        RmsNorm(xr, w.data(), alone.data(), 1, n, 1e-6f);
        for (int64_t i = 0; i < n; ++i) {
          const float expected = (xr[i] * scale) * w[i];
          ASSERT_EQ(std::bit_cast<uint32_t>(batched[r * n + i]), std::bit_cast<uint32_t>(expected))
              << rows << " rows, row " << r << ", " << i;
          ASSERT_EQ(std::bit_cast<uint32_t>(alone[i]), std::bit_cast<uint32_t>(expected));
          ASSERT_EQ(std::bit_cast<uint32_t>(in_place[r * n + i]),
                    std::bit_cast<uint32_t>(expected));
        }
      }
    }
  }
}

// Reference RoPE in double: pair (a, b) of dimension pair i rotated by pos * base^(-2i/n_dims).
void RopeReference(std::vector<double>& v, int32_t n_dims, double base, double freq_scale,
                   bool neox, int32_t pos) {
  for (int32_t i = 0; i < n_dims / 2; ++i) {
    const double angle = freq_scale * pos * std::pow(base, -2.0 * i / n_dims);
    const int a = neox ? i : 2 * i;
    const int b = neox ? i + n_dims / 2 : 2 * i + 1;
    const double x0 = v[a], x1 = v[b];
    v[a] = x0 * std::cos(angle) - x1 * std::sin(angle);
    v[b] = x0 * std::sin(angle) + x1 * std::cos(angle);
  }
}

TEST(OpsTest, RopeMatchesFormulaInBothModes) {
  const int32_t n_head = 3, head_dim = 16, n_dims = 12;  // 4 dims pass through
  const int32_t pos[] = {0, 1, 17, 300};
  for (bool neox : {false, true}) {
    auto x = RandomVector(4 * n_head * head_dim, 3);
    const auto original = x;
    RopeParams params{n_dims, 10000.0f, 0.5f, neox, nullptr};
    Rope(x.data(), 4, n_head, head_dim, pos, params);
    for (int t = 0; t < 4; ++t) {
      for (int h = 0; h < n_head; ++h) {
        const int64_t off = (t * n_head + h) * head_dim;
        std::vector<double> ref(original.begin() + off, original.begin() + off + head_dim);
        RopeReference(ref, n_dims, 10000.0, 0.5, neox, pos[t]);
        for (int i = 0; i < head_dim; ++i) {
          // f32 angles of ~150 rad carry ~1e-5 absolute error.
          EXPECT_NEAR(x[off + i], ref[i], 1e-4) << "neox=" << neox << " t=" << t << " i=" << i;
        }
        for (int i = n_dims; i < head_dim; ++i) EXPECT_EQ(x[off + i], original[off + i]);
      }
    }
  }
}

TEST(OpsTest, RopeWithSharedTableEqualsRopeBitForBit) {
  const int32_t n_head = 3, head_dim = 16;
  const int32_t pos[] = {0, 9, 17, 4000};
  const float factors[] = {1.0f, 1.5f, 2.0f, 4.0f, 8.0f, 8.0f};
  for (bool neox : {false, true}) {
    for (const float* freq_factors : {static_cast<const float*>(nullptr), factors}) {
      const RopeParams params{12, 50000.0f, 0.25f, neox, freq_factors};
      auto expected = RandomVector(4 * n_head * head_dim, 12);
      auto actual = expected;
      Rope(expected.data(), 4, n_head, head_dim, pos, params);
      RopeTable table;
      BuildRopeTable(pos, 4, params, table);
      ApplyRope(actual.data(), 4, n_head, head_dim, table, neox);
      for (size_t i = 0; i < expected.size(); ++i) {
        ASSERT_EQ(std::bit_cast<uint32_t>(actual[i]), std::bit_cast<uint32_t>(expected[i]))
            << "neox=" << neox << " i=" << i;
      }
    }
  }
}

TEST(OpsTest, RopeFreqFactorsDivideTheAngle) {
  const int32_t head_dim = 8;
  auto x = RandomVector(head_dim, 4);
  const auto original = x;
  const float factors[] = {1.0f, 2.0f, 4.0f, 8.0f};
  const int32_t pos = 5;
  Rope(x.data(), 1, 1, head_dim, &pos, {head_dim, 100.0f, 1.0f, false, factors});
  for (int i = 0; i < head_dim / 2; ++i) {
    const double angle = pos * std::pow(100.0, -2.0 * i / head_dim) / factors[i];
    EXPECT_NEAR(x[2 * i], original[2 * i] * std::cos(angle) - original[2 * i + 1] * std::sin(angle),
                1e-5);
  }
}

TEST(OpsTest, ExpGgmlIsWithinTwoUlpOfExp) {
  for (float x = -103.0f; x < 88.0f; x += 0.0137f) {
    const double want = std::exp(double(x));
    const float got = ExpGgml(x);
    EXPECT_LE(std::fabs(got - want),
              2.0 * std::fabs(std::nextafter(float(want), INFINITY) - float(want)))
        << x;
  }
  EXPECT_EQ(ExpGgml(0.0f), 1.0f);
  EXPECT_EQ(ExpGgml(-INFINITY), 0.0f);
  EXPECT_EQ(ExpGgml(-200.0f), 0.0f);
  EXPECT_TRUE(std::isinf(ExpGgml(100.0f)));
}

TEST(OpsTest, SumInGroupsOf8AddsEverything) {
  std::vector<float> x(21);
  for (int i = 0; i < 21; ++i) x[i] = float(i);
  EXPECT_EQ(SumInGroupsOf8(x.data(), 0, 21), 210.0);
  EXPECT_EQ(SumInGroupsOf8(x.data(), 8, 21), 210.0 - 28.0);
}

TEST(OpsTest, SoftmaxMatchesFormula) {
  auto x = RandomVector(50, 5, 4.0f);
  const auto original = x;
  Softmax(x.data(), 50);
  double denom = 0;
  for (float v : original) denom += std::exp(double(v));
  double sum = 0;
  for (int i = 0; i < 50; ++i) {
    EXPECT_NEAR(x[i], std::exp(double(original[i])) / denom, 1e-6);
    sum += x[i];
  }
  EXPECT_NEAR(sum, 1.0, 1e-5);
}

TEST(OpsTest, GatedActivationsMatchFormulas) {
  const auto gate = RandomVector(200, 6, 3.0f);
  const auto up = RandomVector(200, 7);
  std::vector<float> y(200);
  SwiGlu(gate.data(), up.data(), y.data(), 200);
  for (int i = 0; i < 200; ++i) {
    const double g = gate[i];
    EXPECT_NEAR(y[i], g / (1 + std::exp(-g)) * up[i], 1e-5);
  }
  GeGlu(gate.data(), up.data(), y.data(), 200);
  for (int i = 0; i < 200; ++i) {
    const double g = gate[i];
    const double gelu = 0.5 * g * (1 + std::tanh(std::sqrt(2 / M_PI) * (g + 0.044715 * g * g * g)));
    // ggml evaluates GELU on fp16 input and rounds the result to fp16.
    EXPECT_NEAR(y[i], gelu * up[i], 2e-3 * (std::fabs(gelu) + 1e-2) * (std::fabs(up[i]) + 1)) << g;
  }
  EXPECT_EQ(Gelu(-12.0f), 0.0f);
  EXPECT_EQ(Gelu(11.5f), 11.5f);
  EXPECT_EQ(Gelu(0.0f), 0.0f);
}

TEST(OpsTest, DotF16ScalarIsExactOnSmallIntegers) {
  std::vector<uint16_t> a, b;
  double expected = 0;
  for (int i = 0; i < 29; ++i) {  // 3 full lanes groups + a tail of 5
    a.push_back(FloatToHalf(float(i % 7 - 3)));
    b.push_back(FloatToHalf(float(i % 5)));
    expected += double(i % 7 - 3) * (i % 5);
  }
  EXPECT_EQ(internal::DotF16Scalar(a.data(), b.data(), 29), expected);
  EXPECT_EQ(DotF16(a.data(), b.data(), 29), expected);
  EXPECT_EQ(internal::DotF16GemvScalar(a.data(), b.data(), 29), expected);
  EXPECT_EQ(DotF16Gemv(a.data(), b.data(), 29), expected);
}

TEST(OpsTest, DotF16OrdersDifferOnlyInRounding) {
  std::mt19937 rng(12);
  std::normal_distribution<float> dist;
  std::vector<uint16_t> a(300), b(300);
  double exact = 0;
  for (int i = 0; i < 300; ++i) {
    a[i] = FloatToHalf(dist(rng));
    b[i] = FloatToHalf(dist(rng));
    exact += double(HalfToFloat(a[i])) * HalfToFloat(b[i]);
  }
  EXPECT_NEAR(DotF16(a.data(), b.data(), 300), exact, 1e-4);
  EXPECT_NEAR(DotF16Gemv(a.data(), b.data(), 300), exact, 1e-4);
}

// Naive attention with the same fp16 roundings (q, K, V, softmax weights) in double.
std::vector<float> ReferenceAttention(const std::vector<float>& q, int64_t n_tokens, int32_t pos0,
                                      const std::vector<uint16_t>& k,
                                      const std::vector<uint16_t>& v, int64_t v_stride,
                                      const AttentionShape& s, const AttentionParams& p) {
  std::vector<float> out(q.size());
  const int group = s.n_head / s.n_head_kv;
  for (int64_t t = 0; t < n_tokens; ++t) {
    const int32_t p1 = pos0 + static_cast<int32_t>(t);
    for (int h = 0; h < s.n_head; ++h) {
      const int kvh = h / group;
      const float* qh = q.data() + (t * s.n_head + h) * s.head_dim;
      std::vector<double> scores(p1 + 1, -INFINITY);
      double max = -INFINITY;
      for (int32_t j = 0; j <= p1; ++j) {
        if (p.window > 0 && p1 - j >= p.window) continue;
        double dot = 0;
        for (int d = 0; d < s.head_dim; ++d) {
          dot += double(HalfToFloat(FloatToHalf(qh[d]))) *
                 HalfToFloat(k[(j * s.n_head_kv + kvh) * s.head_dim + d]);
        }
        if (p.softcap > 0) dot = p.softcap * std::tanh(dot / p.softcap);
        scores[j] = dot * p.scale;
        max = std::max(max, scores[j]);
      }
      double sum = 0;
      for (double& sc : scores) sum += (sc = std::exp(sc - max));
      for (int d = 0; d < s.head_dim; ++d) {
        double acc = 0;
        for (int32_t j = 0; j <= p1; ++j) {
          acc += double(HalfToFloat(FloatToHalf(float(scores[j] / sum)))) *
                 HalfToFloat(v[(kvh * s.head_dim + d) * v_stride + j]);
        }
        out[(t * s.n_head + h) * s.head_dim + d] = static_cast<float>(acc);
      }
    }
  }
  return out;
}

void CheckAttention(const AttentionParams& params, int n_threads, int64_t n_tokens = 5) {
  const AttentionShape shape{4, 2, 16};
  const int32_t pos0 = 14;  // 14 cached positions + the new ones
  const int32_t n_kv = pos0 + static_cast<int32_t>(n_tokens);
  const int64_t v_stride = 32;
  const auto q = RandomVector(n_tokens * shape.n_head * shape.head_dim, 8);
  const auto kf = RandomVector(n_kv * shape.n_head_kv * shape.head_dim, 9);
  const auto vf = RandomVector(shape.n_head_kv * shape.head_dim * v_stride, 10);
  std::vector<uint16_t> k(kf.size()), v(vf.size());
  FloatToHalfRow(kf.data(), k.data(), kf.size());
  FloatToHalfRow(vf.data(), v.data(), vf.size());
  std::vector<float> out(q.size());
  ThreadPool pool(n_threads);
  Attention(q.data(), n_tokens, pos0, k.data(), v.data(), v_stride, shape, params, out.data(),
            pool);
  const auto ref = ReferenceAttention(q, n_tokens, pos0, k, v, v_stride, shape, params);
  for (size_t i = 0; i < out.size(); ++i) {
    // The reference rounds the same values to fp16, but from double: a softmax
    // weight p may land on the neighbouring fp16 value (an error of p * 2^-11,
    // times |v| <= ~3), otherwise only f32 summation order differs.
    ASSERT_NEAR(out[i], ref[i], 5e-4) << i;
  }
}

TEST(OpsAttentionTest, CausalGqaMatchesReference) { CheckAttention({0.25f, 0.0f, 0}, 1); }
TEST(OpsAttentionTest, SlidingWindowMatchesReference) { CheckAttention({0.25f, 0.0f, 6}, 2); }
TEST(OpsAttentionTest, SoftcapMatchesReference) { CheckAttention({0.7f, 2.0f, 0}, 3); }
TEST(OpsAttentionTest, OneTokenMatchesReference) { CheckAttention({0.25f, 0.0f, 0}, 2, 1); }
TEST(OpsAttentionTest, OneTokenSlidingWindowMatchesReference) {
  CheckAttention({0.25f, 0.0f, 6}, 1, 1);
}

// One sequence of AttentionBatch with its own random cache.
struct SequenceData {
  int64_t n_tokens;
  int32_t pos0;
  int64_t v_stride;
  std::vector<float> q;
  std::vector<uint16_t> k, v;
  std::vector<float> out;
};

SequenceData RandomSequence(const AttentionShape& shape, int64_t n_tokens, int32_t pos0,
                            int64_t v_stride, uint32_t seed) {
  SequenceData s{n_tokens, pos0, v_stride, {}, {}, {}, {}};
  const int64_t n_kv = pos0 + n_tokens;
  s.q = RandomVector(n_tokens * shape.n_head * shape.head_dim, seed);
  const auto kf = RandomVector(n_kv * shape.n_head_kv * shape.head_dim, seed + 1);
  const auto vf = RandomVector(shape.n_head_kv * shape.head_dim * v_stride, seed + 2);
  s.k.resize(kf.size());
  s.v.resize(vf.size());
  FloatToHalfRow(kf.data(), s.k.data(), kf.size());
  FloatToHalfRow(vf.data(), s.v.data(), vf.size());
  s.out.assign(s.q.size(), 0.0f);
  return s;
}

TEST(OpsAttentionTest, BatchEqualsEachSequenceAloneBitForBit) {
  // A decode step's mix: one-token sequences (GEMV path) at various lengths,
  // and a prompt chunk (GEMM path), each over its own cache.
  const AttentionShape shape{6, 2, 32};
  const AttentionParams params{0.2f, 0.0f, 0};
  std::vector<SequenceData> seqs;
  seqs.push_back(RandomSequence(shape, 1, 40, 64, 20));
  seqs.push_back(RandomSequence(shape, 5, 3, 32, 30));
  seqs.push_back(RandomSequence(shape, 1, 0, 32, 40));
  seqs.push_back(RandomSequence(shape, 1, 100, 128, 50));
  for (int n_threads : {1, 2, 3}) {
    ThreadPool pool(n_threads);
    std::vector<AttentionSequence> batch;
    for (SequenceData& s : seqs) {
      batch.push_back(
          {s.q.data(), s.n_tokens, s.pos0, s.k.data(), s.v.data(), s.v_stride, s.out.data()});
    }
    AttentionBatch(batch, shape, params, pool);
    for (const SequenceData& s : seqs) {
      std::vector<float> alone(s.q.size());
      Attention(s.q.data(), s.n_tokens, s.pos0, s.k.data(), s.v.data(), s.v_stride, shape, params,
                alone.data(), pool);
      for (size_t i = 0; i < alone.size(); ++i) {
        ASSERT_EQ(std::bit_cast<uint32_t>(s.out[i]), std::bit_cast<uint32_t>(alone[i]))
            << "threads=" << n_threads << " pos0=" << s.pos0 << " i=" << i;
      }
      const auto ref =
          ReferenceAttention(s.q, s.n_tokens, s.pos0, s.k, s.v, s.v_stride, shape, params);
      for (size_t i = 0; i < ref.size(); ++i) ASSERT_NEAR(s.out[i], ref[i], 5e-4) << i;
    }
  }
}

TEST(OpsAttentionTest, LongerContextAfterShorterReusesScratchCorrectly) {
  // Per-thread scratch grows with the context and is not cleared between
  // calls: a short sequence after a long one must not see stale scores.
  const AttentionShape shape{2, 1, 16};
  const AttentionParams params{0.25f, 0.0f, 0};
  ThreadPool pool(2);
  for (auto [n_tokens, pos0, v_stride] :
       {std::tuple<int64_t, int32_t, int64_t>{1, 200, 224}, {1, 3, 32}, {3, 60, 64}, {1, 9, 32}}) {
    SequenceData s = RandomSequence(shape, n_tokens, pos0, v_stride, 60 + pos0);
    Attention(s.q.data(), n_tokens, pos0, s.k.data(), s.v.data(), v_stride, shape, params,
              s.out.data(), pool);
    const auto ref = ReferenceAttention(s.q, n_tokens, pos0, s.k, s.v, v_stride, shape, params);
    for (size_t i = 0; i < ref.size(); ++i) ASSERT_NEAR(s.out[i], ref[i], 5e-4) << pos0 << " " << i;
  }
}

TEST(OpsAttentionTest, FirstTokenReturnsItsOwnValue) {
  // One position: softmax weight 1, so the output is V rounded as stored.
  const AttentionShape shape{2, 1, 8};
  const auto q = RandomVector(16, 11);
  std::vector<uint16_t> k(8), v(8 * 32);
  for (int d = 0; d < 8; ++d) {
    k[d] = FloatToHalf(0.1f * d);
    v[d * 32] = FloatToHalf(1.5f + d);
  }
  std::vector<float> out(16);
  ThreadPool pool(1);
  Attention(q.data(), 1, 0, k.data(), v.data(), 32, shape, {1.0f, 0.0f, 0}, out.data(), pool);
  for (int h = 0; h < 2; ++h) {
    for (int d = 0; d < 8; ++d) EXPECT_EQ(out[h * 8 + d], 1.5f + d);
  }
}

}  // namespace
}  // namespace hearth::ops
