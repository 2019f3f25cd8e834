// AVX-512 VNNI GEMVs (one token: the generation step) on packed legacy row groups (Q4_0,
// Q4_1, Q5_0, Q5_1, Q8_0; layout in packed_legacy.h).
//
// One 512-bit register holds the same 32-byte chunk of two row groups (16 rows, one 32-bit lane
// each), so a pass over a pair of groups takes half the instructions of the AVX2 GEMV's two
// 256-bit passes, and VPDPBUSD sums 4 byte products into each int32 lane in one instruction
// (AVX2 needs maddubs + madd + add). Weights are the unsigned operand: 4- and 5-bit values as
// they are (offsets Q4_0's -8, Q5_0's -16 applied with the block's activation sum, as the AVX2
// kernels do), Q8_0's signed values biased to w + 128 (then 128 * sum(a) is subtracted). The
// block integers are exact, hence the AVX2 GEMV's, and the f32 operations per output are the
// AVX2 GEMV's in the same order (per block: acc = fma(float(isum), d_w * d_a, acc), then for
// Q4_1/Q5_1 acc = fma(m_w, s_a, acc)), so the results equal it bit for bit (and so the packed
// GEMM's, packed_gemv.h's contract). Each pass prefetches the next pass's bytes one block
// share at a time, as the AVX2 GEMV does (its comment has the measurements).
//
// Compiled twice like every *_avx512.cpp file (simd_avx512.h): natively for libhearth and
// over SIMDe's emulation for the tests.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <algorithm>
#include <cstring>

#include "kernels/kernel_registry.h"
#include "kernels/packed.h"
#include "kernels/packed_legacy.h"
#include "kernels/quant_blocks.h"
#include "kernels/simd_avx512.h"

namespace hearth::kernels::HEARTH_AVX512_NS {
namespace {

using internal::GemmActivations;
using internal::LegacySections;
using internal::PackedGemmArgs;

// Pairs of row groups per pass: two independent pairs keep more loads and dependency chains in
// flight.
constexpr int kPairs = 2;

inline void PrefetchRange(const uint8_t* base, uint64_t from, uint64_t to) {
  const uintptr_t address = reinterpret_cast<uintptr_t>(base);
  for (uint64_t offset = from; offset < to; offset += 64) {
    _mm_prefetch(reinterpret_cast<const char*>(address + offset), _MM_HINT_T0);
  }
}

// 32 bytes at p0 (the first group of a pair) in lanes 0-7, 32 at p1 in lanes 8-15.
inline __m512i LoadPair(const uint8_t* p0, const uint8_t* p1) {
  const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p0));
  const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p1));
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

// 8 fp16 per group of the pair as 16 floats.
inline __m512 LoadHalvesPair(const uint8_t* p0, const uint8_t* p1) {
  const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p0));
  const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p1));
  return _mm512_cvtph_ps(_mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1));
}

inline __m512i Bytes(int v) { return _mm512_set1_epi8(static_cast<char>(v)); }

// The 4 activation bytes at a in every lane.
inline __m512i Broadcast4(const int8_t* a) {
  int32_t v;
  std::memcpy(&v, a, sizeof v);
  return _mm512_set1_epi32(v);
}

template <TensorType kT>
struct Legacy;
template <>
struct Legacy<TensorType::kQ4_0> {
  static constexpr int kQsBytes = 128, kOffset = 8, kBits = 4;
  static constexpr bool kHasMin = false;
};
template <>
struct Legacy<TensorType::kQ4_1> {
  static constexpr int kQsBytes = 128, kOffset = 0, kBits = 4;
  static constexpr bool kHasMin = true;
};
template <>
struct Legacy<TensorType::kQ5_0> {
  static constexpr int kQsBytes = 128, kOffset = 16, kBits = 5;
  static constexpr bool kHasMin = false;
};
template <>
struct Legacy<TensorType::kQ5_1> {
  static constexpr int kQsBytes = 128, kOffset = 0, kBits = 5;
  static constexpr bool kHasMin = true;
};
template <>
struct Legacy<TensorType::kQ8_0> {
  static constexpr int kQsBytes = 256, kOffset = 128, kBits = 8;  // w + 128
  static constexpr bool kHasMin = false;
};

// Block b of one pair of groups (g0, g1) against the token's 32 activation bytes a: the
// integer dot products before the offset, lane r = row r of the pair. Two accumulators (low
// and high halves of the block) halve the dependency chain.
template <TensorType kT>
inline __m512i PairDot(const uint8_t* g0, const uint8_t* g1, const LegacySections& s, int64_t b,
                       const int8_t* a) {
  using L = Legacy<kT>;
  const uint8_t* q0 = g0 + s.qs + b * L::kQsBytes;
  const uint8_t* q1 = g1 + s.qs + b * L::kQsBytes;
  __m512i lo_sum = _mm512_setzero_si512(), hi_sum = _mm512_setzero_si512();
  if constexpr (L::kBits == 8) {
    for (int k = 0; k < 8; k += 2) {
      const __m512i w0 = _mm512_xor_si512(LoadPair(q0 + 32 * k, q1 + 32 * k), Bytes(0x80));
      const __m512i w1 =
          _mm512_xor_si512(LoadPair(q0 + 32 * k + 32, q1 + 32 * k + 32), Bytes(0x80));
      lo_sum = _mm512_dpbusd_epi32(lo_sum, w0, Broadcast4(a + 4 * k));
      hi_sum = _mm512_dpbusd_epi32(hi_sum, w1, Broadcast4(a + 4 * k + 4));
    }
    return _mm512_add_epi32(lo_sum, hi_sum);
  }
  // Q5: bit i of each byte of the qh vector is chunk i's fifth bit (packed_legacy.h).
  __m512i bits = _mm512_setzero_si512();
  if constexpr (L::kBits == 5) bits = LoadPair(g0 + s.qh + b * 32, g1 + s.qh + b * 32);
  for (int k = 0; k < 4; ++k) {
    const __m512i v = LoadPair(q0 + 32 * k, q1 + 32 * k);
    __m512i lo = _mm512_and_si512(v, Bytes(0x0F));
    __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), Bytes(0x0F));
    if constexpr (L::kBits == 5) {
      // Chunk k's fifth bits to bit 4: shift left by 4 - k; chunk k + 4's: right by k.
      lo = _mm512_or_si512(lo, _mm512_and_si512(_mm512_slli_epi32(bits, 4), Bytes(0x10)));
      hi = _mm512_or_si512(hi, _mm512_and_si512(bits, Bytes(0x10)));
      bits = _mm512_srli_epi32(bits, 1);
    }
    lo_sum = _mm512_dpbusd_epi32(lo_sum, lo, Broadcast4(a + 4 * k));
    hi_sum = _mm512_dpbusd_epi32(hi_sum, hi, Broadcast4(a + 16 + 4 * k));
  }
  return _mm512_add_epi32(lo_sum, hi_sum);
}

// kPairs pairs of groups (the first at w, group_bytes apart) times the token: y[g * 8 + r].
template <TensorType kT, int P>
void LegacyPairs(const uint8_t* w, uint64_t group_bytes, const LegacySections& s, int64_t n_blocks,
                 const GemmActivations& act, float* y) {
  using L = Legacy<kT>;
  const uint64_t next_pass = 2 * P * group_bytes;                    // offset from w
  const uint64_t pass_block_bytes = 2 * P * group_bytes / n_blocks;  // 2P * 8 * block bytes
  __m512 acc[P];
  const uint8_t* g0[P];
  const uint8_t* g1[P];
  for (int p = 0; p < P; ++p) {
    acc[p] = _mm512_setzero_ps();
    g0[p] = w + 2 * p * group_bytes;
    g1[p] = g0[p] + group_bytes;
  }
  for (int64_t b = 0; b < n_blocks; ++b) {
    const int8_t* a = act.qs + b * kQk;
    PrefetchRange(w, next_pass + b * pass_block_bytes, next_pass + (b + 1) * pass_block_bytes);
    const __m512 da = _mm512_set1_ps(act.d[b]);
    for (int p = 0; p < P; ++p) {
      __m512i isum = PairDot<kT>(g0[p], g1[p], s, b, a);
      if constexpr (L::kOffset != 0) {
        isum = _mm512_sub_epi32(isum, _mm512_set1_epi32(L::kOffset * act.sums[b]));
      }
      const __m512 scale =
          _mm512_mul_ps(LoadHalvesPair(g0[p] + s.d + b * 16, g1[p] + s.d + b * 16), da);
      acc[p] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), scale, acc[p]);
    }
    if constexpr (L::kHasMin) {
      const __m512 sa = _mm512_set1_ps(act.s[b]);
      for (int p = 0; p < P; ++p) {
        const __m512 mw = LoadHalvesPair(g0[p] + s.m + b * 16, g1[p] + s.m + b * 16);
        acc[p] = _mm512_fmadd_ps(mw, sa, acc[p]);
      }
    }
  }
  for (int p = 0; p < P; ++p) _mm512_storeu_ps(y + 2 * p * kPackRows, acc[p]);
}

template <TensorType kT>
void LegacyGemv(const PackedGemmArgs& a) {
  const LegacySections s = internal::LegacySectionsOf(kT, a.n_blocks);
  // The first pass has no pass before it to prefetch it: its lines are requested at once.
  PrefetchRange(a.w, 0, std::min<int64_t>(2 * kPairs, a.n_groups) * a.group_bytes);
  int64_t grp = 0;
  for (; grp + 2 * kPairs <= a.n_groups; grp += 2 * kPairs) {
    LegacyPairs<kT, kPairs>(a.w + grp * a.group_bytes, a.group_bytes, s, a.n_blocks, *a.act,
                            a.y + grp * kPackRows);
  }
  for (; grp + 2 <= a.n_groups; grp += 2) {
    LegacyPairs<kT, 1>(a.w + grp * a.group_bytes, a.group_bytes, s, a.n_blocks, *a.act,
                       a.y + grp * kPackRows);
  }
  if (grp < a.n_groups) {  // a lone last group: the AVX2 GEMV (the same numerics)
    PackedGemmArgs last = a;
    last.w = a.w + grp * a.group_bytes;
    last.n_groups = 1;
    last.y = a.y + grp * kPackRows;
    internal::Avx2PackedLegacy(kT).gemv(last);
  }
}

}  // namespace
}  // namespace hearth::kernels::HEARTH_AVX512_NS

namespace hearth::kernels::internal {

// Avx512PackedLegacyGemv, or EmulatedAvx512PackedLegacyGemv in the test binary's emulated copy.
PackedGemmFn HEARTH_AVX512_PACKED_LEGACY_GEMV(TensorType type) {
  namespace simd = HEARTH_AVX512_NS;
  switch (type) {
    case TensorType::kQ4_0:
      return simd::LegacyGemv<TensorType::kQ4_0>;
    case TensorType::kQ4_1:
      return simd::LegacyGemv<TensorType::kQ4_1>;
    case TensorType::kQ5_0:
      return simd::LegacyGemv<TensorType::kQ5_0>;
    case TensorType::kQ5_1:
      return simd::LegacyGemv<TensorType::kQ5_1>;
    case TensorType::kQ8_0:
      return simd::LegacyGemv<TensorType::kQ8_0>;
    default:
      return nullptr;
  }
}

}  // namespace hearth::kernels::internal
