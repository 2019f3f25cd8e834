// AVX2 kernels on packed row groups of the legacy types (layout: packed_legacy.h).
//
// For one row group and one block, each 32-byte load of weights is unpacked once into
// register chunks (chunk c, lane r = row r's values 4c .. 4c+3) and multiplied, while in a
// register, into every token of a tile of K::kTile tokens (chunk-outer, token-inner). Per
// token, chunk c meets the token's activation bytes 4c .. 4c+3 broadcast to every lane:
// maddubs gives int16 pairs per lane, the chunks are summed in int16 while that cannot
// overflow (4-bit: 8 * 2 * 15 * 128 = 30720; 5-bit: 4 chunks at a time; Q8_0: one), and a
// madd with ones leaves in lane r row r's exact integer block dot product. Offsets (Q4_0's
// -8, Q5_0's -16) are applied to that integer with the block's integer activation sum, as
// vec_dot does. Then, per output, in block order:
//   acc = fma(float(isum), d_w * d_a, acc)          [Q4_1, Q5_1: acc = fma(m_w, s_a, acc)]
// These f32 operations do not depend on the tile, the number of tokens or the thread split,
// so a batch equals token-by-token evaluation bit for bit (packed.h's contract). One token
// (generation) is the same code with a tile of 1.
//
// Tile sizes: each token needs its int16 pair sums (two for the 5-bit types) and its f32
// accumulator beside the chunk in the 16 ymm registers. Measured on Zen 3 (pp512, SmolLM2
// Q4_0): 6 tokens beat 4 by ~5% and 8 (which spills) by ~20%. With expanded activations (below;
// no broadcast register) the 5-bit types also take 6 (measured +4-9% over 4; 8 spills and loses
// ~10% for Q4_0 and Q5_0 alike).
//
// Loop order (PackedGemm): row groups are taken a few hundred KB of weights at a time
// (packed_gemm_blocking.h: they stay in L2 across the token tiles); for each tile, the 4- and
// 5-bit types expand 12 blocks of the tile's activations at a time into pre-broadcast vectors
// (chunks, kOffset * sum, d, s: ExpandTile) that every group of the block reads as memory
// operands, so a broadcast is paid once per tile rather than once per group (pp512 SmolLM2
// Q4_0 +10-15%). An output's f32 accumulator is carried between block ranges through y, an
// exact round trip, so the per-output f32 operations above are unchanged. Q8_0 (whose
// sign(a, w) wants a in a register; measured slower expanded) and calls with fewer than 4
// groups broadcast in place.
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "kernels/packed.h"
#include "kernels/packed_gemm_blocking.h"
#include "kernels/packed_gemv.h"
#include "kernels/packed_legacy.h"
#include "kernels/quant_blocks.h"
#include "kernels/simd_avx2.h"

namespace hearth::kernels::avx2 {
namespace {

using internal::GemmActivations;
using internal::LegacySections;

// Block b's two chunks of one 32-byte load k of 4-bit values (unsigned bytes 0..15): chunk
// k (values 4k .. 4k+3 of each row) and chunk k + 4 (values 16+4k .. 16+4k+3).
inline void NibbleChunkPair(const uint8_t* qs, int k, __m256i& lo, __m256i& hi) {
  const __m256i mask = _mm256_set1_epi8(0x0F);
  const __m256i v = LoadU(qs + 32 * k);
  lo = _mm256_and_si256(v, mask);
  hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), mask);
}

// Chunk i's fifth bits (bit i of byte j of `bits`) moved to bit 4 of each byte.
template <int kChunk>
inline __m256i FifthBits(__m256i bits) {
  __m256i shifted;
  if constexpr (kChunk < 4) {
    shifted = _mm256_slli_epi32(bits, 4 - kChunk);
  } else if constexpr (kChunk > 4) {
    shifted = _mm256_srli_epi32(bits, kChunk - 4);
  } else {
    shifted = bits;
  }
  return _mm256_and_si256(shifted, _mm256_set1_epi8(0x10));
}

template <int kChunk>
inline __m256i Bits5(const __m256i& nibbles, __m256i bits) {
  return _mm256_or_si256(nibbles, FifthBits<kChunk>(bits));
}

// Keeps v in a register at this point of the program. Integer additions reassociate
// freely, and without this GCC hoists all 8 * kTokens maddubs of a block ahead of the
// additions, spilling their results: the pin keeps the chunk-outer, token-inner order.
inline void Pin(__m256i& v) { asm("" : "+x"(v)); }

// A tile's activations of one block, as the kernels read them: At(t, offset) = chunk
// offset / 4 (bytes offset .. offset+3) of token t broadcast to every lane; Offset(t) =
// kOffset * (integer sum of token t's block) in every lane; Scale(t) = its d and Min(t) = its
// s (Q8_1) in every lane. BroadcastBlock broadcasts from the block-major activations on each
// use; ExpandedBlock reads copies broadcast beforehand (ExpandTile), so that maddubs, vpsubd
// and vmulps take them as memory operands and the broadcasts are not paid again for every
// row group.
template <int kOffset, int kTokens>
struct BroadcastBlock {
  const GemmActivations* act;
  int64_t i0;  // (block, first token), block-major
  __m256i At(int t, int offset) const { return Broadcast4(act->qs + (i0 + t) * kQk + offset); }
  __m256i Offset(int t) const {
    if constexpr (kOffset == 0) return _mm256_setzero_si256();
    return _mm256_set1_epi32(kOffset * act->sums[i0 + t]);
  }
  __m256 Scale(int t) const { return _mm256_set1_ps(act->d[i0 + t]); }
  __m256 Min(int t) const { return _mm256_set1_ps(act->s[i0 + t]); }
};

// Per block: [8 chunks][kTokens] chunk vectors, then [kTokens] offsets, [kTokens] d,
// [kTokens] s.
constexpr int kExpandedVectors = 11;  // per token and block

template <int kTokens>
struct ExpandedBlock {
  const __m256i* v;  // the block's kExpandedVectors * kTokens vectors
  __m256i At(int t, int offset) const { return v[(offset / 4) * kTokens + t]; }
  __m256i Offset(int t) const { return v[8 * kTokens + t]; }
  __m256 Scale(int t) const { return _mm256_castsi256_ps(v[9 * kTokens + t]); }
  __m256 Min(int t) const { return _mm256_castsi256_ps(v[10 * kTokens + t]); }
};

// pairs[t] += maddubs(chunk, token t's activation bytes offset .. offset+3 in every lane).
template <int kTokens, typename Src>
inline void AddPairs(__m256i chunk, const Src& a, int offset, __m256i pairs[kTokens]) {
  for (int t = 0; t < kTokens; ++t) {
    pairs[t] = _mm256_add_epi16(pairs[t], _mm256_maddubs_epi16(chunk, a.At(t, offset)));
    Pin(pairs[t]);
  }
}

// The weight types. For one block of the group, Dot computes every token's integer block
// dot products (before the offset) into isum[t], the tokens' blocks at a[t]; the caller
// subtracts kOffset * sum(a) and applies the scales.
struct Q4_0K {
  static constexpr TensorType kType = TensorType::kQ4_0;
  static constexpr int kOffset = 8;
  static constexpr bool kHasMin = false;
  static constexpr int kTile = 6;
  static constexpr bool kExpand = true;
  // 4-bit values: all 8 chunks summed in int16 (8 * 2 * 15 * 128 = 30720 < 32768).
  template <int kTokens, typename Src>
  static void Dot(const uint8_t* group, const LegacySections& s, int64_t b, const Src& a,
                  __m256i isum[kTokens]) {
    const uint8_t* qs = group + s.qs + b * 128;
    __m256i pairs[kTokens];
    for (int t = 0; t < kTokens; ++t) pairs[t] = _mm256_setzero_si256();
    for (int k = 0; k < 4; ++k) {
      __m256i lo, hi;
      NibbleChunkPair(qs, k, lo, hi);
      AddPairs<kTokens, Src>(lo, a, 4 * k, pairs);
      AddPairs<kTokens, Src>(hi, a, 16 + 4 * k, pairs);
    }
    const __m256i ones = _mm256_set1_epi16(1);
    for (int t = 0; t < kTokens; ++t) isum[t] = _mm256_madd_epi16(pairs[t], ones);
  }
};

struct Q4_1K : Q4_0K {
  static constexpr TensorType kType = TensorType::kQ4_1;
  static constexpr int kOffset = 0;
  static constexpr bool kHasMin = true;
};

struct Q5_0K {
  static constexpr TensorType kType = TensorType::kQ5_0;
  static constexpr int kOffset = 16;
  static constexpr bool kHasMin = false;
  static constexpr int kTile = 6;
  static constexpr bool kExpand = true;
  // 5-bit values: chunks 0..3 and 4..7 summed in int16 apart (4 * 2 * 31 * 128 = 31744).
  template <int kTokens, typename Src>
  static void Dot(const uint8_t* group, const LegacySections& s, int64_t b, const Src& a,
                  __m256i isum[kTokens]) {
    const uint8_t* qs = group + s.qs + b * 128;
    const __m256i bits = LoadU(group + s.qh + b * 32);
    __m256i low[kTokens], high[kTokens];
    for (int t = 0; t < kTokens; ++t) low[t] = high[t] = _mm256_setzero_si256();
    __m256i lo, hi;
    NibbleChunkPair(qs, 0, lo, hi);
    AddPairs<kTokens, Src>(Bits5<0>(lo, bits), a, 0, low);
    AddPairs<kTokens, Src>(Bits5<4>(hi, bits), a, 16, high);
    NibbleChunkPair(qs, 1, lo, hi);
    AddPairs<kTokens, Src>(Bits5<1>(lo, bits), a, 4, low);
    AddPairs<kTokens, Src>(Bits5<5>(hi, bits), a, 20, high);
    NibbleChunkPair(qs, 2, lo, hi);
    AddPairs<kTokens, Src>(Bits5<2>(lo, bits), a, 8, low);
    AddPairs<kTokens, Src>(Bits5<6>(hi, bits), a, 24, high);
    NibbleChunkPair(qs, 3, lo, hi);
    AddPairs<kTokens, Src>(Bits5<3>(lo, bits), a, 12, low);
    AddPairs<kTokens, Src>(Bits5<7>(hi, bits), a, 28, high);
    const __m256i ones = _mm256_set1_epi16(1);
    for (int t = 0; t < kTokens; ++t) {
      isum[t] = _mm256_add_epi32(_mm256_madd_epi16(low[t], ones), _mm256_madd_epi16(high[t], ones));
    }
  }
};

struct Q5_1K : Q5_0K {
  static constexpr TensorType kType = TensorType::kQ5_1;
  static constexpr int kOffset = 0;
  static constexpr bool kHasMin = true;
};

struct Q8_0K {
  static constexpr TensorType kType = TensorType::kQ8_0;
  static constexpr int kOffset = 0;
  static constexpr bool kHasMin = false;
  static constexpr int kTile = 6;
  static constexpr bool kExpand =
      false;  // sign(a, w) wants a in a register: measured slower expanded
  // maddubs needs an unsigned operand: |w|, with w's sign moved onto the activation. One
  // maddubs pair can reach 2 * 128 * 127, so each chunk is widened on its own.
  template <int kTokens, typename Src>
  static void Dot(const uint8_t* group, const LegacySections& s, int64_t b, const Src& a,
                  __m256i isum[kTokens]) {
    const uint8_t* qs = group + s.qs + b * 256;
    const __m256i ones = _mm256_set1_epi16(1);
    for (int t = 0; t < kTokens; ++t) isum[t] = _mm256_setzero_si256();
    for (int k = 0; k < 8; ++k) {
      const __m256i w = LoadU(qs + 32 * k);
      const __m256i magnitude = _mm256_sign_epi8(w, w);
      for (int t = 0; t < kTokens; ++t) {
        const __m256i signed_a = _mm256_sign_epi8(a.At(t, 4 * k), w);
        isum[t] = _mm256_add_epi32(
            isum[t], _mm256_madd_epi16(_mm256_maddubs_epi16(magnitude, signed_a), ones));
        Pin(isum[t]);
      }
    }
  }
};

// Row group `group` times kTokens consecutive tokens from t0, blocks [b0, b1):
// y[(t0 + t) * y_stride + r] for the group's rows r < 8 (y points at the group's first
// row). The f32 accumulators start at 0 when b0 == 0 and otherwise continue from y (an exact
// f32 round trip), so splitting the blocks into ranges leaves each output's f32 operations
// unchanged. blocks(b) gives block b's activations (BroadcastBlock or ExpandedBlock).
template <typename K, int kTokens, typename Blocks>
void GroupTimesTokens(const uint8_t* group, const LegacySections& s, int64_t b0, int64_t b1,
                      int64_t t0, const Blocks& blocks, float* y, int64_t y_stride) {
  __m256 acc[kTokens];
  for (int t = 0; t < kTokens; ++t) {
    acc[t] = b0 == 0 ? _mm256_setzero_ps() : _mm256_loadu_ps(y + (t0 + t) * y_stride);
  }
  for (int64_t b = b0; b < b1; ++b) {
    const auto a = blocks(b);
    __m256i isum[kTokens];
    K::template Dot<kTokens>(group, s, b, a, isum);
    const __m256 dw = LoadHalves(group + s.d + b * 16);
    for (int t = 0; t < kTokens; ++t) {
      if constexpr (K::kOffset != 0) isum[t] = _mm256_sub_epi32(isum[t], a.Offset(t));
      const __m256 scale = _mm256_mul_ps(dw, a.Scale(t));
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[t]), scale, acc[t]);
    }
    if constexpr (K::kHasMin) {
      const __m256 mw = LoadHalves(group + s.m + b * 16);
      for (int t = 0; t < kTokens; ++t) acc[t] = _mm256_fmadd_ps(mw, a.Min(t), acc[t]);
    }
  }
  for (int t = 0; t < kTokens; ++t) _mm256_storeu_ps(y + (t0 + t) * y_stride, acc[t]);
}

// Blocks of activations expanded at a time: kExpandBlocks * kExpandedVectors * kTile vectors
// (25 KB for 6 tokens) stay in L1 while every row group of the call passes over them.
constexpr int64_t kExpandBlocks = 12;

// Writes blocks [b0, b1) of tokens [t0, t0 + kTokens) in ExpandedBlock's layout at out.
template <int kOffset, int kTokens>
void ExpandTile(const GemmActivations& act, int64_t t0, int64_t b0, int64_t b1, __m256i* out) {
  for (int64_t b = b0; b < b1; ++b) {
    const BroadcastBlock<kOffset, kTokens> a{&act, b * act.n_tokens + t0};
    __m256i* v = out + (b - b0) * kExpandedVectors * kTokens;
    for (int t = 0; t < kTokens; ++t) {
      for (int c = 0; c < 8; ++c) _mm256_store_si256(v + c * kTokens + t, a.At(t, 4 * c));
      _mm256_store_si256(v + 8 * kTokens + t, a.Offset(t));
      _mm256_store_si256(v + 9 * kTokens + t, _mm256_castps_si256(a.Scale(t)));
      _mm256_store_si256(v + 10 * kTokens + t, _mm256_castps_si256(a.Min(t)));
    }
  }
}

// Every row group of the call times kTokens tokens from t0. Broadcasting in place suits few
// groups; otherwise the tile's activations are expanded once per range of blocks and
// shared by all groups (the per-output f32 operations are the same either way).
template <typename K, int kTokens>
void GroupsTimesTile(const internal::PackedGemmArgs& g, const LegacySections& s, int64_t t0) {
  const GemmActivations& act = *g.act;
  if (!K::kExpand || g.n_groups < 4) {
    const auto blocks = [&](int64_t b) {
      return BroadcastBlock<K::kOffset, kTokens>{&act, b * act.n_tokens + t0};
    };
    for (int64_t group = 0; group < g.n_groups; ++group) {
      GroupTimesTokens<K, kTokens>(g.w + static_cast<uint64_t>(group) * g.group_bytes, s, 0,
                                   g.n_blocks, t0, blocks, g.y + group * kPackRows, g.y_stride);
    }
    return;
  }
  static_assert(kExpandBlocks * kExpandedVectors * K::kTile <= internal::kExpansionVectors);
  __m256i* expanded = internal::ExpansionScratch();
  // Block ranges of near-equal size (576 columns: 2 x 9 blocks rather than 16 + 2).
  const int64_t n_ranges = (g.n_blocks + kExpandBlocks - 1) / kExpandBlocks;
  const int64_t per_range = (g.n_blocks + n_ranges - 1) / n_ranges;
  for (int64_t b0 = 0; b0 < g.n_blocks; b0 += per_range) {
    const int64_t b1 = std::min(g.n_blocks, b0 + per_range);
    ExpandTile<K::kOffset, kTokens>(act, t0, b0, b1, expanded);
    const auto blocks = [&](int64_t b) {
      return ExpandedBlock<kTokens>{expanded + (b - b0) * kExpandedVectors * kTokens};
    };
    for (int64_t group = 0; group < g.n_groups; ++group) {
      GroupTimesTokens<K, kTokens>(g.w + static_cast<uint64_t>(group) * g.group_bytes, s, b0, b1,
                                   t0, blocks, g.y + group * kPackRows, g.y_stride);
    }
  }
}

template <typename K>
using TileFn = void (*)(const internal::PackedGemmArgs&, const LegacySections&, int64_t);

template <typename K, int... kTokens>
constexpr std::array<TileFn<K>, sizeof...(kTokens)> TileFns(
    std::integer_sequence<int, kTokens...>) {
  return {GroupsTimesTile<K, kTokens + 1>...};
}

template <typename K>
void PackedGemm(const internal::PackedGemmArgs& g) {
  static constexpr auto kFns = TileFns<K>(std::make_integer_sequence<int, K::kTile>());
  const LegacySections s = internal::LegacySectionsOf(K::kType, g.n_blocks);
  if (g.n_tokens <= internal::kSmallBatchTokens) {
    for (int64_t group = 0; group < g.n_groups; ++group) {
      internal::PackedGemmArgs one = g;  // one group: its tiles broadcast in place
      one.w = g.w + static_cast<uint64_t>(group) * g.group_bytes;
      one.n_groups = 1;
      one.y = g.y + group * kPackRows;
      for (int64_t t0 = 0; t0 < g.n_tokens; t0 += K::kTile) {
        kFns[std::min<int64_t>(K::kTile, g.n_tokens - t0) - 1](one, s, t0);
      }
    }
    return;
  }
  internal::ForEachGroupBlock(g, 4, [&](const internal::PackedGemmArgs& block) {
    for (int64_t t0 = 0; t0 < block.n_tokens; t0 += K::kTile) {
      const int64_t n = std::min<int64_t>(K::kTile, block.n_tokens - t0);
      kFns[n - 1](block, s, t0);
    }
  });
}

}  // namespace
}  // namespace hearth::kernels::avx2

namespace hearth::kernels::internal {

PackedTypeKernels Avx2PackedLegacy(TensorType type) {
  PackedTypeKernels k;
  k.pack = LegacyPackGroup(type);
  k.unpack_row = LegacyUnpackGroupRow(type);
  switch (type) {
    case TensorType::kQ4_0:
      k.gemm = avx2::PackedGemm<avx2::Q4_0K>;
      break;
    case TensorType::kQ4_1:
      k.gemm = avx2::PackedGemm<avx2::Q4_1K>;
      break;
    case TensorType::kQ5_0:
      k.gemm = avx2::PackedGemm<avx2::Q5_0K>;
      break;
    case TensorType::kQ5_1:
      k.gemm = avx2::PackedGemm<avx2::Q5_1K>;
      break;
    case TensorType::kQ8_0:
      k.gemm = avx2::PackedGemm<avx2::Q8_0K>;
      break;
    default:
      return {};
  }
  k.gemv = Avx2PackedGemv(type);  // one token: packed_gemv_avx2.cpp
  return k;
}

}  // namespace hearth::kernels::internal
