// TransformerModel: what every supported architecture shares around its
// layers: input checks, the token embedding, the KV cache, the final norm and
// the output projection. An architecture supplies its layers (RunLayer).
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "core/gguf.h"
#include "core/thread_pool.h"
#include "model/blocks.h"
#include "model/kv_cache.h"
#include "model/model.h"
#include "model/model_loader.h"

namespace hearth {

class TransformerModel : public Model {
 public:
  const ModelSpec& spec() const override { return hp_.spec; }
  Result<std::unique_ptr<KvCache>> NewCache(int32_t n_ctx) const override;
  // Not thread-safe: one Forward at a time per model (it reuses scratch buffers).
  Status Forward(std::span<const int32_t> tokens, KvCache& cache, bool all_logits,
                 std::vector<float>& logits) override;
  Status ForwardHidden(std::span<const int32_t> tokens, KvCache& cache,
                       std::vector<float>& hidden) override;
  Status ForwardBatch(std::span<const SequenceBatch> sequences,
                      std::vector<float>& logits) override;

 protected:
  TransformerModel(std::shared_ptr<const GgufFile> file, HParams hp, const ModelOptions& options);

  // token_embd, output_norm and output (absent: tied to token_embd).
  Status LoadEmbeddings(const TensorLoader& loader);

  // Runs layer `layer` on ws_.x ([n_tokens, n_embd]) in place, appending each
  // segment's keys and values to its cache.
  virtual void RunLayer(int32_t layer, const Batch& batch) = 0;

  // Multiplies the token embeddings (Gemma scales them by sqrt(n_embd)).
  float embedding_scale_ = 1.0f;

  std::shared_ptr<const GgufFile> file_;
  HParams hp_;
  ThreadPool pool_;
  // Owns the packed weights (null when packing is off); declared after pool_, which it uses.
  std::unique_ptr<WeightPacker> packer_;
  Workspace ws_;

 private:
  Status CheckInput(std::span<const int32_t> tokens, const F16KvCache* cache) const;
  // Checks the input, then runs the embedding and every layer: ws_.x holds the
  // final residual stream [n_tokens, n_embd] and the cache the new positions.
  Status Evaluate(std::span<const int32_t> tokens, KvCache& cache);
  // Runs `tokens` ([n_tokens], every segment's tokens in row order) through
  // the embedding and every layer, then marks the segments' positions filled.
  // Preconditions: inputs checked; segments cover the rows in order.
  void RunBatch(std::span<const int32_t> tokens, std::span<const BatchSegment> segments);
  void ComputeLogits(int64_t first_row, int64_t n_rows, std::vector<float>& logits);
  // Logits of the given rows of ws_.x, in that order: [rows.size(), n_vocab].
  void ComputeLogitsOfRows(std::span<const int64_t> rows, std::vector<float>& logits);

  // Scratch of ForwardBatch.
  std::vector<int32_t> batch_tokens_;
  std::vector<BatchSegment> batch_segments_;
  std::vector<int64_t> logit_rows_;

  TensorView token_embd_;               // [n_vocab, n_embd]
  const float* output_norm_ = nullptr;  // [n_embd]
  TensorView output_;                   // [n_vocab, n_embd]
};

}  // namespace hearth
