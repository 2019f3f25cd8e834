// AVX2 dot products of the K-quants with Q8_K activations. Compiled with
// -mavx2 -mfma -mf16c; only reached after IsaAvailable(Isa::kAvx2).
//
// Each super-block's integer sums (scale * q . a per group) are exact int32
// lanes laid out as in ggml's AVX2 kernels, and the float accumulation (FMA
// per block into 8 lanes, mins through Q8_K's bsums, final reductions)
// follows ggml's order, so results equal llama.cpp's AVX2 build bit for bit
// (checked with tests/golden/quant/ggml_crosscheck.cpp). They differ from the
// scalar reference only by float rounding order.
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
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / kQkK; ++b) {
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x[b].scales));
    const __m128i mins8 = _mm_and_si128(_mm_srli_epi16(packed, 4), _mm_set1_epi8(0x0f));
    // Lane k: min[2k] * bsums[2k] + min[2k+1] * bsums[2k+1].
    const __m256i mins = _mm256_madd_epi16(_mm256_cvtepu8_epi16(mins8), LoadU(y[b].bsums));
    __m256i isum = _mm256_setzero_si256();
    for (int chunk = 0; chunk < 2; ++chunk) {
      const __m256i bits = LoadU(x[b].qs + 32 * chunk);
      for (int plane = 0; plane < 4; ++plane) {
        const int g = 8 * chunk + 2 * plane;
        const __m256i q = LowBits(bits, 2 * plane, 3);
        isum =
            _mm256_add_epi32(isum, ScaledDot16(q, y[b].qs + 128 * chunk + 32 * plane,
                                               x[b].scales[g] & 0x0f, x[b].scales[g + 1] & 0x0f));
      }
    }
    const float dall = y[b].d * Fp16ToFp32(x[b].d);
    const float dmin = -y[b].d * Fp16ToFp32(x[b].dmin);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(dmin), _mm256_cvtepi32_ps(mins), acc);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(dall), _mm256_cvtepi32_ps(isum), acc);
  }
  return HsumPs(acc);
}

// Values q = low2 | hbit << 2 in 0..7 mean q - 4; the -4 is applied to each
// int16 pair sum (as ggml does) so every int32 lane holds its true value.
float VecDotQ3_K(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ3_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  const __m256i four = _mm256_set1_epi8(4);
  __m256 acc = _mm256_setzero_ps();
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
        const __m256i act = LoadU(y[b].qs + 128 * chunk + 32 * plane);
        const __m256i pairs =
            _mm256_sub_epi16(_mm256_maddubs_epi16(q, act), _mm256_maddubs_epi16(four, act));
        isum = _mm256_add_epi32(isum,
                                _mm256_madd_epi16(pairs, TwoGroupScales(scale[g], scale[g + 1])));
      }
    }
    const float d = y[b].d * Fp16ToFp32(x[b].d);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(isum), acc);
  }
  return HsumPs(acc);
}

float VecDotQ4_K(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ4_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  __m256 acc = _mm256_setzero_ps();
  __m128 acc_min = _mm_setzero_ps();
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
    const float d = y[b].d * Fp16ToFp32(x[b].d);
    const float dmin = -y[b].d * Fp16ToFp32(x[b].dmin);
    acc_min = _mm_fmadd_ps(_mm_set1_ps(dmin), _mm_cvtepi32_ps(MinsTimesGroupSums(min, y[b].bsums)),
                           acc_min);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(isum), acc);
  }
  acc_min = _mm_add_ps(acc_min, _mm_movehl_ps(acc_min, acc_min));
  acc_min = _mm_add_ss(acc_min, _mm_movehdup_ps(acc_min));
  return HsumPs(acc) + _mm_cvtss_f32(acc_min);
}

float VecDotQ5_K(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ5_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  __m256 acc = _mm256_setzero_ps();
  float mins_total = 0.0f;
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
    const float d = y[b].d * Fp16ToFp32(x[b].d);
    const float dmin = -y[b].d * Fp16ToFp32(x[b].dmin);
    const __m128i mins = MinsTimesGroupSums(min, y[b].bsums);
    const int mins_sum = _mm_cvtsi128_si32(_mm_hadd_epi32(_mm_hadd_epi32(mins, mins), mins));
    // ggml's C code here compiles to one fused multiply-add; do the same.
    mins_total = _mm_cvtss_f32(_mm_fmadd_ss(
        _mm_set_ss(dmin), _mm_set_ss(static_cast<float>(mins_sum)), _mm_set_ss(mins_total)));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(isum), acc);
  }
  return HsumPs(acc) + mins_total;
}

// Values q in 0..63 mean q - 32. Lane k's offset, 32 * (scale[2k] * bsums[2k]
// + scale[2k+1] * bsums[2k+1]), is subtracted lane-wise as ggml does.
float VecDotQ6_K(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ6_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / kQkK; ++b) {
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
                              x[b].scales[g], x[b].scales[g + 1]));
      }
    }
    isum = _mm256_sub_epi32(isum, Q6OffsetLanes(x[b].scales, y[b].bsums));
    const float d = y[b].d * Fp16ToFp32(x[b].d);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(isum), acc);
  }
  return HsumPs(acc);
}

}  // namespace hearth::kernels::avx2
