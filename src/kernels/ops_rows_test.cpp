// The row-parallel ops and TransposeToHalf against their single-threaded and
// scalar forms, bit for bit.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "kernels/kernels.h"
#include "kernels/ops.h"

namespace hearth::ops {
namespace {

std::vector<float> Random(int64_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

void ExpectSameBits(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(std::bit_cast<uint32_t>(got[i]), std::bit_cast<uint32_t>(want[i]))
        << "element " << i << ": " << got[i] << " vs " << want[i];
  }
}

bool HasAvx2() { return kernels::BestIsa() >= kernels::Isa::kAvx2; }

// Shapes on both sides of the size at which the ops start to split the work.
constexpr int64_t kRowCounts[] = {1, 3, 40, 77};

TEST(OpsRowsTest, RmsNormOnThePoolEqualsOneThreadBitForBit) {
  ThreadPool pool(3);
  for (int64_t rows : kRowCounts) {
    const int64_t n = 576;
    const auto x = Random(rows * n, 1);
    const auto w = Random(n, 2);
    std::vector<float> serial(x.size()), pooled(x.size());
    RmsNorm(x.data(), w.data(), serial.data(), rows, n, 1e-5f);
    RmsNorm(x.data(), w.data(), pooled.data(), rows, n, 1e-5f, pool);
    ExpectSameBits(pooled, serial);
  }
}

TEST(OpsRowsTest, AddOnThePoolEqualsOneThreadBitForBit) {
  ThreadPool pool(2);
  for (int64_t n : {5, 1000, 40001}) {
    const auto a = Random(n, 3), b = Random(n, 4);
    std::vector<float> serial(n), pooled = a;
    Add(a.data(), b.data(), serial.data(), n);
    Add(pooled.data(), b.data(), pooled.data(), n, pool);  // in place, as the models call it
    ExpectSameBits(pooled, serial);
  }
}

TEST(OpsRowsTest, RopeBiasAndScaleOnThePoolEqualOneThreadBitForBit) {
  ThreadPool pool(3);
  for (int64_t n_tokens : kRowCounts) {
    const int32_t n_head = 9, head_dim = 64;
    const int64_t n = n_tokens * n_head * head_dim;
    std::vector<int32_t> pos(static_cast<size_t>(n_tokens));
    for (int64_t t = 0; t < n_tokens; ++t) pos[t] = static_cast<int32_t>(3 + 2 * t);
    for (bool neox : {false, true}) {
      RopeParams params;
      params.n_dims = head_dim;
      params.neox = neox;
      RopeTable table;
      BuildRopeTable(pos.data(), n_tokens, params, table);
      auto serial = Random(n, 9), pooled = serial;
      ApplyRope(serial.data(), n_tokens, n_head, head_dim, table, neox);
      ApplyRope(pooled.data(), n_tokens, n_head, head_dim, table, neox, pool);
      ExpectSameBits(pooled, serial);
    }
    const auto bias = Random(n_head * head_dim, 10);
    auto serial = Random(n, 11), pooled = serial;
    AddRowBias(serial.data(), bias.data(), n_tokens, n_head * head_dim);
    AddRowBias(pooled.data(), bias.data(), n_tokens, n_head * head_dim, pool);
    ExpectSameBits(pooled, serial);
    Scale(serial.data(), n, 0.0625f);
    Scale(pooled.data(), n, 0.0625f, pool);
    ExpectSameBits(pooled, serial);
  }
}

TEST(OpsRowsTest, GatedActivationRowsEqualEachRowAloneBitForBit) {
  ThreadPool pool(3);
  for (int64_t rows : kRowCounts) {
    const int64_t n = 1539;  // not a multiple of 8: each row has a SiLU tail
    const auto gate = Random(rows * n, 5, 4.0f), up = Random(rows * n, 6);
    std::vector<float> swi(gate.size()), gel(gate.size());
    for (int64_t r = 0; r < rows; ++r) {
      SwiGlu(gate.data() + r * n, up.data() + r * n, swi.data() + r * n, n);
      GeGlu(gate.data() + r * n, up.data() + r * n, gel.data() + r * n, n);
    }
    std::vector<float> swi_rows(gate.size()), gel_rows(gate.size());
    SwiGluRows(gate.data(), up.data(), swi_rows.data(), rows, n, pool);
    GeGluRows(gate.data(), up.data(), gel_rows.data(), rows, n, pool);
    ExpectSameBits(swi_rows, swi);
    ExpectSameBits(gel_rows, gel);
  }
}

TEST(OpsRowsTest, GeGluAvx2EqualsScalarOnEveryHalfAndTheEdges) {
  if (!HasAvx2()) GTEST_SKIP() << "no AVX2";
  // Every finite fp16 value, values that round to the table's neighbours, and
  // the short-cuts at -10 and 10.
  std::vector<float> gate;
  for (uint32_t h = 0; h < 65536; ++h) {
    const float x = HalfToFloat(static_cast<uint16_t>(h));
    if (std::isfinite(x)) gate.push_back(x);
  }
  for (float x : {-10.0f, 10.0f, std::nextafter(-10.0f, 0.0f), std::nextafter(10.0f, 0.0f), -1e6f,
                  1e6f, 65519.0f, 65520.0f, -std::numeric_limits<float>::infinity(),
                  std::numeric_limits<float>::infinity()}) {
    gate.push_back(x);
  }
  const auto extra = Random(1001, 7, 3.0f);
  gate.insert(gate.end(), extra.begin(), extra.end());
  const auto up = Random(static_cast<int64_t>(gate.size()), 8);
  const int64_t n = static_cast<int64_t>(gate.size());
  std::vector<float> scalar(gate.size()), avx2(gate.size());
  internal::GeGluScalar(gate.data(), up.data(), scalar.data(), n);
  internal::GeGluAvx2(gate.data(), up.data(), avx2.data(), n);
  ExpectSameBits(avx2, scalar);
}

TEST(OpsRowsTest, TransposeToHalfAvx2EqualsScalar) {
  if (!HasAvx2()) GTEST_SKIP() << "no AVX2";
  for (int64_t n_rows : {1, 8, 13, 64}) {
    for (int64_t n_cols : {3, 8, 21, 64}) {
      const int64_t src_stride = n_cols + 5, dst_stride = n_rows + 11;
      const auto src = Random(n_rows * src_stride, static_cast<uint32_t>(n_rows * 100 + n_cols));
      std::vector<uint16_t> scalar(n_cols * dst_stride, 0x1234), avx2 = scalar;
      internal::TransposeToHalfScalar(src.data(), n_rows, n_cols, src_stride, scalar.data(),
                                      dst_stride);
      internal::TransposeToHalfAvx2(src.data(), n_rows, n_cols, src_stride, avx2.data(),
                                    dst_stride);
      ASSERT_EQ(avx2, scalar) << n_rows << "x" << n_cols;
      // And the scalar one is the definition (untouched entries keep their fill).
      for (int64_t c = 0; c < n_cols; ++c) {
        for (int64_t r = 0; r < dst_stride; ++r) {
          const uint16_t want = r < n_rows ? FloatToHalf(src[r * src_stride + c]) : 0x1234;
          ASSERT_EQ(scalar[c * dst_stride + r], want) << r << "," << c;
        }
      }
    }
  }
}

}  // namespace
}  // namespace hearth::ops
