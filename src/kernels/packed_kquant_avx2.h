// Internal to src/kernels: AVX2 helpers shared by the packed K-quant GEMM
// (packed_kquant_avx2.cpp) and GEMV (packed_gemv_avx2.cpp) for the layouts of packed_kquant.h.
// Include only from files compiled with -mavx2; `static inline` as in simd_avx2.h.
#pragma once

#include <immintrin.h>

#include "kernels/simd_avx2.h"

namespace hearth::kernels::avx2 {

// The 6-bit scales (or mins) of sub-blocks 0-3 (lo) and 4-7 (hi): byte 8 * (s % 4) + r.
struct SixBit {
  __m256i lo, hi;
};

// top_shift 0: the scales' top bits (bits 0-1 / 2-3 of each byte); 4: the mins' (4-5 / 6-7).
static inline SixBit DecodeSixBit(__m256i low_nibbles, __m256i top_bits, int top_shift) {
  const __m256i lo =
      _mm256_or_si256(_mm256_and_si256(low_nibbles, Mask8(0x0f)),
                      _mm256_and_si256(ShiftLeftBits(top_bits, 4 - top_shift), Mask8(0x30)));
  const __m256i hi =
      _mm256_or_si256(_mm256_and_si256(ShiftBytesRight(low_nibbles, 4), Mask8(0x0f)),
                      _mm256_and_si256(ShiftLeftBits(top_bits, 2 - top_shift), Mask8(0x30)));
  return {lo, hi};
}

// Lane r = (v[r], v[r]) as int16 for the byte v[r] = byte 8 * q + r of `bytes`, q < 4.
static inline __m256i RowBytePairs(__m256i bytes, int q) {
  const __m256i qword = _mm256_permutevar8x32_epi32(
      bytes,
      _mm256_setr_epi32(2 * q, 2 * q + 1, 2 * q, 2 * q + 1, 2 * q, 2 * q + 1, 2 * q, 2 * q + 1));
  const __m256i spread =
      _mm256_setr_epi8(0, -128, 0, -128, 1, -128, 1, -128, 2, -128, 2, -128, 3, -128, 3, -128, 4,
                       -128, 4, -128, 5, -128, 5, -128, 6, -128, 6, -128, 7, -128, 7, -128);
  return _mm256_shuffle_epi8(qword, spread);
}

}  // namespace hearth::kernels::avx2
