// AVX-512 VNNI GEMVs (one token: the generation step) on packed row groups: the legacy types
// (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0; layout in packed_legacy.h) and the K-quants (Q4_K, Q5_K, Q6_K;
// packed_kquant.h, second half of this file).
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
// clang-format off (before every other include: it silences a GCC false positive in them)
#include "kernels/avx512_gcc_warnings.h"
// clang-format on

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "kernels/kernel_registry.h"
#include "kernels/packed.h"
#include "kernels/packed_gemv.h"
#include "kernels/packed_kquant.h"
#include "kernels/packed_legacy.h"
#include "kernels/quant_blocks.h"
#include "kernels/simd_avx2.h"
#include "kernels/simd_avx512.h"
#include "kernels/simd_pairs_avx512.h"

namespace hearth::kernels::HEARTH_AVX512_NS {
namespace {

// The next pass's bytes are requested into L2, not L1 as the AVX2 GEMVs do (tuned on Zen 3): on
// this Intel Xeon, 2 threads, rand-llama-1b tg went from 37.6 to 44.3 tok/s (Q4_0: 73% -> 88% of
// the read bandwidth) and 40.8 to 46.3 (Q4_K_M), SmolLM2 (weights in L3) unchanged. L1's few
// fill buffers are left to the demand loads; L2 has far more outstanding misses.
constexpr auto kPrefetchLevel = avx2::CacheLevel::kL2;

using internal::GemmActivations;
using internal::LegacySections;
using internal::PackedGemmArgs;

// Pairs of row groups per pass. One: in the models two pairs per pass lost to the AVX2 GEMV
// (rand-llama-1b Q4_0 tg 30.8 vs 33.6 tok/s, 2 threads; Q4_K 0.84x on one thread), one pair
// matches or beats it (1B Q4_0 33.6 vs 33.5, SmolLM2 Q8_0 +5-10%, Q4_K 1.16x), although two
// pairs measured faster in the microbenchmark (1.1x): the model's weights are on huge pages too
// (AnonHugePages covers the arena), so the cause is not the TLB; more concurrent streams per
// core than the prefetch cursor keeps ahead of is the likelier one (not verified: no PMU here).
constexpr int kPairs = 1;

inline __m512i Bytes(int v) { return _mm512_set1_epi8(static_cast<char>(v)); }

// The 4 bytes at a in every lane.
inline __m512i Broadcast4(const void* a) {
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
      const __m512i w0 = _mm512_xor_si512(LoadPair32(q0 + 32 * k, q1 + 32 * k), Bytes(0x80));
      const __m512i w1 =
          _mm512_xor_si512(LoadPair32(q0 + 32 * k + 32, q1 + 32 * k + 32), Bytes(0x80));
      lo_sum = _mm512_dpbusd_epi32(lo_sum, w0, Broadcast4(a + 4 * k));
      hi_sum = _mm512_dpbusd_epi32(hi_sum, w1, Broadcast4(a + 4 * k + 4));
    }
    return _mm512_add_epi32(lo_sum, hi_sum);
  }
  // Q5: bit i of each byte of the qh vector is chunk i's fifth bit (packed_legacy.h).
  __m512i bits = _mm512_setzero_si512();
  if constexpr (L::kBits == 5) bits = LoadPair32(g0 + s.qh + b * 32, g1 + s.qh + b * 32);
  for (int k = 0; k < 4; ++k) {
    const __m512i v = LoadPair32(q0 + 32 * k, q1 + 32 * k);
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
    avx2::PrefetchRange<kPrefetchLevel>(w, next_pass + b * pass_block_bytes,
                                        next_pass + (b + 1) * pass_block_bytes);
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

// The passes over the groups of a GEMV of type kT: pass(std::integral_constant<int, P>, grp)
// computes the P pairs of groups from group grp on; kP pairs per pass, then a lone pair, then a
// lone last group through the AVX2 GEMV (the same numerics).
template <TensorType kT, int kP, typename Pass>
void PairedGemv(const PackedGemmArgs& a, Pass pass) {
  // The first pass has no pass before it to prefetch it: its lines are requested at once.
  avx2::PrefetchRange<kPrefetchLevel>(a.w, 0,
                                      std::min<int64_t>(2 * kP, a.n_groups) * a.group_bytes);
  int64_t grp = 0;
  for (; grp + 2 * kP <= a.n_groups; grp += 2 * kP) pass(std::integral_constant<int, kP>{}, grp);
  for (; grp + 2 <= a.n_groups; grp += 2) pass(std::integral_constant<int, 1>{}, grp);
  if (grp < a.n_groups) {
    PackedGemmArgs last = a;
    last.w = a.w + grp * a.group_bytes;
    last.n_groups = 1;
    last.y = a.y + grp * kPackRows;
    internal::Avx2PackedGemv(kT)(last);
  }
}

template <TensorType kT>
void LegacyGemv(const PackedGemmArgs& a) {
  const LegacySections s = internal::LegacySectionsOf(kT, a.n_blocks);
  PairedGemv<kT, kPairs>(a, [&](auto pairs, int64_t grp) {
    LegacyPairs<kT, decltype(pairs)::value>(a.w + grp * a.group_bytes, a.group_bytes, s, a.n_blocks,
                                            *a.act, a.y + grp * kPackRows);
  });
}

// --- K-quants (layouts: packed_kquant.h) --------------------------------------------------
//
// As the legacy kernels: a register holds the same 32 bytes of two groups, VPDPBUSD sums the
// byte products of a sub-block into int32 (the values are unsigned: Q4_K/Q5_K's as they are,
// Q6_K's stored as q + 32), and each sub-block's dot product is multiplied by its 6- or 8-bit
// scale in int32 (VPMULLD: exact, one instruction per sub-block where the AVX2 kernel needs
// int16 pair sums to stay below 2^15 for its pmaddwd). The mins (Q4_K/Q5_K) and Q6_K's offset
// are pmaddwd sums of int16 pairs as in the AVX2 kernel, fused into VPDPWSSD. Every integer of
// a super-block is exact, so equal to the AVX2 GEMV's; the f32 operations per super-block are
// its: acc = fma(float(isum), d_w * d_a, acc), then for Q4_K/Q5_K
// acc = fnma(float(imin), dmin_w * d_a, acc).

namespace pk = packed_kquant;

// The 6-bit scales (or mins) of both groups of a pair, sub-blocks 0-3 (lo) and 4-7 (hi): byte
// 8 * (s % 4) + r of each group's half (avx2::DecodeSixBit on two groups at once).
struct SixBitPair {
  __m512i lo, hi;
};

// Each byte shifted left by n bits (right by -n); callers mask away what spills between bytes.
inline __m512i ShiftLeftBits(__m512i v, int n) {
  if (n > 0) return _mm512_slli_epi16(v, n);
  if (n < 0) return _mm512_srli_epi16(v, -n);
  return v;
}

// top_shift 0: the scales' top bits (bits 0-1 / 2-3 of each byte); 4: the mins' (4-5 / 6-7).
inline SixBitPair DecodeSixBitPair(__m512i low_nibbles, __m512i top_bits, int top_shift) {
  const __m512i lo =
      _mm512_or_si512(_mm512_and_si512(low_nibbles, Bytes(0x0f)),
                      _mm512_and_si512(ShiftLeftBits(top_bits, 4 - top_shift), Bytes(0x30)));
  const __m512i hi =
      _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(low_nibbles, 4), Bytes(0x0f)),
                      _mm512_and_si512(ShiftLeftBits(top_bits, 2 - top_shift), Bytes(0x30)));
  return {lo, hi};
}

// Lane 8h + r = byte 8q + r of group h's half of `bytes` (q < 4: row r's entry of a SixBitPair
// for sub-block q or q + 4), as an int32 or, with kInt16Pair, as two equal int16.
template <bool kInt16Pair>
inline __m512i RowEntries(__m512i bytes, int q) {
  // The dword of rows 0-3 (4-7) of each group to all four dwords of a 128-bit lane, ...
  const __m512i dword = _mm512_add_epi32(
      _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 8, 8, 8, 8, 9, 9, 9, 9), _mm512_set1_epi32(2 * q));
  const __m512i copies = _mm512_permutexvar_epi32(dword, bytes);
  // ... then dword j keeps its byte j (byte 5j of the lane).
  const __m128i pick = kInt16Pair ? _mm_setr_epi8(0, -128, 0, -128, 5, -128, 5, -128, 10, -128, 10,
                                                  -128, 15, -128, 15, -128)
                                  : _mm_setr_epi8(0, -128, -128, -128, 5, -128, -128, -128, 10,
                                                  -128, -128, -128, 15, -128, -128, -128);
  return _mm512_shuffle_epi8(copies, _mm512_broadcast_i32x4(pick));
}

// P pairs of Q4_K (kBits 4) or Q5_K (kBits 5) groups (super-block b at sb0[p], sb1[p]) against
// the token's block y: isum[p] lane 8h + r = sum_s scale[r][s] * (values of sub-block s .
// activations) of group h, imin[p] = sum_s min[r][s] * (bsum[2s] + bsum[2s + 1]). Each
// sub-block prefetches pf_step bytes from pf_base + pf on (the AVX2 kernel's scheme).
template <int kBits, int P>
inline void ScaleMinPairSums(const uint8_t* pf_base, uint64_t pf, uint64_t pf_step,
                             const uint8_t* const (&sb0)[P], const uint8_t* const (&sb1)[P],
                             const BlockQ8_K& y, __m512i (&isum)[P], __m512i (&imin)[P]) {
  constexpr uint64_t kValues = kBits == 4 ? pk::kQ4KValues : pk::kQ5KValues;
  SixBitPair scales[P], mins[P];
  for (int p = 0; p < P; ++p) {
    const __m512i top = LoadPair32(sb0[p] + pk::kQ4KHighBits, sb1[p] + pk::kQ4KHighBits);
    scales[p] =
        DecodeSixBitPair(LoadPair32(sb0[p] + pk::kQ4KScaleLow, sb1[p] + pk::kQ4KScaleLow), top, 0);
    mins[p] =
        DecodeSixBitPair(LoadPair32(sb0[p] + pk::kQ4KMinLow, sb1[p] + pk::kQ4KMinLow), top, 4);
    isum[p] = imin[p] = _mm512_setzero_si512();
  }
#pragma GCC unroll 1
  for (int s = 0; s < 8; ++s) {
    avx2::PrefetchRange<kPrefetchLevel>(pf_base, pf + s * pf_step, pf + (s + 1) * pf_step);
    const __m512i bsum_pair = Broadcast4(y.bsums + 2 * s);
    __m512i lo_dot[P], hi_dot[P], fifth[P];
    for (int p = 0; p < P; ++p) {
      const __m512i min = RowEntries<true>(s < 4 ? mins[p].lo : mins[p].hi, s % 4);
      imin[p] = _mm512_dpwssd_epi32(imin[p], min, bsum_pair);
      lo_dot[p] = hi_dot[p] = _mm512_setzero_si512();
      fifth[p] = kBits == 5 ? LoadPair32(sb0[p] + pk::kQ5KHighPlane + 32 * s,
                                         sb1[p] + pk::kQ5KHighPlane + 32 * s)
                            : _mm512_setzero_si512();
    }
    for (int k = 0; k < 4; ++k) {
      const int8_t* a = y.qs + 32 * s + 8 * k;
      const __m512i a_lo = Broadcast4(a), a_hi = Broadcast4(a + 4);
      for (int p = 0; p < P; ++p) {
        const uint64_t at = kValues + 128 * s + 32 * k;
        const __m512i bits = LoadPair32(sb0[p] + at, sb1[p] + at);
        __m512i lo = _mm512_and_si512(bits, Bytes(0x0f));
        __m512i hi = _mm512_and_si512(_mm512_srli_epi16(bits, 4), Bytes(0x0f));
        if constexpr (kBits == 5) {
          // Bits 2k, 2k + 1 of each byte (brought to 0, 1 by the shifts so far).
          lo = _mm512_or_si512(lo, _mm512_and_si512(_mm512_slli_epi16(fifth[p], 4), Bytes(0x10)));
          hi = _mm512_or_si512(hi, _mm512_and_si512(_mm512_slli_epi16(fifth[p], 3), Bytes(0x10)));
          fifth[p] = _mm512_srli_epi16(fifth[p], 2);
        }
        lo_dot[p] = _mm512_dpbusd_epi32(lo_dot[p], lo, a_lo);
        hi_dot[p] = _mm512_dpbusd_epi32(hi_dot[p], hi, a_hi);
      }
    }
    for (int p = 0; p < P; ++p) {
      const __m512i scale = RowEntries<false>(s < 4 ? scales[p].lo : scales[p].hi, s % 4);
      const __m512i dot = _mm512_add_epi32(lo_dot[p], hi_dot[p]);
      isum[p] = _mm512_add_epi32(isum[p], _mm512_mullo_epi32(dot, scale));
    }
  }
}

// P pairs of Q4_K / Q5_K groups (the first at w, group_bytes apart) times the token y (n_sb
// super-blocks): out[g * 8 + r].
template <int kBits, int P>
void ScaleMinPairs(const uint8_t* w, uint64_t group_bytes, int64_t n_sb, const BlockQ8_K* y,
                   float* out) {
  constexpr uint64_t kBlock = kBits == 4 ? pk::kQ4KGroupBlock : pk::kQ5KGroupBlock;
  const uint64_t next_pass = 2 * P * group_bytes;  // offset from w, prefetched during this pass
  __m512 acc[P];
  for (int p = 0; p < P; ++p) acc[p] = _mm512_setzero_ps();
  for (int64_t b = 0; b < n_sb; ++b) {
    const uint8_t* sb0[P];
    const uint8_t* sb1[P];
    for (int p = 0; p < P; ++p) {
      sb0[p] = w + 2 * p * group_bytes + b * kBlock;
      sb1[p] = sb0[p] + group_bytes;
    }
    __m512i isum[P], imin[P];
    ScaleMinPairSums<kBits, P>(w, next_pass + b * 2 * P * kBlock, 2 * P * kBlock / 8, sb0, sb1,
                               y[b], isum, imin);
    const __m512 da = _mm512_set1_ps(y[b].d);
    for (int p = 0; p < P; ++p) {
      const __m512 d = LoadHalvesPair(sb0[p], sb1[p]);
      const __m512 dmin = LoadHalvesPair(sb0[p] + 16, sb1[p] + 16);
      acc[p] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[p]), _mm512_mul_ps(d, da), acc[p]);
      acc[p] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(imin[p]), _mm512_mul_ps(dmin, da), acc[p]);
    }
  }
  for (int p = 0; p < P; ++p) _mm512_storeu_ps(out + 2 * p * kPackRows, acc[p]);
}

// Q6_K, P pairs of groups (g0[p], g1[p]), super-block b (values and scales values_at, scales_at
// from each group's start): isum[p] lane 8h + r = sum_j scale[r][j] * (unsigned values of
// sub-block j . activations) - 32 * sum_j scale[r][j] * bsum[j], of group h. Each chunk
// prefetches pf_step bytes from pf_base + pf on.
template <int P>
inline void Q6KPairSums(const uint8_t* pf_base, uint64_t pf, uint64_t pf_step,
                        const uint8_t* const (&g0)[P], const uint8_t* const (&g1)[P],
                        uint64_t values_at, uint64_t scales_at, const BlockQ8_K& y,
                        __m512i (&isum)[P]) {
  __m512i offset[P];
  for (int p = 0; p < P; ++p) isum[p] = offset[p] = _mm512_setzero_si512();
#pragma GCC unroll 1
  for (int c = 0; c < 8; ++c) {
    avx2::PrefetchRange<kPrefetchLevel>(pf_base, pf + c * pf_step, pf + (c + 1) * pf_step);
    const __m512i bsum_pair = Broadcast4(y.bsums + 2 * c);
    __m512i scale[P][2];
    for (int p = 0; p < P; ++p) {
      const uint64_t at = scales_at + 16 * c;
      // Lane 8h + r: (scale of sub-block 2c, of 2c + 1) of row r as int16.
      const __m512i pair = _mm512_cvtepi8_epi16(LoadPair16(g0[p] + at, g1[p] + at));
      offset[p] = _mm512_dpwssd_epi32(offset[p], pair, bsum_pair);
      // Each int16 sign-extended to int32: the pair times (1, 0) and (0, 1) (SIMDe 0.7.4 lacks
      // _mm512_srai_epi32 and misdeclares _mm512_madd_epi16).
      scale[p][0] = _mm512_dpwssd_epi32(_mm512_setzero_si512(), pair, _mm512_set1_epi32(1));
      scale[p][1] = _mm512_dpwssd_epi32(_mm512_setzero_si512(), pair, _mm512_set1_epi32(1 << 16));
    }
    for (int h = 0; h < 2; ++h) {
      const int8_t* a = y.qs + 32 * c + 16 * h;
      const __m512i a0 = Broadcast4(a), a1 = Broadcast4(a + 4), a2 = Broadcast4(a + 8),
                    a3 = Broadcast4(a + 12);
      for (int p = 0; p < P; ++p) {
        const uint64_t at = values_at + pk::kQ6KChunk * c + 96 * h;
        const __m512i l0 = LoadPair32(g0[p] + at, g1[p] + at);
        const __m512i l1 = LoadPair32(g0[p] + at + 32, g1[p] + at + 32);
        const __m512i l2 = LoadPair32(g0[p] + at + 64, g1[p] + at + 64);
        const __m512i top = Bytes(0xc0), six = Bytes(0x3f);
        // Bits 6-7 of the three loads pieced together (masked first, as in the AVX2 kernel).
        const __m512i v3 =
            _mm512_or_si512(_mm512_or_si512(_mm512_srli_epi16(_mm512_and_si512(l0, top), 6),
                                            _mm512_srli_epi16(_mm512_and_si512(l1, top), 4)),
                            _mm512_srli_epi16(_mm512_and_si512(l2, top), 2));
        __m512i lo = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_and_si512(l0, six), a0);
        __m512i hi = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_and_si512(l2, six), a2);
        lo = _mm512_dpbusd_epi32(lo, _mm512_and_si512(l1, six), a1);
        hi = _mm512_dpbusd_epi32(hi, v3, a3);
        isum[p] =
            _mm512_add_epi32(isum[p], _mm512_mullo_epi32(_mm512_add_epi32(lo, hi), scale[p][h]));
      }
    }
  }
  for (int p = 0; p < P; ++p) isum[p] = _mm512_sub_epi32(isum[p], _mm512_slli_epi32(offset[p], 5));
}

// P pairs of Q6_K groups (the first at w, group_bytes apart) times the token y: out[g * 8 + r].
// Unlike the AVX2 kernel (where it lost on Zen 3), each chunk prefetches its share of the next
// pass: on this kernel it gained 1.02-1.15x GEMV GB/s (Sapphire Rapids class, one thread).
template <int P>
void Q6KPairs(const uint8_t* w, uint64_t group_bytes, int64_t n_sb, const BlockQ8_K* y,
              float* out) {
  __m512 acc[P];
  const uint8_t* g0[P];
  const uint8_t* g1[P];
  for (int p = 0; p < P; ++p) {
    acc[p] = _mm512_setzero_ps();
    g0[p] = w + 2 * p * group_bytes;
    g1[p] = g0[p] + group_bytes;
  }
  const uint64_t scales_at = n_sb * pk::kQ6KValueBlock;
  const uint64_t d_at = scales_at + n_sb * pk::kQ6KScaleBlock;
  const uint64_t next_pass = 2 * P * group_bytes, pass_sb_bytes = 2 * P * group_bytes / n_sb;
  for (int64_t b = 0; b < n_sb; ++b) {
    __m512i isum[P];
    Q6KPairSums<P>(w, next_pass + b * pass_sb_bytes, pass_sb_bytes / 8, g0, g1,
                   b * pk::kQ6KValueBlock, scales_at + b * pk::kQ6KScaleBlock, y[b], isum);
    const __m512 da = _mm512_set1_ps(y[b].d);
    for (int p = 0; p < P; ++p) {
      const uint64_t at = d_at + b * pk::kQ6KDBlock;
      const __m512 d = LoadHalvesPair(g0[p] + at, g1[p] + at);
      acc[p] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[p]), _mm512_mul_ps(d, da), acc[p]);
    }
  }
  for (int p = 0; p < P; ++p) _mm512_storeu_ps(out + 2 * p * kPackRows, acc[p]);
}

template <TensorType kT>
void KQuantGemv(const PackedGemmArgs& a) {
  const auto* y = reinterpret_cast<const BlockQ8_K*>(a.act_rows);
  PairedGemv<kT, kPairs>(a, [&](auto pairs, int64_t grp) {
    constexpr int kP = decltype(pairs)::value;
    const uint8_t* w = a.w + grp * a.group_bytes;
    float* out = a.y + grp * kPackRows;
    if constexpr (kT == TensorType::kQ6_K) {
      Q6KPairs<kP>(w, a.group_bytes, a.n_blocks, y, out);
    } else {
      ScaleMinPairs<kT == TensorType::kQ4_K ? 4 : 5, kP>(w, a.group_bytes, a.n_blocks, y, out);
    }
  });
}

}  // namespace
}  // namespace hearth::kernels::HEARTH_AVX512_NS

namespace hearth::kernels::internal {

// Avx512PackedGemv, or EmulatedAvx512PackedGemv in the test binary's emulated copy.
PackedGemmFn HEARTH_AVX512_PACKED_GEMV(TensorType type) {
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
    case TensorType::kQ4_K:
      return simd::KQuantGemv<TensorType::kQ4_K>;
    case TensorType::kQ5_K:
      return simd::KQuantGemv<TensorType::kQ5_K>;
    case TensorType::kQ6_K:
      return simd::KQuantGemv<TensorType::kQ6_K>;
    default:
      return nullptr;
  }
}

}  // namespace hearth::kernels::internal
