// Internal to src/kernels: loads of the same bytes of two row groups (a "pair", or two rows)
// into one register, the first in the low half: the layout of the AVX-512 GEMVs, AMX epilogues
// and attention tiles. For *_avx512.cpp files (native or emulated, simd_avx512.h) and *_amx.cpp
// files; `static inline` keeps each file's copy private.
#pragma once

#include <cstdint>

#include "kernels/simd_avx512.h"

namespace hearth::kernels::HEARTH_AVX512_NS {

// 32 bytes at p0 in bytes 0-31, 32 at p1 in bytes 32-63.
static inline __m512i LoadPair32(const void* p0, const void* p1) {
  const __m256i lo = _mm256_loadu_si256(static_cast<const __m256i*>(p0));
  const __m256i hi = _mm256_loadu_si256(static_cast<const __m256i*>(p1));
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

// 16 bytes at p0 in bytes 0-15, 16 at p1 in bytes 16-31.
static inline __m256i LoadPair16(const void* p0, const void* p1) {
  const __m128i lo = _mm_loadu_si128(static_cast<const __m128i*>(p0));
  const __m128i hi = _mm_loadu_si128(static_cast<const __m128i*>(p1));
  return _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
}

// 8 fp16 at p0 and 8 at p1 as 16 floats (p0's in lanes 0-7).
static inline __m512 LoadHalvesPair(const void* p0, const void* p1) {
  return _mm512_cvtph_ps(LoadPair16(p0, p1));
}

}  // namespace hearth::kernels::HEARTH_AVX512_NS
