// AVX2 quantized GEMM for the legacy 32-value weight types (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0).
//
// Activations are quantized per token exactly as for vec_dot (Q8_0 / Q8_1), then laid out
// block-major (GemmActivations), so that one weight block, unpacked once, meets up to
// kMaxTokens tokens whose blocks sit at fixed offsets from one pointer. Per (row, token,
// block) the work is one maddubs, one madd, one int->float conversion and two float
// operations; the per-block scales of the weight rows are converted from fp16 once per row
// tile, and Q4_1's minimum m is applied for 8 tokens at once through the activation sums:
// sum_j (d q_j + m) a_j = d sum_j q_j a_j + m sum_j a_j.
//
// The integer block sums and the f32 operations per output are those of the AVX2 vec_dot
// (acc = fma(cvt(sum_b), d_w d_a, acc) in block order, the same 8-lane reduction, Q4_1's
// m s terms added in block order), so the results are bit-identical to it; the test
// (gemm_test.cpp) checks them against the scalar reference within f32 rounding.
#include <algorithm>
#include <array>
#include <cmath>
#include <utility>
#include <vector>

#include "kernels/float16.h"
#include "kernels/kernel_registry.h"
#include "kernels/quant_blocks.h"
#include "kernels/simd_avx2.h"

namespace hearth::kernels::avx2 {
namespace {

constexpr int kMaxTokens = internal::kGemmMaxTokens;
// Rows whose scales are converted together and whose blocks stay in L1 while
// every token group streams past them.
constexpr int64_t kRowTile = 16;

// How a weight block becomes bytes for maddubs (unsigned), and how its minimum is applied.
// Q4_0's values q - 8 are signed: maddubs gets |q - 8|, the sign moves onto the
// activation (exact integers, as vec_dot; an offset of -8 d applied after
// scaling instead would cancel catastrophically in f32).
struct Q4_0Kernel {
  using WeightBlock = BlockQ4_0;
  static constexpr bool kHasMin = false;
  static __m256i Unsigned(const WeightBlock& b) {
    const __m256i v = Signs(b);
    return _mm256_sign_epi8(v, v);
  }
  static __m256i Signs(const WeightBlock& b) {
    return _mm256_sub_epi8(NibblesToBytes(b.qs), _mm256_set1_epi8(8));
  }
  static __m256i Act(__m256i act, __m256i signs) { return _mm256_sign_epi8(act, signs); }
  static float Min(const WeightBlock&, float) { return 0.0f; }
};

struct Q4_1Kernel {
  using WeightBlock = BlockQ4_1;
  static constexpr bool kHasMin = true;
  static __m256i Unsigned(const WeightBlock& b) { return NibblesToBytes(b.qs); }
  static __m256i Signs(const WeightBlock&) { return _mm256_setzero_si256(); }
  static __m256i Act(__m256i act, __m256i) { return act; }
  static float Min(const WeightBlock& b, float) { return HalfToFloat(b.m); }
};

// 5-bit values: nibble | (qh bit << 4), as the AVX2 vec_dot builds them.
inline __m256i FiveBitValues(const uint8_t* qs, const uint8_t* qh) {
  return _mm256_or_si256(NibblesToBytes(qs),
                         _mm256_and_si256(BitsToBytes(qh), _mm256_set1_epi8(0x10)));
}

struct Q5_0Kernel {
  using WeightBlock = BlockQ5_0;
  static constexpr bool kHasMin = false;
  static __m256i Unsigned(const WeightBlock& b) {
    const __m256i v = Signs(b);
    return _mm256_sign_epi8(v, v);
  }
  static __m256i Signs(const WeightBlock& b) {
    return _mm256_sub_epi8(FiveBitValues(b.qs, b.qh), _mm256_set1_epi8(16));
  }
  static __m256i Act(__m256i act, __m256i signs) { return _mm256_sign_epi8(act, signs); }
  static float Min(const WeightBlock&, float) { return 0.0f; }
};

struct Q5_1Kernel {
  using WeightBlock = BlockQ5_1;
  static constexpr bool kHasMin = true;
  static __m256i Unsigned(const WeightBlock& b) { return FiveBitValues(b.qs, b.qh); }
  static __m256i Signs(const WeightBlock&) { return _mm256_setzero_si256(); }
  static __m256i Act(__m256i act, __m256i) { return act; }
  static float Min(const WeightBlock& b, float) { return HalfToFloat(b.m); }
};

struct Q8_0Kernel {
  using WeightBlock = BlockQ8_0;
  static constexpr bool kHasMin = false;
  // maddubs needs one unsigned operand: |w|, with w's sign moved onto the activation.
  static __m256i Unsigned(const WeightBlock& b) {
    const __m256i w = LoadU(b.qs);
    return _mm256_sign_epi8(w, w);
  }
  static __m256i Signs(const WeightBlock& b) { return LoadU(b.qs); }
  static __m256i Act(__m256i act, __m256i signs) { return _mm256_sign_epi8(act, signs); }
  static float Min(const WeightBlock&, float) { return 0.0f; }
};

// One weight row against kTokens consecutive tokens of the block-major activations.
//  row: [n_blocks] weight blocks; dw, mw: [n_blocks] its scales and minimums in f32.
//  a: the activations of block 0 of the first token; block b of token t is at
//     a + b * a_block_stride + t * kQk. d, s: likewise with stride s_stride, t at +t.
//  out[t * out_stride] = the dot product for token t.
template <typename K, int kTokens>
void RowTimesTokens(int64_t n_blocks, const typename K::WeightBlock* row, const float* dw,
                    const float* mw, const int8_t* a, int64_t a_block_stride, const float* d,
                    const float* s, int64_t s_stride, float* out, int64_t out_stride) {
  __m256 acc[kTokens];
  for (int t = 0; t < kTokens; ++t) acc[t] = _mm256_setzero_ps();
  __m256 min_acc = _mm256_setzero_ps();  // lane t: sum_b mw[b] * s[b][t] (kTokens == 8)
  float min_sums[kTokens] = {};
  const __m256i ones = _mm256_set1_epi16(1);
  for (int64_t b = 0; b < n_blocks; ++b) {
    const __m256i u = K::Unsigned(row[b]);
    const __m256i signs = K::Signs(row[b]);
    const __m256 scale_w = _mm256_broadcast_ss(dw + b);
    const int8_t* ab = a + b * a_block_stride;
    const float* db = d + b * s_stride;
    // d_w * d_a of each token, 8 products in one multiply; each token's FMA
    // then broadcasts its own from memory (a load, not an ALU operation).
    alignas(32) float token_scales[kTokens];
    if constexpr (kTokens == 8) {
      _mm256_store_ps(token_scales, _mm256_mul_ps(scale_w, _mm256_loadu_ps(db)));
    } else {
      for (int t = 0; t < kTokens; ++t) token_scales[t] = dw[b] * db[t];
    }
    for (int t = 0; t < kTokens; ++t) {
      const __m256i act = K::Act(LoadU(ab + t * kQk), signs);
      const __m256i sums = _mm256_madd_epi16(_mm256_maddubs_epi16(u, act), ones);
      acc[t] =
          _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), _mm256_broadcast_ss(token_scales + t), acc[t]);
    }
    if constexpr (K::kHasMin) {
      const float* sb = s + b * s_stride;
      if constexpr (kTokens == 8) {
        min_acc = _mm256_fmadd_ps(_mm256_broadcast_ss(mw + b), _mm256_loadu_ps(sb), min_acc);
      } else {
        for (int t = 0; t < kTokens; ++t) min_sums[t] = std::fma(mw[b], sb[t], min_sums[t]);
      }
    }
  }
  if constexpr (K::kHasMin && kTokens == 8) _mm256_storeu_ps(min_sums, min_acc);
  for (int t = 0; t < kTokens; ++t) out[t * out_stride] = HsumPs(acc[t]) + min_sums[t];
}

// Generation (one token): kRows rows in one pass over their bytes, the
// scales converted as they stream by (a separate scale pass would read every
// row twice); per output the same operations as RowTimesTokens.
template <typename K, int kRows>
void RowsTimesOneToken(int64_t n_blocks, const uint8_t* w, uint64_t w_stride, const int8_t* a,
                       const float* d, const float* s, float* out) {
  using WeightBlock = typename K::WeightBlock;
  const WeightBlock* rows[kRows];
  for (int r = 0; r < kRows; ++r) rows[r] = reinterpret_cast<const WeightBlock*>(w + r * w_stride);
  __m256 acc[kRows];
  float min_sums[kRows];
  for (int r = 0; r < kRows; ++r) {
    acc[r] = _mm256_setzero_ps();
    min_sums[r] = 0.0f;
  }
  const __m256i ones = _mm256_set1_epi16(1);
  for (int64_t b = 0; b < n_blocks; ++b) {
    const __m256i act = LoadU(a + b * kQk);
    const __m256 scale_a = _mm256_broadcast_ss(d + b);
    for (int r = 0; r < kRows; ++r) {
      const WeightBlock& block = rows[r][b];
      const __m256i sums = _mm256_madd_epi16(
          _mm256_maddubs_epi16(K::Unsigned(block), K::Act(act, K::Signs(block))), ones);
      const __m256 scale = _mm256_mul_ps(_mm256_set1_ps(HalfToFloat(block.d)), scale_a);
      acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), scale, acc[r]);
      if constexpr (K::kHasMin) min_sums[r] = std::fma(K::Min(block, 0.0f), s[b], min_sums[r]);
    }
  }
  for (int r = 0; r < kRows; ++r) out[r] = HsumPs(acc[r]) + min_sums[r];
}

template <typename K>
using RowFn = void (*)(int64_t, const typename K::WeightBlock*, const float*, const float*,
                       const int8_t*, int64_t, const float*, const float*, int64_t, float*,
                       int64_t);

template <typename K, int... kTokens>
constexpr auto RowFns(std::integer_sequence<int, kTokens...>) {
  return std::array<RowFn<K>, sizeof...(kTokens)>{RowTimesTokens<K, kTokens + 1>...};
}

template <typename K>
void Gemm(const internal::GemmArgs& g) {
  using WeightBlock = typename K::WeightBlock;
  static constexpr auto kRowFns = RowFns<K>(std::make_integer_sequence<int, kMaxTokens>());
  const int64_t nb = g.n_blocks;
  thread_local std::vector<float> scales;  // [kRowTile][2][nb]: dw then mw of each row
  scales.resize(static_cast<size_t>(kRowTile * 2 * nb));
  const internal::GemmActivations& act = *g.act;
  if (g.n_tokens == 1) {
    constexpr int kRows = 1;
    int64_t r = 0;
    for (; r + kRows <= g.n_rows; r += kRows) {
      RowsTimesOneToken<K, kRows>(nb, g.w + r * g.w_stride, g.w_stride, act.qs, act.d, act.s,
                                  g.y + r);
    }
    for (; r < g.n_rows; ++r) {
      RowsTimesOneToken<K, 1>(nb, g.w + r * g.w_stride, g.w_stride, act.qs, act.d, act.s, g.y + r);
    }
    return;
  }
  const int64_t a_block_stride = act.n_tokens * kQk;
  for (int64_t r0 = 0; r0 < g.n_rows; r0 += kRowTile) {
    const int64_t rows = std::min(kRowTile, g.n_rows - r0);
    for (int64_t r = 0; r < rows; ++r) {
      const auto* row = reinterpret_cast<const WeightBlock*>(g.w + (r0 + r) * g.w_stride);
      float* dw = scales.data() + r * 2 * nb;
      float* mw = dw + nb;
      for (int64_t b = 0; b < nb; ++b) {
        dw[b] = HalfToFloat(row[b].d);
        mw[b] = K::Min(row[b], dw[b]);
      }
    }
    for (int64_t t0 = 0; t0 < g.n_tokens; t0 += kMaxTokens) {
      const int64_t n = std::min<int64_t>(kMaxTokens, g.n_tokens - t0);
      const RowFn<K> fn = kRowFns[n - 1];
      for (int64_t r = 0; r < rows; ++r) {
        const auto* row = reinterpret_cast<const WeightBlock*>(g.w + (r0 + r) * g.w_stride);
        const float* dw = scales.data() + r * 2 * nb;
        fn(nb, row, dw, dw + nb, act.qs + t0 * kQk, a_block_stride, act.d + t0, act.s + t0,
           act.n_tokens, g.y + t0 * g.y_stride + r0 + r, g.y_stride);
      }
    }
  }
}

}  // namespace
}  // namespace hearth::kernels::avx2

namespace hearth::kernels::internal {

GemmFn Avx2Gemm(TensorType weight_type) {
  switch (weight_type) {
    case TensorType::kQ4_0:
      return avx2::Gemm<avx2::Q4_0Kernel>;
    case TensorType::kQ4_1:
      return avx2::Gemm<avx2::Q4_1Kernel>;
    case TensorType::kQ5_0:
      return avx2::Gemm<avx2::Q5_0Kernel>;
    case TensorType::kQ5_1:
      return avx2::Gemm<avx2::Q5_1Kernel>;
    case TensorType::kQ8_0:
      return avx2::Gemm<avx2::Q8_0Kernel>;
    default:
      return nullptr;
  }
}

}  // namespace hearth::kernels::internal
