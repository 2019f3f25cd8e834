// AVX2 GEMM for the K-quants Q4_K, Q5_K and Q6_K (prompt batches) against Q8_K activations.
//
// The AVX2 vec_dot of these types spends much of each super-block on unpacking: 6-bit scales
// and mins decoded in scalar code, nibbles (and high bits) split into bytes. Here each
// super-block of a weight row is unpacked once into a PreparedBlock (eight 32-byte groups of
// unsigned values and their int16 multipliers) and then dotted with kMaxTokens tokens. Per
// output the integer lanes are vec_dot's (integer additions are exact in any order) and the
// float operations are vec_dot's in the same order, so the results equal the AVX2 vec_dot bit
// for bit (tested in gemm_test.cpp).
#include <algorithm>
#include <array>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels/float16.h"
#include "kernels/kernel_registry.h"
#include "kernels/quant_blocks.h"
#include "kernels/simd_avx2.h"

namespace hearth::kernels::avx2 {
namespace {

constexpr int kMaxTokens = 4;    // accumulators: 2 per token, 16 registers in all
constexpr int64_t kRowTile = 8;  // rows prepared together (their blocks stay in L2)

// One super-block of one weight row, unpacked. Slot k multiplies activations qs[32k, 32k+32).
struct PreparedBlock {
  __m256i q[8];       // unsigned values (Q6_K: biased by +32)
  __m256i scales[8];  // int16 multipliers of the 16 maddubs pair sums of slot k
  __m256i scales16;   // Q6_K: the 16 scales as int16 (for its -32 offset through bsums)
  __m128i mins;       // Q4_K/Q5_K: the 8 mins as int16
  float d = 0.0f;
  float dmin = 0.0f;
};

inline __m256i LowBits(__m256i v, int shift, int mask) {
  return _mm256_and_si256(ShiftBytesRight(v, shift), _mm256_set1_epi8(static_cast<char>(mask)));
}

// The 6-bit scales and mins of Q4_K/Q5_K (as quant_k_avx2.cpp's UnpackScaleMin6).
void ScalesAndMins(const uint8_t* packed, PreparedBlock& p) {
  int scale[8], min[8];
  for (int j = 0; j < 4; ++j) {
    scale[j] = packed[j] & 63;
    min[j] = packed[j + 4] & 63;
  }
  for (int j = 4; j < 8; ++j) {
    scale[j] = (packed[j + 4] & 0x0f) | ((packed[j - 4] >> 6) << 4);
    min[j] = (packed[j + 4] >> 4) | ((packed[j] >> 6) << 4);
  }
  for (int k = 0; k < 8; ++k) p.scales[k] = _mm256_set1_epi16(static_cast<int16_t>(scale[k]));
  p.mins = _mm_setr_epi16(static_cast<int16_t>(min[0]), static_cast<int16_t>(min[1]),
                          static_cast<int16_t>(min[2]), static_cast<int16_t>(min[3]),
                          static_cast<int16_t>(min[4]), static_cast<int16_t>(min[5]),
                          static_cast<int16_t>(min[6]), static_cast<int16_t>(min[7]));
}

// sum_j mins[j] * (group sum j of the activations), in 4 int32 lanes (as MinsTimesGroupSums).
inline __m128i MinsTimesGroupSums(__m128i mins, const int16_t* bsums) {
  const __m256i sums16 = LoadU(bsums);
  const __m128i group_sums =
      _mm_hadd_epi16(_mm256_castsi256_si128(sums16), _mm256_extracti128_si256(sums16, 1));
  return _mm_madd_epi16(mins, group_sums);
}

struct Q4K {
  using WeightBlock = BlockQ4_K;
  static void Prepare(const WeightBlock& x, PreparedBlock& p) {
    ScalesAndMins(x.scales, p);
    for (int chunk = 0; chunk < 4; ++chunk) {
      const __m256i bits = LoadU(x.qs + 32 * chunk);
      p.q[2 * chunk] = LowBits(bits, 0, 0x0f);
      p.q[2 * chunk + 1] = LowBits(bits, 4, 0x0f);
    }
    p.d = Fp16ToFp32(x.d);
    p.dmin = Fp16ToFp32(x.dmin);
  }
};

struct Q5K {
  using WeightBlock = BlockQ5_K;
  static void Prepare(const WeightBlock& x, PreparedBlock& p) {
    ScalesAndMins(x.scales, p);
    const __m256i qh = LoadU(x.qh);
    for (int chunk = 0; chunk < 4; ++chunk) {
      const __m256i bits = LoadU(x.qs + 32 * chunk);
      const __m256i high_lo = _mm256_slli_epi16(LowBits(qh, 2 * chunk, 1), 4);
      const __m256i high_hi = _mm256_slli_epi16(LowBits(qh, 2 * chunk + 1, 1), 4);
      p.q[2 * chunk] = _mm256_or_si256(LowBits(bits, 0, 0x0f), high_lo);
      p.q[2 * chunk + 1] = _mm256_or_si256(LowBits(bits, 4, 0x0f), high_hi);
    }
    p.d = Fp16ToFp32(x.d);
    p.dmin = Fp16ToFp32(x.dmin);
  }
};

struct Q6K {
  using WeightBlock = BlockQ6_K;
  static void Prepare(const WeightBlock& x, PreparedBlock& p) {
    for (int chunk = 0; chunk < 2; ++chunk) {
      const __m256i low_a = LoadU(x.ql + 64 * chunk);
      const __m256i low_b = LoadU(x.ql + 64 * chunk + 32);
      const __m256i high = LoadU(x.qh + 32 * chunk);
      for (int quarter = 0; quarter < 4; ++quarter) {
        const __m256i low = LowBits((quarter & 1) ? low_b : low_a, 4 * (quarter >> 1), 0x0f);
        const __m256i top = _mm256_slli_epi16(LowBits(high, 2 * quarter, 3), 4);
        const int slot = 4 * chunk + quarter;
        p.q[slot] = _mm256_or_si256(low, top);
        p.scales[slot] = _mm256_set_m128i(_mm_set1_epi16(x.scales[2 * slot + 1]),
                                          _mm_set1_epi16(x.scales[2 * slot]));
      }
    }
    p.scales16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x.scales)));
    p.d = Fp16ToFp32(x.d);
  }
};

// scale . (q . a) over the 256 values of a super-block: 8 int32 lanes.
inline __m256i ScaledSums(const PreparedBlock& p, const int8_t* a) {
  __m256i isum = _mm256_setzero_si256();
  for (int k = 0; k < 8; ++k) {
    const __m256i pairs = _mm256_maddubs_epi16(p.q[k], LoadU(a + 32 * k));
    isum = _mm256_add_epi32(isum, _mm256_madd_epi16(pairs, p.scales[k]));
  }
  return isum;
}

// One prepared row (n_sb super-blocks) against kTokens tokens; per output the float
// operations of the type's AVX2 vec_dot.
template <typename K, int kTokens>
void RowTimesTokens(int64_t n_sb, const PreparedBlock* row, const uint8_t* act,
                    uint64_t act_row_bytes, float* out, int64_t out_stride) {
  const BlockQ8_K* y[kTokens];
  for (int t = 0; t < kTokens; ++t) {
    y[t] = reinterpret_cast<const BlockQ8_K*>(act + t * act_row_bytes);
  }
  __m256 acc[kTokens];
  __m128 acc_min[kTokens];    // Q4_K
  float mins_total[kTokens];  // Q5_K
  for (int t = 0; t < kTokens; ++t) {
    acc[t] = _mm256_setzero_ps();
    acc_min[t] = _mm_setzero_ps();
    mins_total[t] = 0.0f;
  }
  for (int64_t b = 0; b < n_sb; ++b) {
    const PreparedBlock& p = row[b];
    for (int t = 0; t < kTokens; ++t) {
      const BlockQ8_K& yb = y[t][b];
      __m256i isum = ScaledSums(p, yb.qs);
      if constexpr (std::is_same_v<K, Q6K>) {
        const __m256i offsets =
            _mm256_slli_epi32(_mm256_madd_epi16(LoadU(yb.bsums), p.scales16), 5);
        isum = _mm256_sub_epi32(isum, offsets);
        const float d = yb.d * p.d;
        acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(isum), acc[t]);
      } else if constexpr (std::is_same_v<K, Q4K>) {
        const float d = yb.d * p.d;
        const float dmin = -yb.d * p.dmin;
        acc_min[t] = _mm_fmadd_ps(
            _mm_set1_ps(dmin), _mm_cvtepi32_ps(MinsTimesGroupSums(p.mins, yb.bsums)), acc_min[t]);
        acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(isum), acc[t]);
      } else {
        const float d = yb.d * p.d;
        const float dmin = -yb.d * p.dmin;
        const __m128i mins = MinsTimesGroupSums(p.mins, yb.bsums);
        const int mins_sum = _mm_cvtsi128_si32(_mm_hadd_epi32(_mm_hadd_epi32(mins, mins), mins));
        mins_total[t] = _mm_cvtss_f32(_mm_fmadd_ss(
            _mm_set_ss(dmin), _mm_set_ss(static_cast<float>(mins_sum)), _mm_set_ss(mins_total[t])));
        acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(isum), acc[t]);
      }
    }
  }
  for (int t = 0; t < kTokens; ++t) {
    float result = HsumPs(acc[t]);
    if constexpr (std::is_same_v<K, Q4K>) {
      __m128 m = _mm_add_ps(acc_min[t], _mm_movehl_ps(acc_min[t], acc_min[t]));
      m = _mm_add_ss(m, _mm_movehdup_ps(m));
      result += _mm_cvtss_f32(m);
    } else if constexpr (std::is_same_v<K, Q5K>) {
      result += mins_total[t];
    }
    out[t * out_stride] = result;
  }
}

template <typename K>
using RowFn = void (*)(int64_t, const PreparedBlock*, const uint8_t*, uint64_t, float*, int64_t);

template <typename K, int... kTokens>
constexpr auto RowFns(std::integer_sequence<int, kTokens...>) {
  return std::array<RowFn<K>, sizeof...(kTokens)>{RowTimesTokens<K, kTokens + 1>...};
}

template <typename K>
void Gemm(const internal::GemmArgs& g) {
  using WeightBlock = typename K::WeightBlock;
  static constexpr auto kRowFns = RowFns<K>(std::make_integer_sequence<int, kMaxTokens>());
  const int64_t n_sb = g.n_blocks;
  thread_local std::vector<PreparedBlock> prepared;  // [kRowTile][n_sb]
  prepared.resize(static_cast<size_t>(kRowTile * n_sb));
  for (int64_t r0 = 0; r0 < g.n_rows; r0 += kRowTile) {
    const int64_t rows = std::min(kRowTile, g.n_rows - r0);
    for (int64_t r = 0; r < rows; ++r) {
      const auto* row = reinterpret_cast<const WeightBlock*>(g.w + (r0 + r) * g.w_stride);
      for (int64_t b = 0; b < n_sb; ++b) K::Prepare(row[b], prepared[r * n_sb + b]);
    }
    for (int64_t t0 = 0; t0 < g.n_tokens; t0 += kMaxTokens) {
      const int64_t n = std::min<int64_t>(kMaxTokens, g.n_tokens - t0);
      const RowFn<K> fn = kRowFns[n - 1];
      for (int64_t r = 0; r < rows; ++r) {
        fn(n_sb, prepared.data() + r * n_sb, g.act_rows + t0 * g.act_row_bytes, g.act_row_bytes,
           g.y + t0 * g.y_stride + r0 + r, g.y_stride);
      }
    }
  }
}

}  // namespace
}  // namespace hearth::kernels::avx2

namespace hearth::kernels::internal {

GemmFn Avx2KQuantGemm(TensorType weight_type) {
  switch (weight_type) {
    case TensorType::kQ4_K:
      return avx2::Gemm<avx2::Q4K>;
    case TensorType::kQ5_K:
      return avx2::Gemm<avx2::Q5K>;
    case TensorType::kQ6_K:
      return avx2::Gemm<avx2::Q6K>;
    default:
      return nullptr;
  }
}

}  // namespace hearth::kernels::internal
