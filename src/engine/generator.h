// Generator: turns a prompt into generated text with one model and one KV cache.
//
// Generate() evaluates the prompt in batches of n_batch tokens, then samples
// and evaluates one token at a time, streaming text (always whole UTF-8
// characters) to a callback. It stops at an end-of-generation token, after
// max_tokens, when the context is full, or when the callback asks it to.
//
// The cache is kept between calls: a prompt that starts with the tokens already
// in the cache (a chat continuing) only evaluates the new ones.
// Not thread-safe: one Generator serves one sequence at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "engine/loaded_model.h"
#include "sampling/sampler.h"

namespace hearth {

struct GeneratorOptions {
  int32_t n_ctx = 0;      // positions in the cache; 0: the model's context length
  int32_t n_batch = 512;  // prompt tokens per Model::Forward call
};

enum class StopReason {
  kEndOfGeneration,  // the model produced an end-of-generation token
  kMaxTokens,        // max_tokens were generated
  kContextFull,      // the cache holds n_ctx positions: nothing more fits
  kCancelled,        // the callback returned false (or the client cancelled)
  kStopSequence,     // a stop string appeared (the server's `stop`)
};
const char* StopReasonName(StopReason reason);

struct GenerationRequest {
  std::string prompt;
  // When not empty, the prompt as token ids, used instead of tokenizing
  // `prompt` (add_special and parse_special are then ignored). A chat keeps
  // its earlier answers as the tokens generated, so the next prompt extends
  // the cache exactly.
  std::vector<int32_t> prompt_tokens;
  int32_t max_tokens = 128;  // -1: until end of generation or a full context
  SamplingParams sampling;
  bool add_special = true;      // BOS/EOS as the vocabulary's add_bos/add_eos say
  bool parse_special = true;    // "<|im_start|>" in the prompt becomes that token
  bool render_special = false;  // emit the text of control tokens
};

struct GenerationStats {
  int32_t prompt_tokens = 0;     // tokens in the prompt
  int32_t prompt_evaluated = 0;  // of those, evaluated now (the rest were cached)
  double prompt_seconds = 0.0;
  int32_t generated_tokens = 0;  // not counting the end-of-generation token
  double generation_seconds = 0.0;
  StopReason stop_reason = StopReason::kMaxTokens;
};

// Called once per generated token with the text it completes (possibly empty
// while a character is incomplete) and the sampler's report; called last with
// token == nullptr for whatever text was held back, if any. Return false to stop.
using GenerationCallback = std::function<bool(std::string_view text, const SampledToken* token)>;

class Generator {
 public:
  // OutOfRange if n_ctx exceeds the model's context length; InvalidArgument for
  // n_batch < 1 or n_ctx < 0.
  static Result<std::unique_ptr<Generator>> Create(std::shared_ptr<LoadedModel> model,
                                                   const GeneratorOptions& options);

  // Errors: InvalidArgument for bad sampling params, max_tokens < -1 or an
  // empty prompt in a vocabulary without BOS; OutOfRange if the prompt does
  // not fit in the context. Running out of context while generating is not an
  // error: it ends with StopReason::kContextFull.
  Result<GenerationStats> Generate(const GenerationRequest& request,
                                   const GenerationCallback& callback);

  int32_t n_ctx() const { return cache_->capacity(); }
  const LoadedModel& model() const { return *model_; }
  // The tokens whose keys and values are in the cache, in order.
  const std::vector<int32_t>& cached_tokens() const { return cached_tokens_; }

 private:
  Generator(std::shared_ptr<LoadedModel> model, std::unique_ptr<KvCache> cache, int32_t n_batch)
      : model_(std::move(model)), cache_(std::move(cache)), n_batch_(n_batch) {}

  Result<std::vector<int32_t>> TokenizePrompt(const GenerationRequest& request) const;
  // Brings the cache to hold `prompt`, reusing the longest cached prefix, and
  // leaves the logits of the last prompt token in logits_. Returns how many
  // tokens it evaluated.
  Result<int32_t> EvaluatePrompt(const std::vector<int32_t>& prompt);
  Status Append(std::span<const int32_t> tokens);

  std::shared_ptr<LoadedModel> model_;
  std::unique_ptr<KvCache> cache_;
  int32_t n_batch_;
  std::vector<int32_t> cached_tokens_;
  std::vector<float> logits_;  // [1, n_vocab]
};

}  // namespace hearth
