#include "engine/scheduler_sequence.h"

#include <cmath>

namespace hearth {

Result<std::unique_ptr<SequenceGenerator>> SequenceGenerator::Create(const Tokenizer& tokenizer,
                                                                     int32_t n_vocab,
                                                                     CompletionRequest& request) {
  HEARTH_ASSIGN_OR_RETURN(Sampler sampler, Sampler::Create(request.sampling, n_vocab));
  for (int32_t token : request.prompt) sampler.Accept(token);
  return std::unique_ptr<SequenceGenerator>(
      new SequenceGenerator(tokenizer, std::move(sampler), request));
}

SequenceGenerator::SequenceGenerator(const Tokenizer& tokenizer, Sampler sampler,
                                     CompletionRequest& request)
    : tokenizer_(tokenizer),
      sampler_(std::move(sampler)),
      constraint_(std::move(request.constraint)),
      decoder_(tokenizer, /*render_special=*/false),
      stop_(std::move(request.stop)),
      max_tokens_(request.max_tokens) {}

SequenceStep SequenceGenerator::Finish(StopReason reason) {
  SequenceStep step;
  step.done = true;
  step.stop_reason = reason;
  // What the decoder and the stop filter still hold ends the text, unless a
  // stop string turns up in it.
  std::string rest = stop_.Push(decoder_.Flush());
  if (stop_.stopped()) {
    step.stop_reason = StopReason::kStopSequence;
  } else {
    rest += stop_.Flush();
  }
  step.final_text = std::move(rest);
  return step;
}

SequenceStep SequenceGenerator::Advance(std::span<const float> logits, bool room_for_next) {
  if (max_tokens_ >= 0 && generated_ >= max_tokens_) return Finish(StopReason::kMaxTokens);
  Result<SampledToken> sampled = [&]() -> Result<SampledToken> {
    if (!constraint_) return sampler_.Sample(logits);
    masked_.assign(logits.begin(), logits.end());
    constraint_->Mask(masked_);
    bool any = false;
    for (float l : masked_) any = any || l != -INFINITY;
    if (!any) return InternalError("the output constraint allows no token at all");
    return sampler_.Sample(masked_, logits);
  }();
  SequenceStep step;
  if (!sampled.ok()) {
    step.status = sampled.status();
    step.done = true;
    return step;
  }
  const int32_t token = sampled->token;
  if (tokenizer_.IsEndOfGeneration(token)) return Finish(StopReason::kEndOfGeneration);
  if (constraint_) {
    if (Status accepted = constraint_->Accept(token); !accepted.ok()) {
      step.status = accepted;
      step.done = true;
      return step;
    }
  }
  sampler_.Accept(token);
  ++generated_;
  next_token_ = token;

  step.has_token = true;
  step.event.kind = CompletionEvent::Kind::kToken;
  step.event.text = stop_.Push(decoder_.Push(token));
  step.event.token = std::move(*sampled);
  if (stop_.stopped()) {
    step.done = true;
    step.stop_reason = StopReason::kStopSequence;
  } else if (max_tokens_ >= 0 && generated_ >= max_tokens_) {
    // Known to be the last token: its event carries everything held back.
    SequenceStep last = Finish(StopReason::kMaxTokens);
    step.done = true;
    step.stop_reason = last.stop_reason;
    step.event.text += last.final_text;
  } else if (!room_for_next) {
    SequenceStep last = Finish(StopReason::kContextFull);
    step.done = true;
    step.stop_reason = last.stop_reason;
    step.event.text += last.final_text;
  }
  return step;
}

}  // namespace hearth
