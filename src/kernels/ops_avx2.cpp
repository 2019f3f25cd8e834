// AVX2 + FMA + F16C versions of the ops in ops.h (called only after a CPU check).
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/attention_reduce_avx2.h"
#include "kernels/ops.h"

namespace hearth::ops::internal {
namespace {

// ExpGgml on 8 lanes (same operations, so the same bits).
__m256 Exp8(__m256 x) {
  const __m256 shifter = _mm256_set1_ps(0x1.8p23f);
  const __m256 z = _mm256_fmadd_ps(x, _mm256_set1_ps(0x1.715476p+0f), shifter);
  const __m256 n = _mm256_sub_ps(z, shifter);
  const __m256 b = _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.7f7d1cp-20f),
                                    _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.62e4p-1f), x));
  const __m256i e = _mm256_slli_epi32(_mm256_castps_si256(z), 23);
  const __m256 k =
      _mm256_castsi256_ps(_mm256_add_epi32(e, _mm256_castps_si256(_mm256_set1_ps(1.0f))));
  const __m256 abs_n = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), n);
  const __m256 big = _mm256_cmp_ps(abs_n, _mm256_set1_ps(126.0f), _CMP_GT_OQ);
  const __m256 u = _mm256_mul_ps(b, b);
  const __m256 j = _mm256_fmadd_ps(
      _mm256_fmadd_ps(
          _mm256_fmadd_ps(_mm256_set1_ps(0x1.0e4020p-7f), b, _mm256_set1_ps(0x1.573e2ep-5f)), u,
          _mm256_fmadd_ps(_mm256_set1_ps(0x1.555e66p-3f), b, _mm256_set1_ps(0x1.fffdb6p-2f))),
      u, _mm256_mul_ps(_mm256_set1_ps(0x1.ffffecp-1f), b));
  const __m256 common = _mm256_fmadd_ps(j, k, k);
  if (!_mm256_movemask_ps(big)) return common;
  const __m256i g =
      _mm256_and_si256(_mm256_castps_si256(_mm256_cmp_ps(n, _mm256_setzero_ps(), _CMP_LE_OQ)),
                       _mm256_set1_epi32(static_cast<int>(0x82000000u)));
  const __m256 s1 = _mm256_castsi256_ps(_mm256_add_epi32(g, _mm256_set1_epi32(0x7f000000)));
  const __m256 s2 = _mm256_castsi256_ps(_mm256_sub_epi32(e, g));
  const __m256 huge = _mm256_cmp_ps(abs_n, _mm256_set1_ps(192.0f), _CMP_GT_OQ);
  const __m256 scaled = _mm256_mul_ps(_mm256_fmadd_ps(s2, j, s2), s1);
  const __m256 result = _mm256_blendv_ps(common, scaled, big);
  return _mm256_blendv_ps(result, _mm256_mul_ps(s1, s1), huge);
}

// DotF16GemvAvx2's final reduction of its four accumulators: registers 0+2
// and 1+3, then 0+1; lanes l+4 onto l; then (0+1) + (2+3) (the two horizontal
// adds of ggml's reduction, done with cheaper shuffles).
float ReduceGemv(const __m256 acc[4]) {
  const __m256 x = _mm256_add_ps(_mm256_add_ps(acc[0], acc[2]), _mm256_add_ps(acc[1], acc[3]));
  const __m128 t0 = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
  const __m128 t1 = _mm_add_ps(t0, _mm_movehdup_ps(t0));  // lanes 0: t0+t1, 2: t2+t3
  return _mm_cvtss_f32(_mm_add_ss(t1, _mm_movehl_ps(t1, t1)));
}

__m256 LoadHalf8(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

}  // namespace

void DotF16GemvRowsAvx2(const uint16_t* rows, int64_t stride, int64_t n_rows, const uint16_t* x,
                        int64_t n, float* out) {
  // x in f32 once, then two rows at a time (eight accumulators, each doing
  // exactly DotF16GemvAvx2's operations for its row and lane group).
  const int64_t steps_end = n & ~int64_t{31};
  thread_local std::vector<float> xf;
  if (xf.size() < static_cast<size_t>(steps_end)) xf.resize(static_cast<size_t>(steps_end));
  for (int64_t i = 0; i < steps_end; i += 8) _mm256_storeu_ps(xf.data() + i, LoadHalf8(x + i));
  int64_t j = 0;
  for (; j + 2 <= n_rows; j += 2) {
    const uint16_t* r0 = rows + j * stride;
    const uint16_t* r1 = r0 + stride;
    __m256 a0[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                    _mm256_setzero_ps()};
    __m256 a1[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                    _mm256_setzero_ps()};
    for (int64_t i = 0; i < steps_end; i += 32) {
      for (int r = 0; r < 4; ++r) {
        const __m256 xv = _mm256_loadu_ps(xf.data() + i + 8 * r);
        a0[r] = _mm256_fmadd_ps(LoadHalf8(r0 + i + 8 * r), xv, a0[r]);
        a1[r] = _mm256_fmadd_ps(LoadHalf8(r1 + i + 8 * r), xv, a1[r]);
      }
    }
    out[j] = ReduceGemv(a0);
    out[j + 1] = ReduceGemv(a1);
    if (steps_end != n) {  // the tail in double (without one, the round trip is exact)
      out[j] = DotF16GemvTail(out[j], r0 + steps_end, x + steps_end, n - steps_end);
      out[j + 1] = DotF16GemvTail(out[j + 1], r1 + steps_end, x + steps_end, n - steps_end);
    }
  }
  for (; j < n_rows; ++j) out[j] = DotF16GemvAvx2(rows + j * stride, x, n);
}

float DotF16GemvAvx2(const uint16_t* a, const uint16_t* b, int64_t n) {
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                   _mm256_setzero_ps()};
  const int64_t steps_end = n & ~int64_t{31};
  for (int64_t i = 0; i < steps_end; i += 32) {
    for (int r = 0; r < 4; ++r) {
      const auto* pa = reinterpret_cast<const __m128i*>(a + i + 8 * r);
      const auto* pb = reinterpret_cast<const __m128i*>(b + i + 8 * r);
      acc[r] = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128(pa)),
                               _mm256_cvtph_ps(_mm_loadu_si128(pb)), acc[r]);
    }
  }
  const float sum = ReduceGemv(acc);
  return steps_end == n ? sum : DotF16GemvTail(sum, a + steps_end, b + steps_end, n - steps_end);
}

void SwiGluAvx2(const float* gate, const float* up, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 x = _mm256_loadu_ps(gate + i);
    const __m256 e = Exp8(_mm256_sub_ps(_mm256_setzero_ps(), x));
    const __m256 silu = _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
    _mm256_storeu_ps(y + i, _mm256_mul_ps(silu, _mm256_loadu_ps(up + i)));
  }
  SwiGluScalar(gate + i, up + i, y + i, n - i);  // the tail, through libm as in ggml
}

void DotF16RowsAvx2(const uint16_t* rows, int64_t stride, int64_t n_rows, const uint16_t* x,
                    int64_t n, float* out) {
  // x in f32 once, then four rows at a time: four independent FMA chains,
  // each doing exactly DotF16Avx2's operations.
  thread_local std::vector<float> xf;
  xf.resize(static_cast<size_t>(n));
  const int64_t body = n & ~int64_t{7};
  for (int64_t i = 0; i < body; i += 8) {
    _mm256_storeu_ps(xf.data() + i,
                     _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i))));
  }
  const auto reduce = [&](__m256 acc, const uint16_t* row) {
    __m128 r = _mm_add_ps(_mm256_extractf128_ps(acc, 1), _mm256_castps256_ps128(acc));
    r = _mm_add_ps(r, _mm_movehl_ps(r, r));
    r = _mm_add_ss(r, _mm_movehdup_ps(r));
    const float sum = _mm_cvtss_f32(r);
    return body == n ? sum : DotF16Tail(sum, row + body, x + body, n - body);
  };
  const auto load = [](const uint16_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  };
  int64_t j = 0;
  for (; j + 4 <= n_rows; j += 4) {
    const uint16_t* r0 = rows + j * stride;
    const uint16_t* r1 = r0 + stride;
    const uint16_t* r2 = r1 + stride;
    const uint16_t* r3 = r2 + stride;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(),
           a3 = _mm256_setzero_ps();
    for (int64_t i = 0; i < body; i += 8) {
      const __m256 xv = _mm256_loadu_ps(xf.data() + i);
      a0 = _mm256_fmadd_ps(load(r0 + i), xv, a0);
      a1 = _mm256_fmadd_ps(load(r1 + i), xv, a1);
      a2 = _mm256_fmadd_ps(load(r2 + i), xv, a2);
      a3 = _mm256_fmadd_ps(load(r3 + i), xv, a3);
    }
    out[j] = reduce(a0, r0);
    out[j + 1] = reduce(a1, r1);
    out[j + 2] = reduce(a2, r2);
    out[j + 3] = reduce(a3, r3);
  }
  for (; j < n_rows; ++j) out[j] = DotF16Avx2(rows + j * stride, x, n);
}

void RotateHeadAvx2(float* v, const float* cos, const float* sin, int32_t n_pairs, bool neox) {
  // RotateHeadScalar's FMAs, eight values at a time: x0' = fma(x0, c, -(x1 s)),
  // x1' = fma(x0, s, x1 c).
  const __m256 sign = _mm256_set1_ps(-0.0f);
  int32_t i = 0;
  if (neox) {
    for (; i + 8 <= n_pairs; i += 8) {
      const __m256 x0 = _mm256_loadu_ps(v + i);
      const __m256 x1 = _mm256_loadu_ps(v + i + n_pairs);
      const __m256 c = _mm256_loadu_ps(cos + i);
      const __m256 s = _mm256_loadu_ps(sin + i);
      _mm256_storeu_ps(v + i, _mm256_fmadd_ps(x0, c, _mm256_xor_ps(_mm256_mul_ps(x1, s), sign)));
      _mm256_storeu_ps(v + i + n_pairs, _mm256_fmadd_ps(x0, s, _mm256_mul_ps(x1, c)));
    }
  } else {
    // Four adjacent pairs per register: x0 in the even lanes, x1 in the odd ones.
    const __m256i dup = _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3);
    for (; i + 4 <= n_pairs; i += 4) {
      const __m256 x = _mm256_loadu_ps(v + 2 * i);
      const __m256 x0 = _mm256_moveldup_ps(x);
      const __m256 x1 = _mm256_movehdup_ps(x);
      const __m256 c = _mm256_permutevar8x32_ps(_mm256_castps128_ps256(_mm_loadu_ps(cos + i)), dup);
      const __m256 s = _mm256_permutevar8x32_ps(_mm256_castps128_ps256(_mm_loadu_ps(sin + i)), dup);
      const __m256 first = _mm256_fmadd_ps(x0, c, _mm256_xor_ps(_mm256_mul_ps(x1, s), sign));
      const __m256 second = _mm256_fmadd_ps(x0, s, _mm256_mul_ps(x1, c));
      _mm256_storeu_ps(v + 2 * i, _mm256_blend_ps(first, second, 0xaa));
    }
  }
  RotatePairs(v, cos, sin, i, n_pairs, neox);  // the pairs past the last whole register
}

float ScaleRowAndMaxAvx2(float* x, int64_t n, float scale) {
  const __m256 s = _mm256_set1_ps(scale);
  __m256 max8 = _mm256_set1_ps(-INFINITY);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + i), s);
    _mm256_storeu_ps(x + i, v);
    max8 = _mm256_max_ps(v, max8);  // as std::max(max, v): a NaN v keeps max
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, max8);
  float max = ScaleRowAndMaxScalar(x + i, n - i, scale);
  for (float lane : lanes) max = std::max(max, lane);
  return max;
}

void ExpShiftedRowAvx2(float* x, int64_t n, float shift) {
  const __m256 s = _mm256_set1_ps(shift);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(x + i, Exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), s)));
  ExpShiftedRowScalar(x + i, n - i, shift);
}

void ScaledToHalfRowAvx2(const float* x, float scale, uint16_t* dst, int64_t n) {
  const __m256 s = _mm256_set1_ps(scale);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h =
        _mm256_cvtps_ph(_mm256_mul_ps(_mm256_loadu_ps(x + i), s), _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), h);
  }
  ScaledToHalfRowScalar(x + i, scale, dst + i, n - i);
}

void FloatToHalfRowAvx2(const float* src, uint16_t* dst, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), h);
  }
  FloatToHalfRowScalar(src + i, dst + i, n - i);
}

float DotF16Avx2(const uint16_t* a, const uint16_t* b, int64_t n) {
  __m256 acc = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 va = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)));
    const __m256 vb = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i)));
    acc = _mm256_fmadd_ps(va, vb, acc);
  }
  // Pairwise: (0+4, 1+5, 2+6, 3+7), then (0+2, 1+3), then 0+1 (as DotF16Scalar).
  __m128 r = _mm_add_ps(_mm256_extractf128_ps(acc, 1), _mm256_castps256_ps128(acc));
  r = _mm_add_ps(r, _mm_movehl_ps(r, r));
  r = _mm_add_ss(r, _mm_movehdup_ps(r));
  // The tail runs in the portable file so the compiler cannot fuse it into FMAs here.
  return DotF16Tail(_mm_cvtss_f32(r), a + i, b + i, n - i);
}

void GeGluAvx2(const float* gate, const float* up, float* y, int64_t n) {
  // Gelu's steps on 8 lanes: fp16 of x (F16C rounds as FloatToHalf), the
  // table's fp16 GELU, and ggml's short-cuts past -10 and 10.
  const uint16_t* table = GeluHalfTable();
  const __m256 lo = _mm256_set1_ps(-10.0f);
  const __m256 hi = _mm256_set1_ps(10.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 x = _mm256_loadu_ps(gate + i);
    alignas(16) uint16_t h[8];
    _mm_store_si128(reinterpret_cast<__m128i*>(h), _mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT));
    for (uint16_t& v : h) v = table[v];
    __m256 g = _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(h)));
    g = _mm256_blendv_ps(g, _mm256_setzero_ps(), _mm256_cmp_ps(x, lo, _CMP_LE_OQ));
    g = _mm256_blendv_ps(g, x, _mm256_cmp_ps(x, hi, _CMP_GE_OQ));
    _mm256_storeu_ps(y + i, _mm256_mul_ps(g, _mm256_loadu_ps(up + i)));
  }
  GeGluScalar(gate + i, up + i, y + i, n - i);
}

void TransposeToHalfAvx2(const float* src, int64_t n_rows, int64_t n_cols, int64_t src_stride,
                         uint16_t* dst, int64_t dst_stride) {
  // 8x8 blocks: 8 rows converted to fp16, transposed in registers (16-, 32-,
  // then 64-bit interleaves), stored as 8 runs of 8 positions.
  const int64_t rows8 = n_rows & ~int64_t{7};
  const int64_t cols8 = n_cols & ~int64_t{7};
  for (int64_t r = 0; r < rows8; r += 8) {
    for (int64_t c = 0; c < cols8; c += 8) {
      __m128i h[8];
      for (int k = 0; k < 8; ++k) {
        h[k] = _mm256_cvtps_ph(_mm256_loadu_ps(src + (r + k) * src_stride + c),
                               _MM_FROUND_TO_NEAREST_INT);
      }
      __m128i t[8], u[8];
      for (int k = 0; k < 4; ++k) {
        t[2 * k] = _mm_unpacklo_epi16(h[2 * k], h[2 * k + 1]);      // cols 0-3 of rows 2k, 2k+1
        t[2 * k + 1] = _mm_unpackhi_epi16(h[2 * k], h[2 * k + 1]);  // cols 4-7
      }
      for (int half = 0; half < 2; ++half) {  // rows 0-3, then 4-7
        const __m128i* tt = t + 4 * half;
        u[4 * half + 0] = _mm_unpacklo_epi32(tt[0], tt[2]);  // cols 0, 1
        u[4 * half + 1] = _mm_unpackhi_epi32(tt[0], tt[2]);  // cols 2, 3
        u[4 * half + 2] = _mm_unpacklo_epi32(tt[1], tt[3]);  // cols 4, 5
        u[4 * half + 3] = _mm_unpackhi_epi32(tt[1], tt[3]);  // cols 6, 7
      }
      for (int k = 0; k < 4; ++k) {
        uint16_t* d0 = dst + (c + 2 * k) * dst_stride + r;
        _mm_storeu_si128(reinterpret_cast<__m128i*>(d0), _mm_unpacklo_epi64(u[k], u[4 + k]));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(d0 + dst_stride),
                         _mm_unpackhi_epi64(u[k], u[4 + k]));
      }
    }
    for (int64_t k = r; k < r + 8; ++k) {  // columns past the last whole block
      for (int64_t c = cols8; c < n_cols; ++c) {
        dst[c * dst_stride + k] = FloatToHalf(src[k * src_stride + c]);
      }
    }
  }
  for (int64_t r = rows8; r < n_rows; ++r) {  // rows past the last whole block (one token)
    int64_t c = 0;
    for (; c < cols8; c += 8) {
      alignas(16) uint16_t h[8];
      _mm_store_si128(
          reinterpret_cast<__m128i*>(h),
          _mm256_cvtps_ph(_mm256_loadu_ps(src + r * src_stride + c), _MM_FROUND_TO_NEAREST_INT));
      for (int k = 0; k < 8; ++k) dst[(c + k) * dst_stride + r] = h[k];
    }
    for (; c < n_cols; ++c) dst[c * dst_stride + r] = FloatToHalf(src[r * src_stride + c]);
  }
}

void SoftmaxGroupsAvx2(float* x, int64_t n, int64_t first, int64_t last, float scale,
                       float* probs) {
  // Lane masks of the visible positions [first, last] of each group of 8.
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i lo = _mm256_set1_epi32(static_cast<int>(first) - 1);
  const __m256i hi = _mm256_set1_epi32(static_cast<int>(last) + 1);
  const auto visible = [&](int64_t i) {
    const __m256i idx = _mm256_add_epi32(lane, _mm256_set1_epi32(static_cast<int>(i)));
    return _mm256_castsi256_ps(
        _mm256_and_si256(_mm256_cmpgt_epi32(idx, lo), _mm256_cmpgt_epi32(hi, idx)));
  };
  // ScaleRowAndMax: the max of a set does not depend on the order it is taken in.
  const __m256 s = _mm256_set1_ps(scale);
  __m256 max8 = _mm256_set1_ps(-INFINITY);
  for (int64_t i = 0; i < n; i += 8) {
    const __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + i), s);
    _mm256_storeu_ps(x + i, v);
    max8 = _mm256_max_ps(_mm256_blendv_ps(max8, v, visible(i)), max8);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, max8);
  float max = -INFINITY;
  for (float l : lanes) max = std::max(max, l);
  // ExpShiftedRow on the visible lanes, 0 elsewhere, and SumInGroupsOf8.
  const __m256 shift = _mm256_set1_ps(max);
  double sum = 0.0;
  for (int64_t i = 0; i < n; i += 8) {
    const __m256 e = _mm256_and_ps(Exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), shift)), visible(i));
    _mm256_storeu_ps(x + i, e);
    sum += static_cast<double>(ReduceOne(e));
  }
  // ScaledToHalfRow, read back in f32.
  ScaledToHalfToFloatRowAvx2(x, static_cast<float>(1.0 / sum), probs, n);
}

void SumSquares8RowsAvx2(const float* x, int64_t n, double* sums) {
  // Rows 0-3 in the lanes of acc[0], rows 4-7 in acc[1]: a 4x4 transpose of
  // each row group turns four elements of four rows into four columns, which
  // are squared in f32 and added in double in element order, as the scalar
  // loop does row by row.
  __m256d acc[2] = {_mm256_setzero_pd(), _mm256_setzero_pd()};
  const int64_t body = n & ~int64_t{3};
  for (int64_t i = 0; i < body; i += 4) {
    for (int g = 0; g < 2; ++g) {
      const float* r = x + 4 * g * n + i;
      __m128 c0 = _mm_loadu_ps(r), c1 = _mm_loadu_ps(r + n), c2 = _mm_loadu_ps(r + 2 * n),
             c3 = _mm_loadu_ps(r + 3 * n);
      _MM_TRANSPOSE4_PS(c0, c1, c2, c3);
      acc[g] = _mm256_add_pd(acc[g], _mm256_cvtps_pd(_mm_mul_ps(c0, c0)));
      acc[g] = _mm256_add_pd(acc[g], _mm256_cvtps_pd(_mm_mul_ps(c1, c1)));
      acc[g] = _mm256_add_pd(acc[g], _mm256_cvtps_pd(_mm_mul_ps(c2, c2)));
      acc[g] = _mm256_add_pd(acc[g], _mm256_cvtps_pd(_mm_mul_ps(c3, c3)));
    }
  }
  _mm256_storeu_pd(sums, acc[0]);
  _mm256_storeu_pd(sums + 4, acc[1]);
  for (int row = 0; row < 8; ++row) {
    for (int64_t i = body; i < n; ++i) {
      const float v = x[row * n + i];
      sums[row] += static_cast<double>(v * v);
    }
  }
}

void ScaleRowAvx2(const float* x, const float* w, float* y, int64_t n, float scale) {
  const __m256 s = _mm256_set1_ps(scale);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + i), s);
    if (w != nullptr) v = _mm256_mul_ps(v, _mm256_loadu_ps(w + i));
    _mm256_storeu_ps(y + i, v);
  }
  for (; i < n; ++i) {
    float v = x[i] * scale;
    if (w != nullptr) v *= w[i];
    y[i] = v;
  }
}

}  // namespace hearth::ops::internal
