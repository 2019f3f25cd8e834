// AMX-INT8 GEMMs over packed K-quant row groups (layouts in packed_kquant.h) against Q8_K
// activation rows, for prompt batches.
//
// Tiles (amx_tiles.h, all 16 rows x 64 bytes): TDPBSSD multiplies A = 16 tokens x 64 activation
// bytes by B = 16 rows x 64 bytes = 64 values of a pair of row groups (4-byte column n = row n:
// 8 rows of group g, then 8 of g + 1) into C = 16 tokens x 16 rows of exact int32: row t of C
// is one zmm whose lane n is output row n of the pair, the lane order of y.
//
// Scales as digit planes: a sub-block's scale is split into small digits, scale = sum_k
// digit_k << (shift * k), chosen so that value * digit fits int8, and plane k of B holds the
// values times digit k of their sub-block. C_k then accumulates over a whole super-block (4
// TDPBSSDs of 64 values), and isum = sum_k C_k << (shift * k) = sum_s scale[s] * dot_s exactly:
// - Q4_K: values 0..15, digits base 8 (0..7, 2 digits); Q5_K: 0..31, base 4 (0..3, 3 digits).
//   One more plane holds the sub-block's min in every byte: C_min = sum_s min[s] * sum(a_s) =
//   imin (the AVX2 kernel's sum_s min[s] * (bsum[2s] + bsum[2s + 1])).
// - Q6_K: values q - 32 (-32..31), int8 scales in signed base-8 digits -3..4 (3 digits), so the
//   AVX2 kernel's 32 * sum_j scale[j] * bsum[j] offset is already inside the products.
// Integers are exact, so they equal the AVX2 kernel's; the f32 operations per output are the
// AVX2 packed GEMM's (packed_kquant_avx2.cpp), per super-block in order:
//   Q4_K/Q5_K: acc = fma(float(isum), d_w * d_a, acc); acc = fnma(float(imin), dmin_w * d_a, acc)
//   Q6_K:      acc = fma(float(isum), d_w * d_a, acc)
// so outputs equal it bit for bit (acc goes through y between ranges of super-blocks: exact).
//
// Loop order: ranges of 2 super-blocks outermost (their activations, copied into aligned A
// tiles, stay in L2), then pairs of groups (the range's B planes unpacked into L1, 24-32 KB),
// then tiles of 16 tokens. Batches under 16 tokens, the token tail (n_tokens % 16) and an odd
// last group go to the AVX2 GEMM (the same numerics per output).
// clang-format off (before every other include: it silences a GCC false positive in them)
#include "kernels/avx512_gcc_warnings.h"
// clang-format on

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/amx_tiles.h"
#include "kernels/kernel_registry.h"
#include "kernels/packed.h"
#include "kernels/packed_kquant.h"
#include "kernels/packed_kquant_avx2.h"
#include "kernels/quant_blocks.h"
#include "kernels/simd_pairs_avx512.h"

namespace hearth::kernels::amx {
namespace {

namespace pk = packed_kquant;
using avx512::LoadHalvesPair;
using avx512::LoadPair32;
using internal::PackedGemmArgs;

constexpr int kTileTokens = 16;
constexpr int kPairRows = 2 * pk::kRows;  // C tile columns: two row groups
constexpr uint64_t kQsOffset = offsetof(BlockQ8_K, qs);

// --- loads of a pair of groups ------------------------------------------------------------

// 8 bytes at p0, then 8 at p1.
inline __m128i LoadPair8(const uint8_t* p0, const uint8_t* p1) {
  return _mm_unpacklo_epi64(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p0)),
                            _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p1)));
}

inline void Store(void* p, __m512i v) { _mm512_store_si512(p, v); }

// --- unpacked super-blocks ----------------------------------------------------------------

// One super-block of a pair as plain values: `values` holds the 256 values of the 16 rows in
// B-tile layout (4-byte column n = row n; 64-byte row k = values 4k .. 4k + 3), so bytes
// [1024q, 1024q + 1024) are the B tile of values 64q .. 64q + 63; scale[s] / min[s]: the rows'
// scale / min of sub-block s (Q4_K/Q5_K: 8 sub-blocks of 32 values; Q6_K: 16 of 16).
struct alignas(64) PlainSuperBlock {
  int8_t values[4096];
  int32_t scale[16][kPairRows];
  int32_t min[8][kPairRows];
  float d[kPairRows];
  float dmin[kPairRows];
};

// The 6-bit scales (m 0) or mins (m 1) of the super-block at sb: byte 8s + r of out.
inline void DecodeSixBits(const uint8_t* sb, int m, uint8_t* out) {
  const avx2::SixBit v =
      avx2::DecodeSixBit(avx2::LoadU(sb + (m == 0 ? pk::kQ4KScaleLow : pk::kQ4KMinLow)),
                         avx2::LoadU(sb + pk::kQ4KHighBits), 4 * m);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), v.lo);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 32), v.hi);
}

template <int kBits>
void UnpackScaleMin(const uint8_t* sb0, const uint8_t* sb1, PlainSuperBlock& u) {
  constexpr uint64_t kValues = kBits == 4 ? pk::kQ4KValues : pk::kQ5KValues;
  alignas(32) uint8_t six[2][2][64];  // [scale, min][group][8s + r]
  for (int m = 0; m < 2; ++m) {
    DecodeSixBits(sb0, m, six[m][0]);
    DecodeSixBits(sb1, m, six[m][1]);
  }
  for (int s = 0; s < 8; ++s) {
    Store(u.scale[s], _mm512_cvtepu8_epi32(LoadPair8(six[0][0] + 8 * s, six[0][1] + 8 * s)));
    Store(u.min[s], _mm512_cvtepu8_epi32(LoadPair8(six[1][0] + 8 * s, six[1][1] + 8 * s)));
  }
  _mm512_store_ps(u.d, LoadHalvesPair(sb0, sb1));
  _mm512_store_ps(u.dmin, LoadHalvesPair(sb0 + 16, sb1 + 16));
  const __m512i nibble = _mm512_set1_epi8(0x0f), bit4 = _mm512_set1_epi8(0x10);
  for (int s = 0; s < 8; ++s) {
    // Q5_K: bits 2k and 2k + 1 of each byte are the 5th bits of load k (as the AVX2 kernel).
    __m512i fifth =
        kBits == 5 ? LoadPair32(sb0 + pk::kQ5KHighPlane + 32 * s, sb1 + pk::kQ5KHighPlane + 32 * s)
                   : _mm512_setzero_si512();
    for (int k = 0; k < 4; ++k) {
      const uint64_t at = kValues + 128 * s + 32 * k;
      const __m512i bits = LoadPair32(sb0 + at, sb1 + at);
      __m512i lo = _mm512_and_si512(bits, nibble);
      __m512i hi = _mm512_and_si512(_mm512_srli_epi16(bits, 4), nibble);
      if constexpr (kBits == 5) {
        lo = _mm512_or_si512(lo, _mm512_and_si512(_mm512_slli_epi16(fifth, 4), bit4));
        hi = _mm512_or_si512(hi, _mm512_and_si512(_mm512_slli_epi16(fifth, 3), bit4));
        fifth = _mm512_srli_epi16(fifth, 2);
      }
      Store(u.values + 512 * s + 128 * k, lo);  // values 8k .. 8k + 3: row 2k of sub-block s
      Store(u.values + 512 * s + 128 * k + 64, hi);
    }
  }
}

// Scales of sub-blocks 2c + e of the pair (byte 2r + e of chunk c's 16 bytes), sign-extended.
inline __m512i Q6KScales(const uint8_t* s0, const uint8_t* s1, int c, int e) {
  const __m128i pick = _mm_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, -1, -1, -1, -1, -1, -1, -1, -1);
  const __m128i sel = _mm_add_epi8(pick, _mm_set1_epi8(static_cast<char>(e)));
  const __m128i x0 =
      _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s0 + 16 * c)), sel);
  const __m128i x1 =
      _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s1 + 16 * c)), sel);
  return _mm512_cvtepi8_epi32(_mm_unpacklo_epi64(x0, x1));
}

// Super-block b of the Q6_K groups g0, g1 (n_sb super-blocks each).
void UnpackQ6K(const uint8_t* g0, const uint8_t* g1, int64_t n_sb, int64_t b, PlainSuperBlock& u) {
  const uint8_t* v0 = g0 + b * pk::kQ6KValueBlock;
  const uint8_t* v1 = g1 + b * pk::kQ6KValueBlock;
  const __m512i top = _mm512_set1_epi8(static_cast<char>(0xc0)), six = _mm512_set1_epi8(0x3f);
  const __m512i bias = _mm512_set1_epi8(32);
  for (int c = 0; c < 8; ++c) {
    for (int h = 0; h < 2; ++h) {
      const uint64_t at = pk::kQ6KChunk * c + 96 * h;
      const __m512i l0 = LoadPair32(v0 + at, v1 + at);
      const __m512i l1 = LoadPair32(v0 + at + 32, v1 + at + 32);
      const __m512i l2 = LoadPair32(v0 + at + 64, v1 + at + 64);
      // Masked to bits 6-7 first, so the 16-bit shifts move nothing across bytes.
      const __m512i fourth =
          _mm512_or_si512(_mm512_or_si512(_mm512_srli_epi16(_mm512_and_si512(l0, top), 6),
                                          _mm512_srli_epi16(_mm512_and_si512(l1, top), 4)),
                          _mm512_srli_epi16(_mm512_and_si512(l2, top), 2));
      int8_t* dst = u.values + 256 * (2 * c + h);
      Store(dst, _mm512_sub_epi8(_mm512_and_si512(l0, six), bias));
      Store(dst + 64, _mm512_sub_epi8(_mm512_and_si512(l1, six), bias));
      Store(dst + 128, _mm512_sub_epi8(_mm512_and_si512(l2, six), bias));
      Store(dst + 192, _mm512_sub_epi8(fourth, bias));
    }
  }
  const uint8_t* s0 = g0 + n_sb * pk::kQ6KValueBlock + b * pk::kQ6KScaleBlock;
  const uint8_t* s1 = g1 + n_sb * pk::kQ6KValueBlock + b * pk::kQ6KScaleBlock;
  for (int c = 0; c < 8; ++c) {
    for (int e = 0; e < 2; ++e) Store(u.scale[2 * c + e], Q6KScales(s0, s1, c, e));
  }
  const uint64_t d_at = n_sb * (pk::kQ6KValueBlock + pk::kQ6KScaleBlock) + b * pk::kQ6KDBlock;
  _mm512_store_ps(u.d, LoadHalvesPair(g0 + d_at, g1 + d_at));
}

// --- digit planes ---------------------------------------------------------------------------

// The bytes of x times the 16-bit elements of m (factors whose products fit int8).
inline __m512i MulBytes(__m512i x, __m512i m) {
  const __m512i even = _mm512_mullo_epi16(x, m);
  const __m512i odd = _mm512_mullo_epi16(_mm512_srli_epi16(x, 8), m);
  return _mm512_or_si512(_mm512_and_si512(even, _mm512_set1_epi16(0xff)),
                         _mm512_slli_epi16(odd, 8));
}

// A type's super-block of a pair as B tiles: plane k < kDigits holds the values times digit k
// of their sub-block's scale (scale = sum_k digit_k << (kShift * k), every product in int8),
// plane kDigits (Q4_K/Q5_K) the sub-block's min in every byte; 1024 bytes per 64 values.
template <int kPlanes>
struct alignas(64) TiledSuperBlock {
  int8_t planes[kPlanes][4096];
  float d[kPairRows];
  float dmin[kPairRows];
};

// Digits of the scales v: digit k in [-kOffset, 2^kShift - kOffset), the last one the rest.
template <int kShift, int kOffset, int kDigits>
inline void Digits(__m512i v, __m512i (&digit)[kDigits]) {
  const __m512i offset = _mm512_set1_epi32(kOffset), mask = _mm512_set1_epi32((1 << kShift) - 1);
  for (int k = 0; k + 1 < kDigits; ++k) {
    digit[k] = _mm512_sub_epi32(_mm512_and_si512(_mm512_add_epi32(v, offset), mask), offset);
    v = _mm512_srai_epi32(_mm512_sub_epi32(v, digit[k]), kShift);
  }
  digit[kDigits - 1] = v;
}

// K-quant type parameters: sub-blocks of a super-block, the digits of its scales, whether it
// has mins, and its plain unpacking.
template <TensorType kType>
struct KQuant;

template <>
struct KQuant<TensorType::kQ4_K> {
  static constexpr int kSubBlocks = 8, kShift = 3, kOffset = 0, kDigits = 2;
  static constexpr bool kMins = true;
  static void Unpack(const uint8_t* g0, const uint8_t* g1, int64_t, int64_t b, PlainSuperBlock& u) {
    UnpackScaleMin<4>(g0 + b * pk::kQ4KGroupBlock, g1 + b * pk::kQ4KGroupBlock, u);
  }
};

template <>
struct KQuant<TensorType::kQ5_K> {
  static constexpr int kSubBlocks = 8, kShift = 2, kOffset = 0, kDigits = 3;
  static constexpr bool kMins = true;
  static void Unpack(const uint8_t* g0, const uint8_t* g1, int64_t, int64_t b, PlainSuperBlock& u) {
    UnpackScaleMin<5>(g0 + b * pk::kQ5KGroupBlock, g1 + b * pk::kQ5KGroupBlock, u);
  }
};

template <>
struct KQuant<TensorType::kQ6_K> {
  static constexpr int kSubBlocks = 16, kShift = 3, kOffset = 3, kDigits = 3;
  static constexpr bool kMins = false;
  static void Unpack(const uint8_t* g0, const uint8_t* g1, int64_t n_sb, int64_t b,
                     PlainSuperBlock& u) {
    UnpackQ6K(g0, g1, n_sb, b, u);
  }
};

template <TensorType kType>
constexpr int kPlanes = KQuant<kType>::kDigits + (KQuant<kType>::kMins ? 1 : 0);

template <TensorType kType>
using Tiled = TiledSuperBlock<kPlanes<kType>>;

// Super-block b of groups g0, g1 as B tiles.
template <TensorType kType>
void UnpackTiled(const uint8_t* g0, const uint8_t* g1, int64_t n_sb, int64_t b, Tiled<kType>& u) {
  using Q = KQuant<kType>;
  PlainSuperBlock plain;
  Q::Unpack(g0, g1, n_sb, b, plain);
  constexpr int kSubBlockBytes = 4096 / Q::kSubBlocks;
  for (int s = 0; s < Q::kSubBlocks; ++s) {
    __m512i digit[Q::kDigits];
    Digits<Q::kShift, Q::kOffset>(_mm512_load_si512(plain.scale[s]), digit);
    for (int k = 0; k < Q::kDigits; ++k) {
      const __m512i m = _mm512_or_si512(_mm512_and_si512(digit[k], _mm512_set1_epi32(0xffff)),
                                        _mm512_slli_epi32(digit[k], 16));
      for (int i = s * kSubBlockBytes; i < (s + 1) * kSubBlockBytes; i += 64) {
        Store(u.planes[k] + i, MulBytes(_mm512_load_si512(plain.values + i), m));
      }
    }
    if constexpr (Q::kMins) {
      const __m512i min =
          _mm512_mullo_epi32(_mm512_load_si512(plain.min[s]), _mm512_set1_epi32(0x01010101));
      for (int i = s * kSubBlockBytes; i < (s + 1) * kSubBlockBytes; i += 64) {
        Store(u.planes[Q::kDigits] + i, min);
      }
    }
  }
  _mm512_store_ps(u.d, _mm512_load_ps(plain.d));
  _mm512_store_ps(u.dmin, _mm512_load_ps(plain.dmin));
}

// --- tiles and epilogue -------------------------------------------------------------------

// Every tile 16 rows x 64 bytes. Tiles 0 .. kPlanes - 1: C of each plane; 4: A (16 tokens x 64
// activation bytes); 5-7 (and 5 again for a fourth plane): B.
const TileConfig& Config() {
  static const TileConfig config = [] {
    TileConfig c;
    for (int i = 0; i < 8; ++i) SetTile(c, i, kTileTokens, 64);
    return c;
  }();
  return config;
}

// C tiles of super-block u (its planes times the 16 tokens' qs at a, rows stride apart), stored
// at c + 256 k for plane k. Tile numbers are literals: the intrinsics paste them into the
// instruction text.
template <int kPlanes>
inline void SuperBlockProducts(const TiledSuperBlock<kPlanes>& u, const int8_t* a, int32_t* c) {
  static_assert(kPlanes == 3 || kPlanes == 4);
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  if constexpr (kPlanes == 4) _tile_zero(3);
  for (int q = 0; q < 4; ++q) {
    _tile_loadd(4, a + 1024 * q, 64);
    _tile_loadd(5, u.planes[0] + 1024 * q, 64);
    _tile_dpbssd(0, 4, 5);
    _tile_loadd(6, u.planes[1] + 1024 * q, 64);
    _tile_dpbssd(1, 4, 6);
    _tile_loadd(7, u.planes[2] + 1024 * q, 64);
    _tile_dpbssd(2, 4, 7);
    if constexpr (kPlanes == 4) {
      _tile_loadd(5, u.planes[3] + 1024 * q, 64);
      _tile_dpbssd(3, 4, 5);
    }
  }
  _tile_stored(0, c, 64);
  _tile_stored(1, c + 256, 64);
  _tile_stored(2, c + 512, 64);
  if constexpr (kPlanes == 4) _tile_stored(3, c + 768, 64);
}

// acc of one token after super-block u: c[256 k] is the token's row of plane k's C tile, block
// its Q8_K block. The integers are the AVX2 kernel's isum and imin; the float operations its.
template <TensorType kType>
inline __m512 Epilogue(const Tiled<kType>& u, const int32_t* c, const uint8_t* block, __m512 acc) {
  using Q = KQuant<kType>;
  __m512i isum = _mm512_load_si512(c);
  for (int k = 1; k < Q::kDigits; ++k) {
    isum = _mm512_add_epi32(isum, _mm512_slli_epi32(_mm512_load_si512(c + 256 * k), Q::kShift * k));
  }
  const __m512 da = _mm512_set1_ps(reinterpret_cast<const BlockQ8_K*>(block)->d);
  acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_mul_ps(_mm512_load_ps(u.d), da), acc);
  if constexpr (Q::kMins) {
    const __m512i imin = _mm512_load_si512(c + 256 * Q::kDigits);
    acc =
        _mm512_fnmadd_ps(_mm512_cvtepi32_ps(imin), _mm512_mul_ps(_mm512_load_ps(u.dmin), da), acc);
  }
  return acc;
}

// Super-blocks [b0, b0 + n) of a pair (us) times 16 tokens (rows act, act_row_bytes apart):
// out[t * y_stride + n'] for t < 16, n' < 16, continuing from out unless b0 == 0.
template <TensorType kType>
void RangeTimesTile(const Tiled<kType>* us, const int8_t* a, int64_t b0, int64_t n,
                    const uint8_t* act, uint64_t act_row_bytes, float* out, int64_t y_stride) {
  alignas(64) int32_t c[2][4 * kTileTokens * kPairRows];  // double-buffered by super-block
  __m512 acc[kTileTokens];
  for (int t = 0; t < kTileTokens; ++t) {
    acc[t] = b0 == 0 ? _mm512_setzero_ps() : _mm512_loadu_ps(out + t * y_stride);
  }
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* block = act + (b0 + i) * sizeof(BlockQ8_K);
    int32_t* cb = c[i & 1];
    SuperBlockProducts(us[i], a + 4096 * i, cb);
    for (int t = 0; t < kTileTokens; ++t) {
      acc[t] = Epilogue<kType>(us[i], cb + kPairRows * t, block + t * act_row_bytes, acc[t]);
    }
  }
  for (int t = 0; t < kTileTokens; ++t) _mm512_storeu_ps(out + t * y_stride, acc[t]);
}

// The qs of super-blocks [b0, b0 + n) of tokens [0, n_tokens) (a multiple of 16) copied into
// this thread's scratch as A tiles, 16 tokens x 64 bytes each, aligned and contiguous (a tile
// loaded straight from the Q8_K rows would touch 32 cache lines, its rows being unaligned):
// tile (16-token tile T, super-block b0 + i, values 64q ..) at 1024 * ((T * n + i) * 4 + q).
const int8_t* ActivationTiles(const PackedGemmArgs& g, int64_t b0, int64_t n, int64_t n_tokens) {
  struct alignas(64) Line {
    int8_t bytes[64];
  };
  static thread_local std::vector<Line> scratch;
  const auto needed = static_cast<size_t>(n_tokens * n * 4);  // 64-byte vectors
  if (scratch.size() < needed) scratch.resize(needed);
  Line* dst = scratch.data();
  for (int64_t t0 = 0; t0 < n_tokens; t0 += kTileTokens) {
    for (int64_t i = 0; i < n; ++i) {
      for (int q = 0; q < 4; ++q) {
        for (int t = 0; t < kTileTokens; ++t) {
          const uint8_t* qs = g.act_rows + (t0 + t) * g.act_row_bytes +
                              (b0 + i) * sizeof(BlockQ8_K) + kQsOffset + 64 * q;
          _mm512_store_si512((dst++)->bytes, _mm512_loadu_si512(qs));
        }
      }
    }
  }
  return reinterpret_cast<const int8_t*>(scratch.data());
}

// Super-blocks unpacked at a time: their B tiles (12-16 KB each) stay in L1 while every token
// tile of the call passes over them.
constexpr int64_t kRangeSuperBlocks = 2;

// g narrowed to groups [g0, g0 + n) and tokens [t0, t0 + n_tokens).
PackedGemmArgs Narrowed(const PackedGemmArgs& g, int64_t g0, int64_t n_groups, int64_t t0,
                        int64_t n_tokens) {
  PackedGemmArgs sub = g;
  sub.w = g.w + static_cast<uint64_t>(g0) * g.group_bytes;
  sub.n_groups = n_groups;
  sub.act_rows = g.act_rows + static_cast<uint64_t>(t0) * g.act_row_bytes;
  sub.n_tokens = n_tokens;
  sub.y = g.y + t0 * g.y_stride + g0 * pk::kRows;
  return sub;
}

template <TensorType kType>
void AmxGemm(const PackedGemmArgs& g) {
  const internal::PackedGemmFn fallback = internal::Avx2PackedKQuant(kType).gemm;
  const int64_t n_pairs = g.n_groups / 2;
  const int64_t full_tokens = g.n_tokens / kTileTokens * kTileTokens;
  if (n_pairs == 0 || full_tokens == 0) return fallback(g);
  const TileScope tile_scope(Config());
  alignas(64) static thread_local Tiled<kType> range[kRangeSuperBlocks];
  // Ranges outermost: the range's activations (512 tokens: 300 KB) stay in L2 for every pair.
  for (int64_t b0 = 0; b0 < g.n_blocks; b0 += kRangeSuperBlocks) {
    const int64_t n = std::min(kRangeSuperBlocks, g.n_blocks - b0);
    const int8_t* tiles = ActivationTiles(g, b0, n, full_tokens);
    for (int64_t p = 0; p < n_pairs; ++p) {
      const uint8_t* g0 = g.w + static_cast<uint64_t>(2 * p) * g.group_bytes;
      for (int64_t i = 0; i < n; ++i) {
        UnpackTiled<kType>(g0, g0 + g.group_bytes, g.n_blocks, b0 + i, range[i]);
      }
      asm volatile("" ::: "memory");  // the scratch is written before the tile loads read it
      for (int64_t t = 0; t < full_tokens; t += kTileTokens) {
        RangeTimesTile<kType>(range, tiles + t * n * 256, b0, n, g.act_rows + t * g.act_row_bytes,
                              g.act_row_bytes, g.y + t * g.y_stride + p * kPairRows, g.y_stride);
      }
    }
  }
  if (g.n_groups % 2 != 0) fallback(Narrowed(g, g.n_groups - 1, 1, 0, full_tokens));
  if (full_tokens < g.n_tokens) {
    fallback(Narrowed(g, 0, g.n_groups, full_tokens, g.n_tokens - full_tokens));
  }
}

}  // namespace
}  // namespace hearth::kernels::amx

namespace hearth::kernels::internal {

PackedGemmFn AmxPackedKQuantGemm(TensorType type) {
  switch (type) {
    case TensorType::kQ4_K:
      return amx::AmxGemm<TensorType::kQ4_K>;
    case TensorType::kQ5_K:
      return amx::AmxGemm<TensorType::kQ5_K>;
    case TensorType::kQ6_K:
      return amx::AmxGemm<TensorType::kQ6_K>;
    default:
      return nullptr;
  }
}

}  // namespace hearth::kernels::internal
