// CompletionService: generation for many clients at once on one loaded model.
// The server (src/server) talks to the engine only through this interface, so
// its tests can use a fake and the engine can change how it schedules.
//
// The implementation (engine/scheduler.h, CreateScheduler) runs continuous
// batching: up to n_slots requests share each forward pass; further requests
// wait in a bounded queue; a full queue rejects with ResourceExhausted.
//
//   HEARTH_ASSIGN_OR_RETURN(auto completion, service.Submit(std::move(request)));
//   CompletionEvent event;
//   while (completion->Next(event)) { ... event.text ... }   // kToken events, then one kDone
//   completion->Cancel();  // at any time, from any thread (a client went away)
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/generator.h"  // StopReason
#include "engine/loaded_model.h"
#include "sampling/constraint.h"
#include "sampling/sampler.h"  // SampledToken, SamplingParams

namespace hearth {

struct CompletionRequest {
  std::vector<int32_t> prompt;  // token ids, BOS included if wanted; not empty
  int32_t max_tokens = -1;      // -1: until end of generation or a full context
  SamplingParams sampling;      // seed included: same seed => same output, alone or batched
  // The text ends just before the first occurrence of any of these (which is
  // not sent); text that might be the start of one is held back until decided.
  std::vector<std::string> stop;
  std::unique_ptr<TokenConstraint> constraint;  // null: unconstrained
  // A cached prefix (KV cache of an earlier request) is reused only between
  // requests with the same owner (the API key), so no tenant can time another's.
  std::string cache_owner;
};

struct CompletionUsage {
  int32_t prompt_tokens = 0;
  int32_t cached_tokens = 0;  // of prompt_tokens, reused from the prefix cache
  int32_t completion_tokens = 0;
  double queue_seconds = 0.0;        // waiting for a slot
  double time_to_first_token = 0.0;  // from Submit to the first kToken event
  double generation_seconds = 0.0;
};

struct CompletionEvent {
  enum class Kind { kToken, kDone };
  Kind kind = Kind::kToken;
  // kToken: the text this token completes (whole UTF-8 characters; may be
  // empty while a character or a possible stop string is held back) and the
  // sampler's report (probabilities when the request asked for them).
  std::string text;
  SampledToken token;
  // kDone: why it ended (StopReason::kStopSequence for a stop string), usage,
  // and a non-OK status if it failed (then stop_reason is meaningless).
  // kDone's text is the end of the output that was still held back (a tail
  // that might have begun a stop string, or an incomplete character shown as
  // U+FFFD) when generation ended on an end-of-generation token; usually empty.
  // Append it like a kToken's text.
  StopReason stop_reason = StopReason::kMaxTokens;
  CompletionUsage usage;
  Status status;
};

class Completion {
 public:
  virtual ~Completion() = default;
  // Blocks until the next event; false once the kDone event has been returned.
  virtual bool Next(CompletionEvent& event) = 0;
  // Stops generation as soon as possible and frees the slot; Next() then ends
  // with kDone (stop_reason kCancelled). Safe from any thread, more than once.
  virtual void Cancel() = 0;
};

struct ServiceStats {
  int32_t slots_total = 0;
  int32_t slots_busy = 0;
  int32_t queue_depth = 0;
  uint64_t prompt_tokens_total = 0;
  uint64_t generated_tokens_total = 0;
};

class CompletionService {
 public:
  virtual ~CompletionService() = default;
  virtual const LoadedModel& model() const = 0;
  // InvalidArgument for bad parameters (token ids outside the vocabulary,
  // bad sampling params, a prompt longer than the context: OutOfRange);
  // ResourceExhausted when the queue is full.
  virtual Result<std::unique_ptr<Completion>> Submit(CompletionRequest request) = 0;
  // Mean-pooled, L2-normalized final hidden states ([n_embd]) of `tokens`.
  virtual Result<std::vector<float>> Embed(std::span<const int32_t> tokens) = 0;
  virtual ServiceStats stats() const = 0;
};

struct SchedulerOptions {
  int32_t n_slots = 4;               // requests generating at once
  int32_t n_ctx = 0;                 // positions per slot; 0: min(model context, 4096)
  int32_t max_queue = 64;            // waiting requests beyond the slots; more: ResourceExhausted
  int32_t n_batch = 512;             // prompt tokens per forward pass
  int32_t prefix_cache_entries = 8;  // idle conversations whose KV cache is kept
};

Result<std::unique_ptr<CompletionService>> CreateScheduler(std::shared_ptr<LoadedModel> model,
                                                           const SchedulerOptions& options);

}  // namespace hearth
