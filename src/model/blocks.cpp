#include "model/blocks.h"

#include "core/profile.h"
#include "kernels/matmul.h"

namespace hearth {
namespace {

void Grow(std::vector<float>& buffer, int64_t n) {
  if (static_cast<int64_t>(buffer.size()) < n) buffer.resize(n);
}

bool SameRotation(const ops::RopeParams& a, const ops::RopeParams& b) {
  return a.n_dims == b.n_dims && a.freq_base == b.freq_base && a.freq_scale == b.freq_scale &&
         a.freq_factors == b.freq_factors;
}

}  // namespace

const ops::RopeTable& Workspace::RopeTableFor(const ops::RopeParams& params, const int32_t* pos,
                                              int64_t n_tokens) {
  for (size_t i = 0; i < n_rope_tables; ++i) {
    if (SameRotation(rope_tables[i].first, params)) return rope_tables[i].second;
  }
  if (rope_tables.size() == n_rope_tables) rope_tables.emplace_back();
  auto& [key, table] = rope_tables[n_rope_tables++];
  key = params;
  ops::BuildRopeTable(pos, n_tokens, params, table);
  return table;
}

void Embed(const TensorView& table, std::span<const int32_t> tokens, float* x) {
  const int64_t n_embd = table.ne[0];
  for (size_t t = 0; t < tokens.size(); ++t) {
    kernels::GetRow(table, tokens[t], x + static_cast<int64_t>(t) * n_embd);
  }
}

void SelfAttention(const float* in, const AttentionWeights& w, const AttentionConfig& config,
                   const Batch& batch, int32_t layer, Workspace& ws, ThreadPool& pool, float* out) {
  const ops::AttentionShape& shape = config.shape;
  const int64_t n = batch.n_tokens;
  const int64_t q_dim = static_cast<int64_t>(shape.n_head) * shape.head_dim;
  const int64_t kv_dim = static_cast<int64_t>(shape.n_head_kv) * shape.head_dim;
  Grow(ws.q, n * q_dim);
  Grow(ws.k, n * kv_dim);
  Grow(ws.v, n * kv_dim);
  Grow(ws.attn, n * q_dim);
  {
    profile::Scope timer(profile::Op::kMatMulQkv);
    // q: [n, n_head * head_dim]; k, v: [n, n_head_kv * head_dim]. One dispatch for the three.
    const kernels::LinearOutput qkv[] = {
        {&w.wq, ws.q.data()}, {&w.wk, ws.k.data()}, {&w.wv, ws.v.data()}};
    kernels::MatMulMany(qkv, in, n, pool);
  }
  {
    profile::Scope timer(profile::Op::kRope);
    if (w.bq) ops::AddRowBias(ws.q.data(), w.bq, n, q_dim, pool);
    if (w.bk) ops::AddRowBias(ws.k.data(), w.bk, n, kv_dim, pool);
    if (w.bv) ops::AddRowBias(ws.v.data(), w.bv, n, kv_dim, pool);
    if (w.q_norm) {
      ops::RmsNorm(ws.q.data(), w.q_norm, ws.q.data(), n * shape.n_head, shape.head_dim,
                   config.norm_eps, pool);
    }
    if (w.k_norm) {
      ops::RmsNorm(ws.k.data(), w.k_norm, ws.k.data(), n * shape.n_head_kv, shape.head_dim,
                   config.norm_eps, pool);
    }
    // Every layer rotates at the batch's positions: the cos/sin are computed once.
    const ops::RopeTable& table = ws.RopeTableFor(config.rope, batch.pos, n);
    ops::ApplyRope(ws.q.data(), n, shape.n_head, shape.head_dim, table, config.rope.neox, pool);
    ops::ApplyRope(ws.k.data(), n, shape.n_head_kv, shape.head_dim, table, config.rope.neox, pool);
    if (config.q_scale != 1.0f) ops::Scale(ws.q.data(), n * q_dim, config.q_scale, pool);
  }
  ws.attention.clear();
  {
    profile::Scope timer(profile::Op::kKvStore);
    for (const BatchSegment& seg : batch.segments) {
      F16KvCache& cache = *seg.cache;
      cache.Store(layer, seg.pos0, seg.n_tokens, ws.k.data() + seg.first * kv_dim,
                  ws.v.data() + seg.first * kv_dim, pool);
      ws.attention.push_back({ws.q.data() + seg.first * q_dim, seg.n_tokens, seg.pos0,
                              cache.k(layer), cache.v(layer), cache.v_stride(),
                              ws.attn.data() + seg.first * q_dim});
    }
  }
  {
    profile::Scope timer(profile::Op::kAttention);
    ops::AttentionBatch(ws.attention, shape, config.attention, pool);
  }
  profile::Scope timer(profile::Op::kMatMulWo);
  kernels::MatMul(w.wo, ws.attn.data(), n, out, pool);  // [n, n_embd]
}

void GatedFfn(const float* in, const FfnWeights& w, GatedActivation act, int64_t n_tokens,
              Workspace& ws, ThreadPool& pool, float* out) {
  const int64_t n_ff = w.gate.ne[1];
  Grow(ws.gate, n_tokens * n_ff);
  Grow(ws.up, n_tokens * n_ff);
  {
    profile::Scope timer(profile::Op::kMatMulFfn);
    // gate, up: [n, n_ff], in one dispatch.
    const kernels::LinearOutput gate_up[] = {{&w.gate, ws.gate.data()}, {&w.up, ws.up.data()}};
    kernels::MatMulMany(gate_up, in, n_tokens, pool);
  }
  {
    profile::Scope timer(profile::Op::kActivation);
    // [n_tokens, n_ff], in place over gate, row by row over the pool's threads
    if (act == GatedActivation::kSilu) {
      ops::SwiGluRows(ws.gate.data(), ws.up.data(), ws.gate.data(), n_tokens, n_ff, pool);
    } else {
      ops::GeGluRows(ws.gate.data(), ws.up.data(), ws.gate.data(), n_tokens, n_ff, pool);
    }
  }
  profile::Scope timer(profile::Op::kMatMulFfn);
  kernels::MatMul(w.down, ws.gate.data(), n_tokens, out, pool);  // [n, n_embd]
}

Result<AttentionWeights> LoadAttentionWeights(const TensorLoader& loader, const ModelSpec& spec,
                                              int32_t layer, bool with_bias, bool with_qk_norm) {
  const int64_t q_dim = static_cast<int64_t>(spec.n_head) * spec.head_dim;
  const int64_t kv_dim = static_cast<int64_t>(spec.n_head_kv) * spec.head_dim;
  const auto name = [layer](const char* what) { return LayerTensorName(layer, what); };
  AttentionWeights w;
  HEARTH_ASSIGN_OR_RETURN(w.wq, loader.Weight(name("attn_q.weight"), {spec.n_embd, q_dim}));
  HEARTH_ASSIGN_OR_RETURN(w.wk, loader.Weight(name("attn_k.weight"), {spec.n_embd, kv_dim}));
  HEARTH_ASSIGN_OR_RETURN(w.wv, loader.Weight(name("attn_v.weight"), {spec.n_embd, kv_dim}));
  HEARTH_ASSIGN_OR_RETURN(w.wo, loader.Weight(name("attn_output.weight"), {q_dim, spec.n_embd}));
  if (with_bias) {
    HEARTH_ASSIGN_OR_RETURN(w.bq, loader.Vector(name("attn_q.bias"), q_dim));
    HEARTH_ASSIGN_OR_RETURN(w.bk, loader.Vector(name("attn_k.bias"), kv_dim));
    HEARTH_ASSIGN_OR_RETURN(w.bv, loader.Vector(name("attn_v.bias"), kv_dim));
  }
  if (with_qk_norm) {
    HEARTH_ASSIGN_OR_RETURN(w.q_norm, loader.Vector(name("attn_q_norm.weight"), spec.head_dim));
    HEARTH_ASSIGN_OR_RETURN(w.k_norm, loader.Vector(name("attn_k_norm.weight"), spec.head_dim));
  }
  return w;
}

Result<FfnWeights> LoadFfnWeights(const TensorLoader& loader, const ModelSpec& spec,
                                  int32_t layer) {
  const auto name = [layer](const char* what) { return LayerTensorName(layer, what); };
  FfnWeights w;
  HEARTH_ASSIGN_OR_RETURN(w.gate, loader.Weight(name("ffn_gate.weight"), {spec.n_embd, spec.n_ff}));
  HEARTH_ASSIGN_OR_RETURN(w.up, loader.Weight(name("ffn_up.weight"), {spec.n_embd, spec.n_ff}));
  HEARTH_ASSIGN_OR_RETURN(w.down, loader.Weight(name("ffn_down.weight"), {spec.n_ff, spec.n_embd}));
  return w;
}

}  // namespace hearth
