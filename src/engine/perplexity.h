// Perplexity of a model on a text, computed as llama.cpp's llama-perplexity
// does, so the numbers can be compared:
//  - tokenize the whole text with special tokens as the vocabulary says (BOS);
//  - cut it into n_chunks = n_tokens / n_ctx chunks of n_ctx tokens (the tail
//    is dropped); fewer than 2 * n_ctx tokens is an error;
//  - for each chunk: clear the cache, put BOS in place of its first token if
//    the vocabulary adds BOS, evaluate it in batches of n_batch with logits for
//    every position;
//  - score only the second half: for positions j in [n_ctx/2, n_ctx - 1), the
//    negative log-likelihood of token j+1 under softmax(logits at j); that is
//    n_ctx - n_ctx/2 - 1 tokens per chunk;
//  - PPL = exp(mean NLL) over all scored tokens so far (reported per chunk),
//    error estimate = PPL * sqrt((mean(NLL^2) - mean(NLL)^2) / (count - 1)).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include "core/status.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace hearth {

struct PerplexityOptions {
  int32_t n_ctx = 512;      // tokens per chunk (llama.cpp's -c)
  int32_t n_batch = 512;    // tokens per Forward call (at most n_ctx are used)
  int32_t max_chunks = -1;  // -1: all chunks (llama.cpp's --chunks)
};

struct PerplexityProgress {
  int32_t chunk = 0;  // 1-based index of the chunk just scored
  int32_t n_chunks = 0;
  double ppl = 0.0;      // running perplexity over chunks 1..chunk
  double seconds = 0.0;  // time spent on this chunk
};

struct PerplexityResult {
  double ppl = 0.0;
  double ppl_error = 0.0;  // NaN when it cannot be estimated (variance <= 0)
  int32_t n_tokens = 0;    // tokens in the whole text
  int32_t n_chunks = 0;
  int64_t n_scored = 0;  // tokens whose NLL was counted
  double seconds = 0.0;
};

// Running sums of negative log-likelihoods and the statistics llama.cpp prints.
class NllAccumulator {
 public:
  void Add(double nll) {
    sum_ += nll;
    sum_squares_ += nll * nll;
    ++count_;
  }
  int64_t count() const { return count_; }
  double Perplexity() const;  // exp(mean); NaN when empty
  double PerplexityError() const;

 private:
  double sum_ = 0.0;
  double sum_squares_ = 0.0;
  int64_t count_ = 0;
};

// -log softmax(logits)[token], with llama.cpp's arithmetic (float differences
// from the maximum, exponentials summed in double).
double NegativeLogLikelihood(std::span<const float> logits, int32_t token);

using PerplexityCallback = std::function<void(const PerplexityProgress&)>;

// InvalidArgument for bad options or a text shorter than 2 * n_ctx tokens;
// Unsupported for vocabularies that append EOS; model errors as they come.
Result<PerplexityResult> ComputePerplexity(Model& model, const Tokenizer& tokenizer,
                                           std::string_view text, const PerplexityOptions& options,
                                           const PerplexityCallback& on_chunk = nullptr);

}  // namespace hearth
