// AVX2 GEMVs (one token) on packed row groups: the generation step, which streams every
// weight byte once and is bound by memory bandwidth (packed_gemv.h has the contract).
//
// Compared with the packed GEMM run with a tile of one token, these kernels
// - take kGroups row groups per pass, each with its own accumulators, so that several
//   independent dependency chains and load streams are in flight, and the activation's
//   4-byte broadcasts (a load each) are shared by the groups;
// - prefetch the next pass's bytes while computing one (all but Q6_K; see LegacyGroups), and
//   the first pass's on entry. This is what lifts the legacy types most: their group
//   sections are short interleaved streams the hardware prefetchers do not run ahead on.
// The f32 operations per output are the GEMM's, in the same order (legacy types, per block
// b: acc = fma(float(isum), d_w * d_a, acc), then for Q4_1/Q5_1 acc = fma(m_w, s_a, acc);
// K-quants, per super-block: acc = fma(float(isum), d_w * d_a, acc), then for Q4_K/Q5_K
// acc = fnma(float(imin), dmin_w * d_a, acc)); the integers are exact whatever their order.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "kernels/packed.h"
#include "kernels/packed_gemv.h"
#include "kernels/packed_kquant.h"
#include "kernels/packed_kquant_avx2.h"
#include "kernels/packed_legacy.h"
#include "kernels/quant_blocks.h"

namespace hearth::kernels::avx2 {
namespace {

using internal::GemmActivations;
using internal::LegacySections;
using internal::PackedGemmArgs;

// Row groups per pass (measured on Zen 3: 2 beats 1 by up to 1.25x without prefetching and
// ties it with; 3 and 4 are no better).
constexpr int kGroups = 2;

// --- legacy types (layout: packed_legacy.h) ---------------------------------------------

// The integer block dot products of one block of G groups (group g's values at qs[g])
// against the token's 32 activation bytes a, before the offset.
struct Q4Dot {
  // 4-bit values: all 8 chunks of a block summed in int16 (8 * 2 * 15 * 128 = 30720).
  template <int G>
  static void Dot(const uint8_t* const (&qs)[G], const int8_t* a, __m256i (&isum)[G]) {
    __m256i lo_pairs[G], hi_pairs[G];
    for (int g = 0; g < G; ++g) lo_pairs[g] = hi_pairs[g] = _mm256_setzero_si256();
    for (int k = 0; k < 4; ++k) {
      const __m256i a_lo = Broadcast4(a + 4 * k), a_hi = Broadcast4(a + 16 + 4 * k);
      for (int g = 0; g < G; ++g) {
        const __m256i v = LoadU(qs[g] + 32 * k);
        const __m256i lo = _mm256_and_si256(v, Mask8(0x0F));
        const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), Mask8(0x0F));
        lo_pairs[g] = _mm256_add_epi16(lo_pairs[g], _mm256_maddubs_epi16(lo, a_lo));
        hi_pairs[g] = _mm256_add_epi16(hi_pairs[g], _mm256_maddubs_epi16(hi, a_hi));
      }
    }
    const __m256i ones = _mm256_set1_epi16(1);
    for (int g = 0; g < G; ++g) {
      isum[g] = _mm256_madd_epi16(_mm256_add_epi16(lo_pairs[g], hi_pairs[g]), ones);
    }
  }
};

struct Q5Dot {
  // 5-bit values: chunks 0..3 and 4..7 summed in int16 apart (4 * 2 * 31 * 128 = 31744).
  // The fifth bit of chunk i is bit i of each qh byte (packed_legacy.h).
  template <int G>
  static void Dot(const uint8_t* const (&qs)[G], const uint8_t* const (&qh)[G], const int8_t* a,
                  __m256i (&isum)[G]) {
    __m256i lo_pairs[G], hi_pairs[G], bits[G];
    for (int g = 0; g < G; ++g) {
      lo_pairs[g] = hi_pairs[g] = _mm256_setzero_si256();
      bits[g] = LoadU(qh[g]);
    }
    for (int k = 0; k < 4; ++k) {
      const __m256i a_lo = Broadcast4(a + 4 * k), a_hi = Broadcast4(a + 16 + 4 * k);
      for (int g = 0; g < G; ++g) {
        const __m256i v = LoadU(qs[g] + 32 * k);
        // Chunk k's fifth bits to bit 4: shift left by 4 - k; chunk k + 4's: by -k.
        const __m256i fifth_lo = _mm256_and_si256(_mm256_slli_epi32(bits[g], 4), Mask8(0x10));
        const __m256i fifth_hi = _mm256_and_si256(bits[g], Mask8(0x10));
        bits[g] = _mm256_srli_epi32(bits[g], 1);
        const __m256i lo = _mm256_or_si256(_mm256_and_si256(v, Mask8(0x0F)), fifth_lo);
        const __m256i hi =
            _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(v, 4), Mask8(0x0F)), fifth_hi);
        lo_pairs[g] = _mm256_add_epi16(lo_pairs[g], _mm256_maddubs_epi16(lo, a_lo));
        hi_pairs[g] = _mm256_add_epi16(hi_pairs[g], _mm256_maddubs_epi16(hi, a_hi));
      }
    }
    const __m256i ones = _mm256_set1_epi16(1);
    for (int g = 0; g < G; ++g) {
      isum[g] = _mm256_add_epi32(_mm256_madd_epi16(lo_pairs[g], ones),
                                 _mm256_madd_epi16(hi_pairs[g], ones));
    }
  }
};

struct Q8Dot {
  // maddubs needs an unsigned operand: |w|, with w's sign moved onto the activation. One
  // maddubs pair can reach 2 * 128 * 127, so each chunk is widened on its own.
  template <int G>
  static void Dot(const uint8_t* const (&qs)[G], const int8_t* a, __m256i (&isum)[G]) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i even[G], odd[G];
    for (int g = 0; g < G; ++g) even[g] = odd[g] = _mm256_setzero_si256();
    for (int k = 0; k < 8; k += 2) {
      const __m256i a0 = Broadcast4(a + 4 * k), a1 = Broadcast4(a + 4 * k + 4);
      for (int g = 0; g < G; ++g) {
        const __m256i w0 = LoadU(qs[g] + 32 * k), w1 = LoadU(qs[g] + 32 * k + 32);
        const __m256i p0 = _mm256_maddubs_epi16(_mm256_sign_epi8(w0, w0), _mm256_sign_epi8(a0, w0));
        const __m256i p1 = _mm256_maddubs_epi16(_mm256_sign_epi8(w1, w1), _mm256_sign_epi8(a1, w1));
        even[g] = _mm256_add_epi32(even[g], _mm256_madd_epi16(p0, ones));
        odd[g] = _mm256_add_epi32(odd[g], _mm256_madd_epi16(p1, ones));
      }
    }
    for (int g = 0; g < G; ++g) isum[g] = _mm256_add_epi32(even[g], odd[g]);
  }
};

// Per-type constants of the legacy types: bytes of qs per block in a group, the offset
// subtracted from each value, the bits per value, and whether a minimum term follows.
template <TensorType kT>
struct Legacy;
template <>
struct Legacy<TensorType::kQ4_0> {
  static constexpr int kQsBytes = 128, kOffset = 8;
  static constexpr int kBits = 4;
  static constexpr bool kHasMin = false;
};
template <>
struct Legacy<TensorType::kQ4_1> {
  static constexpr int kQsBytes = 128, kOffset = 0;
  static constexpr int kBits = 4;
  static constexpr bool kHasMin = true;
};
template <>
struct Legacy<TensorType::kQ5_0> {
  static constexpr int kQsBytes = 128, kOffset = 16;
  static constexpr int kBits = 5;
  static constexpr bool kHasMin = false;
};
template <>
struct Legacy<TensorType::kQ5_1> {
  static constexpr int kQsBytes = 128, kOffset = 0;
  static constexpr int kBits = 5;
  static constexpr bool kHasMin = true;
};
template <>
struct Legacy<TensorType::kQ8_0> {
  static constexpr int kQsBytes = 256, kOffset = 0;
  static constexpr int kBits = 8;
  static constexpr bool kHasMin = false;
};

// G row groups (the first at w, group_bytes apart) times the token: y[g * 8 + r].
//
// Prefetching: a pass reads its G groups' sections (qs, qh, d, m) as several short streams
// at once, which the hardware prefetchers follow poorly (a row of 576 values is a 2.3 KB qs
// stream), so each block also prefetches the same share of the next pass's bytes: a linear
// cursor one pass ahead that covers every line of the next pass by the time it starts.
// Measured on Zen 3, one thread: 1.3-2.2x GEMV GB/s (the short rows gain most), where a
// fixed distance of 1-4 KB gained little or lost.
template <TensorType kT, int G>
void LegacyGroups(const uint8_t* w, uint64_t group_bytes, const LegacySections& s, int64_t n_blocks,
                  const GemmActivations& act, float* y) {
  using L = Legacy<kT>;
  const uint64_t next_pass = G * group_bytes;                    // offset from w
  const uint64_t pass_block_bytes = G * group_bytes / n_blocks;  // G * 8 * block bytes
  __m256 acc[G];
  const uint8_t* group[G];
  for (int g = 0; g < G; ++g) {
    acc[g] = _mm256_setzero_ps();
    group[g] = w + g * group_bytes;
  }
  for (int64_t b = 0; b < n_blocks; ++b) {
    const int8_t* a = act.qs + b * kQk;
    const uint8_t* qs[G];
    for (int g = 0; g < G; ++g) qs[g] = group[g] + s.qs + b * L::kQsBytes;
    PrefetchRange(w, next_pass + b * pass_block_bytes, next_pass + (b + 1) * pass_block_bytes);
    __m256i isum[G];
    if constexpr (L::kBits == 5) {
      const uint8_t* qh[G];
      for (int g = 0; g < G; ++g) qh[g] = group[g] + s.qh + b * 32;
      Q5Dot::Dot<G>(qs, qh, a, isum);
    } else if constexpr (L::kBits == 8) {
      Q8Dot::Dot<G>(qs, a, isum);
    } else {
      Q4Dot::Dot<G>(qs, a, isum);
    }
    const __m256 da = _mm256_set1_ps(act.d[b]);
    for (int g = 0; g < G; ++g) {
      if constexpr (L::kOffset != 0) {
        isum[g] = _mm256_sub_epi32(isum[g], _mm256_set1_epi32(L::kOffset * act.sums[b]));
      }
      const __m256 scale = _mm256_mul_ps(LoadHalves(group[g] + s.d + b * 16), da);
      acc[g] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[g]), scale, acc[g]);
    }
    if constexpr (L::kHasMin) {
      const __m256 sa = _mm256_set1_ps(act.s[b]);
      for (int g = 0; g < G; ++g) {
        acc[g] = _mm256_fmadd_ps(LoadHalves(group[g] + s.m + b * 16), sa, acc[g]);
      }
    }
  }
  for (int g = 0; g < G; ++g) _mm256_storeu_ps(y + g * kPackRows, acc[g]);
}

template <TensorType kT>
void LegacyGemv(const PackedGemmArgs& a) {
  const LegacySections s = internal::LegacySectionsOf(kT, a.n_blocks);
  // The first pass has no pass before it to prefetch it: its lines are requested at once.
  PrefetchRange(a.w, 0, std::min<int64_t>(kGroups, a.n_groups) * a.group_bytes);
  int64_t grp = 0;
  for (; grp + kGroups <= a.n_groups; grp += kGroups) {
    LegacyGroups<kT, kGroups>(a.w + grp * a.group_bytes, a.group_bytes, s, a.n_blocks, *a.act,
                              a.y + grp * kPackRows);
  }
  for (; grp < a.n_groups; ++grp) {
    LegacyGroups<kT, 1>(a.w + grp * a.group_bytes, a.group_bytes, s, a.n_blocks, *a.act,
                        a.y + grp * kPackRows);
  }
}

// --- K-quants (layouts: packed_kquant.h) --------------------------------------------------

namespace pk = packed_kquant;

// G groups of Q4_K (kBits 4) or Q5_K (kBits 5) rows, super-block b (sb[g]) against the
// token's block y: isum[g] lane r = sum_s scale[r][s] * (values of sub-block s . activations),
// imin[g] lane r = sum_s min[r][s] * (bsum[2s] + bsum[2s + 1]). Each sub-block also prefetches
// pf_step bytes from pf_base + pf on (the legacy kernels' cursor one pass ahead, in 8 steps per
// super-block so that the prefetches do not come in one burst).
template <int kBits, int G>
inline void ScaleMinSums(const uint8_t* pf_base, uint64_t pf, uint64_t pf_step,
                         const uint8_t* const (&sb)[G], const BlockQ8_K& y, __m256i (&isum)[G],
                         __m256i (&imin)[G]) {
  constexpr uint64_t kValues = kBits == 4 ? pk::kQ4KValues : pk::kQ5KValues;
  SixBit scales[G], mins[G];
  for (int g = 0; g < G; ++g) {
    const __m256i top = LoadU(sb[g] + pk::kQ4KHighBits);
    scales[g] = DecodeSixBit(LoadU(sb[g] + pk::kQ4KScaleLow), top, 0);
    mins[g] = DecodeSixBit(LoadU(sb[g] + pk::kQ4KMinLow), top, 4);
    isum[g] = imin[g] = _mm256_setzero_si256();
  }
#pragma GCC unroll 1
  for (int s = 0; s < 8; ++s) {
    PrefetchRange(pf_base, pf + s * pf_step, pf + (s + 1) * pf_step);
    const __m256i bsum_pair = Broadcast4(y.bsums + 2 * s);
    __m256i pairs[G], fifth[G];
    for (int g = 0; g < G; ++g) {
      pairs[g] = _mm256_setzero_si256();
      fifth[g] = kBits == 5 ? LoadU(sb[g] + pk::kQ5KHighPlane + 32 * s) : _mm256_setzero_si256();
      const __m256i min = RowBytePairs(s < 4 ? mins[g].lo : mins[g].hi, s % 4);
      imin[g] = _mm256_add_epi32(imin[g], _mm256_madd_epi16(min, bsum_pair));
    }
    for (int k = 0; k < 4; ++k) {
      const int8_t* a = y.qs + 32 * s + 8 * k;
      const __m256i a_lo = Broadcast4(a), a_hi = Broadcast4(a + 4);
      for (int g = 0; g < G; ++g) {
        const __m256i bits = LoadU(sb[g] + kValues + 128 * s + 32 * k);
        __m256i lo = _mm256_and_si256(bits, Mask8(0x0f));
        __m256i hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), Mask8(0x0f));
        if constexpr (kBits == 5) {
          // Bits 2k, 2k + 1 of each byte (brought to 0, 1 by the shifts so far).
          lo = _mm256_or_si256(lo, _mm256_and_si256(_mm256_slli_epi16(fifth[g], 4), Mask8(0x10)));
          hi = _mm256_or_si256(hi, _mm256_and_si256(_mm256_slli_epi16(fifth[g], 3), Mask8(0x10)));
          fifth[g] = _mm256_srli_epi16(fifth[g], 2);
        }
        pairs[g] = _mm256_add_epi16(pairs[g], _mm256_add_epi16(_mm256_maddubs_epi16(lo, a_lo),
                                                               _mm256_maddubs_epi16(hi, a_hi)));
        // int16 pair sums: 4 loads of Q4_K (4 * 2 * 2 * 15 * 128 = 30720), 2 of Q5_K (31744).
        if (kBits == 5 && k == 1) {
          const __m256i scale = RowBytePairs(s < 4 ? scales[g].lo : scales[g].hi, s % 4);
          isum[g] = _mm256_add_epi32(isum[g], _mm256_madd_epi16(pairs[g], scale));
          pairs[g] = _mm256_setzero_si256();
        }
      }
    }
    for (int g = 0; g < G; ++g) {
      const __m256i scale = RowBytePairs(s < 4 ? scales[g].lo : scales[g].hi, s % 4);
      isum[g] = _mm256_add_epi32(isum[g], _mm256_madd_epi16(pairs[g], scale));
    }
  }
}

template <int kBits, int G>
void ScaleMinGroups(const uint8_t* w, uint64_t group_bytes, int64_t n_sb, const BlockQ8_K* y,
                    float* out) {
  constexpr uint64_t kBlock = kBits == 4 ? pk::kQ4KGroupBlock : pk::kQ5KGroupBlock;
  const uint64_t next_pass = G * group_bytes;  // offset from w, prefetched while this pass runs
  __m256 acc[G];
  for (int g = 0; g < G; ++g) acc[g] = _mm256_setzero_ps();
  for (int64_t b = 0; b < n_sb; ++b) {
    const uint8_t* sb[G];
    for (int g = 0; g < G; ++g) sb[g] = w + g * group_bytes + b * kBlock;
    __m256i isum[G], imin[G];
    ScaleMinSums<kBits, G>(w, next_pass + b * G * kBlock, G * kBlock / 8, sb, y[b], isum, imin);
    const __m256 da = _mm256_set1_ps(y[b].d);
    for (int g = 0; g < G; ++g) {
      const __m256 d = LoadHalves(sb[g]), dmin = LoadHalves(sb[g] + 16);
      acc[g] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[g]), _mm256_mul_ps(d, da), acc[g]);
      acc[g] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(imin[g]), _mm256_mul_ps(dmin, da), acc[g]);
    }
  }
  for (int g = 0; g < G; ++g) _mm256_storeu_ps(out + g * kPackRows, acc[g]);
}

// Q6_K: G groups, super-block b. isum[g] lane r = sum_j scale[r][j] * (unsigned values of
// sub-block j . activations) - 32 * sum_j scale[r][j] * bsum[j].
template <int G>
inline void Q6KSums(const uint8_t* const (&values)[G], const uint8_t* const (&scale_bytes)[G],
                    const BlockQ8_K& y, __m256i (&isum)[G]) {
  // Within each 128-bit half: int16 element 2r' (2r' + 1) to both of lane r''s elements.
  const __m256i even = _mm256_setr_epi8(0, 1, 0, 1, 4, 5, 4, 5, 8, 9, 8, 9, 12, 13, 12, 13, 0, 1, 0,
                                        1, 4, 5, 4, 5, 8, 9, 8, 9, 12, 13, 12, 13);
  const __m256i odd = _mm256_add_epi8(even, _mm256_set1_epi8(2));
  __m256i offset[G];
  for (int g = 0; g < G; ++g) isum[g] = offset[g] = _mm256_setzero_si256();
#pragma GCC unroll 1
  for (int c = 0; c < 8; ++c) {
    const __m256i bsum_pair = Broadcast4(y.bsums + 2 * c);
    __m256i scale_pair[G];
    for (int g = 0; g < G; ++g) {
      scale_pair[g] = _mm256_cvtepi8_epi16(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(scale_bytes[g] + 16 * c)));
      offset[g] = _mm256_add_epi32(offset[g], _mm256_madd_epi16(scale_pair[g], bsum_pair));
    }
    for (int h = 0; h < 2; ++h) {
      const int8_t* a = y.qs + 32 * c + 16 * h;
      const __m256i a0 = Broadcast4(a), a1 = Broadcast4(a + 4), a2 = Broadcast4(a + 8),
                    a3 = Broadcast4(a + 12);
      for (int g = 0; g < G; ++g) {
        const uint8_t* p = values[g] + pk::kQ6KChunk * c + 96 * h;
        const __m256i l0 = LoadU(p), l1 = LoadU(p + 32), l2 = LoadU(p + 64);
        const __m256i top = Mask8(0xc0), six = Mask8(0x3f);
        // Bits 6-7 of the three loads pieced together (masked first: the 16-bit shifts then
        // move nothing across bytes).
        const __m256i v3 =
            _mm256_or_si256(_mm256_or_si256(_mm256_srli_epi16(_mm256_and_si256(l0, top), 6),
                                            _mm256_srli_epi16(_mm256_and_si256(l1, top), 4)),
                            _mm256_srli_epi16(_mm256_and_si256(l2, top), 2));
        // Two maddubs per int16 sum: 2 * 2 * 63 * 128 = 32256.
        const __m256i p01 = _mm256_add_epi16(_mm256_maddubs_epi16(_mm256_and_si256(l0, six), a0),
                                             _mm256_maddubs_epi16(_mm256_and_si256(l1, six), a1));
        const __m256i p23 = _mm256_add_epi16(_mm256_maddubs_epi16(_mm256_and_si256(l2, six), a2),
                                             _mm256_maddubs_epi16(v3, a3));
        const __m256i scale = _mm256_shuffle_epi8(scale_pair[g], h == 0 ? even : odd);
        isum[g] = _mm256_add_epi32(isum[g], _mm256_add_epi32(_mm256_madd_epi16(p01, scale),
                                                             _mm256_madd_epi16(p23, scale)));
      }
    }
  }
  for (int g = 0; g < G; ++g) isum[g] = _mm256_sub_epi32(isum[g], _mm256_slli_epi32(offset[g], 5));
}

template <int G>
void Q6KGroups(const uint8_t* w, uint64_t group_bytes, int64_t n_sb, const BlockQ8_K* y,
               float* out) {
  __m256 acc[G];
  const uint8_t* group[G];
  for (int g = 0; g < G; ++g) {
    acc[g] = _mm256_setzero_ps();
    group[g] = w + g * group_bytes;
  }
  const uint64_t scales_at = n_sb * pk::kQ6KValueBlock;
  const uint64_t d_at = scales_at + n_sb * pk::kQ6KScaleBlock;
  for (int64_t b = 0; b < n_sb; ++b) {
    const uint8_t* values[G];
    const uint8_t* scale_bytes[G];
    for (int g = 0; g < G; ++g) {
      values[g] = group[g] + b * pk::kQ6KValueBlock;
      scale_bytes[g] = group[g] + scales_at + b * pk::kQ6KScaleBlock;
    }
    __m256i isum[G];
    Q6KSums<G>(values, scale_bytes, y[b], isum);
    const __m256 da = _mm256_set1_ps(y[b].d);
    for (int g = 0; g < G; ++g) {
      const __m256 d = LoadHalves(group[g] + d_at + b * pk::kQ6KDBlock);
      acc[g] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[g]), _mm256_mul_ps(d, da), acc[g]);
    }
  }
  for (int g = 0; g < G; ++g) _mm256_storeu_ps(out + g * kPackRows, acc[g]);
}

using KQuantGroupsFn = void (*)(const uint8_t*, uint64_t, int64_t, const BlockQ8_K*, float*);

// Software prefetching (one pass ahead, as the legacy kernels) measured on Zen 3, one thread:
// Q4_K 1.03-1.2x GEMV GB/s when spread over the sub-blocks (0.55-0.85x when issued per
// super-block, 18 lines at once); Q6_K 0.8-0.95x, so Q6_K does not prefetch.
template <KQuantGroupsFn kPass, KQuantGroupsFn kSingle>
void KQuantGemv(const PackedGemmArgs& a) {
  const auto* y = reinterpret_cast<const BlockQ8_K*>(a.act_rows);
  PrefetchRange(a.w, 0, std::min<int64_t>(kGroups, a.n_groups) * a.group_bytes);  // as legacy
  int64_t grp = 0;
  for (; grp + kGroups <= a.n_groups; grp += kGroups) {
    kPass(a.w + grp * a.group_bytes, a.group_bytes, a.n_blocks, y, a.y + grp * kPackRows);
  }
  for (; grp < a.n_groups; ++grp) {
    kSingle(a.w + grp * a.group_bytes, a.group_bytes, a.n_blocks, y, a.y + grp * kPackRows);
  }
}

}  // namespace
}  // namespace hearth::kernels::avx2

namespace hearth::kernels::internal {

PackedGemmFn Avx2PackedGemv(TensorType type) {
  switch (type) {
    case TensorType::kQ4_0:
      return avx2::LegacyGemv<TensorType::kQ4_0>;
    case TensorType::kQ4_1:
      return avx2::LegacyGemv<TensorType::kQ4_1>;
    case TensorType::kQ5_0:
      return avx2::LegacyGemv<TensorType::kQ5_0>;
    case TensorType::kQ5_1:
      return avx2::LegacyGemv<TensorType::kQ5_1>;
    case TensorType::kQ8_0:
      return avx2::LegacyGemv<TensorType::kQ8_0>;
    case TensorType::kQ4_K:
      return avx2::KQuantGemv<avx2::ScaleMinGroups<4, avx2::kGroups>, avx2::ScaleMinGroups<4, 1>>;
    case TensorType::kQ5_K:
      return avx2::KQuantGemv<avx2::ScaleMinGroups<5, avx2::kGroups>, avx2::ScaleMinGroups<5, 1>>;
    case TensorType::kQ6_K:
      return avx2::KQuantGemv<avx2::Q6KGroups<avx2::kGroups>, avx2::Q6KGroups<1>>;
    default:
      return nullptr;
  }
}

}  // namespace hearth::kernels::internal
