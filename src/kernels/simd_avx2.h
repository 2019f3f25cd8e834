// Internal to src/kernels: AVX2 helpers shared by the *_avx2.cpp and
// *_avx512.cpp files (include only from files compiled with -mavx2 -mfma
// -mf16c). `static inline` keeps each file's copy private, so no AVX code can
// be picked by the linker for a scalar caller.
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace hearth::kernels::avx2 {

static inline float HalfToFloat(uint16_t h) { return _cvtsh_ss(h); }

// Sum of 8 lanes as ggml's hsum_float_8 (used by its quantized dot products).
static inline float HsumPs(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// ggml's reduction for its F32/F16 dot products: fold halves, then two hadds.
static inline float HsumPsHadd(__m256 v) {
  const __m128 t0 = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 t1 = _mm_hadd_ps(t0, t0);
  return _mm_cvtss_f32(_mm_hadd_ps(t1, t1));
}

static inline int HsumI32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}

// The cache level a prefetch fills (down to): L1, or L2 only.
enum class CacheLevel { kL1, kL2 };

// Prefetches the cache lines of the bytes [base + from, base + to) into kLevel. The addresses
// may lie past the caller's data (e.g. the GEMVs' pass after the last): they are computed as
// integers, since pointer arithmetic past an object is undefined, and a prefetch never faults.
template <CacheLevel kLevel = CacheLevel::kL1>
static inline void PrefetchRange(const uint8_t* base, uint64_t from, uint64_t to) {
  // Locality 3 is PREFETCHT0 (into L1), 2 is PREFETCHT1 (into L2).
  constexpr int kLocality = kLevel == CacheLevel::kL1 ? 3 : 2;
  const uintptr_t address = reinterpret_cast<uintptr_t>(base);
  for (uint64_t offset = from; offset < to; offset += 64) {
    __builtin_prefetch(reinterpret_cast<const void*>(address + offset), 0, kLocality);
  }
}

static inline __m256i LoadU(const void* p) {
  return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}

// The 4 bytes at p in every 32-bit lane.
static inline __m256i Broadcast4(const void* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof v);
  return _mm256_set1_epi32(v);
}

// The 8 fp16 at p as floats (the packed layouts' per-row scales: lane r = row r).
static inline __m256 LoadHalves(const void* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(static_cast<const __m128i*>(p)));
}

static inline __m256i Mask8(int m) { return _mm256_set1_epi8(static_cast<char>(m)); }

// 16 bytes of nibbles -> 32 bytes: low nibbles in bytes 0-15, high in 16-31
// (the element order of the legacy 32-value blocks).
static inline __m256i NibblesToBytes(const uint8_t* qs) {
  const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m256i both = _mm256_set_m128i(_mm_srli_epi16(packed, 4), packed);
  return _mm256_and_si256(both, _mm256_set1_epi8(0x0f));
}

// Byte k = 0xff if bit k of the little-endian 32-bit field at p is set, else 0.
static inline __m256i BitsToBytes(const uint8_t* p) {
  uint32_t bits;
  std::memcpy(&bits, p, sizeof bits);
  // Byte k gets byte k/8 of `bits` (the shuffle works within 128-bit lanes).
  const __m256i spread = _mm256_shuffle_epi8(
      _mm256_set1_epi32(static_cast<int>(bits)),
      _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0));
  const __m256i bit_of_byte = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201ull));
  return _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit_of_byte), bit_of_byte);
}

// (unsigned bytes u) . (signed bytes s), summed in pairs then quads: 8 int32.
// Callers keep 2 * u * s within int16 (u <= 128, |s| <= 127).
static inline __m256i DotU8I8(__m256i u, __m256i s) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

// (signed x) . (signed y) for |y| <= 127: move x's sign onto y.
static inline __m256i DotI8I8(__m256i x, __m256i y) {
  return DotU8I8(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
}

// Shifts each byte right by `bits` (the 16-bit shift's spill is masked away
// by the caller's AND).
static inline __m256i ShiftBytesRight(__m256i v, int bits) {
  return _mm256_srl_epi16(v, _mm_cvtsi32_si128(bits));
}

// Each byte shifted left by n bits (right by -n); callers mask away what spills between bytes.
static inline __m256i ShiftLeftBits(__m256i v, int n) {
  if (n > 0) return _mm256_slli_epi16(v, n);
  if (n < 0) return _mm256_srli_epi16(v, -n);
  return v;
}

// Q6_K's per-lane offsets: lane k = 32 * (scales[2k] * bsums[2k] +
// scales[2k+1] * bsums[2k+1]) (values are stored biased by +32).
static inline __m256i Q6OffsetLanes(const int8_t* scales, const int16_t* bsums) {
  const __m256i scales16 =
      _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales)));
  return _mm256_slli_epi32(_mm256_madd_epi16(LoadU(bsums), scales16), 5);
}

// Lane k of the result: min[2k] * G[2k] + min[2k+1] * G[2k+1], G[g] the sum of
// the 32 activations of group g (two bsums).
static inline __m128i MinsTimesGroupSums(const int* min, const int16_t* bsums) {
  const __m256i sums16 = LoadU(bsums);
  const __m128i group_sums =
      _mm_hadd_epi16(_mm256_castsi256_si128(sums16), _mm256_extracti128_si256(sums16, 1));
  const __m128i mins = _mm_setr_epi16(static_cast<int16_t>(min[0]), static_cast<int16_t>(min[1]),
                                      static_cast<int16_t>(min[2]), static_cast<int16_t>(min[3]),
                                      static_cast<int16_t>(min[4]), static_cast<int16_t>(min[5]),
                                      static_cast<int16_t>(min[6]), static_cast<int16_t>(min[7]));
  return _mm_madd_epi16(mins, group_sums);
}

}  // namespace hearth::kernels::avx2
