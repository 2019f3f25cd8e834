// SequenceGenerator: what the scheduler does with one request's logits at each
// step: constraint masking, sampling, end-of-generation and limit checks,
// UTF-8-safe text and stop strings. It never touches the model or the cache;
// the scheduler feeds it logits and evaluates the token it returns.
// Owned and used by the scheduler's worker thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/completion_service.h"
#include "engine/stop_strings.h"
#include "sampling/constraint.h"
#include "sampling/sampler.h"
#include "tokenizer/tokenizer.h"

namespace hearth {

// The outcome of one step of one sequence.
struct SequenceStep {
  Status status;           // not OK: the request failed (done is true)
  bool has_token = false;  // a token was generated: `event` is its kToken event
  CompletionEvent event;   // kind kToken
  bool done = false;       // generation is over (stop_reason says why)
  StopReason stop_reason = StopReason::kMaxTokens;
  std::string final_text;  // done: text still held back, for the kDone event
};

class SequenceGenerator {
 public:
  // InvalidArgument for bad sampling params. Feeds the prompt to the sampler's
  // penalty history. Takes the request's constraint and stop strings.
  static Result<std::unique_ptr<SequenceGenerator>> Create(const Tokenizer& tokenizer,
                                                           int32_t n_vocab,
                                                           CompletionRequest& request);

  // Picks the next token from `logits` ([n_vocab], the model's distribution
  // after the last evaluated token). `room_for_next` says whether the cache
  // can still take the token (false: the context is full after this one).
  SequenceStep Advance(std::span<const float> logits, bool room_for_next);

  // The token to evaluate next (valid after an Advance that is not done).
  int32_t next_token() const { return next_token_; }
  int32_t generated() const { return generated_; }
  int32_t max_tokens() const { return max_tokens_; }

 private:
  SequenceGenerator(const Tokenizer& tokenizer, Sampler sampler, CompletionRequest& request);
  // Ends generation: the held-back text (UTF-8 tail, possible stop string) is settled.
  SequenceStep Finish(StopReason reason);

  const Tokenizer& tokenizer_;
  Sampler sampler_;
  std::unique_ptr<TokenConstraint> constraint_;
  StreamingDecoder decoder_;
  StopStringFilter stop_;
  int32_t max_tokens_;
  int32_t generated_ = 0;
  int32_t next_token_ = -1;
  std::vector<float> masked_;  // scratch: logits after the constraint's mask
};

}  // namespace hearth
