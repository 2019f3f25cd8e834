#include "engine/perplexity.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

namespace hearth {

double NllAccumulator::Perplexity() const {
  if (count_ == 0) return NAN;
  return std::exp(sum_ / static_cast<double>(count_));
}

double NllAccumulator::PerplexityError() const {
  if (count_ < 2) return NAN;
  const double mean = sum_ / static_cast<double>(count_);
  const double variance = sum_squares_ / static_cast<double>(count_) - mean * mean;
  if (!(variance > 0.0)) return NAN;
  return std::sqrt(variance / static_cast<double>(count_ - 1)) * std::exp(mean);
}

double NegativeLogLikelihood(std::span<const float> logits, int32_t token) {
  float max_logit = logits[0];
  for (float v : logits) max_logit = std::max(max_logit, v);
  double sum_exp = 0.0;
  for (float v : logits) sum_exp += std::exp(v - max_logit);  // float exp, as llama.cpp
  return -(static_cast<double>(logits[token] - max_logit) - std::log(sum_exp));
}

namespace {

Status ValidateOptions(const PerplexityOptions& options) {
  if (options.n_ctx < 4) {
    return InvalidArgumentError("perplexity: context size must be >= 4, got {}", options.n_ctx);
  }
  if (options.n_batch < 1) {
    return InvalidArgumentError("perplexity: batch size must be >= 1, got {}", options.n_batch);
  }
  if (options.max_chunks < -1 || options.max_chunks == 0) {
    return InvalidArgumentError("perplexity: chunk limit must be >= 1 or -1 (all), got {}",
                                options.max_chunks);
  }
  return Status::Ok();
}

// Evaluates one chunk (already carrying BOS if wanted) and adds the NLL of
// every token after position first = n_ctx/2.
Status ScoreChunk(Model& model, KvCache& cache, std::span<const int32_t> chunk, int32_t n_batch,
                  NllAccumulator& nll) {
  const auto n_ctx = static_cast<int32_t>(chunk.size());
  const int32_t first = n_ctx / 2;
  const int32_t n_vocab = model.spec().n_vocab;
  cache.Truncate(0);
  std::vector<float> logits;  // [batch, n_vocab]
  for (int32_t begin = 0; begin < n_ctx; begin += n_batch) {
    const int32_t count = std::min(n_batch, n_ctx - begin);
    HEARTH_RETURN_IF_ERROR(
        model.Forward(chunk.subspan(begin, count), cache, /*all_logits=*/true, logits));
    if (logits.size() != static_cast<size_t>(count) * n_vocab) {
      return InternalError("perplexity: model returned {} logits for {} tokens of vocabulary {}",
                           logits.size(), count, n_vocab);
    }
    // Position j predicts token j+1; the last position of the chunk has no target.
    for (int32_t j = std::max(begin, first); j < begin + count && j < n_ctx - 1; ++j) {
      const std::span<const float> row(logits.data() + static_cast<size_t>(j - begin) * n_vocab,
                                       static_cast<size_t>(n_vocab));
      nll.Add(NegativeLogLikelihood(row, chunk[j + 1]));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<PerplexityResult> ComputePerplexity(Model& model, const Tokenizer& tokenizer,
                                           std::string_view text, const PerplexityOptions& options,
                                           const PerplexityCallback& on_chunk) {
  HEARTH_RETURN_IF_ERROR(ValidateOptions(options));
  if (tokenizer.add_eos()) {
    return UnsupportedError(
        "perplexity: the vocabulary appends EOS to every text (as llama.cpp, "
        "perplexity is only defined without it)");
  }
  const auto total_start = std::chrono::steady_clock::now();
  std::vector<int32_t> tokens =
      tokenizer.Encode(text, /*add_special=*/true, /*parse_special=*/false);
  const int32_t n_ctx = options.n_ctx;
  if (tokens.size() < 2 * static_cast<size_t>(n_ctx)) {
    return InvalidArgumentError(
        "perplexity: the text is {} tokens but a context of {} needs at least {} (2 x context)",
        tokens.size(), n_ctx, 2 * static_cast<int64_t>(n_ctx));
  }
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<KvCache> cache, model.NewCache(n_ctx));

  PerplexityResult result;
  result.n_tokens = static_cast<int32_t>(tokens.size());
  result.n_chunks = static_cast<int32_t>(tokens.size() / static_cast<size_t>(n_ctx));
  if (options.max_chunks > 0) result.n_chunks = std::min(result.n_chunks, options.max_chunks);
  const int32_t n_batch = std::min(options.n_batch, n_ctx);

  NllAccumulator nll;
  std::vector<int32_t> chunk(static_cast<size_t>(n_ctx));
  for (int32_t i = 0; i < result.n_chunks; ++i) {
    const auto chunk_start = std::chrono::steady_clock::now();
    const auto begin = tokens.begin() + static_cast<ptrdiff_t>(i) * n_ctx;
    std::copy(begin, begin + n_ctx, chunk.begin());
    if (tokenizer.add_bos() && tokenizer.bos() >= 0) chunk[0] = tokenizer.bos();
    HEARTH_RETURN_IF_ERROR(ScoreChunk(model, *cache, chunk, n_batch, nll));
    if (on_chunk) {
      on_chunk(PerplexityProgress{
          i + 1, result.n_chunks, nll.Perplexity(),
          std::chrono::duration<double>(std::chrono::steady_clock::now() - chunk_start).count()});
    }
  }
  result.ppl = nll.Perplexity();
  result.ppl_error = nll.PerplexityError();
  result.n_scored = nll.count();
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - total_start).count();
  return result;
}

}  // namespace hearth
