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
//
// Loop order (PackedGemm): Q4_K takes the row groups a few hundred KB of weights at a time
// (packed_gemm_blocking.h), and for each tile of 4 tokens expands 2 super-blocks of activations
// at a time into pre-broadcast vectors shared by those groups; an output's f32 accumulator is
// carried between super-block ranges through y unchanged. Q5_K and Q6_K (measured no faster
// expanded) and calls with few groups broadcast in place, tokens in L2-sized blocks.
#include "kernels/packed_kquant_avx2.h"

#include <algorithm>
#include <cstring>

#include "kernels/kernel_registry.h"
#include "kernels/packed_gemm_blocking.h"
#include "kernels/packed_gemv.h"
#include "kernels/packed_kquant.h"
#include "kernels/quant_blocks.h"
#include "kernels/simd_avx2.h"

namespace hearth::kernels::avx2 {
namespace {

namespace pk = packed_kquant;

constexpr int kTileTokens = 4;  // tokens sharing one unpacking of a group's values

// acc[t] = 0 when starting at super-block 0, else lane r = out[t * stride + r].
template <int T>
inline void LoadTokens(__m256 (&acc)[T], int64_t b0, const float* out, int64_t stride) {
  for (int t = 0; t < T; ++t)
    acc[t] = b0 == 0 ? _mm256_setzero_ps() : _mm256_loadu_ps(out + t * stride);
}

// Stores lane r of acc[t] to out[t * stride + r].
template <int T>
inline void StoreTokens(const __m256 (&acc)[T], float* out, int64_t stride) {
  for (int t = 0; t < T; ++t) _mm256_storeu_ps(out + t * stride, acc[t]);
}

// --- activations ----------------------------------------------------------------------------

// A tile's activations of one super-block, as the kernels read them: QsFrom(i).At(t, j) = bytes
// i + j .. i + j + 3 of token t's qs broadcast to every lane, Bsums(t, s) = its bsums 2s, 2s + 1
// in every lane, D(t) = its d. BroadcastSuperBlock broadcasts from the Q8_K rows on each use;
// ExpandedSuperBlock reads copies broadcast beforehand (ExpandSuperBlock), which maddubs and madd
// take as memory operands, so the broadcasts are paid once per tile and range of super-blocks
// rather than once per row group.
template <int T>
struct BroadcastSuperBlock {
  const BlockQ8_K* y[T];
  // The qs from byte i on: At(t, j) = bytes i + j .. i + j + 3 of token t (j a constant).
  struct Chunks {
    const BlockQ8_K* const* y;
    int i;
    __m256i At(int t, int j) const { return Broadcast4(y[t]->qs + i + j); }
  };
  Chunks QsFrom(int i) const { return {y, i}; }
  __m256i Bsums(int t, int s) const { return Broadcast4(y[t]->bsums + 2 * s); }
  float D(int t) const { return y[t]->d; }
};

// Per super-block: [64 chunks][T] qs vectors, [8][T] bsums vectors, then T floats d (one vector).
constexpr int kExpandedVectors = 72;  // per token, plus one vector of d per super-block

template <int T>
struct ExpandedSuperBlock {
  const __m256i* v;  // kExpandedVectors * T + 1 vectors
  struct Chunks {
    const __m256i* p;
    __m256i At(int t, int j) const { return p[(j / 4) * T + t]; }
  };
  Chunks QsFrom(int i) const { return {v + static_cast<unsigned>(i) / 4 * T}; }
  __m256i Bsums(int t, int s) const { return v[(64 + s) * T + t]; }
  float D(int t) const { return reinterpret_cast<const float*>(v + kExpandedVectors * T)[t]; }
};

template <int T>
void ExpandSuperBlock(const BroadcastSuperBlock<T>& a, __m256i* v) {
  for (int t = 0; t < T; ++t) {
    for (int c = 0; c < 64; ++c) _mm256_store_si256(v + c * T + t, a.QsFrom(4 * c).At(t, 0));
    for (int s = 0; s < 8; ++s) _mm256_store_si256(v + (64 + s) * T + t, a.Bsums(t, s));
    reinterpret_cast<float*>(v + kExpandedVectors * T)[t] = a.D(t);
  }
}

// --- Q4_K and Q5_K ------------------------------------------------------------------------

// Per token t: lane r = sum_s scale[r][s] * (values of sub-block s . activations), the
// integers of Q4_K (kBits 4) or Q5_K (kBits 5) super-block `sb` of a group.
template <int kBits, int T, typename A>
inline void ScaledValueSums(const uint8_t* sb, const A& y, __m256i (&isum)[T]) {
  constexpr uint64_t kValues = kBits == 4 ? pk::kQ4KValues : pk::kQ5KValues;
  // Loads whose int16 pair sums are added before the scale madd: 4 * 2 * 2 * 15 * 128 = 30720,
  // 2 * 2 * 2 * 31 * 128 = 31744 (int16 holds 32767).
  constexpr int kLoadsPerMadd = kBits == 4 ? 4 : 2;
  const SixBit scales = DecodeSixBit(LoadU(sb + pk::kQ4KScaleLow), LoadU(sb + pk::kQ4KHighBits), 0);
  for (int t = 0; t < T; ++t) isum[t] = _mm256_setzero_si256();
    // Loops not unrolled: unrolled, the compiler reassociates the int16 sums into trees whose
    // maddubs results are all live at once, and spills them (16 vector registers).
#pragma GCC unroll 1
  for (int s = 0; s < 8; ++s) {
    const uint8_t* values = sb + kValues + 128 * s;
    const __m256i scale = RowBytePairs(s < 4 ? scales.lo : scales.hi, s % 4);
    // Q5_K: bits 2k and 2k + 1 of each byte are the 5th bits of load k; shifted down by 2 per
    // load (what the 16-bit shift brings in from the next byte stays above bit 1).
    __m256i fifth = kBits == 5 ? LoadU(sb + pk::kQ5KHighPlane + 32 * s) : _mm256_setzero_si256();
#pragma GCC unroll 1
    for (int k0 = 0; k0 < 4; k0 += kLoadsPerMadd) {
      __m256i pairs[T];
      for (int t = 0; t < T; ++t) pairs[t] = _mm256_setzero_si256();
#pragma GCC unroll 1
      for (int k = k0; k < k0 + kLoadsPerMadd; ++k) {
        const __m256i bits = LoadU(values + 32 * k);
        __m256i lo = _mm256_and_si256(bits, Mask8(0x0f));
        __m256i hi = _mm256_and_si256(ShiftBytesRight(bits, 4), Mask8(0x0f));
        if constexpr (kBits == 5) {
          lo = _mm256_or_si256(lo, _mm256_and_si256(_mm256_slli_epi16(fifth, 4), Mask8(0x10)));
          hi = _mm256_or_si256(hi, _mm256_and_si256(_mm256_slli_epi16(fifth, 3), Mask8(0x10)));
          fifth = _mm256_srli_epi16(fifth, 2);
        }
        const auto a = y.QsFrom(32 * s + 8 * k);
        for (int t = 0; t < T; ++t) {
          pairs[t] = _mm256_add_epi16(pairs[t], _mm256_maddubs_epi16(lo, a.At(t, 0)));
          pairs[t] = _mm256_add_epi16(pairs[t], _mm256_maddubs_epi16(hi, a.At(t, 4)));
        }
      }
      for (int t = 0; t < T; ++t) {
        isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(pairs[t], scale));
      }
    }
  }
}

// Per token t: lane r = sum_s min[r][s] * (bsum[2s] + bsum[2s + 1]).
template <int T, typename A>
inline void MinSums(const uint8_t* sb, const A& y, __m256i (&imin)[T]) {
  const SixBit mins = DecodeSixBit(LoadU(sb + pk::kQ4KMinLow), LoadU(sb + pk::kQ4KHighBits), 4);
  for (int t = 0; t < T; ++t) imin[t] = _mm256_setzero_si256();
#pragma GCC unroll 1
  for (int s = 0; s < 8; ++s) {
    const __m256i min = RowBytePairs(s < 4 ? mins.lo : mins.hi, s % 4);
    for (int t = 0; t < T; ++t) {
      imin[t] = _mm256_add_epi32(imin[t], _mm256_madd_epi16(min, y.Bsums(t, s)));
    }
  }
}

// One group of Q4_K (kBits 4) or Q5_K (kBits 5) rows against T tokens, super-blocks
// [b0, b1); sbs(b) gives super-block b's activations. The f32 accumulators start at 0 when
// b0 == 0 and otherwise continue from out (an exact round trip), so a split into ranges leaves
// each output's f32 operations unchanged. The value sums and the mins are two passes so that
// few accumulators are live at once.
template <int kBits, int T, typename SuperBlocks>
void ScaleMinGroup(const uint8_t* group, int64_t b0, int64_t b1, const SuperBlocks& sbs, float* out,
                   int64_t out_stride) {
  static_assert(kBits == 4 || kBits == 5);
  constexpr uint64_t kBlock = kBits == 4 ? pk::kQ4KGroupBlock : pk::kQ5KGroupBlock;
  __m256 acc[T];
  LoadTokens<T>(acc, b0, out, out_stride);
  for (int64_t b = b0; b < b1; ++b) {
    const uint8_t* sb = group + b * kBlock;
    const auto y = sbs(b);
    __m256i isum[T], imin[T];
    ScaledValueSums<kBits, T>(sb, y, isum);
    MinSums<T>(sb, y, imin);
    const __m256 d = LoadHalves(sb);
    const __m256 dmin = LoadHalves(sb + 16);
    for (int t = 0; t < T; ++t) {
      const __m256 da = _mm256_set1_ps(y.D(t));
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
  const __m256i l0 = LoadU(p), l1 = LoadU(p + 32), l2 = LoadU(p + 64);
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
template <int T, typename A>
inline void Q6KValueSums(const uint8_t* values, const uint8_t* scale_bytes, const A& y,
                         __m256i (&isum)[T]) {
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
      const auto a = y.QsFrom(32 * c + 16 * h);
      for (int t = 0; t < T; ++t) {
        const __m256i p01 = _mm256_add_epi16(_mm256_maddubs_epi16(q.v[0], a.At(t, 0)),
                                             _mm256_maddubs_epi16(q.v[1], a.At(t, 4)));
        const __m256i p23 = _mm256_add_epi16(_mm256_maddubs_epi16(q.v[2], a.At(t, 8)),
                                             _mm256_maddubs_epi16(q.v[3], a.At(t, 12)));
        isum[t] = _mm256_add_epi32(isum[t], _mm256_add_epi32(_mm256_madd_epi16(p01, scale),
                                                             _mm256_madd_epi16(p23, scale)));
      }
    }
  }
}

// Per token t: lane r = sum_j scale[r][j] * bsum[j] (the values' +32 bias, divided by 32).
template <int T, typename A>
inline void Q6KOffsets(const uint8_t* scale_bytes, const A& y, __m256i (&offset)[T]) {
  for (int t = 0; t < T; ++t) offset[t] = _mm256_setzero_si256();
#pragma GCC unroll 1
  for (int c = 0; c < 8; ++c) {
    const __m256i scale_pair = ScalePair(scale_bytes, c);
    for (int t = 0; t < T; ++t) {
      offset[t] = _mm256_add_epi32(offset[t], _mm256_madd_epi16(scale_pair, y.Bsums(t, c)));
    }
  }
}

// One group of Q6_K rows against T tokens, super-blocks [b0, b1) (as ScaleMinGroup; value
// sums and offsets in two passes).
template <int T, typename SuperBlocks>
void Q6KGroup(const uint8_t* group, int64_t n_sb, int64_t b0, int64_t b1, const SuperBlocks& sbs,
              float* out, int64_t out_stride) {
  const uint8_t* scales_region = group + n_sb * pk::kQ6KValueBlock;
  const uint8_t* d_region = scales_region + n_sb * pk::kQ6KScaleBlock;
  __m256 acc[T];
  LoadTokens<T>(acc, b0, out, out_stride);
  for (int64_t b = b0; b < b1; ++b) {
    const uint8_t* scale_bytes = scales_region + b * pk::kQ6KScaleBlock;
    const auto y = sbs(b);
    __m256i isum[T], offset[T];
    Q6KValueSums<T>(group + b * pk::kQ6KValueBlock, scale_bytes, y, isum);
    Q6KOffsets<T>(scale_bytes, y, offset);
    const __m256 d = LoadHalves(d_region + b * pk::kQ6KDBlock);
    for (int t = 0; t < T; ++t) {
      const __m256i total = _mm256_sub_epi32(isum[t], _mm256_slli_epi32(offset[t], 5));
      const __m256 da = _mm256_set1_ps(y.D(t));
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(total), _mm256_mul_ps(d, da), acc[t]);
    }
  }
  StoreTokens<T>(acc, out, out_stride);
}

// --- driver -------------------------------------------------------------------------------

// Super-block b of tokens t .. t + T - 1, broadcast in place.
template <int T>
BroadcastSuperBlock<T> InPlace(const internal::PackedGemmArgs& g, int64_t t, int64_t b) {
  BroadcastSuperBlock<T> y;
  for (int i = 0; i < T; ++i) {
    y.y[i] = reinterpret_cast<const BlockQ8_K*>(g.act_rows + (t + i) * g.act_row_bytes) + b;
  }
  return y;
}

// The kernel of one group, for super-blocks [b0, b1) with activations from sbs; kExpand:
// whether the type gains from expanded activations (measured: Q4_K yes; Q5_K, Q6_K no).
template <int T>
struct Q4KTile {
  static constexpr bool kExpand = true;
  template <typename SuperBlocks>
  static void Run(const uint8_t* w, int64_t, int64_t b0, int64_t b1, const SuperBlocks& sbs,
                  float* out, int64_t stride) {
    ScaleMinGroup<4, T>(w, b0, b1, sbs, out, stride);
  }
};
template <int T>
struct Q5KTile {
  static constexpr bool kExpand = false;
  template <typename SuperBlocks>
  static void Run(const uint8_t* w, int64_t, int64_t b0, int64_t b1, const SuperBlocks& sbs,
                  float* out, int64_t stride) {
    ScaleMinGroup<5, T>(w, b0, b1, sbs, out, stride);
  }
};
template <int T>
struct Q6KTile {
  static constexpr bool kExpand = false;
  template <typename SuperBlocks>
  static void Run(const uint8_t* w, int64_t n_sb, int64_t b0, int64_t b1, const SuperBlocks& sbs,
                  float* out, int64_t stride) {
    Q6KGroup<T>(w, n_sb, b0, b1, sbs, out, stride);
  }
};

// Super-blocks of a tile expanded at a time: kExpandSuperBlocks * (kExpandedVectors *
// kTileTokens + 1) vectors (18.5 KB) stay in L1 while every group of the call passes over them.
constexpr int64_t kExpandSuperBlocks = 2;

// Every group of the call times T tokens from t (rows g.act_rows + t), the tile's activations
// expanded once per range of super-blocks and shared by every group.
template <template <int> class Tile, int T>
void GroupsTimesExpandedTile(const internal::PackedGemmArgs& g, int64_t t) {
  constexpr int64_t kPerSuperBlock = kExpandedVectors * T + 1;
  static_assert(kExpandSuperBlocks * kPerSuperBlock <= internal::kExpansionVectors);
  __m256i* expanded = internal::ExpansionScratch();
  float* out = g.y + t * g.y_stride;
  for (int64_t b0 = 0; b0 < g.n_blocks; b0 += kExpandSuperBlocks) {
    const int64_t b1 = std::min(g.n_blocks, b0 + kExpandSuperBlocks);
    for (int64_t b = b0; b < b1; ++b) {
      ExpandSuperBlock<T>(InPlace<T>(g, t, b), expanded + (b - b0) * kPerSuperBlock);
    }
    const auto from_expanded = [&](int64_t b) {
      return ExpandedSuperBlock<T>{expanded + (b - b0) * kPerSuperBlock};
    };
    for (int64_t grp = 0; grp < g.n_groups; ++grp) {
      Tile<T>::Run(g.w + grp * g.group_bytes, g.n_blocks, b0, b1, from_expanded,
                   out + grp * pk::kRows, g.y_stride);
    }
  }
}

// One group times T tokens from t, broadcasting the activations in place.
template <template <int> class Tile, int T>
void GroupTimesTile(const internal::PackedGemmArgs& g, int64_t grp, int64_t t) {
  const auto in_place = [&](int64_t b) { return InPlace<T>(g, t, b); };
  Tile<T>::Run(g.w + grp * g.group_bytes, g.n_blocks, 0, g.n_blocks, in_place,
               g.y + t * g.y_stride + grp * pk::kRows, g.y_stride);
}

// Tiles of kTileTokens tokens share each group's unpacked values. With expansion (and enough
// groups to pay for it) tiles are the outer loop; otherwise tokens are taken in blocks whose
// activations stay in L2 while every group of the call passes over them. The per-output f32
// operations are the same either way.
template <template <int> class Tile>
void PackedGemm(const internal::PackedGemmArgs& g) {
  using ExpandedFn = void (*)(const internal::PackedGemmArgs&, int64_t);
  static constexpr ExpandedFn kExpandedFns[kTileTokens] = {
      GroupsTimesExpandedTile<Tile, 1>, GroupsTimesExpandedTile<Tile, 2>,
      GroupsTimesExpandedTile<Tile, 3>, GroupsTimesExpandedTile<Tile, 4>};
  if (Tile<1>::kExpand && g.n_groups >= 4 && g.n_tokens > internal::kSmallBatchTokens) {
    internal::ForEachGroupBlock(g, 4, [&](const internal::PackedGemmArgs& block) {
      for (int64_t t = 0; t < block.n_tokens; t += kTileTokens) {
        kExpandedFns[std::min<int64_t>(kTileTokens, block.n_tokens - t) - 1](block, t);
      }
    });
    return;
  }
  using Fn = void (*)(const internal::PackedGemmArgs&, int64_t, int64_t);
  static constexpr Fn kFns[kTileTokens] = {GroupTimesTile<Tile, 1>, GroupTimesTile<Tile, 2>,
                                           GroupTimesTile<Tile, 3>, GroupTimesTile<Tile, 4>};
  constexpr uint64_t kActivationBlockBytes = 96 * 1024;
  const int64_t block_tokens =
      std::max<int64_t>(kTileTokens, static_cast<int64_t>(kActivationBlockBytes / g.act_row_bytes) /
                                         kTileTokens * kTileTokens);
  for (int64_t t0 = 0; t0 < g.n_tokens; t0 += block_tokens) {
    const int64_t t_end = std::min(g.n_tokens, t0 + block_tokens);
    for (int64_t grp = 0; grp < g.n_groups; ++grp) {
      for (int64_t t = t0; t < t_end; t += kTileTokens) {
        kFns[std::min<int64_t>(kTileTokens, t_end - t) - 1](g, grp, t);
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
