#include "sampling/steps.h"

#include <algorithm>
#include <cmath>

namespace hearth {

namespace {

// Up to this k, TopK selects with a heap (O(n log k), one comparison for
// most tokens) rather than nth_element (O(n) but several passes).
constexpr size_t kHeapSelectMaxK = 256;

bool Before(const Candidate& a, const Candidate& b) {
  if (a.logit != b.logit) return a.logit > b.logit;
  return a.id < b.id;
}

}  // namespace

void ApplyLogitBias(std::span<const LogitBias> bias, std::span<float> logits) {
  for (const LogitBias& entry : bias) {
    if (entry.token >= 0 && static_cast<size_t>(entry.token) < logits.size()) {
      logits[entry.token] += entry.bias;
    }
  }
}

void ApplyPenalties(std::span<const int32_t> window, float repeat_penalty, float frequency_penalty,
                    float presence_penalty, std::span<float> logits) {
  if (window.empty()) return;
  if (repeat_penalty == 1.0f && frequency_penalty == 0.0f && presence_penalty == 0.0f) return;
  // Count each distinct token once: sort a copy (the window is small, 64 by default).
  std::vector<int32_t> ids(window.begin(), window.end());
  std::sort(ids.begin(), ids.end());
  for (size_t i = 0; i < ids.size();) {
    size_t j = i;
    while (j < ids.size() && ids[j] == ids[i]) ++j;
    const int32_t id = ids[i];
    const auto count = static_cast<float>(j - i);
    i = j;
    if (id < 0 || static_cast<size_t>(id) >= logits.size()) continue;
    float& logit = logits[id];
    logit = logit <= 0.0f ? logit * repeat_penalty : logit / repeat_penalty;
    logit -= count * frequency_penalty + presence_penalty;
  }
}

void FillCandidates(std::span<const float> logits, CandidateSet& set) {
  set.items.resize(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) {
    const float logit = std::isnan(logits[i]) ? -INFINITY : logits[i];
    set.items[i] = Candidate{static_cast<int32_t>(i), logit};
  }
  set.sorted = false;
}

void SortCandidates(CandidateSet& set) {
  if (set.sorted) return;
  std::sort(set.items.begin(), set.items.end(), Before);
  set.sorted = true;
}

void TopK(int32_t k, CandidateSet& set) {
  if (k <= 0) return;
  const size_t keep = std::min(static_cast<size_t>(k), set.items.size());
  if (set.sorted) {
    set.items.resize(keep);
    return;
  }
  if (keep <= kHeapSelectMaxK) {
    // One pass with a heap of the best `keep` so far, whose front is the worst
    // of them: most tokens are rejected by a single comparison.
    auto heap_end = set.items.begin() + static_cast<ptrdiff_t>(keep);
    std::make_heap(set.items.begin(), heap_end, Before);
    for (auto it = heap_end; it != set.items.end(); ++it) {
      if (Before(*it, set.items.front())) {
        std::pop_heap(set.items.begin(), heap_end, Before);
        *(heap_end - 1) = *it;
        std::push_heap(set.items.begin(), heap_end, Before);
      }
    }
    std::sort_heap(set.items.begin(), heap_end, Before);
  } else {
    std::nth_element(set.items.begin(), set.items.begin() + static_cast<ptrdiff_t>(keep - 1),
                     set.items.end(), Before);
    std::sort(set.items.begin(), set.items.begin() + static_cast<ptrdiff_t>(keep), Before);
  }
  set.items.resize(keep);
  set.sorted = true;
}

void TopP(float p, CandidateSet& set) {
  if (p >= 1.0f || set.items.empty()) return;
  SortCandidates(set);
  const float max_logit = set.items.front().logit;
  if (max_logit == -INFINITY) return;  // nothing meaningful to rank
  double total = 0.0;
  for (const Candidate& c : set.items) total += std::exp(static_cast<double>(c.logit - max_logit));
  double cumulative = 0.0;
  size_t keep = set.items.size();
  for (size_t i = 0; i < set.items.size(); ++i) {
    cumulative += std::exp(static_cast<double>(set.items[i].logit - max_logit)) / total;
    if (cumulative >= p) {
      keep = i + 1;
      break;
    }
  }
  set.items.resize(keep);
}

void MinP(float p, CandidateSet& set) {
  if (p <= 0.0f || set.items.empty()) return;
  float max_logit = -INFINITY;
  for (const Candidate& c : set.items) max_logit = std::max(max_logit, c.logit);
  if (max_logit == -INFINITY) return;
  const float min_logit = max_logit + std::log(p);
  std::erase_if(set.items, [min_logit](const Candidate& c) { return c.logit < min_logit; });
}

void ApplyTemperature(float t, CandidateSet& set) {
  for (Candidate& c : set.items) c.logit /= t;
}

double UniformFromBits(uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53; }

size_t DrawIndex(const CandidateSet& set, double u) {
  float max_logit = -INFINITY;
  for (const Candidate& c : set.items) max_logit = std::max(max_logit, c.logit);
  if (max_logit == -INFINITY) return 0;
  double total = 0.0;
  for (const Candidate& c : set.items) total += std::exp(static_cast<double>(c.logit - max_logit));
  const double target = u * total;
  double cumulative = 0.0;
  size_t last_possible = 0;
  for (size_t i = 0; i < set.items.size(); ++i) {
    const double weight = std::exp(static_cast<double>(set.items[i].logit - max_logit));
    if (weight <= 0.0) continue;
    cumulative += weight;
    last_possible = i;
    if (target < cumulative) return i;
  }
  return last_possible;  // rounding left target at the very top
}

int32_t ArgMax(std::span<const float> logits) {
  int32_t best = 0;
  float best_logit = -INFINITY;
  bool found = false;
  for (size_t i = 0; i < logits.size(); ++i) {
    if (std::isnan(logits[i])) continue;
    if (!found || logits[i] > best_logit) {
      best = static_cast<int32_t>(i);
      best_logit = logits[i];
      found = true;
    }
  }
  return best;
}

}  // namespace hearth
