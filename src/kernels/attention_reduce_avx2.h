// Internal to src/kernels: the reductions of the tiled attention's 8-lane accumulators, in the
// order of DotF16Avx2 (so tiles equal the per-pair path bit for bit). Shared by
// attention_tile_avx2.cpp and attention_tile_avx512.cpp; include only from files compiled with
// AVX2 (or wider) flags. `static inline` keeps each file's copy private.
#pragma once

#include <immintrin.h>

namespace hearth::ops::internal {

// One accumulator reduced as DotF16Avx2 does: lanes l+4 onto l, then
// (0+2, 1+3), then 0+1.
static inline float ReduceOne(__m256 acc) {
  __m128 r = _mm_add_ps(_mm256_extractf128_ps(acc, 1), _mm256_castps256_ps128(acc));
  r = _mm_add_ps(r, _mm_movehl_ps(r, r));
  r = _mm_add_ss(r, _mm_movehdup_ps(r));
  return _mm_cvtss_f32(r);
}

// Four accumulators reduced at once, each in ReduceOne's order (every
// addition adds the same two values, and f32 addition commutes):
// returns [reduce(a0), reduce(a1), reduce(a2), reduce(a3)].
static inline __m128 ReduceFour(__m256 a0, __m256 a1, __m256 a2, __m256 a3) {
  const auto fold = [](__m256 a) {  // s_l = a_l + a_{l+4}
    return _mm_add_ps(_mm256_extractf128_ps(a, 1), _mm256_castps256_ps128(a));
  };
  const __m128 s0 = fold(a0), s1 = fold(a1), s2 = fold(a2), s3 = fold(a3);
  // t01 = [s0_0+s0_2, s0_1+s0_3, s1_0+s1_2, s1_1+s1_3]
  const __m128 t01 = _mm_add_ps(_mm_shuffle_ps(s0, s1, 0x44), _mm_shuffle_ps(s0, s1, 0xEE));
  const __m128 t23 = _mm_add_ps(_mm_shuffle_ps(s2, s3, 0x44), _mm_shuffle_ps(s2, s3, 0xEE));
  // [(s_0+s_2) + (s_1+s_3)] for each input
  return _mm_add_ps(_mm_shuffle_ps(t01, t23, 0x88), _mm_shuffle_ps(t01, t23, 0xDD));
}

// ReduceFour of two sets of four accumulators in 256-bit registers: the low
// half of the result reduces a0..a3, the high half b0..b3.
static inline __m256 ReduceFourPairs(__m256 a0, __m256 a1, __m256 a2, __m256 a3, __m256 b0,
                                     __m256 b1, __m256 b2, __m256 b3) {
  const auto fold = [](__m256 a, __m256 b) {
    return _mm256_add_ps(_mm256_permute2f128_ps(a, b, 0x20), _mm256_permute2f128_ps(a, b, 0x31));
  };
  const __m256 s0 = fold(a0, b0), s1 = fold(a1, b1), s2 = fold(a2, b2), s3 = fold(a3, b3);
  const __m256 t01 =
      _mm256_add_ps(_mm256_shuffle_ps(s0, s1, 0x44), _mm256_shuffle_ps(s0, s1, 0xEE));
  const __m256 t23 =
      _mm256_add_ps(_mm256_shuffle_ps(s2, s3, 0x44), _mm256_shuffle_ps(s2, s3, 0xEE));
  return _mm256_add_ps(_mm256_shuffle_ps(t01, t23, 0x88), _mm256_shuffle_ps(t01, t23, 0xDD));
}

}  // namespace hearth::ops::internal
