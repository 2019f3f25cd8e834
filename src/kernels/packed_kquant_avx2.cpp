// AVX2 GEMM/GEMV over packed K-quant row groups (layouts in packed_kquant.h) against Q8_K
// activation rows.
//
// One 32-byte load of packed values holds 4 (or 8, as nibbles) consecutive values of each of
// the 8 rows of a group, one 32-bit lane per row; the matching 4 activation bytes of a token
// are broadcast to every lane, so maddubs leaves each row's pair sums in its own lane and no
// horizontal sum is ever needed. Per super-block the integers are vec_dot's:
// - Q4_K: the 8 maddubs of a 32-value sub-block are summed in int16 (|sum| <= 8 * 2 * 15 *
//   128 = 30720), then multiplied by the row's sub-block scale with one madd; the mins term
//   sum_s min[s] * (bsum[2s] + bsum[2s+1]) is one madd of the row's min against a broadcast
//   bsum pair per sub-block.
// - Q5_K: as Q4_K with a 5th bit ORed into each value; int16 sums of 4 maddubs (<= 31744).
// - Q6_K: values are unsigned (q + 32); two maddubs are summed in int16 (<= 2 * 2 * 63 * 128 =
//   32256) before the scale madd, and the offset 32 * sum_j scale[j] * bsum[j] is subtracted.
// Per output the float operations are, per super-block in order: acc = fma(float(isum), d_w *
// d_a, acc) (Q4_K/Q5_K then acc = fnma(float(mins), dmin_w * d_a, acc)), the same whatever the
// number of tokens, the token's tile, or the groups a thread gets. (ggml's AVX2 vec_dot keeps
// 8 partial float sums per row instead, so results differ from it by f32 rounding only.)
#include <algorithm>
#include <cstring>

#include "kernels/kernel_registry.h"
#include "kernels/packed_gemv.h"
#include "kernels/packed_kquant.h"
#include "kernels/quant_blocks.h"
#include "kernels/simd_avx2.h"

namespace hearth::kernels::avx2 {
namespace {

namespace pk = packed_kquant;

constexpr int kTileTokens = 4;  // tokens sharing one unpacking of a group's values

// Unaligned: Q6_K groups are 1680 * n_sb bytes apart, so a group need not be 32-byte aligned.
inline __m256i Load(const uint8_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

// The 4 activation bytes at p in every lane.
inline __m256i Broadcast4(const void* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof v);
  return _mm256_set1_epi32(v);
}

// Each byte shifted left by n bits (right by -n); callers mask away what spills between bytes.
inline __m256i ShiftLeftBits(__m256i v, int n) {
  if (n > 0) return _mm256_slli_epi16(v, n);
  if (n < 0) return _mm256_srli_epi16(v, -n);
  return v;
}

inline __m256i Mask8(int m) { return _mm256_set1_epi8(static_cast<char>(m)); }

// Lane r = the 8 fp16 at p (one per row) as floats.
inline __m256 RowScales(const uint8_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

// Stores lane r of acc[t] to out[t * stride + r].
template <int T>
inline void StoreTokens(const __m256 (&acc)[T], float* out, int64_t stride) {
  for (int t = 0; t < T; ++t) _mm256_storeu_ps(out + t * stride, acc[t]);
}

// --- Q4_K and Q5_K ------------------------------------------------------------------------

// The 6-bit scales (or mins) of sub-blocks 0-3 (lo) and 4-7 (hi): byte 8 * (s % 4) + r.
struct SixBit {
  __m256i lo, hi;
};

inline SixBit DecodeSixBit(__m256i low_nibbles, __m256i top_bits, int top_shift) {
  const __m256i lo =
      _mm256_or_si256(_mm256_and_si256(low_nibbles, Mask8(0x0f)),
                      _mm256_and_si256(ShiftLeftBits(top_bits, 4 - top_shift), Mask8(0x30)));
  const __m256i hi =
      _mm256_or_si256(_mm256_and_si256(ShiftBytesRight(low_nibbles, 4), Mask8(0x0f)),
                      _mm256_and_si256(ShiftLeftBits(top_bits, 2 - top_shift), Mask8(0x30)));
  return {lo, hi};
}

// Lane r = (v[r], v[r]) as int16 for the byte v[r] = byte 8 * q + r of `bytes`, q < 4.
inline __m256i RowBytePairs(__m256i bytes, int q) {
  const __m256i qword = _mm256_permutevar8x32_epi32(
      bytes,
      _mm256_setr_epi32(2 * q, 2 * q + 1, 2 * q, 2 * q + 1, 2 * q, 2 * q + 1, 2 * q, 2 * q + 1));
  const __m256i spread =
      _mm256_setr_epi8(0, -128, 0, -128, 1, -128, 1, -128, 2, -128, 2, -128, 3, -128, 3, -128, 4,
                       -128, 4, -128, 5, -128, 5, -128, 6, -128, 6, -128, 7, -128, 7, -128);
  return _mm256_shuffle_epi8(qword, spread);
}

// Per token t: lane r = sum_s scale[r][s] * (values of sub-block s . activations), the
// integers of Q4_K (kBits 4) or Q5_K (kBits 5) super-block `sb` of a group.
template <int kBits, int T>
inline void ScaledValueSums(const uint8_t* sb, const BlockQ8_K* const (&y)[T], __m256i (&isum)[T]) {
  constexpr uint64_t kValues = kBits == 4 ? pk::kQ4KValues : pk::kQ5KValues;
  // Loads whose int16 pair sums are added before the scale madd: 4 * 2 * 2 * 15 * 128 = 30720,
  // 2 * 2 * 2 * 31 * 128 = 31744 (int16 holds 32767).
  constexpr int kLoadsPerMadd = kBits == 4 ? 4 : 2;
  const SixBit scales = DecodeSixBit(Load(sb + pk::kQ4KScaleLow), Load(sb + pk::kQ4KHighBits), 0);
  for (int t = 0; t < T; ++t) isum[t] = _mm256_setzero_si256();
    // Loops not unrolled: unrolled, the compiler reassociates the int16 sums into trees whose
    // maddubs results are all live at once, and spills them (16 vector registers).
#pragma GCC unroll 1
  for (int s = 0; s < 8; ++s) {
    const uint8_t* values = sb + kValues + 128 * s;
    const __m256i scale = RowBytePairs(s < 4 ? scales.lo : scales.hi, s % 4);
    // Q5_K: bits 2k and 2k + 1 of each byte are the 5th bits of load k; shifted down by 2 per
    // load (what the 16-bit shift brings in from the next byte stays above bit 1).
    __m256i fifth = kBits == 5 ? Load(sb + pk::kQ5KHighPlane + 32 * s) : _mm256_setzero_si256();
#pragma GCC unroll 1
    for (int k0 = 0; k0 < 4; k0 += kLoadsPerMadd) {
      __m256i pairs[T];
      for (int t = 0; t < T; ++t) pairs[t] = _mm256_setzero_si256();
#pragma GCC unroll 1
      for (int k = k0; k < k0 + kLoadsPerMadd; ++k) {
        const __m256i bits = Load(values + 32 * k);
        __m256i lo = _mm256_and_si256(bits, Mask8(0x0f));
        __m256i hi = _mm256_and_si256(ShiftBytesRight(bits, 4), Mask8(0x0f));
        if constexpr (kBits == 5) {
          lo = _mm256_or_si256(lo, _mm256_and_si256(_mm256_slli_epi16(fifth, 4), Mask8(0x10)));
          hi = _mm256_or_si256(hi, _mm256_and_si256(_mm256_slli_epi16(fifth, 3), Mask8(0x10)));
          fifth = _mm256_srli_epi16(fifth, 2);
        }
        for (int t = 0; t < T; ++t) {
          const int8_t* a = y[t]->qs + 32 * s + 8 * k;
          pairs[t] = _mm256_add_epi16(pairs[t], _mm256_maddubs_epi16(lo, Broadcast4(a)));
          pairs[t] = _mm256_add_epi16(pairs[t], _mm256_maddubs_epi16(hi, Broadcast4(a + 4)));
        }
      }
      for (int t = 0; t < T; ++t) {
        isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(pairs[t], scale));
      }
    }
  }
}

// Per token t: lane r = sum_s min[r][s] * (bsum[2s] + bsum[2s + 1]).
template <int T>
inline void MinSums(const uint8_t* sb, const BlockQ8_K* const (&y)[T], __m256i (&imin)[T]) {
  const SixBit mins = DecodeSixBit(Load(sb + pk::kQ4KMinLow), Load(sb + pk::kQ4KHighBits), 4);
  for (int t = 0; t < T; ++t) imin[t] = _mm256_setzero_si256();
#pragma GCC unroll 1
  for (int s = 0; s < 8; ++s) {
    const __m256i min = RowBytePairs(s < 4 ? mins.lo : mins.hi, s % 4);
    for (int t = 0; t < T; ++t) {
      imin[t] = _mm256_add_epi32(imin[t], _mm256_madd_epi16(min, Broadcast4(y[t]->bsums + 2 * s)));
    }
  }
}

// One group of Q4_K (kBits 4) or Q5_K (kBits 5) rows against T tokens. The value sums and the
// mins are two passes so that few accumulators are live at once.
template <int kBits, int T>
void ScaleMinGroup(const uint8_t* group, int64_t n_sb, const uint8_t* act, uint64_t act_row_bytes,
                   float* out, int64_t out_stride) {
  static_assert(kBits == 4 || kBits == 5);
  constexpr uint64_t kBlock = kBits == 4 ? pk::kQ4KGroupBlock : pk::kQ5KGroupBlock;
  __m256 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  for (int64_t b = 0; b < n_sb; ++b) {
    const uint8_t* sb = group + b * kBlock;
    const BlockQ8_K* y[T];
    for (int t = 0; t < T; ++t) {
      y[t] = reinterpret_cast<const BlockQ8_K*>(act + t * act_row_bytes) + b;
    }
    __m256i isum[T], imin[T];
    ScaledValueSums<kBits, T>(sb, y, isum);
    MinSums<T>(sb, y, imin);
    const __m256 d = RowScales(sb);
    const __m256 dmin = RowScales(sb + 16);
    for (int t = 0; t < T; ++t) {
      const __m256 da = _mm256_set1_ps(y[t]->d);
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[t]), _mm256_mul_ps(d, da), acc[t]);
      acc[t] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(imin[t]), _mm256_mul_ps(dmin, da), acc[t]);
    }
  }
  StoreTokens<T>(acc, out, out_stride);
}

// --- Q6_K ---------------------------------------------------------------------------------

// The 4 value registers of a half chunk (values 16h + 4j + [0, 4) in lane bytes, j < 4) from
// its 3 loads: three are bits 0-5, the fourth is the loads' bits 6-7 pieced together.
struct HalfChunk {
  __m256i v[4];
};

inline HalfChunk LoadHalfChunk(const uint8_t* p) {
  const __m256i l0 = Load(p), l1 = Load(p + 32), l2 = Load(p + 64);
  const __m256i top = Mask8(0xc0);
  // Masked to bits 6-7 first, so the 16-bit shifts move nothing across bytes.
  const __m256i fourth =
      _mm256_or_si256(_mm256_or_si256(_mm256_srli_epi16(_mm256_and_si256(l0, top), 6),
                                      _mm256_srli_epi16(_mm256_and_si256(l1, top), 4)),
                      _mm256_srli_epi16(_mm256_and_si256(l2, top), 2));
  const __m256i six = Mask8(0x3f);
  return {
      {_mm256_and_si256(l0, six), _mm256_and_si256(l1, six), _mm256_and_si256(l2, six), fourth}};
}

// Lane r: (scale[2c], scale[2c + 1]) of row r as int16, chunk c of a super-block's scales.
inline __m256i ScalePair(const uint8_t* scale_bytes, int c) {
  return _mm256_cvtepi8_epi16(
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(scale_bytes + 16 * c)));
}

// Per token t: lane r = sum_j scale[r][j] * (unsigned values of sub-block j . activations).
template <int T>
inline void Q6KValueSums(const uint8_t* values, const uint8_t* scale_bytes,
                         const BlockQ8_K* const (&y)[T], __m256i (&isum)[T]) {
  // Within each 128-bit half (rows 0-3, rows 4-7): int16 element 2r' (2r' + 1) to both of lane
  // r''s elements.
  const __m256i even = _mm256_setr_epi8(0, 1, 0, 1, 4, 5, 4, 5, 8, 9, 8, 9, 12, 13, 12, 13, 0, 1, 0,
                                        1, 4, 5, 4, 5, 8, 9, 8, 9, 12, 13, 12, 13);
  const __m256i odd = _mm256_add_epi8(even, _mm256_set1_epi8(2));
  for (int t = 0; t < T; ++t) isum[t] = _mm256_setzero_si256();
#pragma GCC unroll 1
  for (int c = 0; c < 8; ++c) {
    const __m256i scale_pair = ScalePair(scale_bytes, c);
#pragma GCC unroll 2
    for (int h = 0; h < 2; ++h) {
      const HalfChunk q = LoadHalfChunk(values + pk::kQ6KChunk * c + 96 * h);
      const __m256i scale = _mm256_shuffle_epi8(scale_pair, h == 0 ? even : odd);
      for (int t = 0; t < T; ++t) {
        const int8_t* a = y[t]->qs + 32 * c + 16 * h;
        const __m256i p01 = _mm256_add_epi16(_mm256_maddubs_epi16(q.v[0], Broadcast4(a)),
                                             _mm256_maddubs_epi16(q.v[1], Broadcast4(a + 4)));
        const __m256i p23 = _mm256_add_epi16(_mm256_maddubs_epi16(q.v[2], Broadcast4(a + 8)),
                                             _mm256_maddubs_epi16(q.v[3], Broadcast4(a + 12)));
        isum[t] = _mm256_add_epi32(isum[t], _mm256_add_epi32(_mm256_madd_epi16(p01, scale),
                                                             _mm256_madd_epi16(p23, scale)));
      }
    }
  }
}

// Per token t: lane r = sum_j scale[r][j] * bsum[j] (the values' +32 bias, divided by 32).
template <int T>
inline void Q6KOffsets(const uint8_t* scale_bytes, const BlockQ8_K* const (&y)[T],
                       __m256i (&offset)[T]) {
  for (int t = 0; t < T; ++t) offset[t] = _mm256_setzero_si256();
#pragma GCC unroll 1
  for (int c = 0; c < 8; ++c) {
    const __m256i scale_pair = ScalePair(scale_bytes, c);
    for (int t = 0; t < T; ++t) {
      offset[t] = _mm256_add_epi32(offset[t],
                                   _mm256_madd_epi16(scale_pair, Broadcast4(y[t]->bsums + 2 * c)));
    }
  }
}

// One group of Q6_K rows against T tokens (value sums and offsets in two passes).
template <int T>
void Q6KGroup(const uint8_t* group, int64_t n_sb, const uint8_t* act, uint64_t act_row_bytes,
              float* out, int64_t out_stride) {
  const uint8_t* scales_region = group + n_sb * pk::kQ6KValueBlock;
  const uint8_t* d_region = scales_region + n_sb * pk::kQ6KScaleBlock;
  __m256 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  for (int64_t b = 0; b < n_sb; ++b) {
    const uint8_t* scale_bytes = scales_region + b * pk::kQ6KScaleBlock;
    const BlockQ8_K* y[T];
    for (int t = 0; t < T; ++t) {
      y[t] = reinterpret_cast<const BlockQ8_K*>(act + t * act_row_bytes) + b;
    }
    __m256i isum[T], offset[T];
    Q6KValueSums<T>(group + b * pk::kQ6KValueBlock, scale_bytes, y, isum);
    Q6KOffsets<T>(scale_bytes, y, offset);
    const __m256 d = RowScales(d_region + b * pk::kQ6KDBlock);
    for (int t = 0; t < T; ++t) {
      const __m256i total = _mm256_sub_epi32(isum[t], _mm256_slli_epi32(offset[t], 5));
      const __m256 da = _mm256_set1_ps(y[t]->d);
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(total), _mm256_mul_ps(d, da), acc[t]);
    }
  }
  StoreTokens<T>(acc, out, out_stride);
}

// --- driver -------------------------------------------------------------------------------

using GroupFn = void (*)(const uint8_t*, int64_t, const uint8_t*, uint64_t, float*, int64_t);

template <int T>
struct Q4KTile {
  static constexpr GroupFn fn = ScaleMinGroup<4, T>;
};
template <int T>
struct Q5KTile {
  static constexpr GroupFn fn = ScaleMinGroup<5, T>;
};
template <int T>
struct Q6KTile {
  static constexpr GroupFn fn = Q6KGroup<T>;
};

// Tokens are taken in blocks whose activations stay in L2 while every group of the call
// passes over them; within a block, tiles of kTileTokens tokens share each group's values.
template <template <int> class Tile>
void PackedGemm(const internal::PackedGemmArgs& g) {
  static constexpr GroupFn kFns[kTileTokens] = {Tile<1>::fn, Tile<2>::fn, Tile<3>::fn, Tile<4>::fn};
  constexpr uint64_t kActivationBlockBytes = 96 * 1024;
  const int64_t block_tokens =
      std::max<int64_t>(kTileTokens, static_cast<int64_t>(kActivationBlockBytes / g.act_row_bytes) /
                                         kTileTokens * kTileTokens);
  for (int64_t t0 = 0; t0 < g.n_tokens; t0 += block_tokens) {
    const int64_t t_end = std::min(g.n_tokens, t0 + block_tokens);
    for (int64_t grp = 0; grp < g.n_groups; ++grp) {
      const uint8_t* w = g.w + grp * g.group_bytes;
      for (int64_t t = t0; t < t_end; t += kTileTokens) {
        const int64_t n = std::min<int64_t>(kTileTokens, t_end - t);
        kFns[n - 1](w, g.n_blocks, g.act_rows + t * g.act_row_bytes, g.act_row_bytes,
                    g.y + t * g.y_stride + grp * pk::kRows, g.y_stride);
      }
    }
  }
}

}  // namespace
}  // namespace hearth::kernels::avx2

namespace hearth::kernels::internal {

PackedTypeKernels Avx2PackedKQuant(TensorType type) {
  switch (type) {
    case TensorType::kQ4_K:
      return {packed_kquant::PackQ4K, packed_kquant::UnpackRowQ4K, avx2::PackedGemm<avx2::Q4KTile>,
              Avx2PackedGemv(type)};
    case TensorType::kQ5_K:
      return {packed_kquant::PackQ5K, packed_kquant::UnpackRowQ5K, avx2::PackedGemm<avx2::Q5KTile>,
              Avx2PackedGemv(type)};
    case TensorType::kQ6_K:
      return {packed_kquant::PackQ6K, packed_kquant::UnpackRowQ6K, avx2::PackedGemm<avx2::Q6KTile>,
              Avx2PackedGemv(type)};
    default:
      return {};
  }
}

}  // namespace hearth::kernels::internal
