// Internal to src/kernels: cache blocking over row groups for the packed GEMMs
// (packed_legacy_avx2.cpp, packed_kquant_avx2.cpp).
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "kernels/kernel_registry.h"
#include "kernels/packed.h"

namespace hearth::kernels::internal {

// Weight bytes of the row groups that one pass over the token tiles covers: they stay in L2
// (512 KB per core on Zen 3, shared with the activations streaming past) while every tile of
// the call multiplies them, instead of being fetched from L3 again for each tile.
inline constexpr uint64_t kGroupBlockBytes = 384 * 1024;

// Calls fn(sub) for consecutive ranges of g's row groups, each at most kGroupBlockBytes of
// weights (but at least min_groups groups): sub is g narrowed to the range.
template <typename Fn>
void ForEachGroupBlock(const PackedGemmArgs& g, int64_t min_groups, Fn fn) {
  const int64_t per_block = std::max<int64_t>(
      min_groups, static_cast<int64_t>(kGroupBlockBytes / std::max<uint64_t>(1, g.group_bytes)));
  for (int64_t g0 = 0; g0 < g.n_groups; g0 += per_block) {
    PackedGemmArgs sub = g;
    sub.w = g.w + static_cast<uint64_t>(g0) * g.group_bytes;
    sub.n_groups = std::min(per_block, g.n_groups - g0);
    sub.y = g.y + g0 * kPackRows;
    fn(sub);
  }
}

// Batches of at most this many tokens (decode steps of several sequences) take each row group
// once through all their token tiles, broadcasting in place: the weights then stream from
// memory once, while their bytes are in L1, and expanding the activations does not pay. Over
// this, groups in L2-sized blocks and expanded tiles win (prompts). Measured on SmolLM2 Q4_1
// batches (2 threads): 8 tokens +15%, 16 +10%, 24 +6% over blocked/expanded; 32-48 even.
inline constexpr int64_t kSmallBatchTokens = 24;

// Vectors of this thread's scratch for a token tile's expanded (pre-broadcast) activations,
// shared by every packed GEMM (one buffer per thread, not one per kernel instantiation).
inline constexpr int64_t kExpansionVectors = 792;  // 24.75 KB: fits L1 beside the weights

inline __m256i* ExpansionScratch() {
  alignas(32) static thread_local __m256i scratch[kExpansionVectors];
  return scratch;
}

}  // namespace hearth::kernels::internal
