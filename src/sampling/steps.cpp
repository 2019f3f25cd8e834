#include "sampling/steps.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <bit>
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

namespace {

// The largest of x[0..n), NaNs skipped (-inf if none): max_ps(v, m) keeps m
// when v is NaN, like `v > m ? v : m`.
float MaxSkippingNan(const float* x, size_t n) {
  size_t i = 0;
  float max = -INFINITY;
#if defined(__SSE2__)
  __m128 m[4] = {_mm_set1_ps(-INFINITY), _mm_set1_ps(-INFINITY), _mm_set1_ps(-INFINITY),
                 _mm_set1_ps(-INFINITY)};
  for (; i + 16 <= n; i += 16) {
    for (int r = 0; r < 4; ++r) m[r] = _mm_max_ps(_mm_loadu_ps(x + i + 4 * r), m[r]);
  }
  alignas(16) float lanes[16];
  for (int r = 0; r < 4; ++r) _mm_store_ps(lanes + 4 * r, m[r]);
  for (float lane : lanes) max = lane > max ? lane : max;
#endif
  for (; i < n; ++i) max = x[i] > max ? x[i] : max;
  return max;
}

// The first index of `value` in x[0..n), or n.
size_t FindFirst(const float* x, size_t n, float value) {
  size_t i = 0;
#if defined(__SSE2__)
  const __m128 v = _mm_set1_ps(value);
  for (; i + 16 <= n; i += 16) {
    int mask = 0;
    for (int r = 0; r < 4; ++r) {
      mask |= _mm_movemask_ps(_mm_cmpeq_ps(_mm_loadu_ps(x + i + 4 * r), v)) << (4 * r);
    }
    if (mask != 0) return i + static_cast<size_t>(std::countr_zero(static_cast<unsigned>(mask)));
  }
#endif
  for (; i < n; ++i) {
    if (x[i] == value) return i;
  }
  return n;
}

}  // namespace

int32_t ArgMax(std::span<const float> logits) {
  // Two vectorized passes (a greedy step scans the whole vocabulary for every
  // sequence): the maximum, then its first index. The first index holding the
  // maximum is what a scan keeping the first strictly larger value finds.
  const float max = MaxSkippingNan(logits.data(), logits.size());
  const size_t index = FindFirst(logits.data(), logits.size(), max);
  return index < logits.size() ? static_cast<int32_t>(index) : 0;  // 0: every logit is NaN
}

}  // namespace hearth
