// AMX GEMMs over packed legacy row groups (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0; layout in
// packed_legacy.h) for prompt batches.
//
// Work unit: a pair of row groups (16 rows) times a tile of 16 tokens, over every block. For
// the pair, each block's values are first written once as signed bytes in the B-tile layout
// (8 rows of 64 bytes: row c = chunk c of the first group, then of the second; a chunk is values
// 4c .. 4c+3 of each of a group's 8 rows, which is how the packed layout already stores them),
// with the offsets applied (Q4_0's q - 8, Q5_0's q - 16), so that a block's integer dot product
// is one TDPBSSD of the tokens' 32 activation bytes (an A tile read straight from the
// block-major activations: 16 consecutive tokens of block b are 16 consecutive 32-byte rows)
// against the block's B tile. The C tile (16 tokens x 16 rows of int32, exact) is stored and
// the f32 epilogue runs in AVX-512 with the tile's 16 accumulators (one zmm of 16 rows per
// token) kept in registers across the blocks:
//   acc = fma(float(isum), d_w * d_a, acc)          [Q4_1, Q5_1: then acc = fma(m_w, s_a, acc)]
// isum is the integer the AVX2 kernels compute (sum q a - kOffset * sum a = sum (q - kOffset) a),
// and these are their f32 operations per output in the same order, so the result equals the AVX2
// packed GEMM bit for bit whatever the batch or the thread split (packed.h's contract).
//
// Four blocks' products are in flight (C tiles 4-7; PairTimesTile has the pipeline). The pair's
// unpacked values (n_blocks * 512 bytes: 9 KB for 576 columns, 88 KB for 5632) stay in L2 across
// the token tiles. A token tail (n_tokens % 16) runs
// from a zero-padded copy of its activations; batches under 16 tokens (decode steps) and an odd
// last row group take the AVX2 kernels.
// GCC 12 reports -Wmaybe-uninitialized inside its own AVX-512 intrinsics (they start from
// _mm512_undefined_*() on purpose): a known false positive, silenced as in quant_avx512.cpp.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "kernels/amx_tiles.h"
#include "kernels/kernel_registry.h"
#include "kernels/packed.h"
#include "kernels/packed_legacy.h"
#include "kernels/quant_blocks.h"

namespace hearth::kernels::amx {
namespace {

using internal::GemmActivations;
using internal::LegacySections;
using internal::PackedGemmArgs;

constexpr int kTileTokens = 16;
constexpr int kPairRows = 2 * kPackRows;     // one C tile row: 16 int32
constexpr int64_t kPairBlockBytes = 8 * 64;  // one block of a group pair as a B tile
constexpr int kChunkBytes = 4 * kPackRows;   // one chunk of a group: 32 bytes

// Tiles 0-1: A (16 tokens x 32 bytes); 2-3: B (8 x 64 bytes); 4-7: C (16 tokens x 16 int32).
const TileConfig& LegacyTileConfig() {
  static const TileConfig config = [] {
    TileConfig c;
    for (int i : {0, 1}) SetTile(c, i, kTileTokens, kQk);
    for (int i : {2, 3}) SetTile(c, i, kQk / 4, 64);
    for (int i : {4, 5, 6, 7}) SetTile(c, i, kTileTokens, 64);
    return c;
  }();
  return config;
}

// --- unpacking one group's block into B-tile rows (out: row c at out + 64 c) ---------------

inline __m256i Load32(const uint8_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}
inline void Store32(uint8_t* p, __m256i v) {
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v);
}

// Chunk i's fifth bits (bit i of each byte of the qh vector) at bit 4 of each byte.
inline __m256i FifthBits(__m256i bits, int chunk) {
  const __m256i moved = chunk <= 4 ? _mm256_sll_epi32(bits, _mm_cvtsi32_si128(4 - chunk))
                                   : _mm256_srl_epi32(bits, _mm_cvtsi32_si128(chunk - 4));
  return _mm256_and_si256(moved, _mm256_set1_epi8(0x10));
}

// The 4- and 5-bit types: load k's low nibbles are chunk k, its high nibbles chunk k + 4.
template <int kBits, int kOffset>
void UnpackSmallBlock(const uint8_t* group, const LegacySections& s, int64_t b, uint8_t* out) {
  const uint8_t* qs = group + s.qs + b * 128;
  const __m256i mask = _mm256_set1_epi8(0x0F);
  const __m256i offset = _mm256_set1_epi8(static_cast<char>(kOffset));
  __m256i bits = _mm256_setzero_si256();
  if constexpr (kBits == 5) bits = Load32(group + s.qh + b * 32);
  for (int k = 0; k < 4; ++k) {
    const __m256i v = Load32(qs + 32 * k);
    __m256i lo = _mm256_and_si256(v, mask);
    __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), mask);
    if constexpr (kBits == 5) {
      lo = _mm256_or_si256(lo, FifthBits(bits, k));
      hi = _mm256_or_si256(hi, FifthBits(bits, k + 4));
    }
    Store32(out + 64 * k, _mm256_sub_epi8(lo, offset));
    Store32(out + 64 * (k + 4), _mm256_sub_epi8(hi, offset));
  }
}

void UnpackQ8Block(const uint8_t* group, const LegacySections& s, int64_t b, uint8_t* out) {
  const uint8_t* qs = group + s.qs + b * 256;
  for (int c = 0; c < 8; ++c) Store32(out + 64 * c, Load32(qs + 32 * c));
}

// The weight types: UnpackBlock writes one group's block as signed (q - offset) bytes.
struct Q4_0T {
  static constexpr TensorType kType = TensorType::kQ4_0;
  static constexpr bool kHasMin = false;
  static constexpr auto UnpackBlock = UnpackSmallBlock<4, 8>;
};
struct Q4_1T {
  static constexpr TensorType kType = TensorType::kQ4_1;
  static constexpr bool kHasMin = true;
  static constexpr auto UnpackBlock = UnpackSmallBlock<4, 0>;
};
struct Q5_0T {
  static constexpr TensorType kType = TensorType::kQ5_0;
  static constexpr bool kHasMin = false;
  static constexpr auto UnpackBlock = UnpackSmallBlock<5, 16>;
};
struct Q5_1T {
  static constexpr TensorType kType = TensorType::kQ5_1;
  static constexpr bool kHasMin = true;
  static constexpr auto UnpackBlock = UnpackSmallBlock<5, 0>;
};
struct Q8_0T {
  static constexpr TensorType kType = TensorType::kQ8_0;
  static constexpr bool kHasMin = false;
  static constexpr auto UnpackBlock = UnpackQ8Block;
};

// Both groups of a pair, every block, into the B-tile layout at out (n_blocks * 512 bytes).
template <typename T>
void UnpackPair(const uint8_t* group0, const uint8_t* group1, const LegacySections& s,
                int64_t n_blocks, uint8_t* out) {
  for (int64_t b = 0; b < n_blocks; ++b) {
    T::UnpackBlock(group0, s, b, out + b * kPairBlockBytes);
    T::UnpackBlock(group1, s, b, out + b * kPairBlockBytes + kChunkBytes);
  }
}

// --- activations of a token tile -------------------------------------------------------------

// 16 tokens' activations, block-major: block b's 16 rows of 32 bytes at qs + b * qs_stride,
// their d (and s) at d + b * f_stride.
struct TokenTile {
  const int8_t* qs = nullptr;
  int64_t qs_stride = 0;  // bytes
  const float* d = nullptr;
  const float* s = nullptr;
  int64_t f_stride = 0;  // floats
};

TokenTile TileOf(const GemmActivations& act, int64_t t0) {
  return {act.qs + t0 * kQk, act.n_tokens * kQk, act.d + t0,
          act.s == nullptr ? nullptr : act.s + t0, act.n_tokens};
}

// The last n < 16 tokens from t0, zero-padded to 16, in `storage`.
struct PaddedTail {
  std::vector<int8_t> qs;
  std::vector<float> d, s;
  TokenTile tile;
};

void MakePaddedTail(const GemmActivations& act, int64_t t0, int64_t n, PaddedTail& tail) {
  const int64_t nb = act.n_blocks;
  tail.qs.assign(static_cast<size_t>(nb * kTileTokens * kQk), 0);
  tail.d.assign(static_cast<size_t>(nb * kTileTokens), 0.0f);
  tail.s.assign(static_cast<size_t>(nb * kTileTokens), 0.0f);
  for (int64_t b = 0; b < nb; ++b) {
    const int64_t src = b * act.n_tokens + t0;
    std::memcpy(tail.qs.data() + b * kTileTokens * kQk, act.qs + src * kQk,
                static_cast<size_t>(n * kQk));
    std::memcpy(tail.d.data() + b * kTileTokens, act.d + src, static_cast<size_t>(n) * 4);
    if (act.s != nullptr) {
      std::memcpy(tail.s.data() + b * kTileTokens, act.s + src, static_cast<size_t>(n) * 4);
    }
  }
  tail.tile = {tail.qs.data(), kTileTokens * kQk, tail.d.data(), tail.s.data(), kTileTokens};
}

// --- the tile product ------------------------------------------------------------------------

// The 16 fp16 per-row values of block b of both groups (section `offset`) as floats.
inline __m512 PairHalves(const uint8_t* group0, const uint8_t* group1, uint64_t offset, int64_t b) {
  const __m128i h0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(group0 + offset + b * 16));
  const __m128i h1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(group1 + offset + b * 16));
  return _mm512_cvtph_ps(_mm256_set_m128i(h1, h0));
}

// acc[t] takes block b's terms, its integers in c (16 rows of 16 int32, token t in row t).
template <typename T>
inline void Epilogue(const int32_t* c, const uint8_t* group0, const uint8_t* group1,
                     const LegacySections& s, int64_t b, const TokenTile& tile, __m512 (&acc)[16]) {
  const __m512 dw = PairHalves(group0, group1, s.d, b);
  const float* da = tile.d + b * tile.f_stride;
#pragma GCC unroll 16
  for (int t = 0; t < kTileTokens; ++t) {
    const __m512 isum = _mm512_cvtepi32_ps(_mm512_load_si512(c + kPairRows * t));
    acc[t] = _mm512_fmadd_ps(isum, _mm512_mul_ps(dw, _mm512_set1_ps(da[t])), acc[t]);
  }
  if constexpr (T::kHasMin) {
    const __m512 mw = PairHalves(group0, group1, s.m, b);
    const float* sa = tile.s + b * tile.f_stride;
#pragma GCC unroll 16
    for (int t = 0; t < kTileTokens; ++t) {
      acc[t] = _mm512_fmadd_ps(mw, _mm512_set1_ps(sa[t]), acc[t]);
    }
  }
}

// Block b's tile product into C tile kC (tiles 4 + kC; A and B alternate between tiles 0/1 and
// 2/3). Tile numbers are literals: GCC's tile intrinsics paste them into the instruction.
#define HEARTH_AMX_PRODUCT(tile_a, tile_b, tile_c)           \
  do {                                                       \
    _tile_loadd(tile_a, tile.qs + b * tile.qs_stride, kQk);  \
    _tile_loadd(tile_b, unpacked + b * kPairBlockBytes, 64); \
    _tile_zero(tile_c);                                      \
    _tile_dpbssd(tile_c, tile_a, tile_b);                    \
  } while (false)

template <int kC>
inline void IssueProduct(const uint8_t* unpacked, const TokenTile& tile, int64_t b) {
  if constexpr (kC == 0) HEARTH_AMX_PRODUCT(0, 2, 4);
  if constexpr (kC == 1) HEARTH_AMX_PRODUCT(1, 3, 5);
  if constexpr (kC == 2) HEARTH_AMX_PRODUCT(0, 2, 6);
  if constexpr (kC == 3) HEARTH_AMX_PRODUCT(1, 3, 7);
}
#undef HEARTH_AMX_PRODUCT

// C tile kC (16 tokens x 16 rows of int32) to c.
template <int kC>
inline void StoreProduct(int32_t* c) {
  if constexpr (kC == 0) _tile_stored(4, c, 64);
  if constexpr (kC == 1) _tile_stored(5, c, 64);
  if constexpr (kC == 2) _tile_stored(6, c, 64);
  if constexpr (kC == 3) _tile_stored(7, c, 64);
}

// Products in flight ahead of the block being stored: the tile unit runs its instructions in
// order, and a tile store waits for its product (tens of cycles of latency), so the store of
// block b comes after the products of b + 1 .. b + 3 are queued.
constexpr int64_t kLookahead = 3;

// y[t * y_stride + r] for r < 16 (both groups' rows), t < n_valid: the pair times the tile.
//
// Software-pipelined over the blocks: step b stores block b's C tile (its product was issued
// kLookahead steps earlier), issues block b + kLookahead's product, and runs block b - 1's
// epilogue from the buffer stored a step earlier (lines just written by a tile store are not
// forwarded to loads: reading them at once would stall until the store completes).
template <typename T>
void PairTimesTile(const uint8_t* unpacked, const uint8_t* group0, const uint8_t* group1,
                   const LegacySections& s, int64_t n_blocks, const TokenTile& tile, float* y,
                   int64_t y_stride, int64_t n_valid) {
  alignas(64) int32_t c[2][kTileTokens * kPairRows];
  // acc stays in registers only if every index is a constant: loops over it are unrolled.
  __m512 acc[16];
#pragma GCC unroll 16
  for (int t = 0; t < kTileTokens; ++t) acc[t] = _mm512_setzero_ps();
  const auto step = [&]<int kC>(int64_t b) {
    StoreProduct<kC>(c[b % 2]);
    if (b + kLookahead < n_blocks) {
      IssueProduct<(kC + kLookahead) % 4>(unpacked, tile, b + kLookahead);
    }
    if (b > 0) Epilogue<T>(c[(b - 1) % 2], group0, group1, s, b - 1, tile, acc);
  };
  IssueProduct<0>(unpacked, tile, 0);
  if (n_blocks > 1) IssueProduct<1>(unpacked, tile, 1);
  if (n_blocks > 2) IssueProduct<2>(unpacked, tile, 2);
  static_assert(kLookahead == 3);
  for (int64_t b = 0; b < n_blocks; b += 4) {
    step.template operator()<0>(b);
    if (b + 1 < n_blocks) step.template operator()<1>(b + 1);
    if (b + 2 < n_blocks) step.template operator()<2>(b + 2);
    if (b + 3 < n_blocks) step.template operator()<3>(b + 3);
  }
  Epilogue<T>(c[(n_blocks - 1) % 2], group0, group1, s, n_blocks - 1, tile, acc);
#pragma GCC unroll 16
  for (int t = 0; t < kTileTokens; ++t) {
    if (t < n_valid) _mm512_storeu_ps(y + t * y_stride, acc[t]);
  }
}

// This thread's buffer for a group pair's unpacked blocks.
uint8_t* UnpackScratch(int64_t bytes) {
  thread_local std::vector<uint8_t> scratch;
  if (static_cast<int64_t>(scratch.size()) < bytes) scratch.resize(static_cast<size_t>(bytes));
  return scratch.data();
}

template <typename T>
void PackedGemm(const PackedGemmArgs& g) {
  const internal::PackedGemmFn avx2_gemm = internal::Avx2PackedLegacy(T::kType).gemm;
  if (g.n_tokens < kTileTokens) {
    avx2_gemm(g);
    return;
  }
  ConfigureTiles(LegacyTileConfig());
  const GemmActivations& act = *g.act;
  const LegacySections s = internal::LegacySectionsOf(T::kType, g.n_blocks);
  const int64_t full_tokens = g.n_tokens / kTileTokens * kTileTokens;
  thread_local PaddedTail tail;
  if (full_tokens < g.n_tokens) MakePaddedTail(act, full_tokens, g.n_tokens - full_tokens, tail);
  uint8_t* unpacked = UnpackScratch(g.n_blocks * kPairBlockBytes);
  int64_t group = 0;
  for (; group + 1 < g.n_groups; group += 2) {
    const uint8_t* group0 = g.w + static_cast<uint64_t>(group) * g.group_bytes;
    const uint8_t* group1 = group0 + g.group_bytes;
    UnpackPair<T>(group0, group1, s, g.n_blocks, unpacked);
    float* y = g.y + group * kPackRows;
    for (int64_t t0 = 0; t0 < full_tokens; t0 += kTileTokens) {
      PairTimesTile<T>(unpacked, group0, group1, s, g.n_blocks, TileOf(act, t0),
                       y + t0 * g.y_stride, g.y_stride, kTileTokens);
    }
    if (full_tokens < g.n_tokens) {
      PairTimesTile<T>(unpacked, group0, group1, s, g.n_blocks, tail.tile,
                       y + full_tokens * g.y_stride, g.y_stride, g.n_tokens - full_tokens);
    }
  }
  if (group < g.n_groups) {  // an odd last group
    PackedGemmArgs last = g;
    last.w = g.w + static_cast<uint64_t>(group) * g.group_bytes;
    last.n_groups = 1;
    last.y = g.y + group * kPackRows;
    avx2_gemm(last);
  }
}

}  // namespace
}  // namespace hearth::kernels::amx

namespace hearth::kernels::internal {

PackedGemmFn AmxPackedLegacyGemm(TensorType type) {
  switch (type) {
    case TensorType::kQ4_0:
      return amx::PackedGemm<amx::Q4_0T>;
    case TensorType::kQ4_1:
      return amx::PackedGemm<amx::Q4_1T>;
    case TensorType::kQ5_0:
      return amx::PackedGemm<amx::Q5_0T>;
    case TensorType::kQ5_1:
      return amx::PackedGemm<amx::Q5_1T>;
    case TensorType::kQ8_0:
      return amx::PackedGemm<amx::Q8_0T>;
    default:
      return nullptr;
  }
}

}  // namespace hearth::kernels::internal
