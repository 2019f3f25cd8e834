#include "model/transformer.h"

#include <algorithm>
#include <cmath>

#include "core/profile.h"
#include "kernels/matmul.h"
#include "kernels/ops.h"

namespace hearth {

TransformerModel::TransformerModel(std::shared_ptr<const GgufFile> file, HParams hp,
                                   const ModelOptions& options)
    : file_(std::move(file)),
      hp_(std::move(hp)),
      pool_(options.n_threads > 0 ? options.n_threads : ThreadPool::DefaultThreadCount()) {
  if (WeightPacker::Enabled(options)) {
    packer_ = std::make_unique<WeightPacker>(*file_, pool_, kernels::BestIsa());
  }
}

Status TransformerModel::LoadEmbeddings(const TensorLoader& loader) {
  const ModelSpec& s = hp_.spec;
  HEARTH_ASSIGN_OR_RETURN(token_embd_, loader.Weight("token_embd.weight", {s.n_embd, s.n_vocab}));
  HEARTH_ASSIGN_OR_RETURN(output_norm_, loader.Vector("output_norm.weight", s.n_embd));
  HEARTH_ASSIGN_OR_RETURN(auto output,
                          loader.OptionalWeight("output.weight", {s.n_embd, s.n_vocab}));
  output_ = output ? *output : token_embd_;
  return Status::Ok();
}

Result<std::unique_ptr<KvCache>> TransformerModel::NewCache(int32_t n_ctx) const {
  const ModelSpec& s = hp_.spec;
  if (n_ctx < 0 || n_ctx > s.n_ctx_train) {
    return OutOfRangeError("a cache of {} positions is beyond the context length {}", n_ctx,
                           s.n_ctx_train);
  }
  if (n_ctx == 0) n_ctx = s.n_ctx_train;
  HEARTH_ASSIGN_OR_RETURN(auto cache,
                          F16KvCache::Create(this, s.n_layer, n_ctx, s.n_head_kv, s.head_dim));
  return std::unique_ptr<KvCache>(std::move(cache));
}

Status TransformerModel::CheckInput(std::span<const int32_t> tokens,
                                    const F16KvCache* cache) const {
  if (cache == nullptr || cache->owner() != this) {
    return InvalidArgumentError("Forward: the cache was not created by this model's NewCache");
  }
  if (tokens.empty()) return InvalidArgumentError("Forward: no tokens to evaluate");
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] < 0 || tokens[i] >= hp_.spec.n_vocab) {
      return InvalidArgumentError(
          "Forward: token id {} (batch index {}) is outside the vocabulary "
          "of {} tokens",
          tokens[i], i, hp_.spec.n_vocab);
    }
  }
  const int64_t last = static_cast<int64_t>(cache->size()) + static_cast<int64_t>(tokens.size());
  if (last > cache->capacity()) {
    return OutOfRangeError("position {} is beyond the context length {}", last, cache->capacity());
  }
  return Status::Ok();
}

Status TransformerModel::Evaluate(std::span<const int32_t> tokens, KvCache& cache_base) {
  auto* cache = dynamic_cast<F16KvCache*>(&cache_base);
  HEARTH_RETURN_IF_ERROR(CheckInput(tokens, cache));
  const BatchSegment segment{0, static_cast<int64_t>(tokens.size()), cache->size(), cache};
  RunBatch(tokens, std::span<const BatchSegment>(&segment, 1));
  return Status::Ok();
}

void TransformerModel::RunBatch(std::span<const int32_t> tokens,
                                std::span<const BatchSegment> segments) {
  const ModelSpec& s = hp_.spec;
  const int64_t n = static_cast<int64_t>(tokens.size());
  Batch batch;
  batch.n_tokens = n;
  batch.segments = segments;
  ws_.pos.resize(n);
  for (const BatchSegment& seg : segments) {
    for (int64_t t = 0; t < seg.n_tokens; ++t) {
      ws_.pos[seg.first + t] = seg.pos0 + static_cast<int32_t>(t);
    }
  }
  batch.pos = ws_.pos.data();
  ws_.StartBatch();

  ws_.x.resize(n * s.n_embd);
  ws_.norm.resize(n * s.n_embd);
  ws_.out.resize(n * s.n_embd);
  {
    profile::Scope timer(profile::Op::kEmbed);
    Embed(token_embd_, tokens, ws_.x.data());  // [n, n_embd]
    if (embedding_scale_ != 1.0f) ops::Scale(ws_.x.data(), n * s.n_embd, embedding_scale_);
  }
  for (int32_t layer = 0; layer < s.n_layer; ++layer) RunLayer(layer, batch);
  for (const BatchSegment& seg : segments) {
    seg.cache->SetSize(seg.pos0 + static_cast<int32_t>(seg.n_tokens));
  }
}

Status TransformerModel::ForwardBatch(std::span<const SequenceBatch> sequences,
                                      std::vector<float>& logits) {
  profile::Scope timer(profile::Op::kForward);
  HEARTH_RETURN_IF_ERROR(CheckBatch(sequences));
  batch_tokens_.clear();
  batch_segments_.clear();
  logit_rows_.clear();
  for (const SequenceBatch& seq : sequences) {
    auto* cache = dynamic_cast<F16KvCache*>(seq.cache);
    if (cache == nullptr || cache->owner() != this) {
      return InvalidArgumentError("ForwardBatch: a cache was not created by this model's NewCache");
    }
    const int64_t first = static_cast<int64_t>(batch_tokens_.size());
    const int64_t n = static_cast<int64_t>(seq.tokens.size());
    batch_segments_.push_back(BatchSegment{first, n, cache->size(), cache});
    batch_tokens_.insert(batch_tokens_.end(), seq.tokens.begin(), seq.tokens.end());
    if (seq.logits == SequenceBatch::Logits::kAll) {
      for (int64_t t = 0; t < n; ++t) logit_rows_.push_back(first + t);
    } else if (seq.logits == SequenceBatch::Logits::kLast) {
      logit_rows_.push_back(first + n - 1);
    }
  }
  if (batch_segments_.empty()) {
    logits.clear();
    return Status::Ok();
  }
  RunBatch(batch_tokens_, batch_segments_);
  ComputeLogitsOfRows(logit_rows_, logits);
  return Status::Ok();
}

Status TransformerModel::Forward(std::span<const int32_t> tokens, KvCache& cache, bool all_logits,
                                 std::vector<float>& logits) {
  profile::Scope timer(profile::Op::kForward);
  HEARTH_RETURN_IF_ERROR(Evaluate(tokens, cache));
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (all_logits) {
    ComputeLogits(0, n, logits);
  } else {
    ComputeLogits(n - 1, 1, logits);
  }
  return Status::Ok();
}

Status TransformerModel::ForwardHidden(std::span<const int32_t> tokens, KvCache& cache,
                                       std::vector<float>& hidden) {
  HEARTH_RETURN_IF_ERROR(Evaluate(tokens, cache));
  const ModelSpec& s = hp_.spec;
  const int64_t n = static_cast<int64_t>(tokens.size());
  hidden.resize(static_cast<size_t>(n) * s.n_embd);
  ops::RmsNorm(ws_.x.data(), output_norm_, hidden.data(), n, s.n_embd, s.rms_eps);  // [n, n_embd]
  return Status::Ok();
}

void TransformerModel::ComputeLogits(int64_t first_row, int64_t n_rows,
                                     std::vector<float>& logits) {
  const ModelSpec& s = hp_.spec;
  ops::RmsNorm(ws_.x.data() + first_row * s.n_embd, output_norm_, ws_.norm.data(), n_rows, s.n_embd,
               s.rms_eps);
  logits.resize(static_cast<size_t>(n_rows) * s.n_vocab);
  profile::Scope timer(profile::Op::kMatMulLogits);
  kernels::MatMul(output_, ws_.norm.data(), n_rows, logits.data(), pool_);  // [n_rows, n_vocab]
  if (hp_.final_softcap > 0.0f) {
    const float cap = hp_.final_softcap;
    for (float& l : logits) l = cap * std::tanh(l * (1.0f / cap));
  }
}

void TransformerModel::ComputeLogitsOfRows(std::span<const int64_t> rows,
                                           std::vector<float>& logits) {
  const ModelSpec& s = hp_.spec;
  const int64_t n_rows = static_cast<int64_t>(rows.size());
  if (n_rows == 0) {
    logits.clear();
    return;
  }
  // Gather the rows ([n_rows, n_embd]) into ws_.out, free after the layers;
  // norm and matmul work row by row, so each row's logits are what
  // ComputeLogits would give it.
  for (int64_t i = 0; i < n_rows; ++i) {
    std::copy_n(ws_.x.data() + rows[i] * s.n_embd, s.n_embd, ws_.out.data() + i * s.n_embd);
  }
  ops::RmsNorm(ws_.out.data(), output_norm_, ws_.norm.data(), n_rows, s.n_embd, s.rms_eps);
  logits.resize(static_cast<size_t>(n_rows) * s.n_vocab);
  profile::Scope timer(profile::Op::kMatMulLogits);
  kernels::MatMul(output_, ws_.norm.data(), n_rows, logits.data(), pool_);  // [n_rows, n_vocab]
  if (hp_.final_softcap > 0.0f) {
    const float cap = hp_.final_softcap;
    for (float& l : logits) l = cap * std::tanh(l * (1.0f / cap));
  }
}

}  // namespace hearth
