// Reading a model's hyper-parameters and weights from GGUF, with checks.
//
// Every hyper-parameter comes from "{arch}.*" metadata; errors name the key.
// Every tensor is looked up by its GGUF name and its shape is checked against
// the hyper-parameters, so an inconsistent file fails at load, not mid-forward.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/gguf.h"
#include "core/status.h"
#include "core/tensor.h"
#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "model/model.h"

namespace hearth {

// ModelSpec plus what the forward pass needs beyond it.
struct HParams {
  ModelSpec spec;
  int32_t n_rot = 0;                   // {arch}.rope.dimension_count (default head_dim)
  float rope_freq_scale = 1.0f;        // 1 / {arch}.rope.scaling.factor for linear scaling
  int32_t sliding_window = 0;          // {arch}.attention.sliding_window (0: none)
  int32_t sliding_window_pattern = 0;  // layer i slides iff i % n < n - 1 (0: not given)
  std::vector<bool> swa_layers;        // per-layer flags when the pattern is an array
  float rope_freq_base_swa = 0.0f;     // RoPE base of sliding-window layers
  float attn_softcap = 0.0f;           // {arch}.attn_logit_softcapping (0: none)
  float final_softcap = 0.0f;          // {arch}.final_logit_softcapping (0: none)
  float query_pre_attn_scalar = 0.0f;  // {arch}.attention.query_pre_attn_scalar (0: absent)
  float attention_scale = 0.0f;  // {arch}.attention.scale: replaces 1/sqrt(head_dim) (0: absent)
};

// Reads the metadata shared by all supported architectures ("{arch}.block_count", ...).
Result<HParams> ReadHParams(const GgufFile& file, std::string_view arch);

// Repacks a model's weights at load into the interleaved layout of the packed kernels
// (kernels/packed.h) and owns the packed copies: it must outlive every view it returns.
// After a weight is packed, its pages of a mapped GGUF file are released (they are read
// back from the file only if something reads the row-major bytes again), so the copy
// replaces the original in memory instead of doubling it.
class WeightPacker {
 public:
  // Packs for `isa` on `pool`; `file` is the file the weights are views of.
  WeightPacker(const GgufFile& file, ThreadPool& pool, kernels::Isa isa)
      : file_(file), pool_(pool), isa_(isa) {}

  // w packed when the ISA has packed kernels for its type and shape, else w itself.
  TensorView Pack(const TensorView& w);

  // Whether packing is wanted: ModelOptions::pack_weights, unless the environment says
  // HEARTH_PACK=0 (for A/B measurements against the row-major kernels).
  static bool Enabled(const ModelOptions& options);

 private:
  struct FreeAligned {
    void operator()(void* p) const;
  };
  const GgufFile& file_;
  ThreadPool& pool_;
  kernels::Isa isa_;
  std::vector<std::unique_ptr<void, FreeAligned>> buffers_;
};

// Looks up tensors of one file and checks their shapes (ggml order: ne[0] first).
class TensorLoader {
 public:
  // With a packer, Weight() returns packed views (when the weight can be packed).
  explicit TensorLoader(const GgufFile& file, WeightPacker* packer = nullptr)
      : file_(file), packer_(packer) {}

  // A weight usable by kernels::MatMul / GetRow with exactly `shape`.
  Result<TensorView> Weight(std::string_view name, std::initializer_list<int64_t> shape) const;
  // The same, or nullopt when the file has no such tensor.
  Result<std::optional<TensorView>> OptionalWeight(std::string_view name,
                                                   std::initializer_list<int64_t> shape) const;
  // An F32 vector of n elements (norm weights, biases).
  Result<const float*> Vector(std::string_view name, int64_t n) const;
  Result<const float*> OptionalVector(std::string_view name, int64_t n) const;  // nullptr if absent

 private:
  Result<TensorView> Check(const GgufTensorInfo& info, std::initializer_list<int64_t> shape) const;
  const GgufFile& file_;
  WeightPacker* packer_;
};

// "blk.3.attn_q.weight"
std::string LayerTensorName(int32_t layer, std::string_view what);

}  // namespace hearth
