#include "sampling/sampler.h"

#include <algorithm>
#include <cmath>

namespace hearth {

Result<Sampler> Sampler::Create(const SamplingParams& params, int32_t n_vocab) {
  if (n_vocab <= 0)
    return InvalidArgumentError("sampler: vocabulary size must be > 0, got {}", n_vocab);
  HEARTH_RETURN_IF_ERROR(params.Validate(n_vocab));
  return Sampler(params, n_vocab);
}

Sampler::Sampler(const SamplingParams& params, int32_t n_vocab)
    : params_(params), n_vocab_(n_vocab), rng_(params.seed) {}

void Sampler::Accept(int32_t token) {
  if (params_.repeat_last_n == 0) return;
  history_.push_back(token);
  if (params_.repeat_last_n > 0 && history_.size() > static_cast<size_t>(params_.repeat_last_n)) {
    history_.pop_front();
  }
}

void Sampler::Reset() {
  history_.clear();
  rng_.seed(params_.seed);
}

Result<SampledToken> Sampler::Sample(std::span<const float> logits) {
  return Sample(logits, logits);
}

Result<SampledToken> Sampler::Sample(std::span<const float> logits,
                                     std::span<const float> model_logits) {
  for (size_t size : {logits.size(), model_logits.size()}) {
    if (size != static_cast<size_t>(n_vocab_)) {
      return InvalidArgumentError("sampler: got {} logits for a vocabulary of {}", size, n_vocab_);
    }
  }
  SampledToken out;
  if (params_.temperature <= 0.0f && !ChangesLogits()) {
    // Greedy on the logits as they are: no copy of the vocabulary's worth of floats.
    out.token = ArgMax(logits);
    ReportProbabilities(model_logits, out);
    return out;
  }
  work_.assign(logits.begin(), logits.end());
  ApplyLogitBias(params_.logit_bias, work_);
  window_.assign(history_.begin(), history_.end());
  ApplyPenalties(window_, params_.repeat_penalty, params_.frequency_penalty,
                 params_.presence_penalty, work_);

  out.token = Choose();
  ReportProbabilities(model_logits, out);
  return out;
}

bool Sampler::ChangesLogits() const {
  return !params_.logit_bias.empty() || params_.repeat_penalty != 1.0f ||
         params_.frequency_penalty != 0.0f || params_.presence_penalty != 0.0f;
}

int32_t Sampler::Choose() {
  if (params_.temperature <= 0.0f) return ArgMax(work_);
  FillCandidates(work_, candidates_);
  TopK(params_.top_k, candidates_);
  TopP(params_.top_p, candidates_);
  MinP(params_.min_p, candidates_);
  ApplyTemperature(params_.temperature, candidates_);
  const double u = UniformFromBits(rng_());
  return candidates_.items[DrawIndex(candidates_, u)].id;
}

void Sampler::ReportProbabilities(std::span<const float> logits, SampledToken& out) const {
  if (!params_.report_prob && params_.n_probs == 0) return;
  // softmax(raw logits) needs only the maximum and the normaliser: two passes.
  float max_logit = -INFINITY;
  for (float v : logits) max_logit = std::max(max_logit, v);  // max ignores NaN here
  if (max_logit == -INFINITY) return;
  double total = 0.0;
  for (float v : logits) {
    if (!std::isnan(v)) total += std::exp(v - max_logit);  // float exp, double sum
  }
  auto prob = [&](int32_t id) {
    const float v = logits[id];
    return std::isnan(v) ? 0.0f : static_cast<float>(std::exp(v - max_logit) / total);
  };
  out.prob = prob(out.token);
  if (params_.n_probs == 0) return;

  // The most likely n_probs tokens: TopK on the raw logits (ties to lowest id).
  CandidateSet raw;
  FillCandidates(logits, raw);
  TopK(params_.n_probs, raw);
  out.top.reserve(raw.items.size());
  for (const Candidate& c : raw.items) out.top.push_back(TokenProb{c.id, prob(c.id)});
}

}  // namespace hearth
