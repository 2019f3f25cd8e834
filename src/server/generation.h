// Generation: runs a validated GenerationSpec on a CompletionService.
//
// Submit() turns the spec into `n` CompletionRequests (choice i gets seed
// seed + i, so n choices differ but each is reproducible) and submits them all
// before anything is written to the client, so queue-full and bad-parameter
// errors still become proper HTTP statuses. Drain() then reads every choice's
// events in order (they generate concurrently in the engine) and passes each
// token to a callback that writes it out; when the callback reports that the
// client went away, every choice is cancelled at once, freeing its slot.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/completion_service.h"
#include "server/api_error.h"
#include "server/generation_spec.h"

namespace hearth::server {

// Builds the constraint a choice decodes under (JSON schema, tool call), or
// null for free text. Called once per choice: a constraint follows one sequence.
using ConstraintFactory =
    std::function<Result<std::unique_ptr<TokenConstraint>>(const GenerationSpec& spec)>;

struct PendingGeneration {
  std::vector<std::unique_ptr<Completion>> choices;
  int32_t prompt_tokens = 0;
  // Cancels whatever is still running (finished choices ignore it): an
  // abandoned generation must not keep its slot.
  ~PendingGeneration() { CancelAll(); }
  void CancelAll();
};

// Errors: the service's (InvalidArgument, OutOfRange -> 400; ResourceExhausted
// -> 429) or the constraint factory's.
ApiResult<std::shared_ptr<PendingGeneration>> SubmitGeneration(
    CompletionService& service, const std::vector<int32_t>& prompt, const GenerationSpec& spec,
    const ConstraintFactory& make_constraint, const std::string& cache_owner);

struct ChoiceOutput {
  std::string text;
  std::vector<SampledToken> tokens;  // only when the spec asked for logprobs
  StopReason stop_reason = StopReason::kMaxTokens;
  CompletionUsage usage;
};

struct GenerationOutcome {
  std::vector<ChoiceOutput> choices;
  int32_t prompt_tokens = 0;
  int32_t cached_tokens = 0;
  int32_t completion_tokens = 0;  // over all choices
  double time_to_first_token = 0.0;
  double generation_seconds = 0.0;  // the longest choice's
  bool cancelled = false;           // the client went away
};

// Called for each token event of choice `index` (text may be empty); return
// false when the client is gone.
using TokenSink = std::function<bool(int32_t index, const CompletionEvent& event)>;

// Drains every choice. A failed choice (engine error) makes the whole result
// an ApiError; a cancelled one sets outcome.cancelled.
ApiResult<GenerationOutcome> DrainGeneration(PendingGeneration& pending, bool keep_tokens,
                                             const TokenSink& on_token);

// OpenAI's finish_reason for a stop reason: "stop" or "length".
const char* FinishReason(StopReason reason);

}  // namespace hearth::server
