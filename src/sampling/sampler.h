// Sampler: picks the next token from a model's logits with the chain in
// sampling/steps.h, and reports how likely the model thought it was.
//
// Deterministic: the same params (seed included), the same Accept() history
// and the same logits give the same token, on every platform (the random
// draw uses raw std::mt19937_64 outputs, whose sequence the standard fixes,
// and our own arithmetic rather than <random> distributions).
#pragma once

#include <cmath>
#include <cstdint>
#include <deque>
#include <random>
#include <span>
#include <vector>

#include "core/status.h"
#include "sampling/sampling_params.h"
#include "sampling/steps.h"

namespace hearth {

struct TokenProb {
  int32_t token = 0;
  float prob = 0.0f;
};

struct SampledToken {
  int32_t token = 0;
  // Probability of `token` under the model's own distribution: softmax of the
  // raw logits, before bias, penalties, filters and temperature (what OpenAI
  // logprobs report). NaN unless params.report_prob or n_probs > 0.
  float prob = NAN;
  // The n_probs most likely tokens under that same distribution, most likely
  // first (ties to the lowest id); empty when n_probs == 0.
  std::vector<TokenProb> top;
};

class Sampler {
 public:
  // InvalidArgument (naming the parameter) if params are unusable for a
  // vocabulary of n_vocab tokens.
  static Result<Sampler> Create(const SamplingParams& params, int32_t n_vocab);

  const SamplingParams& params() const { return params_; }

  // Records a token seen in the sequence (prompt or generated) for the
  // penalties. Call it for every prompt token and for every sampled token.
  void Accept(int32_t token);

  // Picks the next token. InvalidArgument if logits.size() != n_vocab.
  // Does not Accept() the result: the caller decides whether it is kept.
  Result<SampledToken> Sample(std::span<const float> logits);

  // Picks from `logits` (e.g. after a TokenConstraint masked them) but reports
  // probabilities from `model_logits`, the model's own distribution.
  // InvalidArgument if either size != n_vocab.
  Result<SampledToken> Sample(std::span<const float> logits, std::span<const float> model_logits);

  // Forgets the history and restarts the random sequence from the seed.
  void Reset();

 private:
  Sampler(const SamplingParams& params, int32_t n_vocab);
  // Whether logit bias or penalties may change the logits before the choice.
  bool ChangesLogits() const;
  int32_t Choose();
  void ReportProbabilities(std::span<const float> logits, SampledToken& out) const;

  SamplingParams params_;
  int32_t n_vocab_;
  std::mt19937_64 rng_;
  std::deque<int32_t> history_;  // at most repeat_last_n tokens (all if -1)
  std::vector<int32_t> window_;  // scratch: history_ as a contiguous span
  std::vector<float> work_;      // scratch: logits after bias and penalties
  CandidateSet candidates_;      // scratch
};

}  // namespace hearth
