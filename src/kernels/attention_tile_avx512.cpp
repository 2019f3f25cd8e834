// AVX-512 kernel of the tiled prompt attention (ops_attention.cpp): DotF16TileAvx2's products
// with two of its 8-lane accumulators in each 512-bit register.
//
// Lanes 0-7 of an accumulator hold fp16 row i's dot product with one f32 row, lanes 8-15 row
// i + 1's with the same f32 row (its 8 values broadcast to both halves), so every lane sees the
// FMAs of DotF16TileAvx2's lane in the same order, and each half is reduced in that kernel's
// order (attention_reduce_avx2.h): the results equal it bit for bit, with half the FMA and
// conversion instructions. Register tile: 4 fp16 rows (2 registers, each fp16 value converted
// once) x 8 f32 rows = 16 accumulators, reduced 16 scores at a time (with d = 64 the reductions
// cost as much as the FMAs). Rows past the last multiple of 4 go to the AVX2 kernel.
//
// Compiled twice like every *_avx512.cpp file (simd_avx512.h): natively for libhearth and
// over SIMDe's emulation for the tests.
// clang-format off (before every other include: it silences a GCC false positive in them)
#include "kernels/avx512_gcc_warnings.h"
// clang-format on

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "kernels/attention_reduce_avx2.h"
#include "kernels/ops.h"
#include "kernels/simd_avx512.h"
#include "kernels/simd_pairs_avx512.h"

namespace hearth::kernels::HEARTH_AVX512_NS {
namespace {

// 8 floats at p in both halves (a load-port broadcast: no shuffle).
inline __m512 LoadTwice(const float* p) { return _mm512_broadcast_f32x8(_mm256_loadu_ps(p)); }

inline __m256 LowHalf(__m512 v) { return _mm512_castps512_ps256(v); }
// (Through the f64 view: SIMDe 0.7.4 has no _mm512_extractf32x8_ps.)
inline __m256 HighHalf(__m512 v) {
  return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
}

// 128-bit lanes (i0, i1) of a and (i2, i3) of b, as _mm512_shuffle_f32x4 (through the integer
// form: SIMDe 0.7.4 has no _mm512_shuffle_f32x4; the bits move the same).
template <int kImm>
inline __m512 ShuffleLanes(__m512 a, __m512 b) {
  return _mm512_castsi512_ps(
      _mm512_shuffle_i32x4(_mm512_castps_si512(a), _mm512_castps_si512(b), kImm));
}

// The scores of 4 fp16 rows (lanes 0-7: row r, 8-15: row r + 1 of a01 = rows 0, 1 and
// a23 = rows 2, 3) with 4 f32 rows j0..j0+3, each reduced in DotF16TileAvx2's order
// (ReduceFour's additions, done for 16 scores at once instead of 4), to c[j0 + q][i0 + r].
//   fold:  s_l = a_l + a_{l+4} (l < 4): 128-bit lanes 0 + 1 of each 8-lane accumulator;
//   pairs: (s_0 + s_2, s_1 + s_3);  last: (s_0 + s_2) + (s_1 + s_3).
inline void ReduceFourByFour(const __m512 (&a01)[4], const __m512 (&a23)[4], float* const* c,
                             int64_t i0) {
  __m512 s[4];  // s[q]: 128-bit lane r = row r's s_0..s_3 for f32 row q
  for (int q = 0; q < 4; ++q) {
    // [a01 lanes 0-3, a01 lanes 8-11, a23 lanes 0-3, a23 lanes 8-11] + the lanes 4 above.
    const __m512 lo = ShuffleLanes<_MM_SHUFFLE(2, 0, 2, 0)>(a01[q], a23[q]);
    const __m512 hi = ShuffleLanes<_MM_SHUFFLE(3, 1, 3, 1)>(a01[q], a23[q]);
    s[q] = _mm512_add_ps(hi, lo);
  }
  // t[p]: lane r = [q 2p: s0+s2, s1+s3, q 2p+1: s0+s2, s1+s3] for row r.
  __m512 t[2];
  for (int p = 0; p < 2; ++p) {
    t[p] = _mm512_add_ps(_mm512_shuffle_ps(s[2 * p], s[2 * p + 1], 0x44),
                         _mm512_shuffle_ps(s[2 * p], s[2 * p + 1], 0xEE));
  }
  // Lane r = row r's scores with f32 rows 0, 1, 2, 3; then regrouped by f32 row.
  const __m512 by_row =
      _mm512_add_ps(_mm512_shuffle_ps(t[0], t[1], 0x88), _mm512_shuffle_ps(t[0], t[1], 0xDD));
  const __m512 by_query = _mm512_permutexvar_ps(
      _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15), by_row);
  _mm_storeu_ps(c[0] + i0, _mm512_castps512_ps128(by_query));
  _mm_storeu_ps(c[1] + i0, _mm512_extractf32x4_ps(by_query, 1));
  _mm_storeu_ps(c[2] + i0, _mm512_extractf32x4_ps(by_query, 2));
  _mm_storeu_ps(c[3] + i0, _mm512_extractf32x4_ps(by_query, 3));
}

// c[j][i0 + i] for i < 4, j < RB: 4 fp16 rows of `a` (2 registers, each value converted once)
// against RB f32 rows (up to 8: 16 accumulators). Few fp16 rows and many f32 rows per tile keep
// the conversions and lane inserts, which share a port with the FMAs, to 2 per 2 * RB FMAs.
template <int RB>
void Tile4(const uint16_t* a, int64_t lda, const float* const* b, int64_t n, float* const* c,
           int64_t i0) {
  __m512 acc[2][RB];
  for (int p = 0; p < 2; ++p) {
    for (int j = 0; j < RB; ++j) acc[p][j] = _mm512_setzero_ps();
  }
  for (int64_t k = 0; k < n; k += 8) {
    const __m512 a01 = LoadHalvesPair(a + k, a + lda + k);
    const __m512 a23 = LoadHalvesPair(a + 2 * lda + k, a + 3 * lda + k);
    for (int j = 0; j < RB; ++j) {
      const __m512 bv = LoadTwice(b[j] + k);
      acc[0][j] = _mm512_fmadd_ps(a01, bv, acc[0][j]);
      acc[1][j] = _mm512_fmadd_ps(a23, bv, acc[1][j]);
    }
  }
  int j = 0;
  for (; j + 4 <= RB; j += 4) {
    const __m512 a01[4] = {acc[0][j], acc[0][j + 1], acc[0][j + 2], acc[0][j + 3]};
    const __m512 a23[4] = {acc[1][j], acc[1][j + 1], acc[1][j + 2], acc[1][j + 3]};
    ReduceFourByFour(a01, a23, c + j, i0);
  }
  for (; j < RB; ++j) {
    // Rows 0-3, each reduced in DotF16TileAvx2's order.
    _mm_storeu_ps(c[j] + i0, ops::internal::ReduceFour(LowHalf(acc[0][j]), HighHalf(acc[0][j]),
                                                       LowHalf(acc[1][j]), HighHalf(acc[1][j])));
  }
}

// Tile4<1> .. Tile4<8>: kTile4[rb - 1] takes rb f32 rows.
template <size_t... kRb>
constexpr auto Tile4Table(std::index_sequence<kRb...>) {
  return std::array{&Tile4<static_cast<int>(kRb) + 1>...};
}
constexpr auto kTile4 = Tile4Table(std::make_index_sequence<8>());

void DotF16Tile(const uint16_t* a, int64_t lda, int64_t n_a, const float* const* b, int64_t n_b,
                int64_t n, float* const* c) {
  int64_t i = 0;
  for (; i + 4 <= n_a; i += 4) {
    const uint16_t* rows = a + i * lda;
    for (int64_t j = 0; j < n_b; j += 8) {
      kTile4[std::min<int64_t>(8, n_b - j) - 1](rows, lda, b + j, n, c + j, i);
    }
  }
  if (i == n_a) return;
  // The remaining rows: the AVX2 kernel, writing c[j][i ..] (its outputs shifted by i).
  float* shifted[64];
  for (int64_t j0 = 0; j0 < n_b; j0 += 64) {
    const int64_t nb = std::min<int64_t>(64, n_b - j0);
    for (int64_t j = 0; j < nb; ++j) shifted[j] = c[j0 + j] + i;
    ops::internal::DotF16TileAvx2(a + i * lda, lda, n_a - i, b + j0, nb, n, shifted);
  }
}

// --- softmax -----------------------------------------------------------------------------

// Lane-wise a + b and a - b modulo 2^32. SIMDe 0.7.4's portable _mm512_add/sub_epi32 compute in
// signed int, whose overflow (Exp16's exponent arithmetic wraps) UBSan reports, so the
// emulated build adds the two 256-bit halves with the real AVX2 instructions.
template <bool kSubtract>
inline __m512i WrapEpi32(__m512i a, __m512i b) {
#if defined(HEARTH_EMULATE_AVX512)
  const auto op = [](__m256i x, __m256i y) {
    return kSubtract ? _mm256_sub_epi32(x, y) : _mm256_add_epi32(x, y);
  };
  const __m256i lo = op(_mm512_castsi512_si256(a), _mm512_castsi512_si256(b));
  const __m256i hi = op(_mm512_extracti64x4_epi64(a, 1), _mm512_extracti64x4_epi64(b, 1));
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
#else
  return kSubtract ? _mm512_sub_epi32(a, b) : _mm512_add_epi32(a, b);
#endif
}

// ops_avx2.cpp's Exp8 on 16 lanes: the same operations per lane, masks for its blends.
inline __m512 Exp16(__m512 x) {
  const __m512 shifter = _mm512_set1_ps(0x1.8p23f);
  const __m512 z = _mm512_fmadd_ps(x, _mm512_set1_ps(0x1.715476p+0f), shifter);
  const __m512 n = _mm512_sub_ps(z, shifter);
  const __m512 b = _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.7f7d1cp-20f),
                                    _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.62e4p-1f), x));
  const __m512i e = _mm512_slli_epi32(_mm512_castps_si512(z), 23);
  const __m512 k =
      _mm512_castsi512_ps(WrapEpi32<false>(e, _mm512_castps_si512(_mm512_set1_ps(1.0f))));
  const __m512 abs_n = _mm512_abs_ps(n);
  const __mmask16 big = _mm512_cmp_ps_mask(abs_n, _mm512_set1_ps(126.0f), _CMP_GT_OQ);
  const __m512 u = _mm512_mul_ps(b, b);
  const __m512 j = _mm512_fmadd_ps(
      _mm512_fmadd_ps(
          _mm512_fmadd_ps(_mm512_set1_ps(0x1.0e4020p-7f), b, _mm512_set1_ps(0x1.573e2ep-5f)), u,
          _mm512_fmadd_ps(_mm512_set1_ps(0x1.555e66p-3f), b, _mm512_set1_ps(0x1.fffdb6p-2f))),
      u, _mm512_mul_ps(_mm512_set1_ps(0x1.ffffecp-1f), b));
  const __m512 common = _mm512_fmadd_ps(j, k, k);
  if (big == 0) return common;
  const __m512i g = _mm512_maskz_mov_epi32(_mm512_cmp_ps_mask(n, _mm512_setzero_ps(), _CMP_LE_OQ),
                                           _mm512_set1_epi32(static_cast<int>(0x82000000u)));
  const __m512 s1 = _mm512_castsi512_ps(WrapEpi32<false>(g, _mm512_set1_epi32(0x7f000000)));
  const __m512 s2 = _mm512_castsi512_ps(WrapEpi32<true>(e, g));
  const __mmask16 huge = _mm512_cmp_ps_mask(abs_n, _mm512_set1_ps(192.0f), _CMP_GT_OQ);
  const __m512 scaled = _mm512_mul_ps(_mm512_fmadd_ps(s2, j, s2), s1);
  const __m512 result = _mm512_mask_blend_ps(big, common, scaled);
  return _mm512_mask_blend_ps(huge, result, _mm512_mul_ps(s1, s1));
}

// The 16 (or, at a row's end, 8: then lanes 8-15 are zeros and never stored) values at p.
inline __m512 Load16Or8(const float* p, int64_t left) {
  if (left >= 16) return _mm512_loadu_ps(p);
  return _mm512_insertf32x8(_mm512_setzero_ps(), _mm256_loadu_ps(p), 0);
}
inline void Store16Or8(float* p, int64_t left, __m512 v) {
  if (left >= 16) {
    _mm512_storeu_ps(p, v);
  } else {
    _mm256_storeu_ps(p, LowHalf(v));
  }
}

// SoftmaxGroupsAvx2 with its three passes 16 lanes wide. Per lane the same operations; the
// maximum of the visible scores is the same whatever lanes it is gathered in (a NaN score
// is the first operand of every max, so it is dropped in both); the groups of 8 are summed
// one by one in double in the same order.
void SoftmaxGroups(float* x, int64_t n, int64_t first, int64_t last, float scale, float* probs) {
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i lo = _mm512_set1_epi32(static_cast<int>(first) - 1);
  const __m512i hi = _mm512_set1_epi32(static_cast<int>(last) + 1);
  const auto visible = [&](int64_t i) {
    const __m512i idx = _mm512_add_epi32(lane, _mm512_set1_epi32(static_cast<int>(i)));
    return static_cast<__mmask16>(_mm512_cmpgt_epi32_mask(idx, lo) &
                                  _mm512_cmpgt_epi32_mask(hi, idx));
  };
  const __m512 s = _mm512_set1_ps(scale);
  __m512 max16 = _mm512_set1_ps(-INFINITY);
  for (int64_t i = 0; i < n; i += 16) {
    const __m512 v = _mm512_mul_ps(Load16Or8(x + i, n - i), s);
    Store16Or8(x + i, n - i, v);
    max16 = _mm512_max_ps(_mm512_mask_blend_ps(visible(i), max16, v), max16);
  }
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, max16);
  float max = -INFINITY;
  for (float l : lanes) max = std::max(max, l);
  const __m512 shift = _mm512_set1_ps(max);
  double sum = 0.0;
  for (int64_t i = 0; i < n; i += 16) {
    const __m512 e =
        _mm512_maskz_mov_ps(visible(i), Exp16(_mm512_sub_ps(Load16Or8(x + i, n - i), shift)));
    Store16Or8(x + i, n - i, e);
    // Each group of 8 summed as SoftmaxGroupsAvx2 does (ReduceOne's order).
    sum += static_cast<double>(ops::internal::ReduceOne(LowHalf(e)));
    if (n - i >= 16) sum += static_cast<double>(ops::internal::ReduceOne(HighHalf(e)));
  }
  // ScaledToHalfRow, read back in f32.
  ops::internal::ScaledToHalfToFloatRowAvx2(x, static_cast<float>(1.0 / sum), probs, n);
}

}  // namespace
}  // namespace hearth::kernels::HEARTH_AVX512_NS

namespace hearth::ops::internal {

// DotF16TileAvx512, or EmulatedDotF16TileAvx512 in the test binary's emulated copy.
void HEARTH_AVX512_DOT_F16_TILE(const uint16_t* a, int64_t lda, int64_t n_a, const float* const* b,
                                int64_t n_b, int64_t n, float* const* c) {
  kernels::HEARTH_AVX512_NS::DotF16Tile(a, lda, n_a, b, n_b, n, c);
}

// SoftmaxGroupsAvx512, or EmulatedSoftmaxGroupsAvx512 in the test binary's emulated copy.
void HEARTH_AVX512_SOFTMAX_GROUPS(float* x, int64_t n, int64_t first, int64_t last, float scale,
                                  float* probs) {
  kernels::HEARTH_AVX512_NS::SoftmaxGroups(x, n, first, last, scale, probs);
}

}  // namespace hearth::ops::internal
