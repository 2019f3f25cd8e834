#include "server/generation.h"

#include <algorithm>

namespace hearth::server {

void PendingGeneration::CancelAll() {
  for (auto& choice : choices) {
    if (choice) choice->Cancel();
  }
}

ApiResult<std::shared_ptr<PendingGeneration>> SubmitGeneration(
    CompletionService& service, const std::vector<int32_t>& prompt, const GenerationSpec& spec,
    const ConstraintFactory& make_constraint, const std::string& cache_owner) {
  auto pending = std::make_shared<PendingGeneration>();
  pending->prompt_tokens = static_cast<int32_t>(prompt.size());
  for (int32_t i = 0; i < spec.n; ++i) {
    CompletionRequest request;
    request.prompt = prompt;
    request.max_tokens = spec.max_tokens;
    request.sampling = spec.sampling;
    request.sampling.seed = spec.sampling.seed + static_cast<uint64_t>(i);
    if (spec.logprobs) {
      request.sampling.report_prob = true;
      request.sampling.n_probs = spec.top_logprobs;
    }
    request.stop = spec.stop;
    request.cache_owner = cache_owner;
    if (make_constraint) {
      auto constraint = make_constraint(spec);
      if (!constraint.ok()) {
        pending->CancelAll();
        return ApiErrorFromStatus(constraint.status());
      }
      request.constraint = std::move(constraint).value();
    }
    auto completion = service.Submit(std::move(request));
    if (!completion.ok()) {
      pending->CancelAll();  // a partial set of choices would be a wrong answer
      return ApiErrorFromStatus(completion.status());
    }
    pending->choices.push_back(std::move(completion).value());
  }
  return pending;
}

ApiResult<GenerationOutcome> DrainGeneration(PendingGeneration& pending, bool keep_tokens,
                                             const TokenSink& on_token) {
  GenerationOutcome outcome;
  outcome.prompt_tokens = pending.prompt_tokens;
  outcome.choices.resize(pending.choices.size());
  for (size_t i = 0; i < pending.choices.size(); ++i) {
    ChoiceOutput& out = outcome.choices[i];
    CompletionEvent event;
    while (pending.choices[i]->Next(event)) {
      if (event.kind == CompletionEvent::Kind::kDone) {
        if (!event.status.ok() && event.stop_reason != StopReason::kCancelled) {
          pending.CancelAll();
          return ApiErrorFromStatus(event.status);
        }
        out.stop_reason = event.stop_reason;
        out.usage = event.usage;
        continue;
      }
      out.text += event.text;
      if (keep_tokens) out.tokens.push_back(event.token);
      if (on_token && !outcome.cancelled && !on_token(static_cast<int32_t>(i), event)) {
        outcome.cancelled = true;
        pending.CancelAll();
      }
    }
    if (out.stop_reason == StopReason::kCancelled) outcome.cancelled = true;
    outcome.completion_tokens += out.usage.completion_tokens;
    outcome.generation_seconds = std::max(outcome.generation_seconds, out.usage.generation_seconds);
    if (i == 0) {
      outcome.cached_tokens = out.usage.cached_tokens;
      outcome.time_to_first_token = out.usage.time_to_first_token;
      if (out.usage.prompt_tokens > 0) outcome.prompt_tokens = out.usage.prompt_tokens;
    }
  }
  return outcome;
}

const char* FinishReason(StopReason reason) {
  switch (reason) {
    case StopReason::kMaxTokens:
    case StopReason::kContextFull:
      return "length";
    default:
      return "stop";
  }
}

}  // namespace hearth::server
