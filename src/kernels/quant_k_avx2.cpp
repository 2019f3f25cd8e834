// AVX2 dot products of the K-quants with Q8_K activations. Compiled with
// -mavx2 -mfma -mf16c; only reached after IsaAvailable(Isa::kAvx2).
//
// Each super-block's integer sum (sum over groups of scale * q . a, with the
// offsets of Q3_K/Q6_K and the mins of Q2_K/Q4_K/Q5_K applied through Q8_K's
// bsums) is computed exactly in int32 lanes, then scaled by the block's
// floats in the same order as the scalar reference (without FMA contraction),
// so results are bit-identical to it.
#include "kernels/float16.h"
#include "kernels/quant_avx2.h"
#include "kernels/quant_blocks.h"
#include "kernels/simd_avx2.h"

namespace hearth::kernels::avx2 {
namespace {

// Scale vector for the 16 int16 pair sums of one 32-byte register that spans
// two groups of 16: lanes 0-7 get `first`, lanes 8-15 `second`.
inline __m256i TwoGroupScales(int first, int second) {
  return _mm256_set_m128i(_mm_set1_epi16(static_cast<int16_t>(second)),
                          _mm_set1_epi16(static_cast<int16_t>(first)));
}

// scale . (q . a) over 32 values in two groups of 16; q unsigned (<= 63).
inline __m256i ScaledDot16(__m256i q, const int8_t* a, int scale_first, int scale_second) {
  const __m256i pairs = _mm256_maddubs_epi16(q, LoadU(a));
  return _mm256_madd_epi16(pairs, TwoGroupScales(scale_first, scale_second));
}

// Same for one group of 32 with a single scale.
inline __m256i ScaledDot32(__m256i q, const int8_t* a, int scale) {
  const __m256i pairs = _mm256_maddubs_epi16(q, LoadU(a));
  return _mm256_madd_epi16(pairs, _mm256_set1_epi16(static_cast<int16_t>(scale)));
}

// sum_g coef[g] * bsums[g] over the 16 groups.
inline int WeightedGroupSums(const int* coef, const int16_t* bsums) {
  int total = 0;
  for (int g = 0; g < 16; ++g) total += coef[g] * bsums[g];
  return total;
}

// Eight 6-bit scales and mins of Q4_K/Q5_K (see quant_scalar_k.cpp).
inline void UnpackScaleMin6(const uint8_t* packed, int* scale, int* min) {
  for (int j = 0; j < 4; ++j) {
    scale[j] = packed[j] & 63;
    min[j] = packed[j + 4] & 63;
  }
  for (int j = 4; j < 8; ++j) {
    scale[j] = (packed[j + 4] & 0x0f) | ((packed[j - 4] >> 6) << 4);
    min[j] = (packed[j + 4] >> 4) | ((packed[j] >> 6) << 4);
  }
}

inline __m256i LowBits(__m256i v, int shift, int mask) {
  return _mm256_and_si256(ShiftBytesRight(v, shift), _mm256_set1_epi8(static_cast<char>(mask)));
}

}  // namespace

float VecDotQ2_K(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ2_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kQkK; ++b) {
    int scale[16], min[16];
    for (int g = 0; g < 16; ++g) {
      scale[g] = x[b].scales[g] & 0x0f;
      min[g] = x[b].scales[g] >> 4;
    }
    __m256i isum = _mm256_setzero_si256();
    for (int chunk = 0; chunk < 2; ++chunk) {
      const __m256i bits = LoadU(x[b].qs + 32 * chunk);
      for (int plane = 0; plane < 4; ++plane) {
        const int g = 8 * chunk + 2 * plane;
        const __m256i q = LowBits(bits, 2 * plane, 3);
        isum = _mm256_add_epi32(
            isum, ScaledDot16(q, y[b].qs + 128 * chunk + 32 * plane, scale[g], scale[g + 1]));
      }
    }
    const float dall = y[b].d * Fp16ToFp32(x[b].d);
    const float dmin = y[b].d * Fp16ToFp32(x[b].dmin);
    sum = AddNoFma(
        sum, SubNoFma(MulNoFma(dall, static_cast<float>(HsumI32(isum))),
                      MulNoFma(dmin, static_cast<float>(WeightedGroupSums(min, y[b].bsums)))));
  }
  return sum;
}

// Values are stored as q = low2 | hbit << 2 in 0..7 meaning q - 4; the -4
// comes out as -4 * sum_g scale[g] * bsums[g].
float VecDotQ3_K(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ3_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kQkK; ++b) {
    int scale[16];
    const uint8_t* s = x[b].scales;
    for (int g = 0; g < 16; ++g) {
      const int low = g < 8 ? (s[g] & 0x0f) : (s[g - 8] >> 4);
      const int high = (s[8 + g % 4] >> (2 * (g / 4))) & 3;
      scale[g] = (low | (high << 4)) - 32;
    }
    const __m256i hmask = LoadU(x[b].hmask);
    __m256i isum = _mm256_setzero_si256();
    for (int chunk = 0; chunk < 2; ++chunk) {
      const __m256i bits = LoadU(x[b].qs + 32 * chunk);
      for (int plane = 0; plane < 4; ++plane) {
        const int g = 8 * chunk + 2 * plane;
        const __m256i high = _mm256_slli_epi16(LowBits(hmask, 4 * chunk + plane, 1), 2);
        const __m256i q = _mm256_or_si256(LowBits(bits, 2 * plane, 3), high);
        isum = _mm256_add_epi32(
            isum, ScaledDot16(q, y[b].qs + 128 * chunk + 32 * plane, scale[g], scale[g + 1]));
      }
    }
    const int total = HsumI32(isum) - 4 * WeightedGroupSums(scale, y[b].bsums);
    const float d = Fp16ToFp32(x[b].d) * y[b].d;
    sum = AddNoFma(sum, MulNoFma(d, static_cast<float>(total)));
  }
  return sum;
}

float VecDotQ4_K(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ4_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kQkK; ++b) {
    int scale[8], min[8];
    UnpackScaleMin6(x[b].scales, scale, min);
    __m256i isum = _mm256_setzero_si256();
    for (int chunk = 0; chunk < 4; ++chunk) {
      const __m256i bits = LoadU(x[b].qs + 32 * chunk);
      const int8_t* a64 = y[b].qs + 64 * chunk;
      isum = _mm256_add_epi32(isum, ScaledDot32(LowBits(bits, 0, 0x0f), a64, scale[2 * chunk]));
      isum = _mm256_add_epi32(isum,
                              ScaledDot32(LowBits(bits, 4, 0x0f), a64 + 32, scale[2 * chunk + 1]));
    }
    int summs = 0;
    for (int g = 0; g < 8; ++g) summs += min[g] * (y[b].bsums[2 * g] + y[b].bsums[2 * g + 1]);
    const float dall = y[b].d * Fp16ToFp32(x[b].d);
    const float dmin = y[b].d * Fp16ToFp32(x[b].dmin);
    sum = AddNoFma(sum, SubNoFma(MulNoFma(dall, static_cast<float>(HsumI32(isum))),
                                 MulNoFma(dmin, static_cast<float>(summs))));
  }
  return sum;
}

float VecDotQ5_K(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ5_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kQkK; ++b) {
    int scale[8], min[8];
    UnpackScaleMin6(x[b].scales, scale, min);
    const __m256i qh = LoadU(x[b].qh);
    __m256i isum = _mm256_setzero_si256();
    for (int chunk = 0; chunk < 4; ++chunk) {
      const __m256i bits = LoadU(x[b].qs + 32 * chunk);
      const int8_t* a64 = y[b].qs + 64 * chunk;
      const __m256i high_lo = _mm256_slli_epi16(LowBits(qh, 2 * chunk, 1), 4);
      const __m256i high_hi = _mm256_slli_epi16(LowBits(qh, 2 * chunk + 1, 1), 4);
      const __m256i q_lo = _mm256_or_si256(LowBits(bits, 0, 0x0f), high_lo);
      const __m256i q_hi = _mm256_or_si256(LowBits(bits, 4, 0x0f), high_hi);
      isum = _mm256_add_epi32(isum, ScaledDot32(q_lo, a64, scale[2 * chunk]));
      isum = _mm256_add_epi32(isum, ScaledDot32(q_hi, a64 + 32, scale[2 * chunk + 1]));
    }
    int summs = 0;
    for (int g = 0; g < 8; ++g) summs += min[g] * (y[b].bsums[2 * g] + y[b].bsums[2 * g + 1]);
    const float dall = y[b].d * Fp16ToFp32(x[b].d);
    const float dmin = y[b].d * Fp16ToFp32(x[b].dmin);
    sum = AddNoFma(sum, SubNoFma(MulNoFma(dall, static_cast<float>(HsumI32(isum))),
                                 MulNoFma(dmin, static_cast<float>(summs))));
  }
  return sum;
}

// Values are stored as q in 0..63 meaning q - 32; the -32 comes out as
// -32 * sum_g scale[g] * bsums[g].
float VecDotQ6_K(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ6_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kQkK; ++b) {
    int scale[16];
    for (int g = 0; g < 16; ++g) scale[g] = x[b].scales[g];
    __m256i isum = _mm256_setzero_si256();
    for (int chunk = 0; chunk < 2; ++chunk) {
      const __m256i low_a = LoadU(x[b].ql + 64 * chunk);
      const __m256i low_b = LoadU(x[b].ql + 64 * chunk + 32);
      const __m256i high = LoadU(x[b].qh + 32 * chunk);
      for (int quarter = 0; quarter < 4; ++quarter) {
        const __m256i low = LowBits((quarter & 1) ? low_b : low_a, 4 * (quarter >> 1), 0x0f);
        const __m256i top = _mm256_slli_epi16(LowBits(high, 2 * quarter, 3), 4);
        const int g = 8 * chunk + 2 * quarter;
        isum = _mm256_add_epi32(
            isum, ScaledDot16(_mm256_or_si256(low, top), y[b].qs + 128 * chunk + 32 * quarter,
                              scale[g], scale[g + 1]));
      }
    }
    const int total = HsumI32(isum) - 32 * WeightedGroupSums(scale, y[b].bsums);
    const float d = Fp16ToFp32(x[b].d) * y[b].d;
    sum = AddNoFma(sum, MulNoFma(d, static_cast<float>(total)));
  }
  return sum;
}

}  // namespace hearth::kernels::avx2
