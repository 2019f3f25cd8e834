// F16KvCache: the keys and values of past positions, stored as fp16 like
// llama.cpp's default cache (so attention sees the same rounded values).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "core/status.h"
#include "core/thread_pool.h"
#include "model/model.h"

namespace hearth {

class F16KvCache : public KvCache {
 public:
  // A cache of n_ctx positions for n_layer layers of n_head_kv heads of head_dim.
  // `owner` identifies the model that may use it. Memory is zero-filled lazily
  // by the OS, so a long context costs only what is written.
  static Result<std::unique_ptr<F16KvCache>> Create(const void* owner, int32_t n_layer,
                                                    int32_t n_ctx, int32_t n_head_kv,
                                                    int32_t head_dim);

  int32_t capacity() const override { return capacity_; }
  int32_t size() const override { return size_; }
  void Truncate(int32_t n) override;

  const void* owner() const { return owner_; }
  int32_t n_layer() const { return static_cast<int32_t>(k_.size()); }
  int32_t n_head_kv() const { return n_head_kv_; }
  int32_t head_dim() const { return head_dim_; }
  // Positions per row of the transposed V: capacity rounded up to 32 (the
  // attention dot products read whole groups of 8 or 32 positions).
  int64_t v_stride() const { return v_stride_; }

  // K of `layer`: [capacity, n_head_kv, head_dim]; V: [n_head_kv, head_dim, v_stride].
  const uint16_t* k(int32_t layer) const { return k_[layer].get(); }
  const uint16_t* v(int32_t layer) const { return v_[layer].get(); }

  // Writes rows for positions pos0 .. pos0+n_tokens-1 of one layer, rounding to fp16.
  // k, v: [n_tokens, n_head_kv * head_dim]. Precondition: pos0 + n_tokens <= capacity.
  // The work is split among `pool`'s threads when the batch is large enough.
  void Store(int32_t layer, int32_t pos0, int64_t n_tokens, const float* k, const float* v,
             ThreadPool& pool);
  // Marks positions < n as filled. Precondition: n <= capacity.
  void SetSize(int32_t n) { size_ = n; }

 private:
  struct FreeDeleter {
    void operator()(uint16_t* p) const { std::free(p); }
  };
  using Buffer = std::unique_ptr<uint16_t, FreeDeleter>;

  F16KvCache() = default;

  const void* owner_ = nullptr;
  int32_t capacity_ = 0;
  int32_t size_ = 0;
  int32_t n_head_kv_ = 0;
  int32_t head_dim_ = 0;
  int64_t v_stride_ = 0;
  std::vector<Buffer> k_;
  std::vector<Buffer> v_;
};

}  // namespace hearth
