#include "model/kv_cache.h"

#include <algorithm>
#include <vector>

#include "kernels/ops.h"

namespace hearth {

Result<std::unique_ptr<F16KvCache>> F16KvCache::Create(const void* owner, int32_t n_layer,
                                                       int32_t n_ctx, int32_t n_head_kv,
                                                       int32_t head_dim) {
  if (n_layer <= 0 || n_ctx <= 0 || n_head_kv <= 0 || head_dim <= 0) {
    return InvalidArgumentError("KV cache: bad shape ({} layers, {} positions, {} heads, {} dims)",
                                n_layer, n_ctx, n_head_kv, head_dim);
  }
  std::unique_ptr<F16KvCache> cache(new F16KvCache());
  cache->owner_ = owner;
  cache->capacity_ = n_ctx;
  cache->n_head_kv_ = n_head_kv;
  cache->head_dim_ = head_dim;
  cache->v_stride_ = (static_cast<int64_t>(n_ctx) + 31) & ~int64_t{31};
  const size_t k_elems = static_cast<size_t>(n_ctx) * n_head_kv * head_dim;
  const size_t v_elems = static_cast<size_t>(cache->v_stride_) * n_head_kv * head_dim;
  for (int32_t layer = 0; layer < n_layer; ++layer) {
    // calloc: V rows are read in 8-position groups that may reach past the
    // filled positions (with weight 0), so every element must be a finite number.
    Buffer k(static_cast<uint16_t*>(std::calloc(k_elems, sizeof(uint16_t))));
    Buffer v(static_cast<uint16_t*>(std::calloc(v_elems, sizeof(uint16_t))));
    if (!k || !v) {
      return OutOfRangeError("KV cache: cannot allocate {} positions ({} MiB per layer)", n_ctx,
                             (k_elems + v_elems) * 2 >> 20);
    }
    cache->k_.push_back(std::move(k));
    cache->v_.push_back(std::move(v));
  }
  return cache;
}

void F16KvCache::Truncate(int32_t n) {
  if (n < size_) size_ = n < 0 ? 0 : n;
}

void F16KvCache::Store(int32_t layer, int32_t pos0, int64_t n_tokens, const float* k,
                       const float* v, ThreadPool& pool) {
  const int64_t row = static_cast<int64_t>(n_head_kv_) * head_dim_;
  uint16_t* k_dst = k_[layer].get() + static_cast<int64_t>(pos0) * row;
  uint16_t* v_dst = v_[layer].get() + pos0;  // V is transposed: positions innermost
  // Blocks of 64 channels: K's [n_tokens, 64] and V's transposed [64, n_tokens].
  constexpr int64_t kBlock = 64;
  const int64_t n_blocks = (row + kBlock - 1) / kBlock;
  const auto store = [&](int64_t first, int64_t end) {
    const int64_t c0 = first * kBlock;
    const int64_t c1 = std::min(row, end * kBlock);
    for (int64_t t = 0; t < n_tokens; ++t) {
      ops::FloatToHalfRow(k + t * row + c0, k_dst + t * row + c0, c1 - c0);
    }
    // [n_tokens, c1 - c0] of v (rows `row` apart) into V rows c0 .. c1.
    ops::TransposeToHalf(v + c0, n_tokens, c1 - c0, row, v_dst + c0 * v_stride_, v_stride_);
  };
  if (n_tokens * row < 16 * 1024 || pool.size() == 1) {
    store(0, n_blocks);
  } else {
    pool.ParallelFor(n_blocks, store);
  }
}

}  // namespace hearth
