#include "engine/generator.h"

#include <algorithm>
#include <chrono>

namespace hearth {

namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

const char* StopReasonName(StopReason reason) {
  switch (reason) {
    case StopReason::kEndOfGeneration:
      return "end of generation";
    case StopReason::kMaxTokens:
      return "max tokens";
    case StopReason::kContextFull:
      return "context full";
    case StopReason::kCancelled:
      return "cancelled";
    case StopReason::kStopSequence:
      return "stop sequence";
  }
  return "unknown";
}

Result<std::unique_ptr<Generator>> Generator::Create(std::shared_ptr<LoadedModel> model,
                                                     const GeneratorOptions& options) {
  if (!model || !model->model || !model->tokenizer) {
    return InvalidArgumentError("generator: no model or tokenizer loaded");
  }
  if (options.n_ctx < 0)
    return InvalidArgumentError("context size must be >= 0, got {}", options.n_ctx);
  if (options.n_batch < 1)
    return InvalidArgumentError("batch size must be >= 1, got {}", options.n_batch);
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<KvCache> cache, model->model->NewCache(options.n_ctx));
  return std::unique_ptr<Generator>(
      new Generator(std::move(model), std::move(cache), options.n_batch));
}

Result<std::vector<int32_t>> Generator::TokenizePrompt(const GenerationRequest& request) const {
  const Tokenizer& tokenizer = *model_->tokenizer;
  std::vector<int32_t> tokens =
      request.prompt_tokens.empty()
          ? tokenizer.Encode(request.prompt, request.add_special, request.parse_special)
          : request.prompt_tokens;
  const int32_t n_vocab = model_->model->spec().n_vocab;
  for (int32_t token : tokens) {
    if (token < 0 || token >= n_vocab) {
      return InvalidArgumentError("prompt token {} is outside the vocabulary ({} tokens)", token,
                                  n_vocab);
    }
  }
  if (tokens.empty()) {
    // Like llama.cpp: an empty prompt starts from BOS alone.
    if (tokenizer.bos() < 0) {
      return InvalidArgumentError(
          "the prompt is empty and the vocabulary has no BOS token to start from");
    }
    tokens.push_back(tokenizer.bos());
  }
  const int32_t capacity = cache_->capacity();
  if (tokens.size() > static_cast<size_t>(capacity)) {
    const int32_t model_limit = model_->model->spec().n_ctx_train;
    if (model_limit > capacity) {
      return OutOfRangeError(
          "the prompt is {} tokens but the context holds only {} (the model allows up to {})",
          tokens.size(), capacity, model_limit);
    }
    return OutOfRangeError("the prompt is {} tokens but the model's context length is {}",
                           tokens.size(), capacity);
  }
  return tokens;
}

Status Generator::Append(std::span<const int32_t> tokens) {
  Status status = model_->model->Forward(tokens, *cache_, /*all_logits=*/false, logits_);
  if (!status.ok()) {
    // Forward leaves the cache as it was on error; keep our mirror in step.
    cached_tokens_.resize(static_cast<size_t>(cache_->size()));
    return status;
  }
  cached_tokens_.insert(cached_tokens_.end(), tokens.begin(), tokens.end());
  return Status::Ok();
}

Result<int32_t> Generator::EvaluatePrompt(const std::vector<int32_t>& prompt) {
  // Reuse the cached prefix, but evaluate at least the last prompt token: its
  // logits are what the first sampled token comes from.
  size_t reuse = 0;
  const size_t limit = std::min(cached_tokens_.size(), prompt.size() - 1);
  while (reuse < limit && cached_tokens_[reuse] == prompt[reuse]) ++reuse;
  cache_->Truncate(static_cast<int32_t>(reuse));
  cached_tokens_.resize(reuse);

  for (size_t begin = reuse; begin < prompt.size(); begin += static_cast<size_t>(n_batch_)) {
    const size_t count = std::min(static_cast<size_t>(n_batch_), prompt.size() - begin);
    HEARTH_RETURN_IF_ERROR(Append(std::span<const int32_t>(prompt).subspan(begin, count)));
  }
  return static_cast<int32_t>(prompt.size() - reuse);
}

Result<GenerationStats> Generator::Generate(const GenerationRequest& request,
                                            const GenerationCallback& callback) {
  if (request.max_tokens < -1) {
    return InvalidArgumentError("max_tokens must be >= -1 (-1: no limit), got {}",
                                request.max_tokens);
  }
  const Tokenizer& tokenizer = *model_->tokenizer;
  HEARTH_ASSIGN_OR_RETURN(Sampler sampler,
                          Sampler::Create(request.sampling, model_->model->spec().n_vocab));
  HEARTH_ASSIGN_OR_RETURN(std::vector<int32_t> prompt, TokenizePrompt(request));

  GenerationStats stats;
  stats.prompt_tokens = static_cast<int32_t>(prompt.size());
  const auto prompt_start = std::chrono::steady_clock::now();
  HEARTH_ASSIGN_OR_RETURN(stats.prompt_evaluated, EvaluatePrompt(prompt));
  stats.prompt_seconds = SecondsSince(prompt_start);
  for (int32_t token : prompt) sampler.Accept(token);

  const auto generation_start = std::chrono::steady_clock::now();
  StreamingDecoder decoder(tokenizer, request.render_special);
  stats.stop_reason = StopReason::kMaxTokens;  // also when max_tokens == 0
  while (request.max_tokens != 0) {
    HEARTH_ASSIGN_OR_RETURN(SampledToken sampled, sampler.Sample(logits_));
    if (tokenizer.IsEndOfGeneration(sampled.token)) {
      stats.stop_reason = StopReason::kEndOfGeneration;
      break;
    }
    sampler.Accept(sampled.token);
    ++stats.generated_tokens;
    if (!callback(decoder.Push(sampled.token), &sampled)) {
      stats.stop_reason = StopReason::kCancelled;
      break;
    }
    if (request.max_tokens >= 0 && stats.generated_tokens >= request.max_tokens) {
      stats.stop_reason = StopReason::kMaxTokens;
      break;
    }
    // Checked only now so that the last position's logits still give a token.
    if (cache_->size() >= cache_->capacity()) {
      stats.stop_reason = StopReason::kContextFull;
      break;
    }
    const int32_t token = sampled.token;
    HEARTH_RETURN_IF_ERROR(Append(std::span<const int32_t>(&token, 1)));
  }
  if (stats.stop_reason != StopReason::kCancelled) {
    if (std::string rest = decoder.Flush(); !rest.empty()) callback(rest, nullptr);
  }
  stats.generation_seconds = SecondsSince(generation_start);
  return stats;
}

}  // namespace hearth
