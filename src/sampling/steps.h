// The steps of the sampler chain, each a plain function testable alone.
//
// Order used by Sampler (llama.cpp's default chain):
//   logit bias -> penalties -> top-k -> top-p -> min-p -> temperature -> draw
// Bias and penalties edit the full logit vector by token id (their cost is the
// number of tokens they touch); the filters work on a CandidateSet. Top-p and
// min-p therefore see probabilities at temperature 1, as in llama.cpp.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sampling/sampling_params.h"

namespace hearth {

struct Candidate {
  int32_t id = 0;
  float logit = 0.0f;
};

// The tokens still in the running. `sorted`: items are in descending logit
// order, ties broken by ascending id, so every step is deterministic.
struct CandidateSet {
  std::vector<Candidate> items;
  bool sorted = false;
};

// logits[i] += bias for each entry (ids must be valid: SamplingParams::Validate).
void ApplyLogitBias(std::span<const LogitBias> bias, std::span<float> logits);

// Repetition, frequency and presence penalties over `window` (the recent tokens
// to consider, oldest first). For each distinct token with count c in it:
//   logit = logit <= 0 ? logit * repeat_penalty : logit / repeat_penalty
//   logit -= c * frequency_penalty + presence_penalty
// Ids outside `logits` are ignored.
void ApplyPenalties(std::span<const int32_t> window, float repeat_penalty, float frequency_penalty,
                    float presence_penalty, std::span<float> logits);

// Every token, in id order. NaN logits become -inf so that comparisons stay a
// strict weak order (a NaN logit is a model bug; it must not make sorting UB).
void FillCandidates(std::span<const float> logits, CandidateSet& set);

// Sorts by descending logit, ties to the lowest id (no-op when already sorted).
void SortCandidates(CandidateSet& set);

// Keeps the k highest (k <= 0: no-op). Leaves the set sorted.
void TopK(int32_t k, CandidateSet& set);

// Keeps the smallest prefix of the sorted set whose probability mass (softmax
// of the current logits) reaches p; at least one token. p >= 1: no-op.
void TopP(float p, CandidateSet& set);

// Keeps tokens whose probability is at least p times the top one, i.e.
// logit >= max_logit + log(p). p <= 0: no-op. Order is preserved.
void MinP(float p, CandidateSet& set);

// Divides every logit by t (precondition: t > 0).
void ApplyTemperature(float t, CandidateSet& set);

// Turns 64 random bits into a uniform double in [0, 1) (53 significant bits).
double UniformFromBits(uint64_t bits);

// Index in `set.items` drawn with probability softmax(logits); u in [0, 1).
// Walks the items in their current order, so the result is a pure function of
// the set and u. If every logit is -inf, returns 0. Precondition: non-empty.
size_t DrawIndex(const CandidateSet& set, double u);

// Index of the largest logit, ties to the lowest index; NaN never wins.
// Precondition: non-empty.
int32_t ArgMax(std::span<const float> logits);

}  // namespace hearth
