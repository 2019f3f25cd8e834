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
// Four blocks' products are in flight (C tiles 4-7; PairTimesTiles has the pipeline). The pair's
// unpacked values (n_blocks * 512 bytes: 9 KB for 576 columns, 88 KB for 5632) stay in L2 across
// the token tiles. The activations come tile-major (GemmActivations::tiled_qs, built once per
// MatMul), a token tail (n_tokens % 16) zero-padded; an odd last row group is paired with
// itself. Batches under 16 tokens (decode steps) take the AVX2 kernel.
// clang-format off (before every other include: it silences a GCC false positive in them)
#include "kernels/avx512_gcc_warnings.h"
// clang-format on

#include <immintrin.h>

#include <algorithm>
#include <vector>

#include "kernels/amx_tiles.h"
#include "kernels/kernel_registry.h"
#include "kernels/packed.h"
#include "kernels/packed_legacy.h"
#include "kernels/quant_blocks.h"
#include "kernels/simd_avx2.h"
#include "kernels/simd_pairs_avx512.h"

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

inline void Store32(uint8_t* p, __m256i v) {
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v);
}

// Chunk i's fifth bits (bit i of each byte of the qh vector) at bit 4 of each byte (a shift
// moves no bit onto bit 4 of a neighbouring byte).
inline __m256i FifthBits(__m256i bits, int chunk) {
  return _mm256_and_si256(avx2::ShiftLeftBits(bits, 4 - chunk), avx2::Mask8(0x10));
}

// The 4- and 5-bit types: load k's low nibbles are chunk k, its high nibbles chunk k + 4.
template <int kBits, int kOffset>
void UnpackSmallBlock(const uint8_t* group, const LegacySections& s, int64_t b, uint8_t* out) {
  const uint8_t* qs = group + s.qs + b * 128;
  const __m256i mask = avx2::Mask8(0x0F);
  const __m256i offset = _mm256_set1_epi8(static_cast<char>(kOffset));
  __m256i bits = _mm256_setzero_si256();
  if constexpr (kBits == 5) bits = avx2::LoadU(group + s.qh + b * 32);
  for (int k = 0; k < 4; ++k) {
    const __m256i v = avx2::LoadU(qs + 32 * k);
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
  for (int c = 0; c < 8; ++c) Store32(out + 64 * c, avx2::LoadU(qs + 32 * c));
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

// The activations tile-major (GemmActivations::tiled_qs): token tiles of 16, each tile's blocks
// one after the other, so that the products of a pair read them as one sequential stream (the
// block-major layout puts a tile's consecutive blocks n_tokens * 32 bytes apart, which the
// hardware prefetchers do not follow, and the tile unit waits for each tile load). Step i of
// the (tile, block) sequence has its 16 x 32 bytes at qs + 512 i and its d (s) at d + 16 i; the
// last tile is zero-padded.
struct TiledActivations {
  const int8_t* qs = nullptr;
  const float* d = nullptr;
  const float* s = nullptr;
  int64_t n_tiles = 0;
};

// The tile-major view of act (MatMul builds the copy once per product, for every batch of at
// least 16 tokens: PackedTypeKernels::gemm_reads_tiles).
TiledActivations TilesOf(const GemmActivations& act) {
  static_assert(internal::kActivationTileTokens == kTileTokens);
  return {act.tiled_qs, act.tiled_d, act.tiled_s, (act.n_tokens + kTileTokens - 1) / kTileTokens};
}

// --- the tile product ------------------------------------------------------------------------

// acc[t] takes block b's terms: its integers in c (16 rows of 16 int32, token t in row t), the
// tokens' scales at da (and sa).
template <typename T>
[[gnu::always_inline]] inline void Epilogue(const int32_t* c, const uint8_t* group0,
                                            const uint8_t* group1, const LegacySections& s,
                                            int64_t b, const float* da, const float* sa,
                                            __m512 (&acc)[16]) {
  const __m512 dw = avx512::LoadHalvesPair(group0 + s.d + b * 16, group1 + s.d + b * 16);
#pragma GCC unroll 16
  for (int t = 0; t < kTileTokens; ++t) {
    const __m512 isum = _mm512_cvtepi32_ps(_mm512_load_si512(c + kPairRows * t));
    acc[t] = _mm512_fmadd_ps(isum, _mm512_mul_ps(dw, _mm512_set1_ps(da[t])), acc[t]);
  }
  if constexpr (T::kHasMin) {
    const __m512 mw = avx512::LoadHalvesPair(group0 + s.m + b * 16, group1 + s.m + b * 16);
#pragma GCC unroll 16
    for (int t = 0; t < kTileTokens; ++t) {
      acc[t] = _mm512_fmadd_ps(mw, _mm512_set1_ps(sa[t]), acc[t]);
    }
  }
}

// Step i's tile product into C tile kC (tiles 4 + kC; A and B alternate between tiles 0/1 and
// 2/3): the tokens' block (a) times the pair's unpacked block (w). Tile numbers are literals:
// GCC's tile intrinsics paste them into the instruction.
#define HEARTH_AMX_PRODUCT(tile_a, tile_b, tile_c) \
  do {                                             \
    _tile_loadd(tile_a, a, kQk);                   \
    _tile_loadd(tile_b, w, 64);                    \
    _tile_zero(tile_c);                            \
    _tile_dpbssd(tile_c, tile_a, tile_b);          \
  } while (false)

template <int kC>
[[gnu::always_inline]] inline void IssueProduct(const int8_t* a, const uint8_t* w) {
  if constexpr (kC == 0) HEARTH_AMX_PRODUCT(0, 2, 4);
  if constexpr (kC == 1) HEARTH_AMX_PRODUCT(1, 3, 5);
  if constexpr (kC == 2) HEARTH_AMX_PRODUCT(0, 2, 6);
  if constexpr (kC == 3) HEARTH_AMX_PRODUCT(1, 3, 7);
}
#undef HEARTH_AMX_PRODUCT

// C tile kC (16 tokens x 16 rows of int32) to c.
template <int kC>
[[gnu::always_inline]] inline void StoreProduct(int32_t* c) {
  if constexpr (kC == 0) _tile_stored(4, c, 64);
  if constexpr (kC == 1) _tile_stored(5, c, 64);
  if constexpr (kC == 2) _tile_stored(6, c, 64);
  if constexpr (kC == 3) _tile_stored(7, c, 64);
}

// Products in flight ahead of the one being stored: the tile unit runs its instructions in
// order, and a tile store waits for its product (tens of cycles of latency), so the store of
// product i comes after the products i + 1 .. i + 3 are queued.
constexpr int64_t kLookahead = 3;

// The pair times every token tile: y[t * y_stride + r] for r < 16 (both groups' rows) and
// t < n_tokens.
//
// One software pipeline over all the (tile, block) products of the pair, so it never drains
// between tiles: step i stores product i's C tile (issued kLookahead steps earlier), issues
// product i + kLookahead, and runs product i - 1's epilogue from the buffer stored a step earlier
// (lines just written by a tile store are not forwarded to loads: reading them at once would
// stall until the store completes). The epilogue of a tile's last block stores its 16
// accumulators and clears them for the next tile.
template <typename T>
void PairTimesTiles(const uint8_t* unpacked, const uint8_t* group0, const uint8_t* group1,
                    const LegacySections& s, int64_t n_blocks, const TiledActivations& act,
                    int64_t n_tokens, __mmask16 rows_out, float* y, int64_t y_stride) {
  const int64_t n_steps = n_blocks * act.n_tiles;
  alignas(64) int32_t c[2][kTileTokens * kPairRows];
  // acc stays in registers only if every index is a constant: loops over it are unrolled.
  __m512 acc[16];
#pragma GCC unroll 16
  for (int t = 0; t < kTileTokens; ++t) acc[t] = _mm512_setzero_ps();
  int64_t issued_block = 0;    // block of product i + kLookahead
  int64_t finished_block = 0;  // block of product i - 1
  const auto issue = [&]<int kC>(int64_t i) __attribute__((always_inline)) {
    IssueProduct<kC>(act.qs + i * kTileTokens * kQk, unpacked + issued_block * kPairBlockBytes);
    if (++issued_block == n_blocks) issued_block = 0;
  };
  // acc is passed, not captured: a closure holding its address keeps it out of registers.
  const auto finish = [&](int64_t i, const int32_t* product, __m512(&acc)[16])
      __attribute__((always_inline)) {
    Epilogue<T>(product, group0, group1, s, finished_block, act.d + i * kTileTokens,
                act.s + i * kTileTokens, acc);
    if (++finished_block < n_blocks) return;
    finished_block = 0;
    const int64_t t0 = i / n_blocks * kTileTokens;
    float* out = y + t0 * y_stride;
#pragma GCC unroll 16
    for (int t = 0; t < kTileTokens; ++t) {
      if (t0 + t < n_tokens) _mm512_mask_storeu_ps(out + t * y_stride, rows_out, acc[t]);
      acc[t] = _mm512_setzero_ps();
    }
  };
  const auto step = [&]<int kC>(int64_t i, __m512(&acc)[16]) __attribute__((always_inline)) {
    if (i + kLookahead < n_steps) issue.template operator()<(kC + kLookahead) % 4>(i + kLookahead);
    StoreProduct<kC>(c[i % 2]);
    if (i > 0) finish(i - 1, c[(i - 1) % 2], acc);
  };
  static_assert(kLookahead == 3);
  issue.template operator()<0>(0);
  if (n_steps > 1) issue.template operator()<1>(1);
  if (n_steps > 2) issue.template operator()<2>(2);
  for (int64_t i = 0; i < n_steps; i += 4) {
    step.template operator()<0>(i, acc);
    if (i + 1 < n_steps) step.template operator()<1>(i + 1, acc);
    if (i + 2 < n_steps) step.template operator()<2>(i + 2, acc);
    if (i + 3 < n_steps) step.template operator()<3>(i + 3, acc);
  }
  finish(n_steps - 1, c[(n_steps - 1) % 2], acc);
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
  // Decode steps, short batches, and activations without their tile-major copy (a caller
  // other than MatMul) take the AVX2 GEMM: the same results, more slowly.
  if (g.n_tokens < kTileTokens || g.act->tiled_qs == nullptr) {
    avx2_gemm(g);
    return;
  }
  const TileScope tile_scope(LegacyTileConfig());
  const GemmActivations& act = *g.act;
  const LegacySections s = internal::LegacySectionsOf(T::kType, g.n_blocks);
  const TiledActivations tiled = TilesOf(act);
  uint8_t* unpacked = UnpackScratch(g.n_blocks * kPairBlockBytes);
  for (int64_t group = 0; group < g.n_groups; group += 2) {
    const uint8_t* group0 = g.w + static_cast<uint64_t>(group) * g.group_bytes;
    // An odd last group is multiplied as a pair with itself, and only its 8 rows are stored.
    const bool pair = group + 1 < g.n_groups;
    const uint8_t* group1 = pair ? group0 + g.group_bytes : group0;
    UnpackPair<T>(group0, group1, s, g.n_blocks, unpacked);
    PairTimesTiles<T>(unpacked, group0, group1, s, g.n_blocks, tiled, g.n_tokens,
                      pair ? 0xFFFF : 0x00FF, g.y + group * kPackRows, g.y_stride);
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
