// Model: a transformer read from a GGUF file, evaluated on the CPU.
//
// Every hyper-parameter comes from GGUF metadata ("{arch}.block_count", ...);
// nothing is guessed from tensor shapes or layer counts. Each architecture
// lives in its own file and only wires together the blocks in model/blocks.h.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/gguf.h"
#include "core/status.h"
#include "core/thread_pool.h"

namespace hearth {

struct ModelSpec {
  std::string architecture;  // general.architecture
  std::string name;          // general.name (may be empty)
  int32_t n_vocab = 0;
  int32_t n_embd = 0;
  int32_t n_layer = 0;
  int32_t n_head = 0;
  int32_t n_head_kv = 0;
  int32_t head_dim = 0;  // key/value length per head
  int32_t n_ff = 0;
  int32_t n_ctx_train = 0;  // {arch}.context_length
  float rms_eps = 1e-5f;
  float rope_freq_base = 10000.0f;
  uint64_t n_params = 0;  // counted from tensor shapes
};

// The keys and values of past positions for one sequence.
class KvCache {
 public:
  virtual ~KvCache() = default;
  virtual int32_t capacity() const = 0;  // positions it can hold (n_ctx)
  virtual int32_t size() const = 0;      // positions filled so far
  // Forget positions >= n (0 clears it). Precondition: n <= size().
  virtual void Truncate(int32_t n) = 0;
};

// One sequence of a multi-sequence forward pass (Model::ForwardBatch).
struct SequenceBatch {
  enum class Logits { kNone, kLast, kAll };
  std::span<const int32_t> tokens;  // evaluated at cache->size() .. + tokens.size() - 1
  KvCache* cache = nullptr;         // this sequence's own cache; distinct per sequence
  Logits logits = Logits::kLast;    // which rows of logits this sequence contributes
};

struct ModelOptions {
  int n_threads = 0;  // 0: ThreadPool::DefaultThreadCount()
  // Repack the weights at load for the packed kernels (kernels/packed.h); the environment
  // variable HEARTH_PACK=0 turns it off (A/B measurements of the row-major kernels).
  bool pack_weights = true;
};

class Model {
 public:
  // Reads general.architecture and builds that architecture's model.
  // The model keeps `file` alive (weights are views into its mapping).
  static Result<std::unique_ptr<Model>> Load(std::shared_ptr<const GgufFile> file,
                                             const ModelOptions& options = {});
  virtual ~Model() = default;

  virtual const ModelSpec& spec() const = 0;

  // A cache for up to n_ctx positions; OutOfRange if n_ctx > the model's
  // context length (n_ctx == 0: the model's context length).
  virtual Result<std::unique_ptr<KvCache>> NewCache(int32_t n_ctx) const = 0;

  // Evaluates `tokens` (one batch, any length >= 1) at positions
  // cache.size() .. cache.size()+tokens.size()-1 and appends them to the cache.
  // logits receives [n_tokens, n_vocab] if all_logits, else [1, n_vocab] for the
  // last token. OutOfRange (cache untouched) if the cache would overflow;
  // InvalidArgument for token ids outside the vocabulary.
  virtual Status Forward(std::span<const int32_t> tokens, KvCache& cache, bool all_logits,
                         std::vector<float>& logits) = 0;

  // Evaluates several sequences in one pass: all their tokens share the
  // matrix multiplications, attention runs per sequence over its own cache.
  // Each sequence's results equal Forward() on it alone, bit for bit.
  // logits receives, for each sequence in order, 0 rows (kNone), 1 row (kLast)
  // or tokens.size() rows (kAll) of n_vocab. All inputs are checked first: on
  // error (InvalidArgument for a bad token, a null or repeated cache, an empty
  // sequence; OutOfRange for a cache overflow) no cache is touched.
  // The default runs Forward once per sequence.
  virtual Status ForwardBatch(std::span<const SequenceBatch> sequences, std::vector<float>& logits);

  // Like Forward, but hidden receives the final normalized hidden state of
  // every token, [n_tokens, n_embd] (what embeddings are pooled from).
  // The default: Unsupported.
  virtual Status ForwardHidden(std::span<const int32_t> tokens, KvCache& cache,
                               std::vector<float>& hidden);

 protected:
  // The input checks of ForwardBatch that need only the spec and the caches.
  Status CheckBatch(std::span<const SequenceBatch> sequences) const;
};

}  // namespace hearth
