// The building blocks shared by the architectures: embedding lookup,
// self-attention over the KV cache, gated feed-forward. Architectures
// (llama.cpp, qwen2.cpp, gemma3.cpp) only choose which blocks to wire and how.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "core/tensor.h"
#include "core/thread_pool.h"
#include "kernels/ops.h"
#include "model/kv_cache.h"
#include "model/model_loader.h"

namespace hearth {

// Scratch activations for one Forward call, grown on demand and reused.
struct Workspace {
  std::vector<float> x;      // [n_tokens, n_embd] the residual stream
  std::vector<float> norm;   // [n_tokens, n_embd] normalized input of a block
  std::vector<float> out;    // [n_tokens, n_embd] a block's output
  std::vector<float> q;      // [n_tokens, n_head * head_dim]
  std::vector<float> k;      // [n_tokens, n_head_kv * head_dim]
  std::vector<float> v;      // [n_tokens, n_head_kv * head_dim]
  std::vector<float> attn;   // [n_tokens, n_head * head_dim]
  std::vector<float> gate;   // [n_tokens, n_ff]
  std::vector<float> up;     // [n_tokens, n_ff]
  std::vector<int32_t> pos;  // [n_tokens]

  // One parallel attention call per layer over every segment.
  std::vector<ops::AttentionSequence> attention;  // [n_segments]

  // RoPE tables of the current batch, one per distinct RopeParams (Gemma 3's
  // local and global layers rotate with different bases). Tables past
  // n_rope_tables are stale; StartBatch forgets them all.
  std::vector<std::pair<ops::RopeParams, ops::RopeTable>> rope_tables;
  size_t n_rope_tables = 0;

  // Call at the start of every batch (forgets the previous batch's tables).
  void StartBatch() { n_rope_tables = 0; }
  // The table of `params` at positions pos ([n_tokens], the same for every
  // call within one batch), built on first use.
  const ops::RopeTable& RopeTableFor(const ops::RopeParams& params, const int32_t* pos,
                                     int64_t n_tokens);
};

// One sequence's part of a batch: rows [first, first + n_tokens) of the
// batch, at positions pos0 .. pos0 + n_tokens - 1 of the sequence's own cache.
struct BatchSegment {
  int64_t first = 0;
  int64_t n_tokens = 0;
  int32_t pos0 = 0;
  F16KvCache* cache = nullptr;
};

// The tokens of one forward pass: one or more sequences (segments, in row
// order, covering every row). Matrix multiplications run over all rows;
// attention runs per segment over that segment's cache.
struct Batch {
  int64_t n_tokens = 0;
  const int32_t* pos = nullptr;  // [n_tokens] each row's position in its sequence
  std::span<const BatchSegment> segments;
};

// x: [n_tokens, n_embd] = rows `tokens` of table ([n_vocab, n_embd]).
// Precondition: every token is in range.
void Embed(const TensorView& table, std::span<const int32_t> tokens, float* x);

struct AttentionWeights {
  TensorView wq;              // [n_head * head_dim, n_embd]
  TensorView wk;              // [n_head_kv * head_dim, n_embd]
  TensorView wv;              // [n_head_kv * head_dim, n_embd]
  TensorView wo;              // [n_embd, n_head * head_dim]
  const float* bq = nullptr;  // optional biases, [n_head * head_dim] / [n_head_kv * head_dim]
  const float* bk = nullptr;
  const float* bv = nullptr;
  const float* q_norm = nullptr;  // optional per-head RMSNorm weights, [head_dim]
  const float* k_norm = nullptr;
};

struct AttentionConfig {
  ops::AttentionShape shape;
  ops::RopeParams rope;
  ops::AttentionParams attention;
  float q_scale = 1.0f;    // multiplies q after RoPE (before its fp16 rounding); 1: none
  float norm_eps = 1e-5f;  // for q_norm / k_norm
};

// out: [n_tokens, n_embd] = Wo . attention(q, cached k, v) for input `in`
// ([n_tokens, n_embd], already normalized). Appends each segment's K and V to
// its cache for `layer` at positions segment.pos0...; each segment attends
// only to its own cache.
void SelfAttention(const float* in, const AttentionWeights& w, const AttentionConfig& config,
                   const Batch& batch, int32_t layer, Workspace& ws, ThreadPool& pool, float* out);

struct FfnWeights {
  TensorView gate;  // [n_ff, n_embd]
  TensorView up;    // [n_ff, n_embd]
  TensorView down;  // [n_embd, n_ff]
};

enum class GatedActivation { kSilu, kGelu };

// out: [n_tokens, n_embd] = down(act(gate . in) * (up . in)).
void GatedFfn(const float* in, const FfnWeights& w, GatedActivation act, int64_t n_tokens,
              Workspace& ws, ThreadPool& pool, float* out);

// --- loading the blocks' weights (blk.N.* tensors, shapes checked) -----------

// attn_q/k/v/output of `layer`; biases and q/k norms when `with_bias` /
// `with_qk_norm` (required then; absent tensors are an error).
Result<AttentionWeights> LoadAttentionWeights(const TensorLoader& loader, const ModelSpec& spec,
                                              int32_t layer, bool with_bias, bool with_qk_norm);
// ffn_gate/up/down of `layer`.
Result<FfnWeights> LoadFfnWeights(const TensorLoader& loader, const ModelSpec& spec, int32_t layer);

}  // namespace hearth
